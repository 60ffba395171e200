"""Highlighting: matches found through the analyser with exact offsets, fragment choice, and the formats."""

from __future__ import annotations

import html
import random
import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from searchcore.analysis import Analyzer
from searchcore.highlight import FORMATTERS, Formatter, Fragment, fragments, highlight, matches, snippet
from tests.strategies import VOCABULARY

ANALYZER = Analyzer()
BOLD, RESET = "\x1b[1m", "\x1b[0m"


def reference_matches(text, terms):
    """Every analysed token whose term is asked for, straight from ``Analyzer.tokens``."""
    return [(t.start, t.end, t.term) for t in ANALYZER.tokens(text) if t.term in terms]


def as_tuples(found):
    return [(m.start, m.end, m.term) for m in found]


def best_window(text, terms, size):
    """(distinct terms, matches) of the best window of ``size`` characters, trying every start; a matched
    word longer than ``size`` is a window of its own."""
    found = reference_matches(text, terms)
    best = (1, 1) if found else (0, 0)
    for start in range(len(text)):
        inside = [term for s, e, term in found if start <= s and e <= start + size]
        best = max(best, (len(set(inside)), len(inside)))
    return best


def collapse(text):
    return " ".join(text.split())


# -- matches ------------------------------------------------------------------------------------------------

def test_a_search_for_visiting_marks_every_form():
    text = "Visiting ministers visit Minsk; the visits ended, but revisiting did not."
    terms = set(ANALYZER("visiting"))
    assert [text[m.start:m.end] for m in matches(text, ANALYZER, terms)] == ["Visiting", "visit", "visits"]
    assert highlight(text, ANALYZER, terms) == (
        "**Visiting** ministers **visit** Minsk; the **visits** ended, but revisiting did not."
    )


TEXTS = [
    "Zürich's Bürgermeister visits Zürich; the Zürcher visit ended.",
    "U.S. crude (oil) prices, 5.93 dlrs/bbl; OPEC's price—rise “visits” «visit» U.Svisit 5.93visit",
    "naïve café visitors' visit… tabs\tand\nnew\u00a0lines  visits\u2028visiting e.g. U.K",
    "Ministers' visit_plan visit-visiting don't visit's 1,000.5 1,000. 10,5x",
]


@pytest.mark.parametrize("text", TEXTS)
def test_offsets_slice_to_the_surface_words(text):
    every_term = sorted(set(ANALYZER(text)))
    for terms in (set(every_term), set(every_term[::2]), set(every_term[1::3])):
        found = matches(text, ANALYZER, terms)
        assert as_tuples(found) == reference_matches(text, terms)
        for m in found:
            assert ANALYZER(text[m.start:m.end]) == [m.term]
        assert len(found) == sum(term in terms for term in ANALYZER(text))


def test_no_terms_or_no_text_match_nothing():
    assert matches("visit", ANALYZER, set()) == []
    assert matches("", ANALYZER, {"visit"}) == []
    assert matches("the and of", ANALYZER, {"the"}) == []  # stopwords are no index terms


SEPARATORS = [" ", "  ", "\n", ", ", ". ", "-", "'", "", ".", "\t(", ")"]
pieces = st.lists(st.tuples(st.sampled_from(VOCABULARY + ["Visiting", "U.S", "5"]), st.sampled_from(SEPARATORS)),
                  max_size=14)
term_sets = st.sets(st.sampled_from(sorted({t for w in VOCABULARY for t in ANALYZER(w)})))


@settings(max_examples=200, deadline=None)
@given(pieces, term_sets)
@example([("U.S", ""), ("visit", " ")], {"visit", "u.s"})
@example([("5", "."), ("5.93", ""), ("visit", "")], {"5.5.93visit", "5.93visit", "visit"})
def test_matches_are_exactly_the_analysed_words(words, terms):
    text = "".join(word + separator for word, separator in words)
    found = matches(text, ANALYZER, terms)
    assert as_tuples(found) == reference_matches(text, terms)
    for m in found:
        assert ANALYZER(text[m.start:m.end]) == [m.term] and m.term in terms


def test_the_chunk_table_learns_across_texts_and_starts_again_when_full(monkeypatch):
    """Which terms a chunk holds is remembered per process; a table past its limit is replaced, and
    matches stay those of the analyser before, during and after."""
    from searchcore import highlight as highlighting

    monkeypatch.setattr(highlighting._Chunks, "LIMIT", 12)
    monkeypatch.setattr(highlighting, "_CHUNKS", {})
    tables = []
    for round in range(3):
        for text in TEXTS:
            every_term = sorted(set(ANALYZER(text)))
            for terms in (set(every_term[round::2]), {every_term[-1]}):
                assert as_tuples(matches(text, ANALYZER, terms)) == reference_matches(text, terms)
            if not any(t is highlighting._CHUNKS[ANALYZER] for t in tables):
                tables.append(highlighting._CHUNKS[ANALYZER])
    assert len(tables) > 1  # the table filled up and was started again


# -- fragments ----------------------------------------------------------------------------------------------

def check_fragments(text, terms, size, count):
    """The invariants every result of ``fragments`` keeps, checked against plain scans."""
    result = fragments(text, ANALYZER, terms, size=size, count=count)
    found = reference_matches(text, terms)
    longest_word = max((len(w) for w in text.split()), default=0)
    assert len(result) <= count
    for fragment in result:
        assert fragment.text == text[fragment.start:fragment.end] == fragment.text.strip()
        assert fragment.text
        assert len(fragment.text) <= size or len(fragment.text) <= longest_word
        assert as_tuples(fragment.matches) == [(s, e, t) for s, e, t in found
                                                if fragment.start <= s and e <= fragment.end]
        # no matched word is cut by a fragment edge
        assert not any(s < fragment.start < e or s < fragment.end < e for s, e, _ in found)
    assert all(a.end <= b.start for a, b in zip(result, result[1:])), "in text order, not overlapping"
    return result


def random_text(seed, words):
    rng = random.Random(seed)
    vocabulary = ["oil", "crude", "visit", "visits", "prices", "OPEC", "the", "said", "Minsk", "rates", "bank"]
    return "".join(rng.choice(vocabulary) + rng.choice([" ", " ", " ", ". ", ", ", "\n"]) for _ in range(words))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size, count", [(20, 1), (40, 3), (80, 2), (150, 3)])
def test_fragments_respect_count_size_and_hold_the_best_window(seed, size, count):
    text = random_text(seed, 100)
    terms = {"oil", "visit", "price", "opec"}
    result = check_fragments(text, terms, size, count)
    assert len(result) == count  # 100 words hold enough matches for every count here
    assert max(f.score for f in result) == best_window(text, terms, size)
    by_score = fragments(text, ANALYZER, terms, size=size, count=count, order="score")
    assert by_score[0].score == best_window(text, terms, size)
    assert [f.score for f in by_score] == sorted((f.score for f in by_score), reverse=True)
    assert sorted(by_score, key=lambda f: f.start) == result


@settings(max_examples=150, deadline=None)
@given(pieces, term_sets, st.integers(5, 60), st.integers(1, 3))
def test_fragments_properties(words, terms, size, count):
    text = "".join(word + separator for word, separator in words)
    result = check_fragments(text, terms, size, count)
    if not text.strip():
        assert result == []
    elif not reference_matches(text, terms):
        (only,) = result
        assert only.matches == () and only.start == len(text) - len(text.lstrip())
    else:
        assert max(f.score for f in result) == best_window(text, terms, size)


@settings(max_examples=150, deadline=None)
@given(pieces, term_sets, st.integers(1, 3))
def test_a_text_that_fits_is_one_passage_of_all_of_it(words, terms, count):
    text = "".join(word + separator for word, separator in words)
    found = reference_matches(text, terms)
    assume(found)
    result = fragments(text, ANALYZER, terms, size=len(text) + 5, count=count)
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    assert result == [Fragment(start, end, text[start:end], tuple(matches(text, ANALYZER, terms)))]
    assert [(m.start, m.end) for m in result[0].matches] == [(m[0], m[1]) for m in found]


def test_fragments_without_matches_give_the_start_of_the_text():
    text = "  First words of the story. " + "more words " * 30
    for terms in (set(), {"absent"}):
        (only,) = fragments(text, ANALYZER, terms, size=40)
        assert only.matches == ()
        assert only.start == 2 and text[2:].startswith(only.text) and len(only.text) <= 40
    assert fragments("", ANALYZER, {"oil"}) == []
    assert fragments(" \n ", ANALYZER, {"oil"}) == []
    assert highlight("", ANALYZER, {"oil"}) == ""


def test_one_word_longer_than_size_is_kept_whole_when_it_matches():
    text = "a " + "visit" * 10 + " b"
    (only,) = fragments(text, ANALYZER, set(ANALYZER("visit" * 10)), size=8)
    assert only.text == "visit" * 10


def test_a_fragment_prefers_to_start_at_a_sentence():
    text = "Filler words run on and on and on here. Ministers visit Minsk soon, and more words follow after it all."
    (only,) = fragments(text, ANALYZER, {"visit"}, size=60)
    assert only.text.startswith("Ministers visit")
    # without the sentence, a third of the spare room would go before the match: "here. Ministers"
    assert text.index("Ministers") - text.index("visit") + (60 - len("visit")) // 3 > 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="size must be >= 1, got 0"):
        fragments("oil", ANALYZER, {"oil"}, size=0)
    with pytest.raises(ValueError, match="count must be >= 1"):
        fragments("oil", ANALYZER, {"oil"}, count=0)
    with pytest.raises(ValueError, match="order must be one of"):
        fragments("oil", ANALYZER, {"oil"}, order="random")
    with pytest.raises(ValueError, match="format must be one of"):
        highlight("oil", ANALYZER, {"oil"}, format="pdf")


# -- formats ------------------------------------------------------------------------------------------------

def test_ellipses_where_the_text_is_cut_and_separators_between_fragments():
    text = "oil " + "filler " * 40 + "visit " + "padding " * 40 + "end"
    out = highlight(text, ANALYZER, {"oil", "visit"}, size=30, count=2)
    assert out.startswith("**oil**") and out.endswith("…")
    assert out.count(" … ") == 1 and "**visit**" in out.split(" … ")[1]
    single = highlight(text, ANALYZER, {"visit"}, size=30, count=2)
    assert single.startswith("…") and single.endswith("…") and " … " not in single


def test_fragments_next_to_each_other_are_joined_by_a_space():
    text = "oil oil oil oil oil visit  visit visit"
    found = matches(text, ANALYZER, {"oil", "visit"})
    first = Fragment(0, 19, text[:19], tuple(found[:5]))
    second = Fragment(20, len(text), text[20:], tuple(found[5:]))
    assert Formatter("[", "]").format([first, second], text) == "[oil] [oil] [oil] [oil] [oil] [visit] [visit] [visit]"
    assert Formatter("[", "]").format([first], text) == "[oil] [oil] [oil] [oil] [oil]…"
    assert Formatter("[", "]").format([second], text) == "…[visit] [visit] [visit]"
    assert highlight(text, ANALYZER, {"oil"}, size=19, count=2, format="plain") == "oil oil oil oil oil…"


HOSTILE = 'Tom & "Jerry" <visit> the visits\' site & <b>more</b> visit&co \x1b[31mred\x1b[0m'


def test_html_escapes_the_text_and_marks_the_matches():
    terms = {"visit"}
    out = highlight(HOSTILE, ANALYZER, terms, format="html", size=500)
    unmarked = out.replace("<mark>", "").replace("</mark>", "")
    assert not set("<>\"'") & set(unmarked)
    assert re.sub(r"&(amp|lt|gt|quot|#x27);", "", unmarked).count("&") == 0
    assert html.unescape(unmarked) == collapse(HOSTILE)
    marked = [html.unescape(w) for w in re.findall(r"<mark>(.*?)</mark>", out)]
    assert marked == [HOSTILE[m.start:m.end] for m in matches(HOSTILE, ANALYZER, terms)] == ["visit", "visits", "visit"]


def test_html_round_trips_every_fragment():
    text = random_text(3, 80).replace("said", "<said & \"did\">")
    terms = {"visit", "oil"}
    result = fragments(text, ANALYZER, terms, size=50, count=3)
    out = highlight(text, ANALYZER, terms, format="html", size=50, count=3)
    parts = html.unescape(out.replace("<mark>", "").replace("</mark>", "")).strip("…").split(" … ")
    assert parts == [collapse(f.text) for f in result]


def test_ansi_bolds_exactly_the_matched_words_and_plain_has_no_codes():
    text = "Visiting ministers visit Minsk;\n\nthe visits ended. " + HOSTILE
    terms = {"visit"}
    ansi = highlight(text, ANALYZER, terms, format="ansi", size=500)
    assert re.findall(r"\x1b\[1m(.*?)\x1b\[0m", ansi) == [text[m.start:m.end] for m in matches(text, ANALYZER, terms)]
    plain = highlight(text, ANALYZER, terms, format="plain", size=500)
    assert "\x1b" not in plain
    assert ansi.replace(BOLD, "").replace(RESET, "") == plain
    assert "\x1b[31m" not in ansi and "[31mred" in plain  # the stored text cannot send escape codes
    assert plain == collapse(text).replace("\x1b", "")


def test_snippet_keeps_its_marks_and_length():
    text = "filler " * 100 + "the needle is here " + "padding " * 100
    out = snippet(text, ANALYZER, {"needl"}, length=60)
    assert "**needle**" in out and out.startswith("…") and out.endswith("…")
    assert len(out.replace("**", "").strip("…")) <= 60
    assert snippet(text, ANALYZER, {"needl"}, 60, "<b>", "</b>").count("<b>needle</b>") == 1
    assert FORMATTERS["text"].before == "**"


# -- texts known by their source -------------------------------------------------------------------------------

WHITESPACE = [" ", "  ", "\n", "\t", "\u00a0", "\u2028", " \n ", "\r\n"]


@settings(max_examples=200, deadline=None)
@given(pieces, term_sets, st.integers(5, 60), st.integers(1, 3))
def test_a_text_named_by_its_source_highlights_as_an_unnamed_one(words, terms, size, count):
    """The second call under a source finds its words without reading the text's chunks again: the same
    matches, fragments and marks as a call that reads them."""
    text = "".join(word + separator for word, separator in words)
    source = ("test-source", text)  # one key per distinct text, as a hit's (segment files, field, doc) is
    for _ in range(2):  # the first call learns the text under its source, the second goes by it
        assert as_tuples(matches(text, ANALYZER, terms, source=source)) == reference_matches(text, terms)
        assert (fragments(text, ANALYZER, terms, size=size, count=count, source=source)
                == fragments(text, ANALYZER, terms, size=size, count=count))
        for format in FORMATTERS:
            assert (highlight(text, ANALYZER, terms, format=format, size=size, count=count, source=source)
                    == highlight(text, ANALYZER, terms, format=format, size=size, count=count))


def test_a_source_is_forgotten_with_its_table(monkeypatch):
    """A full table starts again empty, sources and all: a text is then read again, never trusted to a
    table that does not hold its chunks."""
    from searchcore import highlight as highlighting

    monkeypatch.setattr(highlighting._Chunks, "LIMIT", 12)
    monkeypatch.setattr(highlighting, "_CHUNKS", {})
    for round in range(3):
        for number, text in enumerate(TEXTS):
            every_term = sorted(set(ANALYZER(text)))
            for terms in (set(every_term[round::2]), {every_term[-1]}):
                found = matches(text, ANALYZER, terms, source=("text", number))
                assert as_tuples(found) == reference_matches(text, terms)


def reference_format(text, passages, before, after, escape):
    """A formatter written plainly: every piece of text collapsed and escaped, the marks left alone."""
    out = ["…" if text[:passages[0].start].strip() else ""] if passages else []
    for i, passage in enumerate(passages):
        if i:
            gap = text[passages[i - 1].end:passage.start]
            out.append(" " if not gap.strip() else " … ")
        cursor = passage.start
        for m in passage.matches:
            out += [escape(re.sub(r"\s+", " ", text[cursor:m.start])), before, escape(text[m.start:m.end]), after]
            cursor = m.end
        out.append(escape(re.sub(r"\s+", " ", text[cursor:passage.end])))
    if passages:
        out.append("…" if text[passages[-1].end:].strip() else "")
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(VOCABULARY + ["<b>", "&", '"x"', "it's"]), st.sampled_from(WHITESPACE)),
                max_size=20), term_sets, st.integers(5, 60), st.integers(1, 3))
def test_html_and_text_output_equal_a_plain_formatter(words, terms, size, count):
    text = "".join(word + space for word, space in words)
    passages = fragments(text, ANALYZER, terms, size=size, count=count)
    assert highlight(text, ANALYZER, terms, format="html", size=size, count=count) == reference_format(
        text, passages, "<mark>", "</mark>", html.escape)
    assert highlight(text, ANALYZER, terms, format="text", size=size, count=count) == reference_format(
        text, passages, "**", "**", str)
