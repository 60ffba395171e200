"""Bulk indexing: add-or-replace a stream of documents, in this process or in parallel worker processes.

The parent process reads the sources and checks each document against the schema and the index (skips
the unchanged, deletes what is replaced, refuses an ID seen twice in one run). With ``jobs > 1`` it hands
documents in chunks to worker processes; each fills its own SegmentBuilder, flushing a segment whenever
its share of the memory budget fills, and reports its segments at the end; the parent's writer commits
them all at once. Document order (the tie-break between equal scores) then follows the workers'
segments, worker by worker, rather than the input order.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DocumentError, SearchcoreError
from ..schema import Schema
from .builder import SegmentBuilder
from .manifest import SegmentInfo
from .writer import IndexWriter, content_digest

CHUNK = 256  # documents per message to a worker


def _worker(number: int, directory: str, schema_dict: dict, budget: int, inbox, outbox) -> None:
    try:
        schema = Schema.from_dict(schema_dict)
        builder = SegmentBuilder(schema)
        segments = []

        def flush() -> None:
            nonlocal builder
            if builder.num_docs:
                name = f"seg_{uuid.uuid4().hex[:16]}"
                files = builder.write(Path(directory) / name)
                segments.append((name, builder.num_docs, files))
                builder = SegmentBuilder(schema)

        while (chunk := inbox.get()) is not None:
            for doc, digest in chunk:
                builder.add(doc, content_digest(doc) if digest is None else digest)
                if builder.memory() >= budget:
                    flush()
        flush()
        outbox.put(("ok", number, segments))
    except BaseException:  # report everything: the parent must not wait forever
        outbox.put(("error", number, traceback.format_exc()))


class _Workers:
    """``jobs`` forked processes that build segments from the chunks they are sent."""

    def __init__(self, writer: IndexWriter, jobs: int) -> None:
        self.writer = writer
        context = mp.get_context("fork")
        self.inboxes = [context.Queue(maxsize=8) for _ in range(jobs)]
        self.outbox = context.Queue()
        budget = max(writer.memory_budget // jobs, 1)
        schema = writer.schema.to_dict()
        self.processes = [
            context.Process(target=_worker, args=(i, str(writer.directory), schema, budget, inbox, self.outbox),
                            daemon=True)
            for i, inbox in enumerate(self.inboxes)
        ]
        for process in self.processes:
            process.start()
        self.chunk: list = []
        self.sent = 0

    def add(self, doc: dict, key: str | None, digest: int | None) -> None:
        self.chunk.append((doc, digest))
        if len(self.chunk) >= CHUNK:
            self._send()

    def _send(self) -> None:
        self.inboxes[self.sent % len(self.inboxes)].put(self.chunk)
        self.sent += 1
        self.chunk = []

    def finish(self) -> None:
        if self.chunk:
            self._send()
        for inbox in self.inboxes:
            inbox.put(None)
        reports = {}
        for _ in self.processes:
            status, number, payload = self.outbox.get()
            if status != "ok":
                raise SearchcoreError(f"indexing worker {number} failed:\n{payload}")
            reports[number] = payload
        for process in self.processes:
            process.join()
        self.writer.add_segments(
            SegmentInfo(name, n, files) for number in sorted(reports) for name, n, files in reports[number]
        )

    def abort(self) -> None:
        for process in self.processes:
            process.kill()
            process.join()


class _InProcess:
    def __init__(self, writer: IndexWriter) -> None:
        self.writer = writer

    def add(self, doc: dict, key: str | None, digest: int | None) -> None:
        self.writer._add(doc, key, digest)

    def finish(self) -> None:
        pass

    def abort(self) -> None:
        pass


def bulk_index(writer: IndexWriter, docs: Iterable[Mapping[str, Any]], jobs: int = 1) -> Counter:
    """Add or replace every document of ``docs`` (like update_document); the caller commits ``writer``.

    Args:
        writer: an open writer of an index whose schema has an ID field.
        docs: documents as field dicts.
        jobs: 1 analyses in this process; more fork that many worker processes.

    Returns:
        Counts of "added", "updated" and "unchanged" documents.

    Raises:
        SchemaError, DocumentError: a document that does not fit the schema, or an ID seen twice in ``docs``.
        SearchcoreError: a worker failed (its traceback is in the message); the writer holds nothing of it.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs!r}")
    sink = _InProcess(writer) if jobs == 1 else _Workers(writer, jobs)
    counts: Counter = Counter({"added": 0, "updated": 0, "unchanged": 0})
    seen: set[str] = set()
    try:
        for fields in docs:
            doc, key, digest, status = writer._prepare_update(fields)
            if key in seen:
                raise DocumentError(f"document {key!r}: the ID {key!r} appears twice in this batch")
            seen.add(key)
            counts[status] += 1
            if status != "unchanged":
                sink.add(doc, key, digest)
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    return counts
