"""Tests for searchcore.loaders: Reuters SGML, JSON Lines, plain-text wire stories and the dispatcher."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchcore.errors import LoaderError
from searchcore.loaders import (
    count_documents,
    iter_documents,
    load_jsonl,
    load_reuters,
    load_text,
    load_text_folder,
)

DOC_KEYS = {"id", "title", "body", "dateline", "byline", "agency", "date", "topics", "places", "source"}


def assert_clean(doc: dict) -> None:
    """A loader document: known keys only, no None / empty values, the documented value types."""
    assert set(doc) <= DOC_KEYS, set(doc) - DOC_KEYS
    for key, value in doc.items():
        assert value, f"{key} is empty: {value!r}"
        if key in ("topics", "places"):
            assert isinstance(value, list) and all(isinstance(item, str) and item for item in value)
        else:
            assert isinstance(value, str)


# --- Reuters-21578 SGML --------------------------------------------------------------------------------------

REUTERS_NORMAL = """\
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<PLACES><D>el-salvador</D><D>usa</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN> 
&#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute
u f BC-BAHIA-COCOA-REVIEW   02-26 0105</UNKNOWN>
<TEXT>&#2;
<TITLE>SMITH &amp; CO &lt;SMC> COCOA REVIEW</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week in
the Bahia cocoa zone, &lt;Comissaria Smith> said.
    Arrivals were 155,221 bags.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
"""

REUTERS_BRIEF = """\
<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5573" NEWID="30">
<DATE>26-FEB-1987 15:41:56.13</DATE>
<TOPICS></TOPICS>
<PLACES><D>usa</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;RM</UNKNOWN>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 MLN DLRS IN LATEST WEEK
</TITLE>Blah blah blah.
&#3;

</TEXT>
</REUTERS>
"""

REUTERS_UNPROC = """\
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5642" NEWID="99">
<DATE>31-MAR-1987 605:12:19.12&#9;&#9;&#9;RM</DATE>
<TOPICS><D>money-supply</D></TOPICS>
<PLACES></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>&#5;&#5;&#5;RM</UNKNOWN>
<TEXT TYPE="UNPROC">&#2;

FEDERAL RESERVE WEEKLY REPORT 1 - FEB 26
    Two weeks ended Feb 25      daily avgs-mlns
 Net free reserves.............644 vs.....1,337
 REUTER
&#3;

</TEXT>
</REUTERS>
"""


def write_sgm(folder: Path, name: str, *records: str) -> Path:
    path = folder / name
    path.write_bytes(('<!DOCTYPE lewis SYSTEM "lewis.dtd">\n' + "".join(records)).encode("latin-1"))
    return path


@pytest.fixture
def sgm_file(tmp_path: Path) -> Path:
    return write_sgm(tmp_path, "reut2-000.sgm", REUTERS_NORMAL, REUTERS_BRIEF, REUTERS_UNPROC)


def test_reuters_normal_record(sgm_file: Path) -> None:
    doc = next(load_reuters(sgm_file))
    assert_clean(doc)
    assert doc == {
        "id": "1",
        "title": "SMITH & CO <SMC> COCOA REVIEW",
        "body": "Showers continued throughout the week in\nthe Bahia cocoa zone, <Comissaria Smith> said.\n"
        "    Arrivals were 155,221 bags.",
        "dateline": "SALVADOR, Feb 26",
        "agency": "Reuters",
        "date": "1987-02-26T15:01:01",
        "topics": ["cocoa"],
        "places": ["el-salvador", "usa"],
        "source": f"{sgm_file}#1",
    }


def test_reuters_brief_record_has_title_and_no_body(sgm_file: Path) -> None:
    doc = list(load_reuters(sgm_file))[1]
    assert_clean(doc)
    assert doc["id"] == "30"
    assert doc["title"] == "ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 MLN DLRS IN LATEST WEEK"
    assert "body" not in doc and "dateline" not in doc and "topics" not in doc
    assert doc["places"] == ["usa"]


def test_reuters_unproc_record_text_is_body(sgm_file: Path) -> None:
    doc = list(load_reuters(sgm_file))[2]
    assert_clean(doc)
    assert doc["title"] == "FEDERAL RESERVE WEEKLY REPORT 1 - FEB 26"
    assert doc["body"].startswith("FEDERAL RESERVE WEEKLY REPORT 1 - FEB 26\n    Two weeks ended Feb 25")
    assert doc["body"].endswith("644 vs.....1,337")
    # A garbled time ("605:12:19") keeps the date; the tab references after it are ignored.
    assert doc["date"] == "1987-03-31"
    assert "places" not in doc


def test_reuters_drops_control_characters_keeps_newlines(sgm_file: Path) -> None:
    for doc in load_reuters(sgm_file):
        for key in ("title", "body", "dateline"):
            text = doc.get(key, "")
            assert not any(ord(char) < 32 and char not in "\n\t" for char in text), (key, text)
            assert "&#" not in text and "&lt;" not in text


def test_reuters_folder_reads_reut2_files_in_order(tmp_path: Path) -> None:
    write_sgm(tmp_path, "reut2-001.sgm", REUTERS_UNPROC)
    write_sgm(tmp_path, "reut2-000.sgm", REUTERS_NORMAL, REUTERS_BRIEF)
    (tmp_path / "all-topics-strings.lc.txt").write_text("cocoa\n")
    (tmp_path / "other.sgm").write_text("not reuters")
    docs = list(load_reuters(tmp_path))
    assert [doc["id"] for doc in docs] == ["1", "30", "99"]
    assert docs[2]["source"] == f"{tmp_path / 'reut2-001.sgm'}#99"


def test_reuters_reads_latin1_bytes(tmp_path: Path) -> None:
    record = REUTERS_NORMAL.replace("Arrivals were", "M\xfcller said arrivals were")
    doc = next(load_reuters(write_sgm(tmp_path, "reut2-000.sgm", record)))
    assert "Müller said arrivals were" in doc["body"]


def test_reuters_truncated_record_names_file_and_record(tmp_path: Path) -> None:
    truncated = REUTERS_BRIEF.replace("</REUTERS>\n", "")
    path = write_sgm(tmp_path, "reut2-000.sgm", REUTERS_NORMAL, truncated, REUTERS_UNPROC)
    docs = load_reuters(path)
    assert next(docs)["id"] == "1"
    with pytest.raises(LoaderError) as info:
        next(docs)
    message = str(info.value)
    assert str(path) in message and "NEWID=30" in message and "record 2" in message
    assert "truncated" in message
    assert info.value.path == str(path)


def test_reuters_truncated_last_record(tmp_path: Path) -> None:
    path = write_sgm(tmp_path, "reut2-000.sgm", REUTERS_NORMAL, REUTERS_NORMAL.replace("</REUTERS>\n", ""))
    with pytest.raises(LoaderError, match=r"record 2 \(NEWID=1, line \d+\) is truncated"):
        list(load_reuters(path))


def test_reuters_record_without_newid(tmp_path: Path) -> None:
    path = write_sgm(tmp_path, "reut2-000.sgm", REUTERS_BRIEF.replace(' NEWID="30"', ""))
    with pytest.raises(LoaderError, match=r"record 1 \(line 2\) has no numeric NEWID") as info:
        list(load_reuters(path))
    assert isinstance(info.value, ValueError)


def test_reuters_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="no reut2-"):
        list(load_reuters(tmp_path))
    with pytest.raises(LoaderError, match="no such file"):
        list(load_reuters(tmp_path / "missing.sgm"))
    (tmp_path / "empty.sgm").write_text("<!DOCTYPE lewis>\n")
    with pytest.raises(LoaderError, match="no <REUTERS> records"):
        list(load_reuters(tmp_path / "empty.sgm"))


# --- JSON Lines ----------------------------------------------------------------------------------------------


def test_jsonl_passes_objects_through(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": 7, "title": "Seven", "extra": [1, 2]}\n\n   \n{"id": "b", "body": "caf\\u00e9"}\n')
    assert list(load_jsonl(path)) == [
        {"id": "7", "title": "Seven", "extra": [1, 2]},
        {"id": "b", "body": "café"},
    ]


def test_jsonl_without_trailing_newline_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": 1}\n{"id": 2, "flag": true}')
    assert list(load_jsonl(path)) == [{"id": "1"}, {"id": "2", "flag": True}]


def test_jsonl_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2,\n')
    docs = load_jsonl(path)
    assert next(docs) == {"id": "1"}
    with pytest.raises(LoaderError) as info:
        next(docs)
    assert str(path) in str(info.value) and "line 3" in str(info.value)


@pytest.mark.parametrize(("data", "where"), [
    # a truncated object on a later line: json points past the line's \n, once reported as column 1
    (b'{"id": 1}\n\n{"id": 2,\n', "line 3, column 10"),
    (b'{"id": 1}\r\n{"id": 2,\r\n', "line 2, column 10"),
    # characters, not bytes: "Zürich – €" is 10 characters and 15 bytes
    ('{"id": 1}\n{"title": "Zürich – €", oops}\n'.encode(), "line 2, column 25"),
    ('{"id": 1}\n{"t": "\U0001F600", x}\n'.encode(), "line 2, column 12"),
    # a BOM is not a column; a lone CR is a line break to an editor
    (b'\xef\xbb\xbf{"id": 1, oops}\n', "line 1, column 11"),
    (b'{"id": 1}\r{"id": 2}\n', "line 2, column 1"),  # "Extra data": the second object
    (b'{"a":\r1}\n{"b": x}\n', "line 3, column 7"),
])
def test_jsonl_invalid_json_gives_the_line_and_column_an_editor_shows(tmp_path: Path, data: bytes, where: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    with pytest.raises(LoaderError, match=f"not valid JSON \\(.* at {where}\\)$"):
        list(load_jsonl(path))


def test_jsonl_invalid_utf8_gives_the_column_in_characters(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes('{"id": 1}\n{"title": "Zürich '.encode() + b'\xff"}\n')
    with pytest.raises(LoaderError, match=r"not valid UTF-8 \(byte 0xff at line 2, column 19\)$"):  # byte 20
        list(load_jsonl(path))


@pytest.mark.parametrize(("data", "problem"), [
    (b"[" * 100_000, "nested too deeply"),
    (b'{"n": ' + b"1" * 5000 + b"}", "digits"),
])
def test_jsonl_values_json_cannot_hold_are_loader_errors(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": 1}\n' + data + b"\n")
    with pytest.raises(LoaderError, match=f"line 2: not valid JSON here \\(.*{problem}"):
        list(load_jsonl(path))


@pytest.mark.parametrize(("line", "kind"), [("[1, 2]", "list"), ('"text"', "str"), ("42", "int"), ("null", "NoneType")])
def test_jsonl_non_object_line(tmp_path: Path, line: str, kind: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f'{{"id": 1}}\n{line}\n')
    with pytest.raises(LoaderError, match=f"line 2: expected a JSON object, got {kind}"):
        list(load_jsonl(path))


def test_jsonl_bool_id_is_left_for_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": true}\n')
    assert list(load_jsonl(path)) == [{"id": True}]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["title", "body", "topics", "n"]),
            st.one_of(st.text(), st.lists(st.text(), max_size=3), st.integers()),
        ),
        max_size=5,
    ),
    st.integers(min_value=-(10**12), max_value=10**12),
)
def test_jsonl_round_trip(docs: list[dict], first_id: int) -> None:
    written = [{"id": first_id + offset, **doc} for offset, doc in enumerate(docs)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "docs.jsonl"
        path.write_text("".join(json.dumps(doc) + "\n" for doc in written), encoding="utf-8")
        loaded = list(load_jsonl(path))
    assert loaded == [{**doc, "id": str(doc["id"])} for doc in written]


# --- Plain-text wire stories ---------------------------------------------------------------------------------

WIRE_PAGE = """\
Rocket Daily News
SUPERPOWERS
Minister to visit Paris and Bern next week: ministry
Minister to visit Paris and Bern next week: ministry
By Anna MARTIN
Lagos (AFP) Sept. 3, 2021

The minister will visit Paris and Bern next week, the ministry said on Friday.

Talks will cover trade and security.

- Trade talks -

"We expect progress," a spokesperson said, ending the story here.

Related Links
Learn about superpowers at Example.com

Subscribe Free To Our Daily Newsletters
Tweet

RELATED CONTENT
The following news reports may link to other websites.
SUPERPOWERS
Strongman orders border contact amid tensions
Minsk (AFP) Sep 1, 2021
Strongman Zorblax said Friday he had ordered contact ... read more

SUPERPOWERS
Another related headline about missiles

Subscribe Free To Our Daily Newsletters

The content herein, unless otherwise known to be public domain, are Copyright 1995-2024 - Example Network.
"""


@pytest.fixture
def wire_file(tmp_path: Path) -> Path:
    path = tmp_path / "001_story.txt"
    path.write_text(WIRE_PAGE, encoding="utf-8")
    return path


def test_wire_story_fields(wire_file: Path) -> None:
    doc = load_text(wire_file)
    assert_clean(doc)
    assert doc["id"] == "001_story"
    assert doc["source"] == str(wire_file)
    assert doc["title"] == "Minister to visit Paris and Bern next week: ministry"
    assert doc["byline"] == "Anna MARTIN"
    assert doc["dateline"] == "Lagos (AFP) Sept. 3, 2021"
    assert doc["agency"] == "AFP"
    assert doc["date"] == "2021-09-03"


def test_wire_story_body_is_only_the_story(wire_file: Path) -> None:
    body = load_text(wire_file)["body"]
    assert body.startswith("The minister will visit Paris and Bern next week")
    assert body.endswith('"We expect progress," a spokesperson said, ending the story here.')
    assert "- Trade talks -" in body
    for furniture in ("Zorblax", "Strongman", "Related Links", "Subscribe", "Tweet", "RELATED", "Copyright",
                      "Rocket Daily", "SUPERPOWERS", "By Anna", "Lagos (AFP)", "next week: ministry"):
        assert furniture not in body, furniture


def test_wire_story_followed_directly_by_another_story(tmp_path: Path) -> None:
    path = tmp_path / "two.txt"
    path.write_text(
        "Site\nFirst headline\nBeijing (Xinhua) August 14 2023\n\nFirst story text.\n\nSECTION\n"
        "Second headline\nBy Someone ELSE\nParis (UPI) Aug 15, 2023\nSecond story text.\n",
        encoding="utf-8",
    )
    doc = load_text(path)
    assert doc["title"] == "First headline"
    assert doc["body"] == "First story text."
    assert doc["agency"] == "Xinhua" and doc["date"] == "2023-08-14"
    assert "byline" not in doc


@pytest.mark.parametrize(
    ("dateline", "agency", "date"),
    [
        ("Beijing (AFP) Aug 14, 2023", "AFP", "2023-08-14"),
        ("Washington (UPI) December 1, 2019", "UPI", "2019-12-01"),
        ("New Delhi (IANS) Jan. 5, 2022", "IANS", "2022-01-05"),
        ("Cape Canaveral, Fla. (AP) feb 29, 2024", "AP", "2024-02-29"),
        ("London (Reuters) Sep 30, 2020", "Reuters", "2020-09-30"),
    ],
)
def test_wire_dateline_variants(tmp_path: Path, dateline: str, agency: str, date: str) -> None:
    path = tmp_path / "story.txt"
    path.write_text(f"Headline here\n{dateline}\nStory paragraph.\n", encoding="utf-8")
    doc = load_text(path)
    assert (doc["title"], doc["dateline"], doc["agency"], doc["date"]) == ("Headline here", dateline, agency, date)
    assert doc["body"] == "Story paragraph."


def test_wire_dateline_with_impossible_date_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text("Headline\nParis (AFP) Feb 30, 2023\nText.\n", encoding="utf-8")
    doc = load_text(path)
    assert doc["agency"] == "AFP" and doc["body"] == "Text."
    assert "date" not in doc


def test_plain_text_without_wire_structure(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("\n\n  A plain title  \nFirst line of text.\n\nSecond paragraph.\n\n", encoding="utf-8")
    doc = load_text(path)
    assert_clean(doc)
    assert doc == {
        "id": "note",
        "title": "A plain title",
        "body": "First line of text.\n\nSecond paragraph.",
        "source": str(path),
    }


def test_plain_text_title_only(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("Only a title\n", encoding="utf-8")
    assert load_text(path) == {"id": "one", "title": "Only a title", "source": str(path)}


def test_text_not_utf8_names_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"caf\xe9")
    with pytest.raises(LoaderError) as info:
        load_text(path)
    assert str(path) in str(info.value)
    assert "offset 3" in str(info.value) and "0xe9" in str(info.value)
    path.write_bytes("x\r\ncafé ".encode() + b"caf\xe9")
    with pytest.raises(LoaderError, match=r"byte 0xe9 at line 2, column 9 \(byte offset 12\)"):
        load_text(path)


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_empty_text_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(LoaderError, match="empty document") as info:
        load_text(path)
    assert info.value.path == str(path)


def test_text_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"Headline\r\nBy A WRITER\r\nRome (AFP) Mar 2, 2022\r\n\r\nText one.\r\n\r\nText two.\r\n")
    doc = load_text(path)
    assert doc["byline"] == "A WRITER"
    assert doc["body"] == "Text one.\n\nText two."


def test_text_folder_is_recursive_and_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Zed\nbody z\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Ay\nbody a\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("ignored\n", encoding="utf-8")
    assert [doc["title"] for doc in load_text_folder(tmp_path)] == ["Ay", "Zed"]
    with pytest.raises(LoaderError, match="no such folder"):
        list(load_text_folder(tmp_path / "missing"))


# --- Dispatch and counting -----------------------------------------------------------------------------------


@pytest.fixture
def mixed_tree(tmp_path: Path, wire_file: Path) -> Path:
    reuters = tmp_path / "reuters"
    reuters.mkdir()
    write_sgm(reuters, "reut2-000.sgm", REUTERS_NORMAL, REUTERS_BRIEF)
    (reuters / "all-topics-strings.lc.txt").write_text("cocoa\n")
    (tmp_path / "docs.ndjson").write_text('{"id": "j1"}\n\n{"id": "j2"}\n')
    (tmp_path / "notes.csv").write_text("ignored,in,folders\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.txt").write_text("Not loaded\n")
    return tmp_path


def test_iter_documents_dispatches_by_source(mixed_tree: Path) -> None:
    sources = [mixed_tree / "reuters", str(mixed_tree / "docs.ndjson"), mixed_tree / "001_story.txt"]
    ids = [doc["id"] for doc in iter_documents(sources)]
    assert ids == ["1", "30", "j1", "j2", "001_story"]
    assert [doc["id"] for doc in iter_documents([mixed_tree / "reuters" / "reut2-000.sgm"])] == ["1", "30"]


def test_iter_documents_walks_a_generic_folder(mixed_tree: Path) -> None:
    docs = list(iter_documents([mixed_tree]))
    # Sorted paths: 001_story.txt, docs.ndjson, reuters/reut2-000.sgm; the category list and hidden file skipped.
    assert [doc["id"] for doc in docs] == ["001_story", "j1", "j2", "1", "30"]
    assert count_documents([mixed_tree]) == 5


def test_iter_documents_accepts_a_single_path(mixed_tree: Path) -> None:
    assert [doc["id"] for doc in iter_documents(str(mixed_tree / "docs.ndjson"))] == ["j1", "j2"]


def test_iter_documents_rejects_unknown_and_missing(tmp_path: Path) -> None:
    unknown = tmp_path / "table.csv"
    unknown.write_text("a,b\n")
    with pytest.raises(LoaderError, match=r"unknown file type '\.csv' \(expected .*\.jsonl") as info:
        list(iter_documents([unknown]))
    assert info.value.path == str(unknown)
    with pytest.raises(LoaderError, match="no such file or folder") as info:
        list(iter_documents([tmp_path / "missing.jsonl"]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoaderError, match="folder holds no loadable file"):
        list(iter_documents([tmp_path / "empty"]))


def test_count_documents(mixed_tree: Path) -> None:
    sources = [mixed_tree / "reuters", mixed_tree / "docs.ndjson", mixed_tree / "001_story.txt"]
    assert count_documents(sources) == 5 == len(list(iter_documents(sources)))
    assert count_documents([mixed_tree / "missing"]) is None


# --- The shared corpora (skipped when ../shared/corpora is absent) --------------------------------------------


@pytest.fixture(scope="module")
def corpora() -> Path:
    default = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
    folder = Path(os.environ.get("SEARCHCORE_CORPORA") or default)
    if not folder.is_dir():
        pytest.skip(f"corpora folder not found: {folder}")
    return folder


@pytest.mark.corpus
def test_afp_seed_story(corpora: Path) -> None:
    path = corpora / "seed" / "000_fae0b04548e0f4fe.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    doc = load_text(path)
    assert_clean(doc)
    assert doc["id"] == "000_fae0b04548e0f4fe"
    assert doc["title"] == "China's defence minister to visit Russia, Belarus this week: ministry"
    assert doc["byline"] == "Peter CATTERALL"
    assert doc["dateline"] == "Beijing (AFP) Aug 14, 2023"
    assert doc["agency"] == "AFP"
    assert doc["date"] == "2023-08-14"
    body = doc["body"]
    assert body.startswith("Chinese Defence Minister Li Shangfu")
    assert body.endswith("has refrained from overt military involvement or sending lethal arms.")
    assert "- Security conference -" in body
    for furniture in ("Lukashenko", "Related Links", "RELATED CONTENT", "Subscribe", "Space Media Network"):
        assert furniture not in body, furniture


@pytest.fixture(scope="module")
def reuters_docs(corpora: Path) -> list[dict]:
    folder = corpora / "reuters21578"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return list(load_reuters(folder))


@pytest.mark.corpus
def test_reuters_corpus_ids(reuters_docs: list[dict]) -> None:
    assert len(reuters_docs) == 21578
    assert {doc["id"] for doc in reuters_docs} == {str(newid) for newid in range(1, 21579)}


@pytest.mark.corpus
def test_reuters_corpus_first_record(reuters_docs: list[dict], corpora: Path) -> None:
    first = reuters_docs[0]
    assert first["id"] == "1"
    assert first["title"] == "BAHIA COCOA REVIEW"
    assert first["dateline"] == "SALVADOR, Feb 26"
    assert first["date"] == "1987-02-26T15:01:01"
    assert first["topics"] == ["cocoa"]
    assert first["places"] == ["el-salvador", "usa", "uruguay"]
    assert first["body"].startswith("Showers continued throughout the week in\nthe Bahia cocoa zone")
    assert first["body"].endswith("carnival which ends midday on February 27.")
    assert "Reuter" not in first["body"]
    assert first["source"] == f"{corpora / 'reuters21578' / 'reut2-000.sgm'}#1"


@pytest.mark.corpus
def test_reuters_corpus_is_clean(reuters_docs: list[dict]) -> None:
    for doc in reuters_docs:
        assert_clean(doc)
        assert doc["agency"] == "Reuters"
        assert not doc.get("body", "").lower().endswith("reuter"), doc["id"]
    assert sum("body" not in doc for doc in reuters_docs) > 1500  # the BRIEF records
    assert sum(len(doc.get("date", "")) == 19 for doc in reuters_docs) == 21577  # one garbled time


@pytest.mark.corpus
def test_count_documents_on_corpora(corpora: Path) -> None:
    folder = corpora / "reuters21578"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    assert count_documents([folder]) == 21578
