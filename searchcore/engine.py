"""Index: the facade over one index directory (create, open, write, search, statistics)."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import IndexExistsError, IndexNotFoundError, SchemaError, SearchcoreError, io_error
from .index import fileops
from .index.codec import LOCK, MANIFEST, is_manifest_temp, is_segment_name
from .index.manifest import Manifest, WriteLock, read_manifest, write_manifest
from .index.reader import IndexReader
from .schema import Schema
from .search import BM25, CollectionStats, Searcher

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
        _check_directory(self.path, "open the index at")
        try:
            self._latest = IndexReader(self.path)  # maps every file: a missing or cut one fails here
        except OSError as exc:
            if isinstance(exc, SearchcoreError):
                raise
            raise io_error(self.path, "open the index at", exc) from None
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
        _make_directory(path, "create an index in")
        if (path / MANIFEST).exists():
            raise IndexExistsError(path)
        write_manifest(path, Manifest(0, schema.to_dict()))
        return cls(path)

    @classmethod
    @contextmanager
    def build(cls, path: str | os.PathLike, schema: Schema, lock_timeout: float | None = None,
              resume: bool = True) -> Iterator[Index]:
        """Build a new index that takes the place of the one at ``path`` only if the block succeeds.

        The block writes into a new index in a hidden sibling directory, ``.NAME.building``, committing as
        often as it likes. When the block ends without an error, that index's segments move into ``path``
        and one manifest swap, the atomic rename that ends every commit, makes them the index there; the
        old segments are then removed. Until that swap the old index (if any) is untouched and readable,
        so an error, Ctrl-C or a crash in the block leaves it exactly as it was, and a first build that
        fails leaves no index at ``path``. The write lock of ``path`` is held throughout, so no other
        writer changes the old index meanwhile (its changes would be lost in the swap).

        What an interrupted build committed stays in the sibling directory, and the next ``build`` of the
        same path and schema goes on from it (``resume=False`` starts afresh).

        >>> import searchcore as sc, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "news")
        >>> with sc.Index.build(path, sc.Schema(id=sc.ID(), body=sc.TEXT())) as ix:
        ...     with ix.writer() as w:
        ...         w.add_document(id="1", body="Li Shangfu will visit Belarus")
        >>> sc.Index.open(path).doc_count()
        1

        Raises:
            IndexLockedError: a writer kept the lock of ``path`` past ``lock_timeout``.
            IndexIOError: ``path`` is a file, or a file operation failed.
        """
        if not isinstance(schema, Schema):
            raise SchemaError(f"schema must be a Schema, got {type(schema).__name__}")
        path = Path(path)
        made = _make_directory(path, "build an index in")
        lock = WriteLock(path, lock_timeout)
        try:
            lock.acquire()
        except BaseException:
            if made:
                _remove_empty(path)
            raise
        swapped = False
        try:
            staging = _staging_index(staging_path(path), schema, resume)
            yield staging
            _swap_in(staging.path, path)
            swapped = True
        finally:
            lock.release()
            if not swapped:
                if made and not (path / MANIFEST).exists():
                    _remove_empty(path)
                _discard_if_empty(staging_path(path))

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
            fileops.unlink(path / MANIFEST)  # first: from here on nobody opens this index
            fileops.fsync_dir(path)
            for entry in path.iterdir():
                if is_segment_name(entry.name) and entry.is_dir():
                    fileops.rmtree(entry)
                elif is_manifest_temp(entry.name):
                    fileops.unlink(entry)
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
            self._latest = latest = IndexReader(self.path, previous=latest)
        return latest

    def writer(self, memory_budget_mb: float | None = None, lock_timeout: float | None = None,
               merge: bool = True) -> IndexWriter:
        """The index's writer; waits for the lock (``lock_timeout`` seconds, None: as long as it takes).
        ``memory_budget_mb`` None is the writer's default, 256 MB. ``merge=False`` turns off the merge
        policy (``optimize()`` still merges)."""
        from .index.writer import DEFAULT_MEMORY_BUDGET_MB, IndexWriter

        budget = DEFAULT_MEMORY_BUDGET_MB if memory_budget_mb is None else memory_budget_mb
        return IndexWriter(self.path, budget, lock_timeout, merge, reader=self.reader())

    def searcher(self, scorer: BM25 | None = None, stats: CollectionStats | None = None) -> Searcher:
        """A searcher over the latest committed generation (a snapshot: later commits are not seen).
        ``stats``: collection statistics to score with instead of this index's own (a shard of a larger
        collection scores with the whole collection's, see :class:`~searchcore.search.CollectionStats`)."""
        return Searcher(self.reader(), scorer, stats)

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
        return sum(s.doc_count for s in read_manifest(self.path).segments)

    def stats(self) -> dict:
        """Documents, segments, terms per field, bytes on disk and the generation of the latest commit."""
        reader = self.reader()
        fields = {}
        for name in reader.schema:
            kind = reader.schema[name].kind
            entry: dict = {"kind": kind}
            if kind in ("text", "keyword", "id"):
                entry["terms_per_segment"] = [s.field_meta(name)["num_terms"] for s in reader.segments]
                entry["terms"] = _distinct_terms(reader, name)
            if kind == "text":
                entry["tokens"] = sum(s.field_meta(name)["total_num_tokens"] for s in reader.segments)
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


def _distinct_terms(reader: IndexReader, field: str) -> int:
    """How many different terms ``field`` holds over all segments (a term in two segments counts once)."""
    if len(reader.segments) == 1:
        return reader.segments[0].field_meta(field)["num_terms"]
    terms: set[str] = set()
    for segment in reader.segments:
        fields = segment.text(field) if reader.schema[field].kind == "text" else segment.terms(field)
        terms.update(fields.terms.all())
    return len(terms)


def staging_path(path: Path) -> Path:
    """Where :meth:`Index.build` builds the index that will replace the one at ``path``."""
    return path.parent / f".{path.name}.building"


def _check_directory(path: Path, operation: str) -> None:
    if path.exists() and not path.is_dir():
        raise io_error(path, operation, NotADirectoryError(errno.ENOTDIR, "it is a file, not a directory"))


def _make_directory(path: Path, operation: str) -> bool:
    """Make the index directory ``path`` (and its parents) unless it is there; True if it was made."""
    _check_directory(path, operation)
    made = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise io_error(path, "create the index directory", exc) from None
    return made


def _staging_index(staging: Path, schema: Schema, resume: bool) -> Index:
    """The index to build into: the one an interrupted build left, if it fits, or a new one."""
    if staging.exists():
        if resume:
            try:
                left = Index(staging)
                if left.schema.to_dict() == schema.to_dict():
                    return left
            except SearchcoreError:
                pass  # damaged or half swapped in: start again
        fileops.rmtree(staging)
    return Index.create(staging, schema)


def _swap_in(staging: Path, path: Path) -> None:
    """Move the committed segments of the index at ``staging`` into ``path`` and commit them there as
    its new generation. The caller holds the write lock of ``path``."""
    from .index.writer import remove_unreferenced

    new = read_manifest(staging)
    # First the staging index stops being one, so that a crash further on cannot leave it naming
    # segments that have moved; then the segments move; then one rename commits them at ``path``.
    fileops.unlink(staging / MANIFEST)
    fileops.fsync_dir(staging)
    generation = max(_generation(path), new.generation) + 1
    try:
        for segment in new.segments:
            fileops.replace(staging / segment.name, path / segment.name)
        fileops.fsync_dir(path)
        manifest = Manifest(generation, new.schema, new.segments)
        write_manifest(path, manifest)
    except Exception:
        # Best effort, as a failed writer does: what the manifest on disk does not name goes. Before the
        # rename those are the moved segments; after it (a failed fsync), the old generation's.
        try:
            remove_unreferenced(path, read_manifest(path))
        except (SearchcoreError, OSError):
            pass
        raise
    remove_unreferenced(path, manifest)
    try:
        fileops.rmtree(staging)
    except OSError:
        pass  # committed already; the next build removes what is left


def _generation(path: Path) -> int:
    """The generation of the index at ``path`` (0 if none), read even from a manifest of an older
    format or a damaged one: a rebuild must be able to replace those."""
    try:
        return int(json.loads((path / MANIFEST).read_bytes())["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _discard_if_empty(staging: Path) -> None:
    """Remove a staging index that holds no committed document: nothing there is worth resuming."""
    if not staging.exists():
        return
    try:
        keep = sum(s.doc_count for s in read_manifest(staging).segments) > 0
    except SearchcoreError:
        keep = False
    if not keep:
        try:
            fileops.rmtree(staging)
        except OSError:
            pass  # the next build removes it


def _remove_empty(path: Path) -> None:
    """Remove a directory made for a build that did not complete (only its lock file is in it)."""
    try:
        fileops.unlink(path / LOCK)
        fileops.rmdir(path)
    except OSError:
        pass  # something else was put there meanwhile: leave it
