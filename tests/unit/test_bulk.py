"""bulk_index: add-or-replace streams of documents, in this process or in worker processes."""

from __future__ import annotations

import multiprocessing
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchcore as sc
from searchcore.index import parallel
from searchcore.index import writer as writer_module
from searchcore.index.merge import pick_merge
from tests.conftest import TINY_CORPUS, tiny_schema
from tests.strategies import texts

MORE = [{"id": f"m{i}", "title": f"note {i}", "body": " ".join(["oil", "bank", "visit"][: i % 3 + 1] * (i % 4 + 1))}
        for i in range(600)]


def build(path, docs, jobs, budget_mb=256.0):
    ix = sc.Index.create(path, tiny_schema())
    # unmerged: the small segments a small budget flushes stay apart (the merge policy would join them)
    with ix.writer(memory_budget_mb=budget_mb, merge=False) as w:
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
    return sorted(s.doc_key(d) for s in reader.segments for d in range(s.max_doc) if s.is_live(d))


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


# -- periodic commits, interruptions, the jobs cap, merging after a load ------------------------------------
def segment_dirs(ix) -> set[str]:
    return {p.name for p in ix.path.iterdir() if p.name.startswith("seg_")}


@pytest.mark.parametrize("jobs", [1, 2])
def test_commit_every_commits_as_it_goes_and_reports_what_is_committed(tmp_path, jobs):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    reported = []
    with ix.writer(memory_budget_mb=0.05) as w:
        counts = sc.bulk_index(w, TINY_CORPUS + MORE, jobs=jobs, commit_every=100,
                               on_commit=lambda c: reported.append((c, ix.doc_count())))
    assert [c for c, _ in reported] == [{"added": n, "updated": 0, "unchanged": 0} for n in range(100, 601, 100)]
    assert all(committed == c["added"] for c, committed in reported)
    assert counts == {"added": 606, "updated": 0, "unchanged": 0}
    assert ix.doc_count() == 606 and ix.check().ok


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("error", [KeyboardInterrupt, ValueError])
def test_an_interrupted_load_keeps_its_commits_drops_the_rest_and_a_rerun_skips_them(tmp_path, jobs, error):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    reported = []

    def docs():
        yield from MORE[:250]
        raise error("stop")

    with ix.writer(memory_budget_mb=0.05) as w:
        with pytest.raises(error):
            sc.bulk_index(w, docs(), jobs=jobs, commit_every=100, on_commit=reported.append)
        assert w.buffered == 0  # the 50 documents after the last commit were dropped
    assert reported[-1] == {"added": 200, "updated": 0, "unchanged": 0}
    assert ix.doc_count() == 200 and ix.check().ok
    assert segment_dirs(ix) == {s.name for s in ix.reader().segments}  # no uncommitted segment left behind
    with ix.writer() as w:
        counts = sc.bulk_index(w, MORE, jobs=jobs, commit_every=100)
    assert counts == {"added": 400, "updated": 0, "unchanged": 200}
    assert all_ids(ix) == sorted(d["id"] for d in MORE)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_load_drops_the_deletions_it_made(tmp_path, jobs):
    """An update deletes the old version at once; when the load fails, the old version must stay."""
    ix, _ = build(tmp_path / "ix", MORE[:100], 1)
    changed = [{**doc, "body": "new text"} for doc in MORE[:100]]
    with ix.writer() as w:
        with pytest.raises(sc.DocumentError, match="appears twice"):
            sc.bulk_index(w, [*changed, changed[0]], jobs=jobs)
    assert all_ids(ix) == sorted(d["id"] for d in MORE[:100])
    with ix.searcher() as s:
        assert s.document("m5")["body"] == MORE[5]["body"]


def test_jobs_are_capped_at_the_cpus_this_process_may_use(tmp_path, monkeypatch):
    assert 1 <= parallel.max_jobs() <= (multiprocessing.cpu_count() or 1)
    monkeypatch.setattr(parallel, "max_jobs", lambda: 2)
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    workers = []
    with ix.writer() as w:
        sc.bulk_index(w, MORE, jobs=64, commit_every=300,
                      on_commit=lambda c: workers.append(len(multiprocessing.active_children())))
    assert workers == [2, 2]
    assert ix.doc_count() == len(MORE)


def test_a_bulk_load_ends_with_the_segments_the_merge_policy_allows(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "max_jobs", lambda: 4)
    flushed_ix = sc.Index.create(tmp_path / "flushed", tiny_schema())
    with flushed_ix.writer(memory_budget_mb=0.02, merge=False) as w:
        sc.bulk_index(w, MORE, jobs=4)
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    with ix.writer(memory_budget_mb=0.02) as w:
        sc.bulk_index(w, MORE, jobs=4)
    flushed = flushed_ix.reader().manifest.segments
    merged = ix.reader().manifest.segments
    assert len(flushed) >= 30
    assert pick_merge([s.doc_count for s in merged], [s.num_deleted for s in merged]) is None
    assert len(merged) < len(flushed) // 3
    assert ix.doc_count() == len(MORE) and ix.check().ok


def test_a_commit_cut_short_after_the_manifest_is_renamed_is_kept(tmp_path, monkeypatch):
    real = writer_module.write_manifest

    def renamed_then_interrupted(directory, manifest):
        real(directory, manifest)
        raise KeyboardInterrupt

    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    with pytest.raises(KeyboardInterrupt):
        with ix.writer(memory_budget_mb=0.01) as w:
            w.add_documents(MORE[:50])
            monkeypatch.setattr(writer_module, "write_manifest", renamed_then_interrupted)
            w.commit()
    assert ix.doc_count() == 50
    assert ix.check().ok
    assert all_ids(ix) == sorted(d["id"] for d in MORE[:50])


def test_a_worker_error_reaches_the_caller_as_itself(tmp_path, monkeypatch):
    """A worker whose disk fills raises, in the parent, the IndexIOError naming the file, not a traceback."""
    import errno

    from searchcore.index import fileops

    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    real_append = fileops.append

    def full(fd, path, data):
        if path.name == "arrays.pack":
            raise fileops._error(path, "write", OSError(errno.ENOSPC, "No space left on device"))
        return real_append(fd, path, data)

    monkeypatch.setattr(fileops, "append", full)  # inherited by the forked workers
    with ix.writer() as w, pytest.raises(sc.IndexIOError) as caught:
        sc.bulk_index(w, ({"id": str(i), "body": "oil prices"} for i in range(600)), jobs=2)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename.endswith("arrays.pack")


def test_commit_seconds_commits_by_the_clock(tmp_path, monkeypatch):
    """With commit_seconds, a commit follows whenever that much time has passed since the last one (a fake
    clock here: ten seconds a reading)."""
    from searchcore.index import parallel

    readings = iter(range(0, 10_000, 10))
    monkeypatch.setattr(parallel.time, "monotonic", lambda: next(readings))
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    committed = []
    with ix.writer() as w:
        sc.bulk_index(w, ({"id": str(i), "body": "oil"} for i in range(7)), commit_seconds=25,
                      on_commit=lambda counts: committed.append((sum(counts.values()), ix.doc_count())))
    assert committed == [(3, 3), (6, 6)]  # 30 s after the start, and 30 s after that
    assert ix.doc_count() == 7
