"""Reuters-21578: prefix, phrase and fuzzy queries, searchcore and Whoosh side by side in one run.

The peers' query languages differ (bm25s has none), so these cases compare the two engines with a query
parser for all three kinds. Query logs are deterministic (``bench/corpus.py``); top-10 overlap with
searchcore is recorded as for the free-text log.
"""

from __future__ import annotations

import pytest
from corpus import fuzzy_log, phrase_log, prefix_log
from engines import engine_named, selected_engines
from measure import time_queries

ENGINES = [e for e in selected_engines() if e.name in ("searchcore", "whoosh")]
ENGINE_IDS = [e.name for e in ENGINES]
KINDS = {"prefix": prefix_log, "phrase": phrase_log, "fuzzy": fuzzy_log}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_query_kind(benchmark, engine, kind, built, docs):
    queries = KINDS[kind](docs)
    benchmark.group = f"reuters: {kind} queries top-10, {len(queries)} queries"
    benchmark.extra_info.update(corpus="reuters", corpus_description="Reuters-21578 + the seed story",
                                case=f"query-{kind}", engine=engine.name, documents=len(docs),
                                example=queries[0])
    reference = engine_named("searchcore").searcher(built["searchcore"]) if "searchcore" in built else None
    time_queries(benchmark, engine, built[engine.name], queries, reference)
