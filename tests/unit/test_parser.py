"""The query language: every construct, its canonical form, strict errors and lenient repairs.

Expected trees are written by hand from the syntax table in searchcore/query/parser.py.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re

import pytest

import searchcore as sc
from searchcore.query import And, Bool, Boost, Fuzzy, Not, Or, Phrase, Prefix, Range, Term, Wildcard, parse
from searchcore.query.parser import MAX_DEPTH

SCHEMA = sc.Schema(id=sc.ID(), title=sc.TEXT(), body=sc.TEXT(), topics=sc.KEYWORD(), date=sc.DATE(),
                   price=sc.NUMERIC(), source=sc.STORED())
FIELDS = "body, date, id, price, source, title, topics"
a, b, c = Term("a"), Term("b"), Term("c")
oil, coffee = Term("oil"), Term("coffee")


def node(text, **options):
    parsed = parse(text, SCHEMA, **options)
    assert parsed.warnings == [], parsed.warnings
    return parsed.node


def lenient(text, **options):
    parsed = parse(text, SCHEMA, **options)
    return parsed.node, parsed.warnings


def strict_error(text, **options) -> sc.QueryParseError:
    with pytest.raises(sc.QueryParseError) as info:
        parse(text, SCHEMA, strict=True, **options)
    return info.value


# -- words and operators ----------------------------------------------------------------------------------
def test_words_side_by_side_use_the_default_operator():
    assert node("oil coffee") == Bool(should=(oil, coffee))
    assert node("oil coffee", default_operator="AND") == Bool(must=(oil, coffee))
    assert node("oil coffee", default_operator="and") == Bool(must=(oil, coffee))
    assert node("oil", default_operator="AND") == Bool(should=(oil,))
    assert node("") == node("   ") == Bool()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="default_operator must be 'AND' or 'OR', got 'XOR'"):
        parse("a", SCHEMA, default_operator="XOR")
    with pytest.raises(TypeError, match="query text must be a str, got bytes"):
        parse(b"a", SCHEMA)


def test_words_keep_hyphens_apostrophes_numbers_and_acronyms_whole():
    assert node("multi-agent don't 5.93 1,000 U.S.") == Bool(should=tuple(
        Term(t) for t in ["multi-agent", "don't", "5.93", "1,000", "U.S."]))
    assert node("c++ what! a&&b 10:30") == Bool(should=(Term("c++"), Term("what!"), Term("a&&b"), Term("10:30")))


def test_and_or_not_and_their_symbols():
    assert node("a AND b") == node("a && b") == Bool(must=(a, b))
    assert node("a OR b") == node("a || b") == Bool(should=(a, b))
    assert node("NOT a") == node("!a") == node("! a") == node("-a") == Bool(must_not=(a,))
    assert node("a AND b AND c") == Bool(must=(a, b, c))


def test_precedence_not_and_or():
    assert node("a OR b AND c") == Bool(should=(a, Bool(must=(b, c))))
    assert node("a AND b OR c") == Bool(should=(Bool(must=(a, b)), c))
    assert node("NOT a AND b") == Bool(must=(b,), must_not=(a,))
    # side by side is the default operator, at its own precedence
    assert node("a b AND c") == Bool(should=(a, Bool(must=(b, c))))
    assert node("a b OR c", default_operator="AND") == Bool(should=(Bool(must=(a, b)), c))
    assert node("a OR b c", default_operator="AND") == Bool(should=(a, Bool(must=(b, c))))


def test_and_not_excludes_and_or_not_is_a_logical_not():
    assert node("oil AND NOT coffee") == Bool(must=(oil,), must_not=(coffee,))
    assert node("oil AND -coffee") == Bool(must=(oil,), must_not=(coffee,))
    assert node("oil OR NOT coffee") == Bool(should=(oil, Not(coffee)))
    assert node("NOT coffee OR oil") == Bool(should=(Not(coffee), oil))
    # side by side, NOT is Lucene's "-": oil but not coffee
    assert node("oil NOT coffee") == node("NOT coffee oil") == Bool(should=(oil,), must_not=(coffee,))
    assert node("oil NOT coffee", default_operator="AND") == Bool(must=(oil,), must_not=(coffee,))
    assert node("NOT NOT a") == Not(Not(a))
    assert node("NOT -a") == Not(Not(a))


def test_plus_and_minus():
    assert node("+opec oil -vienna") == Bool(should=(oil,), must=(Term("opec"),), must_not=(Term("vienna"),))
    assert node("a OR -b") == Bool(should=(a,), must_not=(b,))
    assert node("+a AND b") == Bool(must=(a, b))
    assert node("-a AND -b") == Bool(must_not=(a, b))


def test_lowercase_and_mixed_case_operators_are_words():
    assert node("a and b or not c") == Bool(should=tuple(Term(t) for t in "a and b or not c".split()))
    assert node("a And b") == Bool(should=(a, Term("And"), b))


def test_grouping():
    assert node("(a OR b) AND c") == Bool(must=(Bool(should=(a, b)), c))
    assert node("(a)") == node("((a))") == Bool(should=(a,))
    assert node("(a b)") == Bool(should=(a, b))
    assert node("x (+a)") == Bool(should=(Term("x"), Bool(must=(a,))))
    assert node("x (-a)") == Bool(should=(Term("x"), Not(a)))
    assert node("+(a b) -(c)") == Bool(must=(Bool(should=(a, b)),), must_not=(c,))


def test_boosts():
    assert node("oil^2") == Bool(should=(Boost(oil, 2.0),))
    assert node("(a b)^0.5") == Bool(should=(Boost(Bool(should=(a, b)), 0.5),))
    assert node('"crude oil"^1.5') == Bool(should=(Boost(Phrase("crude oil"), 1.5),))
    assert node("+oil^2 title:gas^1e-3") == Bool(should=(Boost(Term("gas", "title"), 0.001),), must=(Boost(oil, 2),))
    assert node("(oil^2)^3") == Bool(should=(Boost(Boost(oil, 2), 3),))


# -- fields -----------------------------------------------------------------------------------------------
def test_field_prefixes():
    assert node("title:oil") == Bool(should=(Term("oil", "title"),))
    assert node('title:"crude oil"') == Bool(should=(Phrase("crude oil", "title"),))
    assert node("topics:crude id:t1") == Bool(should=(Term("crude", "topics"), Term("t1", "id")))
    assert node("title:pric*") == Bool(should=(Prefix("pric", "title"),))
    assert node("title:shangfo~") == Bool(should=(Fuzzy("shangfo", "title"),))
    assert node("title:ne?s") == Bool(should=(Wildcard("ne?s", "title"),))
    # right after "field:", a leading - + ! belongs to the value
    assert node("title:-x") == Bool(should=(Term("-x", "title"),))
    assert node("title:AND") == Bool(should=(Term("AND", "title"),))


def test_field_group_applies_to_every_leaf_inside():
    assert node("title:(oil gas)") == Bool(should=(Term("oil", "title"), Term("gas", "title")))
    assert node('title:(+oil -"crude oil" pric* (a OR b))') == Bool(
        should=(Prefix("pric", "title"), Bool(should=(Term("a", "title"), Term("b", "title")))),
        must=(Term("oil", "title"),), must_not=(Phrase("crude oil", "title"),))
    assert node("title:(a body:b)") == Bool(should=(Term("a", "title"), Term("b", "body")))
    assert node("title:(a) b") == Bool(should=(Term("a", "title"), b))
    assert node("date:(1987-03-01 OR [1987-04-01 TO *])") == Bool(should=(
        Range("date", "1987-03-01", "1987-03-01"), Range("date", "1987-04-01", None)))
    assert node("price:(>=10 AND <20)") == Bool(must=(Range("price", "10", None),
                                                      Range("price", None, "20", True, False)))


def test_unknown_field_is_searched_as_the_words_typed_lenient_and_an_error_strict():
    tree, warnings = lenient("titel:gas")
    assert tree == Bool(should=(Term("titel"), Term("gas")))  # not the phrase "titel gas"
    assert warnings == [f"column 1: field 'titel' not in schema (fields: {FIELDS}): "
                        "searched as words without the field: titel gas"]
    error = strict_error("oil titel:gas")
    assert (error.pos, error.msg) == (4, f"field 'titel' not in schema (fields: {FIELDS})")
    assert lenient('-titel:"crude oil"')[0] == Bool(must_not=(Bool(should=(Term("titel"), Phrase("crude oil"))),))
    assert lenient("titel:pric*")[0] == Bool(should=(Term("titel"), Prefix("pric")))
    assert lenient("titel:gas oil")[0] == Bool(should=(Bool(should=(Term("titel"), Term("gas"))), oil))
    tree, warnings = lenient("titel:gas oil", default_operator="AND")
    assert tree == Bool(must=(Bool(must=(Term("titel"), Term("gas"))), oil))
    assert warnings[0].endswith("searched as words without the field: +titel +gas")
    # inside a field group, the words are searched without a field too
    assert lenient("title:(titel:gas)")[0] == Bool(should=(Term("titel"), Term("gas")))


def test_unknown_or_stored_field_before_a_group_is_dropped():
    tree, warnings = lenient("titel:(a b)")
    assert tree == Bool(should=(a, b))
    assert warnings == [f"column 1: field 'titel' not in schema (fields: {FIELDS}): the group is searched without it"]
    tree, warnings = lenient("source:(a)")
    assert tree == Bool(should=(a,))
    assert warnings == ["column 1: field 'source' is STORED and cannot be searched: the group is searched without it"]


def test_stored_fields_are_not_searchable():
    tree, warnings = lenient("source:reuters")
    assert tree == Bool(should=(Term("source"), Term("reuters")))
    assert warnings == ["column 1: field 'source' is STORED and cannot be searched: "
                        "searched as words without the field: source reuters"]
    assert strict_error("source:reuters").pos == 0


def test_field_without_value():
    tree, warnings = lenient("Note: oil")
    assert tree == Bool(should=(Term("Note"), oil))
    assert warnings == ["column 6: expected a value right after 'Note:': searched as the word 'Note'"]
    error = strict_error("title:")
    assert (error.pos, error.expected) == (6, "a value")


# -- phrases, prefix, wildcard, fuzzy ---------------------------------------------------------------------
def test_phrases_and_slop():
    assert node('"crude oil"') == Bool(should=(Phrase("crude oil"),))
    assert node('"crude oil"~3') == Bool(should=(Phrase("crude oil", slop=3),))
    assert node('title:"crude oil"~2^4') == Bool(should=(Boost(Phrase("crude oil", "title", 2), 4),))
    assert node(r'"say \"hi\" \\ now"') == Bool(should=(Phrase('say "hi" \\ now'),))
    assert node('"a"b') == Bool(should=(Phrase("a"), b))


def test_prefix_wildcard_and_fuzzy():
    assert node("pric* ne?s *stan p*c*") == Bool(should=(
        Prefix("pric"), Wildcard("ne?s"), Wildcard("*stan"), Wildcard("p*c*")))
    assert node("pric**") == Bool(should=(Prefix("pric"),))
    assert node("?") == Bool(should=(Wildcard("?"),))
    assert node('"a b"~000000000012') == Bool(should=(Phrase("a b", slop=12),))
    assert node("shangfo~01") == Bool(should=(Fuzzy("shangfo", distance=1),))
    assert node("shangfo~ shangfo~2 shangfo~0") == Bool(should=(
        Fuzzy("shangfo"), Fuzzy("shangfo", distance=2), Fuzzy("shangfo", distance=0)))
    assert node("shangfo~1^2") == Bool(should=(Boost(Fuzzy("shangfo", distance=1), 2),))


def test_escaped_wildcard_characters_are_literal():
    assert node(r"a\*b") == Bool(should=(Term("a*b"),))
    assert node(r"a\*b*") == Bool(should=(Prefix("a*b"),))
    assert node(r"a\?b?") == Bool(should=(Wildcard(r"a\?b?"),))
    assert node(r"\(x\) \AND \- a\ b") == Bool(should=(Term("(x)"), Term("AND"), Term("-"), Term("a b")))


def test_wildcard_regex_and_fuzzy_automatic_distance():
    patterns = {"ne?s": ["news", "nets"], "*stan": ["stan", "pakistan"], r"a\*b*": ["a*b", "a*bc"]}
    for pattern, matching in patterns.items():
        regex = re.compile(Wildcard(pattern).regex())
        assert all(regex.fullmatch(term) for term in matching)
        assert not any(regex.fullmatch(term) for term in ["ab", "nes", "stant", "axb"])
    lengths = {"a": 0, "ab": 0, "abc": 1, "abcde": 1, "abcdef": 2, "shangfoo": 2}
    for text, edits in lengths.items():
        assert Fuzzy(text).max_edits() == edits
        assert Fuzzy(text, distance=2).max_edits() == 2
    assert Fuzzy("x").max_edits("longer") == 2


# -- ranges -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("date:[1987-03-01 TO 1987-03-31]", Range("date", "1987-03-01", "1987-03-31")),
    ("date:{1987-03-01 TO 1987-03-31}", Range("date", "1987-03-01", "1987-03-31", False, False)),
    ("date:[1987-03-01 TO 1987-03-31}", Range("date", "1987-03-01", "1987-03-31", True, False)),
    ("date:{1987-03-01 TO 1987-03-31]", Range("date", "1987-03-01", "1987-03-31", False, True)),
    ("price:{10 TO *]", Range("price", "10", None, False)),
    ("price:[* TO 10]", Range("price", None, "10")),
    ("price:[* TO *]", Range("price")),
    ("price:[-5.5 TO 1e3]", Range("price", "-5.5", "1e3")),
    ("price:>10", Range("price", "10", None, include_low=False)),
    ("price:>=10", Range("price", "10", None)),
    ("price:<10", Range("price", None, "10", include_high=False)),
    ("price:<=-10", Range("price", None, "-10")),
    ("price:-5", Range("price", "-5", "-5")),
    ("date:1987-03-01", Range("date", "1987-03-01", "1987-03-01")),
    ('date:"1987-03-01 10:00"', Range("date", "1987-03-01 10:00", "1987-03-01 10:00")),
    ('date:["1987-03-01 10:00" TO 1987-03-02T12:30:00+01:00]',
     Range("date", "1987-03-01 10:00", "1987-03-02T12:30:00+01:00")),
    ("date:[1987-03-01 TO *]^2", Boost(Range("date", "1987-03-01"), 2)),
])
def test_range_forms(text, expected):
    assert node(text) == Bool(should=(expected,))


def test_invalid_range_values():
    tree, warnings = lenient("price:[ten TO 20]")
    assert tree == Bool(should=(Term("ten"), Term("20")))
    assert warnings == ["column 8: expected a number for NUMERIC field 'price', got 'ten': "
                        "its ends are searched as words"]
    error = strict_error("date:[1987-03-01 TO 1987-13-01]")
    assert error.pos == 20
    assert error.msg == ("expected an ISO 8601 date or date-time, or a year or month such as 1987 or 1987-03, "
                         "for DATE field 'date', got '1987-13-01'")
    assert lenient("date:yesterday") == (Bool(should=(Term("date"), Term("yesterday"))), [
        "column 6: expected an ISO 8601 date or date-time, or a year or month such as 1987 or 1987-03, for DATE "
        "field 'date', got 'yesterday': searched as words without the field: date yesterday"])
    assert strict_error("price:1,000").pos == 6
    assert strict_error("price:[inf TO *]").pos == 7


def test_range_on_a_field_without_values():
    assert lenient("title:[a TO b]") == (Bool(should=(Term("a", "title"), Term("b", "title"))), [
        "column 1: expected a NUMERIC or DATE field for a range; 'title' is TEXT: its ends are searched as words"])
    tree, warnings = lenient("titel:[a TO *]")
    assert tree == Bool(should=(a,))
    assert warnings == [f"column 1: field 'titel' not in schema (fields: {FIELDS}): its ends are searched as words"]
    assert lenient("price:pric*")[0] == Bool(should=(Term("price"), Prefix("pric")))
    assert strict_error("price:1~").msg == "field 'price' is NUMERIC and takes a value or a range, not a fuzzy word"


@pytest.mark.parametrize(("text", "pos", "expected"), [
    ("date:[1987", 10, "'TO'"),
    ("date:[1987 TO", 13, "a value or '*'"),
    ("date:[1987 TO 1988", 18, "']' or '}'"),
    ("date:[ TO 1988]", 10, "'TO'"),  # "TO" is read as the lower end
    ("date:[]", 6, "a value or '*'"),
    ("price:>", 7, "a value"),
    ("price:>= 5", 8, "a value"),
])
def test_malformed_ranges(text, pos, expected):
    error = strict_error(text)
    assert (error.pos, error.expected) == (pos, expected)
    tree, warnings = lenient(text)
    assert len(warnings) == 1 and warnings[0].startswith(f"column {pos + 1}: expected ")
    assert all(not isinstance(clause, Range) for clause in tree.should)


# -- strict errors and lenient repairs --------------------------------------------------------------------
@pytest.mark.parametrize(("text", "pos", "message"), [
    ("oil AND (gas", 12, "expected ')' to close the group opened at column 9"),
    ("(a (b)", 6, "expected ')' to close the group opened at column 1"),
    ("a ) b", 2, "expected a clause or the end of the query; ')' closes no group"),
    ('say "crude oil', 14, "expected a '\"' to close the phrase opened at column 5"),
    ("oil AND", 4, "expected a clause on both sides of 'AND'"),
    ("AND", 0, "expected a clause on both sides of 'AND'"),
    ("a OR OR b", 2, "expected a clause on both sides of 'OR'"),
    ("oil NOT", 4, "expected a clause after 'NOT'"),
    ("oil !", 4, "expected a clause after '!'"),
    ("oil - gas", 4, "expected a word, phrase or group right after '-'"),
    ("+", 0, "expected a word, phrase or group right after '+'"),
    ("oil^", 4, "expected a number > 0 after '^'"),
    ("oil^0", 4, "expected a number > 0 after '^', got '0'"),
    ("oil^-1", 4, "expected a number > 0 after '^', got '-1'"),
    ("oil^2x", 4, "expected a number > 0 after '^', got '2x'"),
    ("oil ^2", 4, "expected '^' right after a word, phrase or group"),
    ("oil^2^3", 5, "expected one boost per clause"),
    ("oil~3", 4, "expected a fuzzy distance of 0, 1 or 2 after '~', got '3'"),
    ("oil~0.5", 4, "expected a fuzzy distance of 0, 1 or 2 after '~', got '0.5'"),
    ("oil~-1", 4, "expected a fuzzy distance of 0, 1 or 2 after '~', got '-1'"),
    ('"a b"~', 6, "expected a whole number (the slop) after '~'"),
    ('"a b"~1.5', 6, "expected a whole number (the slop) after '~', got '1.5'"),
    ('"a b"~-1', 6, "expected a whole number (the slop) after '~', got '-1'"),
    ('"a b"~1e9', 6, "expected a slop of at most 1,000,000 after '~', got '1e9'"),
    ('"a b"~' + "9" * 5000, 6, "expected a slop of at most 1,000,000 after '~', got '99999999999999999999…'"),
    ("oil~" + "9" * 5000, 4, "expected a fuzzy distance of 0, 1 or 2 after '~', got '99999999999999999999…'"),
    ("oil^" + "9" * 5000, 4, "expected a number > 0 after '^', got '99999999999999999999…'"),
    ("date:[1988 TO 1987]", 6, "expected the lower end of the range first, got '1988' before '1987' "
                               "(the range would match nothing)"),
    ("pric*~", 5, "expected '~' only right after a plain word or a phrase"),
    ("(a)~2", 3, "expected '~' only right after a plain word or a phrase"),
    ("*", 0, "expected a word around '*' ('*' alone would match every word)"),
    ("title:**", 6, "expected a word around '*' ('*' alone would match every word)"),
    ("()", 1, "expected a clause inside the parentheses"),
    ('""', 0, "expected words inside the quotes"),
    ("oil\\", 4, "expected a character after '\\'"),
])
def test_strict_errors_say_what_was_expected_and_where(text, pos, message):
    error = strict_error(text)
    assert (error.pos, error.msg, error.query) == (pos, message, text)
    assert str(error) == f"{message}: column {pos + 1}"
    _, warnings = lenient(text)
    assert warnings[0].startswith(f"column {pos + 1}: {message}: ")


@pytest.mark.parametrize(("text", "expected"), [
    ("oil AND (gas", Bool(must=(oil, Term("gas")))),
    ("a ) b", Bool(should=(a, b))),
    ('say "crude oil', Bool(should=(Term("say"), Term("crude"), oil))),
    ("oil AND", Bool(should=(oil, Term("AND")))),
    ("AND", Bool(should=(Term("AND"),))),
    ("a OR OR b", Bool(should=(a, Term("OR"), b))),
    ("oil NOT", Bool(should=(oil, Term("NOT")))),
    ("oil - gas", Bool(should=(oil, Term("gas")))),
    ("oil^", Bool(should=(oil,))),
    ("oil ^2 gas", Bool(should=(oil, Term("gas")))),
    ("oil~3", Bool(should=(Fuzzy("oil"),))),
    ('"a b"~', Bool(should=(Phrase("a b"),))),
    ("pric*~", Bool(should=(Prefix("pric"),))),
    ("* oil", Bool(should=(oil,))),
    ("() oil", Bool(should=(oil,))),
    ("oil\\", Bool(should=(oil,))),
    ("date:[1987 TO", Bool(should=(Term("1987"), Term("TO")))),
])
def test_lenient_repairs(text, expected):
    tree, warnings = lenient(text)
    assert tree == expected
    assert warnings and all(re.match(r"column \d+: expected .+: .+", w) or "not in schema" in w for w in warnings)


def test_lenient_mode_reports_each_repair():
    tree, warnings = lenient('(oil^ AND "gas')
    assert tree == Bool(must=(oil, Term("gas")))
    assert [w.split(":")[0] for w in warnings] == ["column 6", "column 15", "column 15"]


# -- repairs never change what an operator means ------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("oil^-1", Bool(should=(oil,))),  # once read as oil -1: a NOT clause the user never wrote
    ("oil^-1 gas", Bool(should=(oil, Term("gas")))),
    ("oil^+2", Bool(should=(oil,))),
    ("oil^2-gas", Bool(should=(oil,))),
    ("(oil gas)^-0.5", Bool(should=(oil, Term("gas")))),
    ("oil~-1", Bool(should=(Fuzzy("oil"),))),  # once read as oil~ -1
    ("oil~1e9", Bool(should=(Fuzzy("oil"),))),
    ('"oil prices"~1e9', Bool(should=(Phrase("oil prices", slop=sc.query.parser.MAX_SLOP),))),  # once ~1 e9
    ('"oil prices"~-2', Bool(should=(Phrase("oil prices"),))),
])
def test_an_invalid_suffix_is_dropped_whole_and_never_becomes_a_clause(text, expected):
    tree, warnings = lenient(text)
    assert tree == expected
    assert len(warnings) == 1
    assert not tree.must_not and not tree.must


def test_each_suffix_repair_says_what_was_done():
    assert lenient("oil^-1")[1] == ["column 5: expected a number > 0 after '^', got '-1': the boost '^-1' is ignored"]
    assert lenient("oil~-1")[1] == ["column 5: expected a fuzzy distance of 0, 1 or 2 after '~', got '-1': "
                                    "the automatic distance is used"]
    assert lenient('"oil prices"~1e9')[1] == ["column 14: expected a slop of at most 1,000,000 after '~', "
                                              "got '1e9': the slop 1,000,000 is used"]
    assert lenient('"oil prices"~x')[1] == ["column 14: expected a whole number (the slop) after '~', got 'x': "
                                            "the slop is ignored (the words must stand side by side)"]
    assert node('"oil prices"~1e3') == Bool(should=(Phrase("oil prices", slop=1000),))
    assert node('"oil prices"~1000000') == Bool(should=(Phrase("oil prices", slop=1_000_000),))
    assert strict_error('"oil prices"~1000001').expected == "at most 1000000"


def test_unknown_field_words_are_the_words_typed_not_a_phrase():
    tree, warnings = lenient("foo:oil", default_operator="OR")
    assert tree == Bool(should=(Term("foo"), oil))
    assert all(not isinstance(n, Phrase) for n in tree.should)
    assert "searched as words without the field: foo oil" in warnings[0]
    tree, warnings = lenient('foo:"crude oil"~2^3')
    assert tree == Bool(should=(Boost(Bool(should=(Term("foo"), Phrase("crude oil", slop=2))), 3),))
    assert warnings[0].endswith('searched as words without the field: foo "crude oil"~2')
    assert lenient("date:(oil)")[0] == Bool(should=(oil,))  # a value the field cannot take, in its group


# -- warnings are summarised ------------------------------------------------------------------------------
def test_the_same_repair_is_counted_on_one_line():
    tree, warnings = lenient("(" * 10_000)
    assert tree == Bool()
    assert warnings == [
        f"column {MAX_DEPTH + 1}: expected at most {MAX_DEPTH} nested groups and NOTs: ignored "
        f"(and {10_000 - MAX_DEPTH - 1:,} more like it)",
        f"column 10001: expected ')' to close the group opened at column {MAX_DEPTH}: closed at the end of the "
        f"query (and {MAX_DEPTH - 1} more like it)"]
    _, warnings = lenient("oil^ " * 3)
    assert warnings == ["column 5: expected a number > 0 after '^': the boost '^' is ignored (and 2 more like it)"]


def test_many_kinds_of_repairs_are_cut_to_a_few_lines():
    text = " ".join(f"oil^x{i}" for i in range(50))  # 50 different repairs
    _, warnings = lenient(text)
    assert len(warnings) == sc.query.parser.MAX_WARNINGS
    assert warnings[:2] == ["column 5: expected a number > 0 after '^', got 'x0': the boost '^x0' is ignored",
                            "column 12: expected a number > 0 after '^', got 'x1': the boost '^x1' is ignored"]
    assert warnings[-1] == f"and {50 - sc.query.parser.MAX_WARNINGS + 1} more repairs"


# -- range ends -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("date:[1988 TO 1987]", Range("date", "1987", "1988")),
    ("date:{1988 TO 1987]", Range("date", "1987", "1988", True, False)),
    ("price:[10 TO 1]", Range("price", "1", "10")),
    ("price:[10 TO -1e3}", Range("price", "-1e3", "10", False, True)),
    ("date:[1987-03-02 TO 1987-03-01]", Range("date", "1987-03-01", "1987-03-02")),
    ('date:["1987-03-01 10:00" TO "1987-03-01 09:00"]', Range("date", "1987-03-01 09:00", "1987-03-01 10:00")),
])
def test_reversed_range_ends_are_swapped_lenient_and_an_error_strict(text, expected):
    tree, warnings = lenient(text)
    assert tree == Bool(should=(expected,))
    assert len(warnings) == 1
    assert "expected the lower end of the range first" in warnings[0]
    assert warnings[0].endswith("(the range would match nothing): the ends are swapped")
    assert strict_error(text).expected == "the lower end first"


@pytest.mark.parametrize("text", [
    "date:[1987 TO 1987]", "date:[1987-06 TO 1987]", "date:[1987 TO 1987-01-01]", "date:[1987-03-01 TO 1987-03]",
    "price:[1 TO 1]", "price:[-5 TO -1]", "date:[1987-03-01 TO 1987-03-01T00:00]",
])
def test_ranges_whose_ends_overlap_are_not_reversed(text):
    assert parse(text, SCHEMA, strict=True).warnings == []


@pytest.mark.parametrize(("text", "expected"), [
    ("date:[1987 TO 1988]", Range("date", "1987", "1988")),
    ("date:[1987-03 TO 1987-04}", Range("date", "1987-03", "1987-04", True, False)),
    ("date:>=1987-03", Range("date", "1987-03", None)),
    ("date:<1988", Range("date", None, "1988", True, False)),
    ("date:1987", Range("date", "1987", "1987")),
    ("date:1987-03", Range("date", "1987-03", "1987-03")),
])
def test_years_and_months_are_date_range_ends(text, expected):
    assert node(text) == Bool(should=(expected,))
    assert parse(text, SCHEMA, strict=True).node == Bool(should=(expected,))


@pytest.mark.parametrize("text", ["date:1987-13", "date:0000", "date:[198 TO *]", "date:>=1987-3", "date:87"])
def test_malformed_years_and_months_are_not_dates(text):
    tree, warnings = lenient(text)
    assert warnings and not any(isinstance(clause, Range) for clause in tree.should)
    assert "a year or month such as 1987 or 1987-03" in strict_error(text).msg


@pytest.mark.parametrize(("query", "ids"), [
    ("date:1987", ["t1", "t2", "t3", "t5", "t6"]),
    ("date:[1987 TO 1987]", ["t1", "t2", "t3", "t5", "t6"]),
    ("date:1987-03", ["t1", "t2", "t3"]),
    ("date:>=1987-04", ["t4", "t5", "t6"]),
    ("date:>1987-03", ["t4", "t5", "t6"]),
    ("date:<1987-04", ["t1", "t2", "t3"]),
    ("date:<=1987-04", ["t1", "t2", "t3", "t5", "t6"]),
    ("date:{1987-03 TO 2023}", ["t5", "t6"]),
    ("date:[1988 TO 1987]", ["t1", "t2", "t3", "t5", "t6"]),  # swapped, not empty
    ("date:[1987-04 TO 2023-08]", ["t4", "t5", "t6"]),
])
def test_year_and_month_range_ends_stand_for_the_whole_period(tiny_index, query, ids):
    with tiny_index.searcher() as searcher:
        results = searcher.search(query, limit=10)
        assert sorted(hit.id for hit in results) == ids


@pytest.mark.parametrize("empty", ["", "   ", "((", sc.Bool()])
def test_an_empty_filter_is_ignored_with_a_warning(tiny_index, empty):
    with tiny_index.searcher() as searcher:
        results = searcher.search("oil", filter=[empty], limit=10)
        assert sorted(hit.id for hit in results) == ["t1", "t2"]  # once: no hit at all, and no warning
        assert results.warnings[-1] == f"empty filter {str(empty)!r} ignored: it has no clause to match"
        with_other = searcher.search("oil", filter=["topics:crude", empty], limit=10)
        assert sorted(hit.id for hit in with_other) == ["t1", "t2"]
        if not (isinstance(empty, str) and "(" in empty):  # strict: '((' is an error, '' is no clause
            strict = searcher.search("oil", filter=[empty], limit=10, strict=True)
            assert len(strict) == 2 and "ignored" in strict.warnings[-1]


def test_deep_nesting_never_raises():
    for text in ["(" * 1000 + "a", "NOT " * 1000 + "a", "-(" * 500, "(" * 1000 + ")" * 1000, "!" * 3000 + "a"]:
        tree, warnings = lenient(text)
        assert isinstance(tree, Bool) and warnings
        assert parse(str(tree), SCHEMA).node == tree
    assert strict_error("(" * (MAX_DEPTH + 1) + "a").pos == MAX_DEPTH
    assert node("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == Bool(should=(a,))


@pytest.mark.parametrize("levels", [32, 33, 40, 500])
def test_and_beside_or_nested_deep_still_parses_back(levels):
    # (a b AND (...)) nests twice per parenthesis: a (+b +(...)). Once the canonical form of 33 levels
    # went past MAX_DEPTH and parsed back without its deepest clauses.
    text = "(a b AND " * levels + "c" + ")" * levels
    tree, warnings = lenient(text)
    again = parse(str(tree), SCHEMA)
    assert again.node == tree and again.warnings == []
    if levels <= MAX_DEPTH // 2:
        assert warnings == []
    else:
        assert f"column 1: expected at most {MAX_DEPTH} nested groups and NOTs, counting the nesting of AND beside " \
               "OR: the clauses nested deeper are ignored" in warnings
        assert strict_error(text).pos == 0 if levels < MAX_DEPTH else strict_error(text).pos > 0


def test_query_parse_error_keeps_its_attributes_through_pickling():
    error = strict_error("oil AND (gas")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.msg, copy.query, copy.pos, copy.expected) == (error.msg, error.query, error.pos, "')'")
    assert isinstance(copy, ValueError) and isinstance(copy, sc.SearchcoreError)
    assert sc.QueryParseError("m", "q", 0).expected is None  # the original constructor still works


# -- canonical form ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("tree", "text"), [
    (Term("oil", "title"), "title:oil"),
    (Term("titel:gas"), r"titel\:gas"),
    (Term("a b(c)"), r"a\ b\(c\)"),
    (Term('say "x"'), r'say\ \"x\"'),
    (Term("AND"), r"\AND"),
    (Term("&&"), r"\&&"),
    (Term("-5"), r"\-5"),
    (Term("x-5"), "x-5"),
    (Term("a*b?"), r"a\*b\?"),
    (Term("back\\slash"), r"back\\slash"),
    (Phrase('say "hi"', "title", 2), r'title:"say \"hi\""~2'),
    (Prefix("pric", "body"), "body:pric*"),
    (Prefix("a:b"), r"a\:b*"),
    (Wildcard(r"a b?\*"), r"a\ b?\*"),
    (Fuzzy("shangfo"), "shangfo~"),
    (Fuzzy("shangfo", "title", 1), "title:shangfo~1"),
    (Range("date", "1987-03-01", "1987-03-31"), "date:[1987-03-01 TO 1987-03-31]"),
    (Range("price", "10", None, include_low=False), "price:{10 TO *]"),
    (Range("price", None, "10", include_high=False), "price:[* TO 10}"),
    (Range("date", "1987-03-01 10:00"), 'date:["1987-03-01 10:00" TO *]'),
    (Range("price", 10, 20.5), "price:[10 TO 20.5]"),
    (Range("date", dt.date(1987, 3, 1), dt.datetime(1987, 3, 2, 10)), "date:[1987-03-01 TO 1987-03-02T10:00:00]"),
    (Boost(oil, 2), "oil^2"),
    (Boost(oil, 1e-05), "oil^1e-05"),
    (Boost(Bool(should=(a, b)), 0.5), "(a b)^0.5"),
    (Boost(Boost(oil, 2), 3), "(oil^2)^3"),
    (Bool(should=(a,), must=(b,), must_not=(c,)), "+b a -c"),
    (Bool(should=(a, Not(b))), "a (-b)"),
    (Bool(must=(Bool(should=(a, b)),)), "+(a b)"),
    (Bool(), ""),
])
def test_canonical_form(tree, text):
    assert str(tree) == text
    top = tree if isinstance(tree, Bool) else Bool(should=(tree,))
    if not isinstance(tree, Range) or all(isinstance(v, str | None) for v in (tree.low, tree.high)):
        assert node(str(top)) == top


def test_canonical_form_is_written_for_the_default_operator_or():
    tree = node("a OR b", default_operator="AND")
    assert tree == Bool(should=(a, b)) and str(tree) == "a b"
    assert node(str(tree)) == tree  # read back with the default OR
    assert node(str(tree), default_operator="AND") == Bool(must=(a, b))  # not with AND
    assert str(node("a b", default_operator="AND")) == "+a +b"


# -- nodes built by programs ------------------------------------------------------------------------------
def test_and_or_not_build_bools():
    assert And(oil, Not(coffee)) == Bool(must=(oil,), must_not=(coffee,))
    assert And(Not(a), Not(b)) == Bool(must_not=(a, b))
    assert And(a, Bool(must_not=(b, c))) == Bool(must=(a,), must_not=(b, c))
    assert And(a, Bool(should=(b,), must_not=(c,))) == Bool(must=(a, Bool(should=(b,), must_not=(c,))))
    assert Or(a, b) == Bool(should=(a, b))
    assert Or(a, Not(b)) == Bool(should=(a, Bool(must_not=(b,))))
    assert Not(a) == Bool(must_not=(a,))
    assert type(And(a)) is Bool and And(a) == Bool(must=(a,))


def test_nodes_are_hashable_and_compare_by_value():
    tree = Bool(should=[a, Boost(Prefix("pric", "title"), 2)], must=(Range("date", "1987", None, False),))
    assert tree.should == (a, Boost(Prefix("pric", "title"), 2.0))  # a list is kept as a tuple
    same = Bool(should=(a, Boost(Prefix("pric", "title"), 2.0)), must=(Range("date", "1987", None, False),))
    assert tree == same and hash(tree) == hash(same)
    assert Range("price", None, "5", include_low=False) == Range("price", None, "5")  # an open end is included
    assert len({Term("a"), Term("a"), Term("a", "title")}) == 2


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: Term(""), ValueError, "Term.text must not be empty"),
    (lambda: Term(5), TypeError, "Term.text must be a str, got int"),
    (lambda: Term("a", "not a field"), ValueError, "Term.field must be a field name such as 'title'"),
    (lambda: Term("a", 3), TypeError, "Term.field must be a str or None, got int"),
    (lambda: Phrase("  "), ValueError, "Phrase.text must hold a word"),
    (lambda: Phrase("a b", slop=-1), ValueError, "Phrase.slop must be >= 0, got -1"),
    (lambda: Phrase("a b", slop=1.5), TypeError, "Phrase.slop must be an int"),
    (lambda: Prefix(""), ValueError, "Prefix.text must not be empty"),
    (lambda: Wildcard("abc"), ValueError, "needs a '\\*' or '\\?'"),
    (lambda: Wildcard("**"), ValueError, "must hold more than"),
    (lambda: Wildcard("a\\b*"), ValueError, "a backslash must escape"),
    (lambda: Fuzzy("a", distance=3), ValueError, "Fuzzy.distance must be 0, 1 or 2, got 3"),
    (lambda: Fuzzy("a", distance=True), TypeError, "Fuzzy.distance must be an int or None"),
    (lambda: Range(None), TypeError, "Range.field must be a str, got NoneType"),
    (lambda: Range("price", "*"), ValueError, "use None for an open end"),
    (lambda: Range("price", float("nan")), ValueError, "Range.low must be finite"),
    (lambda: Range("price", True), TypeError, "Range.low must be a str, int, float, date"),
    (lambda: Range("price", 1, [2]), TypeError, "Range.high must be a str"),
    (lambda: Range("price", 1, 2, include_low=1), TypeError, "Range.include_low must be a bool"),
    (lambda: Boost(a, 0), ValueError, "Boost.factor must be a finite number > 0, got 0"),
    (lambda: Boost(a, float("inf")), ValueError, "Boost.factor must be a finite number > 0"),
    (lambda: Boost(a, "2"), TypeError, "Boost.factor must be a number, got str"),
    (lambda: Boost("a", 2), TypeError, "Boost.node must be a query node, got str"),
    (lambda: Bool(should="a"), TypeError, "Bool.should must be a tuple of query nodes, got str"),
    (lambda: Bool(must=("a",)), TypeError, "Bool.must must hold query nodes, got str"),
    (lambda: And(), ValueError, "And\\(\\) needs at least one query node"),
    (lambda: Or(a, "b"), TypeError, "Or\\(\\) takes query nodes, got str"),
    (lambda: Not(None), TypeError, "Not\\(\\) takes query nodes, got NoneType"),
])
def test_nodes_check_their_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()
