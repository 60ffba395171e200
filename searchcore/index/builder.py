"""SegmentBuilder: buffers documents in memory and writes them out as one immutable segment.

Documents are analysed as they arrive; each field keeps one small int32 array of term ids per document.
Flushing turns those into CSR postings with array sorts (``argsort``, ``bincount``, ``cumsum``), never
with per-posting Python loops.
"""

from __future__ import annotations

import json
from array import array
from concurrent.futures import ThreadPoolExecutor
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np

from .._types import NUMBER, OFFSET
from ..analysis import normalize
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT, Schema
from . import codec
from .codec import KeywordArrays, TextArrays, write_documents, write_keyword, write_text, write_values
from .tokenizer import TokenIds

_STOPWORD = -1
_BATCH_CHARS = 1 << 20  # characters of text tokenized together
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_SORTED_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")).encode
_JSON_STRING = json.encoder.encode_basestring  # the quoting json uses with ensure_ascii=False
# The quoting of ensure_ascii=True, faster in C; on ASCII text without DEL (which only it escapes) it
# writes the same characters.
_JSON_ASCII_STRING = json.encoder.encode_basestring_ascii


def _json_string(text: str) -> str:
    return _JSON_ASCII_STRING(text) if text.isascii() and "\x7f" not in text else _JSON_STRING(text)


def compact_json(fields: dict[str, Any], sort_keys: bool = False) -> str:
    """``json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)`` (and
    ``default=str`` when sorting), written directly when every value is a str: most documents are only
    strings, and json.dumps with options builds a new encoder on every call."""
    if all(type(value) is str for value in fields.values()):
        items = sorted(fields.items()) if sort_keys else fields.items()
        return "{" + ",".join([_json_string(k) + ":" + _json_string(v) for k, v in items]) + "}"
    return _SORTED_JSON(fields) if sort_keys else _JSON(fields)


class _TextBuffer:
    """Term ids per document for one TEXT field; stopwords are kept as -1 so positions keep their gaps.

    Texts wait in a batch of about a mebibyte, which :class:`TokenIds` tokenizes and numbers with array
    operations. The ids of every document go into one flat int32 array, with each document's token
    count beside it.
    """

    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer
        self.vocabulary = TokenIds(self._learn)  # surface token -> term id (or -1); one analysis per token
        self.term_ids: dict[str, int] = {}        # term -> term id
        self.ids = array("i")                     # every document's term ids, in (doc, position) order
        self.lengths = array("q")                 # tokens per document, stopwords included
        self._pending: list[str] = []
        self._pending_chars = 0

    @property
    def token_ids(self) -> dict[str, int]:
        return self.vocabulary.token_ids

    def add(self, text: str | None) -> None:
        text = normalize(text) if text else ""  # the form queries are analysed in too
        self._pending.append(text)
        if text:
            self._pending_chars += len(text)
            if self._pending_chars >= _BATCH_CHARS:
                self.finish()

    def finish(self) -> None:
        """Tokenize and number the texts still waiting."""
        if self._pending:
            ids, counts = self.vocabulary.add_many(self._pending)
            self.ids.frombytes(ids.tobytes())
            self.lengths.frombytes(counts.tobytes())
            self._pending, self._pending_chars = [], 0

    def _learn(self, tokens: list[str]) -> list[int]:
        term_ids = self.term_ids
        return [_STOPWORD if term is None else term_ids.setdefault(term, len(term_ids))
                for term in self.analyzer.terms(tokens)]

    def memory(self) -> int:
        # 4 bytes a token while buffered; flushing holds about 36 more a token (ids, docs, positions,
        # term ordinals, the sort order and the postings built from them), so the budget counts both.
        # A waiting text takes a byte or more a character, and turns into about a token every 6.
        return 40 * len(self.ids) + 160 * len(self.vocabulary) + 8 * self._pending_chars


class _KeywordBuffer:
    """Exact terms per document (ID and KEYWORD fields)."""

    def __init__(self) -> None:
        self.term_ids: dict[str, int] = {}
        self.pairs: list[tuple[int, int]] = []   # (term id, doc)

    def add(self, doc: int, values: list[str]) -> None:
        setdefault = self.term_ids.setdefault
        self.pairs.extend((setdefault(v, len(self.term_ids)), doc) for v in values)

    def memory(self) -> int:
        return 72 * len(self.pairs) + 100 * len(self.term_ids)


class SegmentBuilder:
    """Accumulates normalised documents (see :meth:`Schema.normalize_document`) for one segment."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.max_doc = 0
        self.text = {n: _TextBuffer(f.analyzer) for n, f in schema.items() if isinstance(f, TEXT)}
        self.keywords = {n: _KeywordBuffer() for n, f in schema.items() if isinstance(f, ID | KEYWORD)}
        self.values = {n: [] for n, f in schema.items() if isinstance(f, NUMERIC | DATE)}
        # the ID is always kept, so every hit can say which document it is
        self.stored_fields = tuple(n for n in schema if schema[n].stored or n == schema.id_field)
        self.stored: list[bytes] = []
        self.stored_bytes = 0
        self.hashes: list[int] = []
        self.keys: list[str] = []

    def add(self, doc: dict, digest: int = 0) -> int:
        """Add one normalised document with its content digest; returns its segment-local doc id."""
        doc_id = self.max_doc
        self.hashes.append(digest)
        self.keys.append(doc.get(self.schema.id_field, "") if self.schema.id_field else "")
        for name, buf in self.text.items():
            buf.add(doc.get(name))
        for name, buf in self.keywords.items():
            value = doc.get(name)
            if value is not None:
                buf.add(doc_id, [value] if isinstance(value, str) else value)
        for name, values in self.values.items():
            value = doc.get(name)
            values.append(np.nan if value is None else value[0] if isinstance(value, tuple) else value)
        stored = {}
        for name in self.stored_fields:
            if name in doc:
                value = doc[name]
                stored[name] = value[1] if isinstance(value, tuple) else value
        blob = compact_json(stored).encode("utf-8")
        self.stored.append(blob)
        self.stored_bytes += len(blob)
        self.max_doc += 1
        return doc_id

    def memory(self) -> int:
        """A rough estimate, in bytes, of what the buffered documents hold in memory."""
        return (
            self.stored_bytes + 64 * self.max_doc * (1 + len(self.text))
            + sum(b.memory() for b in self.text.values())
            + sum(b.memory() for b in self.keywords.values())
            + 32 * self.max_doc * len(self.values)
        )

    def write(self, directory: Path) -> dict[str, dict[str, int]]:
        """Write the segment's files into the new ``directory``; returns their sizes and checksums."""
        fields: dict[str, dict] = {}
        # zlib lets go of the GIL while it compresses, so the stored fields are packed on a second thread
        # while this one builds the postings.
        with codec.FileRecorder(directory) as out, ThreadPoolExecutor(1) as pool:
            packed = pool.submit(codec.pack_stored, self.stored)
            for name, buf in self.text.items():
                fields[name] = write_text(out, name, _text_arrays(buf, self.max_doc))
            for name, buf in self.keywords.items():
                fields[name] = write_keyword(out, name, _keyword_arrays(buf))
            for name, values in self.values.items():
                fields[name] = write_values(out, name, np.asarray(values, dtype=NUMBER))
            hashes = np.array(self.hashes, dtype=np.uint64)
            write_documents(out, self.max_doc, fields, packed.result(), hashes, codec.encode_strings(self.keys))
        return out.files


def _sorted_ranks(term_ids: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """Terms in sorted order, and for each buffer term id its rank in that order."""
    terms = list(term_ids)  # dict order == term id order
    order = sorted(range(len(terms)), key=terms.__getitem__)
    ranks = np.empty(len(terms), dtype=np.int64)
    ranks[order] = np.arange(len(terms))
    return [terms[i] for i in order], ranks


def csr_postings(term_ords: np.ndarray, docs: np.ndarray, positions: np.ndarray, num_terms: int, max_doc: int):
    """Postings from one entry per token, sorted by (term, doc, position).

    Returns (posting_starts, doc_ids, term_freqs, position_starts, positions, doc_lens).
    """
    n = len(term_ords)
    first = np.ones(n, dtype=bool)
    if n:
        first[1:] = (term_ords[1:] != term_ords[:-1]) | (docs[1:] != docs[:-1])
    posting_at = np.flatnonzero(first)
    term_freqs = np.diff(np.append(posting_at, n))
    posting_starts = np.zeros(num_terms + 1, dtype=OFFSET)
    np.cumsum(np.bincount(term_ords[posting_at], minlength=num_terms), out=posting_starts[1:])
    position_starts = np.zeros(num_terms + 1, dtype=OFFSET)
    np.cumsum(np.bincount(term_ords, minlength=num_terms), out=position_starts[1:])
    doc_lens = np.bincount(docs, minlength=max_doc)
    return posting_starts, docs[posting_at], term_freqs, position_starts, positions, doc_lens


def _text_arrays(buf: _TextBuffer, max_doc: int) -> TextArrays:
    buf.finish()
    lengths = np.frombuffer(buf.lengths, dtype=np.int64) if max_doc else np.zeros(0, np.int64)
    ids = np.frombuffer(buf.ids, dtype=np.int32) if len(buf.ids) else np.empty(0, np.int32)
    buf.ids, buf.lengths = array("i"), array("q")
    doc_starts = np.zeros(max_doc + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_starts[1:])
    terms, ranks = _sorted_ranks(buf.term_ids)

    # Tokens arrive in (doc, position) order, so a token's index in ``ids`` orders it within its term.
    # One sort of (term ordinal, token index) packed into an int64 key gives the (term, doc, position)
    # order postings and positions are stored in: a plain sort of int64, several times faster than a
    # stable argsort, and the token index it carries back leads to the doc and position.
    at = np.flatnonzero(ids != _STOPWORD)
    shift = max(len(ids).bit_length(), 1)
    assert len(terms).bit_length() + shift < 64, "too many tokens in one segment for the sort key"
    keys = ranks[ids[at]] << shift
    keys |= at
    del at, ids
    keys.sort(kind="stable")  # the keys are distinct, so any sort gives this order; numpy's stable sort
    # runs on the runs the keys already hold (token indexes rise within a term), quicksort does not
    at = keys & ((1 << shift) - 1)
    term_ords = keys >> shift
    del keys
    docs = np.repeat(np.arange(max_doc, dtype=np.int32), lengths)[at]
    positions = at - doc_starts[docs]
    del at
    arrays = csr_postings(term_ords, docs, positions, len(terms), max_doc)
    del term_ords, docs, positions

    # The lexicon: every lowercased surface token and the term it analyses to, so a query word seen here
    # needs no stemmer at search time (and prefix or wildcard queries can match surface forms).
    # Every surface token with the same lowercased form analyses to the same term, so which one lands in
    # the lexicon does not matter.
    token_terms = np.fromiter(buf.token_ids.values(), dtype=np.int64, count=len(buf.token_ids))
    indexed = token_terms != _STOPWORD
    forms = compress(buf.token_ids, indexed.tolist())
    lexicon = dict(zip(map(str.lower, forms) if buf.analyzer.lowercase else forms,
                       ranks[token_terms[indexed]].tolist()))
    return TextArrays(terms, *arrays, lexicon)


def _keyword_arrays(buf: _KeywordBuffer) -> KeywordArrays:
    terms, ranks = _sorted_ranks(buf.term_ids)
    pairs = np.array(buf.pairs, dtype=np.int64).reshape(-1, 2)
    term_ords, docs = ranks[pairs[:, 0]], pairs[:, 1]
    order = np.lexsort((docs, term_ords))
    posting_starts = np.zeros(len(terms) + 1, dtype=OFFSET)
    np.cumsum(np.bincount(term_ords, minlength=len(terms)), out=posting_starts[1:])
    return KeywordArrays(terms, posting_starts, docs[order])
