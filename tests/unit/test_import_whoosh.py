"""search import-whoosh: a Whoosh index built here comes over with its stored documents equal, and what
Whoosh did not store is named."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

import searchcore as sc
from searchcore.cli import main

whoosh_fields = pytest.importorskip("whoosh.fields")
whoosh_index = pytest.importorskip("whoosh.index")

STORIES = [
    {"key": "afp-1", "title": "Chinese defence minister to visit Russia, Belarus",
     "body": "Li Shangfu will visit Russia and Belarus, the ministry said.", "tags": "defence, china",
     "words": "Minister Visit", "price": 0, "when": dt.datetime(2023, 8, 14, 9, 30), "wire": True,
     "extra": "kept as is", "secret": "never stored"},
    {"key": "r-2", "title": "OPEC output", "body": "OPEC cut crude output in March.", "tags": "oil,opec",
     "words": "crude quota", "price": 18.5, "when": dt.datetime(1987, 3, 2), "wire": False,
     "extra": "x", "secret": "s"},
    {"key": "r-3", "title": "Grain prices", "body": "Wheat and grain prices rose.", "tags": "grain",
     "words": "wheat", "price": 3.25, "when": dt.datetime(1987, 4, 1), "wire": True,
     "extra": "y", "secret": "t"},
]


def whoosh_schema(unique_key: bool = True):
    f = whoosh_fields
    return f.Schema(key=f.ID(stored=True, unique=unique_key), title=f.TEXT(stored=True, field_boost=2.0),
                    body=f.TEXT(stored=True), tags=f.KEYWORD(stored=True, commas=True, lowercase=True),
                    words=f.KEYWORD(stored=True, lowercase=False), price=f.NUMERIC(stored=True, numtype=float),
                    when=f.DATETIME(stored=True), wire=f.BOOLEAN(stored=True), extra=f.STORED(),
                    secret=f.TEXT(stored=False))


def build_whoosh(path, stories, unique_key: bool = True, delete: str | None = None):
    path.mkdir()
    ix = whoosh_index.create_in(str(path), whoosh_schema(unique_key))
    writer = ix.writer()
    for story in stories:
        writer.add_document(**story)
    writer.commit()
    if delete:
        writer = ix.writer()
        writer.delete_by_term("key", delete)
        writer.commit()
    return ix


def test_the_stored_documents_come_over_equal_and_the_unstored_field_is_named(tmp_path):
    source = build_whoosh(tmp_path / "whoosh", STORIES, delete="r-3")
    with source.searcher() as s:
        stored = {fields["key"]: fields for fields in s.documents()}
    report = sc.import_whoosh(tmp_path / "whoosh", tmp_path / "ix")
    assert report.documents == 2 and report.id_field == "key"
    assert set(report.dropped) == {"secret"} and "did not store" in report.dropped["secret"]
    ix = sc.Index.open(tmp_path / "ix")
    schema = ix.schema
    assert schema["title"].boost == 2.0 and schema["tags"].lowercase and not schema["words"].lowercase
    assert "secret" not in schema
    with ix.searcher() as s:
        for key, whoosh_doc in stored.items():
            ours = s.document(key)
            assert ours["title"] == whoosh_doc["title"] and ours["body"] == whoosh_doc["body"]
            assert ours["tags"] == [t.strip() for t in whoosh_doc["tags"].split(",")]
            assert ours["words"] == whoosh_doc["words"].split()
            assert ours["price"] == whoosh_doc["price"] and ours["extra"] == whoosh_doc["extra"]
            assert ours["wire"] == ["true" if whoosh_doc["wire"] else "false"]
            assert dt.datetime.fromisoformat(str(ours["when"])).replace(tzinfo=None) == whoosh_doc["when"]
        assert s.document("r-3") is None  # deleted in Whoosh, not carried over
        assert s.search("Li Shangfu Belarus")[0].id == "afp-1"
        assert s.search("tags:opec").total == 1 and s.search("wire:true").total == 1
        assert s.search("when:[2023-01-01 TO *]").total == 1 and s.search("price:>=10").total == 1


def test_without_a_unique_id_documents_are_keyed_by_their_whoosh_number(tmp_path):
    build_whoosh(tmp_path / "whoosh", STORIES, unique_key=False)
    report = sc.import_whoosh(tmp_path / "whoosh", tmp_path / "ix")
    assert report.id_field == "whoosh_docnum" and report.documents == 3
    assert "key" in report.mapped and report.mapped["key"].startswith("KEYWORD")
    with sc.Index.open(tmp_path / "ix").searcher() as s:
        assert s.document("0")["key"] == ["afp-1"]


def test_the_command_reports_and_refuses_to_overwrite_without_rebuild(tmp_path):
    build_whoosh(tmp_path / "whoosh", STORIES)
    runner = CliRunner()
    first = runner.invoke(main, ["import-whoosh", str(tmp_path / "whoosh"), "--index", str(tmp_path / "ix")])
    assert first.exit_code == 0, first.output
    assert "3 documents imported, keyed by 'key'" in first.output and "secret" in first.output
    again = runner.invoke(main, ["import-whoosh", str(tmp_path / "whoosh"), "--index", str(tmp_path / "ix")])
    assert again.exit_code == 1 and "already exists" in again.output and "--rebuild" in again.output
    rebuilt = runner.invoke(main, ["import-whoosh", str(tmp_path / "whoosh"), "--index", str(tmp_path / "ix"),
                                   "--rebuild"])
    assert rebuilt.exit_code == 0 and sc.Index.open(tmp_path / "ix").doc_count() == 3
    missing = runner.invoke(main, ["import-whoosh", str(tmp_path / "nothing"), "--index", str(tmp_path / "ix2")])
    assert missing.exit_code == 1 and "no Whoosh index in" in missing.output and "Traceback" not in missing.output
