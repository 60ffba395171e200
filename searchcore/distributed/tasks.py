"""What runs on the Dask workers: one shard's part of each step, with the shard kept open between tasks.

A worker keeps each shard it has served open (:class:`OpenShard`): its index, a snapshot of its latest
generation for gathering statistics, and per collection generation (the tuple of every shard's
generation) a snapshot that scores with the whole collection's statistics. A task never reopens an
index that is already open; a commit to a shard moves the collection to a new generation, and the
snapshots of the old one are dropped once two newer ones are in use.

Every function here takes plain, picklable arguments and returns plain data: the scheduler may run it
on any worker, and runs it again elsewhere should its worker die.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Index
from ..errors import DocumentError, SearchcoreError
from ..index.reader import IndexReader
from ..schema import DATE, NUMERIC
from ..search import feedback
from ..search.plan import Planner
from ..search.snapshot import Snapshot
from .stats import GlobalStats, RecordingStats, field_totals

#: the snapshots kept per shard for collection generations (the newest ones)
KEPT_GENERATIONS = 2


class StaleShard(SearchcoreError):
    """The shard committed since the statistics were gathered: the query starts again."""


class OpenShard:
    """One shard as a worker keeps it between tasks."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.index = Index.open(path)
        self.schema = self.index.schema
        self._local: Snapshot | None = None
        self._scoring: dict[tuple[int, ...], Snapshot] = {}
        self.lock = threading.Lock()

    def local(self) -> Snapshot:
        """A snapshot of the shard's latest generation, scoring with its own statistics."""
        reader = self.index.reader()
        if self._local is None or self._local.reader is not reader:
            self._local = Snapshot(reader)
        return self._local

    def scoring(self, number: int, vector: tuple[int, ...], totals: Sequence[dict]) -> Snapshot:
        """The snapshot of generation ``vector[number]`` that scores with the collection's statistics."""
        with self.lock:
            snapshot = self._scoring.get(vector)
            if snapshot is None:
                reader = self.index.reader()
                if reader.generation != vector[number]:
                    raise StaleShard(f"{self.path}: generation {reader.generation}, not {vector[number]}")
                snapshot = Snapshot(reader, stats=GlobalStats(self.schema, totals))
                snapshot.planner.expansions = {}
                self._scoring[vector] = snapshot
                while len(self._scoring) > KEPT_GENERATIONS:
                    self._scoring.pop(next(iter(self._scoring))).close()
            return snapshot

    def kept(self, vector: tuple[int, ...]) -> Snapshot:
        snapshot = self._scoring.get(vector)
        if snapshot is None:
            raise StaleShard(f"{self.path}: the generation searched is no longer kept")
        return snapshot


_OPEN: dict[str, OpenShard] = {}
_OPENING = threading.Lock()


def open_shard(path: str) -> OpenShard:
    with _OPENING:
        shard = _OPEN.get(path)
        if shard is None:
            shard = _OPEN[path] = OpenShard(path)
        return shard


def forget_shards() -> None:
    """Drop every shard this process keeps open (tests; a worker that must let go of files)."""
    with _OPENING:
        _OPEN.clear()


# -- searching ----------------------------------------------------------------------------------------------
def _checked_plan(planner: Planner, snapshot: Snapshot, request: dict):
    """The argument checks of Snapshot.search, then the plan of the query and its filters."""
    targets = planner.check_fields(request["fields"], snapshot.default_fields)
    planner.check_sort(request["sort"])
    planner.check_facets(request["facets"])
    node, warnings = planner.parse(request["query"], request["strict"], request["operator"])
    planner.plan(node, targets, notes=warnings)
    planner.plan_filters(request["filter"], targets, request["strict"], request["operator"], warnings)


def probe(path: str, requests: Sequence[dict], expansions: Sequence[list] | None = None,
          max_expansions: int = 1024) -> dict[str, Any]:
    """Plan each request over this shard and say what planning asked of the statistics.

    Returns the shard's generation, its field totals and, per request, the statistics asked with this
    shard's values, and (when ``expansions`` is None) what multi-term nodes expanded to here; with
    ``expansions`` (per request, [(node, field, terms)]) the nodes expand to those terms instead.
    """
    shard = open_shard(path)
    local = shard.local()
    out = []
    for i, request in enumerate(requests):
        recording = RecordingStats(local.stats)
        planner = Planner(local.reader, recording)
        planner.max_expansions = max_expansions
        if expansions is None:
            planner.expanded = {}
        else:
            planner.expansions = {(node, field): tuple(terms) for node, field, terms in expansions[i]}
        _checked_plan(planner, local, request)
        expanded = [(node, field, list(terms)) for (node, field), terms in (planner.expanded or {}).items()]
        out.append({"values": recording.values, "expanded": expanded})
    return {"generation": local.reader.generation, "totals": field_totals(local.stats, shard.schema),
            "queries": out}


def search(path: str, number: int, vector: tuple[int, ...], totals: Sequence[dict], requests: Sequence[dict],
           max_expansions: int = 1024) -> list[dict[str, Any]]:
    """Run each request over this shard, scoring with the collection's statistics (each request carries
    its global values and expansions), and return its best ``offset + limit`` hits with their sort keys,
    its match count and its full facet counts."""
    shard = open_shard(path)
    snapshot = shard.scoring(number, tuple(vector), totals)
    snapshot.max_expansions = max_expansions
    out = []
    for request in requests:
        snapshot.stats.learn(request["values"])
        snapshot.planner.expansions.update({(node, field): tuple(terms) for node, field, terms in request["expansions"]})
        results = snapshot.search(request["query"], limit=request["offset"] + request["limit"],
                                  fields=request["fields"], filter=request["filter"], sort=request["sort"],
                                  facets=request["facets"], strict=request["strict"],
                                  default_operator=request["operator"])
        hits = [(h.score, *h.address, h.id) for h in results]
        keys = _sort_keys(snapshot, request["sort"], hits) if request["sort"] else [None] * len(hits)
        out.append({
            "hits": [(score, key, seg, doc, doc_id) for (score, seg, doc, doc_id), key in zip(hits, keys)],
            "total": results.total, "facets": results.facets, "warnings": results.warnings,
            "parsed": str(results.query), "fields": results.fields,
            "highlight": {f: sorted(t) for f, t in results.highlight_terms.items()},
        })
    return out


def _sort_keys(snapshot: Snapshot, sort: str, hits: list) -> list[Any]:
    """Each hit's value of the sort field as hits across shards compare it: a number (NUMERIC, DATE) or
    the document's smallest value (KEYWORD, ID); None when it has none."""
    field = sort.lstrip("-")
    numeric = isinstance(snapshot.schema[field], NUMERIC | DATE)
    keys = []
    for _, seg, doc, _ in hits:
        segment = snapshot.reader.segments[seg]
        key = float(snapshot.sort_keys.keys(seg, segment, field, np.array([doc]))[0])
        if np.isnan(key):
            keys.append(None)
        else:
            keys.append(key if numeric else snapshot.sort_keys.sorted_values(field)[int(key)])
    return keys


def fetch(path: str, vector: tuple[int, ...], addresses: Sequence[tuple[int, int]]) -> list[dict]:
    """The stored fields of documents of the generation searched, by (segment_ord, doc_id)."""
    reader: IndexReader = open_shard(path).kept(tuple(vector)).reader
    return [reader.segments[seg].stored(doc) for seg, doc in addresses]


def document(path: str, doc_id: str) -> dict | None:
    return open_shard(path).local().document(doc_id)


def document_terms(path: str, doc_ids: Sequence[str], fields: Sequence[str]) -> list[dict[str, int]]:
    """Each document's index terms with their frequencies over ``fields`` ({} for one not found): the
    feedback documents' term vectors, read from the shard's postings."""
    reader = open_shard(path).local().reader
    found = [(i, reader.find_id(str(doc_id))) for i, doc_id in enumerate(doc_ids)]
    present = [(i, address) for i, address in found if address is not None]
    vectors = feedback.document_terms(reader, [address for _, address in present], fields)
    out: list[dict[str, int]] = [{} for _ in doc_ids]
    for (i, _), terms in zip(present, vectors):
        out[i] = dict(terms)
    return out


def term_counts(path: str, terms: Sequence[str], fields: Sequence[str]) -> tuple[int, list[int]]:
    """(the shard's live documents with any of ``fields``, each term's documents in any of them): summed
    over the shards, the collection's, as feedback filters its terms by."""
    stats = open_shard(path).local().stats
    fields = tuple(fields)
    return stats.doc_count(fields), [stats.doc_freq(tuple((field, term) for field in fields)) for term in terms]


def doc_count(path: str) -> int:
    return open_shard(path).index.reader().doc_count


# -- writing ------------------------------------------------------------------------------------------------
def apply(path: str, ops: Sequence[tuple[str, Any]], lock_timeout: float | None) -> list[Any]:
    """Apply ("add" | "update", fields) and ("delete", id) operations in one writer and commit them."""
    index = open_shard(path).index
    outcomes = []
    with index.writer(lock_timeout=lock_timeout) as writer:
        for kind, arg in ops:
            if kind == "add":
                outcomes.append(writer.add_document(**arg))
            elif kind == "update":
                outcomes.append(writer.update_document(**arg))
            else:
                outcomes.append(writer.delete_document(arg))
    return outcomes


def spool(docs: Sequence[dict] | Iterator[dict], directory: str, part: str, shards: int, id_field: str) -> list[str]:
    """Write ``docs`` as NDJSON, one file per shard they route to: ``{directory}/{shard}-{part}.jsonl``."""
    from .layout import shard_of

    files: dict[int, Any] = {}
    try:
        for doc in docs:
            if not isinstance(doc, dict) or id_field not in doc:
                raise DocumentError(f"a document of a sharded index needs its ID field {id_field!r}: {str(doc)[:80]}")
            number = shard_of(str(doc[id_field]), shards)
            out = files.get(number)
            if out is None:
                out = files[number] = open(Path(directory) / f"{number:03d}-{part}.jsonl", "w", encoding="utf-8")
            out.write(json.dumps(doc, ensure_ascii=False, default=str))
            out.write("\n")
    finally:
        for out in files.values():
            out.close()
    return sorted(str(Path(directory) / f"{n:03d}-{part}.jsonl") for n in files)


def build(path: str, files: Sequence[str], commit_every: int, memory_budget_mb: float) -> dict[str, int]:
    """Add or replace the documents of spooled NDJSON ``files`` in one shard, committing every
    ``commit_every`` documents: memory stays within the writer's budget, and a run cut short keeps its
    commits (running it again skips the documents already there, unchanged)."""
    from ..index.parallel import bulk_index

    def documents() -> Iterator[dict]:
        for name in files:
            with open(name, encoding="utf-8") as lines:
                for line in lines:
                    yield json.loads(line)

    index = open_shard(path).index
    with index.writer(memory_budget_mb=memory_budget_mb) as writer:
        counts: Counter = bulk_index(writer, documents(), commit_every=commit_every)
    return dict(counts)


def check(path: str) -> list[str]:
    from ..index.check import check_index

    return [str(p) for p in check_index(path).problems if p.fatal]

