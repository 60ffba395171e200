"""explain(): the score broken down per clause and field; the root value is the hit's score."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from searchcore.cli import main
from tests.properties.test_bm25_reference import build, to_node
from tests.strategies import corpora, queries


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=corpora(), query=queries)
def test_explanation_equals_the_score_of_every_hit(tmp_path_factory, docs, query):
    ix = build(tmp_path_factory.mktemp("ix"), docs, 3)
    node = to_node(query)
    with ix.searcher() as s:
        hits = s.search(node, limit=len(docs))
        for hit in hits:
            explanation = s.explain(node, hit.id)
            assert explanation.matched
            np.testing.assert_allclose(explanation.value, hit.score, rtol=1e-9)
        for doc in docs:
            if doc["id"] not in {h.id for h in hits}:
                explanation = s.explain(node, doc["id"])
                assert not explanation.matched and explanation.value == 0


def test_explanation_names_fields_and_statistics(tiny_index):
    with tiny_index.searcher() as s:
        text = str(s.explain("belarus", "t4"))
        assert "title: boost * tf / (1 - b + b * dl / avgdl)" in text and "body:" in text
        assert "idf" in text and "avgdl" in text
        assert not s.explain("belarus", "missing").matched


def test_cli_explain(tiny_index):
    result = CliRunner().invoke(main, ["belarus", "--index", str(tiny_index.path), "--explain"])
    assert result.exit_code == 0, result.output
    assert "= sum of the matching clauses" in result.output or "'belarus' in" in result.output
    assert "tf~, the sum over fields (BM25F)" in result.output
