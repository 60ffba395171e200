"""Snippets: the passage of a stored field that holds most query terms, with the matched words marked.

Matching goes through the field's analyzer, so a search for "visiting" marks "visit" and "visits".
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .analysis import Analyzer, Token

_SPACES = re.compile(r"\s+")


def best_window(tokens: list[Token], length: int) -> tuple[int, int]:
    """The character span of at most ``length`` characters holding the most distinct matched terms
    (then the most matches; then the earliest). ``tokens`` are the matched tokens, in text order.
    """
    best = (0, 0, 0)  # (distinct, count, -start)
    best_span = (tokens[0].start, tokens[0].start + length)
    lo = 0
    counts: dict[str, int] = {}
    for hi, token in enumerate(tokens):
        counts[token.term] = counts.get(token.term, 0) + 1
        while token.end - tokens[lo].start > length:
            old = tokens[lo].term
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            lo += 1
        key = (len(counts), hi - lo + 1, -tokens[lo].start)
        if key > best:
            best = key
            best_span = (tokens[lo].start, tokens[hi].end)
    return best_span


def snippet(
    text: str,
    analyzer: Analyzer,
    terms: Collection[str],
    length: int = 200,
    before: str = "**",
    after: str = "**",
) -> str:
    """A passage of ``text`` of about ``length`` characters around the densest matches, marked.

    Args:
        text: the stored field text.
        analyzer: the field's analyzer (the one that indexed ``text``).
        terms: the query's index terms for this field.
        length: the passage length in characters, before marks are added.
        before, after: the marks around each matched word (``"<mark>"``/``"</mark>"`` for HTML).

    Returns:
        The passage with whitespace runs collapsed, "…" where it cuts the text; the start of the text
        when nothing matches; "" for empty text.
    """
    if not text:
        return ""
    matches = [t for t in analyzer.tokens(text) if t.term in terms] if terms else []
    if matches:
        start, end = best_window(matches, length)
        # centre the matched span in the window, then widen to word boundaries
        slack = max(0, length - (end - start))
        start = max(0, start - slack // 3)
        end = min(len(text), max(end, start + length))
    else:
        start, end = 0, min(len(text), length)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace() and end - start < length + 30:
        end += 1
    pieces = []
    cursor = start
    for token in matches:
        if token.start >= start and token.end <= end:
            pieces += [text[cursor : token.start], before, text[token.start : token.end], after]
            cursor = token.end
    pieces.append(text[cursor:end])
    passage = _SPACES.sub(" ", "".join(pieces)).strip()
    return ("…" if start > 0 else "") + passage + ("…" if end < len(text) else "")
