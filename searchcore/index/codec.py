"""The on-disk format: the only module that knows file names, dtypes, format version and checksums.

An index is a directory::

    manifest.json            the live generation: format, version, schema, segments and their files
    manifest.json.tmp-<pid>  a commit's manifest, before it is renamed over manifest.json
    write.lock               held (flock) by the one writer
    seg_<hex>/meta.json      a segment's document count and per-field statistics
    seg_<hex>/arrays.pack    its arrays: each a whole ``.npy`` (``<field>.<part>.npy``) at an offset
    seg_<hex>/<field>.<part>.npy   an array in a file of its own (segments of format 3 and 4)
    seg_<hex>/deleted_<generation>.npy   the segment's deletion flags as of that generation

The parts each kind of field writes, and their dtypes, are listed below and written by
:func:`write_text`, :func:`write_keyword`, :func:`write_values` and :func:`write_documents`.

Every array is in the ``.npy`` layout, parsed here and mapped, never loaded, so opening an index maps
files instead of reading them. Every file named by the manifest carries its size and CRC-32, and the
pack's entry each member's offset, size and CRC-32.
"""

from __future__ import annotations

import io
import itertools
import json
import mmap
import os
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._types import BYTES, COUNTS, DIGEST, NUMBER, OFFSET, RATIO, TERM_ORD
from ..errors import ArgumentError, IndexCorruptError
from . import fileops

FORMAT_NAME = "searchcore-index"
FORMAT_VERSION = 6                 # 6: TEXT postings carry block bounds (5: one pack file; 4: a file each)
READABLE_VERSIONS = (3, 4, 5, 6)   # 3: indented manifest; tokens of NFKC text, marks kept in words, CJK one
                                   # character a token. 2 (doc id runs) and 1 tokenized otherwise: rebuild those
MANIFEST = "manifest.json"
LOCK = "write.lock"
SEGMENT_META = "meta.json"
PACK = "arrays.pack"               # a segment's arrays, each a whole .npy file at an offset (format 5)
PACK_ALIGN = 64                    # members start at multiples of this: their data stays aligned

# Per-field parts of a segment. TEXT fields have all of them; ID and KEYWORD fields only the terms and
# doc ids; NUMERIC and DATE fields only "values".
TERMS = "terms"                    # uint8[*]: the sorted terms, UTF-8, concatenated
TERM_STARTS = "term_starts"        # int64[num_terms + 1]: byte offsets of the terms in TERMS
POSTING_STARTS = "posting_starts"  # int64[num_terms + 1]: CSR offsets into doc_ids / term_freqs
DOC_IDS = "doc_ids"                # uint8/16/32[nnz] (the narrowest for the largest id): per term, sorted
# A TEXT field of a segment over 2 ** SPLIT_BITS (65,536) documents stores only the low 16 bits of each doc id, and
# the high bits once per run: a maximal stretch of one term's postings sharing them (Roaring bitmaps'
# layout, Lambert et al. 2016). A doc id is then 2 bytes instead of 4; a term has at most
# ceil(max_doc / 65,536) runs. Smaller segments store whole doc ids and no runs.
DOC_RUNS = "doc_runs"              # int64[num_terms + 1]: per term, the offset of its first run
RUN_STARTS = "run_starts"          # int64[num_runs + 1]: per run, the offset of its first posting
RUN_HIGHS = "run_highs"            # uint8/16/32[num_runs]: per run, the doc ids' high bits (doc id >> 16)
SPLIT_BITS = 16                    # the low bits kept per posting (the tests lower it to make runs short)
TERM_FREQS = "term_freqs"          # uint32[nnz]
POSITION_STARTS = "position_starts"  # int64[num_terms + 1]: per term, offsets into positions
POSITIONS = "positions"            # uint32[sum(term_freqs)]: per posting, sorted
DOC_LENS = "doc_lens"              # uint32[max_doc]: terms emitted per document
# Block bounds (format 6): each term's postings are cut in blocks of POSTINGS_BLOCK (the last one shorter),
# and each block records what bounds the score of any of its postings, so that a top-k search skips the
# blocks that cannot reach the k-th score without reading them (block-max indexes, Ding and Suel, SIGIR
# 2011). The bounds hold whatever the average length BM25 divides by: with tf <= max tf and
# dl / tf >= min ratio, tf / (1 - b + b * dl / avgdl) <= 1 / ((1 - b) / max_tf + b / avgdl * min_ratio).
# That bound is loose when the largest tf and the least ratio are different postings', so a block also
# records its largest tf / (1 + s * dl) at one slope s, recorded per field in meta.json: b / ((1 - b) *
# avgdl) for b = 0.75 and the segment's own avgdl. Since tf / (1 - b + b * dl / avgdl) is
# tf / ((1 - b) * (1 + r * dl)) with r = b / ((1 - b) * avgdl), and (1 + s * dl) / (1 + r * dl) is at most
# max(1, s / r), that value times max(1, s / r) / (1 - b) bounds the block at any r: exactly its largest
# score when the search's b and avgdl are the segment's own (one segment, or all alike).
# Segments of earlier formats have none, and are searched without skipping blocks.
TERM_BLOCKS = "term_blocks"        # int64[num_terms + 1]: per term, the offset of its first block
BLOCK_MAX_TFS = "block_max_tfs"    # uint8/16/32[num_blocks]: per block, its largest term frequency
BLOCK_MIN_RATIOS = "block_min_ratios"  # float32[num_blocks]: per block, its smallest doc length / tf, rounded down
BLOCK_LAST_DOCS = "block_last_docs"  # uint8/16/32[num_blocks]: per block, the doc id of its last posting
BLOCK_MAX_NORMED = "block_max_normed"  # float32[num_blocks]: per block, its largest tf / (1 + s * dl), rounded up
POSTINGS_BLOCK = 128               # postings per block (recorded per field in meta.json: the tests lower it)
REFERENCE_B = 0.75                 # the b of the slope s above (BM25's default)
LEXICON = "lexicon"                # uint8[*]: sorted lowercased surface tokens, UTF-8
LEXICON_STARTS = "lexicon_starts"  # int64[n + 1]
LEXICON_TERMS = "lexicon_terms"    # uint32[n]: the term ordinal each surface token stems to
VALUES = "values"                  # float64[max_doc]: NUMERIC/DATE values, NaN where absent
STORED = "_stored"                 # uint8[*]: zlib blocks of STORED_BLOCK documents' stored fields (UTF-8 JSON objects)
STORED_BLOCKS = "_stored_blocks"   # int64[num_blocks + 1]: byte offsets of the blocks in STORED
STORED_STARTS = "_stored_starts"   # int64[max_doc + 1]: offsets of each document in the uncompressed stream
STORED_BLOCK = 16                  # documents per compressed block: ~3x smaller than raw JSON, one small inflate per hit


KEYS = "_keys"                     # uint8[*]: each document's ID (UTF-8, "" without an ID field), in doc order
KEY_STARTS = "_key_starts"         # int64[max_doc + 1]
HASHES = "_hashes"                 # uint64[max_doc]: a digest of each document's content (skip unchanged updates)
DELETIONS_PREFIX = "deleted_"      # deleted_<generation>.npy: uint8[ceil(max_doc / 8)], np.packbits of the deleted flags


SEGMENT_PREFIX = "seg_"            # seg_<16 hex digits>/: one segment's directory
MANIFEST_TEMP_PREFIX = f"{MANIFEST}.tmp-"  # manifest.json.tmp-<pid>: a commit's manifest before its rename


def array_file(field: str, part: str) -> str:
    """The file name of one array of a segment."""
    return f"{field}.{part}.npy" if field else f"{part}.npy"


def new_segment_name() -> str:
    """A fresh, unique name for a new segment's directory."""
    import uuid  # here, where segments are written: reading needs none of it (nor its 2 ms import)

    return f"{SEGMENT_PREFIX}{uuid.uuid4().hex[:16]}"


def is_segment_name(name: str) -> bool:
    """Whether an entry of an index directory is named as a segment's directory."""
    return name.startswith(SEGMENT_PREFIX)


def manifest_temp_name() -> str:
    """The name this process gives a manifest it is about to rename over :data:`MANIFEST`."""
    return f"{MANIFEST_TEMP_PREFIX}{os.getpid()}"


def is_manifest_temp(name: str) -> bool:
    """Whether an entry of an index directory is a manifest a commit wrote and did not rename (yet)."""
    return name.startswith(MANIFEST_TEMP_PREFIX)


def deletions_part(generation: int) -> str:
    """The part name of the deletion bitmap a commit of ``generation`` writes (``array_file("", part)``)."""
    return f"{DELETIONS_PREFIX}{generation}"


def is_deletions_file(name: str) -> bool:
    """Whether a file of a segment is a deletion bitmap (of any generation)."""
    return name.startswith(DELETIONS_PREFIX)


def crc32_file(path: Path) -> int:
    """CRC-32 of a whole file, read in 1 MiB blocks."""
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc


fsync_dir = fileops.fsync_dir


class FileRecorder:
    """Writes the files of one segment (through :mod:`fileops`), fsyncs them and records their sizes and
    checksums in :attr:`files`, the segment's entry in the manifest.

    A new segment's arrays go into one file, :data:`PACK`, one after another, each a whole ``.npy`` at
    an offset that is a multiple of :data:`PACK_ALIGN`: a small commit then creates and fsyncs two files
    instead of seventy (each file created cost about half a millisecond on the test machine's ext4), and
    opening the segment maps one file. The pack's entry lists its members with their offsets, sizes and
    checksums. Writing into an existing segment (``create=False``: a deletion bitmap) makes files of
    their own. Use as a context manager: leaving it without an error fsyncs and closes the pack.
    """

    def __init__(self, directory: Path, create: bool = True) -> None:
        self.directory = directory
        self.files: dict[str, dict] = {}
        self._packed = create
        self._pack: int | None = None  # the pack's descriptor, once its first member is written
        self._members: dict[str, list[int]] = {}
        self._size = self._crc = 0
        if create:
            fileops.mkdir(directory)

    def __enter__(self) -> FileRecorder:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.seal()
        elif self._pack is not None:
            os.close(self._pack)
            self._pack = None

    def _write(self, name: str, data: bytes | memoryview) -> None:
        fileops.write_file(self.directory / name, data)
        self.files[name] = {"size": len(data), "crc32": zlib.crc32(data)}

    def array(self, field: str, part: str, values: np.ndarray) -> None:
        """Write one array as a .npy file, or as a member of the pack."""
        data = _npy_header(values) + np.ascontiguousarray(values).tobytes()
        name = array_file(field, part)
        if not self._packed:
            self._write(name, data)
            return
        path = self.directory / PACK
        if self._pack is None:
            self._pack = fileops.create(path)
        padding = -len(data) % PACK_ALIGN
        crc = zlib.crc32(data)
        fileops.append(self._pack, path, data + bytes(padding))
        self._members[name] = [self._size, len(data), crc]
        self._crc = zlib.crc32(bytes(padding), zlib.crc32(data, self._crc))
        self._size += len(data) + padding

    def json(self, name: str, value: object) -> None:
        self._write(name, json.dumps(value, indent=1, sort_keys=True).encode("utf-8"))

    def seal(self) -> None:
        """fsync and close the pack, and record it with its members (nothing to do without one)."""
        if self._pack is None:
            return
        path = self.directory / PACK
        try:
            fileops.sync(self._pack, path)
        finally:
            os.close(self._pack)
            self._pack = None
        self.files[PACK] = {"size": self._size, "crc32": self._crc, "members": self._members}

    def finish(self) -> None:
        self.seal()
        fsync_dir(self.directory)


# -- the layout of a segment's fields: which arrays each kind of field writes, in which dtypes -------------
@dataclass
class TextArrays:
    """The arrays of one TEXT field of a segment, as :func:`write_text` takes them (parts above)."""

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
    """The arrays of one ID or KEYWORD field of a segment, as :func:`write_keyword` takes them."""

    terms: list[str]
    posting_starts: np.ndarray
    doc_ids: np.ndarray


def write_text(out: FileRecorder, name: str, a: TextArrays) -> dict:
    """Write one TEXT field; returns its statistics for the segment metadata."""
    _write_terms(out, name, a.terms)
    out.array(name, POSTING_STARTS, a.posting_starts.astype(OFFSET))
    if splits(len(a.doc_lens)):
        low, doc_runs, run_starts, run_highs = split_doc_ids(a.doc_ids, a.posting_starts)
        out.array(name, DOC_IDS, low)
        out.array(name, DOC_RUNS, doc_runs)
        out.array(name, RUN_STARTS, run_starts)
        out.array(name, RUN_HIGHS, run_highs)
    else:
        out.array(name, DOC_IDS, narrow(a.doc_ids))
    out.array(name, TERM_FREQS, narrow(a.term_freqs))
    out.array(name, POSITION_STARTS, a.position_starts.astype(OFFSET))
    out.array(name, POSITIONS, narrow(a.positions))
    out.array(name, DOC_LENS, narrow(a.doc_lens))
    blocks = posting_blocks(a.posting_starts, a.doc_ids, a.term_freqs, a.doc_lens, POSTINGS_BLOCK)
    out.array(name, TERM_BLOCKS, blocks.term_blocks)
    out.array(name, BLOCK_MAX_TFS, narrow(blocks.max_tfs))
    out.array(name, BLOCK_MIN_RATIOS, blocks.min_ratios)
    out.array(name, BLOCK_MAX_NORMED, blocks.max_normed)
    out.array(name, BLOCK_LAST_DOCS, narrow(blocks.last_docs))
    forms = sorted(a.lexicon)
    blob, starts = encode_strings(forms)
    out.array(name, LEXICON, blob)
    out.array(name, LEXICON_STARTS, starts)
    lexicon_terms = np.fromiter(map(a.lexicon.__getitem__, forms), dtype=TERM_ORD, count=len(forms))
    out.array(name, LEXICON_TERMS, lexicon_terms)
    return {
        "num_terms": len(a.terms),
        "num_postings": len(a.doc_ids),
        "total_num_tokens": int(a.doc_lens.sum(dtype=np.int64)),
        "docs_with_field": int(np.count_nonzero(a.doc_lens)),
        "postings_block": blocks.size,
        "block_slope": blocks.slope,
    }


def write_keyword(out: FileRecorder, name: str, a: KeywordArrays) -> dict:
    """Write one ID or KEYWORD field; returns its statistics for the segment metadata."""
    _write_terms(out, name, a.terms)
    out.array(name, POSTING_STARTS, a.posting_starts.astype(OFFSET))
    out.array(name, DOC_IDS, narrow(a.doc_ids))
    docs_with_field = int(np.count_nonzero(np.bincount(a.doc_ids))) if len(a.doc_ids) else 0
    return {"num_terms": len(a.terms), "num_postings": len(a.doc_ids), "docs_with_field": docs_with_field}


def write_values(out: FileRecorder, name: str, values: np.ndarray) -> dict:
    out.array(name, VALUES, values.astype(NUMBER))
    return {"num_values": int(np.count_nonzero(~np.isnan(values)))}


def write_documents(out: FileRecorder, max_doc: int, fields: dict,
                    stored: tuple[np.ndarray, np.ndarray, np.ndarray], hashes: np.ndarray,
                    keys: tuple[np.ndarray, np.ndarray]) -> None:
    """Write the stored fields (packed by :func:`pack_stored`), IDs, content digests and the
    metadata, then fsync the directory."""
    key_blob, key_starts = keys  # UTF-8 of every ID, and n + 1 offsets (encode_strings)
    out.array("", KEYS, key_blob)
    out.array("", KEY_STARTS, key_starts)
    blob, block_starts, doc_starts = stored
    out.array("", STORED, blob)
    out.array("", STORED_BLOCKS, block_starts)
    out.array("", STORED_STARTS, doc_starts)
    out.array("", HASHES, hashes.astype(np.uint64))
    out.json(SEGMENT_META, {"num_docs": max_doc, "fields": fields})
    out.finish()


def _write_terms(out: FileRecorder, name: str, terms: list[str]) -> None:
    blob, starts = encode_strings(terms)
    out.array(name, TERMS, blob)
    out.array(name, TERM_STARTS, starts)


def _npy_header(values: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(values.dtype), "fortran_order": False, "shape": values.shape}
    )
    return buf.getvalue()


# The dtypes each part may be written in; readers accept any of them.
PART_DTYPES: dict[str, tuple[np.dtype, ...]] = {
    TERMS: (BYTES,), TERM_STARTS: (OFFSET,), POSTING_STARTS: (OFFSET,), DOC_IDS: COUNTS, TERM_FREQS: COUNTS,
    POSITION_STARTS: (OFFSET,), POSITIONS: COUNTS, DOC_LENS: COUNTS, LEXICON: (BYTES,), LEXICON_STARTS: (OFFSET,),
    LEXICON_TERMS: (TERM_ORD,), VALUES: (NUMBER,), STORED: (BYTES,), STORED_STARTS: (OFFSET,),
    STORED_BLOCKS: (OFFSET,), HASHES: (DIGEST,), KEYS: (BYTES,), KEY_STARTS: (OFFSET,),
    DOC_RUNS: (OFFSET,), RUN_STARTS: (OFFSET,), RUN_HIGHS: COUNTS,
    TERM_BLOCKS: (OFFSET,), BLOCK_MAX_TFS: COUNTS, BLOCK_MIN_RATIOS: (RATIO,), BLOCK_LAST_DOCS: COUNTS,
    BLOCK_MAX_NORMED: (RATIO,),
}


class DocIdRuns(NamedTuple):
    """The runs of a TEXT field whose doc ids are split (see DOC_RUNS, RUN_STARTS, RUN_HIGHS above)."""

    doc_runs: np.ndarray    # int64[num_terms + 1]: per term, the offset of its first run
    run_starts: np.ndarray  # int64[num_runs + 1]: per run, the offset of its first posting
    run_highs: np.ndarray   # uint8/16/32[num_runs]: per run, the doc ids' high bits


def splits(max_doc: int) -> bool:
    """Whether a segment of ``max_doc`` documents stores its TEXT doc ids split in runs."""
    return max_doc > 1 << SPLIT_BITS


def split_doc_ids(doc_ids: np.ndarray, posting_starts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Doc ids sorted within each term (CSR by ``posting_starts``) as (low 16 bits: uint16, doc_runs,
    run_starts, run_highs); :func:`join_doc_ids` reverses it."""
    doc_ids = doc_ids.astype(np.int64)
    highs = doc_ids >> SPLIT_BITS
    first = np.ones(len(doc_ids), dtype=bool)
    if len(doc_ids):
        first[1:] = highs[1:] != highs[:-1]
    term_starts = posting_starts[:-1][posting_starts[:-1] < len(doc_ids)]
    first[term_starts] = True  # a run never crosses from one term to the next
    run_starts = np.append(np.flatnonzero(first), len(doc_ids)).astype(OFFSET)
    doc_runs = np.searchsorted(run_starts[:-1], posting_starts).astype(OFFSET)
    return (doc_ids & ((1 << SPLIT_BITS) - 1)).astype(np.uint16), doc_runs, run_starts, narrow(highs[run_starts[:-1]])


def join_doc_ids(low: np.ndarray, run_starts: np.ndarray, run_highs: np.ndarray, offset: int = 0) -> np.ndarray:
    """int64 doc ids from their low bits and the runs covering them; ``offset`` is the position of
    ``low[0]`` in the field's postings, ``run_starts`` the runs from the one holding it on."""
    docs = low.astype(np.int64)
    if len(run_highs) == 1:
        if run_highs[0]:
            docs += int(run_highs[0]) << SPLIT_BITS
        return docs
    size = len(low)
    if len(run_highs) > 64:  # the whole field (merges, checks): one vector operation
        bounds = np.minimum(np.maximum(run_starts.astype(np.int64) - offset, 0), size)
        docs += np.repeat(run_highs.astype(np.int64) << SPLIT_BITS, np.diff(bounds))
        return docs
    # one term: a few runs, each added in place, their bounds clipped in Python (np.clip costs more
    # than the adds on lists of a few runs)
    starts = run_starts.tolist()
    for high, start, end in zip(run_highs.tolist(), starts, starts[1:]):
        if high:
            docs[min(max(start - offset, 0), size) : min(max(end - offset, 0), size)] += high << SPLIT_BITS
    return docs


class PostingBlocks(NamedTuple):
    """The block bounds of a TEXT field (see TERM_BLOCKS and the parts after it)."""

    size: int                # postings per block
    slope: float             # s of max_normed
    term_blocks: np.ndarray  # int64[num_terms + 1]: per term, the offset of its first block
    max_tfs: np.ndarray      # per block, its largest term frequency
    min_ratios: np.ndarray   # float32 per block, its smallest doc length / tf, rounded down
    max_normed: np.ndarray   # float32 per block, its largest tf / (1 + slope * dl), rounded up
    last_docs: np.ndarray    # per block, the doc id of its last posting


_CHUNK = 1 << 20  # postings per step: a float per posting of a whole field would take 8 bytes a posting


def reference_slope(doc_lens: np.ndarray) -> float:
    """The slope s of a field's block bounds: b / ((1 - b) * avgdl) for b = REFERENCE_B (0 when empty)."""
    tokens, docs = int(doc_lens.sum(dtype=np.int64)), int(np.count_nonzero(doc_lens))
    return REFERENCE_B * docs / ((1 - REFERENCE_B) * tokens) if tokens else 0.0


def _rounded(values: np.ndarray, up: bool) -> np.ndarray:
    """float64 ``values`` as float32, rounded up or down (a cast rounds to nearest: a bound must hold)."""
    rounded = values.astype(RATIO)
    wrong = rounded < values if up else rounded > values
    rounded[wrong] = np.nextafter(rounded[wrong], np.float32(np.inf if up else 0))
    return rounded


def posting_blocks(posting_starts: np.ndarray, doc_ids: np.ndarray, term_freqs: np.ndarray, doc_lens: np.ndarray,
                   size: int) -> PostingBlocks:
    """The block bounds of a field's postings (CSR by ``posting_starts``), in blocks of ``size``."""
    posting_starts = posting_starts.astype(np.int64)
    slope = reference_slope(doc_lens)
    counts = np.diff(posting_starts)
    per_term = -(-counts // size)
    term_blocks = np.zeros(len(counts) + 1, dtype=OFFSET)
    np.cumsum(per_term, out=term_blocks[1:])
    num_blocks = int(term_blocks[-1])
    # the posting each block starts at: its term's start, plus size per block before it in the term
    firsts = np.repeat(posting_starts[:-1] - size * term_blocks[:-1], per_term) + size * np.arange(num_blocks)
    ends = np.minimum(firsts + size, np.repeat(posting_starts[1:], per_term))
    min_ratios = np.empty(num_blocks, dtype=RATIO)
    max_normed = np.empty(num_blocks, dtype=RATIO)
    if not num_blocks:
        empty = np.zeros(0, dtype=np.int64)
        return PostingBlocks(size, slope, term_blocks, empty, min_ratios, max_normed, empty)
    for lo in range(0, num_blocks, _CHUNK // size):
        hi = min(lo + _CHUNK // size, num_blocks)
        start, end = int(firsts[lo]), int(ends[hi - 1])
        freqs = term_freqs[start:end].astype(np.float64)
        lengths = doc_lens[doc_ids[start:end]].astype(np.float64)
        at = firsts[lo:hi] - start
        min_ratios[lo:hi] = _rounded(np.minimum.reduceat(lengths / freqs, at), up=False)
        max_normed[lo:hi] = _rounded(np.maximum.reduceat(freqs / (1.0 + slope * lengths), at), up=True)
    return PostingBlocks(size, slope, term_blocks, np.maximum.reduceat(term_freqs, firsts), min_ratios, max_normed,
                         doc_ids[ends - 1])


def narrow(values: np.ndarray) -> np.ndarray:
    """``values`` (non-negative integers) in the narrowest of uint8, uint16, uint32 that holds them."""
    top = int(values.max()) if len(values) else 0
    for dtype in COUNTS:
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    raise ArgumentError(f"value {top} does not fit in uint32")


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-d integer array, sorted: ``np.unique(values)``, which numpy 2 answers
    only after importing numpy.ma, 15 ms that a one-shot query would pay on its first wildcard or typo."""
    ordered = np.sort(values)
    return ordered[_first_of_runs(ordered)]


def distinct_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for a 1-d integer array: the distinct values, sorted,
    and for each value the index of its own among them. By a stable argsort, which numpy runs several
    times faster on integer keys than the quicksort np.unique picks (the indexing tokenizer numbers
    millions of tokens this way)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = _first_of_runs(ordered)
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _first_of_runs(ordered: np.ndarray) -> np.ndarray:
    """bool[len(ordered)]: True where a run of equal values of the sorted ``ordered`` starts."""
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


_VERIFIED: set[tuple[str, int, int, int]] = set()


def is_array_file(file_name: str) -> bool:
    """Whether a file of a segment holds one array (a ``.npy`` file)."""
    return file_name.endswith(".npy")


def part_of(file_name: str) -> tuple[str, str]:
    """(field, part) of an array file name: ``body.doc_ids.npy`` -> ("body", "doc_ids")."""
    stem = file_name[:-4] if file_name.endswith(".npy") else file_name
    field, _, part = stem.rpartition(".")
    return field, part


def part_dtypes(file_name: str) -> tuple[np.dtype, ...] | None:
    """The dtypes an array file (``body.doc_ids.npy``, in a pack or not) may hold, or None for a name
    that is no array of a known part."""
    return PART_DTYPES.get(part_of(file_name)[1]) if is_array_file(file_name) else None


def _map_file(path: Path, entry: dict) -> tuple[mmap.mmap | bytes, tuple]:
    """``path`` mapped read-only, after its size matched ``entry``; with the key its checksum is known by."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            size = st.st_size
            if size != entry["size"]:
                raise IndexCorruptError(path, _size_problem(size, entry))
            if not size:
                return b"", (str(path), st.st_ino, st.st_mtime_ns, size)
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            if _RANDOM is not None:
                data.madvise(_RANDOM)  # postings are read a slice at a time: no read-ahead
            return data, (str(path), st.st_ino, st.st_mtime_ns, size)
    except FileNotFoundError:
        raise IndexCorruptError(path, "file is missing") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, IndexCorruptError):
            raise
        raise IndexCorruptError(path, f"cannot be mapped ({exc})") from None


def _members(path: Path, entry: dict) -> list[tuple[str, tuple[int, int, int]]]:
    """The members a pack's manifest entry lists: (name, (offset, size, crc32)), sorted by offset."""
    try:
        members = [(str(name), (int(offset), int(size), int(crc)))
                   for name, (offset, size, crc) in entry["members"].items()]
    except (TypeError, ValueError, AttributeError) as exc:
        raise IndexCorruptError(path, f"the manifest's list of the pack's arrays is unreadable ({exc})") from None
    return sorted(members, key=lambda member: member[1][0])


class MappedPack:
    """A segment's :data:`PACK`, mapped once: its members are views of the one mapping."""

    __slots__ = ("path", "entry", "data", "key")

    def __init__(self, path: Path, entry: dict) -> None:
        self.path = path
        self.entry = entry
        self.data, self.key = _map_file(path, entry)

    def arrays(self) -> dict[str, MappedArray]:
        """Every member, by its file name (``<field>.<part>.npy``), parsed but not yet checked."""
        out = {}
        for name, (offset, size, crc) in _members(self.path, self.entry):
            if offset % PACK_ALIGN or offset + size > len(self.data):
                raise IndexCorruptError(self.path, f"{name}: bytes {offset}-{offset + size} lie outside the pack "
                                                   f"or off its alignment")
            dtypes = part_dtypes(name)
            if dtypes is None:
                raise IndexCorruptError(self.path, f"{name}: unknown kind of array")
            out[name] = MappedArray(self.path, dtypes, {"size": size, "crc32": crc}, self, offset, name)
        return out


class MappedArray:
    """One array in the .npy layout, mapped read-only: a file of its own, or a member of a pack. The mapping
    outlives the file's deletion (POSIX), so a reader keeps its generation even after a merge removed the
    files. The checksum is verified on first use."""

    __slots__ = ("path", "entry", "array", "_data", "_whole", "_base", "_key", "_verified", "member")

    def __init__(self, path: Path, dtypes: tuple[np.dtype, ...], entry: dict[str, int],
                 pack: MappedPack | None = None, offset: int = 0, member: str | None = None) -> None:
        self.path = path
        self.entry = entry
        self.member = member  # its name in a pack, None for a file of its own
        if pack is None:
            self._data, self._key = _map_file(path, entry)
            self._whole = self._data
        else:
            self._data = memoryview(pack.data)[offset : offset + entry["size"]]
            self._whole, self._key = pack.data, (*pack.key, offset)
        self._base = offset
        self.array = _parse_npy(path, self._data, dtypes, member)
        self._verified = False

    def checked(self) -> np.ndarray:
        """The array, after its CRC-32 matched the manifest (computed once per file per process)."""
        if not self._verified:
            if self._key not in _VERIFIED:
                crc = _mapped_crc32(self._data, self._whole, self._base)
                if crc != self.entry["crc32"]:
                    problem = _checksum_problem(crc, self.entry)
                    raise IndexCorruptError(self.path, f"{self.member}: {problem}" if self.member else problem)
                _VERIFIED.add(self._key)
            self._verified = True
        return self.array


def _mapped_crc32(data: mmap.mmap | memoryview | bytes, whole: mmap.mmap | bytes | None = None,
                  base: int = 0) -> int:
    """The CRC-32 of mapped bytes (``data``, at ``base`` in the mapping ``whole``; by default a whole
    mapping), a chunk at a time, each chunk's pages released from the process once read (they stay in the
    page cache): checking a large file must not leave all of it resident."""
    if whole is None:
        whole = data
    crc = 0
    view = memoryview(data)
    release = _DONTNEED is not None and isinstance(whole, mmap.mmap)
    try:
        for start in range(0, len(view), _CRC_CHUNK):
            crc = zlib.crc32(view[start : start + _CRC_CHUNK], crc)
            if release:
                # whole pages: a neighbour's pages dropped with them come back from the page cache on use
                low = (base + start) // mmap.PAGESIZE * mmap.PAGESIZE
                high = base + min(len(view), start + _CRC_CHUNK)
                whole.madvise(_DONTNEED, low, high - low)
    finally:
        view.release()
    return crc


_CRC_CHUNK = 1 << 20  # a multiple of every page size
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
_RANDOM = getattr(mmap, "MADV_RANDOM", None)


_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(rb"\{'descr': '([<>|][a-z]\d+)', 'fortran_order': False, 'shape': \((\d+),\), \} *\n")


def _parse_npy(path: Path, data: mmap.mmap | memoryview | bytes, dtypes: tuple[np.dtype, ...],
               member: str | None = None) -> np.ndarray:
    # The header is parsed here with a strict pattern, not numpy's reader: that one evaluates the header
    # with ast.literal_eval, which is neither needed for the one layout we write nor safe to run from
    # several threads at once on every CPython (gh-106905).
    where = f"{member}: " if member else ""
    header_len = int.from_bytes(data[8:10], "little") if len(data) >= 10 else 0
    match = _NPY_HEADER.fullmatch(bytes(data[10 : 10 + header_len])) if bytes(data[:8]) == _NPY_MAGIC else None
    if match is None:
        raise IndexCorruptError(path, f"{where}not a readable array (bad .npy header)")
    dtype = np.dtype(match.group(1).decode("ascii"))
    if dtype not in dtypes:
        raise IndexCorruptError(path, f"{where}expected a 1-d array of {' or '.join(map(str, dtypes))}, "
                                      f"found {dtype}")
    count = int(match.group(2))
    offset = 10 + header_len
    if offset + count * dtype.itemsize != len(data):
        raise IndexCorruptError(path, f"{where}holds {len(data) - offset} data bytes for {count} items of {dtype}")
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset)


def _size_problem(size: int, entry: dict[str, int]) -> str:
    return f"size {size} bytes, manifest says {entry['size']} (truncated or rewritten)"


def _checksum_problem(crc: int, entry: dict[str, int]) -> str:
    return f"checksum {crc:#010x}, manifest says {entry['crc32']:#010x} (corrupted)"


def verify_file(path: Path, entry: dict[str, int]) -> str | None:
    """What is wrong with a file against its manifest entry (size, CRC-32), or None."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "file is missing"
    if size != entry["size"]:
        return _size_problem(size, entry)
    crc = crc32_file(path)
    if crc != entry["crc32"]:
        problem = _checksum_problem(crc, entry)
        try:
            damaged = _damaged_members(path, _members(path, entry)) if "members" in entry else []
        except IndexCorruptError as exc:
            return f"{problem}; {exc.problem}"
        return f"{problem}, in {', '.join(damaged)}" if damaged else problem
    return None


def _damaged_members(path: Path, members: list[tuple[str, tuple[int, int, int]]]) -> list[str]:
    """The members of a pack whose bytes do not match their checksums."""
    damaged = []
    with open(path, "rb") as f:
        for name, (offset, size, crc) in members:
            f.seek(offset)
            if zlib.crc32(f.read(size)) != crc:
                damaged.append(name)
    return damaged


def pack_stored(docs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compress per-document bytes in blocks of STORED_BLOCK: (blob, block_starts, doc_starts)."""
    doc_starts = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=doc_starts[1:])
    return pack_stored_bytes(b"".join(docs), doc_starts)


def pack_stored_bytes(data, doc_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`pack_stored` of documents given as one buffer and their ``n + 1`` start offsets in it."""
    n = len(doc_starts) - 1
    bounds = doc_starts[[*range(0, n, STORED_BLOCK), n]].tolist() if n else [0]
    view = memoryview(data).cast("B")
    blocks = [zlib.compress(view[a:b], 6) for a, b in zip(bounds, bounds[1:])]
    block_starts = np.zeros(len(blocks) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blocks], out=block_starts[1:])
    return np.frombuffer(b"".join(blocks), dtype=np.uint8), block_starts, doc_starts


class InflatedBlocks:
    """The stored blocks inflated lately, shared by every segment of the process and bounded in bytes,
    the least recently used out first. A search reads the stored fields of its ten hits, one block each,
    and inflating a block costs more than scoring the query: a server answering many searches reads the
    same blocks again and again. Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._blocks: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> bytes | None:
        with self._lock:
            data = self._blocks.get(key)
            if data is not None:
                self._blocks.move_to_end(key)
            return data

    def put(self, key: tuple[int, int], data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            if key in self._blocks:
                return
            self._blocks[key] = data
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                _, dropped = self._blocks.popitem(last=False)
                self._bytes -= len(dropped)

    @property
    def nbytes(self) -> int:
        return self._bytes


#: the process's cache of inflated stored blocks (64 MiB: Reuters-21578's stored title and body inflate to
#: about 25 MB); set ``INFLATED_BLOCKS.max_bytes`` to change it, 0 to keep none
INFLATED_BLOCKS = InflatedBlocks(64 * 2**20)
_STORED_IDS = itertools.count()


class StoredFields:
    """Random access to the per-document bytes written by :func:`pack_stored`; inflated blocks are kept in
    :data:`INFLATED_BLOCKS`."""

    def __init__(self, path: Path, blob: np.ndarray, block_starts: np.ndarray, doc_starts: np.ndarray,
                 member: str | None = None) -> None:
        self.path = path                  # the file holding the blob (a pack, with ``member`` its name there)
        self._where = f"{member}: " if member else ""  # how errors name the array
        self.blob = blob                  # uint8[*]: the zlib blocks back to back (STORED)
        self.block_starts = block_starts  # int64[num_blocks + 1]: the blocks' offsets in blob (STORED_BLOCKS)
        self.doc_starts = doc_starts      # int64[max_doc + 1]: the documents' offsets, inflated (STORED_STARTS)
        self._id = next(_STORED_IDS)  # this object's part of the keys of INFLATED_BLOCKS
        if len(block_starts) == 0 or block_starts[0] != 0 or block_starts[-1] != len(blob):
            # every byte of the blob lies in a block, so the blocks' own checks cover all of it
            raise IndexCorruptError(path, f"{self._where}stored blocks span "
                                          f"{block_starts[-1] if len(block_starts) else 0} bytes of a {len(blob)}-byte blob")

    def __len__(self) -> int:
        return len(self.doc_starts) - 1

    def everything(self) -> tuple[bytes, np.ndarray]:
        """Every document's bytes, inflated into one buffer, and their ``n + 1`` start offsets in it."""
        bounds = self.block_starts.tolist()
        try:
            data = b"".join(zlib.decompress(self.blob[a:b]) for a, b in zip(bounds, bounds[1:]))
        except zlib.error as exc:
            raise IndexCorruptError(self.path, f"{self._where}stored blocks cannot be read ({exc})") from None
        starts = np.asarray(self.doc_starts, dtype=np.int64)
        if len(data) != starts[-1] - starts[0]:
            raise IndexCorruptError(self.path, f"{self._where}stored blocks inflate to {len(data)} bytes, offsets say "
                                               f"{starts[-1]}")
        return data, starts - starts[0]

    def get(self, doc_id: int) -> bytes:
        block = doc_id // STORED_BLOCK
        data = INFLATED_BLOCKS.get((self._id, block))
        if data is None:
            try:
                raw = self.blob[self.block_starts[block] : self.block_starts[block + 1]].tobytes()
                data = zlib.decompress(raw)
            except (zlib.error, IndexError) as exc:
                raise IndexCorruptError(self.path, f"{self._where}stored block {block} cannot be read ({exc})") from None
            INFLATED_BLOCKS.put((self._id, block), data)
        base = self.doc_starts[block * STORED_BLOCK]
        return data[self.doc_starts[doc_id] - base : self.doc_starts[doc_id + 1] - base]


def encode_strings(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 blob and int64 start offsets (n + 1) of a sequence of strings."""
    joined = "".join(strings)
    starts = np.zeros(len(strings) + 1, dtype=np.int64)
    if joined.isascii():  # one byte a character: no string needs encoding on its own
        np.cumsum(list(map(len, strings)), out=starts[1:])
        return np.frombuffer(joined.encode("ascii"), dtype=np.uint8), starts
    encoded = [s.encode("utf-8") for s in strings]
    np.cumsum([len(b) for b in encoded], out=starts[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), starts
