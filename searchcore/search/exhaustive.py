"""Exhaustive execution of a query plan in one segment, with dense work arrays reused across queries.

Scores are summed into a float64 array as long as the segment: a clause's postings are a slice, its
scores one vector expression, and adding them one indexed ``+=`` (``a[docs] += v`` adds once per distinct
doc id, so a clause may list a document twice as long as both entries carry the same value). The dense
arrays are allocated once per segment and thread and put back to zero where a query touched them, so a
query costs O(postings it touches), not O(documents in the segment): a fresh ``np.zeros`` of a large
segment would cost a page fault per 4 KiB on first touch.

Clause scores are added in the query's clause order, the order MaxScore's exact rescoring uses too, so a
document's score never depends on which of the two found it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from .._types import SCORE
from .plan import BoolPlan, RangePlan

if TYPE_CHECKING:
    from ..index.reader import SegmentReader
    from .plan import Clause
    from .scorer import BM25Scorer

EMPTY_DOCS = np.empty(0, dtype=np.intp)
EMPTY_SCORES = np.empty(0, dtype=SCORE)


class Scratch:
    """Dense work arrays over one segment's documents. Between queries ``scores``, ``weighted_tf`` and
    ``hits`` are all zero; ``mark`` holds garbage (non-negative positions written by earlier calls), and
    whoever reads it checks what it read (``unique`` reads only where it just wrote; ``sparse.member``
    trusts a position only where its list holds the document)."""

    __slots__ = ("max_doc", "scores", "weighted_tf", "hits", "mark", "_child")

    def __init__(self, max_doc: int) -> None:
        self.max_doc = max_doc
        self.scores = np.zeros(max_doc, dtype=SCORE)
        self.weighted_tf = np.zeros(max_doc, dtype=SCORE)
        self.hits = np.zeros(max_doc, dtype=np.int32)
        self.mark = np.zeros(max_doc, dtype=np.intp)
        self._child: Scratch | None = None

    def child(self) -> Scratch:
        """The arrays for a nested boolean clause (made on first use, then reused)."""
        if self._child is None:
            self._child = Scratch(self.max_doc)
        return self._child

    def unique(self, docs: np.ndarray) -> np.ndarray:
        """The distinct doc ids of ``docs``, in O(len(docs)): each id keeps the one entry that wrote last."""
        if len(docs) < 2:
            return docs
        # a fresh arange, not a slice of one kept on the scratch: with the kept one, a thread searching in
        # a loop slowed a writer thread of the same process so much that its commits took minutes
        # (test_concurrency's snapshot test: 6 s became 9 minutes; the cause is not pinned down, most
        # likely how rarely the GIL then changed hands)
        positions = np.arange(len(docs))
        self.mark[docs] = positions
        return docs[self.mark[docs] == positions]


class ScratchPool(threading.local):
    """One Scratch per segment and thread, so threads sharing a searcher never share work arrays."""

    def __init__(self) -> None:
        self.by_segment: dict[int, Scratch] = {}

    def get(self, segment_ord: int, max_doc: int) -> Scratch:
        scratch = self.by_segment.get(segment_ord)
        if scratch is None or scratch.max_doc != max_doc:
            scratch = self.by_segment[segment_ord] = Scratch(max_doc)
        return scratch

    def discard(self, segment_ord: int) -> None:
        """Forget a segment's arrays (after an error left them dirty)."""
        self.by_segment.pop(segment_ord, None)


def clause_docs(scorer: BM25Scorer, clause: Clause, segment_ord: int, segment: SegmentReader,
                scratch: Scratch, scores: np.ndarray | None) -> np.ndarray:
    """The documents ``clause`` matches (a doc id may repeat); adds its scores into ``scores`` unless None."""
    if not clause.word:
        docs, clause_scores = scorer.clause_scores(clause, segment_ord, segment)
        if scores is not None and len(docs):
            scores[docs] += clause_scores
        return docs
    docs, saturated = scorer.word_tf(clause, segment_ord, scratch.weighted_tf, scores is not None)
    if saturated is not None and len(docs):
        scores[docs] += clause.weight * saturated
    return docs


def word_disjunction(scorer: BM25Scorer, clauses: tuple[Clause, ...], segment_ord: int, segment: SegmentReader,
                     scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """(unique doc ids, scores) of word clauses OR-ed together: the common query, with nothing but
    what it needs (no match counting, no exclusions)."""
    scores = scratch.scores
    touched = []
    repeats = False  # whether a doc id can occur twice in touched
    for clause in clauses:
        docs, saturated = scorer.word_tf(clause, segment_ord, scratch.weighted_tf)
        if len(docs):
            scores[docs] += clause.weight * saturated
            repeats = repeats or bool(touched) or len(clause.fields) > 1
            touched.append(docs)
    if not touched:
        return EMPTY_DOCS, EMPTY_SCORES
    docs = touched[0] if len(touched) == 1 else np.concatenate(touched)
    if repeats:
        docs = scratch.unique(docs)
    result = scores[docs]
    scores[docs] = 0.0
    return docs, result


def plan_docs(scorer: BM25Scorer, plan, segment_ord: int, segment: SegmentReader, scratch: Scratch,
              scores: np.ndarray | None) -> np.ndarray:
    """The documents ``plan`` (a clause or a boolean plan) matches, deleted ones included, doc ids
    possibly repeated; their scores are added into ``scores`` unless it is None."""
    if isinstance(plan, RangePlan):  # matches, adds nothing to the score
        return np.flatnonzero(plan.mask(segment.values(plan.field)))
    if not isinstance(plan, BoolPlan):
        return clause_docs(scorer, plan, segment_ord, segment, scratch, scores)
    child = scratch.child()
    docs, sub_scores = _bool(scorer, plan, segment_ord, segment, child, scores is not None)
    if scores is not None and len(docs):
        scores[docs] += sub_scores
    return docs


def _bool(scorer: BM25Scorer, plan: BoolPlan, segment_ord: int, segment: SegmentReader, scratch: Scratch,
          scoring: bool) -> tuple[np.ndarray, np.ndarray]:
    """(unique doc ids, scores) of a boolean plan; leaves ``scratch`` zeroed."""
    scores = scratch.scores if scoring else None
    hits = scratch.hits
    touched = []
    for clause in plan.must:
        docs = plan_docs(scorer, clause, segment_ord, segment, scratch, scores)
        hits[docs] += 1
        touched.append(docs)
    # with must clauses, should clauses only add to the score; without, one of them must match
    for clause in plan.should:
        docs = plan_docs(scorer, clause, segment_ord, segment, scratch, scores)
        touched.append(docs)
    if touched:
        candidates = scratch.unique(np.concatenate(touched) if len(touched) > 1 else touched[0])
    elif plan.must_not:  # must_not clauses only: every document but theirs
        candidates = np.arange(segment.max_doc)
    else:
        return EMPTY_DOCS, EMPTY_SCORES
    excluded = []
    for clause in plan.must_not:
        docs = plan_docs(scorer, clause, segment_ord, segment, scratch, None)
        hits[docs] = -1
        excluded.append(docs)
    if plan.must:
        keep = hits[candidates] == len(plan.must)
    elif excluded:
        keep = hits[candidates] >= 0
    else:
        keep = None
    docs = candidates if keep is None else candidates[keep]
    result = scores[docs] if scores is not None else np.zeros(len(docs), dtype=SCORE)
    # back to zero, where this plan wrote
    if scores is not None:
        scores[candidates] = 0.0
    hits[candidates] = 0
    for docs_out in excluded:
        hits[docs_out] = 0
    return docs, result


def evaluate(scorer: BM25Scorer, plan, segment_ord: int, segment: SegmentReader,
             scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """(doc ids: unique, scores) of the live documents ``plan`` matches in one segment."""
    if isinstance(plan, BoolPlan):
        if plan.words_only:
            docs, scores = word_disjunction(scorer, plan.should, segment_ord, segment, scratch)
        else:
            docs, scores = _bool(scorer, plan, segment_ord, segment, scratch, True)
    elif isinstance(plan, RangePlan):
        docs = plan_docs(scorer, plan, segment_ord, segment, scratch, None)
        scores = np.zeros(len(docs), dtype=SCORE)
    elif plan.word:
        docs, scores = word_disjunction(scorer, (plan,), segment_ord, segment, scratch)
    else:
        docs, scores = scorer.clause_scores(plan, segment_ord, segment)  # already unique
    if segment.live is not None and len(docs):
        live = segment.live[docs]
        docs, scores = docs[live], scores[live]
    return docs, scores


def filter_mask(scorer: BM25Scorer, plans, segment_ord: int, segment: SegmentReader,
                scratch: Scratch) -> np.ndarray:
    """bool[max_doc]: the documents every one of ``plans`` matches (scores are not computed)."""
    mask = np.ones(segment.max_doc, dtype=bool) if plans else np.zeros(segment.max_doc, dtype=bool)
    for plan in plans:
        if plan is None:
            return np.zeros(segment.max_doc, dtype=bool)
        one = np.zeros(segment.max_doc, dtype=bool)
        one[plan_docs(scorer, plan, segment_ord, segment, scratch, None)] = True
        mask &= one
    return mask
