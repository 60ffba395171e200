"""A parallel bulk load stopped by Ctrl-C or killed outright: the workers go, the commits stay, a re-run resumes.

Children run ``sys.executable -c LOAD`` on a generated stream with two workers and a commit every N
documents; each commit prints a JSON line with the counts and the worker pids. The tests signal the
child once its first commit is reported.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import searchcore as sc

ROOT = Path(__file__).resolve().parents[2]
LOAD = r'''
import json, multiprocessing, signal, sys, time
import searchcore as sc
from searchcore.index import parallel

# Ctrl-C raises KeyboardInterrupt, as in a terminal, even when the tests run from a background job (whose
# shell starts it with SIGINT ignored, and Python then leaves it ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)

parallel.max_jobs = lambda: 2  # two workers even where fewer CPUs are free
path, total, delay, repeat = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
budget_mb, every = float(sys.argv[5]), int(sys.argv[6])
schema = sc.Schema(id=sc.ID(stored=True), body=sc.TEXT(stored=True))
ix = sc.Index.open(path) if sc.Index.exists(path) else sc.Index.create(path, schema)


def docs():
    for i in range(total):
        if delay:
            time.sleep(delay)
        yield {"id": f"d{i}", "body": f"word{i % 50} text number {i} " * repeat}


def on_commit(counts):
    workers = [p.pid for p in multiprocessing.active_children()]
    print(json.dumps({"counts": counts, "workers": workers}), flush=True)


with ix.writer(memory_budget_mb=budget_mb) as w:
    counts = sc.bulk_index(w, docs(), jobs=2, commit_every=every, on_commit=on_commit)
print(json.dumps({"done": counts}), flush=True)
'''


def start(path: Path, total: int, delay: float, repeat: int = 1, budget_mb: float = 0.05,
          every: int = 100) -> subprocess.Popen:
    """A load of ``total`` documents, one every ``delay`` seconds, of about 30 * ``repeat`` characters."""
    args = [path, total, delay, repeat, budget_mb, every]
    # A session of its own: the test signals its process group, as a terminal's Ctrl-C does.
    return subprocess.Popen([sys.executable, "-c", LOAD, *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def next_commit(child: subprocess.Popen) -> dict:
    """The report of the child's next commit."""
    line = child.stdout.readline()
    assert line, f"the load ended before its next commit:\n{child.communicate()[1]}"
    return json.loads(line)


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_until_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    """The pids still running after up to ``seconds`` (a guard against hanging, not a timing)."""
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def rerun(path: Path, total: int, repeat: int = 1) -> dict:
    with start(path, total, 0.0, repeat, every=10_000) as child:
        out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    return json.loads(out.splitlines()[-1])["done"]


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")


# A slow source: the signal lands while the parent reads. A fast one with long documents, committed less
# often: often while the parent waits for busy workers to take a chunk (this used to hang at exit).
@pytest.mark.parametrize(("load", "commits"), [(dict(delay=0.001, repeat=1, budget_mb=0.05, every=100), 1),
                                              (dict(delay=0.0, repeat=400, budget_mb=256, every=1000), 2)],
                         ids=["slow-source", "busy-workers"])
def test_ctrl_c_stops_the_workers_keeps_the_commits_and_a_rerun_resumes(tmp_path, load, commits):
    path = tmp_path / "ix"
    with start(path, 1_000_000, **load) as child:
        try:
            reports = [next_commit(child) for _ in range(commits)]
            assert len(reports[0]["workers"]) == 2
            os.killpg(child.pid, signal.SIGINT)
            out, err = child.communicate(timeout=10)  # it used to hang here for ever
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    assert child.returncode != 0
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert "Traceback" not in err.split("KeyboardInterrupt")[-1]
    assert wait_until_gone(reports[0]["workers"]) == []
    reports += [json.loads(line) for line in out.splitlines()]
    committed = reports[-1]["counts"]["added"]
    ix = sc.Index.open(path)
    assert ix.check().ok
    # every report is a commit; one more may have landed between the rename and its report
    assert ix.doc_count() in (committed, committed + load["every"])
    assert {p.name for p in path.iterdir() if p.name.startswith("seg_")} == {s.name for s in ix.reader().segments}
    kept = ix.doc_count()
    assert rerun(path, kept + 150, load["repeat"]) == {"added": 150, "updated": 0, "unchanged": kept}
    assert ix.doc_count() == kept + 150 and ix.check().ok


def test_a_killed_load_keeps_its_last_commit_and_its_workers_exit(tmp_path):
    path = tmp_path / "ix"
    with start(path, 1_000_000, 0.001) as child:
        try:
            first = next_commit(child)
            os.kill(child.pid, signal.SIGKILL)  # no cleanup at all: the workers must notice by themselves
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    assert wait_until_gone(first["workers"]) == []
    ix = sc.Index.open(path)
    assert ix.check().ok
    kept = ix.doc_count()
    assert kept >= first["counts"]["added"] and kept % 100 == 0
    with ix.writer(lock_timeout=10):  # the lock died with the parent: no worker holds it
        pass
    assert rerun(path, kept + 150) == {"added": 150, "updated": 0, "unchanged": kept}
    assert ix.check().ok
