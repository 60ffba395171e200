"""Fault injection: a writer process killed at each step of the commit protocol, and at random moments.

A step is named by the file operation it ends before (see ``searchcore.index.fileops``): the child
installs a hook that SIGKILLs it there, a real process death. tests/lifecycle/test_crash_points.py
fails every file operation in turn, in process.

The commit protocol (index/writer.py, index/manifest.py) promises that a crash at any moment leaves the
last committed generation intact: it opens, holds exactly the committed documents, scores them as a
fresh index of those documents would, and the next writer removes whatever the crash left behind.

Children run ``sys.executable -c <script>``; the documents they write come from ``BATCHES_SRC``, which
the parent executes too, so the parent can model the expected state in plain Python.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import searchcore as sc

ROOT = Path(__file__).resolve().parents[2]
SMALL_BUDGET_MB = 0.008  # a few documents per segment: several segments per batch
# step -> the file operation the child is killed before: "<operations>:<path pattern>:<n-th match>"
CRASH_STEPS = {
    "segment-flushed": "open:*/deleted_*:1",          # the batch is a segment; no deletion file yet
    "deletions-written": "mkdir:*/seg_*:2",           # every deletion file written; the merge not begun
    "merge-written": "open:*/manifest.json.tmp-*:1",  # the merged segment written
    "manifest-temp-written": "replace:*:1",           # the new manifest written, not yet renamed
    "manifest-renamed": "fsync_dir:*/ix:1",           # renamed (the commit point), the directory not fsynced
    "cleanup-started": "unlink|rmdir:*:1",            # about to remove the first unreferenced file
}

# The deterministic batches, shared by the parent (the model) and the children (the writers).
BATCHES_SRC = r'''
import random

WORDS = ("oil crude price opec bank rate coffee cocoa trade deficit minister visit export grain wheat "
         "market share profit loss dollar yen gold silver steel ship port strike union tax budget").split()
BATCH_SIZE = 20


def body_for(key, version):
    rng = random.Random(f"{key}/{version}")
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))


def batch_ops(k):
    """The operations of batch k >= 1: ("add" | "update", id, body) or ("delete", id, None)."""
    rng = random.Random(k)
    ops = [("add", f"b{k}-{i}", body_for(f"b{k}-{i}", k)) for i in range(BATCH_SIZE)]
    if k > 1:
        for _ in range(3):
            key = f"b{rng.randint(1, k - 1)}-{rng.randrange(BATCH_SIZE)}"
            ops.append(("update", key, body_for(key, k)))
        for _ in range(2):
            ops.append(("delete", f"b{rng.randint(1, k - 1)}-{rng.randrange(BATCH_SIZE)}", None))
    ops.append(("delete", f"b{k}-{rng.randrange(BATCH_SIZE)}", None))  # a document still in the buffer
    key = f"b{k}-{rng.randrange(BATCH_SIZE)}"
    ops.append(("update", key, body_for(key, -k)))  # perhaps the one just deleted
    ops.append(("add", f"b{k}-last", body_for(f"b{k}-last", k)))  # the buffer is never empty at commit
    return ops


def apply_ops(writer, ops):
    for op, key, body in ops:
        if op == "add":
            writer.add_document(id=key, body=body)
        elif op == "update":
            writer.update_document(id=key, body=body)
        else:
            writer.delete_document(key)
'''
_batches: dict = {}
exec(compile(BATCHES_SRC, "<BATCHES_SRC>", "exec"), _batches)
batch_ops = _batches["batch_ops"]
body_for = _batches["body_for"]
apply_ops = _batches["apply_ops"]

QUERIES = ["oil", "crude oil", "bank rate", "coffee OR cocoa", "trade deficit minister", '"gold silver"',
           "ship port strike union", "tax budget dollar yen"]


def schema() -> sc.Schema:
    return sc.Schema(id=sc.ID(stored=True), body=sc.TEXT(stored=True))


_STATES: list[list[tuple[str, str]]] = [[]]


def model_state(k: int) -> list[tuple[str, str]]:
    """The documents (id, body), in index order, after batches 1..k: an update moves a document to the end."""
    while len(_STATES) <= k:
        docs = dict(_STATES[-1])
        for op, key, body in batch_ops(len(_STATES)):
            if op == "add":
                assert key not in docs
                docs[key] = body
            elif op == "update":
                if docs.get(key) != body:  # an identical re-add is "unchanged" and moves nothing
                    docs.pop(key, None)
                    docs[key] = body
            else:
                docs.pop(key, None)
        _STATES.append(list(docs.items()))
    return _STATES[k]


def build_index(path: Path, last_batch: int, budget_mb: float = SMALL_BUDGET_MB) -> sc.Index:
    """An index holding batches 1..last_batch, one commit each, in several segments."""
    ix = sc.Index.create(path, schema())
    for k in range(1, last_batch + 1):
        with ix.writer(memory_budget_mb=budget_mb, merge=False) as w:
            apply_ops(w, batch_ops(k))
    return ix


def indexed_docs(ix: sc.Index) -> list[tuple[str, str]]:
    """The live documents (id, body) of the latest committed generation, in index order."""
    reader = ix.reader()
    docs = []
    for segment in reader.segments:
        for doc_id in range(segment.max_doc):
            if segment.is_live(doc_id):
                stored = segment.stored(doc_id)
                docs.append((stored["id"], stored["body"]))
    return docs


_FRESH: dict[tuple, dict[str, tuple[list[str], np.ndarray, int]]] = {}


def fresh_results(docs: list[tuple[str, str]], tmp_dir: Path) -> dict[str, tuple[list[str], np.ndarray, int]]:
    """Results of QUERIES over a fresh index of exactly ``docs``, in that order (cached per document list)."""
    key = tuple(docs)
    if key not in _FRESH:
        ix = sc.Index.create(tmp_dir / f"fresh-{len(_FRESH)}", schema())
        with ix.writer() as w:
            for doc_id, body in docs:
                w.add_document(id=doc_id, body=body)
        _FRESH[key] = search_all(ix)
    return _FRESH[key]


def search_all(ix: sc.Index) -> dict[str, tuple[list[str], np.ndarray, int]]:
    out = {}
    with ix.searcher() as s:
        for q in QUERIES:
            results = s.search(q, limit=10_000)
            out[q] = ([h.id for h in results], np.array([h.score for h in results]), results.total)
    return out


def assert_holds_exactly(ix: sc.Index, docs: list[tuple[str, str]], tmp_dir: Path) -> None:
    """The index holds exactly ``docs`` in this order, finds each by ID, and scores like a fresh index."""
    assert indexed_docs(ix) == docs
    assert ix.doc_count() == len(docs)
    with ix.searcher() as s:
        assert s.doc_count == len(docs)
        for doc_id, body in docs:
            assert s.document(doc_id) == {"id": doc_id, "body": body}
    expected = fresh_results(docs, tmp_dir)
    got = search_all(ix)
    for q in QUERIES:
        assert got[q][0] == expected[q][0], q
        assert got[q][2] == expected[q][2], q
        np.testing.assert_allclose(got[q][1], expected[q][1], rtol=1e-9, err_msg=q)
    assert any(expected[q][2] for q in QUERIES) or not docs  # not vacuous, unless nothing was committed yet


def generation(path: Path) -> int:
    return json.loads((path / "manifest.json").read_text())["generation"]


def leftovers(path: Path) -> list[Path]:
    """Segment folders and files on disk that the committed manifest does not name."""
    manifest = json.loads((path / "manifest.json").read_text())
    live = {s["name"]: s for s in manifest["segments"]}
    found = []
    for entry in sorted(path.iterdir()):
        if entry.name.startswith("manifest.json.tmp-"):
            found.append(entry)
        elif entry.name.startswith("seg_"):
            if entry.name not in live:
                found.append(entry)
            else:
                found += [f for f in sorted(entry.iterdir()) if f.name not in live[entry.name]["files"]]
    return found


def assert_recovers(path: Path, docs: list[tuple[str, str]], tmp_dir: Path) -> None:
    """After a crash: opens, holds ``docs``, check() finds nothing fatal; a new writer removes the leftovers."""
    ix = sc.Index.open(path)
    assert_holds_exactly(ix, docs, tmp_dir)
    report = ix.check()
    assert report.ok, [str(p) for p in report.problems]
    assert report.files_checked > 0
    assert {Path(p.path) for p in report.problems} == set(leftovers(path))
    ix.writer(lock_timeout=5).close()
    assert leftovers(path) == []
    report = ix.check()
    assert report.problems == []
    assert_holds_exactly(sc.Index.open(path), docs, tmp_dir)


# -- 1. a crash at every step of the commit protocol ------------------------------------------------------

CRASH_CHILD = BATCHES_SRC + r'''
import fnmatch
import os
import signal
import sys

import searchcore as sc
from searchcore.index import fileops

path, first, last, budget, arm, optimize, spec = sys.argv[1:]


def kill_at(spec):
    """A file-operation hook that SIGKILLs this process before the n-th operation matching spec."""
    operations, pattern, n = spec.split(":")
    seen = 0

    def hook(operation, target):
        nonlocal seen
        if operation in operations.split("|") and fnmatch.fnmatch(str(target), pattern):
            seen += 1
            if seen == int(n):
                os.kill(os.getpid(), signal.SIGKILL)
        return False
    return hook


# "commit": the hook is armed only for the commit below; "start": from the first operation on
if arm == "start":
    fileops.set_hook(kill_at(spec))
print("pid", os.getpid(), flush=True)
ix = sc.Index.open(path)
with ix.writer(memory_budget_mb=float(budget), lock_timeout=10) as w:
    print("opened", flush=True)
    for k in range(int(first), int(last) + 1):
        apply_ops(w, batch_ops(k))
    if optimize == "1":
        w.optimize()
    print("ready", flush=True)
    if arm == "commit":
        fileops.set_hook(kill_at(spec))
    w.commit()
    print("committed", flush=True)
'''

BASE_BATCHES = 3  # committed before the crash
CRASH_BATCHES = (4, 5)  # written by the crashing commit


def run_crash_child(path: Path, spec: str, arm: str = "commit", budget_mb: float = 256.0,
                    optimize: bool = True) -> subprocess.CompletedProcess:
    """Run the writer child, SIGKILLed before the file operation ``spec`` names (see CRASH_STEPS)."""
    return subprocess.run(
        [sys.executable, "-c", CRASH_CHILD, str(path), str(CRASH_BATCHES[0]), str(CRASH_BATCHES[1]),
         str(budget_mb), arm, "1" if optimize else "0", spec],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def assert_killed(proc: subprocess.CompletedProcess, markers: list[str]) -> int:
    """The child died of SIGKILL after printing exactly ``markers``; returns its pid."""
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    words = proc.stdout.split()
    assert words[0] == "pid" and words[2:] == markers, proc.stdout
    return int(words[1])


def segment_docs(seg_dir: Path) -> int:
    return json.loads((seg_dir / "meta.json").read_text())["num_docs"]


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_crash_during_commit(step, tmp_path):
    path = tmp_path / "ix"
    build_index(path, BASE_BATCHES)
    before, after = model_state(BASE_BATCHES), model_state(CRASH_BATCHES[1])
    gen = generation(path)
    old_segments = {p.name for p in path.glob("seg_*")}
    assert len(old_segments) > 1 and leftovers(path) == []

    pid = assert_killed(run_crash_child(path, CRASH_STEPS[step]), ["opened", "ready"])

    # the step ran: what it leaves on disk is there, and nothing of a later step is
    new_segments = {p.name for p in path.glob("seg_*")} - old_segments
    tmp_manifest = path / f"manifest.json.tmp-{pid}"
    fresh_deletions = list(path.glob(f"seg_*/deleted_{gen + 1}.npy"))
    committed = step in ("manifest-renamed", "cleanup-started")  # the rename is the commit point
    assert generation(path) == (gen + 1 if committed else gen)
    assert tmp_manifest.exists() == (step == "manifest-temp-written")
    assert bool(new_segments)  # the batch was flushed in every case
    assert bool(fresh_deletions) == (step != "segment-flushed")
    merged = [p for p in new_segments if segment_docs(path / p) == len(after)]
    assert bool(merged) == (step != "segment-flushed" and step != "deletions-written")
    if step == "manifest-temp-written":
        assert json.loads(tmp_manifest.read_text())["generation"] == gen + 1
    if committed:
        # optimize(): the new generation is one merged segment; cleanup never got to the old ones
        assert [s["name"] for s in json.loads((path / "manifest.json").read_text())["segments"]] == merged
        assert old_segments <= {p.name for p in leftovers(path)}
    assert leftovers(path)

    assert_recovers(path, after if committed else before, tmp_path)


def test_crash_while_adding(tmp_path):
    """Armed from the start with a small budget: killed as the second segment starts, among the adds."""
    path = tmp_path / "ix"
    build_index(path, BASE_BATCHES)
    gen = generation(path)
    assert_killed(run_crash_child(path, "mkdir:*/seg_*:2", arm="start", budget_mb=SMALL_BUDGET_MB), ["opened"])
    assert generation(path) == gen
    assert len(leftovers(path)) == 1  # one flushed, unreferenced segment
    assert_recovers(path, model_state(BASE_BATCHES), tmp_path)


def test_crash_at_cleanup_when_writer_opens(tmp_path):
    """A writer killed as it starts removing a crashed writer's leftovers leaves them, and the index, as they were."""
    path = tmp_path / "ix"
    build_index(path, BASE_BATCHES)
    gen = generation(path)
    assert_killed(run_crash_child(path, CRASH_STEPS["manifest-temp-written"]), ["opened", "ready"])
    left = leftovers(path)
    assert any(p.name.startswith("manifest.json.tmp-") for p in left)

    assert_killed(run_crash_child(path, CRASH_STEPS["cleanup-started"], arm="start"), [])  # died opening its writer
    assert generation(path) == gen
    assert leftovers(path) == left
    assert_recovers(path, model_state(BASE_BATCHES), tmp_path)


# -- 2. kills at random moments ---------------------------------------------------------------------------
# The looping writer is forked from this process (imports and the stemmer already warm), so a kill costs
# no interpreter start-up; it reports each commit on a pipe, unbuffered, as soon as commit() returns.

TOTAL_BATCHES = 1_000  # never reached: a kill lands first (a commit of one pack takes a few milliseconds)
KILLS_PER_CASE = 4
SEEDS = [11, 23, 37, 41, 59]
KILL_POINTS: list[tuple[int, int, int, float, int, int]] = []
# (seed, round, last batch reported, delay, batches found committed, leftovers found)


def _commit_loop(path: str, first: int, last: int, report_fd: int) -> None:
    """Commit batches first..last, a new writer every 4 batches; report "committed <k>" after each commit."""
    ix = sc.Index.open(path)
    k = first
    while k <= last:
        with ix.writer(memory_budget_mb=SMALL_BUDGET_MB, lock_timeout=10) as w:
            for _ in range(4):
                if k > last:
                    break
                apply_ops(w, batch_ops(k))
                w.commit()
                os.write(report_fd, f"committed {k}\n".encode())
                k += 1


def kill_commit_loop(path: Path, first: int, target: int, delay: float) -> tuple[int | None, int]:
    """Run the loop from batch ``first``; once batch ``target`` is reported (at once when target < first),
    wait ``delay`` seconds and SIGKILL it. Returns (exit code, last batch reported)."""
    read_fd, write_fd = os.pipe()
    child = multiprocessing.get_context("fork").Process(
        target=_commit_loop, args=(str(path), first, TOTAL_BATCHES, write_fd), daemon=True)
    child.start()
    os.close(write_fd)
    reported = first - 1
    with os.fdopen(read_fd) as reports:
        try:
            while reported < target:
                line = reports.readline()
                assert line, f"the writer stopped before batch {target} (exit code {child.exitcode})"
                reported = int(line.split()[1])
            time.sleep(delay)
            child.kill()
        finally:
            child.kill()
            child.join(60)
        for line in reports.read().splitlines():  # reported between the last read and the kill
            reported = int(line.split()[1])
    return child.exitcode, reported


@pytest.mark.parametrize("seed", SEEDS)
def test_random_kills(seed, tmp_path):
    rng = random.Random(seed)
    path = tmp_path / "ix"
    sc.Index.create(path, schema())
    state = 0  # batches committed so far
    for round_ in range(KILLS_PER_CASE):
        # kill somewhere in the commit loop: after batch `target` is reported, plus a random delay
        target = state + rng.randint(0, 3)
        delay = rng.uniform(0.0, 0.35)
        exitcode, reported = kill_commit_loop(path, state + 1, target, delay)
        assert exitcode == -signal.SIGKILL  # killed mid-run, not finished
        assert state <= reported < TOTAL_BATCHES

        # the commit in flight when the kill landed may or may not have passed its commit point
        ix = sc.Index.open(path)
        found = indexed_docs(ix)
        candidates = {reported: model_state(reported), reported + 1: model_state(reported + 1)}
        matches = [k for k, docs in candidates.items() if docs == found]
        assert len(matches) == 1, (reported, len(found))
        state = matches[0]
        assert_holds_exactly(ix, candidates[state], tmp_path)
        report = ix.check()
        assert report.ok, [str(p) for p in report.problems]
        assert all(not p.fatal for p in report.problems)
        left = leftovers(path)
        assert {Path(p.path) for p in report.problems} == set(left)
        KILL_POINTS.append((seed, round_, reported, delay, state, len(left)))

    assert len([p for p in KILL_POINTS if p[0] == seed]) == KILLS_PER_CASE
    # the next writer cleans up after the last kill, and the index is whole
    sc.Index.open(path).writer(lock_timeout=5).close()
    assert leftovers(path) == []
    assert sc.Index.open(path).check().problems == []
    mine = [(k, round(d, 3), s, n) for case, _, k, d, s, n in KILL_POINTS if case == seed]
    print(f"\nseed {seed}: kills (last reported, delay, committed, leftovers) {mine}; total so far {len(KILL_POINTS)}")
