"""Group commit: write requests from many clients applied by one thread, one durable commit per batch.

A request's documents are checked against the schema before they are queued (a bad one is refused with
nothing written), so a batch normally commits whole. Should one still fail while it is applied, the
batch is rolled back, that request alone is answered with its error, and the rest are applied again and
committed. A request is answered only once the commit holding it is durable (the manifest renamed and
fsynced), so an acknowledged write survives a crash of the server at any later moment.

Several server processes each have a committer of their own; the index's write lock makes their commits
take turns, each waiting up to ``lock_timeout`` seconds for the others.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
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
    def __init__(self, request: _Request, error: Exception) -> None:
        self.request = request
        self.error = error


class GroupCommitter:
    """Applies queued write requests in batches on one thread, each batch in one commit.

    Args:
        index: the index written to.
        lock_timeout: seconds a commit waits for another process's writer before failing with
            IndexLockedError.
        after_commit: called on the committer's thread after each durable commit (the server refreshes
            its searcher there, so a client reads its own writes).
    """

    def __init__(self, index: Index, lock_timeout: float = 30.0,
                 after_commit: Callable[[], None] | None = None) -> None:
        self.index = index
        self.lock_timeout = lock_timeout
        self.after_commit = after_commit
        self.commits = 0
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._closed = False
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
        """Commit what is queued, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
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
            outcomes = []
            try:
                with self.index.writer(lock_timeout=self.lock_timeout) as writer:  # commits on a clean exit
                    for request in pending:
                        try:
                            outcomes.append([_apply(writer, op) for op in request.ops])
                        except (DocumentError, SchemaError) as exc:
                            raise _Rejected(request, exc) from None
            except _Rejected as rejected:  # the writer rolled back: answer that request, redo the others
                rejected.request.future.set_exception(rejected.error)
                pending.remove(rejected.request)
                continue
            except BaseException as exc:  # nothing of the batch was committed
                for request in pending:
                    request.future.set_exception(exc)
                return
            self.commits += 1
            if self.after_commit is not None:
                try:
                    self.after_commit()
                except Exception:  # a failed refresh must not lose the acknowledgements
                    pass
            for request, outcome in zip(pending, outcomes):
                request.future.set_result(outcome)
            return


def _apply(writer, op: Put | Delete) -> Any:
    if isinstance(op, Put):
        return writer.update_document(**op.doc)
    return writer.delete_document(op.doc_id)
