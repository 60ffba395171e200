"""Group commit: write requests from many clients applied by one thread, one durable commit per batch.

A request's documents are checked against the schema before they are queued (a bad one is refused with
nothing written), so a batch normally commits whole. Should one still fail while it is applied, the
batch is rolled back, that request alone is answered with its error, and the rest are applied again and
committed. A request is answered only once the commit holding it is durable (the manifest renamed and
fsynced), so an acknowledged write survives a crash of the server at any later moment.

Several server processes each have a committer of their own; the index's write lock makes their commits
take turns, each waiting up to ``lock_timeout`` seconds for the others.

A server commits in a child process (``in_child=True``): a commit writes, fsyncs and closes some seventy
files, and each of those calls gives up the GIL. In a process whose threads are busy searching, taking it
back costs up to the interpreter's switch interval (5 ms) every time, so a 50 ms commit took a second.
The child has a GIL of its own; the thread here only batches, waits and answers.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from ..engine import Index
from ..errors import DocumentError, SchemaError, SearchcoreError

#: the most documents one commit takes from the queue (later requests wait for the next commit)
MAX_BATCH_DOCS = 20_000


@dataclass(frozen=True)
class Put:
    """Add the document, or replace the one with the same ID."""

    doc: dict[str, Any]


@dataclass(frozen=True)
class Delete:
    """Delete the document with this ID (no error when there is none)."""

    doc_id: str


@dataclass(eq=False)
class _Request:
    ops: Sequence[Put | Delete]
    future: Future = field(default_factory=Future)


class _Rejected(Exception):
    def __init__(self, position: int, error: Exception) -> None:
        self.position = position  # of the request in its batch
        self.error = error


class GroupCommitter:
    """Applies queued write requests in batches on one thread, each batch in one commit.

    Args:
        index: the index written to.
        lock_timeout: seconds a commit waits for another process's writer before failing with
            IndexLockedError.
        after_commit: called on the committer's thread after each durable commit (the server refreshes
            its searcher there, so a client reads its own writes).
        in_child: commit in a child process of this one (started here, stopped by :meth:`close`), not on
            the committer's thread: for a process whose other threads keep the GIL busy.
        commit: applies a batch's ("update", fields) and ("delete", id) operations and commits them,
            returning their outcomes in order, instead of a writer of ``index`` (a sharded index's
            ``ShardedWriter.apply``); a bad document then fails its whole batch.
        interval: the least time, in seconds, from the start of one commit to the start of the next: the
            requests arriving meanwhile wait and go in one batch. Each commit is a new generation every
            searcher must open and learn its statistics for again, so fewer and larger commits leave more
            of the machine to searches, at the price of that much more time before a write is answered.
    """

    def __init__(self, index: Index, lock_timeout: float = 30.0,
                 after_commit: Callable[[], None] | None = None, in_child: bool = False,
                 commit: Callable[[list[tuple[str, Any]]], list[Any]] | None = None,
                 interval: float = 0.0) -> None:
        self.index = index
        self.interval = interval
        self._commit_ops = commit
        self.lock_timeout = lock_timeout
        self.after_commit = after_commit
        self.commits = 0
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._closed = False
        self._child: ProcessPoolExecutor | None = None
        if in_child:
            self._child = _start_child()
        self._thread = threading.Thread(target=self._run, name="searchcore-commits", daemon=True)
        self._thread.start()

    def submit(self, ops: Sequence[Put | Delete]) -> Future:
        """Queue one request's operations; the future gives one outcome per operation ("added",
        "updated", "unchanged" for a Put; True or False, whether it existed, for a Delete) once they are
        committed, or raises what stopped them."""
        if self._closed:
            raise SearchcoreError("the server is stopping: no more writes are taken")
        request = _Request(list(ops))
        self._queue.put(request)
        return request.future

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued, then stop the thread (and the child process)."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)
        if self._child is not None and not self._thread.is_alive():
            self._child.shutdown(wait=True)

    def _run(self) -> None:
        stopping = False
        started = -math.inf
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            wait = started + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # gathering what arrives meanwhile into this batch
            started = time.monotonic()
            batch, docs = [first], len(first.ops)
            while docs < MAX_BATCH_DOCS:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
                docs += len(more.ops)
            self._commit([r for r in batch if r.future.set_running_or_notify_cancel()])

    def _commit(self, pending: list[_Request]) -> None:
        while pending:
            try:
                outcome = self._apply_batch([request.ops for request in pending])
            except BaseException as exc:  # nothing of the batch was committed (or, should the child die
                for request in pending:    # after its commit, it was, and a retried Put changes nothing)
                    request.future.set_exception(exc)
                return
            if isinstance(outcome, _Rejected):  # rolled back: answer that request, redo the others
                rejected = pending.pop(outcome.position)
                rejected.future.set_exception(outcome.error)
                continue
            self.commits += 1
            if self.after_commit is not None:
                try:
                    self.after_commit()
                except Exception:  # a failed refresh must not lose the acknowledgements
                    pass
            for request, result in zip(pending, outcome):
                request.future.set_result(result)
            return

    def _apply_batch(self, batch: list[Sequence[Put | Delete]]) -> list[list[Any]] | _Rejected:
        if self._commit_ops is not None:
            flat = [("update", op.doc) if isinstance(op, Put) else ("delete", op.doc_id) for ops in batch for op in ops]
            outcomes = iter(self._commit_ops(flat))
            return [[next(outcomes) for _ in ops] for ops in batch]
        if self._child is None:
            return _commit_batch(self.index, batch, self.lock_timeout)
        try:
            return self._child.submit(_commit_in_child, str(self.index.path), batch, self.lock_timeout).result()
        except BrokenProcessPool:
            self._child = _start_child()  # the child died (killed, out of memory): a new one for what follows
            raise SearchcoreError("the server's committer process died; the write may not have been committed") \
                from None


def _commit_batch(index: Index, batch: list[Sequence[Put | Delete]], lock_timeout: float) -> list[list[Any]] | _Rejected:
    """Apply the batch's requests in one writer and commit them; a request with a bad document rolls the
    whole batch back and is returned, as a :class:`_Rejected`, for the caller to answer and redo the rest."""
    outcomes = []
    try:
        with index.writer(lock_timeout=lock_timeout) as writer:  # commits on a clean exit
            for position, ops in enumerate(batch):
                try:
                    outcomes.append([_apply(writer, op) for op in ops])
                except (DocumentError, SchemaError) as exc:
                    raise _Rejected(position, exc) from None
    except _Rejected as rejected:
        return rejected
    return outcomes


# -- the child process -------------------------------------------------------------------------------------
_CHILD_INDEXES: dict[str, Index] = {}


def _start_child() -> ProcessPoolExecutor:
    child = ProcessPoolExecutor(1, multiprocessing.get_context("spawn"), initializer=_child_started)
    child.submit(int).result()  # started now, not on the first write
    return child


def _child_started() -> None:
    # Ctrl-C in a terminal, or SIGTERM to the server's process group, reaches this process too: the parent
    # decides when it stops, after the last queued write is committed. Should the parent die without
    # stopping it (SIGKILL), nobody waits for its answers: it exits too, rather than linger as an orphan.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)  # a commit cut here is no commit (the manifest's rename is the commit)

    threading.Thread(target=watch, name="searchcore-parent-watch", daemon=True).start()


def _commit_in_child(path: str, batch: list[Sequence[Put | Delete]], lock_timeout: float) -> list[list[Any]] | _Rejected:
    index = _CHILD_INDEXES.get(path)
    if index is None:
        index = _CHILD_INDEXES[path] = Index.open(path)  # kept: its reader spares the next writer reopening
    return _commit_batch(index, batch, lock_timeout)


def _apply(writer, op: Put | Delete) -> Any:
    if isinstance(op, Put):
        return writer.update_document(**op.doc)
    return writer.delete_document(op.doc_id)
