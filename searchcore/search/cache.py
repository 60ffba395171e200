"""The one cache policy of the search side: a dict bounded in entries (and optionally bytes), oldest out first.

A snapshot remembers what it learns about its generation (term look-ups, document frequencies, planned
clauses, per-segment arrays) in these. A generation never changes, so nothing is ever stale: entries leave
only to bound memory. Reads are a plain ``dict.get``; writes take a lock, so threads sharing a snapshot
may fill one cache at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

#: entries a cache keeps unless told otherwise
DEFAULT_ENTRIES = 100_000


class BoundedCache:
    """Up to ``max_entries`` values (and, with ``sizeof``, up to ``max_bytes`` of them), the oldest
    dropped first when a new one does not fit. A value larger than ``max_bytes`` is not kept at all."""

    __slots__ = ("_data", "get", "max_entries", "max_bytes", "_sizeof", "_bytes", "_lock")

    def __init__(self, max_entries: int = DEFAULT_ENTRIES, max_bytes: int | None = None,
                 sizeof: Callable[[Any], int] | None = None) -> None:
        self._data: dict[Hashable, Any] = {}
        #: ``get(key, default=None)``: the dict's own method, so a read costs one C call
        self.get: Callable[..., Any] = self._data.get
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, key: Hashable, value: Any) -> Any:
        """Keep ``value`` under ``key`` if it fits, making room by dropping the oldest; returns ``value``."""
        if self._sizeof is None and len(self._data) < self.max_entries - 1:
            # room to spare, nothing to count: one dict store, atomic without the lock (threads racing
            # here can overfill by a few entries, which the next put with the lock drops)
            self._data[key] = value
            return value
        size = self._sizeof(value) if self._sizeof is not None else 0
        if self.max_bytes is not None and size > self.max_bytes:
            return value
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= self._sizeof(old) if self._sizeof is not None else 0
            while self._data and (len(self._data) >= self.max_entries or
                                  (self.max_bytes is not None and self._bytes + size > self.max_bytes)):
                oldest = next(iter(self._data))
                dropped = self._data.pop(oldest)
                self._bytes -= self._sizeof(dropped) if self._sizeof is not None else 0
            self._data[key] = value
            self._bytes += size
        return value

    @property
    def nbytes(self) -> int:
        """The bytes held, as ``sizeof`` counts them (0 without it)."""
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._data


def memo_cache(memo: dict[str, Any], kind: str, max_entries: int = DEFAULT_ENTRIES) -> BoundedCache:
    """The cache kept under ``kind`` in ``memo`` (a segment's, carried across generations: see
    ``SegmentReader.memo``), made on first use; threads racing to make it share the one kept."""
    cache = memo.get(kind)
    if cache is None:
        cache = memo.setdefault(kind, BoundedCache(max_entries))
    return cache
