from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import documents, query_log  # noqa: E402
from engines import ENGINES  # noqa: E402


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
    """Each engine's index over the same documents, built once for the query benchmarks."""
    out = {}
    for engine in ENGINES:
        path = tmp_path_factory.mktemp(engine.name) / "ix"
        engine.build(docs, path)
        out[engine.name] = path
    return out
