"""A crash, a torn write, a full disk or an I/O error at every file operation of a commit, a merge, an
optimize and a bulk load.

Every file operation that changes an index goes through ``searchcore.index.fileops``; a ``Faults`` hook
counts them and fails the k-th. For each scenario a first run without faults counts its N operations;
then, for each k in 1..N, a copy of the same committed index runs the scenario failing at k, and the
index must open, pass ``check_index``, hold exactly the last committed state (the state before the
scenario, or after it when the failure came after the manifest's rename: nothing in between) and take a
new writer's commit.

The crash is simulated in this process: ``SimulatedCrash`` (a BaseException) stands for the process
dying at that instant. No ``except Exception`` cleanup runs, every later file operation raises again so
no ``finally`` can change the disk, and the test drops the writer without closing it, only letting go of
its lock as the kernel would. (tests/lifecycle/test_crash.py kills real processes at a few of these
points.) In-process runs cost no interpreter start-up, so all the points fit in a few minutes.

By default a sample of the points runs (every point near the manifest's rename, and an even stride over
the rest); ``SEARCHCORE_CRASH_POINTS=all`` runs every point (EIO and the disk that stays full: every third
and every second). Each test prints how many it covered. On a tmpfs (``--basetemp=/dev/shm/sc``) the
points run about twice as fast.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import searchcore as sc
from searchcore.errors import IndexIOError, IndexNotFoundError, IndexPermissionError, SearchcoreError
from searchcore.index import fileops
from searchcore.index.fileops import Faults, SimulatedCrash
from tests.lifecycle.test_crash import indexed_docs as live_docs
from tests.lifecycle.test_crash import (SMALL_BUDGET_MB, apply_ops, batch_ops, body_for, leftovers, model_state,
                                        schema)

ALL_POINTS = os.environ.get("SEARCHCORE_CRASH_POINTS", "") == "all"
SAMPLE = 10  # points per scenario and kind of fault by default, besides those around the rename

Docs = list[tuple[str, str]]


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch):
    """fsync makes data survive a power cut; a process that dies leaves its writes in the page cache
    anyway. The simulated faults are of the process, so the thousands of fsyncs are skipped (they are
    still counted as operations, and failed like any other)."""
    monkeypatch.setattr(fileops.os, "fsync", lambda fd: None)


def indexed_docs(path: Path) -> Docs:
    """The live documents (id, body) of the committed generation at ``path``, in index order, read from
    their stored fields."""
    return live_docs(sc.Index.open(path))


def applied(docs: Docs, ops) -> Docs:
    """``docs`` after ``ops`` (("add" | "update", id, body) or ("delete", id, None)): a changed document
    moves to the end, an unchanged update keeps its place."""
    out = dict(docs)
    for op, key, body in ops:
        if op == "delete":
            out.pop(key, None)
        elif out.get(key) != body:
            out.pop(key, None)
            out[key] = body
    return list(out.items())


# -- the scenarios ---------------------------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    build: Callable[[Path], None]            # the committed index before
    run: Callable[[sc.Index, list], None]    # the change: opens writers (appended to the list) and commits
    ops: list                                # what run() changes, for the expected state after
    ordered: bool = True                     # False: the order of the documents after is not modelled


def build_batches(last: int, budget_mb: float = SMALL_BUDGET_MB) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        ix = sc.Index.create(path, schema())
        for k in range(1, last + 1):
            with ix.writer(memory_budget_mb=budget_mb, merge=False) as w:
                apply_ops(w, batch_ops(k))
    return build


NEW_DOCS = [("add", f"new-{i}", body_for(f"new-{i}", 0)) for i in range(12)]


def run_ops(ops, **writer_options) -> Callable[[sc.Index, list], None]:
    """A scenario's run: one writer (opened with ``writer_options``) applies ``ops`` and commits."""
    def run(ix: sc.Index, writers: list) -> None:
        w = ix.writer(**writer_options)
        writers.append(w)
        apply_ops(w, ops)
        w.commit()
        w.close()
    return run


def build_small_segments(path: Path) -> None:
    """Nine one-commit segments of five documents: one more on the same level makes the policy merge."""
    ix = sc.Index.create(path, schema())
    for k in range(9):
        with ix.writer(merge=False) as w:
            for i in range(5):
                w.add_document(id=f"s{k}-{i}", body=body_for(f"s{k}-{i}", 0))


MERGE_OPS = [*(("add", f"s9-{i}", body_for(f"s9-{i}", 0)) for i in range(5)),
             ("update", "s2-1", body_for("s2-1", 1)), ("delete", "s4-4", None)]


def run_optimize(ix: sc.Index, writers: list) -> None:
    w = ix.writer()
    writers.append(w)
    w.optimize()
    w.commit()
    w.close()


BULK_OPS = [*(("update", f"bulk-{i}", body_for(f"bulk-{i}", 0)) for i in range(30)),
            *(("update", f"b1-{i}", body_for(f"b1-{i}", 7)) for i in range(0, 20, 4)),
            ("update", *model_state(2)[-1])]  # unchanged: skipped


def run_bulk(jobs: int) -> Callable[[sc.Index, list], None]:
    def run(ix: sc.Index, writers: list) -> None:
        w = ix.writer(memory_budget_mb=SMALL_BUDGET_MB)
        writers.append(w)
        sc.bulk_index(w, ({"id": key, "body": body} for _, key, body in BULK_OPS), jobs=jobs)
        w.commit()
        w.close()
    return run


REBUILD_DOCS = [("add", f"re-{i}", body_for(f"re-{i}", 0)) for i in range(12)]
REBUILD_OPS = [*(("delete", key, None) for key, _ in model_state(2)), *REBUILD_DOCS]


def run_rebuild(ix: sc.Index, writers: list) -> None:
    """``search index --rebuild``: a new index built beside the old one (with a commit of its own on the
    way), moved in and committed by one manifest rename at the end."""
    with sc.Index.build(ix.path, schema()) as new:
        w = new.writer(memory_budget_mb=SMALL_BUDGET_MB)
        writers.append(w)
        apply_ops(w, REBUILD_DOCS[:6])
        w.commit()
        apply_ops(w, REBUILD_DOCS[6:])
        w.commit()
        w.close()


SCENARIOS = {
    "adds": Scenario("adds", build_batches(2), run_ops(NEW_DOCS, merge=False), NEW_DOCS),
    "updates": Scenario("updates", build_batches(2), run_ops(batch_ops(3), memory_budget_mb=SMALL_BUDGET_MB,
                                                             merge=False), batch_ops(3)),
    "merge": Scenario("merge", build_small_segments, run_ops(MERGE_OPS, merge=True), MERGE_OPS),
    "optimize": Scenario("optimize", build_batches(3), run_optimize, []),
    "bulk": Scenario("bulk", build_batches(2), run_bulk(1), BULK_OPS),
    "bulk-jobs2": Scenario("bulk-jobs2", build_batches(2), run_bulk(2), BULK_OPS, ordered=False),
    "rebuild": Scenario("rebuild", build_batches(2), run_rebuild, REBUILD_OPS),
}


@dataclass
class Baseline:
    template: Path
    before: Docs
    after: Docs
    operations: list          # (operation, path) of the fault-free run
    rename: int               # the 1-based number of the manifest's rename among them


_BASELINES: dict[str, Baseline] = {}


def baseline(name: str, tmp_path_factory) -> Baseline:
    """The scenario's committed index (a template to copy), and a fault-free run that counts its operations."""
    if name not in _BASELINES:
        scenario = SCENARIOS[name]
        root = tmp_path_factory.mktemp(f"crash-{name}")
        template = root / "template"
        scenario.build(template)
        before = indexed_docs(template)
        counted = root / "counted"
        shutil.copytree(template, counted)
        writers: list = []
        with Faults() as faults:
            scenario.run(sc.Index.open(counted), writers)
        after = indexed_docs(counted)
        assert same_docs(after, applied(before, scenario.ops), scenario.ordered)
        assert after != before or name == "optimize"
        if name in ("merge", "optimize"):
            assert len(sc.Index.open(counted).reader().segments) == 1  # the merge did run
        # relative to the index (a rebuild works in a sibling directory too: "../.counted.building/...")
        operations = [(op, Path(os.path.relpath(p, counted))) for op, p in faults.operations]
        renames = [i for i, (op, p) in enumerate(operations, 1)
                   if op == "replace" and p.name.startswith("manifest") and p.parts[0] != ".."]
        assert len(renames) == 1
        _BASELINES[name] = Baseline(template, before, after, operations, renames[0])
    return _BASELINES[name]


def same_docs(got: Docs, expected: Docs, ordered: bool) -> bool:
    return got == expected if ordered else sorted(got) == sorted(expected)


def points(base: Baseline, kinds: set[str] | None = None) -> list[int]:
    """The k to fail: all of them with SEARCHCORE_CRASH_POINTS=all, else a stride plus those around the
    rename. ``kinds`` keeps only those operations (torn writes need a write)."""
    ks = [k for k, (op, _) in enumerate(base.operations, 1) if kinds is None or op in kinds]
    if ALL_POINTS or len(ks) <= SAMPLE:
        return ks
    step = len(ks) / SAMPLE
    chosen = {ks[int(i * step)] for i in range(SAMPLE)} | {ks[-1]}
    chosen |= {k for k in ks if abs(k - base.rename) <= 3}
    return sorted(chosen)


# -- the checks ------------------------------------------------------------------------------------------

def assert_last_commit(path: Path, base: Baseline, committed: bool, ordered: bool, where: str) -> None:
    """The index opens, passes check_index, holds exactly the state before or after, and a new writer
    commits over it, removing every leftover."""
    expected = base.after if committed else base.before
    report = sc.check_index(path)
    assert report.ok, (where, [str(p) for p in report.problems])
    assert same_docs(indexed_docs(path), expected, ordered), where
    ix = sc.Index.open(path)
    with ix.searcher() as s:
        assert s.doc_count == len(expected), where
        for key, body in expected[:: max(len(expected) // 5, 1)]:
            assert s.document(key) == {"id": key, "body": body}, where
    with ix.writer(lock_timeout=5) as w:
        w.add_document(id="later", body="oil price after the fault")
    assert leftovers(path) == [], where
    report = sc.check_index(path)
    assert report.ok and report.problems == [], (where, [str(p) for p in report.problems])
    assert same_docs(indexed_docs(path), [*expected, ("later", "oil price after the fault")], ordered), where


def fresh_copy(base: Baseline, tmp_path: Path, k: int) -> Path:
    """A copy of the template index. Its files are hard links: a writer never changes a file in place
    (it writes new files and renames), except write.lock, which is copied."""
    path = tmp_path / f"ix-{k}"
    shutil.copytree(base.template, path, copy_function=os.link, ignore=shutil.ignore_patterns("write.lock"))
    return path


def report(capsys, name: str, how: str, covered: int, total: int) -> None:
    with capsys.disabled():
        print(f"\n{name}/{how}: {covered} of {total} file operations failed and recovered")


@pytest.mark.parametrize("how", ["crash", "torn"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_crash_at_every_operation(name, how, tmp_path, tmp_path_factory, capsys):
    base = baseline(name, tmp_path_factory)
    scenario = SCENARIOS[name]
    ks = points(base, {"write"} if how == "torn" else None)
    assert ks
    for k in ks:
        path = fresh_copy(base, tmp_path, k)
        writers: list = []
        with Faults(fail_at=k, how=how) as faults, pytest.raises(SimulatedCrash):
            scenario.run(sc.Index.open(path), writers)
        # The k-th operation is the baseline's up to the commit point; after it, old segments are removed
        # in the order of their (random) names, so a removal of one may stand where another's was.
        assert faults.failed is not None
        assert faults.failed[0] == base.operations[k - 1][0] or k > base.rename, (k, faults.failed)
        for w in writers:  # the process died: the kernel lets go of its lock, nothing else happens
            w._lock.release()
        assert_last_commit(path, base, k > base.rename, scenario.ordered, f"{name} {how} at {k}: {faults.failed}")
        shutil.rmtree(path)
    report(capsys, name, how, len(ks), len(base.operations))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_io_error_at_every_operation(name, code, tmp_path, tmp_path_factory, capsys):
    """A full disk or an I/O error: an IndexIOError naming the file, the last commit intact, and the
    writer removes what it wrote (unless the failure was itself a removal after the commit: the next
    writer removes that)."""
    base = baseline(name, tmp_path_factory)
    scenario = SCENARIOS[name]
    ks = points(base)
    if code == errno.EIO:  # a sample: the same paths as ENOSPC, with another errno
        ks = ks[::3]
    for k in ks:
        path = fresh_copy(base, tmp_path, k)
        writers: list = []
        where = f"{name} errno {code} at {k}: {base.operations[k - 1]}"
        with Faults(fail_at=k, how="error", errno=code) as faults:
            try:
                scenario.run(sc.Index.open(path), writers)
            except IndexIOError as exc:
                error = exc
            else:
                error = None
        operation, failed = faults.failed
        if error is None:  # only removals after the commit point may fail without failing the commit
            assert operation in ("unlink", "rmdir") and k > base.rename, where
        else:
            assert error.errno == code, where
            assert str(failed) in str(error) and error.filename == str(failed), (where, str(error))
            assert isinstance(error, SearchcoreError) and isinstance(error, OSError)
        committed = k > base.rename
        # the writer removed what it wrote: what is left is at most the file that could not be removed
        assert all(failed == p or p in failed.parents for p in leftovers(path)), (where, leftovers(path))
        for w in writers:
            w.close()
        assert_last_commit(path, base, committed, scenario.ordered, where)
        shutil.rmtree(path)
    report(capsys, name, f"errno {errno.errorcode[code]}", len(ks), len(base.operations))


@pytest.mark.parametrize("name", ["updates", "merge", "bulk"])
def test_disk_stays_full(name, tmp_path, tmp_path_factory, capsys):
    """Every operation from k on fails: the writer cannot even remove what it wrote, and the next writer
    (with space again) does."""
    base = baseline(name, tmp_path_factory)
    scenario = SCENARIOS[name]
    ks = points(base)[::2]
    for k in ks:
        path = fresh_copy(base, tmp_path, k)
        writers: list = []
        with Faults(fail_at=k, how="error", sticky=True) as faults:
            try:
                scenario.run(sc.Index.open(path), writers)
            except IndexIOError as exc:
                assert exc.errno == errno.ENOSPC and str(faults.failed[1]) in str(exc)
            else:
                assert k > base.rename
            for w in writers:
                w.close()  # cannot remove anything either, and must not raise for it
        assert_last_commit(path, base, k > base.rename, scenario.ordered, f"{name} full from {k}")
        shutil.rmtree(path)
    report(capsys, name, "disk full from k on", len(ks), len(base.operations))


def test_a_failed_writer_refuses_further_use(tmp_path):
    """After a failed commit the buffered documents may be half written: the writer says so instead of
    committing less than it was given."""
    build_batches(1)(tmp_path / "ix")
    ix = sc.Index.open(tmp_path / "ix")
    w = ix.writer()
    apply_ops(w, NEW_DOCS)
    with Faults(fail_at=5, how="error"), pytest.raises(IndexIOError, match="No space left"):
        w.commit()
    with pytest.raises(SearchcoreError, match="failed"):
        w.add_document(id="x", body="oil")
    with pytest.raises(SearchcoreError, match="failed"):
        w.commit()
    w.close()
    assert leftovers(tmp_path / "ix") == []


# -- a read-only index, a removed index ------------------------------------------------------------------

def test_read_only_index_names_the_lock_file(tmp_path, monkeypatch):
    """No permission to open write.lock (root ignores permission bits, so the refusal is simulated)."""
    build_batches(1)(tmp_path / "ix")
    ix = sc.Index.open(tmp_path / "ix")
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if flags & (os.O_RDWR | os.O_WRONLY):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(fileops.os, "open", refuse)
    for action in (ix.writer, ix.optimize, lambda: sc.Index.delete(ix.path)):
        with pytest.raises(IndexPermissionError) as info:
            action()
        assert isinstance(info.value, PermissionError) and isinstance(info.value, SearchcoreError)
        assert str(tmp_path / "ix" / "write.lock") in str(info.value)
        assert "read-only" in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_directory(tmp_path):
    build_batches(1)(tmp_path / "ix")
    (tmp_path / "ix" / "write.lock").unlink(missing_ok=True)
    os.chmod(tmp_path / "ix", 0o555)
    try:
        with pytest.raises(IndexPermissionError, match="read-only"):
            sc.Index.open(tmp_path / "ix").writer()
    finally:
        os.chmod(tmp_path / "ix", 0o755)


def test_writer_after_the_directory_was_removed(tmp_path):
    build_batches(1)(tmp_path / "ix")
    ix = sc.Index.open(tmp_path / "ix")
    shutil.rmtree(tmp_path / "ix")
    with pytest.raises(IndexNotFoundError) as info:
        ix.writer()
    assert isinstance(info.value, FileNotFoundError)
    assert str(tmp_path / "ix") in str(info.value)


def test_interrupt_after_the_rename_keeps_the_commit(tmp_path):
    """Ctrl-C between the manifest's rename and the end of commit(): the ``with`` block cancels, and the
    cancel must not remove the segments the new manifest already names."""
    build_batches(1)(tmp_path / "ix")
    ix = sc.Index.open(tmp_path / "ix")

    def interrupt(operation, path):
        if operation == "fsync_dir" and path == ix.path:
            raise KeyboardInterrupt
        return False

    previous = fileops.set_hook(interrupt)
    try:
        with pytest.raises(KeyboardInterrupt), ix.writer(merge=False) as w:
            apply_ops(w, NEW_DOCS)
            w.commit()
    finally:
        fileops.set_hook(previous)
    docs = indexed_docs(tmp_path / "ix")
    assert docs[-len(NEW_DOCS):] == [(key, body) for _, key, body in NEW_DOCS]
    assert sc.check_index(tmp_path / "ix").problems == []
