"""The query parser on arbitrary text: lenient parsing never raises, strict parsing agrees with it or
raises at a position inside the text, and the canonical form (str) parses back to the same tree."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

import searchcore as sc
from searchcore.query import parse
from searchcore.query.parser import MAX_WARNINGS, _parse_grammar
from tests.strategies import SYNTAX_PIECES, query_texts, query_trees

SCHEMA = sc.Schema(id=sc.ID(), title=sc.TEXT(), body=sc.TEXT(), topics=sc.KEYWORD(), date=sc.DATE(),
                   price=sc.NUMERIC(), source=sc.STORED())
SETTINGS = settings(max_examples=200, deadline=None)

# Text with the pieces the repairs are about: bad suffixes, year and month range ends, unknown fields.
REPAIR_PIECES = ["^-1", "^+2", "^1e400", "~-1", "~1e9", "~3", "~0.5", "1987", "1987-03", "1988", "1987-13",
                 "date:[", " TO ", "]", "price:[", "foo:", "source:", "date:", "-1"]
query_texts = st.one_of(query_texts, st.lists(st.sampled_from(SYNTAX_PIECES + REPAIR_PIECES), max_size=16).map("".join))


@SETTINGS
@given(text=query_texts)
def test_lenient_parse_never_raises_and_returns_a_bool(text):
    parsed = parse(text, SCHEMA)
    assert isinstance(parsed.node, sc.Bool)
    assert len(parsed.warnings) <= MAX_WARNINGS
    shown = parsed.warnings[:-1] if parsed.warnings[-1:] and parsed.warnings[-1].endswith(" more repairs") else parsed.warnings
    assert all(isinstance(w, str) and w.startswith("column ") for w in shown)


@SETTINGS
@given(text=query_texts)
def test_default_and_never_raises(text):
    assert isinstance(parse(text, SCHEMA, default_operator="AND").node, sc.Bool)


@SETTINGS
@example(text="oil^-1 foo:oil date:[1988 TO 1987-03]")
@example(text='"a b"~1e9 oil~-1')
@given(text=query_texts)
def test_canonical_form_of_parsed_text_parses_back_to_the_same_tree(text):
    node = parse(text, SCHEMA).node
    again = parse(str(node), SCHEMA)
    assert again.node == node
    assert again.warnings == []


@SETTINGS
@given(node=query_trees())
def test_canonical_form_of_a_tree_parses_back_to_it(node):
    parsed = parse(str(node), SCHEMA)
    assert parsed.node == node
    assert parsed.warnings == []
    assert parse(str(node), SCHEMA, strict=True).node == node


@SETTINGS
@given(text=query_texts)
def test_strict_agrees_with_lenient_or_raises_inside_the_text(text):
    lenient = parse(text, SCHEMA)
    try:
        strict = parse(text, SCHEMA, strict=True)
    except sc.QueryParseError as error:
        assert 0 <= error.pos <= len(text)
        assert lenient.warnings, "strict mode raised where lenient mode repaired nothing"
        assert error.query == text
    else:
        assert strict.node == lenient.node
        assert lenient.warnings == [] and strict.warnings == []


# Text that is mostly plain words, so that parse() often takes its shortcut for them.
plain_texts = st.lists(st.sampled_from(["oil", "multi-agent", "don't", "5.93", "U.S.", "a&&b", "x!", "c++", "ANDx",
                                        "and", "Or", "é", " ", " ", "\t", "\u00a0", "\u2003", "-", "AND", "||"]),
                       max_size=8).map("".join)


@SETTINGS
@example(text="multi-agent\u00a0don't", default_and=True)
@given(text=plain_texts, default_and=st.booleans())
def test_shortcut_for_plain_words_equals_the_grammar(text, default_and):
    operator = "AND" if default_and else "OR"
    assert parse(text, SCHEMA, default_operator=operator) == _parse_grammar(text, SCHEMA, False, default_and)
