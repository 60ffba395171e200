"""Highlighting: the best fragments of a stored field, with the words that matched the query marked.

Matching goes through the field's analyzer, so a search for "visiting" (index term ``visit``) marks
"visit", "visits" and "Visiting". Programs get character offsets (:func:`matches`, :func:`fragments`);
people get text with ``**marks**``, HTML with ``<mark>`` or bold on a terminal (:func:`highlight`).

>>> from searchcore.analysis import Analyzer
>>> highlight("Li Shangfu will visit Russia, visiting Minsk.", Analyzer(), {"visit"})
'Li Shangfu will **visit** Russia, **visiting** Minsk.'
>>> highlight("Fish & <chips>: visits.", Analyzer(), {"visit"}, format="html")
'Fish &amp; &lt;chips&gt;: <mark>visits</mark>.'
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from operator import attrgetter

from .analysis import TOKEN_PATTERN, Analyzer
from .errors import ArgumentError

ORDERS = ("text", "score")
_SPACES = re.compile(r"\s+")
# A sentence ends at . ! or ? (perhaps followed by closing quotes or brackets) and whitespace, or at a blank line.
_SENTENCE_BREAK = re.compile(r"[.!?][\"'\u2019\u201d)\]]*\s+|\n\s*\n")
_OPENERS = "\"'\u2018\u201c(["
# Terminal output drops control characters (ESC above all), so a stored field cannot drive the terminal.
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)])


@dataclass(frozen=True, slots=True)
class Match:
    """One word of the text whose index term the query asked for: ``text[start:end]`` is the word."""

    start: int
    end: int
    term: str


@dataclass(frozen=True, slots=True)
class Fragment:
    """A passage of the text, ``text == source[start:end]``, and the matches that lie wholly inside it.

    Boundaries fall between words (on a sentence start when one is near) unless a word is longer than the
    passage, never inside a matched word; the passage has no whitespace at either end.
    """

    start: int
    end: int
    text: str
    matches: tuple[Match, ...]

    @property
    def score(self) -> tuple[int, int]:
        """``(distinct terms matched, matches)``: fragments rank by this, then by earliest start."""
        return len({m.term for m in self.matches}), len(self.matches)


def matches(text: str, analyzer: Analyzer, terms: Collection[str]) -> list[Match]:
    """Every word of ``text`` whose index term is in ``terms``, in text order.

    Args:
        text: the stored field text.
        analyzer: the field's analyzer (the one that indexed ``text``).
        terms: index terms, as the analyzer emits them (stemmed): a phrase query's terms are matched
            one by one, wherever they occur.

    Returns:
        One :class:`Match` per matched word, with its character offsets into ``text``.
    """
    if not terms or not text:
        return []
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        # offsets into the text as stored, through the normalisation (rare: most text is NFKC already)
        return [Match(t.start, t.end, t.term) for t in analyzer.tokens(text) if t.term in terms]
    # Tokens never hold whitespace, so the tokens of ``text`` are the tokens of its whitespace-separated
    # chunks, each tokenized alone. Which index terms a chunk holds is learnt once per process (see
    # _Chunks), so a text whose chunks are all known costs set operations only; the few chunks holding a
    # matched word are then tokenized again for their offsets and looked for in the text.
    chunks = set(text.split())
    known = _chunks_for(analyzer)
    known.learn(chunks, analyzer)
    term = analyzer.term
    wanted: dict[str, list[tuple[int, int, str]]] = {}
    for chunk in known.holding(terms, chunks):
        if chunk.isascii() and chunk.isalnum():  # ASCII letters and digits only: the chunk is one token
            wanted[chunk] = [(0, len(chunk), term(chunk))]
        else:
            wanted[chunk] = [
                (word.start(), word.end(), found)
                for word in TOKEN_PATTERN.finditer(chunk)
                if (found := term(word.group())) in terms
            ]
    out = []
    for chunk, words in wanted.items():
        at = text.find(chunk)
        while at >= 0:
            end = at + len(chunk)
            if (at == 0 or text[at - 1].isspace()) and (end == len(text) or text[end].isspace()):
                out += [Match(at + start, at + stop, found) for start, stop, found in words]
                at = text.find(chunk, end)
            else:  # inside a longer chunk
                at = text.find(chunk, at + 1)
    out.sort(key=attrgetter("start"))
    return out


class _Chunks:
    """The whitespace-separated chunks of text highlighting has seen, by the index terms they hold.

    Shared by the analyzers with the same settings (like their term cache) and by threads: a chunk is
    filed under its terms before it counts as seen, and a full table is replaced, never cleared in place.
    """

    LIMIT = 200_000  # chunks kept (about 25 MB): past it, the table starts again empty

    __slots__ = ("seen", "by_term")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.by_term: dict[str, set[str]] = {}

    def learn(self, chunks: set[str], analyzer: Analyzer) -> None:
        """File each chunk not seen before under the index terms of its tokens."""
        new = chunks - self.seen
        if not new:
            return
        term, by_term = analyzer.term, self.by_term
        for chunk in new:
            if chunk.isascii() and chunk.isalnum():
                found = term(chunk)
                if found is not None:
                    by_term.setdefault(found, set()).add(chunk)
            else:
                for word in TOKEN_PATTERN.findall(chunk):
                    if (found := term(word)) is not None:
                        by_term.setdefault(found, set()).add(chunk)
        self.seen |= new

    def holding(self, terms: Collection[str], chunks: set[str]) -> set[str]:
        """Those of ``chunks`` (all seen) that hold a token whose index term is in ``terms``."""
        out: set[str] = set()
        for found in terms:
            filed = self.by_term.get(found)
            if filed:
                out |= filed & chunks if len(filed) < len(chunks) else chunks & filed
        return out


_CHUNKS: dict[Analyzer, _Chunks] = {}


def _chunks_for(analyzer: Analyzer) -> _Chunks:
    known = _CHUNKS.get(analyzer)
    if known is None or len(known.seen) > _Chunks.LIMIT:
        known = _CHUNKS[analyzer] = _Chunks()
    return known


def fragments(
    text: str,
    analyzer: Analyzer,
    terms: Collection[str],
    *,
    size: int = 150,
    count: int = 3,
    order: str = "text",
) -> list[Fragment]:
    """The best ``count`` passages of ``text`` of at most ``size`` characters, none overlapping another.

    A passage scores by the number of distinct terms it matches, then by its number of matches; ties go to
    the earlier passage. The best is chosen first, then the best among the matches left outside it, and
    so on. Each passage is centred on its matches (a third of the spare room before them, the rest after)
    or starts at a sentence start inside that room, then is trimmed to whole words, so it is never longer
    than ``size`` unless one matched word is.

    Args:
        text: the stored field text.
        analyzer: the field's analyzer.
        terms: the query's index terms for this field.
        size: the longest passage, in characters of ``text``.
        count: the most passages returned; fewer when the matches run out.
        order: "text" (in the order they appear, as snippets read best) or "score" (best first, as
            Lucene's ``getBestFragments`` returns them).

    Returns:
        The passages; when nothing matches, the start of the text as one passage without matches;
        no passages for empty or blank text.

    Raises:
        ValueError: ``size`` or ``count`` below 1, or an unknown ``order``.
    """
    if size < 1:
        raise ArgumentError(f"size must be >= 1, got {size}")
    if count < 1:
        raise ArgumentError(f"count must be >= 1, got {count}")
    if order not in ORDERS:
        raise ArgumentError(f"order must be one of {ORDERS}, got {order!r}")
    found = matches(text, analyzer, terms)
    if not found:
        first = _opening(text, size)
        return [first] if first is not None else []
    if len(text) <= size:  # the whole text fits (a headline): the one passage the search below would choose
        start, end = _first_word(text), len(text.rstrip())
        return [Fragment(start, end, text[start:end], tuple(found))]
    chosen: list[Fragment] = []
    while len(chosen) < count:
        best = _best_core(found, chosen, len(text), size)
        if best is None:
            break
        core_start, core_end, lower, upper = best
        start, end = _widen(text, core_start, core_end, lower, upper, size)
        inside = tuple(m for m in found if start <= m.start and m.end <= end)
        chosen.append(Fragment(start, end, text[start:end], inside))
        chosen.sort(key=lambda f: f.start)
    if order == "score":
        chosen.sort(key=lambda f: (-f.score[0], -f.score[1], f.start))
    return chosen


def _best_core(
    found: list[Match], chosen: list[Fragment], length: int, size: int
) -> tuple[int, int, int, int] | None:
    """The span from the first to the last match of the best run of matches that fits in ``size``
    characters and in one gap between the fragments already ``chosen``, with that gap's bounds."""
    best_key: tuple[int, int, int] | None = None
    best = None
    bounds = [0, *(edge for f in chosen for edge in (f.start, f.end)), length]
    for lower, upper in zip(bounds[::2], bounds[1::2]):
        run = [m for m in found if lower <= m.start and m.end <= upper]
        counts: dict[str, int] = {}
        first = 0
        for last, match in enumerate(run):
            counts[match.term] = counts.get(match.term, 0) + 1
            while first < last and match.end - run[first].start > size:
                dropped = run[first].term
                counts[dropped] -= 1
                if not counts[dropped]:
                    del counts[dropped]
                first += 1
            key = (len(counts), last - first + 1, -run[first].start)
            if best_key is None or key > best_key:
                best_key = key
                best = (run[first].start, match.end, lower, upper)
    return best


def _widen(text: str, core_start: int, core_end: int, lower: int, upper: int, size: int) -> tuple[int, int]:
    """Grow the span ``[core_start, core_end)`` to about ``size`` characters inside ``[lower, upper)``,
    starting at a sentence start when one is in reach, and trim both ends to whole words."""
    spare = max(0, size - (core_end - core_start))
    earliest = max(lower, core_start - spare)
    # a third of the spare room before the matches, less if the passage would run past ``upper``
    wanted = max(earliest, min(core_start - spare // 3, upper - size))
    sentences = _sentence_starts(text, earliest, core_start)
    start = min(sentences, key=lambda s: abs(s - wanted)) if sentences else wanted
    end = min(upper, max(core_end, start + size))
    # trim inwards to word boundaries; the matched words themselves are never cut
    while start < core_start and (start > 0 and not text[start - 1].isspace() or text[start].isspace()):
        start += 1
    while end > core_end and (end < len(text) and not text[end].isspace() or text[end - 1].isspace()):
        end -= 1
    return start, end


def _sentence_starts(text: str, lower: int, upper: int) -> list[int]:
    """Offsets in ``[lower, upper]`` where a sentence begins (an upper-case letter, digit or opening
    quote after a sentence break), including the first word of the text."""
    starts = []
    first_word = _first_word(text)
    if lower <= first_word <= upper:
        starts.append(first_word)
    for brk in _SENTENCE_BREAK.finditer(text, max(0, lower - 8), upper):
        at = brk.end()
        if lower <= at <= upper and at < len(text):
            char = text[at]
            if char.isupper() or char.isdigit() or char in _OPENERS:
                starts.append(at)
    return starts


def _first_word(text: str) -> int:
    return len(text) - len(text.lstrip())


def _opening(text: str, size: int) -> Fragment | None:
    """The first passage of ``text`` (at most ``size`` characters, whole words when it can)."""
    start = _first_word(text)
    if start == len(text):
        return None
    end = min(len(text), start + size)
    cut = end
    while cut > start and (cut < len(text) and not text[cut].isspace() or text[cut - 1].isspace()):
        cut -= 1
    end = cut if cut > start else end  # one word longer than ``size``: cut inside it
    return Fragment(start, end, text[start:end], ())


@dataclass(frozen=True)
class Formatter:
    """How matched words and fragment joins are written out.

    Args:
        before, after: written around each matched word.
        escape: applied to every piece of source text (the words and the text between them), never to
            the marks: ``html.escape`` for HTML.
        separator: written between two fragments that are not next to each other in the text.
        ellipsis: written where the first fragment starts after the text does, or the last ends before it.

    Whitespace runs in the text are written as one space.
    """

    before: str = "**"
    after: str = "**"
    escape: Callable[[str], str] | None = None
    separator: str = " … "
    ellipsis: str = "…"

    def format(self, fragments: Sequence[Fragment], text: str) -> str:
        """The ``fragments`` of ``text``, in the order given, marked and joined."""
        if not fragments:
            return ""
        pieces = [self.ellipsis if _has_text(text, 0, fragments[0].start) else ""]
        previous: Fragment | None = None
        for fragment in fragments:
            if previous is not None:
                adjacent = previous.end <= fragment.start and not _has_text(text, previous.end, fragment.start)
                pieces.append(" " if adjacent else self.separator)
            pieces.append(self.format_fragment(fragment, text))
            previous = fragment
        pieces.append(self.ellipsis if _has_text(text, fragments[-1].end, len(text)) else "")
        return "".join(pieces)

    def format_fragment(self, fragment: Fragment, text: str) -> str:
        """One fragment with its matches marked, without ellipses."""
        escape = self.escape or str
        pieces = []
        cursor = fragment.start
        for match in fragment.matches:
            pieces += [
                escape(_SPACES.sub(" ", text[cursor : match.start])),
                self.before,
                escape(text[match.start : match.end]),
                self.after,
            ]
            cursor = match.end
        pieces.append(escape(_SPACES.sub(" ", text[cursor : fragment.end])))
        return "".join(pieces)


def _has_text(text: str, start: int, end: int) -> bool:
    return start < end and not text[start:end].isspace()


def _drop_controls(text: str) -> str:
    return text.translate(_CONTROLS)


FORMATTERS: dict[str, Formatter] = {
    "text": Formatter("**", "**"),
    "html": Formatter("<mark>", "</mark>", escape=html.escape),
    "ansi": Formatter("\x1b[1m", "\x1b[0m", escape=_drop_controls),
    "plain": Formatter("", "", escape=_drop_controls),
}
"""The formats :func:`highlight` knows: ``**marks**``; HTML (escaped, ``<mark>``); bold on an ANSI terminal;
plain text without marks (for a terminal that is not one, or with colour turned off)."""


def highlight(
    text: str,
    analyzer: Analyzer,
    terms: Collection[str],
    *,
    format: str | Formatter = "text",
    size: int = 150,
    count: int = 3,
    order: str = "text",
) -> str:
    """The best fragments of ``text`` with the matched words marked, ready to show.

    Args:
        text, analyzer, terms, size, count, order: as for :func:`fragments`.
        format: a name in :data:`FORMATTERS` ("text", "html", "ansi" or "plain") or a :class:`Formatter`.

    Returns:
        The fragments joined by " … ", with "…" where they cut the text; "" for empty text.

    Raises:
        ValueError: an unknown format, or a bad ``size``, ``count`` or ``order``.
    """
    if isinstance(format, str):
        if format not in FORMATTERS:
            raise ArgumentError(f"format must be one of {tuple(FORMATTERS)}, got {format!r}")
        format = FORMATTERS[format]
    return format.format(fragments(text, analyzer, terms, size=size, count=count, order=order), text)


def snippet(
    text: str,
    analyzer: Analyzer,
    terms: Collection[str],
    length: int = 200,
    before: str = "**",
    after: str = "**",
) -> str:
    """The one best passage of ``text``, at most ``length`` characters of it, marked.

    Args:
        text: the stored field text.
        analyzer: the field's analyzer (the one that indexed ``text``).
        terms: the query's index terms for this field.
        length: the passage length in characters, before marks are added.
        before, after: the marks around each matched word (``"<mark>"``/``"</mark>"`` for HTML; the text
            is not escaped: use :func:`highlight` with ``format="html"`` for that).

    Returns:
        The passage with whitespace runs collapsed, "…" where it cuts the text; the start of the text
        when nothing matches; "" for empty text.
    """
    return Formatter(before, after).format(fragments(text, analyzer, terms, size=length, count=1), text)
