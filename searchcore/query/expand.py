"""Term expansion: the entries of a sorted term table that a prefix, wildcard or fuzzy term stands for,
and the ranking of fuzzy matches as "did you mean" suggestions.

The functions work on plain inputs, one table at a time, so the searcher can run them per segment and
field: over the lexicon (the lowercased surface tokens) of a TEXT field, then map the matches to their
stems, or over the term dictionary of a KEYWORD/ID field. A table is a :class:`TermTable`, or anything
it wraps: a sequence of UTF-8 ``bytes`` sorted bytewise (``index.codec.StringTable``) or a sorted list
of ``str`` (both orders are code point order). Matching is exact on code points: callers lowercase and
normalise words the way the table was built.

>>> table = TermTable(["price", "priced", "prices", "pricing", "pride", "prize"])
>>> expand_prefix(table, "pric").terms
('price', 'priced', 'prices', 'pricing')
>>> expand_wildcard(table, "pri?e").terms
('price', 'pride', 'prize')
>>> expand_fuzzy(table, "prive", max_edits=1).matches
[('price', 1), ('pride', 1), ('prize', 1)]
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import ArgumentError

#: The largest edit distance a fuzzy term may ask for (Lucene's limit: beyond two edits almost
#: every short term matches).
MAX_EDITS = 2

# Words up to this many characters take the bit-parallel path (one uint64 holds a DP column).
_WORD_BITS = 64

# A wildcard scan over a range of at most this many entries joins just that range instead of
# decoding the whole table.
_SMALL_RANGE = 2048


@dataclass(frozen=True, eq=False)
class Expansion:
    """The entries a prefix, wildcard or fuzzy term matched in one table, at most ``limit`` of them.

    Attributes:
        ordinals: int64[n], ascending: the positions of the matches in the table (for a lexicon, the
            index into its array of term ordinals).
        terms: the matched strings, in the same order.
        total: how many entries matched before ``limit`` cut the list (exact).
        distances: uint8[n], the edit distance of each match; fuzzy expansions only, else None.
    """

    ordinals: np.ndarray
    terms: tuple[str, ...]
    total: int
    distances: np.ndarray | None = None

    @property
    def truncated(self) -> bool:
        """True when more entries matched than were kept (raise the limit to use them)."""
        return self.total > len(self.terms)

    @property
    def matches(self) -> list[tuple[str, int]]:
        """``(term, distance)`` pairs of a fuzzy expansion, as :func:`rank_suggestions` takes them."""
        if self.distances is None:
            raise ArgumentError("only a fuzzy expansion has edit distances")
        return list(zip(self.terms, self.distances.tolist()))

    def __len__(self) -> int:
        return len(self.terms)


def _code_points(text: str) -> np.ndarray:
    """uint32[len(text)]: the code points of ``text``."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


@dataclass(frozen=True, eq=False)
class _JoinedText:
    """Terms joined into one string, ``separator`` before, between and after them, so that one regex
    scan covers a whole range. Term i is ``text[starts[i]:starts[i + 1] - 1]``.
    """

    text: str
    separator: str
    starts: np.ndarray  # int64[n + 1]: the offset of each term in ``text``; starts[n] == len(text)

    @classmethod
    def of(cls, terms: list[str]) -> _JoinedText:
        """``terms`` joined by a newline, or by the first character after it that no term holds."""
        for code in range(0x110000):  # newline, unless a term holds one
            separator = chr((code + ord("\n")) % 0x110000)
            text = separator.join(terms)
            if text.count(separator) == max(len(terms) - 1, 0):
                text = separator + text + separator if terms else separator
                break
        else:
            raise ArgumentError("every character occurs in the table: no separator left to join it")
        separators = np.flatnonzero(_code_points(text) == ord(separator))
        return cls(text, separator, separators + 1)

    @classmethod
    def of_utf8(cls, blob: np.ndarray, starts: np.ndarray) -> _JoinedText | None:
        """The same from a UTF-8 blob and byte offsets, decoded in one call: None if a term holds a
        newline (then :meth:`of` picks another separator).
        """
        data = np.asarray(blob[int(starts[0]) : int(starts[-1])], dtype=np.uint8)
        if b"\n" in data.tobytes():
            return None
        offsets = np.asarray(starts, dtype=np.int64) - int(starts[0])
        separators = offsets + np.arange(len(offsets))  # where each term's leading newline goes
        joined = np.full(len(data) + len(offsets), ord("\n"), dtype=np.uint8)
        keep = np.ones(len(joined), dtype=bool)
        keep[separators] = False
        joined[keep] = data
        continuation_bytes = np.zeros(len(data) + 1, dtype=np.int64)
        np.cumsum((data & 0xC0) == 0x80, out=continuation_bytes[1:])
        # A term's offset in characters: its byte offset minus the continuation bytes before it.
        char_starts = separators + 1 - continuation_bytes[offsets]
        return cls(joined.tobytes().decode("utf-8"), "\n", char_starts)

    def terms_at(self, ordinals: np.ndarray) -> list[str]:
        """The terms at ``ordinals`` (int64[k]), in that order."""
        text = self.text
        return [text[a : b - 1] for a, b in zip(self.starts[ordinals].tolist(), self.starts[ordinals + 1].tolist())]

    @cached_property
    def reversed_text(self) -> str:
        """``text`` backwards: a pattern that ends in a literal scans it as one that starts with it."""
        return self.text[::-1]


class _FuzzyIndex:
    """The terms of a table grouped by length, as small-integer character ids, for the bit-parallel
    edit distance: ``groups[length] = (ordinals: int64[c], ids: uint16/32[length, c])`` (one column
    per term, so that a step of the DP reads a contiguous row).
    """

    def __init__(self, joined: _JoinedText) -> None:
        code_points = _code_points(joined.text)
        present = np.zeros(int(code_points.max()) + 1, dtype=bool)
        present[code_points] = True
        self.alphabet = np.flatnonzero(present)
        id_dtype = np.uint16 if len(self.alphabet) <= 0xFFFF else np.uint32
        char_ids = (np.cumsum(present, dtype=np.uint32) - 1).astype(id_dtype)[code_points]
        starts = joined.starts[:-1]
        lengths = np.diff(joined.starts) - 1
        self.groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for length in np.unique(lengths).tolist():
            ordinals = np.flatnonzero(lengths == length)
            offsets = starts[ordinals][None, :] + np.arange(length)[:, None]
            self.groups[length] = (ordinals, np.ascontiguousarray(char_ids[offsets]))

    def search(self, word: str, max_edits: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(ordinals: int64[n], distances: int64[n]) of the terms in [lo, hi) within ``max_edits``
        of ``word`` (at most 64 characters), ordinals ascending.
        """
        masks = self._word_masks(word)
        found_ordinals, found_distances = [], []
        for length in range(max(len(word) - max_edits, 0), len(word) + max_edits + 1):
            if length not in self.groups:
                continue
            ordinals, ids = self.groups[length]
            a, b = np.searchsorted(ordinals, (lo, hi))
            if a == b:
                continue
            if length == 0 or not word:
                distances = np.full(b - a, max(length, len(word)), dtype=np.int64)
            else:
                distances = _osa_distances(masks[ids[:, a:b]], len(word))
            keep = distances <= max_edits
            found_ordinals.append(ordinals[a:b][keep])
            found_distances.append(distances[keep])
        if not found_ordinals:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ordinals, distances = np.concatenate(found_ordinals), np.concatenate(found_distances)
        order = np.argsort(ordinals, kind="stable")
        return ordinals[order], distances[order]

    def _word_masks(self, word: str) -> np.ndarray:
        """uint64[alphabet size]: per table character, the bit set of its positions in ``word``."""
        masks = np.zeros(len(self.alphabet), dtype=np.uint64)
        for position, char in enumerate(word):
            i = int(np.searchsorted(self.alphabet, ord(char)))
            if i < len(self.alphabet) and self.alphabet[i] == ord(char):
                masks[i] |= np.uint64(1 << position)
        return masks


def _osa_distances(equal: np.ndarray, word_length: int) -> np.ndarray:
    """int64[c]: the optimal string alignment distance of a word to each of c terms of one length.

    ``equal`` is uint64[length, c]: bit i of ``equal[j, t]`` says that term t's character j equals the
    word's character i. This is Hyyrö's bit-vector algorithm for the edit distance with adjacent
    transpositions ("A bit-vector algorithm for computing Levenshtein and Damerau edit distances",
    Nordic Journal of Computing 10, 2003): one uint64 holds a whole DP column as vertical +1/-1
    deltas (``positive``, ``negative``), and each step is a dozen array operations across all terms.
    """
    count = equal.shape[1]
    one = np.uint64(1)
    positive = np.full(count, ~np.uint64(0))  # D[i][0] = i: every vertical delta is +1
    negative = np.zeros(count, dtype=np.uint64)
    zero_diagonal = np.zeros(count, dtype=np.uint64)
    previous_equal = np.zeros(count, dtype=np.uint64)
    for row in equal:
        transposed = (((~zero_diagonal) & row) << one) & previous_equal
        zero_diagonal = (((row & positive) + positive) ^ positive) | row | negative | transposed
        horizontal_positive = (negative | ~(zero_diagonal | positive)) << one | one  # D[0][j] = j
        horizontal_negative = (zero_diagonal & positive) << one
        positive = horizontal_negative | ~(zero_diagonal | horizontal_positive)
        negative = horizontal_positive & zero_diagonal
        previous_equal = row
    # Bits above the word's length never flow down (carries and shifts only move up): mask them off.
    word_mask = np.uint64((1 << word_length) - 1)
    vertical_sum = np.bitwise_count(positive & word_mask).astype(np.int64)
    vertical_sum -= np.bitwise_count(negative & word_mask)
    return equal.shape[0] + vertical_sum  # D[m][n] = D[0][n] + the sum of column n's deltas


class _Utf8Strings(Sequence[bytes]):
    """The entries of a UTF-8 blob as a sequence of bytes, for binary search."""

    def __init__(self, blob: np.ndarray, starts: np.ndarray) -> None:
        self._blob = blob
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i):  # type: ignore[override]
        return self._blob[self._starts[i] : self._starts[i + 1]].tobytes()


class TermTable:
    """A sorted table of terms as the expansion functions search it, with what they build on first use.

    Wraps a sequence of UTF-8 ``bytes`` sorted bytewise (``index.codec.StringTable``: binary search
    reads only the entries it visits) or a sorted list of ``str``. Creating one costs nothing. The
    first wildcard scan over a large range decodes the whole table into one string (about 15 ms per
    100,000 terms, 45 ms when it has to go through ``StringTable.all()``: see :meth:`from_utf8`), and
    the first fuzzy query builds a by-length index over it (about 20 ms). Keep one TermTable per
    table, as a cached property of the segment reader, so this happens once: the caches are
    attributes of this object, so they live exactly as long as it does. The plain sequences the
    functions also accept are wrapped afresh on every call, without caching.

    Args:
        strings: the sorted table; ``bytes`` entries must be UTF-8.
    """

    def __init__(self, strings: Sequence[bytes] | Sequence[str]) -> None:
        self._strings = strings
        self._holds_str = len(strings) > 0 and isinstance(strings[0], str)
        self._utf8: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_utf8(cls, blob: np.ndarray, starts: np.ndarray) -> TermTable:
        """A table over the arrays of a stored string table (``codec.encode_strings``' layout).

        Args:
            blob: uint8[*], the UTF-8 entries back to back, sorted bytewise.
            starts: int64[n + 1], the offset of each entry in ``blob`` and the end of the last.

        Wrapping the arrays rather than a StringTable lets the first wildcard or fuzzy query decode the
        whole table in one call (about 15 ms per 100,000 terms instead of 45).
        """
        table = cls(_Utf8Strings(blob, starts))
        table._utf8 = (blob, starts)
        return table

    def __len__(self) -> int:
        return len(self._strings)

    def __repr__(self) -> str:
        return f"TermTable({len(self)} terms)"

    def terms(self, start: int, stop: int) -> list[str]:
        """The decoded entries ``start`` to ``stop - 1``."""
        if self._holds_str:
            return list(self._strings[start:stop])
        return self.terms_at(np.arange(start, stop, dtype=np.int64))

    def terms_at(self, ordinals: np.ndarray) -> list[str]:
        """The decoded entries at ``ordinals`` (int64[k]), in that order."""
        if "_joined" in self.__dict__:
            return self._joined.terms_at(ordinals)
        strings = self._strings
        if self._holds_str:
            return [strings[i] for i in ordinals.tolist()]
        return [strings[i].decode("utf-8") for i in ordinals.tolist()]

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """[start, stop): the entries that start with ``prefix``, by binary search."""
        key = prefix if self._holds_str else prefix.encode("utf-8")
        start = bisect.bisect_left(self._strings, key)
        stop = bisect.bisect_left(self._strings, True, start, key=lambda entry: not entry.startswith(key))
        return start, stop

    def _joined_range(self, start: int, stop: int) -> tuple[_JoinedText, int]:
        """The terms of [start, stop) joined, and the ordinal of the text's first term: the whole
        table's cached text unless the range is small and that text is not built yet.
        """
        if stop - start <= _SMALL_RANGE and "_joined" not in self.__dict__:
            return _JoinedText.of(self.terms(start, stop)), start
        return self._joined, 0

    @cached_property
    def _joined(self) -> _JoinedText:
        if self._utf8 is not None and (joined := _JoinedText.of_utf8(*self._utf8)) is not None:
            return joined
        if self._holds_str:
            return _JoinedText.of(list(self._strings))
        decode_all = getattr(self._strings, "all", None)  # StringTable.all() decodes in one pass
        terms = decode_all() if callable(decode_all) else [s.decode("utf-8") for s in self._strings]
        return _JoinedText.of(terms)

    @cached_property
    def _fuzzy_index(self) -> _FuzzyIndex:
        return _FuzzyIndex(self._joined)


Table = TermTable | Sequence[bytes] | Sequence[str]


def _term_table(table: Table) -> TermTable:
    return table if isinstance(table, TermTable) else TermTable(table)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise ArgumentError(f"limit must be >= 0 or None, got {limit}")


def _contiguous(table: TermTable, start: int, stop: int, total: int, limit: int | None) -> Expansion:
    stop = stop if limit is None else min(stop, start + limit)
    return Expansion(np.arange(start, stop, dtype=np.int64), tuple(table.terms(start, stop)), total)


def expand_prefix(table: Table, prefix: str, limit: int | None = None) -> Expansion:
    """The entries of ``table`` that start with ``prefix``, in table order, at most ``limit`` of them.

    Two binary searches find the range, so the cost does not grow with the table, and ``total`` is
    always exact.

    Args:
        table: a TermTable, or the sorted sequence it wraps.
        prefix: the literal prefix ("" matches every entry).
        limit: the most entries to return (Lucene's max_expansions); None for all.

    Returns:
        An Expansion: the first ``limit`` matches and how many there were in total.

    Raises:
        ValueError: ``limit`` is negative.
    """
    _check_limit(limit)
    terms = _term_table(table)
    start, stop = terms.prefix_range(prefix)
    return _contiguous(terms, start, stop, stop - start, limit)


def _wildcard_tokens(pattern: str) -> list[tuple[bool, str]]:
    """``(is_wildcard, text)`` pieces of a pattern: ``*`` and ``?`` are wildcards, a backslash makes
    the next character literal (a trailing backslash is itself), runs of ``*`` count as one.
    """
    tokens: list[tuple[bool, str]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            tokens.append((False, pattern[i + 1]))
            i += 2
            continue
        if char == "*" and tokens and tokens[-1] == (True, "*"):
            i += 1
            continue
        tokens.append((char in "*?", char))
        i += 1
    return tokens


def expand_wildcard(table: Table, pattern: str, limit: int | None = None) -> Expansion:
    """The entries of ``table`` that ``pattern`` matches whole, in table order, at most ``limit``.

    ``?`` stands for exactly one character, ``*`` for any run of characters (none included), and a
    backslash makes the next character literal (``\\*``). The literal prefix before the first
    wildcard narrows the candidates by binary search; one compiled regex then scans them as a single
    joined string. A pattern that starts with a wildcard reads the whole table that way, in 2 to 10 ms
    per 100,000 terms once the table's text is cached (see TermTable): backwards when it ends with a
    literal (``*stan``), around its longest literal when that is rare (``*stan*``). Counting every
    match costs more when most terms match (``*e*``: about 30 ms for 67,000 matches).

    Args:
        table: a TermTable, or the sorted sequence it wraps.
        pattern: the wildcard pattern.
        limit: the most entries to return (Lucene's max_expansions); None for all.

    Returns:
        An Expansion: the first ``limit`` matches and how many there were in total.

    Raises:
        ValueError: ``limit`` is negative.
    """
    _check_limit(limit)
    terms = _term_table(table)
    tokens = _wildcard_tokens(pattern)
    literal_count = next((i for i, (is_wildcard, _) in enumerate(tokens) if is_wildcard), len(tokens))
    prefix = "".join(text for _, text in tokens[:literal_count])
    if literal_count == len(tokens):  # no wildcard: the term itself, if present
        start, stop = terms.prefix_range(prefix)
        stop = start + int(start < stop and terms.terms(start, start + 1)[0] == prefix)
        return _contiguous(terms, start, stop, stop - start, limit)
    if tokens[literal_count:] == [(True, "*")]:
        return expand_prefix(terms, prefix, limit)
    start, stop = terms.prefix_range(prefix)
    joined, first_ordinal = terms._joined_range(start, stop)
    if any(joined.separator in text for is_wildcard, text in tokens if not is_wildcard):
        return _contiguous(terms, start, start, 0, limit)  # no term holds the separator
    lo, hi = start - first_ordinal, stop - first_ordinal
    literal = max(_literal_runs(tokens), key=len, default="")
    if not prefix and not tokens[-1][0]:
        ordinals, total = _scan_backwards(joined, tokens, limit)
    elif not prefix and literal and joined.text.count(literal) <= (hi - lo) // 8:
        ordinals, total = _scan_around(joined, tokens, literal, limit)
    else:
        ordinals, total = _scan_forwards(joined, tokens, lo, hi, limit)
    return Expansion(ordinals + first_ordinal, tuple(joined.terms_at(ordinals)), total)


def _literal_runs(tokens: list[tuple[bool, str]]) -> list[str]:
    """The runs of literal characters between the wildcards of a pattern."""
    runs = [""]
    for is_wildcard, text in tokens:
        if is_wildcard:
            runs.append("")
        else:
            runs[-1] += text
    return [run for run in runs if run]


def _wildcard_body(tokens: list[tuple[bool, str]], separator: str) -> str:
    """The regex of the pattern's tokens, its wildcards never crossing a ``separator``."""
    not_separator = f"[^{re.escape(separator)}]"
    wildcards = {"*": not_separator + "*", "?": not_separator}
    return "".join(wildcards[text] if is_wildcard else re.escape(text) for is_wildcard, text in tokens)


def _scan_forwards(joined: _JoinedText, tokens: list[tuple[bool, str]], lo: int, hi: int,
                   limit: int | None) -> tuple[np.ndarray, int]:
    """(ordinals: int64[k], total): the first ``limit`` of the terms in [lo, hi) the pattern matches
    (ordinals in ``joined``), by one regex that matches a separator then a whole term.
    """
    separator = re.escape(joined.separator)
    regex = re.compile(f"{separator}{_wildcard_body(tokens, joined.separator)}(?={separator})")
    scan = regex.finditer(joined.text, joined.starts[lo] - 1, joined.starts[hi])
    positions = [match.start() + 1 for match in itertools.islice(scan, limit)]
    total = len(positions) + sum(1 for _ in scan)
    return np.searchsorted(joined.starts, np.array(positions, dtype=np.int64)), total


def _scan_backwards(joined: _JoinedText, tokens: list[tuple[bool, str]],
                    limit: int | None) -> tuple[np.ndarray, int]:
    """The same over the whole table for a pattern that starts with a wildcard and ends with a literal
    (``*stan``). Scanning forwards, the regex would run over every term and backtrack; over the
    reversed text it looks for the reversed literal, and rejects most terms at their first character.
    """
    separator = re.escape(joined.separator)
    regex = re.compile(f"{separator}{_wildcard_body(tokens[::-1], joined.separator)}(?={separator})")
    found = [match.start() for match in regex.finditer(joined.reversed_text)]  # last term first
    # A match starts at the separator that follows its term in the forward text.
    ends = len(joined.text) - np.array(found[::-1][:limit], dtype=np.int64)
    return np.searchsorted(joined.starts, ends) - 1, len(found)


def _scan_around(joined: _JoinedText, tokens: list[tuple[bool, str]], literal: str,
                 limit: int | None) -> tuple[np.ndarray, int]:
    """The same over the whole table for a pattern with wildcards at both ends (``*stan*``) whose
    ``literal`` is rare: find the literal's occurrences (a fast substring search), then match only
    the terms that hold one.
    """
    occurrences = np.fromiter((match.start() for match in re.finditer(re.escape(literal), joined.text)),
                              dtype=np.int64)
    candidates = np.unique(np.searchsorted(joined.starts, occurrences, side="right") - 1)
    regex = re.compile(_wildcard_body(tokens, joined.separator))
    text, starts, ends = joined.text, joined.starts[candidates].tolist(), (joined.starts[candidates + 1] - 1).tolist()
    matched = [ordinal for ordinal, start, end in zip(candidates.tolist(), starts, ends)
               if regex.fullmatch(text, start, end)]
    return np.array(matched[:limit], dtype=np.int64), len(matched)


def expand_fuzzy(table: Table, word: str, max_edits: int, limit: int | None = None,
                 prefix_length: int = 0) -> Expansion:
    """The entries of ``table`` within ``max_edits`` edits of ``word``, with their distances.

    The distance is the optimal string alignment (OSA) distance, the "restricted" Damerau-Levenshtein
    distance Lucene's FuzzyQuery uses with transpositions on: the fewest insertions, deletions,
    substitutions and swaps of two adjacent characters, no substring edited twice (so "ca" → "abc"
    is 3, not 2). See :func:`damerau_levenshtein`.

    Only terms whose length is within ``max_edits`` of the word's are compared, all of one length
    at once by a bit-parallel DP in numpy (words longer than 64 characters fall back to the plain
    DP). The first call on a TermTable builds its by-length index; see TermTable.

    Args:
        table: a TermTable, or the sorted sequence it wraps.
        word: the word as the table stores terms (lowercased by the caller).
        max_edits: 0 to MAX_EDITS (2); :func:`auto_distance` picks one from the word's length.
        limit: the most entries to return (Lucene's max_expansions): the closest ones, ties in
            table order; None for all.
        prefix_length: how many leading characters of ``word`` a match must share exactly (Lucene's
            prefix_length); it narrows the candidates by binary search.

    Returns:
        An Expansion with ``distances`` set, matches in table order; ``total`` counts every term
        within ``max_edits``.

    Raises:
        ValueError: ``max_edits`` outside 0..2, or ``limit`` or ``prefix_length`` negative.
    """
    if not 0 <= max_edits <= MAX_EDITS:
        raise ArgumentError(f"max_edits must be between 0 and {MAX_EDITS}, got {max_edits}")
    if prefix_length < 0:
        raise ArgumentError(f"prefix_length must be >= 0, got {prefix_length}")
    _check_limit(limit)
    terms = _term_table(table)
    lo, hi = terms.prefix_range(word[:prefix_length]) if prefix_length else (0, len(terms))
    if len(word) <= _WORD_BITS:
        ordinals, distances = terms._fuzzy_index.search(word, max_edits, lo, hi)
    else:
        found = [(lo + i, distance) for i, term in enumerate(terms.terms(lo, hi))
                 if (distance := damerau_levenshtein(word, term, max_edits)) <= max_edits]
        ordinals = np.array([i for i, _ in found], dtype=np.int64)
        distances = np.array([distance for _, distance in found], dtype=np.int64)
    total = len(ordinals)
    if limit is not None and total > limit:
        kept = np.sort(np.lexsort((ordinals, distances))[:limit])
        ordinals, distances = ordinals[kept], distances[kept]
    return Expansion(ordinals, tuple(terms.terms_at(ordinals)), total, distances.astype(np.uint8))


def damerau_levenshtein(a: str, b: str, max_edits: int | None = None) -> int:
    """The optimal string alignment distance of ``a`` and ``b``: the fewest insertions, deletions,
    substitutions and transpositions of adjacent characters, no substring edited more than once.

    This is the restricted Damerau-Levenshtein distance (Lucene's FuzzyQuery with transpositions,
    Elasticsearch's fuzzy queries), not the unrestricted one: "ca" → "abc" takes 3 edits here, 2 there.
    The plain row-by-row DP, O(len(a) * len(b)).

    Args:
        a, b: the strings, compared code point by code point.
        max_edits: when given, stop as soon as the distance is known to exceed it.

    Returns:
        The distance; with ``max_edits``, ``max_edits + 1`` for any distance above it.

    >>> damerau_levenshtein("prcie", "price"), damerau_levenshtein("ca", "abc")
    (1, 3)
    >>> damerau_levenshtein("belarus", "russia", max_edits=2)
    3
    """
    if max_edits is not None:
        if max_edits < 0:
            raise ArgumentError(f"max_edits must be >= 0, got {max_edits}")
        if abs(len(a) - len(b)) > max_edits:
            return max_edits + 1
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i] * (len(b) + 1)
        for j, other in enumerate(b, 1):
            distance = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                distance = min(distance, before_previous[j - 2] + 1)
            current[j] = distance
        # Adjacent rows' minima differ by at most one, so once a row's minimum is past max_edits
        # every later row's is too (a transposition reaches back two rows, but only adds to them).
        if max_edits is not None and min(current) > max_edits:
            return max_edits + 1
        before_previous, previous = previous, current
    distance = previous[-1]
    return distance if max_edits is None else min(distance, max_edits + 1)


def auto_distance(word: str) -> int:
    """The edit distance a fuzzy term without one gets (Elasticsearch's ``AUTO``): exact for words of
    one or two characters, one edit for three to five, two for longer words.

    >>> [auto_distance(w) for w in ("us", "oil", "opec", "crude", "prices")]
    [0, 1, 1, 1, 2]
    """
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def rank_suggestions(word: str, matches: Iterable[tuple[str, int]], doc_freq: Callable[[str], int],
                     limit: int = 5) -> list[str]:
    """"Did you mean": the best fuzzy matches of ``word``, closest first, then the most frequent,
    then alphabetical.

    Args:
        word: the word the user typed.
        matches: ``(term, distance)`` pairs, e.g. ``Expansion.matches`` of every segment; repeats
            (the same term from several segments) count once, at their smallest distance.
        doc_freq: the number of live documents holding a term (over the whole index).
        limit: the most suggestions to return.

    Returns:
        Up to ``limit`` terms, without ``word`` itself and without terms no live document holds.

    >>> frequencies = {"price": 40, "pride": 3, "prize": 9, "prince": 2}
    >>> rank_suggestions("prive", [("pride", 1), ("prize", 1), ("price", 1), ("prince", 2)],
    ...                  frequencies.get, limit=3)
    ['price', 'prize', 'pride']
    """
    closest: dict[str, int] = {}
    for term, distance in matches:
        if term != word and distance < closest.get(term, distance + 1):
            closest[term] = distance
    ranked = sorted((distance, -frequency, term) for term, distance in closest.items()
                    if (frequency := doc_freq(term)) > 0)
    return [term for _, _, term in ranked[:limit]]
