"""Collectors: what a search keeps of the documents each segment matched, merged across segments.

Execution scores one segment at a time and hands each collector that segment's (doc ids, scores); the
collector keeps what it needs and merges over segments at the end. :class:`TopScores` keeps the best
hits by score (ties in index order), :class:`TopSorted` orders them by a field, :class:`FacetCounts`
counts KEYWORD values over every match and :class:`MatchCount` counts the matches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..index.reader import IndexReader, SegmentReader
from ..schema import DATE, NUMERIC


class MatchCount:
    """How many live documents match: added up segment by segment, or counted on first read for the
    segments whose matches MaxScore did not enumerate."""

    def __init__(self) -> None:
        self._counted = 0
        self._later: list[Callable[[], int]] = []

    def add(self, matches: int) -> None:
        self._counted += matches

    def add_later(self, count: Callable[[], int]) -> None:
        """Count one segment's matches with ``count()`` when the total is first read."""
        self._later.append(count)

    @property
    def pending(self) -> int:
        """Segments whose matches are not counted yet (the next read of :attr:`value` counts them)."""
        return len(self._later)

    @property
    def value(self) -> int:
        while self._later:
            self._counted += self._later.pop()()
        return self._counted


class FacetCounts:
    """Per KEYWORD field, how many of the matching documents hold each value."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self._counts: dict[str, dict[str, int]] = {name: {} for name in fields}

    def collect(self, segment: SegmentReader, docs: np.ndarray) -> None:
        for name in self.fields:
            _count_values(segment, name, docs, self._counts[name])

    def result(self) -> dict[str, list[tuple[str, int]]]:
        """Per field: (value, count), the most frequent first, ties by value."""
        return {name: sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                for name, counts in self._counts.items()}


class TopScores:
    """The hits ranked ``offset`` to ``offset + limit`` by score, ties in index order (segment, doc id)."""

    def __init__(self, offset: int, limit: int) -> None:
        self.offset = offset
        self.wanted = offset + limit
        self._scores: list[np.ndarray] = []
        self._docs: list[np.ndarray] = []
        self._segments: list[int] = []

    def collect(self, segment_ord: int, segment: SegmentReader, docs: np.ndarray, scores: np.ndarray) -> None:
        """Keep one segment's candidates: every doc scoring at least its k-th best (ties kept)."""
        if len(docs):
            docs, scores = _top_k(docs, scores, self.wanted)
            self._scores.append(scores)
            self._docs.append(docs)
            self._segments.append(segment_ord)

    def _keep(self, segment_ord: int, docs: np.ndarray, scores: np.ndarray) -> None:
        self._scores.append(scores)
        self._docs.append(docs)
        self._segments.append(segment_ord)

    def hits(self) -> Iterable[tuple[int, int, float]]:
        """(segment_ord, doc_id, score) of the hits, best first."""
        if not (self._scores and self.wanted):
            return ()
        scores, docs, segments = self._merged()
        order = self._order(scores, docs, segments)[self.offset : self.wanted]
        hit_segments = [self._segments[0]] * len(order) if segments is None else segments[order].tolist()
        return zip(hit_segments, docs[order].tolist(), scores[order].tolist())

    def _merged(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        if len(self._scores) == 1:
            return self._scores[0], self._docs[0], None
        segments = np.repeat(self._segments, [len(d) for d in self._docs])
        return np.concatenate(self._scores), np.concatenate(self._docs), segments

    def _order(self, scores: np.ndarray, docs: np.ndarray, segments: np.ndarray | None) -> np.ndarray:
        return np.lexsort((docs, -scores) if segments is None else (docs, segments, -scores))


class SortKeys:
    """What hits are ordered by when sorted by a field, per segment; made once per snapshot."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self._first_ranks: dict[tuple[int, str], np.ndarray] = {}
        self._values: dict[str, list[str]] = {}

    def keys(self, segment_ord: int, segment: SegmentReader, field: str, docs: np.ndarray) -> np.ndarray:
        """float64[len(docs)] (NaN: no value). A KEYWORD or ID field sorts by a document's smallest value,
        ranked among the values of all segments."""
        if isinstance(self.reader.schema[field], NUMERIC | DATE):
            return segment.values(field)[docs]
        key = (segment_ord, field)
        first = self._first_ranks.get(key)
        if first is None:
            ranks = self._value_ranks(field)
            terms = segment.terms(field)
            term_ranks = np.array([ranks[value] for value in terms.terms.all()], dtype=np.float64)
            first = np.full(segment.max_doc, np.inf)
            np.minimum.at(first, terms.all_doc_ids, np.repeat(term_ranks, np.diff(terms.posting_starts)))
            first[np.isinf(first)] = np.nan
            self._first_ranks[key] = first
        return first[docs]

    def _value_ranks(self, field: str) -> dict[str, float]:
        """Every value of an ID or KEYWORD field, over all segments, to its rank in sorted order."""
        return {value: float(rank) for rank, value in enumerate(self.sorted_values(field))}

    def sorted_values(self, field: str) -> list[str]:
        """Every value of an ID or KEYWORD field over all segments, sorted: a sort key is a rank in it."""
        values = self._values.get(field)
        if values is None:
            found: set[str] = set()
            for segment in self.reader.segments:
                found.update(segment.terms(field).terms.all())
            values = self._values[field] = sorted(found)
        return values

    def clear(self) -> None:
        self._first_ranks.clear()
        self._values.clear()


class TopSorted(TopScores):
    """The hits ranked ``offset`` to ``offset + limit`` by a field's value (documents without one last),
    ties by score, then index order."""

    def __init__(self, offset: int, limit: int, sort_keys: SortKeys, field: str, descending: bool) -> None:
        super().__init__(offset, limit)
        self.sort_keys = sort_keys
        self.field = field
        self.descending = descending
        self._keys: list[np.ndarray] = []

    def collect(self, segment_ord: int, segment: SegmentReader, docs: np.ndarray, scores: np.ndarray) -> None:
        if len(docs):
            self._keys.append(self.sort_keys.keys(segment_ord, segment, self.field, docs))
            self._keep(segment_ord, docs, scores)

    def _merged(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        scores, docs, segments = super()._merged()
        return scores, docs, np.full(len(docs), self._segments[0]) if segments is None else segments

    def _order(self, scores: np.ndarray, docs: np.ndarray, segments: np.ndarray | None) -> np.ndarray:
        keys = np.concatenate(self._keys)
        missing = np.isnan(keys)
        keys = np.where(missing, 0.0, -keys if self.descending else keys)
        return np.lexsort((docs, segments, -scores, keys, missing))


def _top_k(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The candidates for the top ``k``: every doc scoring at least the k-th best score (ties kept)."""
    if len(docs) <= k:
        return docs, scores
    if k == 0:
        return docs[:0], scores[:0]
    at = len(scores) - k
    partitioned = scores.copy()
    partitioned.partition(at)  # the method: np.partition's wrapper costs more than the work at this size
    kth = partitioned[at]
    keep = scores >= kth
    return docs[keep], scores[keep]


def _count_values(segment: SegmentReader, field: str, docs: np.ndarray, counts: dict[str, int]) -> None:
    """Add to ``counts`` how many of ``docs`` hold each value of a KEYWORD field."""
    if not len(docs):
        return
    terms = segment.terms(field)
    chosen = np.zeros(segment.max_doc, dtype=np.int64)
    chosen[docs] = 1
    held = chosen[terms.all_doc_ids]
    starts = terms.posting_starts
    if not len(held):
        return
    per_term = np.add.reduceat(held, np.minimum(starts[:-1], len(held) - 1))
    empty = starts[1:] == starts[:-1]  # reduceat gives an empty range its start's value: zero them
    per_term[empty] = 0
    for term_ord in np.flatnonzero(per_term).tolist():
        value = terms.terms.decode(term_ord)
        counts[value] = counts.get(value, 0) + int(per_term[term_ord])
