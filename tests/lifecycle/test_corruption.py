"""Damage every file of a committed index, and every array in a segment's pack, one at a time: check finds
it, and search never lies.

The index has two committed segments, the first with deletions, over a schema with every kind of
field, so every kind of file and array exists. Each case damages one file of a fresh copy ("truncate": cut
it in half; "flip": xor one byte of its last quarter), or one array inside a pack (the pack cut in the
middle of that array, or a byte of its last quarter flipped), and asserts that ``check_index`` and
``search check`` report that very file (and a flipped array by name), and that opening and searching
either raises a SearchcoreError naming the file or returns exactly what the undamaged index returned.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchcore as sc
from searchcore.cli import main
from searchcore.index import codec

SCHEMA = sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT(stored=True),
                   topics=sc.KEYWORD(stored=True), price=sc.NUMERIC(stored=True), date=sc.DATE(stored=True))
FIRST = [
    {"id": "a1", "title": "Oil prices rise", "body": "Crude oil prices rose as OPEC cut output.",
     "topics": ["crude"], "price": 18.5, "date": "1987-03-02"},
    {"id": "a2", "title": "OPEC meets", "body": "OPEC ministers meet to discuss crude oil quotas.",
     "topics": ["crude", "opec"], "price": 18.0, "date": "1987-03-05"},
    {"id": "a3", "title": "Bank rates unchanged", "body": "The central bank left interest rates unchanged.",
     "topics": ["interest"], "price": 7.25, "date": "1987-03-09"},
    {"id": "a4", "title": "Minister to visit Belarus", "body": "The minister will visit Russia and Belarus.",
     "topics": ["defence"], "price": 0, "date": "2023-08-14"},
    {"id": "a5", "title": "Coffee exports", "body": "Coffee exports fell while cocoa prices held.",
     "topics": ["coffee", "cocoa"], "price": 1.3, "date": "1987-04-01"},
]
SECOND = [
    {"id": "b1", "title": "Crude output", "body": "Saudi crude oil output rose in March.",
     "topics": ["crude"], "price": 17.9, "date": "1987-04-02"},
    {"id": "b2", "title": "Trade deficit", "body": "The U.S. trade deficit widened to 5.93 billion dlrs.",
     "topics": ["trade"], "price": 5.93, "date": "1987-04-14"},
    {"id": "b3", "title": "Oil visit", "body": "The oil minister visits Vienna to meet OPEC.",
     "topics": ["crude", "opec"], "price": 18.2, "date": "1987-04-20"},
]
DELETED = "a3"  # deleted by the second commit: the first segment gets deleted_2.npy

QUERIES = [sc.Term("oil"), sc.Phrase("crude oil"), "+opec -bank minister", sc.Term("crude", "topics"),
           sc.Term("b2", "id"), "visit belarus", "5.93 rates"]
KEYS = ["a1", "a3", "a5", "b1", "b3"]

def build(path: Path) -> None:
    ix = sc.Index.create(path, SCHEMA)
    with ix.writer(merge=False) as w:
        for doc in FIRST:
            w.add_document(**doc)
    with ix.writer(merge=False) as w:
        for doc in SECOND:
            w.add_document(**doc)
        assert w.delete_document(DELETED)


def manifest_files() -> list[tuple[int | None, str]]:
    """(segment ordinal or None, file name) of every file the manifest names, the manifest itself, and
    (segment ordinal, "arrays.pack:<array>") of every array in a pack.

    Read from an index built at collection time, so the cases follow the format as it grows files.
    """
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "ix")
        manifest = json.loads((Path(tmp) / "ix" / codec.MANIFEST).read_bytes())
    cases: list[tuple[int | None, str]] = [(None, codec.MANIFEST)]
    for i, segment in enumerate(manifest["segments"]):
        for name, entry in sorted(segment["files"].items()):
            cases += [(i, name), *((i, f"{name}:{array}") for array in sorted(entry.get("members", {})))]
    return cases


FILES = manifest_files()
WHOLE_FILES = [case for case in FILES if ":" not in case[1]]
DAMAGES = ["truncate", "flip"]
# Files that must be among them: every kind of field has its files, and the first segment its deletions.
TEXT_PARTS = [codec.TERMS, codec.TERM_STARTS, codec.POSTING_STARTS, codec.DOC_IDS, codec.TERM_FREQS,
              codec.POSITION_STARTS, codec.POSITIONS, codec.DOC_LENS, codec.LEXICON, codec.LEXICON_STARTS,
              codec.LEXICON_TERMS]
TERM_PARTS = [codec.TERMS, codec.TERM_STARTS, codec.POSTING_STARTS, codec.DOC_IDS]
EXPECTED_SEGMENT_FILES = (
    [codec.array_file(f, p) for f in ("title", "body") for p in TEXT_PARTS]
    + [codec.array_file(f, p) for f in ("id", "topics") for p in TERM_PARTS]
    + [codec.array_file(f, codec.VALUES) for f in ("price", "date")]
    + [codec.array_file("", p) for p in (codec.STORED, codec.STORED_STARTS, codec.HASHES)]
    + [codec.SEGMENT_META]
)
DELETION_FILE = f"{codec.DELETIONS_PREFIX}2.npy"


def file_id(case) -> str:
    segment, name = case
    return name if segment is None else f"seg{segment}/{name}"


def observe(path: Path):
    """Everything a user can read back: ids and scores of a few searches, and a few stored documents."""
    ix = sc.Index.open(path)
    with ix.searcher() as s:
        results = []
        for query in QUERIES:
            hits = s.search(query, limit=20)
            results.append(([(h.id, h.score) for h in hits], hits.total, [h.fields for h in hits]))
        return results, {key: s.document(key) for key in KEYS}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """(path, baseline observation) of the index every case copies."""
    path = tmp_path_factory.mktemp("clean") / "ix"
    build(path)
    ix = sc.Index.open(path)
    assert ix.check().ok
    return path, observe(path)


def target(path: Path, case) -> tuple[Path, int, int]:
    """(the file damaged, and the offset and size of the bytes damaged in it)."""
    segment, name = case
    if segment is None:
        return path / name, 0, (path / name).stat().st_size
    manifest = json.loads((path / codec.MANIFEST).read_bytes())
    info = manifest["segments"][segment]
    name, _, array = name.partition(":")
    file = path / info["name"] / name
    if array:
        offset, size, _ = info["files"][name]["members"][array]
        return file, offset, size
    return file, 0, file.stat().st_size


def damage(file: Path, offset: int, size: int, how: str) -> None:
    data = bytearray(file.read_bytes())
    if how == "truncate":
        del data[offset + size // 2 :]
    else:
        # xor with 0xff: a data byte changes value, and an ASCII byte (JSON, .npy header) becomes invalid UTF-8
        data[offset + size * 7 // 8] ^= 0xFF
    file.write_bytes(bytes(data))


def test_clean_index_is_consistent(clean):
    path, (results, documents) = clean
    report = sc.check_index(path)
    assert report.ok and report.files_checked == len(WHOLE_FILES) - 1
    assert documents[DELETED] is None and documents["b1"]["title"] == "Crude output"
    assert all(total > 0 for _, total, _ in results)
    assert CliRunner().invoke(main, ["check", "--index", str(path)]).exit_code == 0


def test_cases_cover_every_kind_of_file(clean):
    path, _ = clean
    manifest = json.loads((path / codec.MANIFEST).read_bytes())
    assert [s["num_docs"] for s in manifest["segments"]] == [len(FIRST), len(SECOND)]
    assert manifest["segments"][0]["deletions"] == DELETION_FILE
    for ordinal, segment in enumerate(manifest["segments"]):
        assert sorted(p.name for p in (path / segment["name"]).iterdir()) == sorted(segment["files"])
        assert {(ordinal, name) for name in segment["files"]} <= set(FILES)
        arrays = {array for entry in segment["files"].values() for array in entry.get("members", {})}
        assert set(EXPECTED_SEGMENT_FILES) <= set(segment["files"]) | arrays
        assert {(ordinal, f"{codec.PACK}:{array}") for array in arrays} <= set(FILES)
    assert (0, DELETION_FILE) in FILES and (None, codec.MANIFEST) in FILES


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("case", FILES, ids=file_id)
def test_damaged_file_is_reported_and_never_misread(clean, tmp_path, case, how):
    source, before = clean
    path = tmp_path / "ix"
    shutil.copytree(source, path)
    file, offset, size = target(path, case)
    length = file.stat().st_size
    damage(file, offset, size, how)
    assert file.stat().st_size == (offset + size // 2 if how == "truncate" else length)

    report = sc.check_index(path)
    assert not report.ok
    assert str(file) in [p.path for p in report.problems if p.fatal], report.problems
    array = case[1].partition(":")[2]
    if array and how == "flip":  # the pack's report names the array
        assert any(p.path == str(file) and array in p.problem for p in report.problems), report.problems

    result = CliRunner().invoke(main, ["check", "--index", str(path)])
    assert result.exit_code == 1, result.output
    assert str(file) in result.output

    try:
        after = observe(path)
    except Exception as exc:  # noqa: BLE001 - the point is which exceptions escape
        assert isinstance(exc, sc.SearchcoreError), f"{type(exc).__name__} escaped: {exc}"
        assert str(file) in str(exc)
    else:
        assert after == before
