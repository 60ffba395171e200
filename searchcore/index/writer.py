"""IndexWriter: the one writer of an index. Adds, updates and deletes documents; commits atomically.

Documents go into a SegmentBuilder; when its memory estimate passes the budget the builder is written
out as a segment (not yet visible). Deletions are remembered per segment. ``commit()`` flushes what is
left, writes a new deletion bitmap for each segment that lost documents, runs the merge policy (one
merge, or until it has nothing left to do after a bulk load), and swaps the manifest to name the new
generation. Until that swap nothing is visible, and a crash at any moment leaves the last committed
generation as it was; the next writer removes the leftovers. Every file operation goes through
:mod:`fileops`, so a failed one (disk full, an I/O error) raises an IndexIOError naming its file; the
writer then removes what it wrote since the last commit and refuses further use.

Every ID added since the commit is filed with where its document is: a segment and doc id once it is
in a segment, or a *holder* and position while it waits to be: this writer's builder, or a bulk
load's worker process. When a holder hands over its segments, positions become (segment, doc id).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArgumentError, DocumentError, SchemaError, SearchcoreError
from . import codec, fileops
from .builder import SegmentBuilder, compact_json
from .manifest import Manifest, SegmentInfo, WriteLock, read_manifest, write_manifest
from .merge import merge_segments, pick_merge
from .reader import IndexReader, SegmentReader, read_deletions

DEFAULT_MEMORY_BUDGET_MB = 256.0
_BUFFER = ""  # the holder of the documents in this writer's builder (a position there is a doc id)


def content_digest(doc: Mapping[str, Any]) -> int:
    """A 64-bit digest of a normalised document, to tell an unchanged re-add from a real update.

    It is blake2b over the document as compact JSON with sorted keys, so it stays the same across
    versions and processes for the same document.
    """
    text = compact_json(doc, sort_keys=True)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class IndexWriter:
    """Adds, updates and deletes documents; use as a context manager (commits on a clean exit, cancels on
    an error).

    Args:
        directory: the index directory (it must hold an index).
        memory_budget_mb: flush a segment when the buffered documents are estimated to take this much memory.
        lock_timeout: seconds to wait for another writer to finish; None waits as long as it takes.
        merge: run the merge policy at commit (one bounded merge at most, except after a bulk load).
        reader: a reader of this index, of any generation: the segments it holds are not opened again.

    Raises:
        IndexLockedError: another writer kept the lock past ``lock_timeout``.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
        lock_timeout: float | None = None,
        merge: bool = True,
        reader: IndexReader | None = None,
    ) -> None:
        if not memory_budget_mb > 0:
            raise ArgumentError(f"memory_budget_mb must be > 0, got {memory_budget_mb!r}")
        self.directory = Path(directory)
        self.memory_budget = int(memory_budget_mb * 2**20)
        self.merge = merge
        self._lock = WriteLock(self.directory, lock_timeout)
        self._lock.acquire()
        try:
            self._base = read_manifest(self.directory)
            remove_unreferenced(self.directory, self._base)
            self._committed = IndexReader(self.directory, self._base, previous=reader)
        except BaseException:
            self._lock.release()
            raise
        self.schema = self._committed.schema
        self._closed = False
        self._failed: BaseException | None = None
        self._optimize = False
        self._merge_fully = False  # the next commit runs the merge policy until it has nothing to do
        self._reset()

    def _reset(self) -> None:
        self._builder = SegmentBuilder(self.schema)
        self._pending: list[SegmentInfo] = []  # flushed segments, not yet committed
        # segment name or holder -> doc ids (positions for a holder) deleted since the commit
        self._deleted: dict[str, set[int]] = {}
        # ID -> (segment name or holder, doc id or position, digest); the digest is None until known
        self._pending_ids: dict[str, tuple[str, int, int | None]] = {}
        self._held: dict[str, list[str | None]] = {}  # holder -> the IDs it holds, by position

    # -- finding ------------------------------------------------------------------------------------------
    def _locate(self, key: str) -> tuple[str, int, int | None] | None:
        """(segment name or holder, doc id or position, digest) of the live document with ID ``key``, or
        None. The digest is None for a document a worker holds that arrived without one."""
        found = self._pending_ids.get(key)
        if found is not None:
            return found
        found = self._committed.find_id(key)
        if found is None:
            return None
        segment = self._committed.segments[found[0]]
        if found[1] in self._deleted.get(segment.name, ()):
            return None
        return segment.name, found[1], int(segment.hashes()[found[1]])

    # -- adding, updating, deleting -----------------------------------------------------------------------
    def add_document(self, **fields: Any) -> None:
        """Add one document; field names must be in the schema.

        Raises:
            SchemaError: a field that is not in the schema.
            DocumentError: a value of the wrong type, a missing ID, or an ID already in the index (use
                :meth:`update_document` to replace a document).
        """
        self._check_open()
        doc = self._normalize(fields)
        key = self._key(doc)
        if key is not None and self._locate(key) is not None:
            raise DocumentError(f"document {key!r}: an ID {key!r} is already in the index "
                                f"(update_document replaces it)")
        self.add_prepared(doc, key)

    def update_document(self, **fields: Any) -> str:
        """Replace the document with the same ID, or add it if there is none.

        Returns:
            "added", "updated", or "unchanged" when the stored document is identical (then nothing is written).

        Raises:
            SchemaError, DocumentError: as :meth:`add_document`; the schema must have an ID field.
        """
        doc, key, digest, status = self.prepare_update(fields)
        if status != "unchanged":
            self.add_prepared(doc, key, digest)
        return status

    def delete_document(self, doc_key: str) -> bool:
        """Delete the document whose ID is ``doc_key``; returns False (and does nothing) if there is none."""
        self._check_open()
        if self.schema.id_field is None:
            raise SchemaError("delete_document needs an ID field in the schema")
        key = str(doc_key)
        found = self._locate(key)
        if found is None:
            return False
        self._delete(key, found)
        return True

    def add_documents(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add every document of ``docs``; returns how many were added."""
        count = 0
        for doc in docs:
            self.add_document(**doc)
            count += 1
        return count

    def _key(self, doc: dict) -> str | None:
        return doc[self.schema.id_field] if self.schema.id_field is not None else None

    def _delete(self, key: str, found: tuple[str, int, int | None]) -> None:
        self._deleted.setdefault(found[0], set()).add(found[1])
        self._pending_ids.pop(key, None)

    def _normalize(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self.schema.normalize_document(fields)
        except (SchemaError, DocumentError) as exc:
            id_field = self.schema.id_field
            key = fields.get(id_field) if id_field else None
            if key is None or str(exc).startswith("document "):
                raise
            raise type(exc)(f"document {key!r}: {exc}") from None

    # -- the bulk-load protocol -----------------------------------------------------------------------------
    # What :func:`~searchcore.index.parallel.bulk_index` drives a writer with: check each document with
    # prepare_update, then either add it here (add_prepared) or file it under a *holder* (hold), a worker
    # process that writes segments of its own and hands them over (adopt) before each commit; and ask
    # for the merges a bulk load needs (merge_fully_at_next_commit). Other callers use
    # add_document / update_document / delete_document.

    def prepare_update(self, fields: Mapping[str, Any]) -> tuple[dict, str, int | None, str]:
        """Check a document for update: (normalised doc, ID, digest, status). The document it replaces,
        if any, is deleted here; the caller adds the new one unless the status is "unchanged". The digest
        is None for a new ID: nothing needs it yet, and whoever adds the document computes it (a bulk
        load's workers, rather than the process feeding them)."""
        self._check_open()
        doc = self._normalize(fields)
        key = self._key(doc)
        if key is None:
            raise SchemaError("update_document needs an ID field in the schema")
        found = self._locate(key)
        if found is None:
            return doc, key, None, "added"
        digest = content_digest(doc)
        if found[2] == digest:  # a digest not known yet (None) never matches: the update is written
            return doc, key, digest, "unchanged"
        self._delete(key, found)
        return doc, key, digest, "updated"

    def add_prepared(self, doc: dict, key: str | None, digest: int | None = None) -> None:
        """Add a normalised document to this writer's buffer: one :meth:`prepare_update` returned (its
        old version deleted), or one :meth:`add_document` checked. ``digest`` None computes it here."""
        digest = content_digest(doc) if digest is None else digest
        doc_id = self._builder.add(doc, digest)
        position = self.hold(_BUFFER, key, digest)
        assert position == doc_id
        if self._builder.memory() >= self.memory_budget:
            self.flush()

    def hold(self, holder: str, key: str | None, digest: int | None) -> int:
        """File the next document sent to ``holder`` (a name of the caller's, e.g. "worker 0") under its
        ID, so that deletes and updates find it there; returns its position among the holder's
        documents. ``digest`` may be None when not known yet (see :meth:`adopt`)."""
        keys = self._held.setdefault(holder, [])
        keys.append(key)
        if key is not None:
            self._pending_ids[key] = (holder, len(keys) - 1, digest)
        return len(keys) - 1

    def adopt(self, holder: str, infos: Sequence[SegmentInfo], digests: Sequence[Sequence[int]] | None = None) -> None:
        """Take the segments ``holder`` wrote into the next commit: together, in order, they hold every
        document it was given since it last handed over. The IDs and deletions filed under the holder's
        positions move to (segment, doc id); ``digests`` (one uint64 array per segment) fill in the
        digests that were not known."""
        self._check_open()
        keys = self._held.pop(holder, [])
        deleted = self._deleted.pop(holder, set())
        if sum(info.max_doc for info in infos) != len(keys):
            raise SearchcoreError(f"{holder or 'the builder'} handed over {sum(i.max_doc for i in infos)} "
                                  f"documents, {len(keys)} were sent to it")
        start = 0
        for number, info in enumerate(infos):
            for doc_id, key in enumerate(keys[start : start + info.max_doc]):
                found = self._pending_ids.get(key) if key is not None else None
                if found is not None and found[0] == holder and found[1] == start + doc_id:
                    digest = found[2] if found[2] is not None or digests is None else int(digests[number][doc_id])
                    self._pending_ids[key] = (info.name, doc_id, digest)  # type: ignore[index]
            gone = {p - start for p in deleted if start <= p < start + info.max_doc}
            if gone:
                self._deleted[info.name] = gone
            start += info.max_doc
        self._pending.extend(infos)

    def merge_fully_at_next_commit(self) -> None:
        """Have the next commit run the merge policy until it has nothing left to do, as after a bulk
        load, so that it ends with the segments the policy allows rather than one per flush."""
        self._merge_fully = True

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` (or :meth:`cancel`) ran: the writer then refuses every change."""
        return self._closed

    @property
    def lock_fd(self) -> int | None:
        """The descriptor of the write lock this writer holds (None once closed), for a forked worker
        to close its copy so that the lock goes with this process."""
        return self._lock.fd

    def flush(self) -> None:
        """Write the buffered documents as a new segment (visible only after commit).

        Raises:
            IndexIOError: a file operation failed; the writer dropped its uncommitted changes (see commit).
        """
        self._check_open()
        try:
            self._flush()
        except Exception as exc:
            self._fail(exc)
            raise

    def _flush(self) -> None:
        if self._builder.max_doc == 0:
            return
        name = codec.new_segment_name()
        files = self._builder.write(self.directory / name)
        self.adopt(_BUFFER, [SegmentInfo(name, self._builder.max_doc, files)])
        self._builder = SegmentBuilder(self.schema)

    def optimize(self) -> None:
        """Merge every segment into one at the next commit (deleted documents are dropped for good)."""
        self._check_open()
        self._optimize = True

    # -- committing ---------------------------------------------------------------------------------------
    def commit(self) -> None:
        """Make every change so far visible, atomically and durably. The writer stays usable.

        The merge policy runs once (see :func:`~searchcore.index.merge.pick_merge`); after a bulk load
        (:func:`~searchcore.bulk_index`) it runs until it has nothing left to do, so the load ends with
        the segments the policy allows, not one per flush.

        Raises:
            IndexIOError: a file operation failed (disk full, an I/O error, no permission), naming the
                file. The last commit stays as it was (or, when only the final fsync of the directory
                failed, this commit is in place but perhaps not durable); the writer removes the files it
                wrote since the last commit, drops its uncommitted changes and refuses further use.
        """
        self._check_open()
        try:
            self._commit()
        except Exception as exc:
            self._fail(exc)
            raise

    def _commit(self) -> None:
        self._flush()
        assert not self._held, f"documents not handed over by {sorted(self._held)}"
        generation = self._base.generation + 1
        segments = [self._with_deletions(info, generation) for info in (*self._base.segments, *self._pending)]
        segments = [s for s in segments if s.doc_count > 0]
        if self.merge or self._optimize:
            segments = self._merge(segments)
        if list(segments) == list(self._base.segments):
            self._optimize = self._merge_fully = False
            self._reset()
            return
        manifest = Manifest(generation, self._base.schema, tuple(segments))
        try:
            write_manifest(self.directory, manifest)
        except BaseException:
            # Cut short (Ctrl-C, a failed fsync) after the rename, the commit has happened all the same:
            # the writer must not go on to drop its segments as uncommitted.
            if _generation_on_disk(self.directory) == generation:
                self._committed_as(manifest)
            raise
        self._committed_as(manifest)
        remove_unreferenced(self.directory, manifest)

    def _committed_as(self, manifest: Manifest) -> None:
        self._base = manifest
        self._optimize = self._merge_fully = False
        self._reset()
        self._committed = IndexReader(self.directory, manifest, previous=self._committed)

    def rollback(self) -> None:
        """Drop every change since the last commit, as :meth:`cancel` does, but keep the writer open
        (a writer whose flush or commit failed dropped its changes then, and stays refused)."""
        if self._failed is not None and not self._closed:
            return
        self._check_open()
        manifest = read_manifest(self.directory)  # the truth, should a commit have been cut short
        if manifest.generation != self._base.generation:
            self._committed_as(manifest)
        self._optimize = self._merge_fully = False
        self._reset()
        remove_unreferenced(self.directory, manifest)

    def _with_deletions(self, info: SegmentInfo, generation: int) -> SegmentInfo:
        """``info`` with a new deletion bitmap written, when documents of it were deleted since the commit."""
        new = self._deleted.get(info.name)
        if not new:
            return info
        deleted = read_deletions(self.directory / info.name, info)
        deleted[list(new)] = True
        out = codec.FileRecorder(self.directory / info.name, create=False)
        part = codec.deletions_part(generation)
        out.array("", part, np.packbits(deleted))
        out.finish()
        files = {k: v for k, v in info.files.items() if k != info.deletions}
        files.update(out.files)
        return SegmentInfo(info.name, info.max_doc, files, codec.array_file("", part), int(np.count_nonzero(deleted)))

    def _merge(self, segments: list[SegmentInfo]) -> list[SegmentInfo]:
        """``segments`` after the merges of this commit: everything into one for optimize(); else one
        merge the policy picks, or, after a bulk load, merges until the policy picks none."""
        if self._optimize:
            if len(segments) <= 1 and not any(s.num_deleted for s in segments):
                return segments
            return self._merge_run(segments, 0, len(segments))
        while (run := pick_merge([s.doc_count for s in segments], [s.num_deleted for s in segments])) is not None:
            segments = self._merge_run(segments, *run)
            if not self._merge_fully:
                break
        return segments

    def _merge_run(self, segments: list[SegmentInfo], start: int, end: int) -> list[SegmentInfo]:
        """``segments`` with [start, end) merged into one new segment."""
        readers = [SegmentReader(self.directory / s.name, s, self.schema) for s in segments[start:end]]
        name = codec.new_segment_name()
        files = merge_segments(readers, self.schema, self.directory / name)
        merged = SegmentInfo(name, sum(s.doc_count for s in segments[start:end]), files)
        return [*segments[:start], merged, *segments[end:]]

    def cancel(self) -> None:
        """Drop every change since the last commit and release the lock."""
        self.close()

    def close(self) -> None:
        """Drop what was not committed and release the lock."""
        if self._closed:
            return
        self._closed = True
        try:
            self._remove_uncommitted()  # flushed segments, and what failed bulk-load workers left
            self._reset()
        finally:
            self._lock.release()

    def _fail(self, exc: BaseException) -> None:
        """After a flush or commit failed: remove what was written since the last commit, drop the
        uncommitted changes, and refuse further use (the buffer may be half written out)."""
        self._failed = exc
        self._remove_uncommitted()
        self._reset()

    def _remove_uncommitted(self) -> None:
        """Remove every file the manifest on disk does not name. That manifest, not ``self._base``, is
        the truth: a commit that failed after its rename (at the directory's fsync) is in place."""
        try:
            on_disk = read_manifest(self.directory)
        except (SearchcoreError, OSError):
            return  # unreadable now: the next writer removes the leftovers
        if on_disk.generation >= self._base.generation:
            self._base = on_disk
        remove_unreferenced(self.directory, self._base)

    def _check_open(self) -> None:
        if self._closed:
            raise SearchcoreError("this writer is closed; open a new one with Index.writer()")
        if self._failed is not None:
            raise SearchcoreError(f"this writer stopped when a flush or commit failed ({self._failed}); its "
                                  f"uncommitted changes were dropped: open a new one with Index.writer()")

    @property
    def buffered(self) -> int:
        """Documents added and not yet committed."""
        return self._builder.max_doc + sum(s.max_doc for s in self._pending)

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


def _generation_on_disk(directory: Path) -> int | None:
    try:
        return read_manifest(directory).generation
    except (SearchcoreError, OSError):
        return None


def remove_unreferenced(directory: Path, manifest: Manifest) -> None:
    """Delete what the committed ``manifest`` does not name: segment folders and deletion files of older
    generations, and the leftovers of a crashed or failed writer. Open readers have their files mapped
    already. Call only while holding the write lock.

    Best effort: a file that cannot be removed (an I/O error, say) is left for the next writer, since the
    committed generation does not need its removal.
    """
    live = {s.name: s for s in manifest.segments}
    try:
        names = sorted(os.listdir(directory))  # names, not Paths: a commit lists every segment's files
    except OSError:
        return
    for name in names:
        entry = directory / name
        try:
            if codec.is_segment_name(name) and entry.is_dir():
                info = live.get(name)
                if info is None:
                    fileops.rmtree(entry)
                    continue
                for file in sorted(os.listdir(entry)):
                    if codec.is_deletions_file(file) and file not in info.files:
                        fileops.unlink(entry / file)
            elif codec.is_manifest_temp(name):
                fileops.unlink(entry)
        except OSError:
            continue
