"""Pseudo-relevance feedback: RM3 (Lavrenko and Croft's relevance model, interpolated with the query as in
Abdul-Jaleel et al., UMass at TREC 2004).

The first pass's best ``docs`` documents are taken as relevant. Each one's terms come from the index itself:
the postings of the searched TEXT fields, read for those documents only (no stored text is analysed
again). The relevance model weighs each term by its share of each document's terms, P(t|d) = tf / |d|,
times the document's share of the first pass's scores; terms held by more than ``max_doc_share`` of the
documents are left out, and the ``terms`` heaviest are kept, their weights normalised to sum to 1. The
second pass searches the original query with weight ``weight`` (shared by its words) and each kept term,
as the index holds it, with ``(1 - weight)`` times its share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError
from ..index.reader import IndexReader
from ..query import Bool, Boost, Node, Term
from .stats import CollectionStats


@dataclass(frozen=True)
class RM3:
    """Settings of pseudo-relevance feedback: ``searcher.search(q, feedback=sc.RM3(...))``.

    Attributes:
        docs: the first pass's best documents taken as relevant.
        terms: the expansion terms kept.
        weight: the original query's share of the second pass (1.0: the original query alone, and the
            first pass's results exactly).
        max_doc_share: terms held by more than this share of the documents are never added.
    """

    # chosen on the three ir-dev collections (bench/relevance.py --grid): of the 27 settings tried
    # (docs 5/10/20, terms 10/20/40, weight 0.3/0.5/0.7), this one raised nDCG@10 and AP on all three
    docs: int = 5
    terms: int = 40
    weight: float = 0.3
    max_doc_share: float = 0.5

    def __post_init__(self) -> None:
        if isinstance(self.docs, bool) or not isinstance(self.docs, int) or self.docs < 1:
            raise ArgumentError(f"RM3.docs must be an int >= 1, got {self.docs!r}")
        if isinstance(self.terms, bool) or not isinstance(self.terms, int) or self.terms < 0:
            raise ArgumentError(f"RM3.terms must be an int >= 0, got {self.terms!r}")
        if not 0.0 <= self.weight <= 1.0:
            raise ArgumentError(f"RM3.weight must be between 0 and 1, got {self.weight!r}")
        if not 0.0 < self.max_doc_share <= 1.0:
            raise ArgumentError(f"RM3.max_doc_share must be in (0, 1], got {self.max_doc_share!r}")


def settings(feedback: bool | RM3 | None) -> RM3 | None:
    """The RM3 settings ``feedback`` stands for: None for no feedback, the defaults for True."""
    if feedback is None or feedback is False:
        return None
    if feedback is True:
        return RM3()
    if isinstance(feedback, RM3):
        return feedback
    raise ArgumentError(f"feedback must be True, False, None or an sc.RM3, got {feedback!r}")


def document_terms(reader: IndexReader, addresses: Sequence[tuple[int, int]],
                   fields: Sequence[str]) -> list[Counter]:
    """Each document's index terms with their frequencies, summed over ``fields``, read from the
    postings: per segment and field, one pass over its doc ids for all the documents asked for."""
    out = [Counter() for _ in addresses]
    by_segment: dict[int, list[int]] = {}
    for position, (segment_ord, _) in enumerate(addresses):
        by_segment.setdefault(segment_ord, []).append(position)
    for segment_ord, positions in by_segment.items():
        segment = reader.segments[segment_ord]
        wanted = np.array(sorted({addresses[p][1] for p in positions}), dtype=np.int64)
        slot = {int(doc): [p for p in positions if addresses[p][1] == doc] for doc in wanted}
        marked = np.zeros(segment.max_doc, dtype=bool)
        marked[wanted] = True
        for field in fields:
            text = segment.text(field)
            doc_ids = text.all_doc_ids
            at = np.flatnonzero(marked[doc_ids])  # one pass over the field's postings (np.isin: twice the time)
            if not len(at):
                continue
            ords = np.searchsorted(text.posting_starts, at, side="right") - 1
            terms = text.terms.terms_at(ords)
            for doc, term, tf in zip(doc_ids[at].tolist(), terms, text.all_term_freqs[at].tolist()):
                for p in slot[doc]:
                    out[p][term] += tf
    return out


def expansion(feedback: RM3, hits: Sequence[tuple[tuple[int, int], float]], reader: IndexReader,
              fields: Sequence[str], stats: CollectionStats) -> list[tuple[str, float]]:
    """The kept terms of the relevance model of ``hits`` ((address, score), best first) in one
    generation, with their weights (summing to 1), heaviest first; ties by term."""
    top = [(address, score) for address, score in hits[: feedback.docs] if score > 0]
    if not top or feedback.terms == 0:
        return []
    vectors = document_terms(reader, [address for address, _ in top], fields)
    return relevance_model(feedback, [(score, terms) for (_, score), terms in zip(top, vectors)],
                           lambda term: stats.doc_freq(tuple((field, term) for field in fields)),
                           stats.doc_count(tuple(fields)))


def relevance_model(feedback: RM3, documents: Sequence[tuple[float, Mapping[str, int]]],
                    doc_freq: Callable[[str], int], doc_count: int) -> list[tuple[str, float]]:
    """RM3's kept terms and weights from the feedback documents' (score > 0, {term: tf}), at most
    ``feedback.docs`` of them: ``doc_freq(term)`` and ``doc_count`` are the collection's, over the searched
    fields."""
    if not documents or feedback.terms == 0:
        return []
    total_score = sum(score for score, _ in documents)
    model: Counter = Counter()
    for score, terms in documents:
        length = sum(terms.values())
        if length:
            for term, tf in terms.items():
                model[term] += (score / total_score) * (tf / length)
    limit = feedback.max_doc_share * doc_count
    kept: list[tuple[str, float]] = []
    for term, weight in sorted(model.items(), key=lambda item: (-item[1], item[0])):
        if doc_freq(term) <= limit:
            kept.append((term, weight))
            if len(kept) == feedback.terms:
                break
    total = sum(weight for _, weight in kept)
    return [(term, weight / total) for term, weight in kept] if total else []


def expanded_query(original: Node, words: int, feedback: RM3, terms: Sequence[tuple[str, float]]) -> Node:
    """The second pass: ``original`` with weight ``feedback.weight`` shared by its ``words``, and each
    expansion term, as the index holds it, with ``(1 - weight)`` times its share. A query with required
    or excluded clauses keeps them: the expansion terms then only reorder what it matches."""
    head = Boost(original, feedback.weight / max(words, 1)) if feedback.weight > 0 else None
    added = tuple(Boost(Term(term, analyzed=False), (1.0 - feedback.weight) * share)
                  for term, share in terms if (1.0 - feedback.weight) * share > 0)
    structured = isinstance(original, Bool) and (original.must or original.must_not)
    if structured:
        return Bool(should=added, must=(head if head is not None else original,), must_not=())
    return Bool(should=(*((head,) if head is not None else ()), *added), must=(), must_not=())
