"""The `search` command through click's CliRunner."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from searchcore.cli import main
from tests.damage import flip_byte

STORY = """Example Wire
WORLD
Minister to visit Belarus next week
By Jane DOE
Minsk (AFP) Aug 14, 2023

Defence minister Li Shangfu will visit Belarus, the ministry said.

Related Links
Other headline about Poland
"""


@pytest.fixture
def sources(tmp_path):
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "afp.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "docs.jsonl").write_text(
        json.dumps({"id": "j1", "title": "Oil prices", "body": "Crude oil prices rose.", "date": "1987-03-02"}) + "\n"
        + json.dumps({"id": "j2", "title": "Bank rates", "body": "Rates held."}) + "\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture
def built(sources, tmp_path):
    index = tmp_path / "ix"
    result = CliRunner().invoke(main, ["index", str(sources / "stories"), str(sources / "docs.jsonl"), "--index", str(index)])
    assert result.exit_code == 0, result.output
    return index


def test_index_prints_a_summary(sources, tmp_path):
    result = CliRunner().invoke(main, ["index", str(sources / "docs.jsonl"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged; the index holds 2 documents" in result.output
    assert "1 segment(s)" in result.output


def test_query_is_the_default_command(built):
    result = CliRunner().invoke(main, ["Li Shangfu Belarus", "--index", str(built)])
    assert result.exit_code == 0, result.output
    assert "1 hits for 'Li Shangfu Belarus'" in result.output
    assert "Minister to visit Belarus next week" in result.output
    assert "2023-08-14" in result.output
    assert "**Li** **Shangfu** will visit **Belarus**" in result.output
    assert "Poland" not in result.output


def test_json_output(built):
    result = CliRunner().invoke(main, ["oil", "--index", str(built), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"query", "total", "took_ms", "hits"}
    assert data["total"] == 1
    (hit,) = data["hits"]
    assert set(hit) == {"id", "score", "title", "date", "snippet"}
    assert hit["id"] == "j1" and hit["date"] == "1987-03-02" and "**oil**" in hit["snippet"]


def test_index_env_var(built, monkeypatch):
    monkeypatch.setenv("SEARCHCORE_INDEX", str(built))
    result = CliRunner().invoke(main, ["stats"])
    assert result.exit_code == 0, result.output
    assert "documents  3" in result.output


def test_missing_index_says_how_to_build_one(tmp_path):
    result = CliRunner().invoke(main, ["oil", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no index at" in result.output and "search index" in result.output


def test_indexing_again_resumes_and_updates(built, sources):
    result = CliRunner().invoke(main, ["index", str(sources / "docs.jsonl"), "--index", str(built)])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 2 unchanged; the index holds 3 documents" in result.output
    (sources / "docs.jsonl").write_text(json.dumps({"id": "j2", "title": "Bank rates", "body": "Rates cut."}) + "\n")
    result = CliRunner().invoke(main, ["index", str(sources / "docs.jsonl"), "--index", str(built)])
    assert "0 added, 1 updated, 0 unchanged; the index holds 3 documents" in result.output
    result = CliRunner().invoke(main, ["cut", "--index", str(built), "--json"])
    assert [h["id"] for h in json.loads(result.output)["hits"]] == ["j2"]


def test_delete_optimize_and_check(built):
    runner = CliRunner()
    result = runner.invoke(main, ["delete", "j1", "nope", "--index", str(built)])
    assert result.exit_code == 0 and "deleted 1 of 2 document(s); 2 remain" in result.output
    assert json.loads(runner.invoke(main, ["oil", "--index", str(built), "--json"]).output)["total"] == 0
    result = runner.invoke(main, ["optimize", "--index", str(built)])
    assert result.exit_code == 0 and "merged into 1; 2 documents" in result.output
    result = runner.invoke(main, ["check", "--index", str(built)])
    assert result.exit_code == 0 and "ok:" in result.output


def test_check_names_a_damaged_file(built):
    victim = flip_byte(next(built.glob("seg_*")), "body.term_freqs.npy")
    result = CliRunner().invoke(main, ["check", "--index", str(built)])
    assert result.exit_code == 1
    assert f"error: {victim}: checksum" in result.output and "--rebuild" in result.output


def test_non_utf8_source_is_a_clear_error(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 au lait")
    result = CliRunner().invoke(main, ["index", str(tmp_path / "bad.txt"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "bad.txt" in result.output and "UTF-8" in result.output


def test_every_command_has_help():
    for name, command in main.commands.items():
        assert command.help and command.help.strip(), name
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
    assert isinstance(main, click.Group)


def test_parsed_prints_the_canonical_form(built):
    result = CliRunner().invoke(main, ["oil AND NOT (coffee OR cocoa)", "--parsed", "--index", str(built)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "+oil -(coffee cocoa)"


def test_strict_mode_reports_the_column(built):
    result = CliRunner().invoke(main, ["(oil AND", "--strict", "--index", str(built)])
    assert result.exit_code == 1
    assert "column" in result.output


def test_filter_sort_and_facets(built):
    runner = CliRunner()
    out = runner.invoke(main, ["oil OR rates OR belarus", "--filter", "date:[1987-01-01 TO 1987-12-31]", "--json",
                               "--index", str(built)])
    assert out.exit_code == 0, out.output
    assert [h["id"] for h in json.loads(out.output)["hits"]] == ["j1"]
    out = runner.invoke(main, ["oil OR rates OR belarus", "--sort", "-date", "--json", "--index", str(built)])
    hits = json.loads(out.output)["hits"]
    assert [h["date"] for h in hits] == ["2023-08-14", "1987-03-02", None]  # no date: last


def test_did_you_mean_and_similar(built):
    runner = CliRunner()
    out = runner.invoke(main, ["Li Shangfo Belarus", "--index", str(built)])
    assert out.exit_code == 0, out.output
    assert "did you mean 'Li Shangfu Belarus'?" in out.output
    out = runner.invoke(main, ["similar", "j1", "--index", str(built)])
    assert out.exit_code == 0, out.output
    assert "like j1" in out.output
    out = runner.invoke(main, ["similar", "nope", "--index", str(built)])
    assert out.exit_code == 1 and "no document with ID 'nope'" in out.output


def test_index_keeps_the_stemmer_it_was_built_with(sources, tmp_path):
    pytest.importorskip("Stemmer")
    index = tmp_path / "ps"
    built = CliRunner().invoke(main, ["index", str(sources / "docs.jsonl"), "--index", str(index),
                                      "--stemmer", "pystemmer"])
    assert built.exit_code == 0, built.output
    import searchcore as sc

    schema = sc.Index.open(index).schema
    assert {schema[f].analyzer.stemmer for f in schema.text_fields} == {"pystemmer"}
    again = CliRunner().invoke(main, ["index", str(sources / "docs.jsonl"), "--index", str(index)])
    assert again.exit_code == 0 and "2 unchanged" in again.output  # no --stemmer: the index's own
    other = CliRunner().invoke(main, ["index", str(sources / "docs.jsonl"), "--index", str(index),
                                      "--stemmer", "snowball"])
    assert other.exit_code == 1 and "built with the pystemmer stemmer, not snowball" in other.output
