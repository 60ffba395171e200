"""The term dictionary: a sorted table of UTF-8 strings over a mapped blob, searched in place.

One type serves every use of a segment's sorted strings: a field's terms (the term dictionary proper) and
a TEXT field's lexicon of surface tokens. It answers exact look-ups (:meth:`TermDictionary.find`,
:meth:`~TermDictionary.find_many`) by binary search without loading the table, and builds, on first use,
what term expansion (:mod:`searchcore.query.expand`) scans: the whole table joined into one string, and a
by-length index for fuzzy matching. Both are cached on the dictionary itself, so a segment reader's
dictionary builds them once and they go when it goes.

>>> terms = TermDictionary.from_strings(["price", "priced", "prices", "pride"])
>>> terms.find("prices"), terms.find("prize"), terms.prefix_range("pric")
(2, -1, (0, 3))
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import ArgumentError
from .codec import encode_strings

_HEAD_MASKS = np.array([(1 << 64) - (1 << (64 - 8 * k)) for k in range(9)], dtype=np.uint64)  # k leading bytes
_FINDS_BEFORE_HEADS = 16  # look-ups by plain binary search before a table's head keys are built
_RANGES_BEFORE_FUZZY_INDEX = 16  # fuzzy searches of part of a table before its whole fuzzy index is built


class TermDictionary(Sequence[bytes]):
    """A sorted table of UTF-8 strings (sorted bytewise, which is code point order) over a blob.

    As a sequence its entries are ``bytes``; :meth:`decode`, :meth:`terms` and :meth:`all` give ``str``.
    Creating one reads nothing. The first look-ups are plain binary searches; after a few, a vector of
    each entry's first eight bytes is built to narrow them. The first wildcard scan over a large range
    decodes the whole table into one string in one call (about 15 ms per 100,000 terms), and the first
    fuzzy query reads the table's characters as small integers, grouped by length as its words ask for
    them: see :meth:`joined_text` and :meth:`fuzzy_index`. These are kept on the object, so keep one
    dictionary per table (a segment reader does) and they are built once.

    Args:
        blob: uint8[*], the UTF-8 entries back to back, sorted bytewise (``codec.encode_strings``).
        starts: int64[n + 1], the offset of each entry in ``blob`` and the end of the last.
    """

    __slots__ = ("_blob", "_starts", "_n", "_heads", "_bytes", "_offsets", "_finds", "_joined", "_fuzzy",
                 "_fuzzy_ranges", "__weakref__")

    def __init__(self, blob: np.ndarray, starts: np.ndarray) -> None:
        self._blob = blob
        self._starts = starts
        self._n = len(starts) - 1
        self._heads: np.ndarray | None = None
        self._finds = 0
        # memoryviews for the binary search: an entry costs one slice and no numpy scalar (4x faster)
        self._bytes = memoryview(np.ascontiguousarray(blob, dtype=np.uint8))
        self._offsets = memoryview(np.ascontiguousarray(starts, dtype=np.int64))
        self._joined: JoinedText | None = None
        self._fuzzy: FuzzyIndex | None = None
        self._fuzzy_ranges = 0

    @classmethod
    def from_strings(cls, strings: Sequence[str]) -> TermDictionary:
        """A dictionary of ``strings``, which must be sorted and distinct (encoded here, in one pass)."""
        return cls(*encode_strings(strings))

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):  # type: ignore[override]
        return self._bytes[self._offsets[i] : self._offsets[i + 1]].tobytes()

    def __repr__(self) -> str:
        return f"TermDictionary({self._n} terms)"

    # -- exact look-up ------------------------------------------------------------------------------------
    def find(self, key: str) -> int:
        """The index of ``key``, or -1 when absent: a vectorised search over the entries' first eight
        bytes, then a binary search among the few entries that share them."""
        if not self._n:
            return -1
        encoded = key.encode("utf-8")
        if self._heads is None and self._finds < _FINDS_BEFORE_HEADS:
            # a one-shot process (the CLI) looks up a few words: building the heads would cost more
            self._finds += 1
            lo, hi = 0, self._n
        else:
            heads = self._head_keys()
            head = np.uint64(int.from_bytes(encoded[:8].ljust(8, b"\0"), "big"))
            lo = int(heads.searchsorted(head, "left"))
            hi = int(heads.searchsorted(head, "right"))
        i = bisect.bisect_left(self, encoded, lo, hi) if hi - lo > 1 else lo
        return i if i < hi and self[i] == encoded else -1

    def find_many(self, keys: Sequence[str]) -> list[int]:
        """The index of each of ``keys`` (-1 when absent), found together: one vectorised search over the
        entries' first eight bytes narrows each key to the few entries that share them."""
        if not keys or not self._n:
            return [-1] * len(keys)
        heads = self._head_keys()
        encoded = [key.encode("utf-8") for key in keys]
        wanted = np.array([int.from_bytes(e[:8].ljust(8, b"\0"), "big") for e in encoded], dtype=np.uint64)
        lows = np.searchsorted(heads, wanted, side="left").tolist()
        highs = np.searchsorted(heads, wanted, side="right").tolist()
        found = []
        for key, lo, hi in zip(encoded, lows, highs):
            i = bisect.bisect_left(self, key, lo, hi) if hi > lo else hi
            found.append(i if i < hi and self[i] == key else -1)
        return found

    def _head_keys(self) -> np.ndarray:
        """uint64[n]: each entry's first eight bytes, big-endian, zero-padded; non-decreasing, as the
        entries are sorted bytewise."""
        if self._heads is None:
            starts = np.asarray(self._starts, dtype=np.int64)
            blob = np.concatenate([np.asarray(self._blob, dtype=np.uint8), np.zeros(8, dtype=np.uint8)])
            # every 8-byte window of the blob as a big-endian integer (a strided view, nothing copied),
            # read at each entry's start, then masked to the entry's own first (up to 8) bytes
            windows = np.ndarray((len(blob) - 7,), dtype=">u8", buffer=blob, strides=(1,))
            heads = windows[starts[:-1]].astype(np.uint64) & _HEAD_MASKS[np.minimum(np.diff(starts), 8)]
            self._heads = heads
        return self._heads

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """[start, stop): the entries that start with ``prefix``, by two binary searches."""
        key = prefix.encode("utf-8")
        start = bisect.bisect_left(self, key)
        stop = bisect.bisect_left(self, True, start, key=lambda entry: not entry.startswith(key))
        return start, stop

    # -- decoding -----------------------------------------------------------------------------------------
    def decode(self, i: int) -> str:
        """Entry ``i`` as a string."""
        return self[i].decode("utf-8")

    def all(self) -> list[str]:
        """Every entry, decoded (for checks and merges, not the query path)."""
        return self.terms(0, self._n)

    def terms(self, start: int, stop: int) -> list[str]:
        """The entries ``start`` to ``stop - 1``, decoded together."""
        if self._joined is not None:
            return self._joined.terms_at(np.arange(start, stop, dtype=np.int64))
        if stop <= start:
            return []
        starts = np.asarray(self._starts[start : stop + 1], dtype=np.int64)
        blob = np.asarray(self._blob[int(starts[0]) : int(starts[-1])], dtype=np.uint8)
        if not np.any(blob == 0):
            # the entries joined by NUL, which none holds: one decode and one split instead of one each
            return np.insert(blob, starts[1:-1] - starts[0], 0).tobytes().decode("utf-8").split("\0")
        data = blob.tobytes()
        bounds = (starts - starts[0]).tolist()
        return [data[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]

    def terms_at(self, ordinals: np.ndarray) -> list[str]:
        """The entries at ``ordinals`` (int64[k]), decoded, in that order."""
        if self._joined is not None:
            return self._joined.terms_at(ordinals)
        return [self.decode(i) for i in ordinals.tolist()]

    # -- what expansion scans, built on first use ---------------------------------------------------------
    def joined_text(self) -> JoinedText:
        """The whole table as one string (see :class:`JoinedText`), decoded from the blob in one call the
        first time and kept."""
        joined = self._joined
        if joined is None:
            joined = JoinedText.of_utf8(self._blob, self._starts) or JoinedText.of(self.all())
            self._joined = joined
        return joined

    def joined_range(self, start: int, stop: int, small: int) -> tuple[JoinedText, int]:
        """The entries of [start, stop) joined, and the ordinal of the text's first entry: the whole
        table's text, unless it is not built yet and the range holds at most ``small`` entries (then
        just the range, not kept)."""
        if stop - start <= small and self._joined is None:
            return JoinedText.of(self.terms(start, stop)), start
        return self.joined_text(), 0

    def fuzzy_range(self, start: int, stop: int) -> tuple[FuzzyIndex, int]:
        """An index of the entries [start, stop) and the ordinal of its first entry: the whole table's
        (:meth:`fuzzy_index`), except while it is not built and only a few ranges of at most half the
        table have been asked for (a one-shot process correcting a word or two): then an index of the
        range alone, not kept."""
        if self._fuzzy is None and self._fuzzy_ranges < _RANGES_BEFORE_FUZZY_INDEX and 2 * (stop - start) <= self._n:
            self._fuzzy_ranges += 1
            return FuzzyIndex.of_table(self._blob, self._starts[start : stop + 1]), start
        return self.fuzzy_index(), 0

    def fuzzy_index(self) -> FuzzyIndex:
        """The entries grouped by length as character ids (see :class:`FuzzyIndex`), built the first
        time and kept."""
        index = self._fuzzy
        if index is None:
            index = self._fuzzy = FuzzyIndex.of_table(self._blob, self._starts)
        return index


def _entry_bytes(blob: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(uint8: the entries' bytes, int64[n + 1]: each entry's offset in them) of a table's ``blob`` and
    byte ``starts`` (a whole table's, or a range's)."""
    data = np.asarray(blob[int(starts[0]) : int(starts[-1])], dtype=np.uint8)
    return data, np.asarray(starts, dtype=np.int64) - int(starts[0])


def _char_offsets(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Byte ``offsets`` into UTF-8 ``data`` as character offsets: each less the continuation bytes
    before it."""
    continuation_bytes = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum((data & 0xC0) == 0x80, out=continuation_bytes[1:])
    return offsets - continuation_bytes[offsets]


def code_points(text: str) -> np.ndarray:
    """uint32[len(text)]: the code points of ``text``."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


@dataclass(frozen=True, eq=False)
class JoinedText:
    """Terms joined into one string, ``separator`` before, between and after them, so that one regex
    scan covers a whole range. Term i is ``text[starts[i]:starts[i + 1] - 1]``.

    Attributes:
        text: the joined terms.
        separator: a character no term holds (a newline unless one does).
        starts: int64[n + 1], the offset of each term in ``text``; ``starts[n] == len(text)``.
    """

    text: str
    separator: str
    starts: np.ndarray

    @classmethod
    def of(cls, terms: list[str]) -> JoinedText:
        """``terms`` joined by a newline, or by the first character after it that no term holds."""
        for code in range(0x110000):  # newline, unless a term holds one
            separator = chr((code + ord("\n")) % 0x110000)
            text = separator.join(terms)
            if text.count(separator) == max(len(terms) - 1, 0):
                text = separator + text + separator if terms else separator
                break
        else:
            raise ArgumentError("every character occurs in the table: no separator left to join it")
        separators = np.flatnonzero(code_points(text) == ord(separator))
        return cls(text, separator, separators + 1)

    @classmethod
    def of_utf8(cls, blob: np.ndarray, starts: np.ndarray) -> JoinedText | None:
        """The same from a UTF-8 blob and byte offsets, decoded in one call: None if a term holds a
        newline (then :meth:`of` picks another separator)."""
        data, offsets = _entry_bytes(blob, starts)
        if b"\n" in data.tobytes():
            return None
        separators = offsets + np.arange(len(offsets))  # where each term's leading newline goes
        joined = np.full(len(data) + len(offsets), ord("\n"), dtype=np.uint8)
        keep = np.ones(len(joined), dtype=bool)
        keep[separators] = False
        joined[keep] = data
        # a term starts after its newline and the characters (and newlines) of the terms before it
        char_starts = _char_offsets(data, offsets) + np.arange(len(offsets)) + 1
        return cls(joined.tobytes().decode("utf-8"), "\n", char_starts)

    def terms_at(self, ordinals: np.ndarray) -> list[str]:
        """The terms at ``ordinals`` (int64[k]), in that order."""
        text = self.text
        return [text[a : b - 1] for a, b in zip(self.starts[ordinals].tolist(), self.starts[ordinals + 1].tolist())]

    @cached_property
    def reversed_text(self) -> str:
        """``text`` backwards: a pattern that ends in a literal scans it as one that starts with it."""
        return self.text[::-1]


class FuzzyIndex:
    """The terms of a table as small-integer character ids, grouped by length, for a bit-parallel edit
    distance over all the terms of one length at once. A length's group is built the first time a
    search asks for it: a fuzzy word of n letters within two edits needs five lengths, not all thirty.

    Args:
        points: uint8/uint32[*]: the code points of the terms (and of anything between them).
        starts: int64[n]: where each term's code points start in ``points``.
        lengths: int64[n]: each term's length in characters.

    Attributes:
        alphabet: uint32[a], sorted: every code point in ``points``; a character's id is its index.
    """

    __slots__ = ("alphabet", "_points", "_id_of", "_starts", "_lengths", "_groups", "__weakref__")

    def __init__(self, points: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> None:
        present = np.zeros(int(points.max()) + 1 if len(points) else 1, dtype=bool)
        present[points] = True
        self.alphabet = np.flatnonzero(present)
        id_dtype = np.uint16 if len(self.alphabet) <= 0xFFFF else np.uint32
        self._points = points
        self._id_of = (np.cumsum(present, dtype=np.uint32) - 1).astype(id_dtype)  # code point -> its id
        self._starts = starts
        self._lengths = lengths
        self._groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def of_table(cls, blob: np.ndarray, starts: np.ndarray) -> FuzzyIndex:
        """The index of a UTF-8 table (``blob``, byte ``starts`` as a TermDictionary holds them). An
        ASCII table is read as it is, a byte per character; any other is decoded in one call, and a
        term's offset in characters is its offset in bytes less the continuation bytes before it."""
        data, offsets = _entry_bytes(blob, starts)
        if not len(data) or int(data.max()) < 0x80:
            return cls(data, offsets[:-1], np.diff(offsets))
        char_offsets = _char_offsets(data, offsets)
        return cls(code_points(data.tobytes().decode("utf-8")), char_offsets[:-1], np.diff(char_offsets))

    def group(self, length: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(ordinals: int64[c], ids: uint16/32[length, c])``: the terms of ``length`` characters, one
        column per term (a step of the DP reads a contiguous row); None when there are none."""
        found = self._groups.get(length)
        if found is None:
            ordinals = np.flatnonzero(self._lengths == length)
            if not len(ordinals):
                return None
            offsets = self._starts[ordinals][None, :] + np.arange(length)[:, None]
            found = self._groups[length] = (ordinals, self._id_of[self._points[offsets]])
        return found

    def word_masks(self, word: str) -> np.ndarray:
        """uint64[alphabet size]: per table character, the bit set of its positions in ``word`` (at most
        64 characters)."""
        masks = np.zeros(len(self.alphabet), dtype=np.uint64)
        for position, char in enumerate(word):
            i = int(np.searchsorted(self.alphabet, ord(char)))
            if i < len(self.alphabet) and self.alphabet[i] == ord(char):
                masks[i] |= np.uint64(1 << position)
        return masks


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A TEXT field's lexicon in one segment: every lowercased surface token indexed, and its stem.

    Attributes:
        surfaces: the sorted surface tokens.
        term_ords: uint32[len(surfaces)]: per surface token, the ordinal of its stem in ``terms``.
        terms: the field's term dictionary, which the stems are entries of.
    """

    surfaces: TermDictionary
    term_ords: np.ndarray
    terms: TermDictionary

    def __len__(self) -> int:
        return len(self.surfaces)

    def stem_of(self, surface: str) -> str | None:
        """The term a lowercased surface token was indexed as, or None if this lexicon lacks it."""
        i = self.surfaces.find(surface)
        return None if i < 0 else self.terms.decode(int(self.term_ords[i]))

    def stems(self, ordinals: np.ndarray) -> list[str]:
        """The terms the surface tokens at ``ordinals`` (int64[k], e.g. an expansion's) were indexed as,
        in that order (repeats included)."""
        return [self.terms.decode(term_ord) for term_ord in self.term_ords[ordinals].tolist()]
