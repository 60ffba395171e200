from __future__ import annotations

import pytest

import searchcore as sc
from searchcore.analysis import Analyzer, stopword_list


def test_numbers_and_acronyms_stay_whole():
    assert Analyzer()("The U.S. paid 5.93 dlrs for 1,000 shares") == ["u.s.", "paid", "5.93", "dlrs", "1,000", "share"]


def test_lowercase_stopwords_and_snowball_stemming():
    assert Analyzer()("Visiting THE Ministers' visits") == ["visit", "minist", "visit"]


def test_apostrophes_are_kept_for_the_stemmer():
    assert Analyzer()("China's defence") == ["china", "defenc"]


@pytest.mark.parametrize("stemmer, expected", [
    ("porter", ["gener", "organ"]),
    ("lancaster", ["gen", "org"]),
    ("none", ["generously", "organizations"]),
])
def test_other_stemmers(stemmer, expected):
    assert Analyzer(stemmer=stemmer)("generously organizations") == expected


def test_no_stopwords_keeps_function_words():
    assert Analyzer(stopwords=None, stemmer="none")("the oil") == ["the", "oil"]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="stemmer must be one of"):
        Analyzer(stemmer="krovetz")
    with pytest.raises(ValueError, match="stopwords must be one of"):
        Analyzer(stopwords="klingon")


def test_positions_leave_gaps_for_stopwords_and_offsets_point_into_the_text():
    text = "Minister of the Defence"
    tokens = Analyzer().tokens(text)
    assert [(t.term, t.position) for t in tokens] == [("minist", 0), ("defenc", 3)]
    assert [text[t.start : t.end] for t in tokens] == ["Minister", "Defence"]


def test_shipped_stopword_list():
    words = stopword_list("english")
    assert {"the", "and", "of"} <= words
    assert "us" not in words and "oil" not in words


def test_settings_round_trip_and_equality():
    a = Analyzer(stemmer="porter", stopwords=None)
    assert Analyzer.from_dict(a.to_dict()) == a
    assert a != Analyzer()


def test_index_keeps_the_analyzer_and_uses_it_at_query_time(tmp_path):
    schema = sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True, analyzer=Analyzer(stemmer="lancaster")))
    ix = sc.Index.create(tmp_path / "ix", schema)
    with ix.writer() as w:
        w.add_document(id="1", body="generously organised")
    reopened = sc.Index.open(tmp_path / "ix")
    assert reopened.schema["body"].analyzer == Analyzer(stemmer="lancaster")
    with reopened.searcher() as s:
        # Lancaster cuts "generation" to the same stem as "generously"; Snowball would not
        assert [h.id for h in s.search("generation")] == ["1"]


def test_query_words_seen_at_index_time_need_no_stemmer(tmp_path):
    """A process that only searches words the index holds, and highlights its hits, never loads nltk:
    the stems come from the index's lexicon. The schema's analyzer is left untouched."""
    import subprocess
    import sys

    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True)))
    with ix.writer() as w:
        w.add_document(id="1", body="Shangfu visited Belarus")
    script = (
        "import sys, searchcore as sc\n"
        f"ix = sc.Index.open({str(tmp_path / 'ix')!r})\n"
        "with ix.searcher() as s:\n"
        "    hits = s.search('Visited BELARUS')\n"
        "    print([h.id for h in hits], hits[0].snippet('body'), 'nltk' in sys.modules,\n"
        "          ix.schema['body'].analyzer.lexicon is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[0] == "['1'] Shangfu **visited** **Belarus** False True"
