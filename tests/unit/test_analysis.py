from __future__ import annotations

import pytest

import searchcore as sc
from searchcore.analysis import Analyzer, clear_caches, stopword_list


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


def test_query_words_the_index_lacks_are_stemmed_without_nltk(tmp_path):
    """A word no document holds is stemmed by searchcore.stemming (nltk's stems, tests/properties/
    test_stemming.py): a one-shot search with a typo or a new word does not wait for nltk's import."""
    import subprocess
    import sys

    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True)))
    with ix.writer() as w:
        w.add_document(id="1", body="Shangfu visited Belarus")
        w.add_document(id="2", body="a general")
    script = (
        "import sys, searchcore as sc\n"
        f"ix = sc.Index.open({str(tmp_path / 'ix')!r})\n"
        "with ix.searcher() as s:\n"
        "    r = s.search('visiting generals')\n"  # neither word as written is in the index; their stems are
        "    print(sorted(h.id for h in r), 'nltk' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[0] == "['1', '2'] False"


def test_prime_looks_tokens_up_in_one_batch_and_term_then_answers_as_it_would_alone():
    table = {"visited": "visit", "belarus": "belarus", "ran": "run"}  # an index may hold any stem

    class Lexicon:
        def __init__(self):
            self.batches = []

        def __call__(self, surface):
            return table.get(surface)

        def many(self, surfaces):
            self.batches.append(list(surfaces))
            return [table.get(s) for s in surfaces]

    tokens = ["Visited", "BELARUS", "ran", "the", "walking", "1987", "ran"]
    clear_caches()
    alone = Analyzer().with_lexicon(Lexicon())
    expected = [alone.term(t) for t in tokens]
    assert expected == ["visit", "belarus", "run", None, "walk", "1987", "run"]
    clear_caches()
    lexicon = Lexicon()
    primed = Analyzer().with_lexicon(lexicon)
    primed.prime(tokens)
    assert lexicon.batches == [["visited", "belarus", "ran", "walking", "1987"]]  # the stopword left out
    assert [primed.term(t) for t in tokens] == expected
    primed.prime(tokens)
    assert len(lexicon.batches) == 1  # all cached now: nothing left to look up


@pytest.mark.parametrize("stemmer", ["snowball", "pystemmer", "none"])
def test_terms_of_a_batch_are_the_terms_one_by_one(stemmer):
    if stemmer == "pystemmer":
        pytest.importorskip("Stemmer")
    tokens = ["Visited", "visited", "the", "THE", "5.93", "f0704", "generously", "Generously", "x" * 300,
              "ministries", "added", "China's", "visited", ""]
    clear_caches()
    one_by_one = [Analyzer(stemmer=stemmer).term(t) for t in tokens]
    clear_caches()
    assert Analyzer(stemmer=stemmer).terms(tokens) == one_by_one
    assert Analyzer(stemmer=stemmer).terms(tokens) == one_by_one  # cached the second time


# -- the opt-in PyStemmer stemmer ------------------------------------------------------------------------------

def test_pystemmer_is_snowball_in_c_with_its_own_stems_for_a_few_words():
    pytest.importorskip("Stemmer")
    import Stemmer
    from nltk.stem.snowball import EnglishStemmer

    c, nltk = Analyzer(stemmer="pystemmer"), Analyzer(stemmer="snowball")
    words = "visits visiting ministers prices shipping added international emergency".split()
    assert c(" ".join(words)) == [Stemmer.Stemmer("english").stemWord(w) for w in words]
    assert c("added international emergency") == ["add", "internat", "emergenc"]
    assert nltk("added international emergency") == ["ad", "intern", "emerg"]  # where the two differ
    assert [EnglishStemmer().stem(w) for w in words[:5]] == c(" ".join(words[:5]))  # and mostly agree
    assert c("OPEC 5.93 the") == ["opec", "5.93"]  # numbers kept, stopwords dropped, as for every stemmer


def test_pystemmer_stems_the_same_from_many_threads():
    pytest.importorskip("Stemmer")
    import threading

    from searchcore.analysis import clear_caches

    words = [f"{stem}{suffix}" for stem in ("visit", "price", "ship", "emerg", "nation") for suffix in
             ("", "s", "ing", "ed", "ency", "al", "ally")]
    expected = Analyzer(stemmer="pystemmer")(" ".join(words))
    results, errors = [], []

    def work():
        try:
            for _ in range(50):
                clear_caches()
                results.append(Analyzer(stemmer="pystemmer")(" ".join(words)))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(r == expected for r in results)


def test_an_index_is_always_queried_with_the_stemmer_it_was_built_with(tmp_path):
    pytest.importorskip("Stemmer")
    import searchcore as sc

    hits = {}
    for stemmer in ("snowball", "pystemmer"):
        ix = sc.Index.create(tmp_path / stemmer, sc.news_schema(stemmer))
        with ix.writer() as w:
            w.add_document(id="e1", title="State of emergency", body="An emergency was declared.")
        reopened = sc.Index.open(tmp_path / stemmer)  # the stemmer comes from the manifest
        assert {reopened.schema[f].analyzer.stemmer for f in reopened.schema.text_fields} == {stemmer}
        # "emerging" is in no document: it is stemmed at query time, by the index's own stemmer
        hits[stemmer] = [h.id for h in reopened.searcher().search("emerging")]
    assert hits == {"snowball": ["e1"], "pystemmer": []}  # nltk: emerg/emerg; PyStemmer: emergenc/emerg


def test_an_index_built_with_pystemmer_says_what_to_install_when_it_is_missing(monkeypatch):
    import sys

    from searchcore.analysis import clear_caches

    clear_caches()
    monkeypatch.setitem(sys.modules, "Stemmer", None)  # as if PyStemmer were not installed
    with pytest.raises(sc.SearchcoreError, match=r"pip install 'searchcore\[stemmer\]'"):
        Analyzer(stemmer="pystemmer")("unseenwordings")
