"""The query lexer: the tokens of query text, read on demand by the parser (:mod:`.parser`).

What a character means depends on where it stands, so the parser asks for the token at a position in
one of two contexts: between clauses (:func:`lex`) or right after ``field:`` (:func:`lex_value`), where
``-5`` is a value and ``[`` opens a range.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_SPACE = re.compile(r"\s*")
_WORD = re.compile(r'(?:\\.|[^\s()"^~\\])+', re.DOTALL)
_FIELD = re.compile(r"([^\W\d]\w*):")
_PHRASE = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
# What a ^ or ~ takes: everything up to the next space, parenthesis, quote, ^ or ~ (the parser checks it).
_SUFFIX = re.compile(r'[^\s()"^~]*')
_RANGE_END = re.compile(r'"((?:\\.|[^"\\])*)"|([^\s\[\]{}"\\]+)', re.DOTALL)
_RANGE_TO = re.compile(r"\s+TO\b\s*")
_COMPARISON = re.compile(r"[<>]=?")
_COMPARISON_END = re.compile(r'"((?:\\.|[^"\\])*)"|([^\s()"^~\\\[\]{}]+)', re.DOTALL)

# Token kinds. Operators: AND, OR, NOT (the words, or && || !). Strays are syntax that nothing takes.
END, LPAREN, RPAREN, WORD, PHRASE, FIELD = "end", "(", ")", "word", "phrase", "field"
RANGE, BAD_RANGE = "range", "bad range"
AND, OR, NOT, BANG, PLUS, MINUS, CARET, TILDE = "AND", "OR", "NOT", "!", "+", "-", "^", "~"
UNCLOSED, BACKSLASH, MISSING = "unclosed quote", "backslash", "missing value"
_OPERATORS = {"AND": AND, "&&": AND, "OR": OR, "||": OR, "NOT": NOT}
_PUNCTUATION = {"(": LPAREN, ")": RPAREN, "+": PLUS, "-": MINUS, "!": BANG}


class Token(NamedTuple):
    """One token: for ``^`` and ``~`` the value is the text glued after them ("" when none)."""

    kind: str
    start: int
    end: int
    value: object
    spaced: bool  # whitespace stands right before it


def lex(text: str, pos: int, in_field_group: bool = False) -> Token:
    """The token at ``pos`` (after whitespace) between clauses; inside a field group (``date:( )``) a
    ``[ { < >`` there opens a range."""
    start = _SPACE.match(text, pos).end()
    spaced = start > pos
    if start >= len(text):
        return Token(END, start, start, None, spaced)
    ch = text[start]
    if ch in _PUNCTUATION:  # ( ) + - !
        return Token(_PUNCTUATION[ch], start, start + 1, ch, spaced)
    if ch == '"':
        return lex_phrase(text, start, spaced)
    if ch == "^" or ch == "~":  # the whole suffix, so that ^-1 can never leave a "-1" clause behind
        end = _SUFFIX.match(text, start + 1).end()
        return Token(CARET if ch == "^" else TILDE, start, end, text[start + 1 : end], spaced)
    if in_field_group and ch in "[{<>":
        return lex_range(text, start, spaced)
    match = _FIELD.match(text, start)
    if match:
        return Token(FIELD, start, match.end(), match.group(1), spaced)
    match = _WORD.match(text, start)
    if match is None:  # a backslash at the very end
        return Token(BACKSLASH, start, start + 1, None, spaced)
    raw = match.group()
    return Token(_OPERATORS.get(raw, WORD), start, match.end(), raw, spaced)

def lex_value(text: str, pos: int) -> Token:
    """The token right after ``field:``: a word (which may start with - + !), phrase, group or range."""
    if pos >= len(text):
        return Token(MISSING, pos, pos, None, False)
    ch = text[pos]
    if ch == "(":
        return Token(LPAREN, pos, pos + 1, None, False)
    if ch == '"':
        return lex_phrase(text, pos, False)
    if ch in "[{<>":
        return lex_range(text, pos, False)
    match = _WORD.match(text, pos)
    if match is None:
        return Token(MISSING, pos, pos, None, False)
    return Token(WORD, pos, match.end(), match.group(), False)

def lex_phrase(text: str, start: int, spaced: bool) -> Token:
    """A quoted phrase, its escapes resolved; UNCLOSED when no quote closes it."""
    match = _PHRASE.match(text, start)
    if match is None:
        return Token(UNCLOSED, start, start + 1, None, spaced)
    body = match.group(1)
    return Token(PHRASE, start, match.end(), _ESCAPED.sub(r"\1", body) if "\\" in body else body, spaced)

def lex_range(text: str, start: int, spaced: bool) -> Token:
    """``[low TO high]`` (either bracket may be ``{ }``) or ``>x``, ``>=x``, ``<x``, ``<=x``. A
    RANGE token's value is (low, high, include_low, include_high, low_pos, high_pos); a BAD_RANGE's
    is (pos, message, expected) and it spans only the opening character."""
    if text[start] in "<>":
        operator = _COMPARISON.match(text, start).group()
        end = _COMPARISON_END.match(text, start + len(operator))
        value = end_text(end) if end else None
        if value is None:
            problem = (start + len(operator), f"expected a value after {operator!r}", "a value")
            return Token(BAD_RANGE, start, start + len(operator), problem, spaced)
        pos = start + len(operator)
        if operator[0] == ">":
            bounds = (value, None, operator == ">=", True, pos, pos)
        else:
            bounds = (None, value, True, operator == "<=", pos, pos)
        return Token(RANGE, start, end.end(), bounds, spaced)
    low_pos = _SPACE.match(text, start + 1).end()
    low = _RANGE_END.match(text, low_pos)
    if low is None:
        problem = (low_pos, "expected the lower end of the range (a value or *)", "a value or '*'")
        return Token(BAD_RANGE, start, start + 1, problem, spaced)
    to = _RANGE_TO.match(text, low.end())
    if to is None:
        problem = (_SPACE.match(text, low.end()).end(), "expected ' TO ' between the ends of the range", "'TO'")
        return Token(BAD_RANGE, start, start + 1, problem, spaced)
    high = _RANGE_END.match(text, to.end())
    if high is None:
        problem = (to.end(), "expected the upper end of the range (a value or *)", "a value or '*'")
        return Token(BAD_RANGE, start, start + 1, problem, spaced)
    close = _SPACE.match(text, high.end()).end()
    if close >= len(text) or text[close] not in "]}":
        problem = (close, f"expected ']' or '}}' to close the range opened at column {start + 1}", "']' or '}'")
        return Token(BAD_RANGE, start, start + 1, problem, spaced)
    bounds = (end_text(low), end_text(high), text[start] == "[", text[close] == "]", low_pos, to.end())
    return Token(RANGE, start, close + 1, bounds, spaced)


def end_text(match: re.Match) -> str | None:
    """The text of a range end (quoted or bare); None for ``*``."""
    quoted, bare = match.group(1, 2)
    text = _ESCAPED.sub(r"\1", quoted) if quoted is not None else bare
    return None if text == "*" else text
