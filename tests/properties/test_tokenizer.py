"""The batch tokenizer of indexing gives exactly what TOKEN_PATTERN.findall gives, text by text; so does the
ASCII pattern that token_pattern picks for ASCII text."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from searchcore.analysis import TOKEN_PATTERN, token_pattern
from searchcore.index.tokenizer import TokenIds, tokenize_many

# Characters that decide where tokens start and end: letters (ASCII and not, one that lowercases to two
# code points), decimal digits (ASCII and Arabic-Indic), a superscript that is \w but not \d, the
# underscore, the four connectors, separators and other punctuation.
# Also combining marks (a Devanagari virama and vowel sign, an acute accent, an enclosing circle), CJK
# characters of three kinds (a Han ideograph, hiragana, katakana) and a katakana middle dot that is not.
ALPHABET = "aZxé\u0130ß日5\u06630\u00b2_.,'\u2019 \n-$\u094d\u093e\u0301\u20ddかカ・"
PIECES = ["U.S.", "u.s", "e.g.", "U.S.A", "5.93", "1,000.5", "1,000.5a", "1.5mln", "China's", "don't",
          "rock'n'roll", "O’Brien", "a.1", "1.a", "x.U.S", "1'2", "U.S.'s", "3.4.5.", "A.B.C..", "a,b", "1,,2",
          "internationalisation", "abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq", "café",
          "日本語", "\ud800", "l'été", "1.2'3", "नमस्ते", "Zu\u0308rich", "\ufb01nance", "北京市's", "中.国",
          "5.9日", "a.日", "U.S.日", "مرحبا", "Αθήνα"]

texts = st.one_of(
    st.text(alphabet=ALPHABET, max_size=40),
    st.lists(st.sampled_from(PIECES + list(ALPHABET)), max_size=14).map("".join),
    st.text(max_size=30),
)


def reference(batch: list[str]) -> tuple[list[str], list[int]]:
    per_text = [TOKEN_PATTERN.findall(text) for text in batch]
    return [token for tokens in per_text for token in tokens], [len(tokens) for tokens in per_text]


@settings(max_examples=400, deadline=None)
@given(batch=st.lists(texts, max_size=8))
@example(batch=["U.S. and U.K. rates", "", "1,000.5 tonnes; 1.5mln", "China's O’Brien"])
@example(batch=["a.", "U.S.\nx", "\ud800e.g.\ud800"])
@example(batch=[""])
@example(batch=[])
@example(batch=["0.0A㐀"])
def test_tokenize_many_equals_findall_per_text(batch):
    tokens, counts = tokenize_many(batch)
    expected_tokens, expected_counts = reference(batch)
    assert tokens == expected_tokens
    assert counts.tolist() == expected_counts


@settings(max_examples=300, deadline=None)
@given(batches=st.lists(st.lists(texts, max_size=6), max_size=4))
@example(batches=[["abcdefgh abcdefghi abcdefgh"], ["abcdefghi U.S. U.S U.S."]])
def test_token_ids_number_each_distinct_token_once(batches):
    learned: list[str] = []

    def learn(tokens: list[str]) -> list[int]:
        assert len(set(tokens)) == len(tokens)  # a batch of distinct tokens
        learned.extend(tokens)
        return list(range(len(learned) - len(tokens), len(learned)))

    vocabulary = TokenIds(learn)
    for batch in batches:
        ids, counts = vocabulary.add_many(batch)
        expected_tokens, expected_counts = reference(batch)
        assert [learned[i] for i in ids.tolist()] == expected_tokens
        assert counts.tolist() == expected_counts
    assert len(learned) == len(set(learned))
    assert vocabulary.token_ids == {token: i for i, token in enumerate(learned)}


ASCII_PIECES = [piece for piece in PIECES if piece.isascii()]
ascii_texts = st.one_of(
    st.text(alphabet=string.printable, max_size=40),
    st.lists(st.sampled_from(ASCII_PIECES + list("aZ5_.,' \n-$")), max_size=14).map("".join),
)


@settings(max_examples=500, deadline=None)
@given(text=ascii_texts)
@example(text="U.S. e.g. 5.93 1,000.5a don't x.U.S 3.4.5. a'")
def test_the_ascii_pattern_finds_the_tokens_of_ascii_text_where_token_pattern_does(text):
    pattern = token_pattern(text)
    assert pattern is not TOKEN_PATTERN  # the cheap one is the one chosen
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in TOKEN_PATTERN.finditer(text)]
    assert token_pattern(text + "é") is TOKEN_PATTERN
