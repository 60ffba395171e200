"""The scorer: the only code that turns term frequencies, length norms and idf into scores.

:class:`BM25Scorer` scores a plan's clauses in one segment for the exhaustive path, bounds and looks them
up for MaxScore, and gives explanations their numbers, all through the same expressions, so that the three
agree to the last bit. Its statistics come from a :class:`~searchcore.search.stats.CollectionStats`.

The formulas: Lucene BM25 and its multi-field form BM25F.

Single field, exactly as Lucene >= 8 computes it (``BM25Similarity``, which drops the constant
factor ``k1 + 1`` of Robertson's formula: the ranking is the same)::

    score(t, d) = idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
    idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))

with N the number of documents that have the field, df the number of those holding t, dl the number
of terms the analyzer emitted for the document's field (exact, not Lucene's one-byte approximation)
and avgdl the mean of dl over those N documents.

Several fields, as BM25F (Robertson, Zaragoza and Taylor 2004; Zaragoza et al., TREC 2004): each
field's frequency is length-normalised on its own and weighted by the field's boost, and the
weighted sum is saturated once::

    tf~(t, d)   = sum over fields f of  boost_f * tf_f / (1 - b + b * dl_f / avgdl_f)
    score(t, d) = idf(t) * tf~ / (k1 + tf~)

where df counts documents holding t in any of the fields and N documents having any of them.
With one field and boost 1, tf~ / (k1 + tf~) equals tf / (tf + k1 * (1 - b + b * dl / avgdl)):
BM25F reduces to Lucene BM25.
"""

from __future__ import annotations

import math

import numpy as np

from .._types import SCORE
from ..errors import ArgumentError
from ..index.reader import IndexReader, SegmentReader
from . import sparse
from .cache import BoundedCache
from .postings import PostingsCache, field_freqs, keyword_matches


class BM25:
    """The parameters of Lucene BM25 / BM25F.

    Args:
        k1: term-frequency saturation, >= 0 (1.2 by default, as in Lucene).
        b: length normalisation, in [0, 1] (0.75 by default).

    Raises:
        ValueError: a parameter out of its range.
    """

    __slots__ = ("k1", "b")

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        if not (isinstance(k1, int | float) and math.isfinite(k1) and k1 >= 0):
            raise ArgumentError(f"k1 must be >= 0, got {k1!r}")
        if not (isinstance(b, int | float) and 0 <= b <= 1):
            raise ArgumentError(f"b must be in [0, 1], got {b!r}")
        self.k1 = float(k1)
        self.b = float(b)

    def __repr__(self) -> str:
        return f"BM25(k1={self.k1}, b={self.b})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BM25) and (self.k1, self.b) == (other.k1, other.b)

    def __hash__(self) -> int:
        return hash((self.k1, self.b))


def idf(doc_freq, doc_count):
    """Lucene BM25 idf: ``ln(1 + (N - df + 0.5) / (df + 0.5))``; never negative.

    >>> round(float(idf(1, 10)), 5)
    1.99243
    """
    return np.log1p((doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def length_norms(doc_lens: np.ndarray, avg_doc_len: float, b: float) -> np.ndarray:
    """``1 - b + b * dl / avgdl`` for every document: float64[max_doc], computed once per searcher."""
    if avg_doc_len <= 0:
        return np.ones(len(doc_lens), dtype=SCORE)
    return (1.0 - b) + (b / avg_doc_len) * doc_lens.astype(SCORE)


def saturate(weighted_tf, k1: float):
    """``tf~ / (k1 + tf~)`` of a length-normalised, boosted frequency (an array or a float). A word's BM25F
    score is its idf (times the query boost) times this, multiplied in that order on every path, so that
    exhaustive scoring, MaxScore's bounds and explain agree to the last bit."""
    return weighted_tf / (k1 + weighted_tf)


def block_tf_bounds(b: float, avg_doc_len: float, slope: float, max_tfs: np.ndarray, min_ratios: np.ndarray,
                    max_normed: np.ndarray) -> np.ndarray:
    """The largest ``tf / norm`` each block of postings can hold, from the bounds stored with it (see
    codec.TERM_BLOCKS): at most ``1 / ((1 - b) / max_tf + b / avgdl * min_ratio)``, and at most
    ``max_normed * max(1, slope / r) / (1 - b)`` with ``r = b / ((1 - b) * avgdl)``."""
    if avg_doc_len <= 0:  # no average length: every norm is 1 (length_norms)
        b = 0.0
    bound = 1.0 / ((1.0 - b) / max_tfs + (b / avg_doc_len if b else 0.0) * min_ratios.astype(SCORE))
    if 0.0 < b < 1.0 and slope > 0:
        r = b / ((1.0 - b) * avg_doc_len)
        bound = np.minimum(bound, max_normed.astype(SCORE) * (max(1.0, slope / r) / (1.0 - b)))
    return bound


_EMPTY_DOCS = np.empty(0, dtype=np.int64)
_EMPTY_SCORES = np.empty(0, dtype=SCORE)


def _nbytes(found: tuple[np.ndarray, np.ndarray]) -> int:
    return found[0].nbytes + found[1].nbytes


class BM25Scorer:
    """BM25F scores of a generation's clauses, segment by segment, with global statistics.

    Args:
        params: k1 and b.
        reader: the generation.
        stats: the collection statistics (N, doc freq, average field lengths).
        postings: the generation's word look-ups, shared with the statistics.
    """

    def __init__(self, params: BM25, reader: IndexReader, stats, postings: PostingsCache) -> None:
        self.params = params
        self.k1, self.b = params.k1, params.b
        self.reader = reader
        self.stats = stats
        self.postings = postings
        self.boosts = {name: reader.schema[name].boost for name in reader.schema.text_fields}
        self._norms: dict[tuple[int, str], np.ndarray] = {}
        self._max_tfs = BoundedCache(200_000)
        self._blocks = BoundedCache(max_bytes=8 << 20, sizeof=lambda found: sum(a.nbytes for a in found))
        #: each word's (doc ids, weighted tf), for segments below ``cache_below_docs`` documents
        self.field_tfs = BoundedCache(max_bytes=8 << 20, sizeof=_nbytes)
        #: segments this large are scored by MaxScore, which skips most postings: their tfs are not kept
        self.cache_below_docs = 65_536

    def clear(self) -> None:
        self._norms.clear()
        self._max_tfs.clear()
        self._blocks.clear()
        self.field_tfs.clear()

    # -- one field -----------------------------------------------------------------------------------------
    def norms(self, segment_ord: int, field: str) -> np.ndarray:
        """float64[max_doc]: ``1 - b + b * dl / avgdl`` of each document of one segment's field."""
        key = (segment_ord, field)
        norms = self._norms.get(key)
        if norms is None:
            doc_lens = self.reader.segments[segment_ord].text(field).doc_lens
            norms = self._norms[key] = length_norms(doc_lens, self.stats.field_stats(field).avg_doc_len, self.b)
        return norms

    def weighted_tf(self, segment_ord: int, field: str, docs: np.ndarray, freqs: np.ndarray) -> np.ndarray:
        """``boost * tf / norm`` of postings in one field: the BM25F weighted term frequency. Every path
        that scores a word computes it here, explanations on one-element arrays, so they agree to the last
        bit (``1.0 * tf`` is exact, hence the shortcut)."""
        norms = self.norms(segment_ord, field)[docs]
        boost = self.boosts[field]
        return freqs / norms if boost == 1.0 else boost * freqs / norms

    def score(self, weight, weighted_tf):
        """A word's score: its weight (idf times the query boost) times ``tf~ / (k1 + tf~)``."""
        return weight * saturate(weighted_tf, self.k1)

    def exact_score(self, weight: float) -> float:
        """The score of an exact ID or KEYWORD term: tf 1 and no length norm, ``weight / (1 + k1)``."""
        return weight / (1.0 + self.k1)

    def field_tf(self, segment_ord: int, field: str, term: str,
                 saturated: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc ids as intp, each document's weighted tf~, or with ``saturated`` its ``tf~ / (k1 + tf~)``)
        for a term in one segment's TEXT field; None when the segment does not hold it. A word searched in
        one field needs only the saturated values; over several fields, the tf~ are summed first. Kept in
        ``field_tfs`` (the oldest dropped first) for segments scored exhaustively: query words repeat from
        one query to the next, and this is most of a word's work before scoring."""
        key = (segment_ord, field, term, saturated)
        found = self.field_tfs.get(key)
        if found is None:
            postings = self.postings.word(segment_ord, field, term)
            if postings is None:
                return None
            docs = postings[0].astype(np.intp, copy=False)  # once: indexing with a narrow dtype casts on every use
            values = self.weighted_tf(segment_ord, field, docs, postings[1])
            found = docs, saturate(values, self.k1) if saturated else values
            if self.reader.segments[segment_ord].max_doc < self.cache_below_docs:
                self.field_tfs.put(key, found)
        return found

    def max_weighted_tf(self, segment_ord: int, field: str, term: str) -> float:
        """The largest ``tf / norm`` of a term in one segment's field (0 if absent)."""
        key = (segment_ord, field, term)
        value = self._max_tfs.get(key)
        if value is None:
            postings = self.postings.word(segment_ord, field, term)
            value = 0.0
            if postings is not None and len(postings[0]):
                docs, freqs = postings
                value = float(np.max(freqs / self.norms(segment_ord, field)[docs]))
            self._max_tfs.put(key, value)
        return value

    def block_bounds(self, segment_ord: int, field: str, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(lo, hi, bound) of the blocks of a term's postings in one segment's field: block i holds
        documents of [lo[i], hi[i]] only, and none of them has a ``boost * tf / norm`` above bound[i]
        (see codec.TERM_BLOCKS for why). None when the segment has no block bounds for the field; empty
        arrays when it lacks the term."""
        key = (segment_ord, field, term)
        found = self._blocks.get(key)
        if found is None:
            text = self.reader.segments[segment_ord].text(field)
            if text.blocks is None:
                return None
            term_ord = text.term_ord(term)
            if term_ord < 0:
                found = _EMPTY_DOCS, _EMPTY_DOCS, _EMPTY_SCORES
            else:
                lo, hi, max_tfs, min_ratios, max_normed = text.term_blocks(term_ord)
                avg = self.stats.field_stats(field).avg_doc_len
                bounds = block_tf_bounds(self.b, avg, text.blocks.slope, max_tfs, min_ratios, max_normed)
                found = lo, hi, self.boosts[field] * bounds
            self._blocks.put(key, found)
        return found

    # -- clauses -------------------------------------------------------------------------------------------
    def word_tf(self, clause, segment_ord: int, dense_tf: np.ndarray,
                scoring: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """(doc ids, each document's saturated tf ``tf~ / (k1 + tf~)``) of a word clause, or (doc ids, None)
        when not ``scoring``; the clause's score is its weight times the saturated tf.

        One word over one or more fields (BM25F): each field's tf is normalised by its own length and
        weighted by the field's boost; a document's weighted tfs are summed over the fields (in
        ``dense_tf``, a zeroed work array as long as the segment, left zeroed), then saturated once. Over
        one field the doc ids are unique; over several a doc id repeats, with the same value at each.
        """
        field_tf = self.field_tf
        if len(clause.fields) == 1:  # the common case: the saturated values are kept, ready to weigh
            found = field_tf(segment_ord, clause.fields[0], clause.terms[0][0][0], True) if clause.terms[0] else None
            if found is None:
                return _EMPTY_DOCS, None
            return found[0], found[1] if scoring else None
        fields = [tf for field, pairs in zip(clause.fields, clause.terms)
                  if pairs and (tf := field_tf(segment_ord, field, pairs[0][0], False)) is not None]
        if not fields:
            return _EMPTY_DOCS, None
        if len(fields) == 1:
            docs, weighted_tf = fields[0]
            return docs, saturate(weighted_tf, self.k1) if scoring else None
        docs = np.concatenate([one[0] for one in fields])
        if not scoring:
            return docs, None
        for field_docs, contribution in fields:
            dense_tf[field_docs] += contribution  # unique within one field's postings
        weighted_tf = dense_tf[docs]
        dense_tf[docs] = 0.0
        return docs, saturate(weighted_tf, self.k1)

    def clause_scores(self, clause, segment_ord: int, segment: SegmentReader) -> tuple[np.ndarray, np.ndarray]:
        """(doc_ids: int64[m], unique, sorted; scores: float64[m] > 0) of one clause in one segment."""
        if clause.keyword:
            docs = keyword_matches(segment, clause.fields[0], (v for v, _ in clause.terms[0]))
            return docs, np.full(len(docs), self.exact_score(clause.weight))
        docs, weighted_tf = _EMPTY_DOCS, _EMPTY_SCORES
        for field, pairs in zip(clause.fields, clause.terms):
            if not pairs:
                continue
            field_docs, freqs = field_freqs(segment.text(field), pairs, clause.slop, clause.group)
            if len(field_docs):
                # BM25F: each field's frequency is normalised by its own length, weighted, then summed
                contribution = self.weighted_tf(segment_ord, field, field_docs, freqs)
                docs, weighted_tf = sparse.add(docs, weighted_tf, field_docs, contribution)
        if len(clause.fields) > 1 and len(docs):
            order = np.argsort(docs, kind="stable")
            docs, weighted_tf = docs[order], weighted_tf[order]
        return docs, self.score(clause.weight, weighted_tf)

    def upper_bound(self, clause, segment_ord: int) -> float:
        """The highest score ``clause`` can give a document of one segment (inf when unknown: phrases)."""
        if clause.keyword:
            return self.exact_score(clause.weight)
        if clause.phrase or clause.group:
            return float("inf")
        weight = 0.0
        for field, pairs in zip(clause.fields, clause.terms):
            if pairs:
                weight += self.boosts[field] * self.max_weighted_tf(segment_ord, field, pairs[0][0])
        return self.score(clause.weight, weight) if weight > 0 else 0.0

    def lookup_scores(self, clause, segment_ord: int, segment: SegmentReader, docs: np.ndarray,
                      mark: np.ndarray | None = None) -> np.ndarray:
        """The clause's scores for the documents ``docs`` only (0 where it does not match), by binary search
        (or, given ``mark``, a work array as long as the segment, through it where ``docs`` are many: see
        :func:`.sparse.member`)."""
        if clause.phrase or clause.group or clause.keyword:  # scored in full, then looked up
            clause_docs, clause_scores = self.clause_scores(clause, segment_ord, segment)
            hit, at = sparse.member(clause_docs, docs, mark)
            return np.where(hit, clause_scores[at] if len(clause_scores) else 0.0, 0.0)
        if len(clause.fields) == 1:  # the common case: each hit's one weighted tf, scored at once
            field, pairs = clause.fields[0], clause.terms[0]
            postings = self.postings.word(segment_ord, field, pairs[0][0]) if pairs else None
            scores = np.zeros(len(docs), dtype=SCORE)
            if postings is not None:
                hit, at = sparse.member(postings[0], docs, mark)
                scores[hit] = self.score(clause.weight, self.weighted_tf(segment_ord, field, docs[hit],
                                                                         postings[1][at[hit]]))
            return scores
        weighted_tf = np.zeros(len(docs), dtype=SCORE)
        for field, pairs in zip(clause.fields, clause.terms):
            postings = self.postings.word(segment_ord, field, pairs[0][0]) if pairs else None
            if postings is not None:
                field_docs, freqs = postings
                hit, at = sparse.member(field_docs, docs, mark)
                weighted_tf[hit] += self.weighted_tf(segment_ord, field, docs[hit], freqs[at[hit]])
        matched = weighted_tf > 0
        scores = np.zeros(len(docs), dtype=SCORE)
        scores[matched] = self.score(clause.weight, weighted_tf[matched])
        return scores
