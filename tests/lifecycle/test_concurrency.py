"""One writer at a time, many readers: writers in several processes and threads take turns on the lock
and lose nothing, a dead writer's lock does not block, a timeout raises, and a searcher keeps its snapshot."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import searchcore as sc

ROOT = Path(__file__).resolve().parents[2]
WORDS = ("oil crude price opec bank rate coffee cocoa trade deficit minister visit export grain wheat "
         "market share profit loss dollar yen gold silver steel ship port strike union tax budget").split()
QUERIES = ["oil", "crude oil", "bank rate", "coffee OR cocoa", "gold silver steel", "alpha", "bravo ship"]
WRITERS = ["alpha", "bravo", "charlie", "delta"]
COMMITS, DOCS_PER_COMMIT = 5, 10


def schema() -> sc.Schema:
    return sc.Schema(id=sc.ID(stored=True), body=sc.TEXT(stored=True))


def body_for(key: str) -> str:
    rng = random.Random(key)
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))


def writer_docs(name: str) -> list[tuple[str, str]]:
    """The documents writer ``name`` adds: its name is in each body, so a search for it counts them."""
    return [(f"{name}-{i}", f"{name} {body_for(f'{name}-{i}')}") for i in range(COMMITS * DOCS_PER_COMMIT)]


def scores_by_id(ix: sc.Index) -> dict[str, dict[str, float]]:
    with ix.searcher() as s:
        return {q: {h.id: h.score for h in s.search(q, limit=10_000)} for q in QUERIES}


def assert_same_scores(ix: sc.Index, docs: list[tuple[str, str]], tmp_path: Path) -> None:
    """Per query, the same documents with the same scores as a fresh index of ``docs`` (order-free: the
    writers interleaved in no fixed order, and BM25 statistics do not depend on it)."""
    fresh = sc.Index.create(tmp_path / "fresh", schema())
    with fresh.writer() as w:
        for key, body in docs:
            w.add_document(id=key, body=body)
    got, expected = scores_by_id(ix), scores_by_id(fresh)
    for q in QUERIES:
        assert sorted(got[q]) == sorted(expected[q]), q
        keys = sorted(expected[q])
        np.testing.assert_allclose([got[q][k] for k in keys], [expected[q][k] for k in keys], rtol=1e-9, err_msg=q)


def assert_all_present(ix: sc.Index, docs: list[tuple[str, str]]) -> None:
    assert ix.doc_count() == len(docs)
    with ix.searcher() as s:
        assert s.doc_count == len(docs)
        for key, body in docs:
            assert s.document(key) == {"id": key, "body": body}
        for name in WRITERS:
            assert s.search(name, limit=1).total == COMMITS * DOCS_PER_COMMIT
    report = ix.check()
    assert report.ok and report.problems == [], [str(p) for p in report.problems]


# -- 1. writers in several processes ----------------------------------------------------------------------

PROCESS_WRITER = r'''
import sys

import searchcore as sc

path, commits, docs = sys.argv[1], int(sys.argv[2]), __import__("json").loads(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # every writer starts at once
ix = sc.Index.open(path)
per_commit = len(docs) // commits
for c in range(commits):
    with ix.writer() as w:  # waits for the lock as long as it takes
        for key, body in docs[c * per_commit:(c + 1) * per_commit]:
            w.add_document(id=key, body=body)
print("done", flush=True)
'''


def test_writers_in_several_processes(tmp_path):
    path = tmp_path / "ix"
    ix = sc.Index.create(path, schema())
    procs = [
        subprocess.Popen([sys.executable, "-c", PROCESS_WRITER, str(path), str(COMMITS), json.dumps(writer_docs(name))],
                         cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in WRITERS
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert out == "done\n"
    docs = [doc for name in WRITERS for doc in writer_docs(name)]
    assert_all_present(ix, docs)
    assert ix.reader().generation == len(WRITERS) * COMMITS  # every commit made its own generation
    assert_same_scores(ix, docs, tmp_path)


# -- 2. writers in several threads ------------------------------------------------------------------------

def test_writers_in_several_threads(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", schema())
    start = threading.Barrier(len(WRITERS))
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            docs = writer_docs(name)
            start.wait()
            for c in range(COMMITS):
                with ix.writer() as w:  # its own writer each time; waits for the lock
                    for key, body in docs[c * DOCS_PER_COMMIT:(c + 1) * DOCS_PER_COMMIT]:
                        w.add_document(id=key, body=body)
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in WRITERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    docs = [doc for name in WRITERS for doc in writer_docs(name)]
    assert_all_present(ix, docs)
    assert ix.reader().generation == len(WRITERS) * COMMITS
    assert_same_scores(ix, docs, tmp_path)


# -- 3. and 4. the lock ----------------------------------------------------------------------------------

LOCK_HOLDER = r'''
import sys

import searchcore as sc

w = sc.Index.open(sys.argv[1]).writer(memory_budget_mb=0.004)
for i in range(40):
    w.add_document(id=f"ghost-{i}", body="ghost oil crude never committed")
w.flush()  # a flushed, uncommitted segment: a leftover once this process dies
print("locked", flush=True)
sys.stdin.readline()  # hold the lock until killed
'''


def test_lock_of_a_killed_writer_is_released(tmp_path):
    path = tmp_path / "ix"
    ix = sc.Index.create(path, schema())
    committed = writer_docs("alpha")[:20]
    with ix.writer() as w:
        for key, body in committed:
            w.add_document(id=key, body=body)

    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n", holder.stderr.read()
        with pytest.raises(sc.IndexLockedError):
            ix.writer(lock_timeout=0.2)  # the holder is alive: the lock is taken
        segments_while_held = {p.name for p in path.glob("seg_*")}
        holder.kill()
        assert holder.wait(timeout=60) == -signal.SIGKILL
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdin.close()
        holder.stdout.close()
        holder.stderr.close()
    assert len(segments_while_held) > len(ix.reader().segments)  # the dead writer left segments behind

    added = writer_docs("bravo")[:10]
    with ix.writer(lock_timeout=5) as w:  # must not raise IndexLockedError
        for key, body in added:
            w.add_document(id=key, body=body)
    docs = committed + added
    assert ix.doc_count() == len(docs)
    with ix.searcher() as s:
        for key, body in docs:
            assert s.document(key) == {"id": key, "body": body}
        assert s.document("ghost-0") is None
        assert s.search("ghost").total == 0
    assert ix.check().problems == []  # the next writer removed the dead one's segments


def test_lock_timeout_raises_while_another_writer_holds_the_lock(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", schema())
    holder = ix.writer()
    try:
        holder.add_document(id="held", body="oil")
        with pytest.raises(sc.IndexLockedError) as info:
            ix.writer(lock_timeout=0.2)
        assert isinstance(info.value, TimeoutError)
        assert ix.doc_count() == 0
        holder.commit()  # the holder keeps its lock across commits
        with pytest.raises(sc.IndexLockedError):
            ix.writer(lock_timeout=0.2)
    finally:
        holder.close()
    with ix.writer(lock_timeout=0.2) as w:  # released on close
        w.add_document(id="next", body="crude")
    assert ix.doc_count() == 2


# -- 5. readers beside a writer ---------------------------------------------------------------------------

def test_searcher_keeps_its_snapshot_while_a_writer_commits_and_merges(tmp_path):
    path = tmp_path / "ix"
    ix = sc.Index.create(path, schema())
    initial = writer_docs("alpha") + writer_docs("bravo")
    with ix.writer(memory_budget_mb=0.01, merge=False) as w:  # several segments
        for key, body in initial:
            w.add_document(id=key, body=body)
    rng = random.Random(7)
    deleted = rng.sample([key for key, _ in initial], 15)
    updated = {key: f"{body} gold silver steel" for key, body in rng.sample(initial, 15) if key not in deleted}
    added = writer_docs("charlie")

    s = ix.searcher()
    old_segments = {seg.name for seg in s.reader.segments}
    assert len(old_segments) > 1
    snapshot = scores_by_id(ix)
    assert snapshot == {q: {h.id: h.score for h in s.search(q, limit=10_000)} for q in QUERIES}

    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with ix.writer() as w:
                for key in deleted:
                    assert w.delete_document(key)
            with ix.writer() as w:
                for key, body in updated.items():
                    assert w.update_document(id=key, body=body) == "updated"
            with ix.writer() as w:
                for key, body in added:
                    w.add_document(id=key, body=body)
            ix.optimize()  # one segment: every file the searcher mapped is deleted
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def assert_snapshot() -> None:
        assert s.doc_count == len(initial)
        assert {q: {h.id: h.score for h in s.search(q, limit=10_000)} for q in QUERIES} == snapshot
        for key, body in initial[::10] + [(k, dict(initial)[k]) for k in deleted[:3] + list(updated)[:3]]:
            assert s.document(key) == {"id": key, "body": body}
        assert s.document("charlie-0") is None

    writer = threading.Thread(target=write)
    writer.start()
    rounds = 0
    while not done.is_set() or rounds == 0:
        assert_snapshot()  # however the commits interleave with it
        rounds += 1
    writer.join()
    assert errors == []
    assert_snapshot()
    assert not old_segments & {p.name for p in path.glob("seg_*")}  # the files are gone; the mappings live on
    assert len(ix.reader().segments) == 1

    assert s.refresh() is True
    assert s.refresh() is False
    latest = dict(initial)
    for key in deleted:
        del latest[key]
    latest.update(updated)
    latest.update(added)
    assert s.doc_count == len(latest) == ix.doc_count()
    for key in deleted:
        assert s.document(key) is None
    for key, body in latest.items():
        assert s.document(key) == {"id": key, "body": body}
    assert {q: {h.id: h.score for h in s.search(q, limit=10_000)} for q in QUERIES} == scores_by_id(ix)
    s.close()
    assert ix.check().problems == []


def test_hits_keep_their_generation_after_the_searcher_refreshes(tmp_path):
    """A hit found before ``refresh()`` still reads its own document, not whatever the new generation
    holds at the same (segment, doc id)."""
    ix = sc.Index.create(tmp_path / "ix", schema())
    with ix.writer() as w:
        for i, word in enumerate(["oil", "coffee", "oil"]):
            w.add_document(id=f"d{i}", body=f"{word} price {i}")
    s = ix.searcher()
    hits = list(s.search("oil price"))
    before = [(h.id, h["body"]) for h in hits]
    with ix.writer() as w:
        w.delete_document("d0")
        w.add_document(id="d9", body="coffee only")
    ix.optimize()  # the new generation renumbers the documents
    assert s.refresh() is True
    assert [(h.id, h["body"]) for h in hits] == before
    assert {h.id for h in s.search("oil")} == {"d2"}
    s.close()


def test_index_hands_out_its_reader_again_until_a_commit(tmp_path):
    """``Index.reader()`` reuses the reader it opened while the manifest is unchanged, and opens the new
    generation after any commit, including one from another Index object or a deleted and re-created index
    whose generation number is the same."""
    path = tmp_path / "ix"
    ix = sc.Index.create(path, schema())
    with ix.writer() as w:
        w.add_document(id="a", body="oil price")
    first = ix.reader()
    assert ix.reader() is first
    assert ix.searcher().reader is first

    with sc.Index.open(path).writer() as w:  # another handle on the same directory
        w.add_document(id="b", body="oil tanker")
    second = ix.reader()
    assert second is not first and second.doc_count == 2 and first.doc_count == 1
    assert {h.id for h in ix.searcher().search("oil")} == {"a", "b"}

    generation = second.generation
    sc.Index.delete(path)
    with pytest.raises(sc.IndexNotFoundError):
        ix.reader()
    again = sc.Index.create(path, schema())
    with again.writer() as w:
        w.add_document(id="c", body="coffee")
    with again.writer() as w:
        w.add_document(id="d", body="cocoa")
    assert again.reader().generation == generation  # same number, different index
    assert {h.id for h in ix.searcher().search("coffee OR cocoa OR oil")} == {"c", "d"}


def test_threads_sharing_one_reader_read_their_own_documents(tmp_path):
    """Searchers in several threads share the index's reader and its caches (term ordinals, the stored-field
    block last inflated): each thread reads the documents it asked for."""
    ix = sc.Index.create(tmp_path / "ix", schema())
    docs = {f"d{i}": f"{body_for(f'd{i}')} number {i}" for i in range(1000)}  # many stored blocks
    with ix.writer() as w:
        for key, body in docs.items():
            w.add_document(id=key, body=body)
    keys = list(docs)
    errors: list[str] = []

    def read(seed: int) -> None:
        rng = random.Random(seed)
        with ix.searcher() as s:
            for key in rng.choices(keys, k=1000):
                got = s.document(key)
                if got != {"id": key, "body": docs[key]}:
                    errors.append(f"{key}: {got}")

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    try:
        threads = [threading.Thread(target=read, args=(seed,)) for seed in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old_interval)
    assert errors == []
