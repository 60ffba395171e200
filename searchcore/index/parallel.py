"""Bulk indexing: add-or-replace a stream of documents, in this process or in parallel worker processes.

The parent process reads the sources and checks each document against the schema and the index (skips
the unchanged, deletes what is replaced, refuses an ID seen twice in one run). With ``jobs > 1`` it hands
documents in chunks to worker processes, each over its own pipe; each worker fills its own
SegmentBuilder, flushing a segment whenever its share of the memory budget fills, and hands its segments
over when the parent asks (before a periodic commit) and at the end. The writer files every ID it sends
under the worker and its position there, so deletes and updates find a document wherever it is. Document
order (the tie-break between equal scores) then follows the workers' segments, worker by worker, rather
than the input order.

Workers ignore Ctrl-C: the parent decides. On any exception (KeyboardInterrupt included) the parent kills
them, drops what was not committed and re-raises. A worker whose parent dies sees its pipe close and
exits.
"""

from __future__ import annotations

import fcntl
import multiprocessing as mp
import os
import pickle
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArgumentError, DocumentError, SearchcoreError
from ..schema import Schema
from . import codec
from .builder import SegmentBuilder
from .manifest import SegmentInfo
from .writer import IndexWriter, content_digest

CHUNK = 256  # documents per message to a worker
PIPE_BYTES = 1 << 20  # a pipe to a worker holds a few chunks, so the parent seldom waits for a busy worker
_HAND_OVER = "hand over"  # a message to a worker: flush, report the segments written since the last report
_DONE = None              # the same, then exit


def max_jobs() -> int:
    """The most worker processes :func:`bulk_index` starts: the CPUs this process may run on. More only
    add segments (one set per worker) and switching, not speed."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker(number: int, directory: str, schema_dict: dict, budget: int, inbox, outbox, inherited: list,
            lock_fd: int | None) -> None:
    # Ctrl-C on a terminal signals the whole process group: the parent decides what stops, and kills us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Close what fork copied and this worker does not use: the pipes of the parent and the other workers
    # (so a pipe closes when its two ends' processes exit) and the lock (so it dies with the parent).
    for connection in inherited:
        connection.close()
    if lock_fd is not None:
        os.close(lock_fd)
    try:
        schema = Schema.from_dict(schema_dict)
        builder = SegmentBuilder(schema)
        segments = []

        def flush() -> None:
            nonlocal builder
            if builder.max_doc:
                name = codec.new_segment_name()
                files = builder.write(Path(directory) / name)
                segments.append((name, builder.max_doc, files, np.array(builder.hashes, dtype=np.uint64)))
                builder = SegmentBuilder(schema)

        while True:
            message = inbox.recv()
            if isinstance(message, list):
                for doc, digest in message:
                    builder.add(doc, content_digest(doc) if digest is None else digest)
                    if builder.memory() >= budget:
                        flush()
                continue
            flush()
            outbox.send(("ok", segments))
            segments = []
            if message is _DONE:
                return
    except (EOFError, BrokenPipeError):
        return  # the parent has gone: nobody waits for these segments, the next writer removes them
    except BaseException as exc:  # report everything: the parent must not wait forever
        # A searchcore error (a full disk naming its file, say) goes to the parent as it is, to be raised
        # there; anything else as its traceback.
        try:
            try:
                outbox.send(("error", exc if isinstance(exc, SearchcoreError) else traceback.format_exc()))
            except (pickle.PicklingError, TypeError, AttributeError):
                outbox.send(("error", traceback.format_exc()))
        except OSError:
            pass


class _Workers:
    """``jobs`` forked processes that build segments from the chunks they are sent."""

    def __init__(self, writer: IndexWriter, jobs: int) -> None:
        self.writer = writer
        context = mp.get_context("fork")
        to_workers = [context.Pipe(duplex=False) for _ in range(jobs)]    # (worker's end, parent's end)
        from_workers = [context.Pipe(duplex=False) for _ in range(jobs)]  # (parent's end, worker's end)
        self.inboxes = [send for _, send in to_workers]
        for inbox in self.inboxes:
            _enlarge(inbox)
        self.outboxes = [receive for receive, _ in from_workers]
        self.holders = [f"worker {number}" for number in range(jobs)]
        self.processes: list = []
        self.chunk: list = []
        self.sent = 0
        every = [end for pair in to_workers + from_workers for end in pair]
        budget = max(writer.memory_budget // jobs, 1)
        schema = writer.schema.to_dict()
        lock_fd = writer.lock_fd
        try:
            for number in range(jobs):
                mine = (to_workers[number][0], from_workers[number][1])
                process = context.Process(
                    target=_worker,
                    args=(number, str(writer.directory), schema, budget, *mine,
                          [end for end in every if end not in mine], lock_fd),
                    daemon=True,
                )
                process.start()
                self.processes.append(process)
        except BaseException:
            self.abort()
            raise
        finally:
            for end in every:
                if end not in self.inboxes and end not in self.outboxes:
                    end.close()

    def add(self, doc: dict, key: str | None, digest: int | None) -> None:
        self.writer.hold(self.holders[self.sent % len(self.inboxes)], key, digest)
        self.chunk.append((doc, digest))
        if len(self.chunk) >= CHUNK:
            self._send()

    def _send(self) -> None:
        number = self.sent % len(self.inboxes)
        self._tell(number, self.chunk)
        self.sent += 1
        self.chunk = []

    def _tell(self, number: int, message: Any) -> None:
        try:
            self.inboxes[number].send(message)
        except BrokenPipeError:  # the worker has stopped: say why
            self._report(number)
            raise self._died(number) from None

    def _report(self, number: int) -> list:
        """The segments worker ``number`` reports, or the error it had, raised here."""
        try:
            status, payload = self.outboxes[number].recv()
        except EOFError:
            raise self._died(number) from None
        if status != "ok":
            if isinstance(payload, SearchcoreError):
                raise payload
            raise SearchcoreError(f"indexing worker {number} failed:\n{payload}")
        return payload

    def _died(self, number: int) -> SearchcoreError:
        process = self.processes[number]
        process.join(1.0)
        return SearchcoreError(f"indexing worker {number} stopped unexpectedly (exit code {process.exitcode})")

    def hand_over(self, message: Any = _HAND_OVER) -> None:
        """Give the writer every document sent so far, as segments: each worker flushes what it holds
        and reports its new segments. The workers keep running (unless ``message`` is _DONE)."""
        if self.chunk:
            self._send()
        for number in range(len(self.inboxes)):
            self._tell(number, message)
        reports = [self._report(number) for number in range(len(self.inboxes))]
        for holder, segments in zip(self.holders, reports):
            self.writer.adopt(holder, [SegmentInfo(name, n, files) for name, n, files, _ in segments],
                               [digests for *_, digests in segments])

    def finish(self) -> None:
        self.hand_over(_DONE)
        for process in self.processes:
            process.join()
        self._close()

    def abort(self) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.join()
        self._close()

    def _close(self) -> None:
        for connection in (*self.inboxes, *self.outboxes):
            connection.close()


def _enlarge(connection) -> None:
    """Let the pipe under ``connection`` buffer PIPE_BYTES, where the system allows it (Linux)."""
    try:
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):
        pass


class _InProcess:
    def __init__(self, writer: IndexWriter) -> None:
        self.writer = writer

    def add(self, doc: dict, key: str | None, digest: int | None) -> None:
        self.writer.add_prepared(doc, key, digest)

    def hand_over(self) -> None:
        pass  # the writer holds every document already

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


def bulk_index(
    writer: IndexWriter,
    docs: Iterable[Mapping[str, Any]],
    jobs: int = 1,
    *,
    commit_every: int | None = None,
    commit_seconds: float | None = None,
    on_commit: Callable[[Counter], None] | None = None,
) -> Counter:
    """Add or replace every document of ``docs`` (like update_document); the caller commits ``writer``.

    The commit that follows runs the merge policy until it has nothing left to do, so the load ends
    with the segments the policy allows rather than one per flush (and per worker).

    Args:
        writer: an open writer of an index whose schema has an ID field.
        docs: documents as field dicts.
        jobs: 1 analyses in this process; more fork that many worker processes, but never more than
            :func:`max_jobs` (the CPUs this process may use): a larger value is lowered to it.
        commit_every: None commits nothing here (the caller commits at the end). N commits ``writer``
            after every N documents read from ``docs`` (the unchanged ones count), so that an
            interruption keeps what was committed and running the same load again skips it.
        commit_seconds: None, or commit also whenever this many seconds have passed since the last
            commit (or the start), checked after each document: a bound on the work an interruption
            loses that does not depend on how large the documents are.
        on_commit: called after each of those commits with a copy of the counts so far, which are
            then all committed.

    Returns:
        Counts of "added", "updated" and "unchanged" documents.

    Raises:
        SchemaError, DocumentError: a document that does not fit the schema, or an ID seen twice in ``docs``.
        SearchcoreError: a worker failed (its traceback is in the message).

    On any exception, KeyboardInterrupt included, the workers are stopped, everything ``writer`` had
    not committed is dropped (changes made before this call too: the writer stays open, as after
    :meth:`IndexWriter.rollback`), and the exception propagates. The commits made so far stay; the
    last call of ``on_commit`` reported their counts.
    """
    if jobs < 1:
        raise ArgumentError(f"jobs must be >= 1, got {jobs!r}")
    if commit_every is not None and commit_every < 1:
        raise ArgumentError(f"commit_every must be >= 1 or None, got {commit_every!r}")
    if commit_seconds is not None and not commit_seconds > 0:
        raise ArgumentError(f"commit_seconds must be > 0 or None, got {commit_seconds!r}")
    jobs = min(jobs, max_jobs())
    counts: Counter = Counter({"added": 0, "updated": 0, "unchanged": 0})
    seen: set[str] = set()
    sink = _InProcess(writer) if jobs == 1 else _Workers(writer, jobs)
    last_commit = time.monotonic()
    try:
        for read, fields in enumerate(docs, 1):
            doc, key, digest, status = writer.prepare_update(fields)
            if key in seen:
                raise DocumentError(f"document {key!r}: the ID {key!r} appears twice in this batch")
            seen.add(key)
            counts[status] += 1
            if status != "unchanged":
                sink.add(doc, key, digest)
            if (commit_every is not None and read % commit_every == 0) or (
                    commit_seconds is not None and time.monotonic() - last_commit >= commit_seconds):
                sink.hand_over()
                writer.merge_fully_at_next_commit()
                writer.commit()
                last_commit = time.monotonic()
                if on_commit is not None:
                    on_commit(counts.copy())
        sink.finish()
    except BaseException:
        sink.abort()
        if not writer.closed:
            writer.rollback()
        raise
    writer.merge_fully_at_next_commit()
    return counts
