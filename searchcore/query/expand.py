"""Term expansion: the entries of a sorted term table that a prefix, wildcard or fuzzy term stands for,
and the ranking of fuzzy matches as "did you mean" suggestions.

The functions work on plain inputs, one table at a time, so the searcher can run them per segment and
field: over the lexicon (the lowercased surface tokens) of a TEXT field, then map the matches to their
stems, or over the term dictionary of a KEYWORD/ID field. A table is an
:class:`~searchcore.index.terms.TermDictionary` (a segment reader's; the indexes a wildcard or fuzzy
scan builds stay on it), or a sorted list of distinct ``str``. Matching is exact on code points: callers
lowercase and normalise words the way the table was built.

>>> table = ["price", "priced", "prices", "pricing", "pride", "prize"]
>>> expand_prefix(table, "pric").terms
('price', 'priced', 'prices', 'pricing')
>>> expand_wildcard(table, "pri?e").terms
('price', 'pride', 'prize')
>>> expand_fuzzy(table, "prive", max_edits=1).matches
[('price', 1), ('pride', 1), ('prize', 1)]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError
from ..index.codec import distinct
from ..index.terms import FuzzyIndex, JoinedText, TermDictionary

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


def _fuzzy_search(index: FuzzyIndex, word: str, max_edits: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(ordinals: int64[n], distances: int64[n]) of the terms in [lo, hi) within ``max_edits`` of
    ``word`` (at most 64 characters), ordinals ascending: one length of terms at a time.
    """
    masks = index.word_masks(word)
    found_ordinals, found_distances = [], []
    for length in range(max(len(word) - max_edits, 0), len(word) + max_edits + 1):
        group = index.group(length)
        if group is None:
            continue
        ordinals, ids = group
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




#: A table the expansion functions take: a term dictionary (a segment reader's keeps what they build on
#: it), or a sorted list of distinct ``str``, encoded into a fresh dictionary on every call.
Table = TermDictionary | Sequence[str]


def _dictionary(table: Table) -> TermDictionary:
    return table if isinstance(table, TermDictionary) else TermDictionary.from_strings(table)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise ArgumentError(f"limit must be >= 0 or None, got {limit}")


def _contiguous(table: TermDictionary, start: int, stop: int, total: int, limit: int | None) -> Expansion:
    stop = stop if limit is None else min(stop, start + limit)
    return Expansion(np.arange(start, stop, dtype=np.int64), tuple(table.terms(start, stop)), total)


def expand_prefix(table: Table, prefix: str, limit: int | None = None) -> Expansion:
    """The entries of ``table`` that start with ``prefix``, in table order, at most ``limit`` of them.

    Two binary searches find the range, so the cost does not grow with the table, and ``total`` is
    always exact.

    Args:
        table: a TermDictionary, or a sorted list of distinct str.
        prefix: the literal prefix ("" matches every entry).
        limit: the most entries to return (Lucene's max_expansions); None for all.

    Returns:
        An Expansion: the first ``limit`` matches and how many there were in total.

    Raises:
        ValueError: ``limit`` is negative.
    """
    _check_limit(limit)
    terms = _dictionary(table)
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
    per 100,000 terms once the table's text is cached (see TermDictionary): backwards when it ends with a
    literal (``*stan``), around its longest literal when that is rare (``*stan*``). Counting every
    match costs more when most terms match (``*e*``: about 30 ms for 67,000 matches).

    Args:
        table: a TermDictionary, or a sorted list of distinct str.
        pattern: the wildcard pattern.
        limit: the most entries to return (Lucene's max_expansions); None for all.

    Returns:
        An Expansion: the first ``limit`` matches and how many there were in total.

    Raises:
        ValueError: ``limit`` is negative.
    """
    _check_limit(limit)
    terms = _dictionary(table)
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
    joined, first_ordinal = terms.joined_range(start, stop, _SMALL_RANGE)
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


def _scan_forwards(joined: JoinedText, tokens: list[tuple[bool, str]], lo: int, hi: int,
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


def _scan_backwards(joined: JoinedText, tokens: list[tuple[bool, str]],
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


def _scan_around(joined: JoinedText, tokens: list[tuple[bool, str]], literal: str,
                 limit: int | None) -> tuple[np.ndarray, int]:
    """The same over the whole table for a pattern with wildcards at both ends (``*stan*``) whose
    ``literal`` is rare: find the literal's occurrences (a fast substring search), then match only
    the terms that hold one.
    """
    occurrences = np.fromiter((match.start() for match in re.finditer(re.escape(literal), joined.text)),
                              dtype=np.int64)
    candidates = distinct(np.searchsorted(joined.starts, occurrences, side="right") - 1)
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
    DP). The first call on a TermDictionary builds its by-length index, kept on it.

    Args:
        table: a TermDictionary, or a sorted list of distinct str.
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
    terms = _dictionary(table)
    lo, hi = terms.prefix_range(word[:prefix_length]) if prefix_length else (0, len(terms))
    if len(word) <= _WORD_BITS:
        index, first = terms.fuzzy_range(lo, hi)
        ordinals, distances = _fuzzy_search(index, word, max_edits, lo - first, hi - first)
        ordinals += first
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
