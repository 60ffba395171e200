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

from .._types import SCORE
from .exhaustive import EMPTY_DOCS, Scratch, clause_docs

if TYPE_CHECKING:
    from ..index.reader import SegmentReader
    from .plan import Clause
    from .scorer import BM25Scorer

#: an OR of words whose lists in a segment (a word's in every field it is searched in) hold fewer postings
#: than this per word is scored exhaustively there (Snapshot.maxscore_min_postings): choosing what to skip
#: costs more than reading them. Measured on the generated 10x and 50x corpora, each query's best of five,
#: MaxScore against exhaustive scoring: two words lose below 4,096 postings in all (10x, 1,024-2,048: 0.19
#: against 0.16 ms) and gain from there (10x, 8,192-16,384: 0.26 against 0.39 ms; 50x: 0.41 against 0.48);
#: three words lose below 8,192 (10x, 2,048-4,096: 0.32 against 0.21 ms) and at 50x up to 32,768
#: (16,384-32,768: 0.92 against 0.71), where their lists are longer for the same share of the query. Over
#: both logs, 2,048 a word gave the lowest median (10x 0.222 -> 0.201 ms, 50x 0.523 -> 0.517), the 99th
#: percentile unchanged.
MIN_POSTINGS_PER_WORD = 2048


def top_k_disjunction(
    scorer: BM25Scorer, clauses: tuple[Clause, ...], segment_ord: int, segment: SegmentReader, k: int,
    scratch: Scratch,
) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Candidates for the top ``k`` of an OR of ``clauses`` in one segment: (docs, scores, total).

    Every live document of the true top k (ties at the k-th score included) is among the candidates,
    with its exact score. ``total`` is the number of live matching documents when every clause was
    scored in full, None when clauses were skipped (the caller counts the matches separately).
    """
    # Bounds are raised by a relative 1e-9: a bound and a score round differently in the last bits, and a
    # bound must never fall below a score it is meant to cap.
    bounds = [scorer.upper_bound(c, segment_ord) * (1 + 1e-9) for c in clauses]
    order = sorted(range(len(clauses)), key=lambda i: -bounds[i])
    partial = scratch.scores  # summed in bound order: used to choose, never returned
    live = segment.live
    touched: list[np.ndarray] = []
    skipped: list[int] = []

    def distinct(lists: list[np.ndarray]) -> np.ndarray:
        # the doc ids of the clauses scanned so far; one clause's are distinct already, unless it is a
        # word over several fields (each field's postings in turn)
        if len(lists) == 1 and not (clauses[order[0]].word and len(clauses[order[0]].fields) > 1):
            return lists[0]
        return scratch.unique(np.concatenate(lists))

    for position, i in enumerate(order):
        touched.append(clause_docs(scorer, clauses[i], segment_ord, segment, scratch, partial))
        remaining = sum(bounds[j] for j in order[position + 1 :])  # summed afresh: subtraction drifts
        if position + 1 == len(order) or not np.isfinite(remaining):
            continue
        seen = distinct(touched)
        alive = seen if live is None else seen[live[seen]]
        if len(alive) < k:
            continue
        approx = partial[alive]
        theta = np.partition(approx, len(alive) - k)[len(alive) - k]
        if remaining < theta:
            # Documents seen so far can gain at most `remaining`; unseen ones score at most that.
            skipped = order[position + 1 :]
            break
    if not skipped:  # every clause was scanned: rank the documents of all (those above are of some)
        seen = distinct(touched) if touched else EMPTY_DOCS
        alive = seen if live is None else seen[live[seen]]
        approx = partial[alive]
    partial[seen] = 0.0
    total = None if skipped else len(alive)
    if skipped:
        keep = approx + remaining >= theta
        alive, approx = alive[keep], approx[keep]
        for i in skipped:
            approx = approx + scorer.lookup_scores(clauses[i], segment_ord, segment, alive, scratch.mark)
    if len(alive) > k:  # the few that can be in the top k, with a margin for rounding
        kth = np.partition(approx, len(alive) - k)[len(alive) - k]
        alive = alive[approx >= kth - abs(kth) * 1e-9]
    # Exact scores, summed in the query's clause order as exhaustive scoring sums them, so a score never
    # depends on the order the bounds chose (ties stay ties, to the last bit).
    final = np.zeros(len(alive), dtype=SCORE)
    for clause in clauses:
        final += scorer.lookup_scores(clause, segment_ord, segment, alive, scratch.mark)
    return alive, final, total
