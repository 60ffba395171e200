"""Explanations: how one document's score comes out of the query, as a tree of values, like Lucene's.

Every node's value is computed again here from the statistics the searcher scored with, one document at
a time; the root's value equals the document's score (the tests hold them to 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .index.reader import SegmentReader
    from .search import Searcher


@dataclass(frozen=True)
class Explanation:
    """A value, what it is, and the values it is made of."""

    value: float
    description: str
    details: tuple[Explanation, ...] = field(default=())
    matched: bool = True

    def __str__(self) -> str:
        return "\n".join(self._lines(0))

    def _lines(self, depth: int) -> list[str]:
        lines = [f"{'  ' * depth}{self.value:.6g} = {self.description}"]
        for detail in self.details:
            lines += detail._lines(depth + 1)
        return lines


def _no_match(description: str) -> Explanation:
    return Explanation(0.0, description, matched=False)


def explain_plan(searcher: Searcher, plan, segment_ord: int, segment: SegmentReader, doc_id: int) -> Explanation:
    """The explanation of ``plan`` (a searcher's query plan) for one document."""
    from .search import _Clause

    if plan is None:
        return _no_match("no match: the query has no searchable words")
    if isinstance(plan, _Clause):
        return _explain_clause(searcher, plan, segment_ord, segment, doc_id)
    must = [explain_plan(searcher, c, segment_ord, segment, doc_id) for c in plan.must]
    should = [explain_plan(searcher, c, segment_ord, segment, doc_id) for c in plan.should]
    excluded = [e for e in (explain_plan(searcher, c, segment_ord, segment, doc_id) for c in plan.must_not)
                if e.matched]
    if must and not all(e.matched for e in must):
        return _no_match("no match: a required clause does not match")
    if not must and not any(e.matched for e in should):
        return _no_match("no match: none of the clauses matches")
    if excluded:
        return _no_match("no match: a prohibited clause matches")
    parts = [e for e in must + should if e.matched]
    return Explanation(sum(e.value for e in parts), "sum of the matching clauses", tuple(parts))


def _explain_clause(searcher: Searcher, clause, segment_ord: int, segment: SegmentReader, doc_id: int) -> Explanation:
    from .search import _term_freqs

    k1, b = searcher.scorer.k1, searcher.scorer.b
    text = " ".join(term for term, _ in (clause.terms[0] if clause.terms else ()))
    idf_node = Explanation(clause.idf, "idf, ln(1 + (N - df + 0.5) / (df + 0.5)), summed over a phrase's terms")
    if clause.keyword:
        terms = segment.terms(clause.fields[0])
        term_ord = terms.term_ord(clause.terms[0][0][0])
        if term_ord < 0 or doc_id not in set(terms.doc_ids(term_ord).tolist()):
            return _no_match(f"no match: {clause.fields[0]}:{text}")
        return Explanation(clause.idf / (1 + k1), f"{clause.fields[0]}:{text}, exact term: idf / (1 + k1), k1={k1}",
                           (idf_node,))
    weighted_tf = 0.0
    fields = []
    for name, pairs in zip(clause.fields, clause.terms):
        if not pairs:
            continue
        docs, freqs = _term_freqs(segment.text(name), pairs)
        at = np.searchsorted(docs, doc_id)
        if at >= len(docs) or docs[at] != doc_id:
            continue
        freq = float(freqs[at])
        doc_len = int(segment.text(name).doc_lens[doc_id])
        avg_doc_len = searcher.field_stats(name)[1]
        norm = float(searcher._norms_for(segment_ord, name)[doc_id])
        boost = searcher.schema[name].boost
        contribution = boost * freq / norm
        weighted_tf += contribution
        what = "phrase frequency" if len(pairs) > 1 else "term frequency"
        fields.append(Explanation(contribution, f"{name}: boost * tf / (1 - b + b * dl / avgdl)", (
            Explanation(freq, f"tf, {what} of {' '.join(t for t, _ in pairs)!r}"),
            Explanation(boost, "boost of the field"),
            Explanation(doc_len, "dl, terms in the field"),
            Explanation(avg_doc_len, "avgdl, over the live documents that have the field"),
            Explanation(b, "b"),
        )))
    if not fields:
        return _no_match(f"no match: {text!r} in {', '.join(clause.fields)}")
    value = clause.idf * weighted_tf / (k1 + weighted_tf)
    tf_node = Explanation(weighted_tf, "tf~, the sum over fields (BM25F)", tuple(fields))
    return Explanation(value, f"{text!r} in {', '.join(clause.fields)}: idf * tf~ / (k1 + tf~), k1={k1}",
                       (idf_node, tf_node))
