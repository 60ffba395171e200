"""bulk_index: add-or-replace streams of documents, in this process or in worker processes."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchcore as sc
from tests.conftest import TINY_CORPUS, tiny_schema
from tests.strategies import texts

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


# -- the writer knows every ID a bulk load added -----------------------------------------------------------
def open_with(path, docs, jobs, budget_mb=256.0):
    """An index of TINY_CORPUS and a writer that has bulk-loaded ``docs`` into it, not committed."""
    ix = sc.Index.create(path, tiny_schema())
    with ix.writer() as w:
        w.add_documents(TINY_CORPUS)
    w = ix.writer(memory_budget_mb=budget_mb)
    sc.bulk_index(w, docs, jobs=jobs)
    return ix, w


def all_ids(ix) -> list[str]:
    """The ID of every live document, a duplicate as often as it occurs."""
    reader = ix.reader()
    return sorted(s.doc_key(d) for s in reader.segments for d in range(s.num_docs) if s.is_live(d))


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_writer_knows_the_ids_a_bulk_load_added(tmp_path, jobs):
    ix, w = open_with(tmp_path / "ix", MORE, jobs, budget_mb=0.05)
    with w:
        assert w.delete_document("m7") is True
        assert w.delete_document("m7") is False
        with pytest.raises(sc.DocumentError, match="'m8' is already in the index"):
            w.add_document(id="m8", body="a second m8")
        assert w.update_document(**MORE[9]) == "unchanged"
        assert w.update_document(id="m10", body="changed") == "updated"
        assert w.update_document(id="t1", body="changed too") == "updated"
    ids = all_ids(ix)
    assert len(ids) == len(set(ids)) == len(TINY_CORPUS) + len(MORE) - 1
    assert "m7" not in ids
    with ix.searcher() as s:
        assert s.document("m10")["body"] == "changed"
        assert s.document("m8")["body"] == MORE[8]["body"]
    assert ix.check().ok


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_document_a_worker_still_holds_can_be_deleted_or_replaced(tmp_path, jobs):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())

    def docs(w):
        yield from MORE[:300]
        # m0 and m1 went to a worker (or the writer's buffer) and are in no segment yet
        assert w.delete_document("m0") is True
        assert w.update_document(id="m1", body="replaced while held") in {"updated", "unchanged"}
        yield from MORE[300:]

    with ix.writer() as w:
        sc.bulk_index(w, docs(w), jobs=jobs)
    ids = all_ids(ix)
    assert len(ids) == len(set(ids)) == len(MORE) - 1
    with ix.searcher() as s:
        assert s.document("m1")["body"] == "replaced while held"
        assert s.document("m0") is None
    assert ix.check().ok


KEYS = [f"k{i}" for i in range(12)]
ops = st.lists(st.tuples(st.sampled_from(["add", "update", "delete"]), st.sampled_from(KEYS), texts), max_size=25)


@settings(max_examples=25, deadline=None)
@given(committed=st.dictionaries(st.sampled_from(KEYS), texts, max_size=6),
       loaded=st.dictionaries(st.sampled_from(KEYS), texts, max_size=12),
       ops=ops, jobs=st.sampled_from([1, 2]))
def test_any_mix_after_a_bulk_load_keeps_one_document_per_id(committed, loaded, ops, jobs):
    """Adds, updates and deletes after a bulk load, in the same writer, behave as a dict of ID -> body."""
    model = dict(committed)
    with tempfile.TemporaryDirectory() as tmp:
        ix = sc.Index.create(tmp + "/ix", tiny_schema())
        with ix.writer() as w:
            w.add_documents({"id": k, "body": b} for k, b in committed.items())
        with ix.writer(memory_budget_mb=0.002) as w:
            sc.bulk_index(w, ({"id": k, "body": b} for k, b in loaded.items()), jobs=jobs)
            model.update(loaded)
            for op, key, body in ops:
                if op == "add":
                    if key in model:
                        with pytest.raises(sc.DocumentError):
                            w.add_document(id=key, body=body)
                    else:
                        w.add_document(id=key, body=body)
                        model[key] = body
                elif op == "update":
                    expected = "added" if key not in model else "unchanged" if model[key] == body else "updated"
                    assert w.update_document(id=key, body=body) == expected
                    model[key] = body
                else:
                    assert w.delete_document(key) is (model.pop(key, None) is not None)
        assert all_ids(ix) == sorted(model)
        with ix.searcher() as s:
            assert {k: s.document(k)["body"] for k in model} == model
