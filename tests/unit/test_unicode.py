"""Text beyond ASCII: normalisation, combining marks, scripts other than Latin, CJK, over-long tokens, and the
format version that records how text was tokenized."""

from __future__ import annotations

import json
import sys
import unicodedata
import zlib

import pytest

import searchcore as sc
from searchcore.analysis import MARKS, normalize, normalize_with_offsets

DOCS = {
    "nfc": "The bank in Zürich raised rates.",
    "finance": "Ministers discussed \ufb01nance and trade.",
    "hindi": "नमस्ते दुनिया, यह एक समाचार है।",
    "arabic": "أعلنت الحكومة عن ميزانية جديدة",
    "russian": "Москва объявила о новых мерах",
    "greek": "Η Αθήνα ανακοίνωσε νέα μέτρα",
    "chinese": "中国国防部长李尚福将访问俄罗斯和白俄罗斯",
    "japanese": "東京でひらがなとカタカナを学ぶ",
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    ix = sc.Index.create(tmp_path_factory.mktemp("u") / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True)))
    with ix.writer() as w:
        for key, body in DOCS.items():
            w.add_document(id=key, body=body)
    with ix.searcher() as s:
        yield s


def ids(searcher, query):
    return sorted(hit.id for hit in searcher.search(query))


@pytest.mark.parametrize("query, expected", [
    ("Zürich", ["nfc"]),
    ("Zu\u0308rich", ["nfc"]),            # NFD query, NFC text
    ("finance", ["finance"]),             # a ligature in the text
    ("\ufb01nance", ["finance"]),          # a ligature in the query
    ("ＺＵＲＩＣＨ", []),                    # full width folds to ZURICH: without the umlaut, another word
    ("ＺÜＲＩＣＨ", ["nfc"]),
    ("rich", []),                          # no longer a piece of Zürich
    ("नमस्ते", ["hindi"]),                  # the virama and vowel sign stay in the word
    ("समाचार", ["hindi"]),
    ("ميزانية", ["arabic"]),
    ("МОСКВА", ["russian"]),
    ("москва", ["russian"]),
    ("ΑΘΉΝΑ", ["greek"]),
    ("αθήνα", ["greek"]),
    ("国防部长", ["chinese"]),             # characters side by side, inside a sentence without spaces
    ("白俄罗斯", ["chinese"]),
    ("国长", []),                          # the same characters, not side by side
    ("李尚福", ["chinese"]),
    ("カタカナ", ["japanese"]),
    ("ひらがな", ["japanese"]),
])
def test_scripts_and_normalisation(searcher, query, expected):
    assert ids(searcher, query) == expected


def test_nfd_text_matches_nfc_queries_and_highlights_the_original(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True)))
    body = "Banks in Zu\u0308rich and the \ufb01nance ministry"
    with ix.writer() as w:
        w.add_document(id="nfd", body=body)
    with ix.searcher() as s:
        (hit,) = s.search("Zürich finance")
        marked = [body[m.start:m.end] for m in hit.matches("body")]
        assert marked == ["Zu\u0308rich", "\ufb01nance"]  # offsets into the stored, unnormalised text
        assert hit.snippet("body") == "Banks in **Zu\u0308rich** and the **\ufb01nance** ministry"


def test_highlight_of_scripts(searcher):
    (hit,) = searcher.search("白俄罗斯")
    assert "**白****俄****罗****斯**" in hit.snippet("body")
    (hit,) = searcher.search("नमस्ते")
    assert hit.snippet("body").startswith("**नमस्ते**")


def test_normalize_with_offsets_maps_back():
    text = "a\ufb01b Zu\u0308rich ＡＢ"
    normal, origins = normalize_with_offsets(text)
    assert normal == normalize(text) == "afib Zürich AB"
    assert len(origins) == len(normal) + 1 and origins[-1] == len(text)
    assert origins[:4] == [0, 1, 1, 2]                   # "f" and "i" both come from the ligature
    assert normal[6] == "ü" and origins[6:8] == [5, 7]  # "ü" from "u" + U+0308; "r" after the mark
    assert normal[-2:] == "AB" and origins[-3:-1] == [len(text) - 2, len(text) - 1]
    assert normalize_with_offsets("plain ascii") == ("plain ascii", None)


def test_marks_file_matches_unicodedata():
    """data/marks.txt lists exactly the marks of the Unicode version it names; on another Python, every
    code point it lists is still a mark."""
    listed = set()
    body = MARKS
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            listed.update(range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            listed.add(ord(body[i]))
            i += 1
    assert all(unicodedata.category(chr(c)).startswith("M") for c in listed)
    header = (sc.analysis._DATA / "marks.txt").read_text("ascii").splitlines()[0]
    if f"Unicode {unicodedata.unidata_version}:" in header:
        actual = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)).startswith("M")}
        assert listed == actual


def test_over_long_tokens_are_dropped(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True)))
    long_word = "x" * 5_000_000
    with ix.writer() as w:
        w.add_document(id="big", body=f"{long_word} oil")
        w.add_document(id="limit", body="y" * 255 + " oil")
    with ix.searcher() as s:
        assert ids(s, "y" * 255) == ["limit"]           # up to the limit, a token like any other
        assert ids(s, long_word) == []                  # past it, dropped from text and query alike
        assert ids(s, "x" * 256) == []
        for hit in s.search("oil"):
            assert len(hit.snippet("body")) < 600
            assert len(hit.highlight("body", size=150)) < 600
    assert ix.stats()["fields"]["body"]["terms"] == 2  # "oil" and the 255-character word


def test_an_index_of_an_older_format_asks_to_be_rebuilt(tmp_path):
    path = tmp_path / "ix"
    ix = sc.Index.create(path, sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with ix.writer() as w:
        w.add_document(id="a", body="oil")
    data = json.loads((path / "manifest.json").read_bytes())
    data.pop("checksum")
    data["version"] = 2
    data["checksum"] = zlib.crc32(json.dumps(data, indent=1).encode("utf-8"))
    (path / "manifest.json").write_text(json.dumps(data, indent=1))
    with pytest.raises(sc.IndexVersionError) as caught:
        sc.Index.open(path)
    message = str(caught.value)
    assert "index format 2 was written by an older searchcore" in message
    assert "--rebuild" in message


def test_one_normalisation_for_indexing_and_highlighting():
    """Conjoining Hangul jamo compose across pieces in whole-text NFKC; normalize() and the offsets that
    highlighting maps through must still agree, so a word found at indexing is marked in the snippet."""
    for text in ("\u1100\u1161 and \u1100\u1161\u11a8", "Zu\u0308rich \ufb01nance", "ＡＢ 北京"):
        assert normalize(text) == normalize_with_offsets(text)[0]
