"""Scale benchmarks on generated corpora (words drawn from Reuters-21578 vocabulary): build and query.

``SEARCHCORE_BENCH_SCALES`` is a comma list of scales (default "10"; "10,50" for the full run): scale N is
a generated corpus of N x 21,579 documents (see generate.py; it is not real text). For each scale there
are two groups, "gen xN: build" and "gen xN: query", each holding every selected engine. Whoosh is in by
default; at 10x and beyond it takes minutes, so ``SEARCHCORE_BENCH_ENGINES`` (comma list of engine
names, e.g. "searchcore,tantivy") narrows the engines.

Each build is timed once (one round; an index of a million documents is not rebuilt for statistics) and
that index is the one queried. Queries: the first 200 of the Reuters query log, top-10, p50/p99 and peak
resident memory while serving (a fresh subprocess) in extra_info, with index size and the top-10
overlap with searchcore. Nothing is asserted.
"""

from __future__ import annotations

import os
import shutil

import pytest
from engines import JOBS_2, dir_size, engine_named, selected_engines
from generate import DESCRIPTION, generated_documents, generated_query_log
from measure import time_queries

ENGINES = [e for e in selected_engines() if not getattr(e, "reuters_only", False)]
ENGINE_IDS = [e.name for e in ENGINES]
QUERIES = 200


def _scales() -> list[int]:
    raw = os.environ.get("SEARCHCORE_BENCH_SCALES", "10")
    return [int(s) for s in raw.split(",") if s.strip()]


@pytest.fixture(scope="session", params=_scales(), ids=lambda s: f"x{s}")
def scale(request, docs):  # docs: skips when Reuters, the generator's model, is absent
    return request.param


@pytest.fixture(scope="session")
def gen_docs(scale):
    """The generated documents of one scale; a session fixture with a parametrized scale, so pytest runs
    every case of a scale together and holds one scale's documents at a time."""
    return list(generated_documents(scale))


@pytest.fixture(scope="session")
def gen_indexes(scale, tmp_path_factory):
    """engine name -> index over the scale's documents, filled by test_build; removed with the scale."""
    root = tmp_path_factory.mktemp(f"gen{scale}")
    indexes: dict = {"root": root}
    yield indexes
    shutil.rmtree(root, ignore_errors=True)


def _info(benchmark, case, engine, scale, docs):
    benchmark.extra_info.update(
        corpus=f"gen x{scale}", corpus_description=DESCRIPTION, case=case, engine=engine.name, documents=len(docs)
    )


def _index(engine, gen_docs, gen_indexes):
    if engine.name not in gen_indexes:  # test_build did not run (deselected): build untimed
        path = gen_indexes["root"] / engine.name
        engine.build(gen_docs, path)
        gen_indexes[engine.name] = path
    return gen_indexes[engine.name]


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_build(benchmark, engine, scale, gen_docs, gen_indexes):
    benchmark.group = f"gen x{scale}: build"
    path = gen_indexes["root"] / engine.name
    benchmark.pedantic(engine.build, args=(gen_docs, path), rounds=1, iterations=1)
    gen_indexes[engine.name] = path
    _info(benchmark, "build", engine, scale, gen_docs)
    benchmark.extra_info["index_mb"] = round(dir_size(path) / 2**20, 2)


@pytest.mark.skipif("searchcore" not in ENGINE_IDS, reason="searchcore is not among the selected engines")
def test_build_two_jobs(benchmark, scale, gen_docs, gen_indexes):
    """searchcore's build with two worker processes (``search index --jobs 2``), in the build group; the
    index it builds is not the one queried."""
    benchmark.group = f"gen x{scale}: build"
    path = gen_indexes["root"] / "searchcore-2-jobs"
    benchmark.pedantic(engine_named("searchcore").build, args=(gen_docs, path), kwargs={"jobs": 2},
                       rounds=1, iterations=1)
    _info(benchmark, "build", engine_named("searchcore"), scale, gen_docs)
    benchmark.extra_info["engine"] = JOBS_2
    benchmark.extra_info["index_mb"] = round(dir_size(path) / 2**20, 2)
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_query(benchmark, engine, scale, gen_docs, gen_indexes):
    benchmark.group = f"gen x{scale}: query"
    _info(benchmark, "query", engine, scale, gen_docs)
    reference = None
    if any(e.name == "searchcore" for e in ENGINES):
        searchcore = engine_named("searchcore")
        reference = searchcore.searcher(_index(searchcore, gen_docs, gen_indexes))
    path = _index(engine, gen_docs, gen_indexes)
    benchmark.extra_info["index_mb"] = round(dir_size(path) / 2**20, 2)
    time_queries(benchmark, engine, path, generated_query_log(QUERIES), reference)
