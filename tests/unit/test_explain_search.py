"""Explain explains the search that ran: its fields, operator, filters and scorer, on every execution path."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

import searchcore as sc
from searchcore.cli import main
from tests.conftest import TINY_CORPUS, tiny_schema

CASES = [
    ("oil prices", {}),
    ("oil prices", {"fields": ["title"]}),
    ("oil prices opec", {"default_operator": "AND"}),
    ("minister OR oil OR bank", {"filter": ["topics:crude"]}),
    ("minister OR oil OR bank", {"filter": ["date:[1987-03-01 TO 1987-03-31]"], "fields": ["body"]}),
    ('"oil prices" OR opec^3', {}),
    ("pric* OR visit~1", {"fields": ["title", "body"]}),
    ("+oil -coffee prices", {}),
    ("title:opec OR body:oil", {"fields": ["title"]}),
]


@pytest.fixture
def segmented(tmp_path) -> sc.Index:
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    for start in range(0, len(TINY_CORPUS), 2):  # three segments
        with ix.writer(merge=False) as w:
            for doc in TINY_CORPUS[start:start + 2]:
                w.add_document(**doc)
    return ix


@pytest.mark.parametrize("maxscore", [False, True])
@pytest.mark.parametrize("query, options", CASES)
def test_explanation_equals_the_score_of_every_hit(segmented, query, options, maxscore):
    with segmented.searcher(scorer=sc.BM25(k1=0.9, b=0.4)) as s:
        if maxscore:
            s.maxscore_min_docs = 1  # every segment through MaxScore where the plan allows it
            s.maxscore_min_postings = 0  # and on lists of any length
        results = s.search(query, limit=10, **options)
        assert len(results) > 0
        for hit in results:
            explanation = results.explain(hit)
            assert explanation.matched
            assert_allclose(explanation.value, hit.score, rtol=1e-6)
            again = s.explain(query, hit.id, options.get("fields"),
                              **{k: v for k, v in options.items() if k != "fields"})
            assert_allclose(again.value, hit.score, rtol=1e-6)


def test_a_document_that_fails_the_filter_does_not_match(segmented):
    with segmented.searcher() as s:
        explanation = s.explain("oil", "t5", filter=["topics:crude"])
        assert not explanation.matched and explanation.value == 0.0
        assert "filter 1" in explanation.description
        assert s.explain("oil", "t1", filter=["topics:crude"]).matched


def test_results_explain_only_their_own_hits(segmented):
    with segmented.searcher() as s:
        first, second = s.search("oil"), s.search("oil")
        with pytest.raises(sc.SearchcoreError):
            first.explain(second[0])


def test_cli_explains_the_fields_that_were_searched(tmp_path):
    source = tmp_path / "docs.jsonl"
    source.write_text(
        '{"id": "a", "title": "Oil prices", "body": "Crude oil prices rose; oil output fell."}\n'
        '{"id": "b", "title": "Bank rates", "body": "Oil was not mentioned in the title."}\n',
        encoding="utf-8",
    )
    path = tmp_path / "ix"
    assert CliRunner().invoke(main, ["index", str(source), "--index", str(path)]).exit_code == 0
    result = CliRunner().invoke(main, ["oil", "--field", "title", "--explain", "--index", str(path)])
    assert result.exit_code == 0, result.output
    scores = [float(x) for x in re.findall(r"score (\d+\.\d+)", result.output)]
    explained = [float(x) for x in re.findall(r"^    (\d[\d.e+-]*) = ", result.output, flags=re.M)]
    assert scores and len(explained) == len(scores)
    assert_allclose(explained, scores, atol=5e-4)  # the printed score has three decimals


def test_explain_ignores_an_empty_filter_as_search_does(segmented):
    with segmented.searcher() as s:
        (hit, *_) = s.search("oil", filter=[""])
        assert s.explain("oil", hit.id, filter=[""]).value == pytest.approx(hit.score, rel=1e-6)
