"""searchcore.stemming gives exactly nltk's Snowball English stems: on every word of the corpora, on words
built from the suffixes the algorithm's steps look for, and on random strings."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from searchcore.stemming import EXCEPTIONS, stem

nltk_stem = pytest.importorskip("nltk.stem.snowball").EnglishStemmer().stem

# Every suffix some step of the algorithm tests for, and the letters its conditions look at
SUFFIXES = ["'s'", "'s", "'", "sses", "ied", "ies", "us", "ss", "s", "eedly", "ingly", "edly", "eed", "ing",
            "ed", "at", "bl", "iz", "bb", "tt", "y", "ization", "ational", "fulness", "ousness", "iveness",
            "tional", "biliti", "lessli", "entli", "ation", "alism", "aliti", "ousli", "iviti", "fulli", "enci",
            "anci", "abli", "izer", "ator", "alli", "bli", "logi", "ogi", "li", "alize", "icate", "iciti",
            "ative", "ical", "ness", "ful", "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent",
            "ism", "ate", "iti", "ous", "ive", "ize", "sion", "tion", "ion", "al", "er", "ic", "e", "l", "ll"]
STEMS = ["gener", "commun", "arsen", "y", "ay", "'", "a", "b", "ab", "bab", "hop", "fix", "sow", "cr",
         "ra", "nation", "cond", "rel", "sensit", "ox", "ski", "sky", "proceed", "news"]

words = st.one_of(
    st.text(alphabet="aeiouyYbcdlgnstrmpwxz'\u2019\u2018\u201bé", max_size=12),
    st.tuples(st.sampled_from(STEMS + [""]), st.text(alphabet="aeiouybcdlnstrwx", max_size=4),
              st.lists(st.sampled_from(SUFFIXES), max_size=3)).map(lambda t: t[0] + t[1] + "".join(t[2])),
    st.sampled_from(sorted(EXCEPTIONS)).map(lambda w: w.upper() if len(w) % 2 else w),
    st.text(max_size=10),
)


def outcome(function, word: str) -> str:
    """The stem, or the kind of exception raised (both implementations must fail alike, if ever)."""
    try:
        return function(word)
    except Exception as error:  # noqa: BLE001 - compared, not swallowed
        return type(error).__name__


@settings(max_examples=3000, deadline=None)
@given(word=words)
@example(word="generously")
@example(word="ayy")
@example(word="'yield")
@example(word="communication")
@example(word="skies")
@example(word="Proceedings")
@example(word="agreed")
@example(word="hoping")
@example(word="relational")
def test_stem_equals_nltk(word):
    assert outcome(stem, word) == outcome(nltk_stem, word)


def test_stem_equals_nltk_on_every_word_of_the_corpora(corpora):
    vocabulary: set[str] = set()
    for path in sorted(corpora.rglob("*")):
        if path.is_file() and path.suffix in {".sgm", ".txt", ".jsonl", ".tsv"} and path.stat().st_size < 50_000_000:
            vocabulary.update(w.lower() for w in re.findall(r"[\w'\u2019]+", path.read_text("latin-1")))
    assert len(vocabulary) > 50_000
    differing = [(w, nltk_stem(w), stem(w)) for w in sorted(vocabulary) if stem(w) != nltk_stem(w)]
    assert differing == []
