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

import re
import unicodedata
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass

from .analysis import Analyzer, token_pattern
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
        return _score([m.term for m in self.matches])


def _score(terms: Sequence[str]) -> tuple[int, int]:
    """A passage's score from the terms of its matches: (distinct terms, matches)."""
    return len(set(terms)), len(terms)


def matches(text: str, analyzer: Analyzer, terms: Collection[str], *,
            source: Hashable | None = None) -> list[Match]:
    """Every word of ``text`` whose index term is in ``terms``, in text order.

    Args:
        text: the stored field text.
        analyzer: the field's analyzer (the one that indexed ``text``).
        terms: index terms, as the analyzer emits them (stemmed): a phrase query's terms are matched
            one by one, wherever they occur.
        source: a key naming this very text and no other (a hit passes its segment's files, the field
            and the document): a text read once under its key is not split into words again; later
            calls only look for the words the process has seen holding ``terms``.

    Returns:
        One :class:`Match` per matched word, with its character offsets into ``text``.
    """
    return [Match(start, end, term) for start, end, term in _spans(text, analyzer, terms, source)]


def _spans(text: str, analyzer: Analyzer, terms: Collection[str],
           source: Hashable | None = None) -> list[tuple[int, int, str]]:
    """``matches`` as (start, end, term) tuples, in text order."""
    if not terms or not text:
        return []
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        # offsets into the text as stored, through the normalisation (rare: most text is NFKC already)
        return [(t.start, t.end, t.term) for t in analyzer.tokens(text) if t.term in terms]
    # Tokens never hold whitespace, so the tokens of ``text`` are the tokens of its whitespace-separated
    # chunks, each tokenized alone. Which index terms a chunk holds is learnt once per process (see
    # _Chunks), so a text whose chunks are all known costs set operations only, and a text known by its
    # ``source`` not even those: every chunk of it is filed, so the chunks filed under ``terms`` that
    # occur in it are the ones holding a matched word. Those are tokenized again for their offsets and
    # looked for in the text.
    known = _chunks_for(analyzer)
    if source is not None and source in known.texts:
        holding = known.holding_in(terms, text)
    else:
        chunks = set(text.split())
        known.learn(chunks, analyzer)
        holding = known.holding(terms, chunks)
        if source is not None:
            known.remember(source)
    term = analyzer.term
    out: list[tuple[int, int, str]] = []
    for chunk in holding:
        at = text.find(chunk)
        if at < 0:
            continue
        if chunk.isascii() and chunk.isalnum():  # ASCII letters and digits only: the chunk is one token
            words = [(0, len(chunk), term(chunk))]
        else:
            words = [(word.start(), word.end(), found)
                     for word in token_pattern(chunk).finditer(chunk) if (found := term(word.group())) in terms]
        while at >= 0:
            end = at + len(chunk)
            if (at == 0 or text[at - 1].isspace()) and (end == len(text) or text[end].isspace()):
                out += [(at + start, at + stop, found) for start, stop, found in words]
                at = text.find(chunk, end)
            else:  # inside a longer chunk
                at = text.find(chunk, at + 1)
    out.sort()  # by start: tokens do not overlap
    return out


class _Chunks:
    """The whitespace-separated chunks of text highlighting has seen, by the index terms they hold.

    Shared by the analyzers with the same settings (like their term cache) and by threads: a chunk is
    filed under its terms before it counts as seen, and a full table is replaced, never cleared in place.
    """

    LIMIT = 200_000  # chunks kept (about 25 MB), and texts known by their source: past it, start again

    __slots__ = ("seen", "by_term", "texts")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        #: index term -> each word (a token as written) that the analyzer turns into it -> the chunks
        #: holding that word
        self.by_term: dict[str, dict[str, set[str]]] = {}
        #: the sources of texts whose every chunk is filed here
        self.texts: set[Hashable] = set()

    def learn(self, chunks: set[str], analyzer: Analyzer) -> None:
        """File each chunk not seen before under the index terms of its tokens."""
        if chunks <= self.seen:
            return
        new = chunks - self.seen
        # a chunk of ASCII letters and digits only is one token; others are tokenized
        words_of = {chunk: (chunk,) if chunk.isascii() and chunk.isalnum() else token_pattern(chunk).findall(chunk)
                    for chunk in new}
        analyzer.prime(word for words in words_of.values() for word in words)
        term, by_term = analyzer.term, self.by_term
        for chunk, words in words_of.items():
            for word in words:
                if (found := term(word)) is not None:
                    by_term.setdefault(found, {}).setdefault(word, set()).add(chunk)
        self.seen |= new

    def holding(self, terms: Collection[str], chunks: set[str]) -> set[str]:
        """Those of ``chunks`` (all seen) that hold a token whose index term is in ``terms``."""
        out: set[str] = set()
        for found in terms:
            words = self.by_term.get(found)
            if words:
                for filed in list(words.values()):  # a copy: other threads may file more meanwhile
                    out |= filed & chunks if len(filed) < len(chunks) else chunks & filed
        return out

    def holding_in(self, terms: Collection[str], text: str) -> set[str]:
        """The chunks seen that hold a token whose index term is in ``terms`` and may be in ``text``:
        those whose word is (as a substring: the caller looks for the chunks themselves)."""
        out: set[str] = set()
        for found in terms:
            words = self.by_term.get(found)
            if words:
                for word, filed in list(words.items()):
                    if word in text:
                        out |= filed
        return out

    def remember(self, source: Hashable) -> None:
        """Note that every chunk of the text named ``source`` is filed."""
        if len(self.texts) >= self.LIMIT:
            self.texts = set()
        self.texts.add(source)


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
    source: Hashable | None = None,
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
        source: as for :func:`matches`.

    Returns:
        The passages; when nothing matches, the start of the text as one passage without matches;
        no passages for empty or blank text.

    Raises:
        ValueError: ``size`` or ``count`` below 1, or an unknown ``order``.
    """
    return [Fragment(start, end, text[start:end], tuple(Match(*m) for m in inside))
            for start, end, inside in _choose(text, _spans(text, analyzer, terms, source), size, count, order)]


# A passage as the code below handles it: (start, end, its matches as (start, end, term) tuples).
_Passage = tuple[int, int, Sequence[tuple[int, int, str]]]


def _choose(text: str, found: list[tuple[int, int, str]], size: int, count: int, order: str) -> list[_Passage]:
    """``fragments``, from the text's matches."""
    if size < 1:
        raise ArgumentError(f"size must be >= 1, got {size}")
    if count < 1:
        raise ArgumentError(f"count must be >= 1, got {count}")
    if order not in ORDERS:
        raise ArgumentError(f"order must be one of {ORDERS}, got {order!r}")
    if not found:
        first = _opening(text, size)
        return [first] if first is not None else []
    if len(text) <= size:  # the whole text fits (a headline): the one passage the search below would choose
        return [(_first_word(text), len(text.rstrip()), found)]
    chosen: list[_Passage] = []
    while len(chosen) < count:
        best = _best_core(found, chosen, len(text), size)
        if best is None:
            break
        core_start, core_end, lower, upper = best
        start, end = _widen(text, core_start, core_end, lower, upper, size)
        chosen.append((start, end, [m for m in found if start <= m[0] and m[1] <= end]))
        chosen.sort()
    if order == "score":
        chosen.sort(key=_best_first)
    return chosen


def _best_first(passage: _Passage) -> tuple[int, int, int]:
    distinct, matched = _score([m[2] for m in passage[2]])
    return -distinct, -matched, passage[0]


def _best_core(
    found: list[tuple[int, int, str]], chosen: list[_Passage], length: int, size: int
) -> tuple[int, int, int, int] | None:
    """The span from the first to the last match of the best run of matches that fits in ``size``
    characters and in one gap between the passages already ``chosen``, with that gap's bounds."""
    best_key: tuple[int, int, int] | None = None
    best = None
    bounds = [0, *(edge for start, end, _ in chosen for edge in (start, end)), length]
    for lower, upper in zip(bounds[::2], bounds[1::2]):
        run = [m for m in found if lower <= m[0] and m[1] <= upper] if chosen else found
        counts: dict[str, int] = {}
        first = 0
        for last, (_, match_end, match_term) in enumerate(run):
            counts[match_term] = counts.get(match_term, 0) + 1
            while first < last and match_end - run[first][0] > size:
                dropped = run[first][2]
                counts[dropped] -= 1
                if not counts[dropped]:
                    del counts[dropped]
                first += 1
            key = (len(counts), last - first + 1, -run[first][0])
            if best_key is None or key > best_key:
                best_key = key
                best = (run[first][0], match_end, lower, upper)
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


def _opening(text: str, size: int) -> _Passage | None:
    """The first passage of ``text`` (at most ``size`` characters, whole words when it can)."""
    start = _first_word(text)
    if start == len(text):
        return None
    end = min(len(text), start + size)
    cut = end
    while cut > start and (cut < len(text) and not text[cut].isspace() or text[cut - 1].isspace()):
        cut -= 1
    end = cut if cut > start else end  # one word longer than ``size``: cut inside it
    return start, end, ()


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
        return self._write([_as_passage(f) for f in fragments], text)

    def format_fragment(self, fragment: Fragment, text: str) -> str:
        """One fragment with its matches marked, without ellipses."""
        return self._passage(*_as_passage(fragment), text)

    def _write(self, passages: Sequence[_Passage], text: str) -> str:
        if not passages:
            return ""
        pieces = [self.ellipsis if _has_text(text, 0, passages[0][0]) else ""]
        previous_end = None
        for start, end, found in passages:
            if previous_end is not None:
                adjacent = previous_end <= start and not _has_text(text, previous_end, start)
                pieces.append(" " if adjacent else self.separator)
            pieces.append(self._passage(start, end, found, text))
            previous_end = end
        pieces.append(self.ellipsis if _has_text(text, passages[-1][1], len(text)) else "")
        return "".join(pieces)

    def _passage(self, start: int, end: int, found: Sequence[tuple[int, int, str]], text: str) -> str:
        escape = self.escape or str
        before, after = self.before, self.after
        pieces = []
        cursor = start
        for match_start, match_end, _ in found:
            pieces += [escape(_collapsed(text[cursor:match_start])), before, escape(text[match_start:match_end]),
                       after]
            cursor = match_end
        pieces.append(escape(_collapsed(text[cursor:end])))
        return "".join(pieces)


def _as_passage(fragment: Fragment) -> _Passage:
    return fragment.start, fragment.end, [(m.start, m.end, m.term) for m in fragment.matches]


def _collapsed(text: str) -> str:
    """``text`` with each whitespace run written as one space. Text whose only whitespace is single
    ASCII spaces is returned as it is: every other whitespace character is unprintable."""
    return _SPACES.sub(" ", text) if "  " in text or not text.isprintable() else text


def _escape_html(text: str) -> str:
    """``html.escape(text)`` (``&``, ``<``, ``>`` and both quotes as character references), without its
    five passes over text that has nothing to escape, and without importing the html package, whose
    table of entities costs a one-shot search 1.5 ms."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return text.translate(_HTML_ESCAPES)
    return text


_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def _has_text(text: str, start: int, end: int) -> bool:
    return start < end and not text[start:end].isspace()


def _drop_controls(text: str) -> str:
    return text.translate(_CONTROLS)


FORMATTERS: dict[str, Formatter] = {
    "text": Formatter("**", "**"),
    "html": Formatter("<mark>", "</mark>", escape=_escape_html),
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
    source: Hashable | None = None,
) -> str:
    """The best fragments of ``text`` with the matched words marked, ready to show.

    Args:
        text, analyzer, terms, size, count, order, source: as for :func:`fragments`.
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
    return format._write(_choose(text, _spans(text, analyzer, terms, source), size, count, order), text)


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
    return Formatter(before, after)._write(_choose(text, _spans(text, analyzer, terms), length, 1, "text"), text)
