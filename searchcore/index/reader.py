"""Readers over one committed generation: SegmentReader per segment, IndexReader over all of them.

Every array file of a generation is memory-mapped when its segment opens (a size check, no read), so
opening an index costs a manifest read and a few ``stat`` and ``mmap`` calls, whatever its size; a file's
CRC-32 is checked on its first use.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT, Schema
from . import codec
from .manifest import Manifest, SegmentInfo, read_manifest
from .terms import Lexicon, TermDictionary


class _Arrays:
    """Every array of one segment (in its pack, or in files of their own), mapped when the segment is
    opened and checked on first use."""

    def __init__(self, directory: Path, info: SegmentInfo) -> None:
        self.directory = directory
        self.info = info
        self._maps: dict[str, codec.MappedArray] = {}
        for name, entry in info.files.items():
            if name == codec.PACK:
                self._maps.update(codec.MappedPack(directory / name, entry).arrays())
            elif codec.is_array_file(name) and name != info.deletions:
                dtype = codec.part_dtypes(name)
                if dtype is None:
                    raise IndexCorruptError(directory / name, "unknown kind of file")
                self._maps[name] = codec.MappedArray(directory / name, dtype, entry)

    def get(self, field: str, part: str) -> np.ndarray:
        """One array, its checksum verified on first use."""
        return self._mapped(field, part).checked()

    def _mapped(self, field: str, part: str) -> codec.MappedArray:
        name = codec.array_file(field, part)
        mapped = self._maps.get(name)
        if mapped is None:
            raise IndexCorruptError(self.directory / name, "file is not listed in the manifest")
        return mapped

    def has(self, field: str, part: str) -> bool:
        return codec.array_file(field, part) in self._maps

    @cached_property
    def stored_fields(self) -> codec.StoredFields:
        """The block store of the segment's stored fields: one per segment, whatever the generation, so
        the inflated blocks it keeps in :data:`codec.INFLATED_BLOCKS` outlive a refresh.

        The blob of blocks is not checksummed whole on first use, as the other arrays are: each block is
        a zlib stream, whose Adler-32 inflating it verifies, so reading ten documents checks the ten
        blocks they are in rather than every block of the segment (4 MB for a Reuters segment, 1.5 ms
        of a one-shot search). ``search check`` still verifies the blob's CRC-32 whole, and a merge inflates,
        and so checks, every block."""
        blob = self._mapped("", codec.STORED)  # its array, not checked() whole
        return codec.StoredFields(blob.path, blob.array, self.get("", codec.STORED_BLOCKS),
                                  self.get("", codec.STORED_STARTS), blob.member)


class TermsReader:
    """An ID or KEYWORD field of one segment: sorted terms and the documents holding each."""

    def __init__(self, arrays: _Arrays, field: str) -> None:
        self._arrays = arrays
        self.field = field
        self._ords: dict[str, int] = {}  # terms looked up so far: queries repeat their words

    @cached_property
    def terms(self) -> TermDictionary:
        """The field's sorted terms; a term's index in it is its ``term_ord``. Expansion (prefix,
        wildcard, fuzzy) builds its indexes on this object, so they last as long as this reader."""
        a = self._arrays
        return TermDictionary(a.get(self.field, codec.TERMS), a.get(self.field, codec.TERM_STARTS))

    @cached_property
    def posting_starts(self) -> np.ndarray:
        return self._arrays.get(self.field, codec.POSTING_STARTS)

    @cached_property
    def all_doc_ids(self) -> np.ndarray:
        return self._arrays.get(self.field, codec.DOC_IDS)

    def term_ord(self, term: str) -> int:
        """The term's ordinal in this segment, or -1."""
        term_ord = self._ords.get(term)
        if term_ord is None:
            if len(self._ords) > 100_000:
                self._ords.clear()
            term_ord = self._ords[term] = self.terms.find(term)
        return term_ord

    def doc_ids(self, term_ord: int) -> np.ndarray:
        """uint8/16/32[doc_freq], sorted: the documents holding the term."""
        return self.all_doc_ids[self.posting_starts[term_ord] : self.posting_starts[term_ord + 1]]

    def doc_freq(self, term_ord: int) -> int:
        return int(self.posting_starts[term_ord + 1] - self.posting_starts[term_ord])


class TextReader(TermsReader):
    """A TEXT field of one segment: postings with term frequencies and positions, lengths, lexicon."""

    def __init__(self, arrays: _Arrays, field: str, meta: dict | None = None) -> None:
        super().__init__(arrays, field)
        self._meta = meta or {}  # the field's entry in the segment's meta.json

    @cached_property
    def all_term_freqs(self) -> np.ndarray:
        return self._arrays.get(self.field, codec.TERM_FREQS)

    @cached_property
    def doc_lens(self) -> np.ndarray:
        """uint8/16/32[max_doc]: the number of terms each document has in this field."""
        return self._arrays.get(self.field, codec.DOC_LENS)

    @cached_property
    def lexicon(self) -> Lexicon:
        """Every lowercased surface token indexed in this field of this segment, and the term each
        stems to (what prefix, wildcard and fuzzy terms are matched against)."""
        a = self._arrays
        surfaces = TermDictionary(a.get(self.field, codec.LEXICON), a.get(self.field, codec.LEXICON_STARTS))
        return Lexicon(surfaces, a.get(self.field, codec.LEXICON_TERMS), self.terms)

    @cached_property
    def raw_doc_ids(self) -> np.ndarray:
        """uint8/16/32[num_postings]: the doc ids as stored: whole, or only their low
        ``codec.SPLIT_BITS`` bits when they are split in runs (see :attr:`doc_id_runs`)."""
        return self._arrays.get(self.field, codec.DOC_IDS)

    @cached_property
    def doc_id_runs(self) -> codec.DocIdRuns | None:
        """The runs that give split doc ids their high bits (a segment over 65,536 documents; see
        codec), else None.

        Raises:
            IndexCorruptError: the run files do not fit the segment or the terms.
        """
        a, field = self._arrays, self.field
        if not a.has(field, codec.DOC_RUNS):
            return None  # whole doc ids (a segment of format 1 may hold uint16 ones above 65,536 documents)
        if not (codec.splits(a.info.max_doc) and self.raw_doc_ids.dtype == np.uint16):
            raise IndexCorruptError(a.directory / codec.array_file(field, codec.DOC_RUNS),
                                    "doc ids are split in runs, but the segment is too small or they are not uint16")
        runs = codec.DocIdRuns(a.get(field, codec.DOC_RUNS), a.get(field, codec.RUN_STARTS),
                               a.get(field, codec.RUN_HIGHS))
        if len(runs.doc_runs) != len(self.posting_starts) or len(runs.run_starts) != len(runs.run_highs) + 1:
            raise IndexCorruptError(a.directory / codec.array_file(field, codec.DOC_RUNS), "runs do not fit the terms")
        return runs

    @property
    def split(self) -> bool:
        """Whether doc ids are stored split in runs: postings() then decodes them into new arrays."""
        return self.doc_id_runs is not None

    @property
    def all_doc_ids(self) -> np.ndarray:  # type: ignore[override]
        """Every posting's doc id, term by term (whole ids: joined from their runs when split)."""
        runs = self.doc_id_runs
        if runs is None:
            return self.raw_doc_ids
        return codec.join_doc_ids(self.raw_doc_ids, runs.run_starts, runs.run_highs)

    def doc_ids(self, term_ord: int) -> np.ndarray:
        return self.postings(term_ord)[0]

    def postings(self, term_ord: int) -> tuple[np.ndarray, np.ndarray]:
        """(doc_ids[n] sorted, term_freqs: uint8/16/32[n]) of one term. Doc ids are a view of the stored
        array (uint8/16/32), or int64 joined from their runs in a segment over 65,536 documents."""
        lo, hi = self.posting_starts[term_ord], self.posting_starts[term_ord + 1]
        docs = self.raw_doc_ids[lo:hi]
        runs = self.doc_id_runs
        if runs is not None:
            first, last = runs.doc_runs[term_ord], runs.doc_runs[term_ord + 1]
            docs = codec.join_doc_ids(docs, runs.run_starts[first : last + 1], runs.run_highs[first:last], int(lo))
        return docs, self.all_term_freqs[lo:hi]

    # -- block bounds (format 6) ------------------------------------------------------------------------
    @cached_property
    def blocks(self) -> codec.PostingBlocks | None:
        """The field's block bounds (see codec.TERM_BLOCKS), or None for a segment written without them."""
        a, field, meta = self._arrays, self.field, self._meta
        if not a.has(field, codec.TERM_BLOCKS):
            return None
        size, slope = meta.get("postings_block"), meta.get("block_slope")
        path = a.directory / codec.array_file(field, codec.TERM_BLOCKS)
        if not (isinstance(size, int) and size > 0 and isinstance(slope, float | int) and slope >= 0):
            raise IndexCorruptError(path, f"block size {size!r} or slope {slope!r} in meta.json is not valid")
        blocks = codec.PostingBlocks(size, float(slope), a.get(field, codec.TERM_BLOCKS),
                                     a.get(field, codec.BLOCK_MAX_TFS), a.get(field, codec.BLOCK_MIN_RATIOS),
                                     a.get(field, codec.BLOCK_MAX_NORMED), a.get(field, codec.BLOCK_LAST_DOCS))
        num_blocks = int(blocks.term_blocks[-1]) if len(blocks.term_blocks) else -1
        if len(blocks.term_blocks) != len(self.posting_starts) or not (
                len(blocks.max_tfs) == len(blocks.min_ratios) == len(blocks.max_normed) == len(blocks.last_docs)
                == num_blocks):
            raise IndexCorruptError(path, "block bounds do not fit the terms")
        return blocks

    def term_blocks(self, term_ord: int) -> tuple[np.ndarray, ...]:
        """(lo, hi, max_tfs, min_ratios, max_normed) of one term's blocks: block i's postings are documents
        of [lo[i], hi[i]] (int64), with term frequencies at most max_tfs[i], doc length / tf at least
        min_ratios[i] and tf / (1 + slope * dl) at most max_normed[i] (slope: ``blocks.slope``). Only these
        bounds are read, and the term's first doc id.

        Raises:
            IndexCorruptError: the term's blocks do not fit its postings.
        """
        blocks = self.blocks
        first, last = int(blocks.term_blocks[term_ord]), int(blocks.term_blocks[term_ord + 1])
        start, end = int(self.posting_starts[term_ord]), int(self.posting_starts[term_ord + 1])
        if last - first != -(-(end - start) // blocks.size) or last > len(blocks.last_docs):
            raise IndexCorruptError(self._arrays.directory / codec.array_file(self.field, codec.TERM_BLOCKS),
                                    f"term {term_ord} has {last - first} blocks for {end - start} postings")
        hi = blocks.last_docs[first:last].astype(np.int64)
        lo = np.empty_like(hi)
        if len(hi):
            lo[0] = self._doc_at(term_ord, start)
            lo[1:] = hi[:-1] + 1
        return lo, hi, blocks.max_tfs[first:last], blocks.min_ratios[first:last], blocks.max_normed[first:last]

    def _doc_at(self, term_ord: int, position: int) -> int:
        """The doc id of the term's posting at ``position`` (an offset into the field's postings)."""
        doc = int(self.raw_doc_ids[position])
        runs = self.doc_id_runs
        if runs is not None:
            first, last = int(runs.doc_runs[term_ord]), int(runs.doc_runs[term_ord + 1])
            run = first + int(np.searchsorted(runs.run_starts[first:last], position, side="right")) - 1
            doc += int(runs.run_highs[run]) << codec.SPLIT_BITS
        return doc

    def block_postings(self, term_ord: int, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(doc ids: int64, sorted; term frequencies) of the term's blocks ``which`` (indexes among its
        blocks, ascending): only those postings are read."""
        size = self.blocks.size
        start, end = int(self.posting_starts[term_ord]), int(self.posting_starts[term_ord + 1])
        firsts = start + size * which.astype(np.int64)
        lengths = np.minimum(firsts + size, end) - firsts
        if len(which) and int(which[-1]) - int(which[0]) + 1 == len(which):  # one stretch: a slice
            positions: slice | np.ndarray = slice(int(firsts[0]), int(firsts[-1] + lengths[-1]))
        else:
            ends = np.cumsum(lengths)
            positions = np.repeat(firsts - ends + lengths, lengths) + np.arange(int(ends[-1]) if len(ends) else 0)
        docs = self.raw_doc_ids[positions].astype(np.int64)
        runs = self.doc_id_runs
        if runs is not None and len(docs):
            first, last = int(runs.doc_runs[term_ord]), int(runs.doc_runs[term_ord + 1])
            if last - first == 1:
                docs += int(runs.run_highs[first]) << codec.SPLIT_BITS
            else:
                starts = runs.run_starts[first:last]
                highs = runs.run_highs[first:last].astype(np.int64) << codec.SPLIT_BITS
                run_first = np.searchsorted(starts, firsts, side="right") - 1  # the run of each block's ends
                run_last = np.searchsorted(starts, firsts + lengths - 1, side="right") - 1
                if np.array_equal(run_first, run_last):  # no block spans two runs: a high part per block
                    docs += np.repeat(highs[run_first], lengths)
                else:
                    at = np.arange(positions.start, positions.stop) if isinstance(positions, slice) else positions
                    docs += highs[np.searchsorted(starts, at, side="right") - 1]
        return docs, self.all_term_freqs[positions]

    @cached_property
    def position_starts(self) -> np.ndarray:
        """int64[num_terms + 1]: per term, the offset of its first position in :attr:`all_positions`."""
        return self._arrays.get(self.field, codec.POSITION_STARTS)

    @cached_property
    def all_positions(self) -> np.ndarray:
        """uint8/16/32[sum of term_freqs]: every posting's positions, term by term, then in doc order."""
        return self._arrays.get(self.field, codec.POSITIONS)

    def positions(self, term_ord: int) -> np.ndarray:
        """uint8/16/32[sum of term_freqs]: the positions of the term, grouped by posting in doc order."""
        starts = self.position_starts
        return self.all_positions[starts[term_ord] : starts[term_ord + 1]]

    def stem_of(self, surface: str) -> str | None:
        """The term a lowercased surface token was indexed as here, or None if this segment never saw it."""
        return self.lexicon.stem_of(surface)


def read_deletions(directory: Path, info: SegmentInfo) -> np.ndarray:
    """bool[max_doc]: True for the documents of segment ``info`` deleted as of its deletion file."""
    deleted = np.zeros(info.max_doc, dtype=bool)
    if info.deletions is None:
        return deleted
    path = directory / info.deletions
    entry = info.files.get(info.deletions)
    if entry is None:
        raise IndexCorruptError(path, "file is not listed in the manifest")
    packed = codec.MappedArray(path, (np.dtype(np.uint8),), entry).checked()
    if len(packed) != (info.max_doc + 7) // 8:
        raise IndexCorruptError(path, f"{len(packed)} bytes of deletion flags for {info.max_doc} documents")
    deleted = np.unpackbits(packed, count=info.max_doc).astype(bool)
    if int(np.count_nonzero(deleted)) != info.num_deleted:
        raise IndexCorruptError(path, f"{int(np.count_nonzero(deleted))} deletions, manifest says {info.num_deleted}")
    return deleted


class SegmentReader:
    """Read access to one immutable segment, with the deletions of the generation it was opened in."""

    def __init__(self, directory: Path, info: SegmentInfo, schema: Schema,
                 previous: SegmentReader | None = None) -> None:
        self.directory = directory
        self.info = info
        self.name = info.name
        self.max_doc = info.max_doc
        self.schema = schema
        #: what the search side has worked out from this segment and its deletions (document frequencies,
        #: term look-ups), by kind: carried to later generations while both are unchanged, so a refresh
        #: after a small commit does not make every query count its words over again
        self.memo: dict[str, Any] = {}
        if previous is not None and previous.schema is schema and previous.has_files_of(info):
            # the same segment in an earlier generation: its files are immutable, so their mappings, the
            # metadata and the field readers (with their caches) carry over; only deletions are read
            self.meta, self._arrays, self._fields = previous.meta, previous._arrays, previous._fields
            self.files = previous.files
            if previous.info.deletions == info.deletions:
                self.memo = previous.memo
        else:
            self.meta = self._read_meta()
            self._arrays = _Arrays(directory, info)
            #: names this segment's immutable files (and so its stored text), the same object in every
            #: generation that holds them: highlighting remembers by it which stored texts it has read
            self.files = object()
            self._fields: dict[str, TermsReader] = {}
        self.live: np.ndarray | None = None  # bool[max_doc], None when no document is deleted
        if info.deletions is not None:
            self.live = ~read_deletions(directory, info)
        self.doc_count = info.max_doc - info.num_deleted

    def has_files_of(self, info: SegmentInfo) -> bool:
        """Whether ``info`` is this segment with the same files, deletions aside."""
        def files(i: SegmentInfo) -> dict:
            return {name: entry for name, entry in i.files.items() if name != i.deletions}
        return info.name == self.info.name and info.max_doc == self.max_doc and files(info) == files(self.info)

    def _read_meta(self) -> dict:
        path = self.directory / codec.SEGMENT_META
        entry = self.info.files.get(codec.SEGMENT_META)
        problem = codec.verify_file(path, entry) if entry else "file is not listed in the manifest"
        if problem:
            raise IndexCorruptError(path, problem)
        try:
            meta = json.loads(path.read_bytes())
        except ValueError as exc:
            raise IndexCorruptError(path, f"unreadable segment metadata ({exc})") from None
        if meta.get("num_docs") != self.max_doc:
            raise IndexCorruptError(path, f"{meta.get('num_docs')} documents, manifest says {self.max_doc}")
        return meta

    def field_meta(self, field: str) -> dict:
        """What the segment's metadata records of one field: for a TEXT field, ``num_terms`` and
        ``total_num_tokens`` (collection statistics are :mod:`searchcore.search.stats`)."""
        return self.meta["fields"][field]

    def is_live(self, doc_id: int) -> bool:
        return self.live is None or bool(self.live[doc_id])

    def text(self, field: str) -> TextReader:
        reader = self._fields.get(field)
        if reader is None:
            assert isinstance(self.schema[field], TEXT)
            reader = self._fields[field] = TextReader(self._arrays, field, self.meta["fields"].get(field))
        return reader  # type: ignore[return-value]

    def terms(self, field: str) -> TermsReader:
        reader = self._fields.get(field)
        if reader is None:
            assert isinstance(self.schema[field], ID | KEYWORD)
            reader = self._fields[field] = TermsReader(self._arrays, field)
        return reader

    def values(self, field: str) -> np.ndarray:
        """float64[max_doc] of a NUMERIC or DATE field; NaN where a document has no value."""
        assert isinstance(self.schema[field], NUMERIC | DATE)
        return self._arrays.get(field, codec.VALUES)

    def hashes(self) -> np.ndarray:
        """uint64[max_doc]: each document's content digest."""
        return self._arrays.get("", codec.HASHES)

    @cached_property
    def _keys(self) -> tuple[memoryview, memoryview]:
        # memoryviews: indexing one gives a Python int, slicing one no array object (3x faster per hit)
        return memoryview(self._arrays.get("", codec.KEYS)), memoryview(self._arrays.get("", codec.KEY_STARTS))

    def doc_key(self, doc_id: int) -> str:
        """The ID of one document ("" when the schema has no ID field)."""
        blob, starts = self._keys
        return str(blob[starts[doc_id] : starts[doc_id + 1]], "utf-8")

    @property
    def raw_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(uint8[*], int64[max_doc + 1]): every document's ID as UTF-8, back to back, and their offsets
        (for merges and checks; :meth:`doc_key` reads one)."""
        return self._arrays.get("", codec.KEYS), self._arrays.get("", codec.KEY_STARTS)

    @property
    def stored_fields(self) -> codec.StoredFields:
        """The block store of every document's stored fields (UTF-8 JSON, zlib blocks)."""
        return self._arrays.stored_fields

    def stored_raw(self, doc_id: int) -> bytes:
        """The stored fields of one document as UTF-8 JSON."""
        return self.stored_fields.get(doc_id)

    def stored(self, doc_id: int) -> dict:
        """The stored fields of one document."""
        try:
            return _load_json(self.stored_raw(doc_id))
        except ValueError:
            raise IndexCorruptError(self.directory / codec.array_file("", codec.STORED),
                                    f"stored fields of document {doc_id} are not valid JSON") from None


def _holds_huge_float(value: dict | list) -> bool:
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if kind is float:
            if not -9.2e18 < item < 9.2e18:
                return True
        elif (kind is list or kind is dict) and _holds_huge_float(item):
            return True
    return False


def _load_json(raw: bytes) -> Any:
    """``json.loads(raw)``, by orjson where it is installed (the server extra): three times faster on a
    stored document. What orjson refuses and the standard module reads (NaN, infinities, lone surrogates)
    is read by the standard module, and so is a document orjson reads with a float of 2**63 or more: it
    reads an integer past 64 bits as a float."""
    global _load_json
    try:
        import orjson
    except ImportError:
        _load_json = json.loads
        return json.loads(raw)

    def load(raw: bytes) -> Any:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return json.loads(raw)
        return json.loads(raw) if type(value) in (dict, list) and _holds_huge_float(value) else value

    _load_json = load
    return load(raw)


def schema_of(directory: Path, manifest: Manifest) -> Schema:
    """The schema a manifest describes; a description that cannot be read is corruption of the manifest."""
    try:
        return Schema.from_dict(manifest.schema)
    except (ValueError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(directory / codec.MANIFEST, f"unreadable schema ({exc})") from None


class IndexReader:
    """One committed generation of an index: its schema and segment readers, fixed for the reader's life.

    Every file of the generation is mapped when the reader opens, so a writer may delete files that a
    later generation no longer needs without disturbing this reader. If a commit lands between reading
    the manifest and mapping its files, the reader starts again on the new generation.
    """

    def __init__(self, directory: Path, manifest: Manifest | None = None,
                 previous: IndexReader | None = None) -> None:
        self.directory = Path(directory)
        # an earlier generation's reader: its segments still in this one are not opened again
        reusable = {s.name: s for s in previous.segments} if previous is not None and \
            previous.directory == self.directory else {}
        for attempt in range(100):
            current = manifest if manifest is not None else read_manifest(self.directory)
            try:
                self._open(current, reusable)
                return
            except IndexCorruptError as exc:
                # A file missing because a newer commit removed it: open that commit instead.
                if manifest is not None or "missing" not in exc.problem:
                    raise
                if read_manifest(self.directory).generation == current.generation:
                    raise
        raise IndexCorruptError(self.directory, "the index changed under the reader 100 times in a row")

    def _open(self, manifest: Manifest, reusable: dict[str, SegmentReader]) -> None:
        self.manifest = manifest
        self.schema = schema_of(self.directory, manifest)
        if reusable:
            earlier = next(iter(reusable.values())).schema
            if earlier == self.schema:
                self.schema = earlier  # one schema object: segment readers check it by identity
            else:
                reusable = {}
        self.generation = manifest.generation
        self.segments = [SegmentReader(self.directory / s.name, s, self.schema, reusable.get(s.name))
                         for s in manifest.segments]
        self.doc_count = sum(s.doc_count for s in self.segments)
        self.largest_segment = max((s.max_doc for s in self.segments), default=0)  # documents, deleted included

    def find_id(self, doc_key: str) -> tuple[int, int] | None:
        """(segment_ord, doc_id) of the live document whose ID field is ``doc_key``, or None."""
        id_field = self.schema.id_field
        if id_field is None:
            return None
        for segment_ord, segment in enumerate(self.segments):
            terms = segment.terms(id_field)
            term_ord = terms.term_ord(doc_key)
            if term_ord >= 0:
                for doc_id in terms.doc_ids(term_ord).tolist():
                    if segment.is_live(doc_id):
                        return segment_ord, doc_id
        return None
