"""SegmentBuilder: buffers documents in memory and writes them out as one immutable segment.

Documents are analysed as they arrive; each field keeps one small int32 array of term ids per document.
Flushing turns those into CSR postings with array sorts (``argsort``, ``bincount``, ``cumsum``), never
with per-posting Python loops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._types import NUMBER, OFFSET, TERM_ORD
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT, Schema
from . import codec

_STOPWORD = -1


class _TextBuffer:
    """Term ids per document for one TEXT field; stopwords are kept as -1 so positions keep their gaps."""

    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer
        self.token_ids: dict[str, int] = {}   # surface token -> term id (or -1); one analysis per distinct token
        self.term_ids: dict[str, int] = {}    # term -> term id
        self.docs: list[np.ndarray] = []
        self.num_tokens = 0

    def add(self, text: str | None) -> None:
        if not text:
            self.docs.append(np.empty(0, np.int32))
            return
        tokens = self.analyzer.raw_tokens(text)
        lookup = self.token_ids.get
        ids = [lookup(t) for t in tokens]
        if None in ids:
            ids = [self._learn(t) if i is None else i for t, i in zip(tokens, ids)]
        self.docs.append(np.array(ids, dtype=np.int32))
        self.num_tokens += len(ids)

    def _learn(self, token: str) -> int:
        term = self.analyzer.term(token)
        term_id = _STOPWORD if term is None else self.term_ids.setdefault(term, len(self.term_ids))
        self.token_ids[token] = term_id
        return term_id

    def memory(self) -> int:
        # 4 bytes a token while buffered; flushing holds about 36 more a token (ids, docs, positions,
        # term ordinals, the sort order and the postings built from them), so the budget counts both.
        return 40 * self.num_tokens + 160 * len(self.token_ids)


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
        self.num_docs = 0
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
        doc_id = self.num_docs
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
        blob = json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.stored.append(blob)
        self.stored_bytes += len(blob)
        self.num_docs += 1
        return doc_id

    def memory(self) -> int:
        """A rough estimate, in bytes, of what the buffered documents hold in memory."""
        return (
            self.stored_bytes + 64 * self.num_docs * (1 + len(self.text))
            + sum(b.memory() for b in self.text.values())
            + sum(b.memory() for b in self.keywords.values())
            + 32 * self.num_docs * len(self.values)
        )

    def write(self, directory: Path) -> dict[str, dict[str, int]]:
        """Write the segment's files into the new ``directory``; returns their sizes and checksums."""
        out = codec.FileRecorder(directory)
        fields: dict[str, dict] = {}
        for name, buf in self.text.items():
            fields[name] = write_text(out, name, _text_arrays(buf, self.num_docs))
        for name, buf in self.keywords.items():
            fields[name] = write_keyword(out, name, _keyword_arrays(buf))
        for name, values in self.values.items():
            fields[name] = write_values(out, name, np.asarray(values, dtype=NUMBER))
        write_documents(out, self.num_docs, fields, self.stored, np.array(self.hashes, dtype=np.uint64), self.keys)
        return out.files


@dataclass
class TextArrays:
    """The arrays of one TEXT field of a segment (see codec for their layout)."""

    terms: list[str]
    posting_starts: np.ndarray
    doc_ids: np.ndarray
    term_freqs: np.ndarray
    position_starts: np.ndarray
    positions: np.ndarray
    doc_lens: np.ndarray
    lexicon: dict[str, int]  # lowercased surface token -> term ordinal


@dataclass
class KeywordArrays:
    terms: list[str]
    posting_starts: np.ndarray
    doc_ids: np.ndarray


def write_text(out: codec.FileRecorder, name: str, a: TextArrays) -> dict:
    """Write one TEXT field; returns its statistics for the segment metadata."""
    _write_terms(out, name, a.terms)
    out.array(name, codec.POSTING_STARTS, a.posting_starts.astype(OFFSET))
    if codec.splits(len(a.doc_lens)):
        low, doc_runs, run_starts, run_highs = codec.split_doc_ids(a.doc_ids, a.posting_starts)
        out.array(name, codec.DOC_IDS, low)
        out.array(name, codec.DOC_RUNS, doc_runs)
        out.array(name, codec.RUN_STARTS, run_starts)
        out.array(name, codec.RUN_HIGHS, run_highs)
    else:
        out.array(name, codec.DOC_IDS, codec.narrow(a.doc_ids))
    out.array(name, codec.TERM_FREQS, codec.narrow(a.term_freqs))
    out.array(name, codec.POSITION_STARTS, a.position_starts.astype(OFFSET))
    out.array(name, codec.POSITIONS, codec.narrow(a.positions))
    out.array(name, codec.DOC_LENS, codec.narrow(a.doc_lens))
    forms = sorted(a.lexicon)
    blob, starts = codec.encode_strings(forms)
    out.array(name, codec.LEXICON, blob)
    out.array(name, codec.LEXICON_STARTS, starts)
    out.array(name, codec.LEXICON_TERMS, np.fromiter((a.lexicon[f] for f in forms), dtype=TERM_ORD, count=len(forms)))
    return {
        "num_terms": len(a.terms),
        "num_postings": len(a.doc_ids),
        "total_num_tokens": int(a.doc_lens.sum(dtype=np.int64)),
        "docs_with_field": int(np.count_nonzero(a.doc_lens)),
    }


def write_keyword(out: codec.FileRecorder, name: str, a: KeywordArrays) -> dict:
    """Write one ID or KEYWORD field; returns its statistics for the segment metadata."""
    _write_terms(out, name, a.terms)
    out.array(name, codec.POSTING_STARTS, a.posting_starts.astype(OFFSET))
    out.array(name, codec.DOC_IDS, codec.narrow(a.doc_ids))
    return {"num_terms": len(a.terms), "num_postings": len(a.doc_ids), "docs_with_field": len(np.unique(a.doc_ids))}


def write_values(out: codec.FileRecorder, name: str, values: np.ndarray) -> dict:
    out.array(name, codec.VALUES, values.astype(NUMBER))
    return {"num_values": int(np.count_nonzero(~np.isnan(values)))}


def write_documents(out: codec.FileRecorder, num_docs: int, fields: dict, stored: list[bytes],
                    hashes: np.ndarray, keys: list[str]) -> None:
    """Write the stored fields (one JSON object per document), IDs, content digests and the metadata,
    then fsync the directory."""
    key_blob, key_starts = codec.encode_strings(keys)
    out.array("", codec.KEYS, key_blob)
    out.array("", codec.KEY_STARTS, key_starts)
    blob, block_starts, doc_starts = codec.pack_stored(stored)
    out.array("", codec.STORED, blob)
    out.array("", codec.STORED_BLOCKS, block_starts)
    out.array("", codec.STORED_STARTS, doc_starts)
    out.array("", codec.HASHES, hashes.astype(np.uint64))
    out.json(codec.SEGMENT_META, {"num_docs": num_docs, "fields": fields})
    out.finish()


def _sorted_ranks(term_ids: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """Terms in sorted order, and for each buffer term id its rank in that order."""
    terms = list(term_ids)  # dict order == term id order
    order = sorted(range(len(terms)), key=terms.__getitem__)
    ranks = np.empty(len(terms), dtype=np.int64)
    ranks[order] = np.arange(len(terms))
    return [terms[i] for i in order], ranks


def _write_terms(out: codec.FileRecorder, name: str, terms: list[str]) -> None:
    blob, starts = codec.encode_strings(terms)
    out.array(name, codec.TERMS, blob)
    out.array(name, codec.TERM_STARTS, starts)


def csr_postings(term_ords: np.ndarray, docs: np.ndarray, positions: np.ndarray, num_terms: int, num_docs: int):
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
    doc_lens = np.bincount(docs, minlength=num_docs)
    return posting_starts, docs[posting_at], term_freqs, position_starts, positions, doc_lens


def _text_arrays(buf: _TextBuffer, num_docs: int) -> TextArrays:
    # int32 throughout: a flush holds several arrays of one entry per token, and its peak memory is what
    # the writer's budget has to leave room for.
    lengths = np.fromiter((len(d) for d in buf.docs), dtype=np.int64, count=num_docs)
    ids = np.concatenate(buf.docs) if buf.docs else np.empty(0, np.int32)
    buf.docs = []
    doc_starts = np.zeros(num_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_starts[1:])
    docs = np.repeat(np.arange(num_docs, dtype=np.int32), lengths)
    positions = (np.arange(len(ids), dtype=np.int64) - doc_starts[docs]).astype(np.int32)
    keep = ids != _STOPWORD
    ids, docs, positions = ids[keep], docs[keep], positions[keep]
    del keep

    terms, ranks = _sorted_ranks(buf.term_ids)
    term_ords = ranks.astype(np.int32)[ids]
    del ids
    # Tokens arrive in (doc, position) order; a stable sort by term keeps that order within each term,
    # which is exactly the (term, doc, position) order postings and positions are stored in.
    order = np.argsort(term_ords, kind="stable")
    arrays = csr_postings(term_ords[order], docs[order], positions[order], len(terms), num_docs)
    del order, term_ords, docs, positions

    # The lexicon: every lowercased surface token and the term it analyses to, so a query word seen here
    # needs no stemmer at search time (and prefix or wildcard queries can match surface forms).
    lexicon: dict[str, int] = {}
    fold = str.lower if buf.analyzer.lowercase else str
    for token, term_id in buf.token_ids.items():
        if term_id != _STOPWORD:
            lexicon.setdefault(fold(token), int(ranks[term_id]))
    return TextArrays(terms, *arrays, lexicon)


def _keyword_arrays(buf: _KeywordBuffer) -> KeywordArrays:
    terms, ranks = _sorted_ranks(buf.term_ids)
    pairs = np.array(buf.pairs, dtype=np.int64).reshape(-1, 2)
    term_ords, docs = ranks[pairs[:, 0]], pairs[:, 1]
    order = np.lexsort((docs, term_ords))
    posting_starts = np.zeros(len(terms) + 1, dtype=OFFSET)
    np.cumsum(np.bincount(term_ords, minlength=len(terms)), out=posting_starts[1:])
    return KeywordArrays(terms, posting_starts, docs[order])
