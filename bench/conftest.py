from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import documents, query_log  # noqa: E402
from engines import ENGINES, SKIPPED, selected_engines  # noqa: E402


@pytest.fixture(scope="session")
def docs():
    docs = documents()
    if not docs:
        pytest.skip("Reuters-21578 not found (set SEARCHCORE_CORPORA)")
    return docs


@pytest.fixture(scope="session")
def queries(docs):
    return query_log(docs)


@pytest.fixture(scope="session")
def built(docs, tmp_path_factory):
    """Each selected engine's index over the same documents, built once for the query benchmarks."""
    out = {}
    for engine in selected_engines():
        path = tmp_path_factory.mktemp(engine.name) / "ix"
        engine.build(docs, path)
        out[engine.name] = path
    return out


def pytest_benchmark_update_machine_info(config, machine_info):
    """Which engines this run could use and why any peer was left out: the report prints it."""
    machine_info["searchcore_bench"] = {
        "engines_available": [e.name for e in ENGINES],
        "engines_selected": [e.name for e in selected_engines()],
        "engines_skipped": dict(SKIPPED),
    }
