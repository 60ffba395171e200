"""Searcher: the public face of searching, over a snapshot it swaps whole when it refreshes."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..index.manifest import read_manifest
from ..index.reader import IndexReader
from ..query import Node
from .results import Results
from .scorer import BM25
from .snapshot import Snapshot
from .stats import CollectionStats, FieldStats

if TYPE_CHECKING:
    from .explain import Explanation


class Searcher:
    """Searches one committed generation of an index; what it sees changes only when :meth:`refresh`
    moves it to a newer one.

    One searcher may serve many threads, and one of them may refresh it while the others search: the
    searcher holds a :class:`Snapshot` (a generation and what it learned about it) and a refresh replaces
    it in one assignment, so each call runs start to end on the snapshot it began with, and its hits read
    their stored fields from that generation.

    Args:
        reader: the generation to search.
        scorer: BM25 parameters (``BM25(k1=1.2, b=0.75)`` by default).
        stats: collection statistics to score with, kept across refreshes (by default each snapshot
            counts its own generation's: :class:`~.stats.LocalStats`).
    """

    #: what a caller may tune on a searcher; a refresh carries the values to the new snapshot
    SETTINGS = ("prune", "maxscore_min_docs", "maxscore_min_postings", "max_expansions", "field_tf_cache_bytes",
                "default_fields")

    def __init__(self, reader: IndexReader, scorer: BM25 | None = None, stats: CollectionStats | None = None) -> None:
        self._stats = stats
        self._snapshot = Snapshot(reader, scorer, stats)
        self._refreshing = threading.Lock()

    @property
    def snapshot(self) -> Snapshot:
        """The generation this searcher searches now, with its caches."""
        return self._snapshot

    def refresh(self) -> bool:
        """Move to the latest committed generation; returns False when there is nothing newer. Searches
        in flight finish on the generation they started with."""
        with self._refreshing:
            current = self._snapshot
            directory = current.reader.directory
            if read_manifest(directory).generation == current.reader.generation:
                return False
            fresh = Snapshot(IndexReader(directory, previous=current.reader), current.bm25, self._stats)
            for name in self.SETTINGS:
                setattr(fresh, name, getattr(current, name))
            self._snapshot = fresh  # the one step that moves every later call
        return True

    def search(self, query: str | Node, limit: int = 10, fields: Sequence[str] | None = None,
               **options) -> Results:
        """The best hits for ``query``: see :meth:`Snapshot.search` for every option."""
        return self._snapshot.search(query, limit, fields, **options)

    def search_many(self, queries: Iterable[str | Node], limit: int = 10,
                    fields: Sequence[str] | None = None) -> list[Results]:
        """Run many queries against one snapshot; each result equals ``search(query, limit, fields)``."""
        return self._snapshot.search_many(queries, limit, fields)

    def explain(self, query: str | Node, doc_key: str, fields: Sequence[str] | None = None,
                **options) -> Explanation:
        """How a document scores for ``query`` searched with ``options``: see :meth:`Snapshot.explain`.
        ``results.explain(hit)`` explains a hit of a search that ran, with exactly its options."""
        return self._snapshot.explain(query, doc_key, fields, **options)

    def document(self, doc_key: str) -> dict | None:
        """The stored fields of the document whose ID is ``doc_key``, or None."""
        return self._snapshot.document(doc_key)

    def suggest(self, text: str, fields: Sequence[str] | None = None) -> str | None:
        """"Did you mean": see :meth:`Snapshot.suggest`."""
        return self._snapshot.suggest(text, fields)

    def complete(self, text: str, limit: int = 8, fields: Sequence[str] | None = None) -> list[str]:
        """Completions of the last word of ``text``, best first: see :meth:`Snapshot.complete`."""
        return self._snapshot.complete(text, limit, fields)

    def more_like_this(self, doc_key: str, limit: int = 10, fields: Sequence[str] | None = None,
                       **options) -> Results:
        """Documents like the one whose ID is ``doc_key``: see :meth:`Snapshot.more_like_this`."""
        return self._snapshot.more_like_this(doc_key, limit, fields, **options)

    def field_stats(self, field: str) -> FieldStats:
        """A field's live document count and average length, over the collection."""
        return self._snapshot.field_stats(field)

    @property
    def stats(self) -> CollectionStats:
        """The collection statistics this searcher scores with: those it was given, else the current
        snapshot's own (a :class:`~.stats.LocalStats` over its generation)."""
        return self._snapshot.stats

    @property
    def doc_count(self) -> int:
        """The documents searched (deleted ones not counted)."""
        return self._snapshot.doc_count

    @property
    def reader(self) -> IndexReader:
        return self._snapshot.reader

    @property
    def schema(self):
        return self._snapshot.schema

    @property
    def scorer(self) -> BM25:
        """The BM25 parameters searches score with."""
        return self._snapshot.bm25

    def close(self) -> None:
        """Release the current snapshot's caches. Mapped files close when the last array view goes."""
        self._snapshot.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _setting(name: str) -> property:
    def get(self: Searcher):
        return getattr(self._snapshot, name)

    def set(self: Searcher, value) -> None:
        setattr(self._snapshot, name, value)

    return property(get, set, doc=f"The current snapshot's {name}; a refresh carries it over.")


for _name in Searcher.SETTINGS:
    setattr(Searcher, _name, _setting(_name))
