"""The query parser: user text -> a Bool of Term and Phrase clauses. It never raises on user text.

Syntax: words (any may match), ``+word`` (must match), ``-word`` (must not match), ``"a phrase"``,
``field:word`` and ``field:"a phrase"``, freely combined. Whatever is not valid syntax (an unclosed quote,
an unknown field, a field that cannot be searched by words) is searched as plain words, and each such
repair is reported in :attr:`ParsedQuery.warnings`.

>>> from searchcore.schema import Schema, TEXT
>>> q = parse('+opec "crude oil" -titel:gas', Schema(title=TEXT(), body=TEXT()))
>>> str(q.node), q.warnings
('+opec "crude oil" -"titel:gas"', ["field 'titel' not in schema (fields: body, title): searched as words"])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..schema import ID, KEYWORD, TEXT, Schema
from .nodes import Bool, Node, Phrase, Term

_CLAUSE = re.compile(r'(?P<op>[+-]?)(?:(?P<field>[^\W\d]\w*):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ParsedQuery:
    """The query tree and the repairs the lenient parser made to reach it."""

    node: Bool
    warnings: list[str] = field(default_factory=list)


def parse(text: str, schema: Schema) -> ParsedQuery:
    """Parse ``text`` into a :class:`Bool` query. Never raises: invalid syntax is read as words.

    Args:
        text: the query as the user typed it.
        schema: the index schema, to check ``field:`` prefixes.
    """
    should: list[Node] = []
    must: list[Node] = []
    must_not: list[Node] = []
    warnings: list[str] = []
    pos = 0
    while pos < len(text):
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
            continue
        match = _CLAUSE.match(text, pos)
        if match is None:  # a lone quote, or + or - before one: skip the character
            warnings.append(f"unmatched {text[pos]!r} at column {pos + 1}: ignored")
            pos += 1
            continue
        pos = match.end()
        op, name, phrase, word = match.group("op", "field", "phrase", "word")
        if name is not None and not _searchable_by_words(schema, name, warnings):
            # "titel:gas" is read as the words it holds, next to each other as typed
            phrase, name = match.group()[len(op):].replace('"', " "), None
        if phrase is not None:
            if not phrase.strip():
                continue
            clause: Node = Phrase(phrase, name)
        else:
            clause = Term(word, name)
        {"+": must, "-": must_not, "": should}[op].append(clause)
    return ParsedQuery(Bool(tuple(should), tuple(must), tuple(must_not)), warnings)


def _searchable_by_words(schema: Schema, name: str, warnings: list[str]) -> bool:
    if name not in schema:
        warnings.append(f"field {name!r} not in schema (fields: {', '.join(sorted(schema))}): searched as words")
        return False
    if not isinstance(schema[name], TEXT | KEYWORD | ID):
        warnings.append(f"field {name!r} is {schema[name].kind.upper()} and cannot be searched by words: "
                        f"searched as words")
        return False
    return True
