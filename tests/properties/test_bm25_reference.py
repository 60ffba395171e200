"""The engine against the naive reference BM25F: same top-k, same scores, whatever the segmentation."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import searchcore as sc
from tests.reference import ReferenceBM25
from tests.strategies import corpora, queries

BOOSTS = {"title": 2.0, "body": 1.0}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def build(path, docs, segment_size):
    schema = sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=BOOSTS["title"]),
                       body=sc.TEXT(stored=True, boost=BOOSTS["body"]))
    ix = sc.Index.create(path, schema)
    for start in range(0, len(docs), segment_size):
        with ix.writer() as w:
            for doc in docs[start : start + segment_size]:
                w.add_document(**doc)
    return ix


def to_node(query):
    should, must, must_not = [], [], []
    for kind, text, field in query:
        node = sc.Phrase(text, field) if " " in text else sc.Term(text, field)
        {"": should, "+": must, "-": must_not}[kind].append(node)
    return sc.Bool(tuple(should), tuple(must), tuple(must_not))


def reference_results(docs, query, k1=1.2, b=0.75):
    ref = ReferenceBM25(docs, BOOSTS, k1, b)
    parts = {"": [], "+": [], "-": []}
    for kind, text, field in query:
        parts[kind].append((text, field))
    return ref.search(parts[""], parts["+"], parts["-"])


def engine_results(ix, query, limit, scorer=None):
    with ix.searcher(scorer) as s:
        results = s.search(to_node(query), limit=limit)
        return [(h.id, h.score) for h in results], results.total


def assert_same(engine, expected, limit):
    got_ids = [i for i, _ in engine]
    want = expected[:limit]
    assert got_ids == [i for i, _ in want]
    if want:
        np.testing.assert_allclose([s for _, s in engine], [s for _, s in want], rtol=1e-6)


@SETTINGS
@given(docs=corpora(), query=queries, segment_size=st.integers(1, 6), limit=st.integers(1, 20),
       k1=st.sampled_from([1.2, 0.5, 2.0]), b=st.sampled_from([0.75, 0.0, 1.0]))
@example(docs=[{"id": "d0", "title": "", "body": "visiting the minister visits"}],
         query=[("", "visit minister", None)], segment_size=1, limit=5, k1=1.2, b=0.75)
def test_engine_equals_reference(tmp_path_factory, docs, query, segment_size, limit, k1, b):
    ix = build(tmp_path_factory.mktemp("ix"), docs, segment_size)
    engine, total = engine_results(ix, query, limit, sc.BM25(k1=k1, b=b))
    expected = reference_results(docs, query, k1, b)
    assert total == len(expected)
    assert_same(engine, expected, limit)


@SETTINGS
@given(docs=corpora(min_docs=2), query=queries, segment_size=st.integers(1, 5))
def test_segmentation_does_not_change_scores(tmp_path_factory, docs, query, segment_size):
    one = build(tmp_path_factory.mktemp("one"), docs, len(docs))
    many = build(tmp_path_factory.mktemp("many"), docs, segment_size)
    a, total_a = engine_results(one, query, len(docs))
    b, total_b = engine_results(many, query, len(docs))
    assert total_a == total_b
    assert [i for i, _ in a] == [i for i, _ in b]
    if a:
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-12)
