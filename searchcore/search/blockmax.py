"""Block-max MaxScore: the exact top k of an OR of words over long posting lists, reading only the blocks
of postings that can hold one of the k.

Each term's postings are stored in blocks of 128 with a bound on any posting's ``boost * tf / norm``
(codec.TERM_BLOCKS). Weighted and saturated as the term's scores are, a block's bound plus the bounds of
the other clauses (their largest over the segment) is the block's cap: no document in it scores more.
A document scoring theta or more is then in a block whose cap reaches theta, in the list of every term
it holds. The search, in whole arrays rather than a document at a time:

1. MaxScore's first step: the words of short lists (an eighth of the query's postings or less) are read
   whole and summed; the documents whose sum plus the other words' bounds reaches the k-th sum look those
   words up. A rare word gives theta, the k-th best score so far, at once, and the documents holding it
   are done with.
2. The doc ids left in three stretches, a sixteenth, three sixteenths and the rest, so that theta rises
   after each. In each, the blocks whose caps reach theta are read and summed, but for MaxScore's split:
   the clauses of least bound whose bounds add up to less than theta are optional (a document only they
   hold cannot reach theta), and when their blocks would be more to read than the others', the candidates
   the others give look them up instead, those that can still reach theta.
3. The best, with a margin for rounding. A document whose clauses were all read was summed in the query's
   clause order, as exhaustive scoring sums them: its score is exact to the last bit. Those that looked
   clauses up, or scored below theta, are scored again clause by clause in order.

Blocks whose cap is below theta are never read. The block bounds are Ding and Suel's ("Faster top-k
document retrieval using block-max indexes", SIGIR 2011), the split Turtle and Flood's (1995). The result
is exact: tests/properties/test_maxscore.py holds it equal to exhaustive scoring, in blocks of one to
three postings and doc ids split in runs of four, so that every step runs.

Choosing blocks costs a few dozen numpy calls, which a short list does not repay: below MIN_POSTINGS_ONE
a word's list is read whole. Several words are left to :mod:`.maxscore` (or exhaustive scoring) at every
length measured, MIN_POSTINGS being infinite: MaxScore skips a common word's whole list and looks it up
for its candidates, which cost less than reading its blocks on the generated corpora up to 100x (see
MIN_POSTINGS and the README). The steps for several words stay, proved exact, for a caller that lowers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._types import SCORE
from .exhaustive import EMPTY_DOCS, EMPTY_SCORES, Scratch
from .scorer import saturate
from .sparse import member

if TYPE_CHECKING:
    from ..index.reader import SegmentReader, TextReader
    from .plan import Clause
    from .scorer import BM25Scorer

#: block-max takes one word from MIN_POSTINGS_ONE postings, and several words from MIN_POSTINGS in all: below
#: them the caller scores as before, by MaxScore or exhaustively. Measured on the generated 10x, 50x and
#: 100x corpora (215,790 to 2,157,900 documents), each query's best of five by every path: one word gains
#: from 32,768 postings (50x, 32,768-65,536: 0.59 against 0.86 ms read whole; 100x, 262,144+: 0.88 against
#: 9.8) and not below (16,384-32,768: 0.57 against 0.54 at 50x, 0.53 against 0.40 at 10x). Several words
#: gained at no size: MaxScore, which skips a common word's list and looks it up for its candidates, was as
#: fast or faster up to the longest queries of the logs (100x, two words, 262,144-524,288 postings: 3.95
#: against 4.23 ms; three: 4.5 against 5.2), so MIN_POSTINGS is infinite and the tests set it to 0. Choosing
#: blocks costs a few dozen numpy calls before the first posting is read (0.3 ms on a list of a few hundred).
MIN_POSTINGS = float("inf")
MIN_POSTINGS_ONE = 32768
#: a word whose postings are at most this share of the query's is read whole first (MaxScore's step)
SHORT_SHARE = 8
#: optional clauses are read, not looked up, when their blocks hold fewer than this many times the postings
#: of the others' (a look-up costs more than reading a posting, and most candidates need one)
LOOKUP_RATIO = 1.0
#: candidates lacking clauses are scored again whole (exact at once) when at most this many times k; more
#: look up only the clauses they lack, and the best of them are scored again at the end
RESCORE_FEW = 4
_NO_BLOCKS = np.empty(0, dtype=np.intp)
_SLACK = 1e-9  # bounds are raised by this relative amount: a bound and a score round differently


class _List:
    """One field of one clause in a segment: the term's reader and ordinal, and its blocks' caps."""

    __slots__ = ("clause", "field", "text", "term_ord", "doc_freq", "lo", "hi", "bound", "largest", "caps")

    def __init__(self, clause: int, field: str, text: TextReader, term_ord: int, doc_freq: int, blocks) -> None:
        self.clause, self.field, self.text, self.term_ord, self.doc_freq = clause, field, text, term_ord, doc_freq
        self.lo, self.hi, self.bound = blocks  # per block: its documents' range, the largest boost * tf / norm
        self.largest = float(self.bound.max())  # the list's largest boost * tf / norm
        self.caps = self.bound  # per block: the largest score of a document in it (set by top_k_blocks)

    def blocks(self, theta: float, start: int, stop: int) -> np.ndarray:
        """The blocks holding documents of [start, stop) whose caps reach theta."""
        return np.flatnonzero((self.caps >= theta) & (self.hi >= start) & (self.lo < stop))

    def read(self, which: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc ids, term frequencies) of the postings in [start, stop) of the blocks ``which``."""
        if not len(which):
            return None
        docs, freqs = self.text.block_postings(self.term_ord, which)
        if self.lo[which[0]] < start or self.hi[which[-1]] >= stop:
            keep = (docs >= start) & (docs < stop)
            docs, freqs = docs[keep], freqs[keep]
        return docs, freqs


def word_lists(clauses: tuple[Clause, ...], segment: SegmentReader) -> list[tuple[int, str, str, TextReader, int, int]]:
    """(clause number, field, term, the field's reader, the term's ordinal, its list's length) of each
    word of the word ``clauses`` that one segment holds; a length counts deleted documents too."""
    found = []
    for number, clause in enumerate(clauses):
        for field, pairs in zip(clause.fields, clause.terms):
            if pairs:
                text = segment.text(field)
                term_ord = text.term_ord(pairs[0][0])
                if term_ord >= 0:
                    found.append((number, field, pairs[0][0], text, term_ord, text.doc_freq(term_ord)))
    return found


def top_k_blocks(
    scorer: BM25Scorer, clauses: tuple[Clause, ...], segment_ord: int, segment: SegmentReader, k: int,
    scratch: Scratch, found: list[tuple[int, str, str, TextReader, int, int]],
) -> tuple[np.ndarray, np.ndarray, int | None] | None:
    """Candidates for the top ``k`` of an OR of word ``clauses`` in one segment: (docs, scores, None),
    as :func:`~.maxscore.top_k_disjunction` gives them (every live document of the true top k, ties at
    the k-th score included, with its exact score; the matches are not counted). ``found`` is their
    :func:`word_lists`. None when the lists are short enough to be read whole, or a field of the segment
    has no block bounds (an earlier format)."""
    postings = sum(one[-1] for one in found)
    if found and postings < (MIN_POSTINGS_ONE if len(clauses) == 1 else MIN_POSTINGS):
        return None
    lists: list[_List] = []
    for number, field, term, text, term_ord, doc_freq in found:
        blocks = scorer.block_bounds(segment_ord, field, term)
        if blocks is None:
            return None
        lists.append(_List(number, field, text, term_ord, doc_freq, blocks))
    if not lists:
        return EMPTY_DOCS, EMPTY_SCORES, 0
    live, max_doc = segment.live, segment.max_doc
    found_docs: list[np.ndarray] = []
    found_scores: list[np.ndarray] = []
    looked_up: list[np.ndarray] = []
    theta = 0.0
    # Bounds. A clause's: its fields' largest weighted tfs summed, saturated, weighted (BM25F).
    k1, slack = scorer.k1, 1 + _SLACK
    clause_tf = np.zeros(len(clauses), dtype=SCORE)
    for one in lists:
        clause_tf[one.clause] += one.largest
    weights = np.array([clause.weight for clause in clauses], dtype=SCORE)
    clause_bounds = weights * saturate(clause_tf, k1) * slack

    # 1. MaxScore's first step: the words of short lists read whole and summed; the documents whose sum
    # plus the other words' bounds reaches the k-th sum look the other words up. A rare word gives theta
    # at once, and the documents it is in are done with.
    per_clause = np.bincount([one.clause for one in lists], [one.doc_freq for one in lists], minlength=len(clauses))
    short = (per_clause * SHORT_SHARE <= postings) & (per_clause > 0)
    done = EMPTY_DOCS
    if short.any():
        whole = [np.arange(len(one.bound)) if short[one.clause] else _NO_BLOCKS for one in lists]
        done, partial = _sum_blocks(scorer, clauses, lists, whole, ~short, 0, max_doc, segment_ord, scratch)
        docs = done
        if live is not None:
            docs, partial = done[live[done]], partial[live[done]]
        done = np.sort(done)
        lookups = False
        if (~short).any():
            docs, partial, lookups = _completed(scorer, clauses, ~short, clause_bounds, _kth(partial, k), segment_ord,
                                                segment, docs, partial, k)
        found_docs.append(docs)
        found_scores.append(partial)
        looked_up.append(np.full(len(docs), lookups))
        theta = _kth(partial, k)
        lists = [one for one in lists if not short[one.clause]]
        clause_bounds[short] = 0.0
    # A block's cap, for the documents left (none holds a short word): its own bound in place of its
    # field's largest, plus every other clause's bound.
    for one in lists:
        others = float(clause_bounds.sum() - clause_bounds[one.clause])  # summed afresh: bounds never drift
        rest_of_clause = float(sum(o.largest for o in lists if o.clause == one.clause and o is not one))
        one.caps = (weights[one.clause] * saturate(one.bound + rest_of_clause, k1) * slack + others) * slack

    # 2. doc ids in three stretches, a sixteenth, three sixteenths and the rest, so that theta, the k-th
    # best score so far, rises after each
    ascending = np.argsort(clause_bounds, kind="stable")
    cumulative = np.cumsum(clause_bounds[ascending])
    stretches = ((0, max_doc // 16), (max_doc // 16, max_doc // 4), (max_doc // 4, max_doc)) if lists else ()
    size = lists[0].text.blocks.size if lists else 0
    for start, stop in stretches:
        if stop <= start:
            continue
        reading = [one.blocks(theta, start, stop) for one in lists]
        # MaxScore's split: the clauses of least bound adding up to less than theta are optional, looked up
        # for the candidates the others give, when that reads less than their blocks would
        optional = np.zeros(len(clauses), dtype=bool)
        optional[ascending[cumulative < theta]] = True
        optional &= clause_bounds > 0
        blocks = np.bincount([one.clause for one in lists], [len(which) * size for which in reading],
                             minlength=len(clauses))
        if blocks[optional].sum() < LOOKUP_RATIO * blocks[~optional].sum():
            optional[:] = False
        docs, partial = _sum_blocks(scorer, clauses, lists, reading, optional, start, stop, segment_ord, scratch)
        keep = live[docs] if live is not None else None
        if len(done) and len(docs):
            fresh = ~member(done, docs)[0]
            keep = fresh if keep is None else keep & fresh
        if keep is not None:
            docs, partial = docs[keep], partial[keep]
        lookups = False
        if optional.any() and len(docs):
            floor = max(theta, _kth(np.concatenate([*found_scores, partial]), k))
            docs, partial, lookups = _completed(scorer, clauses, optional, clause_bounds, floor, segment_ord, segment,
                                                docs, partial, k)
        found_docs.append(docs)
        found_scores.append(partial)
        looked_up.append(np.full(len(docs), lookups))
        theta = max(theta, _kth(np.concatenate(found_scores), k))
        if theta > 0:  # what scores below theta now cannot be among the k (the margin kept for rounding)
            floor = theta - abs(theta) * _SLACK
            for i, scores in enumerate(found_scores):
                keep = scores >= floor
                found_docs[i], found_scores[i], looked_up[i] = found_docs[i][keep], scores[keep], looked_up[i][keep]

    # The best, with a margin for rounding. A document scoring theta or more was read in every block of
    # its terms, its clauses summed in the query's order as exhaustive scoring sums them: its score is
    # exact. Those below theta, in the margin, and those whose optional clauses were looked up (summed
    # last) are scored again, clause by clause in order.
    docs, scores, again = np.concatenate(found_docs), np.concatenate(found_scores), np.concatenate(looked_up)
    if len(docs) > k:
        kth = np.partition(scores, len(docs) - k)[len(docs) - k]
        keep = scores >= kth - abs(kth) * _SLACK
        docs, scores, again = docs[keep], scores[keep], again[keep]
    again |= scores < theta
    if again.any():
        scores = scores.copy()
        scores[again] = _exact(scorer, clauses, segment_ord, segment, docs[again])
    return docs, scores, None


def _kth(scores: np.ndarray, k: int) -> float:
    """The k-th largest of ``scores``, or 0 when there are fewer."""
    if len(scores) < k:
        return 0.0
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def _completed(scorer: BM25Scorer, clauses: tuple[Clause, ...], missing: np.ndarray, clause_bounds: np.ndarray,
               floor: float, segment_ord: int, segment: SegmentReader, docs: np.ndarray, partial: np.ndarray,
               k: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Of ``docs``, whose ``partial`` scores lack the ``missing`` clauses, those that the missing clauses'
    bounds can still lift to ``floor``, with their scores completed: (docs, scores, whether the scores are
    only exact up to rounding). A few documents are scored again whole, in clause order (exact); more look
    up only what they lack (summed last: rounded otherwise than exhaustive scoring would)."""
    keep = partial + float(clause_bounds[missing].sum()) * (1 + _SLACK) >= floor
    docs, partial = docs[keep], partial[keep]
    if len(docs) <= RESCORE_FEW * k:
        return docs, _exact(scorer, clauses, segment_ord, segment, docs), False
    for number in np.flatnonzero(missing).tolist():
        partial = partial + scorer.lookup_scores(clauses[number], segment_ord, segment, docs)
    return docs, partial, True


def _exact(scorer: BM25Scorer, clauses: tuple[Clause, ...], segment_ord: int, segment: SegmentReader,
           docs: np.ndarray) -> np.ndarray:
    """The scores of ``docs``, the clauses looked up and added in the query's order (exhaustive scoring's)."""
    scores = np.zeros(len(docs), dtype=SCORE)
    if len(docs):
        for clause in clauses:
            scores += scorer.lookup_scores(clause, segment_ord, segment, docs)
    return scores


def _sum_blocks(scorer: BM25Scorer, clauses: tuple[Clause, ...], lists: list[_List], reading: list[np.ndarray],
                optional: np.ndarray, start: int, stop: int, segment_ord: int,
                scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """(unique doc ids, summed scores) of the documents in [start, stop) of the blocks ``reading[i]`` of
    each list ``lists[i]`` of the clauses not ``optional``, summed as exhaustive scoring sums them."""
    scores, dense_tf, k1 = scratch.scores, scratch.weighted_tf, scorer.k1
    touched = []
    for number, clause in enumerate(clauses):
        if optional[number]:
            continue
        fields = []
        for one, which in zip(lists, reading):
            found = one.read(which, start, stop) if one.clause == number else None
            if found is not None:
                fields.append((found[0], scorer.weighted_tf(segment_ord, one.field, *found)))
        if not fields:
            continue
        if len(fields) == 1:
            docs, weighted_tf = fields[0]
            if len(lists) == 1:  # one list: its doc ids are distinct, no summing needed
                return docs, clause.weight * saturate(weighted_tf, k1)
        else:  # BM25F: the fields' weighted tfs summed per document, then saturated once
            for field_docs, values in fields:
                dense_tf[field_docs] += values
            docs = np.concatenate([field_docs for field_docs, _ in fields])
            weighted_tf = dense_tf[docs]
            dense_tf[docs] = 0.0
        scores[docs] += clause.weight * saturate(weighted_tf, k1)
        touched.append(docs)
    if not touched:
        return EMPTY_DOCS, EMPTY_SCORES
    docs = scratch.unique(np.concatenate(touched)) if len(touched) > 1 or len(lists) > 1 else touched[0]
    result = scores[docs]
    scores[docs] = 0.0
    return docs, result
