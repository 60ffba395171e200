"""ShardedIndex: one collection split over N ordinary indexes, built and written on Dask.

The layout is :mod:`.layout`'s; searching is :mod:`.sharded_search`'s; what runs on the workers is :mod:`.tasks`'s.
Building routes the documents into per-shard spool files, then loads each shard in one task; writing
routes each change by ID and commits shard by shard.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ArgumentError, DocumentError, SchemaError, SearchcoreError
from ..schema import Schema
from . import is_sharded, tasks
from .cluster import CALLER_ERRORS, ShardError, workers_of
from .layout import ShardManifest, create_layout, read_shard_manifest, shard_name, shard_of
from .sharded_search import ShardedSearcher


class ShardedBuildError(SearchcoreError):
    """Some shards failed to build; the others committed what they were given."""

    def __init__(self, failures: Mapping[int, str], counts: Mapping[str, int]) -> None:
        self.failures = dict(failures)
        self.counts = dict(counts)
        listed = "; ".join(f"shard {n}: {why}" for n, why in sorted(self.failures.items()))
        super().__init__(f"{len(self.failures)} shard(s) failed (the others are committed): {listed}")


class ShardedIndex:
    """A directory of N searchcore indexes sharing a schema, documents routed to them by ID.

    >>> import searchcore as sc, tempfile
    >>> from searchcore.distributed import ShardedIndex, shard_of
    >>> six = ShardedIndex.create(tempfile.mkdtemp(), sc.news_schema(), shards=4)
    >>> six.shards, shard_of("afp-1", 4) == shard_of("afp-1", 4)
    (4, True)
    """

    def __init__(self, path: str | Path) -> None:
        """Open the sharded index at ``path`` (see :meth:`open`)."""
        self.path = Path(path).resolve()
        self.manifest: ShardManifest = read_shard_manifest(self.path)
        self.schema = Schema.from_dict(self.manifest.schema)
        self.shards = self.manifest.shards
        if self.schema.id_field is None:
            raise SchemaError("a sharded index routes documents by ID: its schema needs an ID field")

    @classmethod
    def create(cls, path: str | Path, schema: Schema, shards: int) -> ShardedIndex:
        """Create an empty sharded index of ``shards`` indexes at ``path``.

        Raises:
            IndexExistsError: ``path`` holds a sharded index already.
            SchemaError: the schema has no ID field (documents are routed by it).
        """
        if not isinstance(schema, Schema):
            raise SchemaError(f"schema must be a Schema, got {type(schema).__name__}")
        if schema.id_field is None:
            raise SchemaError("a sharded index routes documents by ID: its schema needs an ID field")
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= 4096:
            raise ArgumentError(f"shards must be an int from 1 to 4096, got {shards!r}")
        create_layout(Path(path), schema, shards)
        return cls(path)

    @classmethod
    def open(cls, path: str | Path) -> ShardedIndex:
        """Open an existing sharded index (IndexNotFoundError when ``path`` holds none)."""
        return cls(path)

    @staticmethod
    def exists(path: str | Path) -> bool:
        return is_sharded(path)

    def shard_path(self, number: int) -> Path:
        """The directory of shard ``number``: an ordinary index."""
        return self.path / shard_name(number)

    def shard_of(self, doc_id: str) -> int:
        """The shard the document with this ID lives in."""
        return shard_of(str(doc_id), self.shards)

    # -- without a cluster: a shard's manifest says what a count or a check needs ----------------------
    def doc_count(self) -> int:
        """The live documents over every shard."""
        from ..engine import Index

        return sum(Index.open(self.shard_path(n)).doc_count() for n in range(self.shards))

    def check(self) -> ShardedCheck:
        """Check the shard manifest and every shard (``search check`` on each); never raises."""
        from ..index.check import check_index

        problems = {}
        for number in range(self.shards):
            report = check_index(self.shard_path(number))
            fatal = [str(p) for p in report.problems if p.fatal]
            if fatal:
                problems[number] = fatal
        return ShardedCheck(self.shards, problems)

    # -- with a cluster ----------------------------------------------------------------------------------
    def bulk_index(self, docs: Iterable[Mapping[str, Any]] | Any, client: Any, *, commit_every: int = 50_000,
                   memory_budget_mb: float = 256) -> Counter:
        """Add or replace every document of ``docs`` (an iterable of dicts, or a dask.bag of them).

        The documents are routed into per-shard spool files under the index directory (from the bag's
        partitions on the workers, or from the iterable here, streamed: memory stays bounded), then one
        task per shard loads its files, committing every ``commit_every`` documents.

        Returns the counts of "added", "updated" and "unchanged" documents.

        Raises:
            ShardedBuildError: some shards failed: it names each with its error; the other shards keep
                their commits, and running the same load again skips what is committed.
            DocumentError: a document has no ID.
        """
        spool = Path(tempfile.mkdtemp(prefix=".spool-", dir=self.path))
        try:
            id_field = self.schema.id_field
            if _is_bag(docs):
                parts = docs.map_partitions(_spool_partition, str(spool), self.shards, id_field)
                files = list(parts.compute(scheduler=client.get))
            else:
                files = tasks.spool(iter(docs), str(spool), "local", self.shards, id_field)
            per_shard: dict[int, list[str]] = {}
            for name in files:
                per_shard.setdefault(int(Path(name).name[:3]), []).append(name)
            workers = workers_of(client)
            futures = {number: client.submit(tasks.build, str(self.shard_path(number)), sorted(names),
                                             commit_every, memory_budget_mb, pure=False,
                                             workers=[workers[number % len(workers)]], allow_other_workers=True)
                       for number, names in per_shard.items()}
            counts: Counter = Counter()
            failures = {}
            for number, future in futures.items():
                try:
                    counts.update(future.result())
                except CALLER_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001 - reported per shard, the others kept
                    failures[number] = f"{type(exc).__name__}: {exc}"
            if failures:
                raise ShardedBuildError(failures, counts)
            return counts
        finally:
            shutil.rmtree(spool, ignore_errors=True)

    def stats(self) -> dict[str, Any]:
        """The shard count and documents, and each shard's ``Index.stats()``."""
        from ..engine import Index

        shards = [Index.open(self.shard_path(n)).stats() for n in range(self.shards)]
        return {"shards": self.shards, "documents": sum(s["documents"] for s in shards),
                "size_bytes": sum(s["size_bytes"] for s in shards), "per_shard": shards}

    def writer(self, client: Any, lock_timeout: float | None = 30.0) -> ShardedWriter:
        """A writer routing each change to its document's shard; ``commit`` (or leaving its ``with``
        block) commits every shard it changed, one task per shard."""
        return ShardedWriter(self, client, lock_timeout)

    def searcher(self, client: Any, allow_partial: bool = False) -> ShardedSearcher:
        """A searcher over every shard with the Results/Hit API of a local one; see the module docstring."""
        return ShardedSearcher(self, client, allow_partial)

    def __repr__(self) -> str:
        return f"ShardedIndex({str(self.path)!r}, shards={self.shards})"


class ShardedCheck:
    """What :meth:`ShardedIndex.check` found: per shard, its fatal problems."""

    def __init__(self, shards: int, problems: dict[int, list[str]]) -> None:
        self.shards = shards
        self.problems = problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.shards} shards"
        return "\n".join(f"shard {n}: {p}" for n, found in sorted(self.problems.items()) for p in found)

def _is_bag(docs: Any) -> bool:
    return type(docs).__module__.startswith("dask.bag")


def _spool_partition(docs: Iterable[dict], directory: str, shards: int, id_field: str) -> list[str]:
    return tasks.spool(iter(docs), directory, uuid.uuid4().hex[:12], shards, id_field)

class ShardedWriter:
    """Changes to a sharded index, routed by ID and committed shard by shard.

    A commit is atomic in each shard, not across shards: should one shard fail, the others' commits
    stay and the error names it (its changes are dropped; making them again is safe)."""

    def __init__(self, six: ShardedIndex, client: Any, lock_timeout: float | None) -> None:
        self.six = six
        self.client = client
        self.lock_timeout = lock_timeout
        self._ops: dict[int, list[tuple[str, Any]]] = {}
        self.id_field = six.schema.id_field

    def _route(self, kind: str, fields: dict[str, Any]) -> None:
        if self.id_field not in fields:
            raise DocumentError(f"a document of a sharded index needs its ID field {self.id_field!r}")
        self.six.schema.normalize_document(dict(fields))  # a bad document is refused now, not at commit
        self._ops.setdefault(self.six.shard_of(fields[self.id_field]), []).append((kind, fields))

    def add_document(self, **fields: Any) -> None:
        self._route("add", fields)

    def update_document(self, **fields: Any) -> None:
        self._route("update", fields)

    def delete_document(self, doc_id: str) -> None:
        self._ops.setdefault(self.six.shard_of(doc_id), []).append(("delete", str(doc_id)))

    def commit(self) -> dict[int, list[Any]]:
        """Commit every shard changed since the last commit; returns each one's outcomes in order.

        Raises:
            ShardError: a shard failed (the first, by number); the other shards are committed.
        """
        ops, self._ops = self._ops, {}
        workers = workers_of(self.client)
        futures = {n: self.client.submit(tasks.apply, str(self.six.shard_path(n)), batch, self.lock_timeout,
                                         pure=False, workers=[workers[n % len(workers)]], allow_other_workers=True)
                   for n, batch in sorted(ops.items())}
        outcomes, failed = {}, None
        for number, future in futures.items():
            try:
                outcomes[number] = future.result()
            except CALLER_ERRORS:
                raise
            except Exception as exc:  # noqa: BLE001 - every shard is waited for before one is reported
                failed = failed or ShardError(number, str(self.six.shard_path(number)), exc)
        if failed is not None:
            raise failed
        return outcomes

    def apply(self, ops: Sequence[tuple[str, Any]]) -> list[Any]:
        """Apply ("update", fields) and ("delete", id) operations and commit them now; the outcomes in the
        order of ``ops`` ("added", "updated" or "unchanged"; whether the document existed)."""
        if self._ops:
            raise ArgumentError("apply() commits its own operations: commit or cancel the others first")
        where = []
        for kind, arg in ops:
            if kind == "delete":
                self.delete_document(arg)
                number = self.six.shard_of(arg)
            else:
                self._route(kind, arg)
                number = self.six.shard_of(arg[self.id_field])
            where.append((number, len(self._ops[number]) - 1))
        outcomes = self.commit()
        return [outcomes[number][position] for number, position in where]

    def cancel(self) -> None:
        self._ops = {}

    def __enter__(self) -> ShardedWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.cancel()


# -- searching ------------------------------------------------------------------------------------------------
