"""Index: the facade over one index directory (create, open, write, search, statistics)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import IndexExistsError, IndexNotFoundError, SchemaError
from .index.codec import MANIFEST, fsync_dir
from .index.manifest import Manifest, WriteLock, read_manifest, write_manifest
from .index.reader import IndexReader
from .schema import Schema
from .scoring.bm25 import BM25
from .search import Searcher

if TYPE_CHECKING:  # imported when first used: `search QUERY` never loads the writing and checking code
    from .index.check import CheckReport
    from .index.writer import IndexWriter


class Index:
    """An index directory. Any number of searchers, one writer at a time.

    >>> import searchcore as sc, tempfile
    >>> ix = sc.Index.create(tempfile.mkdtemp(), sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True)))
    >>> with ix.writer() as w:
    ...     w.add_document(id="1", body="Li Shangfu will visit Russia and Belarus")
    >>> with ix.searcher() as s:
    ...     [hit.id for hit in s.search("Belarus visits")]
    ['1']
    """

    def __init__(self, path: str | os.PathLike) -> None:
        """Open the index at ``path`` (see :meth:`open`)."""
        self.path = Path(path)
        self._latest = IndexReader(self.path)  # maps every file: a missing or cut one fails here
        self.schema = self._latest.schema

    @classmethod
    def create(cls, path: str | os.PathLike, schema: Schema) -> Index:
        """Create an empty index at ``path`` (the directory is made if needed).

        Raises:
            IndexExistsError: ``path`` already holds an index.
        """
        if not isinstance(schema, Schema):
            raise SchemaError(f"schema must be a Schema, got {type(schema).__name__}")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if (path / MANIFEST).exists():
            raise IndexExistsError(path)
        write_manifest(path, Manifest(0, schema.to_dict()))
        return cls(path)

    @classmethod
    def open(cls, path: str | os.PathLike) -> Index:
        """Open an existing index.

        Raises:
            IndexNotFoundError: no index at ``path``.
            IndexCorruptError, IndexVersionError: the manifest cannot be read.
        """
        return cls(path)

    @staticmethod
    def delete(path: str | os.PathLike, lock_timeout: float | None = None) -> None:
        """Remove the index at ``path`` (its manifest and segments; other files are left alone), holding the
        write lock so no writer is in the middle of a commit. The lock file itself stays: writers waiting on
        it must keep waiting on the same file.

        Raises:
            IndexNotFoundError: no index at ``path``.
            IndexLockedError: a writer kept the lock past ``lock_timeout``.
        """
        path = Path(path)
        if not (path / MANIFEST).is_file():
            raise IndexNotFoundError(path)
        lock = WriteLock(path, lock_timeout)
        lock.acquire()
        try:
            (path / MANIFEST).unlink()  # first: from here on nobody opens this index
            fsync_dir(path)
            for entry in path.iterdir():
                if entry.name.startswith("seg_") and entry.is_dir():
                    shutil.rmtree(entry)
                elif entry.name.startswith(f"{MANIFEST}.tmp-"):
                    entry.unlink()
        finally:
            lock.release()

    @staticmethod
    def exists(path: str | os.PathLike) -> bool:
        return (Path(path) / MANIFEST).is_file()

    def reader(self) -> IndexReader:
        """A reader over the latest committed generation.

        Readers are immutable snapshots, safe to share between searchers and threads, and opening one maps
        every file of its generation. So the index keeps the last reader it opened and hands it out again
        while the manifest file is byte for byte the one it was opened from; a commit changes the file.
        (The kept reader holds its generation's files open: space freed by a merge returns to the disk
        when a newer reader replaces it or the Index is dropped.)
        """
        latest = self._latest
        try:
            unchanged = (self.path / MANIFEST).read_bytes() == latest.manifest.raw
        except FileNotFoundError:
            unchanged = False  # deleted: IndexReader says so
        if not unchanged:
            self._latest = latest = IndexReader(self.path)
        return latest

    def writer(self, memory_budget_mb: float | None = None, lock_timeout: float | None = None,
               merge: bool = True) -> IndexWriter:
        """The index's writer; waits for the lock (``lock_timeout`` seconds, None: as long as it takes).
        ``memory_budget_mb`` None is the writer's default, 256 MB. ``merge=False`` turns off the merge
        policy (``optimize()`` still merges)."""
        from .index.writer import DEFAULT_MEMORY_BUDGET_MB, IndexWriter

        budget = DEFAULT_MEMORY_BUDGET_MB if memory_budget_mb is None else memory_budget_mb
        return IndexWriter(self.path, budget, lock_timeout, merge)

    def searcher(self, scorer: BM25 | None = None) -> Searcher:
        """A searcher over the latest committed generation (a snapshot: later commits are not seen)."""
        return Searcher(self.reader(), scorer)

    def optimize(self, lock_timeout: float | None = None) -> None:
        """Merge every segment into one, dropping deleted documents for good. Scores do not change."""
        with self.writer(lock_timeout=lock_timeout) as w:
            w.optimize()

    def check(self) -> CheckReport:
        """Verify every file's checksum and the structural invariants of every segment (reads the whole index)."""
        from .index.check import check_index

        return check_index(self.path)

    def doc_count(self) -> int:
        """The number of documents in the latest committed generation."""
        return sum(s.live_docs for s in read_manifest(self.path).segments)

    def stats(self) -> dict:
        """Documents, segments, terms per field, bytes on disk and the generation of the latest commit."""
        reader = self.reader()
        fields = {}
        for name in reader.schema:
            kind = reader.schema[name].kind
            entry: dict = {"kind": kind}
            if kind in ("text", "keyword", "id"):
                entry["terms_per_segment"] = [s.field_stats(name)["num_terms"] for s in reader.segments]
            if kind == "text":
                entry["tokens"] = sum(s.field_stats(name)["total_num_tokens"] for s in reader.segments)
            fields[name] = entry
        size = sum(f["size"] for s in reader.manifest.segments for f in s.files.values())
        size += (self.path / MANIFEST).stat().st_size
        return {
            "path": str(self.path),
            "generation": reader.generation,
            "documents": reader.doc_count,
            "segments": len(reader.segments),
            "deleted": sum(s.info.num_deleted for s in reader.segments),
            "size_bytes": size,
            "fields": fields,
        }

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"
