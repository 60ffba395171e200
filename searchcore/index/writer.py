"""IndexWriter: the one writer of an index. Buffers documents, flushes segments, commits them atomically.

Documents go into a SegmentBuilder; when its memory estimate passes the budget the builder is written
out as a segment (not yet visible). ``commit()`` flushes what is left and swaps the manifest to list the
new segments; ``cancel()`` deletes them. Nothing a writer does is visible to readers before a commit,
and an interrupted writer leaves the last committed generation as it was.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DocumentError, SchemaError, SearchcoreError
from .builder import SegmentBuilder
from .manifest import Manifest, SegmentInfo, WriteLock, read_manifest, write_manifest
from .reader import IndexReader

DEFAULT_MEMORY_BUDGET_MB = 256.0


class IndexWriter:
    """Adds documents to an index; use as a context manager (commits on a clean exit, cancels on an error).

    Args:
        directory: the index directory (it must hold an index).
        memory_budget_mb: flush a segment when the buffered documents are estimated to take this much memory.
        lock_timeout: seconds to wait for another writer to finish; None waits as long as it takes.

    Raises:
        IndexLockedError: another writer kept the lock past ``lock_timeout``.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
        lock_timeout: float | None = None,
    ) -> None:
        if not memory_budget_mb > 0:
            raise ValueError(f"memory_budget_mb must be > 0, got {memory_budget_mb!r}")
        self.directory = Path(directory)
        self.memory_budget = int(memory_budget_mb * 2**20)
        self._lock = WriteLock(self.directory, lock_timeout)
        self._lock.acquire()
        try:
            self._base = read_manifest(self.directory)
            self._remove_leftovers()
        except BaseException:
            self._lock.release()
            raise
        self._committed = IndexReader(self.directory, self._base)
        self.schema = self._committed.schema
        self._builder = SegmentBuilder(self.schema)
        self._pending: list[SegmentInfo] = []
        self._pending_ids: set[str] = set()
        self._closed = False

    def _remove_leftovers(self) -> None:
        """Delete segment folders and manifest temporaries that no commit ever named (a crashed writer's)."""
        live = {s.name for s in self._base.segments}
        for entry in self.directory.iterdir():
            if entry.name.startswith("seg_") and entry.is_dir() and entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith("manifest.json.tmp-"):
                entry.unlink(missing_ok=True)

    # -- adding -------------------------------------------------------------------------------------------
    def add_document(self, **fields: Any) -> None:
        """Add one document; field names must be in the schema.

        Raises:
            SchemaError: a field that is not in the schema.
            DocumentError: a value of the wrong type, a missing ID, or an ID already in the index.
        """
        self._check_open()
        doc = self._normalize(fields)
        id_field = self.schema.id_field
        if id_field is not None:
            key = doc[id_field]
            if key in self._pending_ids or self._committed.find_id(key) is not None:
                raise DocumentError(f"document {key!r}: an ID {key!r} is already in the index")
            self._pending_ids.add(key)
        self._builder.add(doc)
        if self._builder.memory() >= self.memory_budget:
            self.flush()

    def add_documents(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add every document of ``docs``; returns how many were added."""
        count = 0
        for doc in docs:
            self.add_document(**doc)
            count += 1
        return count

    def _normalize(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self.schema.normalize_document(fields)
        except (SchemaError, DocumentError) as exc:
            id_field = self.schema.id_field
            key = fields.get(id_field) if id_field else None
            if key is None or str(exc).startswith("document "):
                raise
            raise type(exc)(f"document {key!r}: {exc}") from None

    def flush(self) -> None:
        """Write the buffered documents as a new segment (visible only after commit)."""
        self._check_open()
        if self._builder.num_docs == 0:
            return
        name = f"seg_{uuid.uuid4().hex[:16]}"
        files = self._builder.write(self.directory / name)
        self._pending.append(SegmentInfo(name, self._builder.num_docs, files))
        self._builder = SegmentBuilder(self.schema)

    # -- ending -------------------------------------------------------------------------------------------
    def commit(self) -> None:
        """Make every document added so far visible, atomically and durably. The writer stays usable."""
        self._check_open()
        self.flush()
        if not self._pending:
            return
        manifest = Manifest(
            self._base.generation + 1, self._base.schema, self._base.segments + tuple(self._pending)
        )
        write_manifest(self.directory, manifest)
        self._base = manifest
        self._committed = IndexReader(self.directory, manifest)
        self._pending = []
        self._pending_ids.clear()

    def cancel(self) -> None:
        """Drop every document added since the last commit and release the lock."""
        self.close()

    def close(self) -> None:
        """Drop what was not committed and release the lock."""
        if self._closed:
            return
        self._closed = True
        try:
            for info in self._pending:
                shutil.rmtree(self.directory / info.name, ignore_errors=True)
            self._pending = []
            self._builder = SegmentBuilder(self.schema)
        finally:
            self._lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise SearchcoreError("this writer is closed; open a new one with Index.writer()")

    @property
    def buffered(self) -> int:
        """Documents added and not yet committed."""
        return self._builder.num_docs + sum(s.num_docs for s in self._pending)

    def __enter__(self) -> IndexWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.commit()
            finally:
                self.close()
        else:
            self.cancel()
