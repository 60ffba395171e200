"""Hypothesis strategies: small corpora over a small vocabulary (so terms collide) and queries over it."""

from __future__ import annotations

from hypothesis import strategies as st

from searchcore import query as sc_query
from searchcore.schema import date_period

# Words chosen so that stemming merges some of them (visit/visits/visiting) and one is a stopword.
VOCABULARY = ["oil", "crude", "visit", "visits", "visiting", "minister", "belarus", "russia", "price",
              "prices", "opec", "the", "bank", "rates", "u.s.", "5.93"]

words = st.sampled_from(VOCABULARY)
texts = st.lists(words, min_size=0, max_size=12).map(" ".join)


@st.composite
def corpora(draw, min_docs: int = 1, max_docs: int = 14):
    n = draw(st.integers(min_docs, max_docs))
    return [{"id": f"d{i}", "title": draw(st.lists(words, max_size=4).map(" ".join)), "body": draw(texts)}
            for i in range(n)]


# A clause: (kind, text, field) where kind is "", "+" or "-", and text a word or a short "phrase".
clause_texts = st.one_of(words, st.lists(words, min_size=2, max_size=3).map(" ".join))
clauses = st.tuples(st.sampled_from(["", "", "+", "-"]), clause_texts, st.sampled_from([None, None, "title", "body"]))
queries = st.lists(clauses, min_size=1, max_size=4)


# -- query syntax and query trees (tests/properties/test_parser_props.py) ------------------------------------
# Pieces of query text biased to syntax, so that generated text hits operators, groups, fields and ranges.
SYNTAX_PIECES = ["(", ")", '"', ":", "^", "^2", "~", "~1", "*", "?", "[", "]", "{", "}", "+", "-", "!", "&&",
                 "||", "\\", "AND", "OR", "NOT", "TO", "title:", "date:", "price:", "titel:", "source:", ">=",
                 "<", " ", " ", " ", "oil", "pric", "1987-03-01", "10", "5.93", "U.S.", "multi-agent", "é"]
syntax_texts = st.lists(st.sampled_from(SYNTAX_PIECES), max_size=16).map("".join)
query_texts = st.one_of(st.text(max_size=40), syntax_texts, syntax_texts)

# Leaves of query trees: texts with syntax characters in them, fields of every kind a leaf can target.
WORD_FIELDS = [None, None, "title", "body", "topics", "id"]
leaf_texts = st.one_of(words, st.text(min_size=1, max_size=8),
                       st.sampled_from(["AND", "OR", "NOT", "&&", "||", "TO", "-x", "+1", "!", "a:b", "*", "?",
                                        "\\", "(", ")", '"', " ", "[a", "{", "<b", ">=", "x^2", "y~", "é"]))
word_fields = st.sampled_from(WORD_FIELDS)


@st.composite
def wildcard_patterns(draw):
    """A wildcard pattern as the parser writes it: a wildcard, more than '*', not a plain prefix such as
    ``pric*``; literal ``* ? \\`` escaped with a backslash."""
    units = draw(st.lists(st.one_of(st.tuples(st.sampled_from("*?"), st.just(True)),
                                    st.tuples(st.characters(codec="utf-8"), st.just(False))), min_size=1, max_size=6))
    stem = len(units)
    while stem and units[stem - 1] == ("*", True):
        stem -= 1
    if stem == 0 or not any(wild for _, wild in units[:stem]):  # no wildcard, only '*', or a plain prefix
        units = [("a", False), ("?", True)] + units
    return "".join("\\" + ch if not wild and ch in "*?\\" else ch for ch, wild in units)


date_values = st.one_of(st.dates().map(lambda d: d.isoformat()),
                        st.builds(lambda d, sep: d.isoformat(sep=sep), st.datetimes(), st.sampled_from("T ")))
number_values = st.one_of(st.integers(-10**6, 10**6).map(str),
                          st.floats(allow_nan=False, allow_infinity=False).map(repr),
                          st.sampled_from(["1e3", "+5", "-0.5", ".5", "7."]))


@st.composite
def ranges(draw):
    """A range with its ends in order (the parser swaps reversed ends, with a warning)."""
    field = draw(st.sampled_from(["date", "price"]))
    values = st.none() | (date_values if field == "date" else number_values)
    low, high = draw(values), draw(values)
    start = (lambda text: date_period(text)[0]) if field == "date" else float
    if low is not None and high is not None and start(low) > start(high):
        low, high = high, low
    return sc_query.Range(field, low, high, draw(st.booleans()), draw(st.booleans()))


def leaves():
    q = sc_query
    return st.one_of(
        st.builds(q.Term, leaf_texts, word_fields),
        st.builds(q.Phrase, leaf_texts.filter(lambda t: not t.isspace()), word_fields, st.integers(0, 3)),
        st.builds(q.Prefix, leaf_texts, word_fields),
        st.builds(q.Wildcard, wildcard_patterns(), word_fields),
        st.builds(q.Fuzzy, leaf_texts, word_fields, st.sampled_from([None, 0, 1, 2])),
        ranges(),
    )


boost_factors = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False).filter(lambda f: f > 0)
_LEAVES = leaves()


@st.composite
def nested_nodes(draw, depth: int = 3):
    """A query tree in the form the parser produces nested in another: a leaf, a Boost, or a Bool that is
    neither empty nor a lone should clause (the parser reads ``(x)`` as x)."""
    q = sc_query
    kind = draw(st.sampled_from(["leaf", "leaf", "bool", "boost"] if depth else ["leaf"]))
    if kind == "leaf":
        return draw(_LEAVES)
    if kind == "boost":
        return q.Boost(draw(nested_nodes(depth - 1)), draw(boost_factors))
    clauses = [tuple(draw(st.lists(nested_nodes(depth - 1), max_size=3))) for _ in range(3)]
    node = q.Bool(*clauses)
    if not (node.must or node.must_not or len(node.should) > 1):
        node = q.Bool(node.should, node.must, node.must_not + (draw(_LEAVES),))
    return node


@st.composite
def query_trees(draw):
    """A top-level query as the parser returns it: always a Bool, never a Bool around a lone Bool."""
    q = sc_query
    node = draw(nested_nodes())
    if isinstance(node, q.Bool):
        return node
    wrap = draw(st.sampled_from(["should", "must", "must_not", "empty"]))
    return q.Bool() if wrap == "empty" else q.Bool(**{wrap: (node,)})
