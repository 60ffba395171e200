"""Term expansion checked against plain scans: prefix, wildcard and fuzzy expansions over every kind of
table the module accepts, the edit distance against a textbook DP, and the "did you mean" ranking."""

from __future__ import annotations

import gc
import random
import weakref

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from searchcore.index import codec
from searchcore.index.terms import TermDictionary
from searchcore.query.expand import (
    MAX_EDITS,
    auto_distance,
    damerau_levenshtein,
    expand_fuzzy,
    expand_prefix,
    expand_wildcard,
    rank_suggestions,
)
from tests.reference import osa_distance

# --- Independent oracles, written plainly -----------------------------------------------------------


def wildcard_match(pattern: str, s: str) -> bool:
    """Does ``pattern`` match all of ``s``? ``?`` one character, ``*`` any run, backslash escapes.
    A memoised recursion over (pattern position, string position), no regex."""
    items = []  # ("lit", char) | ("one", "") | ("any", "")
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            items.append(("lit", pattern[i + 1]))
            i += 2
        else:
            kind = {"*": "any", "?": "one"}.get(pattern[i], "lit")
            items.append((kind, pattern[i]))
            i += 1
    memo: dict[tuple[int, int], bool] = {}

    def match(p: int, k: int) -> bool:
        if (p, k) not in memo:
            if p == len(items):
                result = k == len(s)
            elif items[p][0] == "any":
                result = match(p + 1, k) or (k < len(s) and match(p, k + 1))
            elif k == len(s):
                result = False
            elif items[p][0] == "one":
                result = match(p + 1, k + 1)
            else:
                result = items[p][1] == s[k] and match(p + 1, k + 1)
            memo[p, k] = result
        return memo[p, k]

    return match(0, 0)


def fuzzy_scan(words: list[str], word: str, k: int, prefix_length: int = 0) -> list[tuple[str, int]]:
    prefix = word[:prefix_length]
    return [(s, d) for s in words if s.startswith(prefix) and (d := osa_distance(word, s)) <= k]


# --- Tables in every form the functions accept -----------------------------------------------------

FORMS = ["list", "dictionary", "warm_dictionary"]


def make_table(words: list[str], form: str):
    """``words`` (sorted, distinct) as the given kind of table."""
    if form == "list":
        return list(words)
    table = TermDictionary(*codec.encode_strings(words))
    if form == "dictionary":
        return table
    expand_fuzzy(table, "x", 0)  # builds the joined text and the fuzzy index: later calls use them
    return table


VOCABULARY = sorted({
    "café", "cafés", "caffeine", "cafe", "zürich", "zurich", "zucchini", "naïve", "naive", "日本", "日本語",
    "😀x", "x😀", "price", "priced", "prices", "pricing", "pride", "prize", "prince", "rice", "stan",
    "pakistan", "afghanistan", "standard", "a", "ab", "ba", "abc", "acb", "bca", "b*", "b?", "x*y", "x?y", "x\\y", "xy",
})


def check_expansion(expansion, words: list[str], expected: list[str], total: int) -> None:
    assert list(expansion.terms) == expected
    assert expansion.total == total
    assert expansion.truncated == (total > len(expected))
    assert expansion.ordinals.dtype == np.int64
    assert [words[i] for i in expansion.ordinals.tolist()] == expected


# --- Prefix ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("prefix", ["", "caf", "café", "zü", "z", "pri", "price", "日本", "😀", "x", "q", "zzz"])
def test_prefix_equals_scan(form, prefix):
    expected = [s for s in VOCABULARY if s.startswith(prefix)]
    check_expansion(expand_prefix(make_table(VOCABULARY, form), prefix), VOCABULARY, expected, len(expected))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("limit", [0, 1, 3, 100])
def test_prefix_limit_keeps_the_first_in_table_order(form, limit):
    matching = [s for s in VOCABULARY if s.startswith("pri")]
    expansion = expand_prefix(make_table(VOCABULARY, form), "pri", limit)
    check_expansion(expansion, VOCABULARY, matching[:limit], len(matching))
    assert len(expansion) == min(limit, len(matching))


class CountingDictionary(TermDictionary):
    """A term dictionary that counts the entries read one at a time (binary searches) and in bulk."""

    __slots__ = ("reads",)

    def __init__(self, words: list[str]) -> None:
        super().__init__(*codec.encode_strings(words))
        self.reads = 0

    def __getitem__(self, i):
        self.reads += 1
        return super().__getitem__(i)

    def terms(self, start: int, stop: int) -> list[str]:
        self.reads += max(stop - start, 0)
        return super().terms(start, stop)


def test_prefix_reads_a_logarithmic_number_of_entries_and_creating_a_table_reads_none():
    words = sorted({f"w{i:05d}" for i in range(10_000)})
    table = CountingDictionary(words)
    assert table.reads == 0
    expansion = expand_prefix(table, "w0420")
    assert list(expansion.terms) == [w for w in words if w.startswith("w0420")]
    assert table.reads < 4 * 14 + 10 + 2  # two binary searches of ~14 steps each, plus the 10 matches


def test_a_narrow_wildcard_on_a_fresh_table_reads_only_its_range():
    words = sorted({f"w{i:05d}" for i in range(10_000)})
    table = CountingDictionary(words)
    expansion = expand_wildcard(table, "w042?7")
    assert list(expansion.terms) == [w for w in words if wildcard_match("w042?7", w)]
    assert table.reads < 4 * 14 + 100 + 2  # the binary searches and the 100 entries of the range


# --- Wildcard --------------------------------------------------------------------------------------------

PATTERNS = ["*", "**", "?\\*", "*\\?", "?", "??", "caf*", "caf?", "*é", "*é*", "z*h", "*ü*", "pri?e", "pri*e",
            "*ice", "*i?e", "?ice", "*stan", "*stan*", "st*n", "日*", "*語", "😀?", "?😀", "a*", "*a", "*b*c",
            "x\\*y", "x\\?y", "x\\\\y", "x?y", "x*y", "price", "nothing", "*nothing", "nothing*", "", "\\", "x\\"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("pattern", PATTERNS)
def test_wildcard_equals_scan(form, pattern):
    expected = [s for s in VOCABULARY if wildcard_match(pattern, s)]
    check_expansion(expand_wildcard(make_table(VOCABULARY, form), pattern), VOCABULARY, expected, len(expected))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("pattern", ["*i*", "*ice", "pri?e", "*"])
@pytest.mark.parametrize("limit", [0, 1, 2])
def test_wildcard_limit_keeps_the_first_in_table_order_and_counts_all(form, pattern, limit):
    matching = [s for s in VOCABULARY if wildcard_match(pattern, s)]
    expansion = expand_wildcard(make_table(VOCABULARY, form), pattern, limit)
    check_expansion(expansion, VOCABULARY, matching[:limit], len(matching))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("pattern", ["a*", "*b", "a?b", "*\n*", "a\n*", "*\nb", "a\nb", "?", "*"])
def test_wildcard_over_terms_that_hold_newlines(form, pattern):
    words = sorted(["a", "a\n", "a\nb", "ab", "b", "\n"])
    expected = [s for s in words if wildcard_match(pattern, s)]
    check_expansion(expand_wildcard(make_table(words, form), pattern), words, expected, len(expected))


@pytest.mark.parametrize("pattern", ["a\nb", "a\n*", "*\nb", "*\n*", "?\n?"])
def test_a_newline_in_the_pattern_never_spans_two_terms(pattern):
    words = ["a", "b"]  # joined as "\na\nb\n" when scanned: "a\nb" must still match nothing
    for form in FORMS:
        assert expand_wildcard(make_table(words, form), pattern).terms == ()


def test_wildcards_at_both_ends_around_a_rare_literal():
    # Few terms hold "q": the scan looks for it first, then matches the whole pattern on those terms.
    rng = random.Random(3)
    words = sorted({"".join(rng.choices("abcde", k=rng.randint(1, 8))) for _ in range(400)}
                   | {"aqb", "aqxb", "qab", "bq", "q", "xqqb", "qq", "bbqab"})
    for form in FORMS:
        table = make_table(words, form)
        for pattern in ("*q*", "*q?b*", "*q*b*", "*qq*", "?q*", "*b?q*", "*?q?*"):
            expected = [s for s in words if wildcard_match(pattern, s)]
            for limit in (None, 0, 1, 2):
                check_expansion(expand_wildcard(table, pattern, limit), words, expected[:limit], len(expected))


def test_wildcard_over_a_large_range_of_a_cold_table():
    # Ranges above a couple of thousand terms decode the whole table once; small ones only themselves.
    rng = random.Random(11)
    words = sorted({"".join(rng.choices("abcdé", k=rng.randint(1, 9))) for _ in range(6000)})
    for form in ("dictionary", "list"):
        for pattern in ("a*b", "*bé", "a?c*", "*a*d"):
            expected = [s for s in words if wildcard_match(pattern, s)]
            check_expansion(expand_wildcard(make_table(words, form), pattern, 50), words, expected[:50],
                            len(expected))


# --- Fuzzy ---------------------------------------------------------------------------------------------

FUZZY_WORDS = ["prive", "price", "prcie", "rpice", "zurich", "zürich", "cafe", "caffe", "stan", "pakistna", "a",
               "", "ab", "日本", "本日", "x😀", "nothing", "abcabc"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("word", FUZZY_WORDS)
@pytest.mark.parametrize("max_edits", [0, 1, 2])
def test_fuzzy_equals_scan(form, word, max_edits):
    expected = fuzzy_scan(VOCABULARY, word, max_edits)
    expansion = expand_fuzzy(make_table(VOCABULARY, form), word, max_edits)
    check_expansion(expansion, VOCABULARY, [s for s, _ in expected], len(expected))
    assert expansion.matches == expected
    assert expansion.distances.dtype == np.uint8


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("prefix_length", [1, 2, 3, 10])
def test_fuzzy_prefix_length_requires_the_leading_characters(form, prefix_length):
    table = make_table(VOCABULARY, form)
    for word in ("prive", "rpice", "cafe", "zurich"):
        expected = fuzzy_scan(VOCABULARY, word, 2, prefix_length)
        assert expand_fuzzy(table, word, 2, prefix_length=prefix_length).matches == expected


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("limit", [0, 1, 3, 5])
def test_fuzzy_limit_keeps_the_closest_then_the_first(form, limit):
    matching = fuzzy_scan(VOCABULARY, "prive", 2)
    ranked = sorted(range(len(matching)), key=lambda i: (matching[i][1], i))[:limit]
    expected = [matching[i] for i in sorted(ranked)]
    expansion = expand_fuzzy(make_table(VOCABULARY, form), "prive", 2, limit=limit)
    assert expansion.matches == expected
    assert expansion.total == len(matching)
    assert expansion.truncated == (len(matching) > limit)


@pytest.mark.parametrize("length", [63, 64, 65, 70])
def test_fuzzy_words_near_and_past_64_characters(length):
    # 64 characters fill the bit-parallel path's uint64; longer words take the plain DP.
    base = "abcdefghij" * 7
    word = base[:length]
    words = sorted({word, base[: length - 1], base[: length + 1], word[:10] + "x" + word[11:],
                    word[:5] + word[6] + word[5] + word[7:], "z" + word[1:-1], "short"})
    for form in FORMS:
        for max_edits in range(MAX_EDITS + 1):
            assert expand_fuzzy(make_table(words, form), word, max_edits).matches == \
                fuzzy_scan(words, word, max_edits)


@pytest.mark.parametrize("form", FORMS)
def test_expansions_of_an_empty_table_are_empty(form):
    table = make_table([], form)
    for expansion in (expand_prefix(table, ""), expand_prefix(table, "a"), expand_wildcard(table, "*a"),
                      expand_wildcard(table, "a?"), expand_wildcard(table, "a"), expand_fuzzy(table, "ab", 2)):
        assert expansion.terms == () and expansion.total == 0 and not expansion.truncated
        assert len(expansion.ordinals) == 0


def test_a_table_may_hold_the_empty_string():
    words = ["", "a", "ab", "b"]
    for form in FORMS:
        table = make_table(words, form)
        assert list(expand_prefix(table, "").terms) == words
        assert list(expand_wildcard(table, "*").terms) == words
        assert list(expand_wildcard(table, "*b").terms) == ["ab", "b"]
        assert expand_fuzzy(table, "", 1).matches == [("", 0), ("a", 1), ("b", 1)]
        assert expand_fuzzy(table, "ba", 2).matches == fuzzy_scan(words, "ba", 2)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="max_edits must be between 0 and 2, got 3"):
        expand_fuzzy(VOCABULARY, "price", 3)
    with pytest.raises(ValueError, match="max_edits"):
        expand_fuzzy(VOCABULARY, "price", -1)
    with pytest.raises(ValueError, match="prefix_length must be >= 0"):
        expand_fuzzy(VOCABULARY, "price", 1, prefix_length=-1)
    for expand, argument in ((expand_prefix, "pri"), (expand_wildcard, "pri*e"), (expand_fuzzy, "price")):
        with pytest.raises(ValueError, match="limit must be >= 0"):
            if expand is expand_fuzzy:
                expand(VOCABULARY, argument, 1, limit=-1)
            else:
                expand(VOCABULARY, argument, -1)
    with pytest.raises(ValueError, match="max_edits must be >= 0"):
        damerau_levenshtein("a", "b", max_edits=-1)
    with pytest.raises(ValueError, match="only a fuzzy expansion"):
        expand_prefix(VOCABULARY, "pri").matches


def test_a_term_dictionary_keeps_its_caches_and_they_go_with_it():
    table = TermDictionary.from_strings(VOCABULARY)
    first = expand_fuzzy(table, "prive", 1)
    index = weakref.ref(table.fuzzy_index())
    assert expand_fuzzy(table, "prive", 1).matches == first.matches
    assert table.fuzzy_index() is index()  # built once
    del table
    gc.collect()
    assert index() is None


def test_a_generated_dictionary_agrees_with_the_scans():
    rng = random.Random(5)
    letters = "etaoinshrdlcumwfgypbvkjxqzéü"
    words = sorted({"".join(rng.choices(letters, k=rng.randint(3, 15))) for _ in range(2000)})
    table = TermDictionary(*codec.encode_strings(words))
    for word in rng.sample(words, 5) + ["etaoin", "shrdlu"]:
        for max_edits in (1, 2):
            expected = [(s, d) for s in words
                        if abs(len(s) - len(word)) <= max_edits and (d := osa_distance(word, s)) <= max_edits]
            assert expand_fuzzy(table, word, max_edits).matches == expected
    for pattern in ("*ta", "e*n", "*e?e*", "t*", "?a?"):
        assert list(expand_wildcard(table, pattern).terms) == [s for s in words if wildcard_match(pattern, s)]


# --- Edit distance, AUTO, suggestions --------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [("", ""), ("", "abc"), ("ca", "abc"), ("abc", "ca"), ("prcie", "price"),
                                  ("zürich", "zurich"), ("café", "cafe"), ("日本語", "本日語"), ("ab", "ba"),
                                  ("abcdef", "badcfe"), ("kitten", "sitting"), ("😀x", "x😀")])
def test_damerau_levenshtein_equals_the_textbook_dp(a, b):
    distance = osa_distance(a, b)
    assert damerau_levenshtein(a, b) == distance
    for max_edits in range(4):
        assert damerau_levenshtein(a, b, max_edits) == min(distance, max_edits + 1)


def test_auto_distance_follows_the_word_length_in_characters():
    for word in ["", "a", "us", "oil", "café", "crude", "zürich", "unchanged", "日本", "日本語"]:
        expected = 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2
        assert auto_distance(word) == expected


def test_rank_suggestions_orders_by_distance_then_frequency_then_text():
    doc_freqs = {"price": 40, "pride": 3, "prize": 9, "prince": 40, "prices": 12, "prive": 7, "prime": 9,
                 "drive": 0}
    # Two segments' matches: "prize" repeats, "prive" is the word itself, "drive" is in no live document.
    matches = [("pride", 1), ("prize", 1), ("price", 1), ("prince", 2), ("prive", 0), ("drive", 1),
               ("prime", 1), ("prize", 1), ("prices", 2)]
    candidates = {t: d for t, d in matches if t != "prive" and doc_freqs[t] > 0}
    expected = sorted(candidates, key=lambda t: (candidates[t], -doc_freqs[t], t))
    assert rank_suggestions("prive", matches, doc_freqs.__getitem__, limit=10) == expected
    assert rank_suggestions("prive", matches, doc_freqs.__getitem__, limit=2) == expected[:2]
    assert rank_suggestions("prive", [], doc_freqs.__getitem__) == []


def test_rank_suggestions_keeps_the_smallest_distance_of_a_repeated_term():
    matches = [("prize", 1), ("pride", 1), ("prize", 2)]
    assert rank_suggestions("prive", matches, {"prize": 50, "pride": 1}.__getitem__) == ["prize", "pride"]


# --- Properties ---------------------------------------------------------------------------------------------

# A small alphabet (with a two-byte and a four-byte character) so that terms share prefixes and edits.
ALPHABET = "abcé😀"
words_strategy = st.text(ALPHABET, max_size=7)
tables = st.sets(words_strategy, max_size=30).map(sorted)
forms = st.sampled_from(FORMS)
limits = st.one_of(st.none(), st.integers(0, 8))
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


@PROPERTY_SETTINGS
@given(words=tables, prefix=st.text(ALPHABET, max_size=3), limit=limits, form=forms)
def test_prefix_property(words, prefix, limit, form):
    matching = [s for s in words if s.startswith(prefix)]
    expansion = expand_prefix(make_table(words, form), prefix, limit)
    check_expansion(expansion, words, matching[:limit], len(matching))


@PROPERTY_SETTINGS
@given(words=tables, pattern=st.text(ALPHABET + "*?\\", max_size=6), limit=limits, form=forms)
@example(words=["a", "ab"], pattern="*\\", limit=None, form="list")
@example(words=["a*", "ab"], pattern="a\\*", limit=None, form="dictionary")
@example(words=["a", "a*", "b*"], pattern="?\\*", limit=None, form="list")
def test_wildcard_property(words, pattern, limit, form):
    matching = [s for s in words if wildcard_match(pattern, s)]
    expansion = expand_wildcard(make_table(words, form), pattern, limit)
    check_expansion(expansion, words, matching[:limit], len(matching))


@PROPERTY_SETTINGS
@given(words=tables, word=words_strategy, max_edits=st.integers(0, MAX_EDITS), prefix_length=st.integers(0, 3),
       limit=limits, form=forms)
def test_fuzzy_property(words, word, max_edits, prefix_length, limit, form):
    matching = fuzzy_scan(words, word, max_edits, prefix_length)
    kept = sorted(range(len(matching)), key=lambda i: (matching[i][1], i))[:limit]
    expansion = expand_fuzzy(make_table(words, form), word, max_edits, limit, prefix_length)
    assert expansion.matches == [matching[i] for i in sorted(kept)]
    assert expansion.total == len(matching)
    assert [words[i] for i in expansion.ordinals.tolist()] == list(expansion.terms)


@settings(max_examples=300, deadline=None)
@given(a=st.text("abcé", max_size=8), b=st.text("abcé", max_size=8),
       max_edits=st.one_of(st.none(), st.integers(0, 4)))
@example(a="ca", b="abc", max_edits=None)
@example(a="abab", b="baba", max_edits=1)
def test_damerau_levenshtein_property(a, b, max_edits):
    distance = osa_distance(a, b)
    expected = distance if max_edits is None else min(distance, max_edits + 1)
    assert damerau_levenshtein(a, b, max_edits) == expected
    assert damerau_levenshtein(b, a, max_edits) == expected
