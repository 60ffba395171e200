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
from .builder import KeywordArrays, TextArrays, csr_postings, write_documents, write_keyword, write_text, write_values
from .reader import SegmentReader

MERGE_FACTOR = 10          # merge when this many adjacent segments share a size level
MAX_MERGE_DOCS = 5_000_000  # segments larger than this are left alone by the policy (optimize still merges them)


def pick_merge(live_docs: Sequence[int], num_deleted: Sequence[int], merge_factor: int = MERGE_FACTOR) -> tuple[int, int] | None:
    """The [start, end) run of adjacent segments to merge at this commit, or None.

    A log-size policy that only merges neighbours, so document order survives: segments are put on
    levels by log10 of their live document count, and the newest run of ``merge_factor`` adjacent
    segments on one level (or lower levels in between) is merged. Failing that, a segment that has lost
    at least half its documents to deletions is rewritten alone. At most one merge per commit keeps the
    work a commit does bounded.
    """
    levels = [int(math.log10(max(n, 1))) for n in live_docs]
    for end in range(len(levels), 0, -1):
        level = levels[end - 1]
        start = end
        while start > 0 and levels[start - 1] <= level and end - start < merge_factor:
            start -= 1
        if end - start >= merge_factor and sum(live_docs[start:end]) <= MAX_MERGE_DOCS:
            return start, end
    for i, (live, deleted) in enumerate(zip(live_docs, num_deleted)):
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
        live = segment.live if segment.live is not None else np.ones(segment.num_docs, dtype=bool)
        mapping = np.full(segment.num_docs, -1, dtype=np.int64)
        mapping[live] = base + np.arange(int(np.count_nonzero(live)))
        base += int(np.count_nonzero(live))
        new_ids.append(mapping)
    num_docs = base

    blobs, hashes, keys = [], [], []
    for segment, mapping in zip(segments, new_ids):
        keep = np.flatnonzero(mapping >= 0).tolist()
        blobs.extend(segment.stored_raw(d) for d in keep)
        keys.extend(segment.doc_key(d) for d in keep)
        hashes.append(segment.hashes()[mapping >= 0])

    out = codec.FileRecorder(directory)
    fields: dict[str, dict] = {}
    # zlib lets go of the GIL: the stored fields are recompressed on a second thread during the merge.
    with ThreadPoolExecutor(1) as pool:
        packed = pool.submit(codec.pack_stored, blobs)
        for name, ftype in schema.items():
            if isinstance(ftype, TEXT):
                fields[name] = write_text(out, name, _merge_text(segments, name, new_ids, num_docs))
            elif isinstance(ftype, ID | KEYWORD):
                fields[name] = write_keyword(out, name, _merge_keyword(segments, name, new_ids))
            elif isinstance(ftype, NUMERIC | DATE):
                values = [s.values(name)[m >= 0] for s, m in zip(segments, new_ids)]
                fields[name] = write_values(out, name, np.concatenate(values) if values else np.empty(0, NUMBER))
        hashes = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
        write_documents(out, num_docs, fields, packed.result(), hashes, keys)
    return out.files


def _union_terms(term_lists: list[list[str]]) -> tuple[list[str], list[np.ndarray]]:
    """The sorted union of the segments' term lists, and per segment its local -> merged ordinal map."""
    merged = sorted(set().union(*term_lists)) if term_lists else []
    ords = {term: i for i, term in enumerate(merged)}
    return merged, [np.fromiter((ords[t] for t in terms), dtype=np.int64, count=len(terms)) for terms in term_lists]


def _merge_text(segments, name: str, new_ids: list[np.ndarray], num_docs: int) -> TextArrays:
    readers = [s.text(name) for s in segments]
    terms, maps = _union_terms([r.terms.all() for r in readers])
    all_terms, all_docs, all_positions = [], [], []
    lexicon: dict[str, int] = {}
    for reader, mapping, term_map in zip(readers, new_ids, maps):
        counts = np.diff(reader.posting_starts)
        posting_terms = np.repeat(term_map, counts)
        posting_docs = mapping[reader.all_doc_ids]
        freqs = reader.all_term_freqs.astype(np.int64)
        # one entry per token occurrence, then drop the deleted documents'
        token_terms = np.repeat(posting_terms, freqs)
        token_docs = np.repeat(posting_docs, freqs)
        positions = reader._arrays.get(name, codec.POSITIONS)
        keep = token_docs >= 0
        all_terms.append(token_terms[keep])
        all_docs.append(token_docs[keep])
        all_positions.append(positions[keep].astype(np.int64))
        table, lex_terms = reader._lexicon
        for form, term_ord in zip(table.all(), lex_terms.tolist()):
            lexicon.setdefault(form, int(term_map[term_ord]))
    token_terms = np.concatenate(all_terms)
    token_docs = np.concatenate(all_docs)
    positions = np.concatenate(all_positions)
    # Documents of different segments never share a posting, and positions inside a posting are already
    # in order: a stable sort by (term, doc) gives the (term, doc, position) order.
    order = np.lexsort((token_docs, token_terms))
    arrays = csr_postings(token_terms[order], token_docs[order], positions[order], len(terms), num_docs)
    # A term whose every posting was deleted stays in the dictionary with no postings: harmless, and a
    # rewrite would cost a second pass. The lexicon only names terms still in the dictionary.
    return TextArrays(terms, *arrays, lexicon)


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
    order = np.lexsort((docs, term_ords))
    posting_starts = np.zeros(len(terms) + 1, dtype=OFFSET)
    np.cumsum(np.bincount(term_ords, minlength=len(terms)), out=posting_starts[1:])
    return KeywordArrays(terms, posting_starts, docs[order])
