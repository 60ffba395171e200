"""Reuters-21578 + the AFP story: index build and query latency, every engine side by side in one run.

Run with ``make bench`` (``pytest bench/ --benchmark-group-by=group``). Each case is one ``benchmark.group``
holding every engine, searchcore and Whoosh always, the installed peers (bm25s, tantivy, SQLite FTS5)
too. Nothing here asserts speed; the top-10 overlap of each engine with searchcore is recorded in
extra_info so a fast wrong engine shows. ``SEARCHCORE_BENCH_ENGINES`` narrows the engines.
"""

from __future__ import annotations

import itertools
import shutil

import pytest
from engines import JOBS_2, dir_size, engine_named, selected_engines
from measure import time_queries

ENGINES = selected_engines()
ENGINE_IDS = [e.name for e in ENGINES]
CORPUS = {"corpus": "reuters", "corpus_description": "Reuters-21578 + the seed story"}


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
    benchmark.extra_info.update(CORPUS, case="build", engine=engine.name, documents=len(docs))
    benchmark.extra_info["index_mb"] = round(dir_size(last) / 2**20, 2)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.skipif("searchcore" not in ENGINE_IDS, reason="searchcore is not among the selected engines")
def test_build_two_jobs(benchmark, docs, tmp_path):
    """searchcore's build with two worker processes (``search index --jobs 2``), in the same group."""
    benchmark.group = "reuters: build index"
    engine = engine_named("searchcore")
    counter = itertools.count()

    def setup():
        return (tmp_path / f"ix{next(counter)}",), {}

    benchmark.pedantic(lambda path: engine.build(docs, path, jobs=2), setup=setup, rounds=2, iterations=1)
    last = tmp_path / f"ix{next(counter) - 1}"
    benchmark.extra_info.update(CORPUS, case="build", engine=JOBS_2, documents=len(docs))
    benchmark.extra_info["index_mb"] = round(dir_size(last) / 2**20, 2)
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_query(benchmark, engine, built, queries, docs):
    """One round per query of the log: the median of the rounds is the p50 query latency."""
    benchmark.group = f"reuters: query top-10, {len(queries)} disjunctive queries"
    benchmark.extra_info.update(CORPUS, case="query", engine=engine.name, documents=len(docs))
    reference = engine_named("searchcore").searcher(built["searchcore"]) if "searchcore" in built else None
    time_queries(benchmark, engine, built[engine.name], queries, reference)
