"""Collection statistics: what BM25 needs to know about the whole collection, behind one small interface.

A score is computed per segment, but its statistics are the collection's: N (the documents having the
searched fields), each term's document frequency and each field's average length. Counting them over
every segment makes a document's score independent of how the index is split into segments. They come
through :class:`CollectionStats`, so a searcher over one shard can score with statistics gathered from
all shards: :class:`LocalStats` counts them over the segments of one generation, deleted documents left
out, and remembers what it counted.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..index.reader import IndexReader, SegmentReader
from ..schema import TEXT
from .cache import BoundedCache, memo_cache
from .postings import PostingsCache


@dataclass(frozen=True)
class FieldStats:
    """A field over the live documents of a collection."""

    #: documents with the field: at least one token of a TEXT field, one value of an ID or KEYWORD field
    docs: int
    #: the mean number of tokens over those documents (TEXT fields; 0.0 for others)
    avg_doc_len: float


@runtime_checkable
class CollectionStats(Protocol):
    """The statistics a scorer and a planner read; any object with these three methods will do."""

    def field_stats(self, field: str) -> FieldStats:
        """The field's document count and average length."""

    def doc_count(self, fields: tuple[str, ...]) -> int:
        """N for a clause over ``fields``: the live documents having at least one of them."""

    def doc_freq(self, terms: tuple[tuple[str, str], ...]) -> int:
        """The live documents holding any of the (field, term) pairs ``terms``."""


#: values one segment keeps per kind (document frequencies, term look-ups) across generations
SEGMENT_ENTRIES = 50_000


def per_segment(segment: SegmentReader, kind: str, key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered in the segment's memo (carried across generations while the segment and
    its deletions are unchanged) under ``kind`` and ``key``; ``compute`` must not return None."""
    memo = memo_cache(segment.memo, kind, SEGMENT_ENTRIES)
    value = memo.get(key)
    return memo.put(key, compute()) if value is None else value


def _segment_doc_count(segment: SegmentReader, fields: tuple[str, ...]) -> int:
    has_any = np.zeros(segment.max_doc, dtype=bool)
    for field in fields:
        has_any |= segment.text(field).doc_lens > 0
    if segment.live is not None:
        has_any &= segment.live
    return int(np.count_nonzero(has_any))


class LocalStats:
    """Collection statistics counted over the segments of one generation, each remembered once counted."""

    def __init__(self, reader: IndexReader, postings: PostingsCache) -> None:
        self.reader = reader
        self.schema = reader.schema
        self._postings = postings
        self._fields: dict[str, FieldStats] = {}
        self._doc_counts = BoundedCache()
        self._doc_freqs = BoundedCache()

    def field_stats(self, field: str) -> FieldStats:
        stats = self._fields.get(field)
        if stats is None:
            text = isinstance(self.schema[field], TEXT)
            docs = tokens = 0
            for segment in self.reader.segments:
                if segment.live is None:
                    meta = segment.field_meta(field)
                    docs += meta["docs_with_field"]
                    tokens += meta.get("total_num_tokens", 0)
                elif text:  # deleted documents count neither in N nor in avgdl
                    doc_lens = segment.text(field).doc_lens[segment.live]
                    docs += int(np.count_nonzero(doc_lens))
                    tokens += int(doc_lens.sum(dtype=np.int64))
                else:
                    holds = np.zeros(segment.max_doc, dtype=bool)
                    holds[segment.terms(field).all_doc_ids] = True
                    docs += int(np.count_nonzero(holds & segment.live))
            stats = self._fields[field] = FieldStats(docs, tokens / docs if text and docs else 0.0)
        return stats

    def doc_count(self, fields: tuple[str, ...]) -> int:
        if len(fields) == 1:
            return self.field_stats(fields[0]).docs
        n = self._doc_counts.get(fields)
        if n is None:
            n = sum(per_segment(segment, "doc_count", fields, lambda: _segment_doc_count(segment, fields))
                    for segment in self.reader.segments)
            self._doc_counts.put(fields, n)
        return n

    def doc_freq(self, terms: tuple[tuple[str, str], ...]) -> int:
        df = self._doc_freqs.get(terms)
        if df is None:
            df = sum(per_segment(segment, "doc_freq", terms, lambda: self._postings.holding(segment_ord, terms))
                     for segment_ord, segment in enumerate(self.reader.segments))
            self._doc_freqs.put(terms, df)
        return df

    def clear(self) -> None:
        self._fields.clear()
        self._doc_counts.clear()
        self._doc_freqs.clear()
