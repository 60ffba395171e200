"""Query nodes: small frozen dataclasses whose ``str()`` is the query syntax that parses back to them.

Text in a node is what the user wrote; the searcher runs it through the target field's analyzer.
A ``field`` of None means the searcher's default fields. What each node matches:

    Term(text, field)                     documents holding the word (a word the analyzer splits, such as
                                          multi-agent, matches as a phrase)
    Phrase(text, field, slop)             the words in order, at most ``slop`` position moves apart
    Prefix(text, field)                   a term starting with ``text``
    Wildcard(pattern, field)              a term the whole pattern matches: ``?`` one character, ``*`` any
                                          run of characters, a backslash makes the next ``* ? \\`` literal
    Fuzzy(text, field, distance)          a term within ``distance`` Damerau-Levenshtein edits (None:
                                          automatic by length, see :meth:`Fuzzy.max_edits`)
    Range(field, low, high,               a NUMERIC or DATE value between the ends (None: an open end)
          include_low, include_high)
    Boost(node, factor)                   what ``node`` matches, its score times ``factor``
    Bool(should, must, must_not)          Lucene's boolean query, where must_not alone is a logical NOT

``And(*nodes)``, ``Or(*nodes)`` and ``Not(node)`` are functions that build :class:`Bool` nodes.

>>> str(Bool(should=(Term("oil"),), must=(Term("opec"),), must_not=(Phrase("crude oil", "title"),)))
'+opec oil -title:"crude oil"'
>>> And(Term("oil"), Not(Term("coffee")))
Bool(should=(), must=(Term(text='oil', field=None),), must_not=(Term(text='coffee', field=None),))
>>> print(Or(Boost(Prefix("pric", "title"), 2), Range("date", "1987-03-01", None, include_low=False)))
title:pric*^2 date:{1987-03-01 TO *]

Canonical form (what ``str()`` writes): a Bool writes its must clauses first (``+``), then its should
clauses (bare), then its must_not clauses (``-``), nested Bools in parentheses. A word is escaped with a
backslash before whitespace and ``\\ ( ) " ^ ~ * ? :``, before a leading ``+ - ! [ { < >``, and an
operator word (``AND OR NOT && ||``) gets a leading backslash. Inside a phrase or a quoted range end,
only ``"`` and ``\\`` are escaped, and a range end is quoted when it holds whitespace, a bracket, a
quote or a backslash. A Boost puts a Bool or a Boost it holds in parentheses: ``(a b)^2``. Numbers are
written in Python's shortest form, without a trailing ``.0``. The canonical form is read with the
default operator OR: under ``default_operator="AND"`` its bare should clauses would become must clauses.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from ..errors import ArgumentError, ArgumentTypeError

#: Words that are operators in query text; a Term with one of them as text is written ``\AND``.
OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "&&", "||"})

_ESCAPE_ANYWHERE = frozenset('\\()"^~*?:')
_ESCAPE_FIRST = frozenset("+-![{<>=")
_NEEDS_ESCAPE = re.compile(r'[\s\\()"^~*?:]|^[-+!\[{<>=]')
_SPACE_CHAR = re.compile(r"\s")
_BARE_ENDPOINT = re.compile(r'[^\s\[\]{}"\\]+')


class Node:
    """Base class of query nodes."""

    __slots__ = ()

    @classmethod
    def trusted(cls, **values: object) -> Node:
        """A node of values the caller has already checked (the parser's fast path for plain words), made
        without the checks of ``__init__``: the same node, in a fraction of the time."""
        node = cls.__new__(cls)
        node.__dict__.update(values)
        return node


def escape_word(text: str) -> str:
    """``text`` written as one word of query syntax that reads back as exactly ``text``.

    >>> escape_word("multi-agent"), escape_word("titel:gas"), escape_word("AND"), escape_word("-5")
    ('multi-agent', 'titel\\\\:gas', '\\\\AND', '\\\\-5')
    """
    if text in OPERATOR_WORDS:
        return "\\" + text
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return "".join(_escape_char(ch, i == 0, "") for i, ch in enumerate(text))


def _escape_char(ch: str, first: bool, keep: str) -> str:
    if ch not in keep and (ch in _ESCAPE_ANYWHERE or (first and ch in _ESCAPE_FIRST) or _SPACE_CHAR.match(ch)):
        return "\\" + ch
    return ch


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field_prefix(field: str | None) -> str:
    return f"{field}:" if field else ""


def _check_text(node: str, name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{node}.{name} must be a str, got {type(value).__name__}")
    if not value:
        raise ArgumentError(f"{node}.{name} must not be empty")


def _check_field(node: str, field: object, required: bool = False) -> None:
    if field is None and not required:
        return
    if not isinstance(field, str):
        raise ArgumentTypeError(f"{node}.field must be a str{'' if required else ' or None'}, got {type(field).__name__}")
    if not field.isidentifier():
        raise ArgumentError(f"{node}.field must be a field name such as 'title', got {field!r}")


@dataclass(frozen=True)
class Term(Node):
    """Documents holding the word ``text`` in ``field`` (None: the searcher's default fields).

    A word the analyzer splits into several terms (``high-level``) matches them as a phrase. With
    ``analyzed=False``, ``text`` is an index term as the index holds it (``experi``, the stem of
    "experience"), looked up as it is: what a program holding index terms (from a term list, an
    expansion, an explanation) searches with, since a stem need not analyse back to itself. In query
    syntax, a word written with a leading ``=``: ``=experi``, ``body:=experi``.
    """

    text: str
    field: str | None = None
    analyzed: bool = True

    def __post_init__(self) -> None:
        _check_text("Term", "text", self.text)
        _check_field("Term", self.field)
        if not isinstance(self.analyzed, bool):
            raise ArgumentTypeError(f"Term.analyzed must be True or False, got {self.analyzed!r}")

    def __str__(self) -> str:
        return _field_prefix(self.field) + ("" if self.analyzed else "=") + escape_word(self.text)

    def __repr__(self) -> str:  # analyzed shown only when it is not the default
        raw = "" if self.analyzed else ", analyzed=False"
        return f"Term(text={self.text!r}, field={self.field!r}{raw})"


@dataclass(frozen=True)
class Phrase(Node):
    """Documents holding the words of ``text`` in order (stopwords leave their gap), at most ``slop``
    position moves away from adjacent, as Lucene's PhraseQuery slop counts them.
    """

    text: str
    field: str | None = None
    slop: int = 0

    def __post_init__(self) -> None:
        _check_text("Phrase", "text", self.text)
        if self.text.isspace():
            raise ArgumentError("Phrase.text must hold a word, got only whitespace")
        _check_field("Phrase", self.field)
        if isinstance(self.slop, bool) or not isinstance(self.slop, int):
            raise ArgumentTypeError(f"Phrase.slop must be an int, got {type(self.slop).__name__}")
        if self.slop < 0:
            raise ArgumentError(f"Phrase.slop must be >= 0, got {self.slop}")

    def __str__(self) -> str:
        return _field_prefix(self.field) + _quote(self.text) + (f"~{self.slop}" if self.slop else "")


@dataclass(frozen=True)
class Prefix(Node):
    """Documents holding a term that starts with ``text`` (``pric*`` finds price, prices, pricing)."""

    text: str
    field: str | None = None

    def __post_init__(self) -> None:
        _check_text("Prefix", "text", self.text)
        _check_field("Prefix", self.field)

    def __str__(self) -> str:
        return _field_prefix(self.field) + escape_word(self.text) + "*"


@dataclass(frozen=True)
class Wildcard(Node):
    """Documents holding a term the whole ``pattern`` matches: ``?`` is exactly one character, ``*`` any
    run of characters (also none), and a backslash makes the ``*``, ``?`` or ``\\`` after it literal.

    A pattern needs a wildcard and something besides ``*``: ``*`` alone would match every term.
    ``Wildcard("pric*")`` means ``Prefix("pric")``, and the parser reads ``pric*`` as the Prefix.

    >>> Wildcard("ne?s").regex(), Wildcard(r"a\\*b*").regex()
    ('ne.s', 'a\\\\*b.*')
    """

    pattern: str
    field: str | None = None

    def __post_init__(self) -> None:
        _check_text("Wildcard", "pattern", self.pattern)
        _check_field("Wildcard", self.field)
        wildcards = literal = 0
        units = _pattern_units(self.pattern)
        for ch, wild in units:
            wildcards += wild
            literal += not wild or ch == "?"
        if not wildcards:
            raise ArgumentError(f"Wildcard.pattern needs a '*' or '?', got {self.pattern!r} (use Term)")
        if not literal:
            raise ArgumentError(f"Wildcard.pattern must hold more than '*', got {self.pattern!r}")

    def regex(self) -> str:
        """The pattern as a regular expression (for ``re.fullmatch``) over a whole term."""
        return "".join((".*" if ch == "*" else ".") if wild else re.escape(ch)
                       for ch, wild in _pattern_units(self.pattern))

    def __str__(self) -> str:
        out = []
        pattern = self.pattern
        i = 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\":  # already an escape in the pattern: \* \? \\
                out.append(pattern[i : i + 2])
                i += 2
                continue
            out.append(_escape_char(ch, i == 0, "*?"))
            i += 1
        return _field_prefix(self.field) + "".join(out)


def _pattern_units(pattern: str) -> list[tuple[str, bool]]:
    """The characters of a wildcard pattern, each with True where it is a wildcard."""
    units = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 == len(pattern) or pattern[i + 1] not in "*?\\":
                raise ArgumentError(f"Wildcard.pattern: a backslash must escape '*', '?' or '\\', got {pattern!r}")
            units.append((pattern[i + 1], False))
            i += 2
        else:
            units.append((ch, ch in "*?"))
            i += 1
    return units


@dataclass(frozen=True)
class Fuzzy(Node):
    """Documents holding a term within ``distance`` Damerau-Levenshtein edits of ``text`` (an edit inserts,
    deletes or replaces a character, or swaps two adjacent ones). ``distance`` None is automatic.
    """

    text: str
    field: str | None = None
    distance: int | None = None

    def __post_init__(self) -> None:
        _check_text("Fuzzy", "text", self.text)
        _check_field("Fuzzy", self.field)
        if self.distance is not None:
            if isinstance(self.distance, bool) or not isinstance(self.distance, int):
                raise ArgumentTypeError(f"Fuzzy.distance must be an int or None, got {type(self.distance).__name__}")
            if not 0 <= self.distance <= 2:
                raise ArgumentError(f"Fuzzy.distance must be 0, 1 or 2, got {self.distance}")

    def max_edits(self, term: str | None = None) -> int:
        """The edits allowed for ``term`` (default: ``text``): ``distance``, or when it is None, as
        Elasticsearch's AUTO: 0 for terms of 1-2 characters, 1 for 3-5, 2 for longer ones.

        >>> Fuzzy("oil").max_edits(), Fuzzy("shangfo").max_edits(), Fuzzy("shangfo", distance=1).max_edits()
        (1, 2, 1)
        """
        if self.distance is not None:
            return self.distance
        length = len(self.text if term is None else term)
        return 0 if length <= 2 else 1 if length <= 5 else 2

    def __str__(self) -> str:
        distance = "" if self.distance is None else str(self.distance)
        return f"{_field_prefix(self.field)}{escape_word(self.text)}~{distance}"


Endpoint = str | int | float | dt.date | None


@dataclass(frozen=True)
class Range(Node):
    """Documents whose NUMERIC or DATE ``field`` holds a value between ``low`` and ``high``.

    An end of None is open (and counts as included). The parser keeps each end as the text the user
    wrote (``"1987-03-01"``, ``"10"``); programs may pass numbers, dates and datetimes as well.
    """

    field: str
    low: Endpoint = None
    high: Endpoint = None
    include_low: bool = True
    include_high: bool = True

    def __post_init__(self) -> None:
        _check_field("Range", self.field, required=True)
        for name in ("low", "high"):
            _check_endpoint(name, getattr(self, name))
        for name in ("include_low", "include_high"):
            if not isinstance(getattr(self, name), bool):
                raise ArgumentTypeError(f"Range.{name} must be a bool, got {type(getattr(self, name)).__name__}")
        # an open end includes everything, so the flag is normalised: equal ranges compare equal
        if self.low is None:
            object.__setattr__(self, "include_low", True)
        if self.high is None:
            object.__setattr__(self, "include_high", True)

    def __str__(self) -> str:
        opening = "[" if self.include_low else "{"
        closing = "]" if self.include_high else "}"
        return f"{self.field}:{opening}{_endpoint_text(self.low)} TO {_endpoint_text(self.high)}{closing}"


def _check_endpoint(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, str | int | float | dt.date):
        raise ArgumentTypeError(f"Range.{name} must be a str, int, float, date, datetime or None, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ArgumentError(f"Range.{name} must be finite, got {value}")
    if isinstance(value, str) and (not value or value == "*"):
        raise ArgumentError(f"Range.{name} must be a value, got {value!r} (use None for an open end)")


def _endpoint_text(value: Endpoint) -> str:
    if value is None:
        return "*"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _number_text(value)
    text = str(value)
    return text if _BARE_ENDPOINT.fullmatch(text) else _quote(text)


def _number_text(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Boost(Node):
    """What ``node`` matches, with its score multiplied by ``factor`` (a finite number > 0)."""

    node: Node
    factor: float

    def __post_init__(self) -> None:
        if not isinstance(self.node, Node):
            raise ArgumentTypeError(f"Boost.node must be a query node, got {type(self.node).__name__}")
        if isinstance(self.factor, bool) or not isinstance(self.factor, int | float):
            raise ArgumentTypeError(f"Boost.factor must be a number, got {type(self.factor).__name__}")
        if not (math.isfinite(self.factor) and self.factor > 0):
            raise ArgumentError(f"Boost.factor must be a finite number > 0, got {self.factor}")
        object.__setattr__(self, "factor", float(self.factor))

    def __str__(self) -> str:
        inner = str(self.node)
        if isinstance(self.node, Bool | Boost):
            inner = f"({inner})"
        return f"{inner}^{_number_text(self.factor)}"


@dataclass(frozen=True)
class Bool(Node):
    """Lucene's boolean query: every ``must`` clause matches, no ``must_not`` clause does and, when there
    is no ``must`` clause, at least one ``should`` clause does. Matching must and should clauses add
    their scores; must_not clauses only exclude.

    One difference from Lucene: a Bool of must_not clauses alone matches every document that matches
    none of them, with score 0 (a logical NOT), so ``NOT coffee`` and ``oil OR NOT coffee`` mean what
    they say. Lists are accepted and stored as tuples.
    """

    should: tuple[Node, ...] = ()
    must: tuple[Node, ...] = ()
    must_not: tuple[Node, ...] = ()

    def __post_init__(self) -> None:
        for name in ("should", "must", "must_not"):
            clauses = getattr(self, name)
            if isinstance(clauses, list):
                clauses = tuple(clauses)
                object.__setattr__(self, name, clauses)
            if not isinstance(clauses, tuple):
                raise ArgumentTypeError(f"Bool.{name} must be a tuple of query nodes, got {type(clauses).__name__}")
            for clause in clauses:
                if not isinstance(clause, Node):
                    raise ArgumentTypeError(f"Bool.{name} must hold query nodes, got {type(clause).__name__}")

    def __str__(self) -> str:
        parts = [f"+{_nested(n)}" for n in self.must]
        parts += [_nested(n) for n in self.should]
        parts += [f"-{_nested(n)}" for n in self.must_not]
        return " ".join(parts)


def _nested(node: Node) -> str:
    return f"({node})" if isinstance(node, Bool) else str(node)


def _check_nodes(name: str, nodes: tuple[object, ...]) -> None:
    if not nodes:
        raise ArgumentError(f"{name}() needs at least one query node")
    for node in nodes:
        if not isinstance(node, Node):
            raise ArgumentTypeError(f"{name}() takes query nodes, got {type(node).__name__}")


def _is_negation(node: Node) -> bool:
    """True for a Bool of must_not clauses only (what Not() builds)."""
    return isinstance(node, Bool) and bool(node.must_not) and not node.should and not node.must


def And(*nodes: Node) -> Bool:  # noqa: N802 - reads as a node constructor
    """A Bool that every node must match. A negation among them (a Bool of must_not clauses only,
    such as ``Not(x)``) adds its clauses to must_not instead of nesting.

    >>> And(Term("oil"), Not(Term("coffee"))) == Bool(must=(Term("oil"),), must_not=(Term("coffee"),))
    True
    """
    _check_nodes("And", nodes)
    must: list[Node] = []
    must_not: list[Node] = []
    for node in nodes:
        if _is_negation(node):
            must_not.extend(node.must_not)  # type: ignore[attr-defined]
        else:
            must.append(node)
    return Bool(must=tuple(must), must_not=tuple(must_not))


def Or(*nodes: Node) -> Bool:  # noqa: N802
    """A Bool that at least one node must match: ``Bool(should=nodes)``."""
    _check_nodes("Or", nodes)
    return Bool(should=nodes)


def Not(node: Node) -> Bool:  # noqa: N802
    """A Bool matching every document that ``node`` does not match: ``Bool(must_not=(node,))``."""
    _check_nodes("Not", (node,))
    return Bool(must_not=(node,))
