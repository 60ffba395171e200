"""check_index: verify every checksum and structural invariant of a committed index, file by file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SearchcoreError
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT
from . import codec
from .manifest import read_manifest
from .reader import SegmentReader, TextReader, schema_of
from .terms import TermDictionary


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file of an index. ``fatal`` is False for leftovers a writer will remove."""

    path: str
    problem: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class CheckReport:
    files_checked: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.fatal for p in self.problems)


def check_index(directory: str | Path) -> CheckReport:
    """Read every file the manifest names, compare sizes and CRC-32s, and check the arrays' invariants.

    Never raises for a damaged index: each problem is reported with the file it is in.
    """
    directory = Path(directory)
    problems: list[Problem] = []
    try:
        manifest = read_manifest(directory)
    except SearchcoreError as exc:
        return CheckReport(0, [Problem(str(getattr(exc, "path", directory)), str(getattr(exc, "problem", exc)))])
    try:
        schema = schema_of(directory, manifest)
    except SearchcoreError as exc:
        return CheckReport(1, [Problem(str(exc.path), exc.problem)])  # type: ignore[attr-defined]
    checked = 0
    for info in manifest.segments:
        seg_dir = directory / info.name
        bad_files = False
        for name, entry in sorted(info.files.items()):
            checked += 1
            problem = codec.verify_file(seg_dir / name, entry)
            if problem:
                problems.append(Problem(str(seg_dir / name), problem))
                bad_files = True
        if seg_dir.is_dir():
            for extra in sorted(seg_dir.iterdir()):
                if extra.name not in info.files:
                    problems.append(Problem(str(extra), "not named by the manifest (a leftover; the next writer "
                                                        "removes it)", fatal=False))
        if bad_files:
            continue
        try:
            segment = SegmentReader(seg_dir, info, schema)
            problems += [Problem(str(seg_dir / path), msg) for path, msg in _segment_invariants(segment)]
        except SearchcoreError as exc:
            problems.append(Problem(str(getattr(exc, "path", seg_dir)), str(getattr(exc, "problem", exc))))
    live = {s.name for s in manifest.segments}
    for entry in sorted(directory.iterdir()):
        if (codec.is_segment_name(entry.name) and entry.name not in live) or codec.is_manifest_temp(entry.name):
            problems.append(Problem(str(entry), "not named by the manifest (a leftover; the next writer removes it)",
                                    fatal=False))
    return CheckReport(checked, problems)


def _sorted_strictly(table: TermDictionary) -> bool:
    items = table.all()
    return all(a < b for a, b in zip(items, items[1:]))


def _postings_ok(starts: np.ndarray, doc_ids: np.ndarray, max_doc: int) -> str | None:
    if len(starts) == 0 or starts[0] != 0 or np.any(np.diff(starts) < 0) or starts[-1] != len(doc_ids):
        return "posting offsets are not a monotone cover of the doc ids"
    if len(doc_ids) and int(doc_ids.max()) >= max_doc:
        return f"a doc id >= {max_doc} documents"
    rising = np.diff(doc_ids.astype(np.int64)) > 0
    boundary = np.zeros(len(rising), dtype=bool)
    inner = starts[1:-1] - 1
    boundary[inner[(inner >= 0) & (inner < len(rising))]] = True
    if not np.all(rising | boundary):
        return "doc ids are not strictly increasing within a term"
    return None


def _runs_problem(reader: TextReader) -> str | None:
    """What is wrong with a TEXT field's doc id runs (see codec.split_doc_ids), or None."""
    doc_runs, run_starts, run_highs = reader.doc_id_runs
    starts = reader.posting_starts
    nnz = len(reader.raw_doc_ids)
    if (len(run_starts) == 0 or run_starts[0] != 0 or run_starts[-1] != nnz or np.any(np.diff(run_starts) <= 0)
            or doc_runs[0] != 0 or doc_runs[-1] != len(run_highs) or np.any(np.diff(doc_runs) < 0)):
        return "doc id runs are not a monotone cover of the postings"
    filled = np.flatnonzero(np.diff(starts) > 0)
    if len(starts) > 1 and not (np.array_equal(run_starts[doc_runs[filled]], starts[filled])
                                and np.array_equal(doc_runs[1:] - doc_runs[:-1] > 0, np.diff(starts) > 0)):
        return "doc id runs do not begin where the terms' postings do"
    return None


def _blocks_problem(reader: TextReader, freqs: np.ndarray, doc_lens: np.ndarray) -> str | None:
    """What is wrong with a TEXT field's block bounds (see codec.TERM_BLOCKS), or None: they must be
    exactly what the postings give, since a bound below a score would lose a hit."""
    blocks = reader.blocks  # IndexCorruptError if they do not fit the terms
    if blocks is None:
        return None
    want = codec.posting_blocks(reader.posting_starts, reader.all_doc_ids, freqs, doc_lens, blocks.size)
    if blocks.slope != want.slope:
        return f"block slope {blocks.slope!r} differs from the document lengths' ({want.slope!r})"
    for part, got, expected in (("term_blocks", blocks.term_blocks, want.term_blocks),
                                ("block_max_tfs", blocks.max_tfs, want.max_tfs),
                                ("block_min_ratios", blocks.min_ratios, want.min_ratios),
                                ("block_max_normed", blocks.max_normed, want.max_normed),
                                ("block_last_docs", blocks.last_docs, want.last_docs)):
        if not np.array_equal(got, expected):
            return f"{part} differ from the postings"
    return None


def _dictionary_problems(name: str, reader, max_doc: int):
    """Problems of a field's term dictionary and doc ids, shared by TEXT, ID and KEYWORD fields."""
    if not _sorted_strictly(reader.terms):
        yield codec.array_file(name, codec.TERMS), "terms are not sorted and unique"
    if getattr(reader, "split", False):
        problem = _runs_problem(reader)
        if problem:
            yield codec.array_file(name, codec.DOC_RUNS), problem
            yield codec.array_file(name, codec.DOC_IDS), "doc ids cannot be read without their runs"
            return
    problem = _postings_ok(reader.posting_starts, reader.all_doc_ids, max_doc)
    if problem:
        yield codec.array_file(name, codec.DOC_IDS), problem


def _segment_invariants(segment: SegmentReader):
    """Yield (file name, problem) for every broken invariant of one segment."""
    n = segment.max_doc
    for name, ftype in segment.schema.items():
        stats = segment.field_meta(name) if name in segment.meta["fields"] else None
        if isinstance(ftype, TEXT | ID | KEYWORD) and stats is None:
            yield codec.SEGMENT_META, f"no statistics for field {name!r}"
            continue
        if isinstance(ftype, TEXT):
            reader = segment.text(name)
            problems = list(_dictionary_problems(name, reader, n))
            yield from problems
            if any(file == codec.array_file(name, codec.DOC_IDS) for file, _ in problems):
                continue
            freqs = reader.all_term_freqs
            if len(freqs) != len(reader.all_doc_ids) or (len(freqs) and int(freqs.min()) < 1):
                yield codec.array_file(name, codec.TERM_FREQS), "term frequencies do not match the postings"
                continue
            doc_lens = reader.doc_lens
            if len(doc_lens) != n or not np.array_equal(
                np.bincount(reader.all_doc_ids, weights=freqs, minlength=n).astype(np.int64), doc_lens.astype(np.int64)
            ):
                yield codec.array_file(name, codec.DOC_LENS), "document lengths differ from the term frequencies"
            position_starts = reader.position_starts
            cumulative = np.zeros(len(freqs) + 1, dtype=np.int64)
            np.cumsum(freqs, out=cumulative[1:])
            expected = cumulative[reader.posting_starts]
            if not np.array_equal(position_starts, expected):
                yield codec.array_file(name, codec.POSITION_STARTS), "position offsets differ from the term frequencies"
            elif int(expected[-1]) != len(reader.all_positions):
                yield codec.array_file(name, codec.POSITIONS), "the number of positions differs from the frequencies"
            problem = _blocks_problem(reader, freqs, doc_lens)
            if problem:
                yield codec.array_file(name, codec.TERM_BLOCKS), problem
            if stats.get("total_num_tokens") != int(doc_lens.sum(dtype=np.int64)):
                yield codec.SEGMENT_META, f"token count of {name!r} differs from the document lengths"
            lex_terms = reader.lexicon.term_ords
            if len(lex_terms) != len(reader.lexicon.surfaces) or (len(lex_terms) and int(lex_terms.max()) >= len(reader.terms)):
                yield codec.array_file(name, codec.LEXICON_TERMS), "lexicon points outside the term dictionary"
        elif isinstance(ftype, ID | KEYWORD):
            yield from _dictionary_problems(name, segment.terms(name), n)
        elif isinstance(ftype, NUMERIC | DATE):
            if len(segment.values(name)) != n:
                yield codec.array_file(name, codec.VALUES), f"{len(segment.values(name))} values for {n} documents"
    stored = segment.stored_fields
    starts, blocks, blob = stored.doc_starts, stored.block_starts, stored.blob
    if len(starts) != n + 1 or starts[0] != 0 or np.any(np.diff(starts) < 0):
        yield codec.array_file("", codec.STORED_STARTS), "stored-field offsets are not monotone"
    elif len(blocks) != -(-n // codec.STORED_BLOCK) + 1 or blocks[0] != 0 or blocks[-1] != len(blob):
        yield codec.array_file("", codec.STORED_BLOCKS), "stored blocks do not cover the stored blob"
    else:
        for doc_id in range(n):
            try:
                json.loads(segment.stored_raw(doc_id))
            except (ValueError, SearchcoreError):
                yield codec.array_file("", codec.STORED), f"stored fields of document {doc_id} cannot be read"
                break
    key_blob, key_starts = segment.raw_keys
    if len(key_starts) != n + 1 or key_starts[-1] != len(key_blob):
        yield codec.array_file("", codec.KEY_STARTS), "ID offsets do not cover the IDs"
    if len(segment.hashes()) != n:
        yield codec.array_file("", codec.HASHES), f"{len(segment.hashes())} digests for {n} documents"
