"""Postings as a query reads them in one segment: a word's (doc ids, term frequencies), a phrase's matches,
an expanded term's summed frequencies, the documents holding exact values of an ID or KEYWORD field.

:class:`PostingsCache` remembers the look-ups of one snapshot: words repeat from one query to the next.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

from .._types import SCORE
from ..index.codec import distinct
from ..index.reader import IndexReader, SegmentReader, TextReader
from ..schema import TEXT
from . import sparse
from .cache import BoundedCache, memo_cache

_EMPTY_DOCS = np.empty(0, dtype=np.int64)
_UNKNOWN = object()


class PostingsCache:
    """The postings of words in one generation's TEXT fields, looked up once per snapshot: the arrays
    themselves when they are views of the mapped files, the term's reader and ordinal when they must be
    decoded (doc ids split in runs). Decoded lists are kept only for the query that decoded them
    (:meth:`one_query`), which reads a word several times: summed, looked up, scored again exactly."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self._found = BoundedCache()
        self._query = threading.local()  # .decoded: this thread's query's decoded lists, or None

    @contextmanager
    def one_query(self) -> Iterator[None]:
        """Within it, a list of split doc ids is decoded once for this thread, then freed when it ends."""
        self._query.decoded = {}
        try:
            yield
        finally:
            self._query.decoded = None

    def word(self, segment_ord: int, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc ids, term frequencies) of a term in one segment's TEXT field, or None when the segment
        does not hold it."""
        key = (segment_ord, field, term)
        found = self._found.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            segment = self.reader.segments[segment_ord]
            memo = memo_cache(segment.memo, "postings")  # carried from the generations before
            found = memo.get((field, term), _UNKNOWN)
            if found is _UNKNOWN:
                text = segment.text(field)
                term_ord = text.term_ord(term)
                found = None if term_ord < 0 else (text, term_ord) if text.split else text.postings(term_ord)
                memo.put((field, term), found)
            self._found.put(key, found)
        if found is None or type(found[1]) is np.ndarray:
            return found
        decoded = getattr(self._query, "decoded", None)
        if decoded is None:
            return found[0].postings(found[1])
        postings = decoded.get(key)
        if postings is None:
            postings = decoded[key] = found[0].postings(found[1])
        return postings

    def holding(self, segment_ord: int, terms: tuple[tuple[str, str], ...]) -> int:
        """How many live documents of one segment hold any of ``terms``, (field, term) pairs of TEXT, ID
        or KEYWORD fields: one list's length when nothing is deleted (its postings unread), else their
        doc ids joined and counted. A term's document frequency, and the match count of an OR of words."""
        segment = self.reader.segments[segment_ord]
        if len(terms) == 1 and segment.live is None:
            field, term = terms[0]
            reader = segment.text(field) if isinstance(self.reader.schema[field], TEXT) else segment.terms(field)
            term_ord = reader.term_ord(term)
            return reader.doc_freq(term_ord) if term_ord >= 0 else 0
        found = [docs for field, term in terms if (docs := self._doc_ids(segment_ord, field, term)) is not None]
        return sparse.count_union(found, segment.max_doc, segment.live) if found else 0

    def _doc_ids(self, segment_ord: int, field: str, term: str) -> np.ndarray | None:
        if isinstance(self.reader.schema[field], TEXT):
            postings = self.word(segment_ord, field, term)
            return None if postings is None else postings[0]
        values = self.reader.segments[segment_ord].terms(field)
        term_ord = values.term_ord(term)
        return None if term_ord < 0 else values.doc_ids(term_ord)

    def clear(self) -> None:
        self._found.clear()


def keyword_matches(segment: SegmentReader, field: str, values: Iterable[str]) -> np.ndarray:
    """int64[m], sorted: the documents holding any of ``values`` in an ID or KEYWORD field."""
    terms = segment.terms(field)
    found = [terms.doc_ids(o) for o in (terms.term_ord(v) for v in values) if o >= 0]
    if not found:
        return _EMPTY_DOCS
    docs = found[0].astype(np.int64) if len(found) == 1 else distinct(np.concatenate(found).astype(np.int64))
    return docs


def field_freqs(reader: TextReader, pairs: tuple[tuple[str, int], ...], slop: int = 0,
                group: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(doc_ids: int64, sorted; frequencies: float64) of one clause in one field: a word's term
    frequencies, a phrase's match counts, or with ``group`` its alternatives' summed term frequencies."""
    if not group:
        return term_freqs(reader, pairs, slop)
    found = [reader.postings(term_ord) for term_ord in (reader.term_ord(term) for term, _ in pairs) if term_ord >= 0]
    if not found:
        return np.empty(0, np.int64), np.empty(0, SCORE)
    if len(found) == 1:
        return found[0][0].astype(np.int64), found[0][1].astype(SCORE)
    return sparse.add_all([docs for docs, _ in found], [freqs for _, freqs in found], len(reader.doc_lens))


def term_freqs(reader: TextReader, pairs: tuple[tuple[str, int], ...], slop: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(doc_ids, frequencies) of one term, or of a phrase (its terms at their relative positions; with
    ``slop``, in order with at most ``slop`` extra positions between the first and the last)."""
    term_ords = [reader.term_ord(term) for term, _ in pairs]
    if min(term_ords) < 0:
        return np.empty(0, np.int64), np.empty(0, SCORE)
    if len(pairs) == 1:
        docs, freqs = reader.postings(term_ords[0])
        return docs.astype(np.int64), freqs.astype(SCORE)
    # Phrase: documents holding every term, then the start positions every term agrees on.
    candidates = reader.postings(term_ords[0])[0]
    for term_ord in term_ords[1:]:
        candidates = np.intersect1d(candidates, reader.postings(term_ord)[0], assume_unique=True)
    keyed = []  # per term: doc << 32 | position, sorted, for the candidate documents
    for term_ord in term_ords:
        docs, freqs = reader.postings(term_ord)
        positions = reader.positions(term_ord).astype(np.int64)
        doc_of_position = np.repeat(docs.astype(np.int64), freqs)
        keep = sparse.member(candidates, doc_of_position)[0]  # np.isin would import numpy.ma first (15 ms)
        keyed.append((doc_of_position[keep] << 32) | positions[keep])
    if slop == 0:
        starts = None
        for keys, (_, offset) in zip(keyed, pairs):
            keys = keys[(keys & 0xFFFFFFFF) >= offset] - offset
            starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
    else:
        # from each occurrence of the first term, take the earliest next occurrence of each following
        # term; that leaves the least room between first and last, so it decides whether one exists
        first = keyed[0]
        current = first
        valid = np.ones(len(first), dtype=bool)
        for keys in keyed[1:]:
            at = np.searchsorted(keys, current + 1)
            found = at < len(keys)
            following = keys[np.minimum(at, len(keys) - 1)] if len(keys) else current
            valid &= found & ((following >> 32) == (current >> 32))
            current = np.where(valid, following, current)
        span = pairs[-1][1] - pairs[0][1]
        extra = (current & 0xFFFFFFFF) - (first & 0xFFFFFFFF) - span
        starts = first[valid & (extra <= slop)]
    docs, freqs = np.unique(starts >> 32, return_counts=True)
    return docs, freqs.astype(SCORE)
