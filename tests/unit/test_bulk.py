"""bulk_index: add-or-replace streams of documents, in this process or in worker processes."""

from __future__ import annotations

import numpy as np
import pytest

import searchcore as sc
from tests.conftest import TINY_CORPUS, tiny_schema

MORE = [{"id": f"m{i}", "title": f"note {i}", "body": " ".join(["oil", "bank", "visit"][: i % 3 + 1] * (i % 4 + 1))}
        for i in range(600)]


def build(path, docs, jobs, budget_mb=256.0):
    ix = sc.Index.create(path, tiny_schema())
    with ix.writer(memory_budget_mb=budget_mb) as w:
        counts = sc.bulk_index(w, docs, jobs=jobs)
    return ix, counts


@pytest.mark.parametrize("jobs", [2, 3])
def test_workers_give_the_same_scores_as_one_process(tmp_path, jobs):
    docs = TINY_CORPUS + MORE
    one, counts_one = build(tmp_path / "one", docs, 1)
    many, counts_many = build(tmp_path / "many", docs, jobs, budget_mb=0.05)
    assert counts_one == counts_many == {"added": len(docs), "updated": 0, "unchanged": 0}
    assert many.stats()["segments"] > 1
    for query in ["oil", "bank visit", '"oil bank"', "+visit -oil", "topics:crude"]:
        with one.searcher() as s1, many.searcher() as s2:
            a = {h.id: h.score for h in s1.search(query, limit=1000)}
            b = {h.id: h.score for h in s2.search(query, limit=1000)}
        assert a.keys() == b.keys()
        np.testing.assert_allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(a)], rtol=1e-9)


@pytest.mark.parametrize("jobs", [1, 2])
def test_running_again_skips_unchanged_and_replaces_changed(tmp_path, jobs):
    ix, _ = build(tmp_path / "ix", TINY_CORPUS, jobs)
    changed = [dict(doc) for doc in TINY_CORPUS]
    changed[0]["body"] = "Completely new text about coffee."
    with ix.writer() as w:
        counts = sc.bulk_index(w, changed + [{"id": "new", "body": "fresh"}], jobs=jobs)
    assert counts == {"added": 1, "updated": 1, "unchanged": len(TINY_CORPUS) - 1}
    assert ix.doc_count() == len(TINY_CORPUS) + 1
    with ix.searcher() as s:
        assert s.document("t1")["body"] == "Completely new text about coffee."


@pytest.mark.parametrize("jobs", [1, 2])
def test_duplicate_id_in_one_batch_is_refused_and_nothing_is_committed(tmp_path, jobs):
    ix, _ = build(tmp_path / "ix", TINY_CORPUS[:2], 1)
    with pytest.raises(sc.DocumentError, match="document 'x': the ID 'x' appears twice in this batch"):
        with ix.writer() as w:
            sc.bulk_index(w, [{"id": "x", "body": "a"}, {"id": "y", "body": "b"}, {"id": "x", "body": "c"}], jobs=jobs)
    assert ix.doc_count() == 2
    assert ix.check().ok


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_bad_document_names_itself_and_the_field(tmp_path, jobs):
    ix, _ = build(tmp_path / "ix", TINY_CORPUS[:2], 1)
    with pytest.raises(sc.DocumentError, match="document 'bad': field 'date' is DATE"):
        with ix.writer() as w:
            sc.bulk_index(w, [*MORE[:300], {"id": "bad", "date": "yesterday"}], jobs=jobs)
    assert ix.doc_count() == 2
