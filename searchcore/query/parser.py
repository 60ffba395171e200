r"""The query parser: user text -> a tree of query nodes, in Lucene's syntax with NOT > AND > OR precedence.

    oil crude                             either word (the default operator OR; with "AND": both)
    +oil -coffee                          oil must match, coffee must not (+ and - stand right before a clause)
    oil AND crude    oil && crude         both
    oil OR crude     oil || crude         either
    NOT coffee       !coffee              every document without coffee; side by side (oil NOT coffee) and
                                          after AND it excludes, as -coffee does; oil OR NOT coffee: either
    (oil OR gas) AND opec                 grouping. a OR b AND c is a OR (b AND c); side by side is the default
                                          operator at its precedence: a b AND c is a OR (b AND c) under OR,
                                          a b OR c is (a AND b) OR c under AND
    title:oil    title:"crude oil"        a field for one clause
    title:(oil "crude oil")               a field for every clause in the group
    "crude oil"~2                         a phrase whose words may stand 2 moves apart (slop)
    pric*    ne?s    *stan                prefix and wildcards: ? is one character, * any run
    shangfo~    shangfo~1                 fuzzy: within 0, 1 or 2 edits (no number: by the word's length)
    =experi    body:=increas              an index term as the index holds it, not analysed (a stem)
    date:[1987-03-01 TO 1987-03-31]       ranges on NUMERIC and DATE fields; { } leave an end out, * leaves it
    price:{10 TO *]    price:>=10         open; also >x <x <=x. date:1987-03-02 is the range [x TO x]. A DATE
    date:[1987 TO 1988-06]                end may be a year or a month (and a day), standing for all of it
    oil^2    (oil gas)^0.5    "a b"^1.5   boosts: a number > 0 right after the clause (and after its ~)
    \(    titel\:gas    \AND              a backslash makes the next character, or an operator word, text

AND, OR and NOT (upper case) are operators only between clauses (NOT: before one); elsewhere, and in
any other case, they are words. && and || are operators when they stand alone, ! before a clause.

Lenient mode (the default) never raises: whatever is not valid syntax (an unclosed quote or group, a
dangling operator, an unknown field, ``^`` without a number) is read as words or dropped, and each repair
is reported in :attr:`ParsedQuery.warnings` as a sentence naming the column and saying what was done.
A repair never makes an operator out of text: ``oil^-1`` drops ``^-1`` whole (it does not leave a
``-1`` clause), a field that cannot take its value has its name and value searched as the words they
are (``titel:gas`` is ``titel gas``), a slop above :data:`MAX_SLOP` is clamped and a range whose ends
are reversed has them swapped. The same repair made again is counted on one line, and at most
:data:`MAX_WARNINGS` lines are listed. Strict mode raises :class:`~searchcore.errors.QueryParseError`
at the first of them instead. ``str(node)`` writes the canonical form (see :mod:`searchcore.query.nodes`),
which parses back to the same node with the default operator OR.

>>> from searchcore.schema import Schema, TEXT, DATE
>>> schema = Schema(title=TEXT(), body=TEXT(), date=DATE())
>>> q = parse('+opec "crude oil" -titel:gas', schema)
>>> print(q.node)
+opec "crude oil" -(titel gas)
>>> q.warnings
["column 20: field 'titel' not in schema (fields: body, date, title): searched as words without the field: titel gas"]
>>> print(parse("title:(oil gas)^2 AND NOT date:[1987-03-01 TO *}", schema).node)
+(title:oil title:gas)^2 -date:[1987-03-01 TO *]
>>> parse("oil AND (gas", schema, strict=True)
Traceback (most recent call last):
...
searchcore.errors.QueryParseError: expected ')' to close the group opened at column 9: column 13
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import ArgumentError, ArgumentTypeError, QueryParseError
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT, Schema, date_period
from . import lexer
from .lexer import (AND, BACKSLASH, BAD_RANGE, BANG, CARET, END, FIELD, LPAREN, MINUS, MISSING, NOT, OR, PHRASE,
                    PLUS, RANGE, RPAREN, TILDE, UNCLOSED, WORD, Token)
from .nodes import And, Bool, Boost, Fuzzy, Node, Not, Or, Phrase, Prefix, Range, Term, Wildcard

# Text without any of these is plain words: syntax characters, a prefix operator or an operator word.
_SYNTAX = re.compile(r'[()"^~*?\\:]|(?<!\S)(?:[-+!=]|(?:AND|OR|NOT|&&|\|\|)(?!\S))')
_NUMBER_VALUE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SUFFIX_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")  # after ^ and ~: no sign
_COLUMN_REF = re.compile(r"column [0-9]+")

#: A phrase's slop is at most this (a larger one is clamped, or refused in strict mode).
MAX_SLOP = 1_000_000
#: At most this many warnings are listed; the same repair made again is counted on its first line.
MAX_WARNINGS = 10
#: Groups and NOTs nest at most this deep (Python's recursion limit), and so do the parentheses of the
#: canonical form: deeper ones are ignored (lenient) or refused (strict).
MAX_DEPTH = 64

# Token kinds that can start a clause, in two senses, and stray syntax a look-ahead may pass over.
_PRIMARY_STARTS = frozenset({WORD, PHRASE, LPAREN, FIELD, RANGE, BAD_RANGE, AND, OR, NOT})
_CLAUSE_STARTS = frozenset({WORD, PHRASE, LPAREN, FIELD, RANGE, BAD_RANGE, NOT, BANG, PLUS, MINUS})
_SILENT_STRAYS = frozenset({CARET, TILDE, UNCLOSED, BACKSLASH})

# How a clause takes part in the Bool around it.
SHOULD, MUST, MUST_NOT = "", "+", "-"
# Word kinds.
_TERM, _PREFIX, _WILDCARD, _STAR = "term", "prefix", "wildcard", "star"


class _Operand(NamedTuple):
    occur: str  # SHOULD, MUST or MUST_NOT: the + or - written before the clause
    node: Node
    negated: bool  # written as NOT x or !x (node is Not(x))


@dataclass(frozen=True)
class ParsedQuery:
    """The query tree and the repairs the lenient parser made to reach it (each a sentence naming
    the column)."""

    node: Bool
    warnings: list[str] = field(default_factory=list)


def parse(text: str, schema: Schema, *, strict: bool = False, default_operator: str = "OR") -> ParsedQuery:
    """Parse ``text`` into a :class:`Bool` query (see the module docstring for the syntax).

    Args:
        text: the query as the user typed it.
        schema: the index schema, to check ``field:`` prefixes and range values.
        strict: raise on the first syntax problem instead of repairing it.
        default_operator: ``"OR"`` or ``"AND"`` (any case): how clauses side by side combine.

    Returns:
        The query, always a :class:`Bool` at the top (the empty query is ``Bool()``), and the repairs.

    Raises:
        QueryParseError: only when ``strict``; ``.pos`` is the 0-based offset of the problem.
        TypeError: ``text`` is not a str.
        ValueError: ``default_operator`` is not AND or OR.
    """
    if not isinstance(text, str):
        raise ArgumentTypeError(f"query text must be a str, got {type(text).__name__}")
    operator = default_operator.upper() if isinstance(default_operator, str) else None
    if operator not in ("AND", "OR"):
        raise ArgumentError(f"default_operator must be 'AND' or 'OR', got {default_operator!r}")
    if _SYNTAX.search(text) is None:  # plain words, the everyday query: the grammar would give the same
        terms = tuple([Term.trusted(text=word, field=None) for word in text.split()])
        if operator == "AND" and len(terms) > 1:
            return ParsedQuery(Bool.trusted(should=(), must=terms, must_not=()))
        return ParsedQuery(Bool.trusted(should=terms, must=(), must_not=()))
    return _parse_grammar(text, schema, strict, operator == "AND")


def _parse_grammar(text: str, schema: Schema, strict: bool, default_and: bool) -> ParsedQuery:
    parser = _Parser(text, schema, strict, default_and)
    node = _group_node(parser.disjunction(0))
    if node is not None and _nesting(node) > MAX_DEPTH:
        # AND beside OR nests without parentheses in the text (a b AND (c) is a (+b +(c))), so the text can
        # stay within MAX_DEPTH while its canonical form would not: cut the tree, so that str() parses back.
        parser.repair(0, f"expected at most {MAX_DEPTH} nested groups and NOTs, counting the nesting of AND "
                      "beside OR", "the clauses nested deeper are ignored")
        node = _prune(node, MAX_DEPTH)
        if isinstance(node, Bool) and len(node.should) == 1 and isinstance(node.should[0], Bool) and not (
                node.must or node.must_not):
            node = node.should[0]
    if node is None:
        node = Bool()
    elif not isinstance(node, Bool):
        node = Bool(should=(node,))
    return ParsedQuery(node, parser.warnings())


class _Parser:
    """Recursive descent over tokens lexed on demand: what a character means depends on where it stands
    (right after ``field:``, ``-5`` is a value; inside ``date:( )``, ``[`` opens a range)."""

    def __init__(self, text: str, schema: Schema, strict: bool, default_and: bool) -> None:
        self.text = text
        self.length = len(text)
        self.schema = schema
        self.strict = strict
        self.default_and = default_and
        self.repairs = 0
        self._notes: dict[str, list] = {}  # repair without its columns -> [first warning, count]
        self.field: str | None = None  # the field of the enclosing field group
        self.pending: tuple[int, str] | None = None  # the repair fit() found, reported by as_words()
        self.tok = self.lex(0)

    # -- repairs ------------------------------------------------------------------------------------------
    def repair(self, pos: int, message: str, action: str, expected: str | None = None) -> None:
        """Strict: raise ``message``. Lenient: record it with what was done instead."""
        if self.strict:
            raise QueryParseError(message, self.text, pos, expected)
        self.repairs += 1
        note = f"{message}: {action}"
        kind = _COLUMN_REF.sub("column", note) if "column" in note else note
        seen = self._notes.get(kind)
        if seen is None:
            self._notes[kind] = [f"column {pos + 1}: {note}", 1]
        else:
            seen[1] += 1

    def warnings(self) -> list[str]:
        """The repairs as sentences: one line per kind of repair (with how often it was made), at most
        :data:`MAX_WARNINGS` lines, so that a query of 10,000 ``(`` does not print 10,000 notes."""
        lines = []
        for first, count in self._notes.values():
            lines.append(first if count == 1 else f"{first} (and {count - 1:,} more like it)")
        if len(lines) > MAX_WARNINGS:
            hidden = sum(count for _, count in list(self._notes.values())[MAX_WARNINGS - 1 :])
            lines[MAX_WARNINGS - 1 :] = [f"and {hidden:,} more repairs"]
        return lines

    # -- lexing (see .lexer) ----------------------------------------------------------------------------
    def lex(self, pos: int) -> Token:
        return lexer.lex(self.text, pos, self.field is not None)

    def lex_value(self, pos: int) -> Token:
        return lexer.lex_value(self.text, pos)

    def advance(self) -> None:
        self.tok = self.lex(self.tok.end)

    def skip_strays(self, depth: int) -> Token:
        """The current token, after repairing syntax that belongs to no clause."""
        while True:
            tok = self.tok
            kind = tok.kind
            if kind is CARET or kind is TILDE:
                self.repair(tok.start, f"expected {kind!r} right after a word, phrase or group", "ignored",
                            "a word, phrase or group")
            elif kind is UNCLOSED:
                self.repair(self.length, f"expected a '\"' to close the phrase opened at column {tok.start + 1}",
                            "the quote is ignored", "'\"'")
            elif kind is BACKSLASH:
                self.repair(tok.end, "expected a character after '\\'", "ignored", "a character")
            elif kind is RPAREN and depth == 0:
                self.repair(tok.start, "expected a clause or the end of the query; ')' closes no group",
                            "ignored", "a clause")
            else:
                return tok
            self.advance()

    def clause_follows(self, pos: int) -> bool:
        """Whether a clause starts at ``pos`` (looking past stray syntax, without repairing it)."""
        tok = self.lex(pos)
        while tok.kind in _SILENT_STRAYS:
            tok = self.lex(tok.end)
        return tok.kind in _CLAUSE_STARTS

    # -- grammar ------------------------------------------------------------------------------------------
    def joiner(self, depth: int) -> str:
        """What joins the next clause to the previous one: AND or OR (an operator between two clauses),
        WORD (the next clause stands beside the previous one), or END (the group or query ends)."""
        tok = self.skip_strays(depth)
        kind = tok.kind
        if kind is END or kind is RPAREN:
            return END
        if (kind is AND or kind is OR) and self.clause_follows(tok.end):
            return kind
        return WORD

    def disjunction(self, depth: int) -> _Operand | None:
        """Clauses joined by OR (and side by side, under the default operator OR)."""
        operands = [self.conjunction(depth)]
        joiners: list[str] = []
        while True:
            joiner = self.joiner(depth)
            assert joiner is not AND, "conjunction() takes every AND"
            if joiner is END:
                break
            if joiner is OR:
                self.advance()
            joiners.append(joiner)
            operands.append(self.conjunction(depth))
        return _combine_or(operands, joiners)

    def conjunction(self, depth: int) -> _Operand | None:
        """Clauses joined by AND (and side by side, under the default operator AND)."""
        operands = [self.unary(depth)]
        while True:
            joiner = self.joiner(depth)
            if joiner is AND:
                self.advance()
            elif not (joiner is WORD and self.default_and):
                break
            operands.append(self.unary(depth))
        present = [operand for operand in operands if operand is not None]
        if len(present) <= 1:
            return present[0] if present else None
        return _Operand(SHOULD, And(*(_materialise(o) for o in present)), False)

    def unary(self, depth: int) -> _Operand | None:
        """``NOT``/``!`` clauses, ``+``/``-`` clauses and plain clauses."""
        negations = 0
        occur = SHOULD
        while True:
            tok = self.skip_strays(depth)
            kind = tok.kind
            if kind is NOT or kind is BANG:
                if self.clause_follows(tok.end):
                    if depth + negations >= MAX_DEPTH:
                        self.repair(tok.start, f"expected at most {MAX_DEPTH} nested groups and NOTs", "ignored")
                    else:
                        negations += 1
                    self.advance()
                    continue
                if kind is BANG:
                    self.repair(tok.start, "expected a clause after '!'", "ignored", "a clause")
                    self.advance()
                    continue
                self.repair(tok.start, "expected a clause after 'NOT'", "searched as a word", "a clause")
                node = self.primary(depth + negations)
                break
            if kind is PLUS or kind is MINUS:
                following = self.lex(tok.end)
                if following.spaced or following.kind not in _PRIMARY_STARTS:
                    self.repair(tok.start, f"expected a word, phrase or group right after {kind!r}", "ignored",
                                "a word, phrase or group")
                    self.advance()
                    continue
                occur = MUST if kind is PLUS else MUST_NOT
                self.tok = following
                node = self.primary(depth + negations)
                break
            if kind is END or kind is RPAREN:
                node = None
                break
            if kind is AND or kind is OR:
                self.repair(tok.start, f"expected a clause on both sides of {tok.value!r}", "searched as a word",
                            "a clause")
            node = self.primary(depth + negations)
            break
        if node is None:
            return None
        if not negations:
            return _Operand(occur, node, False)
        node = _materialise(_Operand(occur, node, False))
        for _ in range(negations):
            node = Not(node)
        return _Operand(SHOULD, node, True)

    def primary(self, depth: int) -> Node | None:
        """A word, phrase, group, ``field:value`` or (in a field group) range, with its ``~`` and ``^``."""
        tok = self.tok
        kind = tok.kind
        if kind is LPAREN:
            return self.group(depth, self.field)
        if kind is FIELD:  # not advance(): lexing the value as a token between clauses costs its length
            return self.field_value(tok, depth)
        self.advance()
        if kind is PHRASE:
            return self.phrase(tok, None, tok.start)
        if kind is RANGE:
            return self.postfix(self.range(self.field, tok.start, tok))
        if kind is BAD_RANGE:
            return self.bad_range(tok)
        return self.word(tok.value, tok.start, None, tok.start)  # a word, or an operator word read as one

    def group(self, depth: int, group_field: str | None) -> Node | None:
        """``( ... )``, the current token being the ``(``; inside, ``group_field`` is the field."""
        opening = self.tok
        if depth >= MAX_DEPTH:
            self.repair(opening.start, f"expected at most {MAX_DEPTH} nested groups and NOTs", "ignored")
            self.advance()
            return None
        outer_field, self.field = self.field, group_field
        self.advance()  # the token after '(' is lexed with the group's field
        repairs_before = self.repairs
        operand = self.disjunction(depth + 1)
        self.field = outer_field
        if self.tok.kind is RPAREN:
            self.advance()
        else:
            self.repair(self.tok.start, f"expected ')' to close the group opened at column {opening.start + 1}",
                        "closed at the end of the query", "')'")
        node = _group_node(operand)
        if node is None and self.repairs == repairs_before:
            self.repair(opening.end, "expected a clause inside the parentheses", "the empty group is ignored",
                        "a clause")
        return self.postfix(node)

    def field_value(self, field_tok: Token, depth: int) -> Node | None:
        """What follows ``name:`` (the current token is still ``name:``)."""
        name, name_pos = field_tok.value, field_tok.start
        value = self.lex_value(field_tok.end)
        while value.kind is UNCLOSED:
            self.repair(self.length, f"expected a '\"' to close the phrase opened at column {value.start + 1}",
                        "the quote is ignored", "'\"'")
            value = self.lex_value(value.end)
        kind = value.kind
        if kind is MISSING:
            self.tok = self.lex(value.end)
            self.repair(value.start, f"expected a value right after '{name}:'", f"searched as the word {name!r}",
                        "a value")
            return self.word(name, name_pos, None, name_pos)
        if kind is LPAREN:
            self.tok = value
            message = self.unsearchable(name)
            if message is not None:
                self.repair(name_pos, message, "the group is searched without it")
            return self.group(depth, name if message is None else self.field)
        self.tok = self.lex(value.end)
        if kind is PHRASE:
            return self.phrase(value, name, name_pos)
        if kind is RANGE:
            return self.postfix(self.range(name, name_pos, value))
        if kind is BAD_RANGE:
            return self.bad_range(value)
        return self.word(value.value, value.start, name, name_pos)

    def postfix(self, node: Node | None) -> Node | None:
        """Apply the ``^boost`` standing right after a clause; a ``~`` here has nothing to apply to."""
        boosted = False
        while True:
            tok = self.tok
            if tok.spaced or (tok.kind is not CARET and tok.kind is not TILDE):
                return node
            self.advance()
            if node is None:  # the clause was dropped, and its suffixes with it
                continue
            if tok.kind is TILDE:
                self.repair(tok.start, "expected '~' only right after a plain word or a phrase", "ignored")
            elif boosted:
                self.repair(tok.start, "expected one boost per clause", "ignored")
            else:
                factor = float(tok.value) if _SUFFIX_NUMBER.fullmatch(tok.value) else 0.0
                if not (math.isfinite(factor) and factor > 0):
                    got = f", got {_shown(tok.value)}" if tok.value else ""
                    self.repair(tok.start + 1, f"expected a number > 0 after '^'{got}",
                                f"the boost '^{tok.value}' is ignored", "a number > 0")
                else:
                    node = Boost(node, factor)
                    boosted = True

    # -- leaves -------------------------------------------------------------------------------------------
    def word(self, raw: str, pos: int, name: str | None, name_pos: int) -> Node | None:
        """A word (the current token is the one after it): a term, prefix, wildcard or fuzzy term."""
        kind, text = _read_word(raw)
        if kind is _STAR:
            self.repair(pos, "expected a word around '*' ('*' alone would match every word)", "ignored",
                        "a word")
            return self.postfix(None)
        fuzzy = False
        distance = None
        tok = self.tok
        if kind is _TERM and tok.kind is TILDE and not tok.spaced:
            self.advance()
            fuzzy = True
            if tok.value:
                digits = tok.value.lstrip("0") or "0"
                if len(digits) > 1 or digits > "2" or not digits.isdigit():  # also 0.5, -1, 1e9
                    self.repair(tok.start + 1, "expected a fuzzy distance of 0, 1 or 2 after '~', got "
                                f"{_shown(tok.value)}", "the automatic distance is used", "0, 1 or 2")
                else:
                    distance = int(digits)
        target, value, beside = self.fit(name, name_pos, "fuzzy" if fuzzy else kind, text, pos)
        if value is not None:
            return self.postfix(value)
        if fuzzy:
            node: Node = Fuzzy(text, target, distance)
        elif kind is _TERM and raw.startswith("=") and len(text) > 1:  # =experi: an index term as it is
            node = Term(text[1:], target, analyzed=False)
        elif kind is _TERM:
            node = Term(text, target)
        elif kind is _PREFIX:
            node = Prefix(text, target)
        else:
            node = Wildcard(text, target)
        return self.postfix(self.as_words(beside, node))

    def phrase(self, tok: Token, name: str | None, name_pos: int) -> Node | None:
        """A quoted phrase (the current token is the one after it), with its ``~slop``."""
        text = tok.value
        slop = 0
        following = self.tok
        if following.kind is TILDE and not following.spaced:
            self.advance()
            slop = self.slop(following)
        if not text.strip():
            self.repair(tok.start, "expected words inside the quotes", "ignored", "a word")
            return self.postfix(None)
        target, value, beside = self.fit(name, name_pos, "slop" if slop else _TERM, text, tok.start)
        if value is not None:
            return self.postfix(value)
        return self.postfix(self.as_words(beside, Phrase(text, target, slop)))

    def slop(self, tok: Token) -> int:
        """The slop written after a phrase's ``~`` (0 when it is not a whole number >= 0), at most
        :data:`MAX_SLOP`."""
        number = tok.value
        value = float(number) if _SUFFIX_NUMBER.fullmatch(number) else -1.0  # inf for very long numbers
        if value == math.inf or value > MAX_SLOP:
            self.repair(tok.start + 1, f"expected a slop of at most {MAX_SLOP:,} after '~', got {_shown(number)}",
                        f"the slop {MAX_SLOP:,} is used", f"at most {MAX_SLOP}")
            return MAX_SLOP
        if value < 0 or value != int(value):
            got = f", got {_shown(number)}" if number else ""
            self.repair(tok.start + 1, f"expected a whole number (the slop) after '~'{got}",
                        "the slop is ignored (the words must stand side by side)", "a whole number")
            return 0
        return int(value)

    def fit(self, name: str | None, name_pos: int, kind: str, text: str, pos: int
            ) -> tuple[str | None, Range | None, Term | None]:
        """Where a leaf written ``name:text`` (or inside a field group when ``name`` is None) goes:
        (field, None, None) for a field that takes words, (field, Range, None) for one that holds
        values, and, with a repair, (None, None, beside) when the field cannot take it: then the leaf is
        searched without a field and ``beside`` (the field's name as a word, when it was written right
        before the value) with it, as :meth:`as_words` joins them."""
        target = name if name is not None else self.field
        if target is None:
            return None, None, None
        message = self.unsearchable(target)
        where = name_pos
        if message is None:
            ftype = self.schema[target]
            if isinstance(ftype, TEXT | KEYWORD | ID):
                return target, None, None
            if kind is not _TERM:
                what = {"fuzzy": "a fuzzy word", "slop": "a phrase with slop", _PREFIX: "a prefix",
                        _WILDCARD: "a wildcard"}[kind]
                message = f"field {target!r} is {ftype.kind.upper()} and takes a value or a range, not {what}"
            elif _valid_value(ftype, text):
                return target, Range(target, text, text), None
            else:
                message, where = _value_message(target, ftype, text), pos
        self.pending = (where, message)
        return None, None, (Term(name) if name is not None else None)

    def as_words(self, beside: Term | None, node: Node) -> Node:
        """``node`` (searched without a field), with the field's name written before it as a word of its
        own; reports the repair :meth:`fit` found, saying what is searched instead."""
        if self.pending is None:
            return node
        (where, message), self.pending = self.pending, None
        if beside is not None:
            node = And(beside, node) if self.default_and else Or(beside, node)
        self.repair(where, message, f"searched as words without the field: {node}")
        return node

    def unsearchable(self, name: str) -> str | None:
        """Why ``name:`` cannot be searched at all (not in the schema, or STORED), or None."""
        if name not in self.schema:
            return f"field {name!r} not in schema (fields: {', '.join(sorted(self.schema))})"
        ftype = self.schema[name]
        if not isinstance(ftype, TEXT | KEYWORD | ID | NUMERIC | DATE):
            return f"field {name!r} is {ftype.kind.upper()} and cannot be searched"
        return None

    def range(self, name: str | None, pos: int, tok: Token) -> Node | None:
        """A Range on ``name``, or its ends as words when the field or the values do not fit."""
        low, high, include_low, include_high, low_pos, high_pos = tok.value
        message = self.unsearchable(name)
        ftype = self.schema[name] if message is None else None
        if not isinstance(ftype, NUMERIC | DATE):
            if message is None:
                message = f"expected a NUMERIC or DATE field for a range; {name!r} is {ftype.kind.upper()}"
            self.repair(pos, message, "its ends are searched as words")
            return self.range_words(name, low, high)
        spans = []
        for value, value_pos in ((low, low_pos), (high, high_pos)):
            span = None if value is None else _value(ftype, value)
            if value is not None and span is None:
                self.repair(value_pos, _value_message(name, ftype, value), "its ends are searched as words")
                return self.range_words(name, low, high)
            spans.append(span)
        (low_span, high_span) = spans
        # Reversed: the lower end starts after the upper one (after it ends, for a year, month or day).
        if low_span is not None and high_span is not None and low_span[0] > high_span[0] and low_span[0] >= high_span[1]:
            self.repair(low_pos, f"expected the lower end of the range first, got {_shown(low)} before "
                        f"{_shown(high)} (the range would match nothing)", "the ends are swapped",
                        "the lower end first")
            return Range(name, high, low, include_high, include_low)
        return Range(name, low, high, include_low, include_high)

    def range_words(self, name: str | None, low: str | None, high: str | None) -> Node | None:
        ftype = self.schema[name] if name in self.schema else None
        target = name if isinstance(ftype, TEXT | KEYWORD | ID) else None
        terms = [Term(value, target) for value in (low, high) if value]
        if len(terms) <= 1:
            return terms[0] if terms else None
        return Bool(should=tuple(terms))

    def bad_range(self, tok: Token) -> None:
        pos, message, expected = tok.value
        self.repair(pos, message, "the range is searched as words", expected)
        return None


def _read_word(raw: str) -> tuple[str, str]:
    """(kind, text) of a word as written: a term (text unescaped), a prefix (text before the trailing
    ``*``), a wildcard (the pattern, literal ``* ? \\`` escaped) or a lone ``*``."""
    if "\\" not in raw and "*" not in raw and "?" not in raw:
        return _TERM, raw
    units: list[tuple[str, bool]] = []  # (character, is a wildcard)
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            units.append((raw[i + 1], False))
            i += 2
        else:
            units.append((ch, ch == "*" or ch == "?"))
            i += 1
    if not any(wild for _, wild in units):
        return _TERM, "".join(ch for ch, _ in units)
    stem = len(units)
    while stem and units[stem - 1] == ("*", True):
        stem -= 1
    if stem == 0:
        return _STAR, raw
    if not any(wild for _, wild in units[:stem]):
        return _PREFIX, "".join(ch for ch, _ in units[:stem])
    return _WILDCARD, "".join("\\" + ch if not wild and ch in "*?\\" else ch for ch, wild in units)



def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short when long."""
    return repr(text if len(text) <= 24 else text[:20] + "…")


def _valid_value(ftype: object, text: str) -> bool:
    return _value(ftype, text) is not None


def _value(ftype: object, text: str) -> tuple[float, float] | None:
    """(start, end) of a NUMERIC or DATE value written as ``text`` (``end > start`` for a DATE written as
    a year, a month or a day: see :func:`~searchcore.schema.date_period`), or None when it is not one."""
    if isinstance(ftype, NUMERIC):
        if _NUMBER_VALUE.fullmatch(text) is None or not math.isfinite(number := float(text)):
            return None
        return number, number
    try:
        return date_period(text)
    except (ValueError, OverflowError):
        return None


def _value_message(name: str, ftype: object, text: str) -> str:
    if isinstance(ftype, NUMERIC):
        return f"expected a number for NUMERIC field {name!r}, got {text!r}"
    return (f"expected an ISO 8601 date or date-time, or a year or month such as 1987 or 1987-03, for DATE field "
            f"{name!r}, got {text!r}")


def _nesting(node: Node) -> int:
    """How deep parentheses nest in the canonical form of ``node`` (see :mod:`.nodes`)."""
    if isinstance(node, Bool):
        clauses = node.should + node.must + node.must_not
        return max((isinstance(clause, Bool) + _nesting(clause) for clause in clauses), default=0)
    if isinstance(node, Boost):
        return isinstance(node.node, Bool | Boost) + _nesting(node.node)
    return 0


def _prune(node: Node, budget: int) -> Node | None:
    """``node`` without the clauses whose canonical form nests deeper than ``budget`` parentheses; a Bool
    left with one should clause is that clause (as ``(x)`` reads back), one left with none is None."""
    if isinstance(node, Boost):
        cost = isinstance(node.node, Bool | Boost)
        inner = _prune(node.node, budget - cost) if cost <= budget else None
        return None if inner is None else Boost(inner, node.factor)
    if not isinstance(node, Bool):
        return node
    kept = []
    for clauses in (node.should, node.must, node.must_not):
        pruned = (_prune(clause, budget - isinstance(clause, Bool)) if isinstance(clause, Bool) <= budget else None
                  for clause in clauses)
        kept.append(tuple(clause for clause in pruned if clause is not None))
    should, must, must_not = kept
    if not (must or must_not) and len(should) <= 1:
        return should[0] if should else None
    return Bool(should, must, must_not)


def _materialise(operand: _Operand) -> Node:
    """The operand as a node of its own: ``-x`` is Not(x)."""
    return Not(operand.node) if operand.occur is MUST_NOT else operand.node


def _combine_or(operands: list[_Operand | None], joiners: list[str]) -> _Operand | None:
    """One Bool of the operands: ``+x`` must, ``-x`` must not, others should. A ``NOT x`` side by side
    with the others (no OR next to it) is ``-x``, as in Lucene; next to an OR it is a clause of its own."""
    present = [operand for operand in operands if operand is not None]
    if len(present) <= 1:
        return present[0] if present else None
    should: list[Node] = []
    must: list[Node] = []
    must_not: list[Node] = []
    for i, operand in enumerate(operands):
        if operand is None:
            continue
        if operand.occur is MUST:
            must.append(operand.node)
        elif operand.occur is MUST_NOT:
            must_not.append(operand.node)
        elif operand.negated and (i == 0 or joiners[i - 1] is not OR) and (i == len(joiners) or joiners[i] is not OR):
            must_not.append(operand.node.must_not[0])  # type: ignore[attr-defined]
        else:
            should.append(operand.node)
    return _Operand(SHOULD, Bool(tuple(should), tuple(must), tuple(must_not)), False)


def _group_node(operand: _Operand | None) -> Node | None:
    """What a group (or the whole query) means: ``(x)`` is x, ``(+x)`` Bool(must=x), ``(-x)`` Not(x)."""
    if operand is None:
        return None
    if operand.occur is MUST:
        return Bool(must=(operand.node,))
    if operand.occur is MUST_NOT:
        return Bool(must_not=(operand.node,))
    return operand.node
