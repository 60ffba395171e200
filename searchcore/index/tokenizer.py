"""The indexing tokenizer: the tokens of ``TOKEN_PATTERN.findall``, for many texts at once, found and
numbered with array operations instead of one regex match and one dict look-up per token.

Every token is made of word characters (``\\w``) with at most single connector characters (``.`` ``,``
``'`` ``’``) between them, as in ``U.S.``, ``5.93`` or ``China's``. Where no connector stands between
two word characters, a maximal run of word characters is exactly one token: the pattern's first two
alternatives need such a connector, and the third takes the whole run. Runs joined by a connector that
one alternative can use (a dot between letters, a dot or comma between digits, an apostrophe between
word characters) form a *linked region*, and no token crosses a region's edge. The common shapes of
linked region (``China's``, ``1,000.5``, ``U.S.``) are one token each, found with array operations too;
the pattern itself runs over each other linked region alone, on the region plus a dot right after it
(a dotted acronym's final dot): a fraction of a per cent of the tokens. A CJK character is a run of its
own and links to nothing.

A token of at most 16 ASCII characters is numbered without becoming a ``str``: its bytes, zero-padded,
are its key (no token holds a zero byte), read as big-endian uint64s from an unaligned view of the
batch's bytes. Each distinct key of a batch is looked up once; only a token never seen before is cut
out of the text, for the analyzer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from ..analysis import CJK, LETTER_CHAR, TOKEN_PATTERN, WORD_CHAR
from .codec import distinct_inverse

# Character classes, one bit each, decided by the regex engine that runs TOKEN_PATTERN.
_WORD = 1         # WORD_CHAR or a CJK character
_LETTER = 2       # LETTER_CHAR
_DIGIT = 4        # \d
_DOT = 8          # .
_COMMA = 16       # ,
_APOSTROPHE = 32  # ' or U+2019
_WIDE = 64        # not ASCII
_CJK = 128        # a CJK character: a token of its own, never linked to a neighbour

_SEPARATOR = "\n"  # between the texts of a batch: not a word character, not a connector
_KEY_BYTES = 8
_FULL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
# _MASKS[n] keeps the first n bytes of a big-endian uint64.
_MASKS = np.array([0] + [(0xFFFF_FFFF_FFFF_FFFF << (8 * (8 - n))) & 0xFFFF_FFFF_FFFF_FFFF for n in range(1, 9)],
                  dtype=np.uint64)


_IS_WORD = re.compile(WORD_CHAR).fullmatch
_IS_LETTER = re.compile(LETTER_CHAR).fullmatch
_IS_CJK = re.compile(f"[{CJK}]").fullmatch


def _char_class(char: str) -> int:
    bits = 0
    if _IS_WORD(char):
        bits |= _WORD
    if _IS_CJK(char):
        bits |= _WORD | _CJK
    if _IS_LETTER(char):
        bits |= _LETTER
    if re.match(r"\d", char):
        bits |= _DIGIT
    if char == ".":
        bits |= _DOT
    if char == ",":
        bits |= _COMMA
    if char in "'\u2019":
        bits |= _APOSTROPHE
    if not char.isascii():
        bits |= _WIDE
    return bits


_ASCII_CLASSES = np.array([_char_class(chr(c)) for c in range(128)], dtype=np.uint8)
_ASCII_WORD = (_ASCII_CLASSES & _WORD) != 0


class _Batch:
    """The texts of a batch joined by newlines, split into single-run tokens and linked regions.

    Attributes:
        joined: the texts joined by ``_SEPARATOR``.
        data: uint8[len(joined) + 16]: each character's byte where it is ASCII, else 0, then zeros.
        starts, ends: int64[n]: the spans of the tokens found without the regex.
        slots: int64[n]: where each of those tokens goes in the batch's token sequence.
        ascii: bool[n]: the token has ASCII characters only.
        linked_tokens: list[str]: the tokens of the linked regions, in order.
        linked_slots: int64[len(linked_tokens)]: where each goes in the token sequence.
        counts: int64[len(texts)]: tokens per text.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.joined = joined = _SEPARATOR.join(texts)
        self.data, word, classes_at, wide_before, cjk = _classify(joined)

        # Runs of word characters: the changes of ``word`` alternate between a start and an end.
        changes = np.flatnonzero(np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0)))
        starts, ends = changes[0::2], changes[1::2]  # ends are exclusive
        del changes, word
        if cjk is not None:  # each CJK character is a run of its own
            starts, ends = _split_cjk(starts, ends, cjk)

        # A run links to the next when one connector that an alternative of the pattern can use stands
        # between them (both its neighbours are word characters: one ends a run, the other starts one;
        # neither is CJK).
        gap = ends[:-1]
        between = classes_at(gap)
        before, after = classes_at(gap - 1), classes_at(np.minimum(gap + 1, len(joined) - 1))
        both = before & after
        apostrophes = (between & _APOSTROPHE) != 0
        links = (starts[1:] == gap + 1) & (((before | after) & _CJK) == 0) & (
            (((between & _DOT) != 0) & ((both & _LETTER) != 0))
            | (((between & (_DOT | _COMMA)) != 0) & ((both & _DIGIT) != 0))
            | apostrophes
        )
        del between, both, before, after

        # Regions: maximal chains of linked runs, from run ``first`` to run ``last``.
        first = np.flatnonzero(np.concatenate(([True], ~links))) if len(starts) else starts
        last = np.append(first[1:] - 1, len(starts) - 1) if len(starts) else starts
        region_starts, region_ends = starts[first], ends[last].copy()
        several = np.flatnonzero(last > first)
        by_apostrophes, numbers, acronyms = _shapes(first[several], last[several], starts, ends, links, apostrophes,
                                                    classes_at)
        region_ends[several[acronyms]] += self.data[region_ends[several[acronyms]]] == ord(".")
        linked = several[~(by_apostrophes | numbers | acronyms)]

        counts = np.ones(len(first), dtype=np.int64)
        self.linked_tokens: list[str] = []
        findall = TOKEN_PATTERN.findall
        stop = len(joined)
        for i, start, end in zip(linked.tolist(), region_starts[linked].tolist(), region_ends[linked].tolist()):
            # the region and a dot right after it (an acronym's last), never a CJK character after it
            found = findall(joined, start, end + 1 if end < stop and joined[end] == "." else end)
            counts[i] = len(found)
            self.linked_tokens.extend(found)

        slots = np.cumsum(counts) - counts
        single = np.ones(len(first), dtype=bool)
        single[linked] = False
        self.starts, self.ends, self.slots = region_starts[single], region_ends[single], slots[single]
        self.ascii = (np.ones(len(self.starts), dtype=bool) if wide_before is None
                      else wide_before[self.ends] == wide_before[self.starts])
        self.linked_slots = np.repeat(slots[linked], counts[linked]) + _ranges(counts[linked])
        self.size = int(counts.sum())

        text_starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum([len(t) + 1 for t in texts[:-1]], out=text_starts[1:])
        text_of = np.searchsorted(text_starts, region_starts, side="right") - 1
        self.counts = np.bincount(text_of, weights=counts, minlength=len(texts)).astype(np.int64)

    def keys(self, select: np.ndarray, offset: int, width: np.ndarray) -> np.ndarray:
        """uint64: bytes ``offset`` to ``offset + width`` (width <= 8) of the selected run tokens."""
        view = np.ndarray(shape=(len(self.data) - _KEY_BYTES + 1,), dtype=">u8", buffer=self.data, strides=(1,))
        return view[self.starts[select] + offset].astype(np.uint64) & _MASKS[width]

    def strings(self, select: np.ndarray) -> list[str]:
        joined = self.joined
        return [joined[a:b] for a, b in zip(self.starts[select].tolist(), self.ends[select].tolist())]


def _classify(joined: str):
    """``(data, word, classes_at, wide_before)`` of a joined batch: its bytes (see :class:`_Batch`), whether
    each character is a word character, a function from indices to class bits, and (for text that is not
    all ASCII) how many non-ASCII characters come before each index."""
    padding = np.zeros(2 * _KEY_BYTES, dtype=np.uint8)
    if joined.isascii():
        data = np.concatenate([np.frombuffer(joined.encode("ascii"), dtype=np.uint8), padding])
        raw = data[: len(joined)]

        def classes_at(at: np.ndarray) -> np.ndarray:
            return _ASCII_CLASSES[raw[at]]

        return data, _ASCII_WORD[raw], classes_at, None, None
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    ascii_codes = codes < 128
    data = np.concatenate([np.where(ascii_codes, codes, 0).astype(np.uint8), padding])
    classes = _ASCII_CLASSES[data[: len(joined)]]
    distinct, inverse = distinct_inverse(codes[~ascii_codes])
    classes[~ascii_codes] = np.array([_char_class(chr(c)) for c in distinct.tolist()], dtype=np.uint8)[inverse]
    cjk = (classes & _CJK) != 0
    return (data, (classes & _WORD) != 0, classes.__getitem__, _prefix_counts(~ascii_codes),
            cjk if cjk.any() else None)


def _split_cjk(starts: np.ndarray, ends: np.ndarray, cjk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The runs ``starts``/``ends`` cut so that each CJK character is a run of its own."""
    inside = np.zeros(len(cjk) + 1, dtype=bool)  # a run boundary falls before this index
    at = np.flatnonzero(cjk)
    inside[at] = True
    inside[at + 1] = True
    cuts = np.flatnonzero(inside)
    # every cut strictly inside a run splits it
    run = np.searchsorted(starts, cuts, side="right") - 1
    keep = (run >= 0) & (cuts > starts[np.maximum(run, 0)]) & (cuts < ends[np.maximum(run, 0)])
    cuts = cuts[keep]
    new_starts = np.sort(np.concatenate([starts, cuts]))
    new_ends = np.sort(np.concatenate([ends, cuts]))
    return new_starts, new_ends


def _shapes(lo: np.ndarray, hi: np.ndarray, starts: np.ndarray, ends: np.ndarray, links: np.ndarray,
            apostrophes: np.ndarray, classes_at) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three shapes of linked region (runs ``lo`` to ``hi``) that are one token, found without the regex.

    Returns boolean masks over the regions:
        runs linked by apostrophes only (China's): the third alternative takes them all;
        runs of digits only, linked by dots and commas (1,000.5): the second alternative takes them all,
        as a non-word character follows;
        runs of one letter each, linked by dots (U.S): the first alternative takes them all, and the
        dot right after them if there is one.
    """
    apostrophe_links = _prefix_counts(links & apostrophes)
    other_links = _prefix_counts(links & ~apostrophes)
    by_apostrophes = other_links[hi] == other_links[lo]
    no_apostrophes = apostrophe_links[hi] == apostrophe_links[lo]
    sizes = hi - lo + 1
    runs = _ranges(sizes) + np.repeat(lo, sizes)  # the runs of the regions, region after region
    run_starts, run_lengths = starts[runs], ends[runs] - starts[runs]
    digits = np.zeros(len(runs), dtype=np.int64)
    if len(runs):
        chars = _ranges(run_lengths) + np.repeat(run_starts, run_lengths)
        digits = np.add.reduceat((classes_at(chars) & _DIGIT) != 0, np.cumsum(run_lengths) - run_lengths,
                                 dtype=np.int64)
    not_digits = _prefix_counts(digits != run_lengths)
    not_letters = _prefix_counts((run_lengths != 1) | ((classes_at(run_starts) & _LETTER) == 0))
    ends_of = np.cumsum(sizes)  # where each region's runs end in ``runs``
    numbers = no_apostrophes & (not_digits[ends_of] == not_digits[ends_of - sizes])
    acronyms = no_apostrophes & (not_letters[ends_of] == not_letters[ends_of - sizes])
    return by_apostrophes, numbers, acronyms


def _prefix_counts(flags: np.ndarray) -> np.ndarray:
    """int64[len(flags) + 1]: how many of ``flags`` are true before each index."""
    counts = np.zeros(len(flags) + 1, dtype=np.int64)
    np.cumsum(flags, out=counts[1:])
    return counts


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each c of ``counts``, concatenated."""
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(len(offsets), dtype=np.int64) - offsets


def tokenize_many(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The surface tokens of every text, in order, and how many each text has.

    Returns:
        ``(tokens, counts)``: ``tokens == sum((TOKEN_PATTERN.findall(t) for t in texts), [])`` and
        ``counts: int64[len(texts)]``, the number of tokens of each text.
    """
    if not texts:
        return [], np.zeros(0, dtype=np.int64)
    batch = _Batch(texts)
    tokens = np.empty(batch.size, dtype=object)
    tokens[batch.slots] = batch.strings(np.ones(len(batch.starts), dtype=bool))
    tokens[batch.linked_slots] = batch.linked_tokens
    return tokens.tolist(), batch.counts


class TokenIds:
    """Numbers the surface tokens of texts: each distinct token gets an id from ``learn`` once.

    Args:
        learn: called with the surface tokens seen for the first time, a batch at a time (distinct, in
            the order they first occur); returns their ids (int32s), in the same order.

    Attributes:
        token_ids: surface token -> id, for every token seen.
    """

    def __init__(self, learn: Callable[[list[str]], list[int]]) -> None:
        self.learn = learn
        self.token_ids: dict[str, int] = {}
        self._key_ids: dict[int, int] = {}  # the byte key of a short ASCII token -> id

    def __len__(self) -> int:
        return len(self.token_ids)

    def add_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the tokens of ``texts``, in order, and the number of tokens of each text.

        Returns:
            ``(ids: int32[sum(counts)], counts: int64[len(texts)])``.
        """
        if not texts:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
        batch = _Batch(texts)
        ids = np.empty(batch.size, dtype=np.int32)
        lengths = batch.ends - batch.starts
        short = batch.ascii & (lengths <= _KEY_BYTES)
        middle = batch.ascii & (lengths > _KEY_BYTES) & (lengths <= 2 * _KEY_BYTES)
        rest = ~(short | middle)

        if short.any():
            keys = batch.keys(short, 0, lengths[short])
            distinct, inverse = distinct_inverse(keys)
            where = np.empty(len(distinct), dtype=np.int64)
            where[inverse] = np.flatnonzero(short)  # for each key, one of the tokens that have it
            known = np.array(self._key_ids_of(distinct.tolist(), where, batch), dtype=np.int32)
            ids[batch.slots[short]] = known[inverse]
        if middle.any():
            heads = batch.keys(middle, 0, np.full(int(middle.sum()), _KEY_BYTES))
            tails = batch.keys(middle, _KEY_BYTES, lengths[middle] - _KEY_BYTES)
            # Distinct (head, tail) pairs by one lexsort; each becomes one Python int key.
            order = np.lexsort((tails, heads))
            heads, tails = heads[order], tails[order]
            new = np.ones(len(order), dtype=bool)
            new[1:] = (heads[1:] != heads[:-1]) | (tails[1:] != tails[:-1])
            groups = np.cumsum(new) - 1
            inverse = np.empty(len(order), dtype=np.int64)
            inverse[order] = groups
            firsts = np.flatnonzero(new)
            keys = [head << 64 | tail for head, tail in zip(heads[firsts].tolist(), tails[firsts].tolist())]
            known = np.array(self._key_ids_of(keys, np.flatnonzero(middle)[order[firsts]], batch), dtype=np.int32)
            ids[batch.slots[middle]] = known[inverse]
        if rest.any():
            ids[batch.slots[rest]] = self._ids(batch.strings(rest))
        if batch.linked_tokens:
            ids[batch.linked_slots] = self._ids(batch.linked_tokens)
        return ids, batch.counts

    def _key_ids_of(self, keys: list[int], where: np.ndarray, batch: _Batch) -> list[int]:
        """The ids of byte keys; a key seen for the first time is learned from its token, which
        ``where`` locates in ``batch``."""
        found = list(map(self._key_ids.get, keys))
        if None in found:
            missing = [j for j, i in enumerate(found) if i is None]
            for j, i in zip(missing, self._ids(batch.strings(where[missing]))):
                found[j] = self._key_ids[keys[j]] = i
        return found

    def _ids(self, tokens: list[str]) -> list[int]:
        token_ids = self.token_ids
        found = list(map(token_ids.get, tokens))
        if None in found:
            new = list(dict.fromkeys(t for t, i in zip(tokens, found) if i is None))
            token_ids.update(zip(new, self.learn(new)))
            found = list(map(token_ids.__getitem__, tokens))
        return found
