"""Reuters-21578 + the AFP story: index build and query latency, searchcore beside Whoosh in one run.

Run with ``make bench`` (``pytest bench/ --benchmark-group-by=group``). Nothing here asserts speed; the
top-10 overlap of each engine with searchcore is recorded in extra_info so a fast wrong engine shows.
"""

from __future__ import annotations

import itertools
import shutil
import time

import numpy as np
import pytest
from engines import ENGINES, dir_size

ENGINE_IDS = [e.name for e in ENGINES]


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_build(benchmark, engine, docs, tmp_path):
    benchmark.group = "reuters: build index"
    counter = itertools.count()

    def setup():
        return (tmp_path / f"ix{next(counter)}",), {}

    def build(path):
        engine.build(docs, path)

    benchmark.pedantic(build, setup=setup, rounds=2, iterations=1)
    last = tmp_path / f"ix{next(counter) - 1}"
    benchmark.extra_info["index_mb"] = round(dir_size(last) / 2**20, 2)
    benchmark.extra_info["documents"] = len(docs)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_query(benchmark, engine, built, queries):
    """One round per query of the log: the median of the rounds is the p50 query latency."""
    benchmark.group = "reuters: query top-10, 500 disjunctive queries"
    search = engine.searcher(built[engine.name])
    reference = ENGINES[0].searcher(built[ENGINES[0].name])
    for q in queries[:20]:  # warm caches and lazy imports before timing, as a long-running service would be
        search(q)
    log = itertools.cycle(queries)
    benchmark.pedantic(lambda: search(next(log)), rounds=len(queries), iterations=1)
    latencies = []
    overlap = []
    for q in queries:
        started = time.perf_counter()
        got = search(q)
        latencies.append(time.perf_counter() - started)
        want = reference(q)
        overlap.append(len(set(got) & set(want)) / len(want) if want else float(not got))
    benchmark.extra_info["p50_ms"] = round(float(np.percentile(latencies, 50)) * 1e3, 3)
    benchmark.extra_info["p99_ms"] = round(float(np.percentile(latencies, 99)) * 1e3, 3)
    benchmark.extra_info["top10_overlap_with_searchcore"] = round(float(np.mean(overlap)), 3)
