"""MaxScore for disjunctions: the exact top k without scoring every posting of the common terms.

Clauses are taken in decreasing order of their upper bound (the most a clause can add to any document of
the segment). After each one, theta is the k-th best partial score so far. Once the bounds of the clauses
left add up to less than theta, no document those clauses alone hold can reach the top k: they are no
longer scanned, only looked up (binary search) for the candidates that can still make it. Turtle and
Flood, "Query evaluation: strategies and optimizations", IP&M 1995; Lucene's MaxScoreBulkScorer.

The result is exact: the same documents and scores as exhaustive scoring (tests/properties check it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import sparse
from ._types import SCORE

if TYPE_CHECKING:
    from .index.reader import SegmentReader
    from .search import Searcher, _Clause


def upper_bound(searcher: Searcher, clause: _Clause, segment_ord: int, segment: SegmentReader) -> float:
    """The highest score ``clause`` can give a document of this segment (inf when unknown: phrases)."""
    k1 = searcher.scorer.k1
    if clause.keyword:
        return clause.idf / (1.0 + k1)
    if any(len(pairs) > 1 for pairs in clause.terms):
        return float("inf")
    weight = 0.0
    for field, pairs in zip(clause.fields, clause.terms):
        if pairs:
            weight += searcher.schema[field].boost * searcher.max_norm_tf(segment_ord, field, pairs[0][0])
    return clause.idf * weight / (k1 + weight) if weight > 0 else 0.0


def _lookup_scores(searcher: Searcher, clause: _Clause, segment_ord: int, segment: SegmentReader,
                   docs: np.ndarray) -> np.ndarray:
    """The clause's scores for the documents ``docs`` only (0 where it does not match), by binary search."""
    k1 = searcher.scorer.k1
    if clause.keyword:
        terms = segment.terms(clause.fields[0])
        term_ord = terms.term_ord(clause.terms[0][0][0])
        if term_ord < 0:
            return np.zeros(len(docs), dtype=SCORE)
        return np.where(sparse.member(terms.doc_ids(term_ord), docs)[0], clause.idf / (1.0 + k1), 0.0)
    weighted_tf = np.zeros(len(docs), dtype=SCORE)
    for field, pairs in zip(clause.fields, clause.terms):
        if not pairs:
            continue
        reader = segment.text(field)
        term_ord = reader.term_ord(pairs[0][0])
        if term_ord < 0:
            continue
        field_docs, freqs = reader.postings(term_ord)
        hit, at = sparse.member(field_docs, docs)
        norms = searcher._norms_for(segment_ord, field)
        weighted_tf[hit] += searcher.schema[field].boost * freqs[at[hit]] / norms[docs[hit]]
    matched = weighted_tf > 0
    scores = np.zeros(len(docs), dtype=SCORE)
    scores[matched] = clause.idf * weighted_tf[matched] / (k1 + weighted_tf[matched])
    return scores


def top_k_disjunction(
    searcher: Searcher, clauses: tuple[_Clause, ...], segment_ord: int, segment: SegmentReader, k: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Candidates for the top ``k`` of an OR of ``clauses`` in one segment: (docs, scores, complete).

    Every document of the true top k (ties at the k-th score included) is among the candidates, with its
    exact score. ``complete`` is True when every clause was scored in full, so the candidates are all
    the matching documents; otherwise the caller counts the matches separately.
    """
    # Bounds are raised by a relative 1e-9: a bound and a score round differently in the last bits, and a
    # bound must never fall below a score it is meant to cap.
    bounds = [upper_bound(searcher, c, segment_ord, segment) * (1 + 1e-9) for c in clauses]
    order = sorted(range(len(clauses)), key=lambda i: -bounds[i])
    docs, scores = np.empty(0, dtype=np.int64), np.empty(0, dtype=SCORE)
    scored: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    live = segment.live
    complete = True
    for position, i in enumerate(order):
        clause_docs, clause_scores = searcher._clause_scores(clauses[i], segment_ord, segment)
        if live is not None and len(clause_docs):
            keep = live[clause_docs]  # deleted documents must not raise theta
            clause_docs, clause_scores = clause_docs[keep], clause_scores[keep]
        sort = np.argsort(clause_docs, kind="stable")
        scored[i] = clause_docs[sort], clause_scores[sort]
        docs, scores = sparse.add(docs, scores, *scored[i])
        remaining = sum(bounds[j] for j in order[position + 1 :])  # summed afresh: subtraction drifts
        if position + 1 == len(order) or len(docs) < k or not np.isfinite(remaining):
            continue
        theta = np.partition(scores, len(scores) - k)[len(scores) - k]
        if remaining < theta:
            # Documents seen so far can gain at most `remaining`; unseen ones score at most that.
            docs = docs[scores + remaining >= theta]
            complete = False
            break
    # Final scores are summed in the query's clause order, as exhaustive scoring sums them, so a score
    # never depends on the order the bounds chose (ties stay ties, to the last bit).
    final = np.zeros(len(docs), dtype=SCORE)
    for i, clause in enumerate(clauses):
        if i in scored:
            clause_docs, clause_scores = scored[i]
            hit, at = sparse.member(clause_docs, docs)
            final += np.where(hit, clause_scores[at] if len(clause_scores) else 0.0, 0.0)
        else:
            final += _lookup_scores(searcher, clause, segment_ord, segment, docs)
    return docs, final, complete
