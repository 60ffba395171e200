"""Text analysis: the tokenizer, lowercasing, stopwords and stemming that turn text into index terms.

An :class:`Analyzer` is a callable ``str -> list[str]``. The same analyzer, rebuilt from the settings stored
in the index, analyses query text, so a query is always read the way its field was indexed.

>>> Analyzer()("Li Shangfu visited the U.S. and paid $5.93")
['li', 'shangfu', 'visit', 'u.s.', 'paid', '5.93']

Text is normalised (NFKC) and lowercased first; combining marks stay inside their words, and each Han,
hiragana or katakana character is a token:

>>> Analyzer(stemmer="none")("Zu\u0308rich नमस्ते 北京市")
['zürich', 'नमस्ते', '北', '京', '市']
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import ArgumentError, SearchcoreError

STEMMERS = ("snowball", "porter", "lancaster", "pystemmer", "none")
_HAS_DIGIT = re.compile(r"\d").search
_CACHES: dict[tuple, tuple[dict[str, str | None], dict[str, str | None]]] = {}
STOPWORD_LISTS = ("english",)
_DATA = Path(__file__).parent / "data"  # read beside this module: the package is never run from a zip

#: Tokens longer than this many characters are dropped, at indexing and in queries alike (a 5 MB run of
#: letters is no word anyone searches for, and would make a 5 MB term and snippet). Lucene's standard
#: tokenizer has the same default.
MAX_TOKEN_LENGTH = 255


def _mark_class() -> str:
    """The marks (Unicode categories Mn, Mc, Me) as a regex character class body, from the ranges
    shipped in data/marks.txt (scanning every code point at import would cost a tenth of a second)."""
    ranges = []
    for line in (_DATA / "marks.txt").read_text("ascii").splitlines():
        if line and not line.startswith("#"):
            first, last = (chr(int(code, 16)) for code in line.split())
            ranges.append(first if first == last else f"{first}-{last}")
    return "".join(ranges)


# Han ideographs, hiragana, katakana (their letters, iteration and length marks): written without spaces
# between words, so each one is a token of its own. A query of several of them then searches them side
# by side, as a phrase: an exact match of the characters, wherever they stand in a sentence.
CJK = ("\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
       "\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U0003134f")
MARKS = _mark_class()
#: one character of a word: a letter, digit or underscore (``\w``) other than CJK, or a combining mark
#: (the vowel signs and viramas of Devanagari, the harakat of Arabic …), which belongs to its letter
WORD_CHAR = f"(?:[^\\W{CJK}]|[{MARKS}])"
LETTER_CHAR = f"[^\\W\\d_{CJK}]"

# One alternation, tried left to right at each position:
#   a CJK character, alone;
#   acronyms whose letters are joined by dots (U.S., e.g., U.K), kept whole;
#   numbers with decimal or thousands separators (5.93, 1,000.5), kept whole;
#   words of letters, digits and marks, with inner apostrophes (China's, don't) kept so the stemmer can
#   strip them.
# Anything else (punctuation, hyphens, symbols) separates tokens. The pattern runs on normalised text.
# Compiled on first use (its character classes take the regex compiler 10 ms, a tenth of a one-shot
# search), and needed only for text beyond ASCII: see token_pattern.
_TOKEN_SOURCE = (
    f"[{CJK}]"
    f"|{LETTER_CHAR}(?:\\.{LETTER_CHAR})+\\.?"
    f"|\\d+(?:[.,]\\d+)+(?!{WORD_CHAR})"
    f"|{WORD_CHAR}+(?:['\u2019]{WORD_CHAR}+)*"
)
# The same alternation over ASCII text, where a CJK character and a mark never occur, a letter is
# [A-Za-z] and a word character \w in its ASCII sense: on ASCII text it finds exactly the same tokens
# (a property test holds the two equal), and it compiles in a fraction of a millisecond.
_ASCII_TOKENS = re.compile(r"[A-Za-z](?:\.[A-Za-z])+\.?|\d+(?:[.,]\d+)+(?!\w)|\w+(?:'\w+)*", re.ASCII)


@cache
def _full_token_pattern() -> re.Pattern[str]:
    return re.compile(_TOKEN_SOURCE)


def token_pattern(text: str) -> re.Pattern[str]:
    """The pattern that finds the tokens of ``text`` (normalised): :data:`TOKEN_PATTERN`, or for ASCII
    text a pattern over ASCII alone that finds the same tokens at a fraction of the start-up cost."""
    return _ASCII_TOKENS if text.isascii() else _full_token_pattern()


def __getattr__(name: str) -> re.Pattern[str]:
    # TOKEN_PATTERN, the definition of a token, compiled when first asked for
    if name == "TOKEN_PATTERN":
        return _full_token_pattern()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def normalize(text: str) -> str:
    """``text`` in Unicode normal form NFKC, the form every text and query is tokenized in: composed
    characters (an NFD ``u`` + U+0308 is ``ü``), compatibility forms folded (the ligature ``ﬁ`` is ``fi``,
    full-width ``Ａ`` is ``A``). ASCII text is returned as it is, at no cost.

    >>> normalize("Zu\u0308rich \ufb01nance")
    'Zürich finance'
    """
    if text.isascii():
        return text
    # the same pieces as normalize_with_offsets, so that highlighting finds the words indexing found
    # (whole-text NFKC also composes across pieces, conjoining Hangul jamo for one)
    return normalize_with_offsets(text)[0]


def normalize_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """``(normalize(text), origins)``: ``origins[i]`` is the index in ``text`` where the character ``i`` of
    the normalised text comes from, plus one last entry, ``len(text)``; None when normalising changes
    nothing (then the offsets are the same). For highlighting: words are found in the normalised text
    and marked in the original.

    Text that is not normalised already is normalised a piece at a time, each piece a character that
    combines with nothing before it plus the marks after it, so that every output character knows its
    piece.
    """
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text, None
    out: list[str] = []
    origins: list[int] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]) and unicodedata.category(text[i])[0] != "M":
            piece = unicodedata.normalize("NFKC", text[start:i])
            out.append(piece)
            origins.extend([start] * len(piece))
            start = i
    origins.append(len(text))
    return "".join(out), origins


def clear_caches() -> None:
    """Forget every cached analysis (benchmarks call this to measure a cold build)."""
    for token_cache, folded_cache in _CACHES.values():
        token_cache.clear()
        folded_cache.clear()


@dataclass(frozen=True, slots=True)
class Token:
    """One emitted term with its position in the token stream and its character span in the source text."""

    term: str
    position: int
    start: int
    end: int


@cache
def stopword_list(name: str) -> frozenset[str]:
    """The stopword list shipped in the package under ``name`` ("english")."""
    if name not in STOPWORD_LISTS:
        raise ArgumentError(f"stopwords must be one of {STOPWORD_LISTS} or None, got {name!r}")
    text = (_DATA / f"stopwords_{name[:2]}.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _load_stemmer(name: str, for_queries: bool = False) -> Callable[[str], str]:
    # nltk is imported here, on the first word no cache knows: importing it costs half a second or more,
    # which a one-shot `search` whose words are all in the index lexicon never pays. A query's word that
    # is not in the lexicon either is stemmed by searchcore.stemming, nltk's Snowball English written
    # again (tests hold the two equal), so that no query waits for nltk's import.
    if name == "snowball" and for_queries:
        from .stemming import stem

        return stem
    if name == "snowball":
        from nltk.stem.snowball import EnglishStemmer

        return EnglishStemmer().stem
    if name == "porter":
        from nltk.stem.porter import PorterStemmer

        return PorterStemmer().stem
    if name == "lancaster":
        from nltk.stem.lancaster import LancasterStemmer

        return LancasterStemmer().stem
    if name == "pystemmer":
        return _pystemmer()
    return str


def _pystemmer() -> Callable[[str], str]:
    """Snowball English by the Snowball project's C code (PyStemmer, the ``stemmer`` extra): the same
    algorithm as nltk's "snowball", about six times faster, with other stems for some 68 Reuters words
    ("added": add, not ad). A stemmer object is not to be shared by threads: one per thread."""
    try:
        import Stemmer
    except ImportError:
        raise SearchcoreError("this analyzer stems with PyStemmer, which is not installed: "
                              "pip install 'searchcore[stemmer]'") from None
    local = threading.local()

    def stemmer() -> Stemmer.Stemmer:
        found = getattr(local, "stemmer", None)
        if found is None:
            # no cache of its own (0): the analyzer caches every stem already, and PyStemmer's cache
            # makes a word cost 1.1 us where stemming it costs 0.4
            found = local.stemmer = Stemmer.Stemmer("english", 0)
        return found

    def stem(word: str) -> str:
        return stemmer().stemWord(word)

    def many(words: list[str]) -> list[str]:
        return stemmer().stemWords(words)

    stem.many = many  # type: ignore[attr-defined]  # a batch in one call (Analyzer.terms)
    return stem


class Analyzer:
    """Tokenize, lowercase, drop stopwords and stem.

    Args:
        stemmer: "snowball" (Snowball English by nltk, the default), "porter", "lancaster", "pystemmer"
            (Snowball English by PyStemmer's C code: faster, a few stems differ; the ``stemmer`` extra) or
            "none". An index records its analyzers, so it is always queried with the stemmer it was built with.
        stopwords: the name of a shipped stopword list ("english") or None to keep every word.
        lowercase: fold case before stopword removal and stemming (the nltk stemmers fold case themselves,
            so ``lowercase=False`` keeps case only with ``stemmer="none"``).

    Tokens holding a digit (5.93, 1987, 11th) are kept whole, not stemmed. Stopwords leave a gap in
    positions, so a phrase query skips them as the text did. A document's
    length in a field is the number of terms the analyzer emits, stopwords not counted.

    Each distinct surface token is stemmed once per process; the result is cached (shared by analyzers
    with the same settings). A searcher reads queries with :meth:`with_lexicon` copies, which look a
    token up in the index's lexicon (the stems indexing already computed) first, so query words seen at
    indexing time need no stemmer at all, and the others no nltk: with ``stemmer="snowball"`` a lexicon
    copy stems them with :func:`searchcore.stemming.stem`, which gives nltk's stems without its import.

    What a token is has one definition, :data:`TOKEN_PATTERN` run over :func:`normalize`'d text
    (:meth:`surface_tokens`). The indexing tokenizer (``index/tokenizer.py``) and highlighting's
    chunked matcher (``highlight.matches``) are faster routes to the same tokens; property tests hold
    each of them equal to this one.
    """

    __slots__ = ("stemmer", "stopwords", "lowercase", "_settings", "_stopset", "_cache", "_folded", "_stem",
                 "lexicon")

    def __init__(self, stemmer: str = "snowball", stopwords: str | None = "english", lowercase: bool = True) -> None:
        if stemmer not in STEMMERS:
            raise ArgumentError(f"stemmer must be one of {STEMMERS}, got {stemmer!r}")
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.lowercase = bool(lowercase)
        self._settings = (stemmer, stopwords, self.lowercase)  # what equality and hashing compare
        self._stopset = stopword_list(stopwords) if stopwords is not None else frozenset()
        # Analyzers with the same settings share their caches: the fields of a schema, and the schemas of
        # every index opened in this process, stem each distinct word once.
        self._cache, self._folded = _CACHES.setdefault(self._settings, ({}, {}))
        self._stem: Callable[[str], str] | None = None
        #: surface token → the stem an index holds for it, consulted before the stemmer (see with_lexicon)
        self.lexicon: Callable[[str], str | None] | None = None

    def with_lexicon(self, lexicon: Callable[[str], str | None]) -> Analyzer:
        """A copy of this analyzer that looks each lowercased token up in ``lexicon`` (an index's surface
        token → stem table) before running the stemmer; this analyzer is left as it is."""
        copy = Analyzer(self.stemmer, self.stopwords, self.lowercase)
        copy.lexicon = lexicon
        return copy

    # -- settings ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The settings, as stored in the index manifest."""
        return {"stemmer": self.stemmer, "stopwords": self.stopwords, "lowercase": self.lowercase}

    @classmethod
    def from_dict(cls, settings: dict) -> Analyzer:
        """Rebuild an analyzer from :meth:`to_dict` output."""
        return cls(**settings)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Analyzer) and self._settings == other._settings

    def __hash__(self) -> int:
        return hash(self._settings)

    def __repr__(self) -> str:
        return f"Analyzer(stemmer={self.stemmer!r}, stopwords={self.stopwords!r}, lowercase={self.lowercase!r})"

    # -- analysis ------------------------------------------------------------------------------------------
    def term(self, token: str) -> str | None:
        """The index term for one surface token, or None for a stopword. Cached per distinct token."""
        try:
            return self._cache[token]
        except KeyError:
            pass
        folded = token.lower() if self.lowercase else token
        if folded in self._folded:
            term = self._folded[folded]
        elif folded in self._stopset or len(folded) > MAX_TOKEN_LENGTH:
            term = self._folded[folded] = None
        else:
            term = self.lexicon(folded) if self.lexicon is not None else None
            if term is None and _HAS_DIGIT(folded):
                term = folded  # numbers and codes (5.93, 1987, f0704) are kept as they are, never stemmed
            elif term is None:
                if self._stem is None:
                    self._stem = _load_stemmer(self.stemmer, for_queries=self.lexicon is not None)
                term = self._stem(folded)
            self._folded[folded] = term
        self._cache[token] = term
        return term

    def terms(self, tokens: list[str]) -> list[str | None]:
        """``[self.term(t) for t in tokens]``; the words no cache knows are stemmed in one call when the
        stemmer takes many at once (PyStemmer does): indexing analyses its new tokens a batch at a time."""
        if self.lexicon is None:  # a lexicon copy (queries) looks each word up first: see prime
            words = [word for word in self._unknown(tokens) if not _HAS_DIGIT(word)]  # those are not stemmed
            if len(words) > 1:
                if self._stem is None:
                    self._stem = _load_stemmer(self.stemmer)
                many = getattr(self._stem, "many", None)
                if many is not None:
                    self._folded.update(zip(words, many(words)))
        term = self.term
        return [term(token) for token in tokens]

    def prime(self, tokens: Iterable[str]) -> None:
        """Look up in the lexicon, in one batch, those of ``tokens`` whose term is not cached yet, when the
        lexicon can (it has a ``many`` method taking a list of lowercased tokens and giving the stem of
        each, or None): :meth:`term` then finds them cached. Highlighting primes an analyzer with the
        words of the texts it reads, hundreds of them."""
        many = getattr(self.lexicon, "many", None)
        if many is None:
            return
        words = self._unknown(tokens)
        for folded, term in zip(words, many(words) if words else ()):
            if term is not None:
                self._folded[folded] = term

    def _unknown(self, tokens: Iterable[str]) -> list[str]:
        """The distinct folded forms of those of ``tokens`` that :meth:`term` would look up or stem: not
        cached, not stopwords, not too long."""
        cache, folded_cache, stopset = self._cache, self._folded, self._stopset
        wanted: dict[str, None] = {}
        for token in tokens:
            if token not in cache:
                folded = token.lower() if self.lowercase else token
                if folded not in folded_cache and folded not in stopset and len(folded) <= MAX_TOKEN_LENGTH:
                    wanted[folded] = None
        return list(wanted)

    @staticmethod
    def surface_tokens(text: str) -> list[str]:
        """The tokens of ``text`` before lowercasing, stopwords and stemming: the definition of a token."""
        normal = normalize(text)
        return token_pattern(normal).findall(normal)

    def __call__(self, text: str) -> list[str]:
        """The index terms of ``text``, in order, exactly as they are indexed."""
        return [t for t in map(self.term, self.surface_tokens(text)) if t is not None]

    def terms_with_positions(self, text: str) -> list[tuple[str, int]]:
        """``(term, position)`` pairs; positions count stopwords, so they leave gaps."""
        return [(t, pos) for pos, t in enumerate(map(self.term, self.surface_tokens(text))) if t is not None]

    def tokens(self, text: str) -> list[Token]:
        """Emitted terms with positions and character offsets into ``text`` (the text as given, not
        normalised), for highlighting."""
        normal, origins = normalize_with_offsets(text)
        out = []
        for position, match in enumerate(token_pattern(normal).finditer(normal)):
            term = self.term(match.group())
            if term is not None:
                start, end = match.span()
                if origins is not None:
                    start, end = origins[start], origins[end]
                out.append(Token(term, position, start, end))
        return out
