"""An index grown by any sequence of adds, updates, deletes, commits and merges ranks exactly like one
rebuilt from the surviving documents in their order (and like the naive reference BM25F)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import searchcore as sc
from tests.reference import ReferenceBM25
from tests.strategies import queries, words

BOOSTS = {"title": 2.0, "body": 1.0}
IDS = [f"d{i}" for i in range(12)]  # more than MERGE_FACTOR: ten one-document segments can be merged
LIMIT = len(IDS) + 2  # more than can ever match: every hit is compared
# 0.001 MB flushes a segment after every document, 0.003 MB after about four, 100 MB only at commit.
BUDGETS = [0.001, 0.003, 100.0]
QUERY_STRINGS = ["oil visit", '"crude oil"', "+price -bank", "title:opec russia", "visits minister"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ids = st.sampled_from(IDS)
contents = st.tuples(st.lists(words, max_size=3).map(" ".join), st.lists(words, max_size=8).map(" ".join))
operations = st.one_of(
    st.tuples(st.just("add"), ids, contents),
    st.tuples(st.just("update"), ids, st.one_of(contents, st.just("same"))),
    st.tuples(st.just("delete"), ids),
    st.tuples(st.just("commit")),
    st.tuples(st.just("optimize")),  # w.optimize() then w.commit(), in the same writer
    st.tuples(st.just("reopen")),    # commit, close the writer and open a new one
)


def schema() -> sc.Schema:
    return sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=BOOSTS["title"]),
                     body=sc.TEXT(stored=True, boost=BOOSTS["body"]))


def apply(ix: sc.Index, ops, budget: float) -> OrderedDict:
    """Run ``ops`` against ``ix`` and against a plain model; returns the model (id -> doc, in index order)."""
    model: OrderedDict[str, dict] = OrderedDict()
    w = ix.writer(memory_budget_mb=budget, merge=True)
    try:
        for op in ops:
            kind = op[0]
            if kind == "add":
                _, key, (title, body) = op
                doc = {"id": key, "title": title, "body": body}
                if key in model:
                    with pytest.raises(sc.DocumentError):
                        w.add_document(**doc)
                else:
                    w.add_document(**doc)
                    model[key] = doc
            elif kind == "update":
                _, key, content = op
                if content == "same":
                    doc = dict(model[key]) if key in model else {"id": key, "title": "", "body": "oil"}
                else:
                    doc = {"id": key, "title": content[0], "body": content[1]}
                if key not in model:
                    expected = "added"
                elif model[key] == doc:
                    expected = "unchanged"
                else:
                    expected = "updated"
                assert w.update_document(**doc) == expected
                if expected != "unchanged":  # a real update moves the document to the end
                    model.pop(key, None)
                    model[key] = doc
            elif kind == "delete":
                _, key = op
                assert w.delete_document(key) == (key in model)
                model.pop(key, None)
            elif kind == "commit":
                w.commit()
            elif kind == "optimize":
                w.optimize()
                w.commit()
            elif kind == "reopen":
                w.commit()
                w.close()
                w = ix.writer(memory_budget_mb=budget, merge=True)
        w.commit()
    finally:
        w.close()
    return model


def to_node(query) -> sc.Bool:
    groups: dict[str, list] = {"": [], "+": [], "-": []}
    for kind, text, field in query:
        groups[kind].append(sc.Phrase(text, field) if " " in text else sc.Term(text, field))
    return sc.Bool(tuple(groups[""]), tuple(groups["+"]), tuple(groups["-"]))


def reference(docs: list[dict], query) -> list[tuple[str, float]]:
    parts: dict[str, list] = {"": [], "+": [], "-": []}
    for kind, text, field in query:
        parts[kind].append((text, field))
    return ReferenceBM25(docs, BOOSTS).search(parts[""], parts["+"], parts["-"])


def run(ix: sc.Index, query, limit: int = LIMIT) -> tuple[list[str], list[float], int]:
    with ix.searcher() as s:
        results = s.search(query, limit=limit)
        return [h.id for h in results], [h.score for h in results], results.total


def assert_same_ranking(got, want) -> None:
    (got_ids, got_scores, got_total), (want_ids, want_scores, want_total) = got, want
    assert got_total == want_total
    assert got_ids == want_ids
    if want_ids:
        np.testing.assert_allclose(got_scores, want_scores, rtol=1e-6)


@SETTINGS
@given(ops=st.lists(operations, min_size=1, max_size=40), budget=st.sampled_from(BUDGETS),
       drawn=st.lists(queries, min_size=2, max_size=2))
# update after delete (same content as before the delete: "added", appended at the end), then optimize
@example(ops=[("add", "d0", ("oil crude", "visit the minister")), ("add", "d1", ("", "oil prices")),
              ("add", "d2", ("opec", "crude oil visits")), ("commit",), ("delete", "d0"),
              ("update", "d0", ("oil crude", "visit the minister")), ("update", "d1", "same"), ("optimize",),
              ("add", "d3", ("oil", "oil oil")), ("delete", "d2"), ("update", "d2", ("opec", "bank rates"))],
         budget=0.003, drawn=[[("", "oil", None), ("", "visit minister", None)], [("+", "crude", None)]])
# eleven one-document segments: the merge policy merges the first ten at the commit; then deletions in
# the merged segment (a deletion file), a reopened writer, and a half-deleted segment rewritten alone
@example(ops=[*(("add", k, ("oil", f"crude minister {k}")) for k in IDS[:11]), ("commit",),
              ("update", "d0", ("oil", "visit")), ("delete", "d4"), ("update", "d1", "same"), ("commit",),
              *(("delete", k) for k in IDS[5:10]), ("reopen",), ("update", "d3", "same"), ("delete", "d7"),
              ("update", "d5", ("opec", "oil price"))],
         budget=0.001, drawn=[[("", "oil", None), ("-", "visit", "body")], [("", "oil crude", "body")]])
def test_grown_index_ranks_like_rebuilt(tmp_path_factory, ops, budget, drawn):
    grown = sc.Index.create(tmp_path_factory.mktemp("grown"), schema())
    model = apply(grown, ops, budget)
    survivors = list(model.values())

    report = grown.check()
    assert report.ok, [str(p) for p in report.problems]
    assert grown.doc_count() == len(survivors)

    rebuilt = sc.Index.create(tmp_path_factory.mktemp("rebuilt"), schema())
    with rebuilt.writer() as w:
        for doc in survivors:
            w.add_document(**doc)
    assert rebuilt.doc_count() == len(survivors)

    for query in drawn:
        node = to_node(query)
        got = run(grown, node)
        assert_same_ranking(got, run(rebuilt, node))
        want = reference(survivors, query)
        assert_same_ranking(got, ([i for i, _ in want], [s for _, s in want], len(want)))
        # top-k with a small k: ties must still break by document order
        assert_same_ranking(run(grown, node, 3), run(rebuilt, node, 3))
    for text in QUERY_STRINGS:
        assert_same_ranking(run(grown, text), run(rebuilt, text))

    with grown.searcher() as s:
        assert s.doc_count == len(survivors)
        for key in IDS:
            assert s.document(key) == model.get(key)
