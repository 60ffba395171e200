"""The `search` command at its edges: failed and interrupted builds, bad paths, pipes, locks, confirmations."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchcore as sc
import searchcore.cli as cli
from searchcore.cli import main
from searchcore.engine import staging_path


def _jsonl(path: Path, docs: list[dict], broken_at: int | None = None) -> Path:
    lines = [json.dumps(doc) for doc in docs]
    if broken_at is not None:
        lines.insert(broken_at, '{"id": "broken", "body": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _docs(n: int, prefix: str = "d", word: str = "oil") -> list[dict]:
    return [{"id": f"{prefix}{i}", "title": f"Story {i}", "body": f"{word} prices story number {i}"} for i in range(n)]


@pytest.fixture
def old_index(tmp_path) -> Path:
    """An index built by the CLI with three documents: the one a failed rebuild must leave alone."""
    path = tmp_path / "ix"
    source = _jsonl(tmp_path / "old.jsonl", _docs(3, "old", "coffee"))
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _state(path: Path) -> tuple[bytes, list[str]]:
    """The committed manifest's bytes and the sorted IDs of the index at ``path``."""
    ix = sc.Index.open(path)
    with ix.searcher() as s:
        ids = sorted(hit.id for hit in s.search("coffee OR oil OR story", limit=1000))
    return (path / "manifest.json").read_bytes(), ids


# -- 1. --rebuild never empties the old index ----------------------------------------------------------------

def test_rebuild_from_a_missing_source_changes_nothing(old_index, tmp_path):
    before = _state(old_index)
    result = CliRunner().invoke(main, ["index", str(tmp_path / "missing.jsonl"), "--index", str(old_index), "--rebuild"])
    assert result.exit_code == 1
    assert "no such file" in result.output and "Nothing was changed." in result.output
    assert _state(old_index) == before
    assert not staging_path(old_index).exists()


def test_rebuild_that_fails_midway_leaves_the_old_index_and_resumes(old_index, tmp_path):
    before = _state(old_index)
    source = _jsonl(tmp_path / "new.jsonl", _docs(5), broken_at=4)
    args = ["index", str(source), "--index", str(old_index), "--rebuild", "--commit-every", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "line 5" in result.output
    assert f"The index at {old_index} is unchanged" in result.output
    assert "the 4 documents committed so far are kept" in result.output
    assert _state(old_index) == before  # byte for byte the same manifest, the same documents
    assert sc.check_index(old_index).ok
    assert sc.Index.open(staging_path(old_index)).doc_count() == 4

    _jsonl(source, _docs(5))  # the source mended: the same command goes on from the kept documents
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "resuming the interrupted build" in result.output
    assert "1 added, 0 updated, 4 unchanged; the index holds 5 documents" in result.output
    assert _state(old_index)[1] == sorted(f"d{i}" for i in range(5))
    assert not staging_path(old_index).exists()
    assert sc.check_index(old_index).ok


def test_a_failed_first_build_leaves_no_index(tmp_path):
    path = tmp_path / "new"
    source = _jsonl(tmp_path / "bad.jsonl", _docs(3), broken_at=1)
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(path)])
    assert result.exit_code == 1
    assert f"No index was made at {path}; nothing from this run was committed." in result.output
    assert not path.exists() and not staging_path(path).exists()


def test_rebuild_replaces_an_index_of_an_unreadable_format(old_index, tmp_path):
    manifest = old_index / "manifest.json"
    data = json.loads(manifest.read_bytes())
    data["version"] = 999
    manifest.write_text(json.dumps(data))
    with pytest.raises(sc.IndexVersionError):
        sc.Index.open(old_index)
    source = _jsonl(tmp_path / "new.jsonl", _docs(2))
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(old_index), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert _state(old_index)[1] == ["d0", "d1"]
    assert sc.check_index(old_index).ok


def test_ctrl_c_keeps_the_old_index_and_says_what_was_kept(old_index, tmp_path, monkeypatch):
    before = _state(old_index)
    real_bulk_index = sc.bulk_index

    def interrupted(writer, docs, **options):
        for doc in list(docs)[:2]:
            writer.update_document(**doc)
        writer.commit()
        raise KeyboardInterrupt

    monkeypatch.setattr(sc, "bulk_index", interrupted)
    source = _jsonl(tmp_path / "new.jsonl", _docs(5))
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(old_index), "--rebuild"])
    monkeypatch.setattr(sc, "bulk_index", real_bulk_index)
    assert result.exit_code == 130
    assert f"interrupted. The index at {old_index} is unchanged; the 2 documents committed so far are kept in" \
        in result.output
    assert _state(old_index) == before


# -- 6. periodic commits: a real Ctrl-C in the middle of a load ----------------------------------------------

def test_sigint_in_the_middle_of_a_load_keeps_what_was_committed(old_index, tmp_path):
    source = _jsonl(tmp_path / "many.jsonl", _docs(60_000))
    command = [sys.executable, "-m", "searchcore.cli", "index", str(source), "--index", str(old_index),
               "--commit-every", "2000"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while sc.Index.open(old_index).doc_count() <= 3:  # wait for the first periodic commit
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    kept = sc.Index.open(old_index).doc_count()
    assert f"The index at {old_index} holds {kept:,} documents as last committed; it held 3 before" in err
    assert kept > 3 and sc.check_index(old_index).ok

    again = subprocess.run([*command, "--commit-every", "0"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    unchanged = int(again.stdout.split(" unchanged")[0].rsplit(", ", 1)[1].replace(",", ""))
    assert unchanged >= kept - 3  # what the first run committed is skipped, not indexed again
    assert sc.Index.open(old_index).doc_count() == 60_003


# -- 7. --jobs is capped -------------------------------------------------------------------------------------

def test_jobs_beyond_the_cpus_are_capped(tmp_path):
    source = _jsonl(tmp_path / "docs.jsonl", _docs(20))
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(tmp_path / "ix"), "--jobs", "64"])
    assert result.exit_code == 0, result.output
    cpus = len(os.sched_getaffinity(0))
    assert f"--jobs 64 is more than the {cpus} CPUs here; using {cpus}" in result.output
    assert sc.Index.open(tmp_path / "ix").stats()["segments"] <= cpus


# -- 8. one-line errors, not tracebacks -----------------------------------------------------------------------

@pytest.mark.parametrize("command", [["oil"], ["stats"], ["delete", "x"], ["optimize"], ["similar", "x"]])
def test_index_path_that_is_a_file(tmp_path, command):
    path = tmp_path / "a-file"
    path.write_text("not an index")
    result = CliRunner().invoke(main, [*command, "--index", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "it is a file, not a directory" in result.output


def test_index_into_a_file_or_under_one(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("not an index")
    source = _jsonl(tmp_path / "docs.jsonl", _docs(2))
    for target in (path, path / "sub"):
        result = CliRunner().invoke(main, ["index", str(source), "--index", str(target)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "Not a directory" in result.output or "not a directory" in result.output
    assert path.read_text() == "not an index"


def test_library_errors_on_a_file_path_are_searchcore_errors(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("x")
    schema = sc.Schema(id=sc.ID(), body=sc.TEXT())
    for call in (lambda: sc.Index.open(path), lambda: sc.Index.create(path, schema),
                 lambda: sc.Index.create(path / "sub", schema), lambda: sc.Index.open(path / "sub")):
        with pytest.raises(sc.SearchcoreError) as caught:
            call()
        assert isinstance(caught.value, NotADirectoryError | FileNotFoundError)
        assert str(path) in str(caught.value)


def test_a_closed_pipe_ends_the_output_quietly(old_index):
    process = subprocess.Popen([sys.executable, "-m", "searchcore.cli", "stats", "--index", str(old_index)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like `| head` that has read enough before we write
    _, err = process.communicate(timeout=60)
    assert err == b""
    assert process.returncode == 0


# -- 10. smaller ones -----------------------------------------------------------------------------------------

def test_stats_counts_distinct_terms_across_segments(tmp_path):
    path = tmp_path / "ix"
    for i in range(3):  # the same words in three segments
        source = _jsonl(tmp_path / f"part{i}.jsonl", _docs(2, f"p{i}-"))
        assert CliRunner().invoke(main, ["index", str(source), "--index", str(path)]).exit_code == 0
    stats = sc.Index.open(path).stats()
    assert stats["segments"] == 3
    body = stats["fields"]["body"]
    assert sum(body["terms_per_segment"]) > body["terms"]
    analyzer = sc.Index.open(path).schema["body"].analyzer
    words = {word for i in range(2) for word in analyzer(f"oil prices story number {i}")}
    assert body["terms"] == len(words)
    result = CliRunner().invoke(main, ["stats", "--index", str(path)])
    assert f"terms {len(words):>9,}" in result.output


def test_escape_codes_in_a_query_do_not_reach_the_terminal(old_index):
    result = CliRunner().invoke(main, ["coffee\x1b[2Jx", "--parsed", "--index", str(old_index)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\\x1b" in result.output


def test_escape_codes_in_a_stored_title_are_shown_escaped(tmp_path):
    source = _jsonl(tmp_path / "docs.jsonl", [{"id": "e1", "title": "Evil\x1b]0;owned\x07 title", "body": "oil"}])
    path = tmp_path / "ix"
    assert CliRunner().invoke(main, ["index", str(source), "--index", str(path)]).exit_code == 0
    result = CliRunner().invoke(main, ["oil", "--index", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Evil\\x1b]0;owned\\x07 title" in result.output


def test_a_writer_waiting_for_the_lock_says_so(old_index):
    holder = sc.Index.open(old_index).writer()
    released = threading.Timer(1.0, holder.close)
    released.start()
    try:
        result = CliRunner().invoke(main, ["delete", "old0", "--index", str(old_index)])
    finally:
        released.join()
    assert result.exit_code == 0, result.output
    assert "waiting for another writer" in result.output
    assert "deleted 1 of 1 document(s)" in result.output


def test_words_that_are_command_names_can_be_searched(old_index):
    result = CliRunner().invoke(main, ["--index", str(old_index), "--", "optimize"])
    assert result.exit_code == 0, result.output
    assert "hits for 'optimize'" in result.output
    result = CliRunner().invoke(main, ["query", "delete", "old0", "--index", str(old_index)])
    assert result.exit_code == 0 and "hits for 'delete old0'" in result.output
    assert sc.Index.open(old_index).doc_count() == 3


def test_destructive_commands_ask_on_a_terminal(old_index, monkeypatch):
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    for command in (["delete", "old0"], ["optimize"]):
        result = CliRunner().invoke(main, [*command, "--index", str(old_index)], input="n\n")
        assert result.exit_code == 1
        assert "search -- WORDS" in result.output and "cancelled; nothing was changed" in result.output
    assert sc.Index.open(old_index).doc_count() == 3
    result = CliRunner().invoke(main, ["delete", "old0", "--index", str(old_index)], input="y\n")
    assert result.exit_code == 0 and "deleted 1 of 1" in result.output
    result = CliRunner().invoke(main, ["delete", "old1", "--yes", "--index", str(old_index)])
    assert result.exit_code == 0 and "deleted 1 of 1" in result.output
    assert sc.Index.open(old_index).doc_count() == 1


def test_a_huge_query_is_not_echoed_whole(old_index):
    result = CliRunner().invoke(main, ["(" * 10_000, "--index", str(old_index)])
    assert result.exit_code == 0, result.output
    assert len(result.output) < 2_000
    assert "(and 9,935 more like it)" in result.output


def test_an_index_of_an_older_format_says_once_how_to_rebuild(old_index):
    manifest = old_index / "manifest.json"
    data = json.loads(manifest.read_bytes())
    data.pop("checksum")
    data["version"] = 2
    data["checksum"] = zlib.crc32(json.dumps(data, indent=1).encode("utf-8"))
    manifest.write_text(json.dumps(data, indent=1))
    result = CliRunner().invoke(main, ["oil", "--index", str(old_index)])
    assert result.exit_code == 1
    assert result.output.count("--rebuild") == 1 and "format 2" in result.output
