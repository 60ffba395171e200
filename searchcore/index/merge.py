"""Merging: several segments (less their deleted documents) into one, and the policy that picks them.

A merge keeps the documents in order (segment by segment, then doc id), so ties, which break by
document order, rank the same before and after. Postings are remapped and re-sorted with array
operations; scores cannot change, because they are computed from the same terms, frequencies and
lengths with global statistics of the live documents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .._types import NUMBER, OFFSET
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT, Schema
from . import codec
from .codec import KeywordArrays, TextArrays, write_documents, write_keyword, write_text, write_values
from .reader import SegmentReader

MERGE_FACTOR = 10          # merge when this many adjacent segments share a size level
FLOOR_DOCS = 1_000         # segments smaller than this are "small": merged sooner, SMALL_MERGE_FACTOR at a time
SMALL_MERGE_FACTOR = 4
MAX_MERGE_DOCS = 5_000_000  # segments larger than this are left alone by the policy (optimize still merges them)


def pick_merge(doc_counts: Sequence[int], num_deleted: Sequence[int], merge_factor: int = MERGE_FACTOR) -> tuple[int, int] | None:
    """The [start, end) run of adjacent segments to merge at this commit, or None.

    A log-size policy that only merges neighbours, so document order survives: segments are put on
    levels by log10 of their live document count, and the newest run of ``merge_factor`` adjacent
    segments on one level (or lower levels in between) is merged. Failing that, a segment that has lost
    at least half its documents to deletions is rewritten alone. At most one merge per commit keeps the
    work a commit does bounded.

    Small segments (under ``FLOOR_DOCS`` live documents: the commits of a server taking a few writes at a
    time) are merged first, whenever the newest ``SMALL_MERGE_FACTOR`` or more of them stand together:
    every search pays for every segment (each term looked up and counted in each), and a reader opens
    each new one, so a stream of small commits must not leave dozens of them. Rewriting them costs at
    most ``FLOOR_DOCS`` documents a merge.
    """
    small = 0
    while small < len(doc_counts) and doc_counts[len(doc_counts) - 1 - small] < FLOOR_DOCS:
        small += 1
    if small >= SMALL_MERGE_FACTOR:
        return len(doc_counts) - small, len(doc_counts)
    levels = [int(math.log10(max(n, 1))) for n in doc_counts]
    for end in range(len(levels), 0, -1):
        level = levels[end - 1]
        start = end
        while start > 0 and levels[start - 1] <= level and end - start < merge_factor:
            start -= 1
        if end - start >= merge_factor and sum(doc_counts[start:end]) <= MAX_MERGE_DOCS:
            return start, end
    for i, (live, deleted) in enumerate(zip(doc_counts, num_deleted)):
        if deleted and deleted >= live:
            return i, i + 1
    return None


def merge_segments(segments: Sequence[SegmentReader], schema: Schema, directory: Path) -> dict[str, dict[str, int]]:
    """Write the live documents of ``segments``, in order, as one new segment in ``directory``.

    Returns the new segment's files with their sizes and checksums.
    """
    new_ids = []  # per segment: old doc id -> new doc id, -1 for deleted documents
    base = 0
    for segment in segments:
        live = segment.live if segment.live is not None else np.ones(segment.max_doc, dtype=bool)
        mapping = np.full(segment.max_doc, -1, dtype=np.int64)
        mapping[live] = base + np.arange(int(np.count_nonzero(live)))
        base += int(np.count_nonzero(live))
        new_ids.append(mapping)
    max_doc = base

    stored, keys, hashes = [], [], []
    for segment, mapping in zip(segments, new_ids):
        live = mapping >= 0
        stored.append(_kept(*segment.stored_fields.everything(), live))
        keys.append(_kept(*segment.raw_keys, live))
        hashes.append(segment.hashes()[live])

    fields: dict[str, dict] = {}
    # zlib lets go of the GIL: the stored fields are recompressed on a second thread during the merge.
    with codec.FileRecorder(directory) as out, ThreadPoolExecutor(1) as pool:
        packed = pool.submit(codec.pack_stored_bytes, *_joined(stored))
        for name, ftype in schema.items():
            if isinstance(ftype, TEXT):
                fields[name] = write_text(out, name, _merge_text(segments, name, new_ids, max_doc))
            elif isinstance(ftype, ID | KEYWORD):
                fields[name] = write_keyword(out, name, _merge_keyword(segments, name, new_ids))
            elif isinstance(ftype, NUMERIC | DATE):
                values = [s.values(name)[m >= 0] for s, m in zip(segments, new_ids)]
                fields[name] = write_values(out, name, np.concatenate(values) if values else np.empty(0, NUMBER))
        hashes = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
        write_documents(out, max_doc, fields, packed.result(), hashes, _joined(keys))
    return out.files


def _kept(data, starts: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries ``keep`` (bool[n]) selects of a buffer cut at ``starts`` (n + 1 offsets): their bytes,
    back to back, and their lengths."""
    starts = np.asarray(starts, dtype=np.int64)
    data = np.frombuffer(data, dtype=np.uint8)[starts[0] : starts[-1]]
    lengths = np.diff(starts)
    if keep.all():
        return data, lengths
    return data[np.repeat(keep, lengths)], lengths[keep]


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Several (bytes, lengths) as one buffer and its ``n + 1`` start offsets."""
    lengths = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    data = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.uint8)
    return data, starts


def _union_terms(term_lists: list[list[str]]) -> tuple[list[str], list[np.ndarray]]:
    """The sorted union of the segments' term lists, and per segment its local -> merged ordinal map."""
    merged = sorted(set().union(*term_lists)) if term_lists else []
    ords = {term: i for i, term in enumerate(merged)}
    return merged, [np.fromiter(map(ords.__getitem__, terms), dtype=np.int64, count=len(terms)) for terms in term_lists]


def _merge_text(segments, name: str, new_ids: list[np.ndarray], max_doc: int) -> TextArrays:
    readers = [s.text(name) for s in segments]
    terms, maps = _union_terms([r.terms.all() for r in readers])
    all_terms, all_docs, all_freqs, all_positions, all_lens, lexicons = [], [], [], [], [], []
    for reader, mapping, term_map in zip(readers, new_ids, maps):
        posting_terms = np.repeat(term_map, np.diff(reader.posting_starts))
        docs = mapping[reader.all_doc_ids]
        freqs = reader.all_term_freqs
        positions = reader.all_positions
        keep = docs >= 0
        if not keep.all():  # drop the deleted documents' postings and their positions
            positions = positions[np.repeat(keep, freqs)]
            posting_terms, docs, freqs = posting_terms[keep], docs[keep], freqs[keep]
        all_terms.append(posting_terms)
        all_docs.append(docs)
        all_freqs.append(freqs)
        all_positions.append(positions)
        all_lens.append(reader.doc_lens[mapping >= 0])
        lexicon = reader.lexicon
        lexicons.append(dict(zip(lexicon.surfaces.all(), term_map[lexicon.term_ords].tolist())))
    lexicon: dict[str, int] = {}
    for one in reversed(lexicons):  # the first segment that knows a surface form names its term
        lexicon.update(one)
    posting_terms = np.concatenate(all_terms)
    freqs = np.concatenate(all_freqs).astype(np.int64)
    # Each segment's postings are sorted by (term, doc), and its documents all come before the next
    # segment's: the merged (term, doc) order is a stable sort by term of the segments' runs, one after
    # the other (a merge of already sorted runs). Each posting's positions then move as one block.
    order = np.argsort(posting_terms, kind="stable")
    freqs_out = freqs[order]
    source_starts = np.cumsum(freqs) - freqs
    target_starts = np.cumsum(freqs_out) - freqs_out
    gather = np.arange(int(freqs.sum())) + np.repeat(source_starts[order] - target_starts, freqs_out)
    positions = np.concatenate(all_positions)[gather]
    num_terms = len(terms)
    posting_starts = np.zeros(num_terms + 1, dtype=OFFSET)
    np.cumsum(np.bincount(posting_terms, minlength=num_terms), out=posting_starts[1:])
    position_starts = np.zeros(num_terms + 1, dtype=OFFSET)
    np.cumsum(np.bincount(posting_terms, weights=freqs, minlength=num_terms).astype(OFFSET), out=position_starts[1:])
    doc_lens = np.concatenate(all_lens) if all_lens else np.zeros(max_doc, dtype=np.int64)
    # A term whose every posting was deleted stays in the dictionary with no postings: harmless, and a
    # rewrite would cost a second pass. The lexicon only names terms still in the dictionary.
    return TextArrays(terms, posting_starts, np.concatenate(all_docs)[order], freqs_out, position_starts,
                      positions, doc_lens, lexicon)


def _merge_keyword(segments, name: str, new_ids: list[np.ndarray]) -> KeywordArrays:
    readers = [s.terms(name) for s in segments]
    terms, maps = _union_terms([r.terms.all() for r in readers])
    all_terms, all_docs = [], []
    for reader, mapping, term_map in zip(readers, new_ids, maps):
        posting_terms = np.repeat(term_map, np.diff(reader.posting_starts))
        docs = mapping[reader.all_doc_ids]
        keep = docs >= 0
        all_terms.append(posting_terms[keep])
        all_docs.append(docs[keep])
    term_ords = np.concatenate(all_terms) if all_terms else np.empty(0, np.int64)
    docs = np.concatenate(all_docs) if all_docs else np.empty(0, np.int64)
    order = np.argsort(term_ords, kind="stable")  # the segments' sorted runs, merged (see _merge_text)
    posting_starts = np.zeros(len(terms) + 1, dtype=OFFSET)
    np.cumsum(np.bincount(term_ords, minlength=len(terms)), out=posting_starts[1:])
    return KeywordArrays(terms, posting_starts, docs[order])
