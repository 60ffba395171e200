"""Query nodes: small frozen dataclasses whose ``str()`` is the query syntax that parses back to them.

Text in a node is what the user wrote; the searcher runs it through the target field's analyzer.

>>> str(Bool(should=(Term("oil"),), must=(Term("opec"),), must_not=(Phrase("crude oil", "title"),)))
'+opec oil -title:"crude oil"'
"""

from __future__ import annotations

from dataclasses import dataclass


class Node:
    """Base class of query nodes."""


def _field_prefix(field: str | None) -> str:
    return f"{field}:" if field else ""


@dataclass(frozen=True)
class Term(Node):
    """Documents holding the word ``text`` in ``field`` (None: the searcher's default fields).

    A word the analyzer splits into several terms (``high-level``) matches them as a phrase.
    """

    text: str
    field: str | None = None

    def __str__(self) -> str:
        return _field_prefix(self.field) + self.text


@dataclass(frozen=True)
class Phrase(Node):
    """Documents holding the words of ``text`` next to each other, in order (stopwords leave their gap)."""

    text: str
    field: str | None = None

    def __str__(self) -> str:
        return f'{_field_prefix(self.field)}"{self.text}"'


@dataclass(frozen=True)
class Bool(Node):
    """Lucene's boolean query: every ``must`` clause matches, no ``must_not`` clause does and, when there
    is no ``must`` clause, at least one ``should`` clause does. Matching must and should clauses add
    their scores; must_not clauses only exclude. A query of must_not clauses alone matches nothing.
    """

    should: tuple[Node, ...] = ()
    must: tuple[Node, ...] = ()
    must_not: tuple[Node, ...] = ()

    def __str__(self) -> str:
        parts = [f"+{_nested(n)}" for n in self.must]
        parts += [_nested(n) for n in self.should]
        parts += [f"-{_nested(n)}" for n in self.must_not]
        return " ".join(parts)


def _nested(node: Node) -> str:
    return f"({node})" if isinstance(node, Bool) else str(node)
