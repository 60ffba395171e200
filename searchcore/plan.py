"""Query plans: a query resolved against one snapshot's statistics, ready to score segment by segment.

A plan is a tree of :class:`BoolPlan` over :class:`Clause` (a word, phrase or expanded term with its
index terms per field and its global idf) and :class:`RangePlan` (a NUMERIC or DATE range as numbers).
The functions here read one segment's postings for a clause: term frequencies, phrase and sloppy phrase
matches, and the summed frequencies of an expanded term's alternatives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import sparse
from ._types import SCORE
from .errors import SchemaError
from .index.reader import SegmentReader, TextReader
from .query import Node
from .schema import NUMERIC, date_period

_EMPTY_DOCS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Clause:
    """A word, phrase or expanded term resolved against the index: terms per field, and its global idf.

    ``terms`` holds, per field, (term, relative position) pairs: one pair for a word, several for a
    phrase, or, when ``group`` is set, the alternatives a prefix, wildcard or fuzzy term expanded to,
    scored as one term whose tf is theirs summed (Lucene's SynonymQuery).
    """

    fields: tuple[str, ...]
    terms: tuple[tuple[tuple[str, int], ...], ...]
    keyword: bool
    idf: float
    boost: float = 1.0
    slop: int = 0
    group: bool = False

    def __post_init__(self) -> None:
        # Derived once here, read on every segment of every query (functools.cached_property takes a lock
        # on first use, which costs more than these expressions).
        phrase = not self.group and any(len(pairs) > 1 for pairs in self.terms)
        object.__setattr__(self, "phrase", phrase)  # several terms at relative positions
        object.__setattr__(self, "word", not (self.keyword or self.group or phrase))  # scored from its tf alone
        object.__setattr__(self, "weight", self.idf * self.boost)  # what the saturated tf is multiplied by


@dataclass(frozen=True)
class RangePlan:
    """A NUMERIC or DATE range as numbers; it matches without adding to the score."""

    field: str
    low: float
    high: float
    include_low: bool
    include_high: bool

    def mask(self, values: np.ndarray) -> np.ndarray:
        above = values >= self.low if self.include_low else values > self.low
        below = values <= self.high if self.include_high else values < self.high
        return above & below  # NaN (no value) compares False


@dataclass(frozen=True)
class BoolPlan:
    should: tuple[Any, ...]
    must: tuple[Any, ...]
    must_not: tuple[Any, ...]

    def __post_init__(self) -> None:
        # only optional word clauses: a plain disjunction, the common query
        words_only = not (self.must or self.must_not) and all(type(c) is Clause and c.word for c in self.should)
        object.__setattr__(self, "words_only", words_only)


def highlight_terms(plan) -> dict[str, frozenset[str]]:
    """The index terms per field of the clauses that score in ``plan`` (not those of must_not clauses, nor
    exact ID or KEYWORD terms): what highlighting marks."""
    found: dict[str, set[str]] = {}
    todo = [plan]
    while todo:
        node = todo.pop()
        if isinstance(node, BoolPlan):
            todo.extend(node.should + node.must)
        elif isinstance(node, Clause) and not node.keyword:
            for field, pairs in zip(node.fields, node.terms):
                found.setdefault(field, set()).update(term for term, _ in pairs)
    return {field: frozenset(terms) for field, terms in found.items()}


def range_end(ftype, field: str, value, high: bool, included: bool) -> tuple[float, bool]:
    """(number, included) of one end of a range. A DATE end given as a year, a month or a day stands for
    the whole period (see :func:`~searchcore.schema.date_period`): ``[a TO b]`` runs to the end of b,
    ``{a TO`` starts after a."""
    if value is None:
        return (np.inf if high else -np.inf), True
    if isinstance(ftype, NUMERIC):
        try:
            return float(value), included
        except (TypeError, ValueError):
            raise SchemaError(f"range end {value!r} of NUMERIC field {field!r} is not a number") from None
    if isinstance(value, str):
        try:
            start, end = date_period(value)
        except ValueError:
            raise SchemaError(f"range end {value!r} of DATE field {field!r} is not an ISO 8601 date") from None
        if end > start and high == included:  # through the end of the period, or from the one after
            return end, not included
        return start, included
    whole_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    seconds = ftype.normalize(field, value)[0]
    if whole_day and (high == included):  # through the end of the day, or from the day after
        return seconds + 86_400.0, not included
    return seconds, included


def keyword_matches(segment: SegmentReader, field: str, values: Iterable[str]) -> np.ndarray:
    """int64[m], sorted: the documents holding any of ``values`` in an ID or KEYWORD field."""
    terms = segment.terms(field)
    found = [terms.doc_ids(o) for o in (terms.term_ord(v) for v in values) if o >= 0]
    if not found:
        return _EMPTY_DOCS
    docs = found[0].astype(np.int64) if len(found) == 1 else np.unique(np.concatenate(found).astype(np.int64))
    return docs


def field_freqs(reader: TextReader, clause: Clause, pairs: tuple[tuple[str, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(doc_ids: int64, sorted; frequencies: float64) of one clause in one field: a word's term
    frequencies, a phrase's match counts, or a group's summed term frequencies."""
    if not clause.group:
        return term_freqs(reader, pairs, clause.slop)
    docs, freqs = np.empty(0, np.int64), np.empty(0, SCORE)
    for term, _ in pairs:
        term_ord = reader.term_ord(term)
        if term_ord >= 0:
            term_docs, freqs_of_term = reader.postings(term_ord)
            docs, freqs = sparse.add(docs, freqs, term_docs.astype(np.int64), freqs_of_term.astype(SCORE))
    order = np.argsort(docs, kind="stable")
    return docs[order], freqs[order]


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
        keep = np.isin(doc_of_position, candidates)
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


def as_list(filter) -> list:
    """A filter argument (None, one query, or several) as a list of queries."""
    if filter is None:
        return []
    if isinstance(filter, str | Node):
        return [filter]
    return list(filter)
