"""Pseudo-relevance feedback (RM3): the expansion equals a relevance model computed plainly from the stored
text of the first pass's best documents; weight 1.0 ranks as the plain search; deletions are respected."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from click.testing import CliRunner

import searchcore as sc
from searchcore.cli import main

WORDS = ["oil", "opec", "crude", "output", "quota", "vienna", "bank", "rates", "grain", "wheat", "harvest",
         "coffee", "cocoa", "export", "minister", "visit", "belarus", "russia", "talks", "prices"]


def corpus(seed: int, n: int = 150) -> dict[str, dict[str, str]]:
    rng = random.Random(seed)
    docs = {}
    for i in range(n):
        topic = rng.sample(WORDS, 4)  # each story keeps to a few words, so feedback has something to find
        docs[f"s{i}"] = {"title": " ".join(rng.choices(topic, k=2)),
                         "body": " ".join(rng.choices(topic + WORDS, weights=[6] * 4 + [1] * len(WORDS), k=25))}
    return docs


def build(path, docs) -> sc.Index:
    ix = sc.Index.create(path, sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0),
                                         body=sc.TEXT(stored=True)))
    with ix.writer() as w:
        for doc_id, fields in docs.items():
            w.add_document(id=doc_id, **fields)
    return ix


def plain_relevance_model(ix: sc.Index, searcher, query: str, rm3: sc.RM3, live: set[str]) -> list[tuple[str, float]]:
    """RM3's expansion written out from the stored text, analysed again, of the first pass's best documents."""
    analyzer = ix.schema["body"].analyzer
    first = searcher.search(query, limit=rm3.docs)
    top = [(hit.id, hit.score) for hit in first if hit.score > 0]
    vectors = {}
    for doc_id in live:
        fields = searcher.document(doc_id)
        vectors[doc_id] = Counter(analyzer(fields["title"])) + Counter(analyzer(fields["body"]))
    total = sum(score for _, score in top)
    model: Counter = Counter()
    for doc_id, score in top:
        length = sum(vectors[doc_id].values())
        for term, tf in vectors[doc_id].items():
            model[term] += score / total * tf / length
    holders = Counter(term for terms in vectors.values() for term in terms)
    kept = [(t, w) for t, w in sorted(model.items(), key=lambda item: (-item[1], item[0]))
            if holders[t] <= rm3.max_doc_share * len(live)][: rm3.terms]
    norm = sum(w for _, w in kept)
    return [(t, w / norm) for t, w in kept]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_expansion_is_the_relevance_model_of_the_best_documents(tmp_path, seed):
    docs = corpus(seed)
    ix = build(tmp_path / "ix", docs)
    rm3 = sc.RM3(docs=5, terms=8, weight=0.4, max_doc_share=0.6)
    with ix.searcher() as s:
        for query in ["oil quota", "grain harvest prices", "minister visit"]:
            results = s.search(query, limit=10, feedback=rm3)
            expected = plain_relevance_model(ix, s, query, rm3, set(docs))
            assert [t for t, _ in results.expansion] == [t for t, _ in expected]
            assert [w for _, w in results.expansion] == pytest.approx([w for _, w in expected])
            assert results.feedback == rm3
            # the terms come from the first pass's best documents only
            best = {h.id for h in s.search(query, limit=rm3.docs)}
            analyzer = ix.schema["body"].analyzer
            held = set().union(*(analyzer(docs[d]["title"] + " " + docs[d]["body"]) for d in best))
            assert {t for t, _ in results.expansion} <= held


def test_weight_one_ranks_as_the_plain_search(tmp_path):
    ix = build(tmp_path / "ix", corpus(4))
    with ix.searcher() as s:
        for query in ["oil quota", "coffee cocoa export", "russia"]:
            plain = s.search(query, limit=50)
            fed = s.search(query, limit=50, feedback=sc.RM3(weight=1.0))
            assert [h.id for h in fed] == [h.id for h in plain] and fed.total == plain.total
            words = len(set().union(*plain.highlight_terms.values()))
            assert [h.score for h in fed] == pytest.approx([h.score / words for h in plain])


def test_feedback_changes_the_ranking_and_says_what_it_added(tmp_path):
    ix = build(tmp_path / "ix", corpus(5))
    with ix.searcher() as s:
        plain = s.search("oil", limit=20)
        fed = s.search("oil", limit=20, feedback=True)
        assert fed.expansion and fed.total > plain.total  # documents without "oil" found by its company
        assert all(term in str(fed.query) for term, _ in fed.expansion)
        explained = str(fed.explain(fed[0]))  # the second pass's clauses, expansion terms among them
        assert any(f"'{term}' in title, body" in explained for term, _ in fed.expansion if term != "oil")
        assert s.search("oil", feedback=False).expansion == [] and s.search("oil").feedback is None


def test_deleted_documents_lend_no_terms(tmp_path):
    docs = corpus(6)
    docs["zz"] = {"title": "oil oil", "body": "oil quota zeppelin zeppelin zeppelin oil quota"}
    ix = build(tmp_path / "ix", docs)
    rm3 = sc.RM3(docs=3, terms=20, weight=0.5, max_doc_share=1.0)
    with ix.searcher() as s:
        assert "zeppelin" in {t for t, _ in s.search("oil quota", feedback=rm3).expansion}
    with ix.writer() as w:
        w.delete_document("zz")
    with ix.searcher() as s:
        results = s.search("oil quota", limit=200, feedback=rm3)
        assert "zeppelin" not in {t for t, _ in results.expansion} and "zz" not in {h.id for h in results}
        live = set(docs) - {"zz"}
        expected = plain_relevance_model(ix, s, "oil quota", rm3, live)
        assert [t for t, _ in results.expansion] == [t for t, _ in expected]
        assert [w for _, w in results.expansion] == pytest.approx([w for _, w in expected])


def test_the_cli_and_the_json_answer_show_the_expansion(tmp_path):
    ix = build(tmp_path / "ix", corpus(7))
    out = CliRunner().invoke(main, ["oil quota", "--index", str(ix.path), "--feedback"])
    assert out.exit_code == 0 and "feedback added: " in out.output
    answer = json.loads(CliRunner().invoke(main, ["oil quota", "--index", str(ix.path), "--feedback", "--json"]).output)
    assert answer["expansion"] and set(answer["expansion"][0]) == {"term", "weight"}


@pytest.mark.parametrize("settings", [dict(docs=0), dict(terms=-1), dict(weight=1.5), dict(max_doc_share=0)])
def test_bad_settings_are_refused(settings):
    with pytest.raises(sc.ArgumentError):
        sc.RM3(**settings)
