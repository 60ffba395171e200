"""Readers over one committed generation: SegmentReader per segment, IndexReader over all of them.

Arrays are memory-mapped on first use, so opening an index costs a manifest read and a few ``stat``
calls, whatever its size.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from .._types import DOC_ID, DOC_LEN, NUMBER, OFFSET, POSITION, TERM_FREQ, TERM_ORD
from ..errors import IndexCorruptError
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT, Schema
from . import codec
from .manifest import Manifest, SegmentInfo, read_manifest


class _Arrays:
    """Lazy, checked access to the arrays of one segment."""

    def __init__(self, directory: Path, info: SegmentInfo) -> None:
        self.directory = directory
        self.info = info
        self._cache: dict[str, np.ndarray] = {}

    def get(self, field: str, part: str, dtype: np.dtype) -> np.ndarray:
        name = codec.array_file(field, part)
        array = self._cache.get(name)
        if array is None:
            entry = self.info.files.get(name)
            if entry is None:
                raise IndexCorruptError(self.directory / name, "file is not listed in the manifest")
            array = codec.load_array(self.directory / name, dtype, entry["size"])
            self._cache[name] = array
        return array


class TermsReader:
    """An ID or KEYWORD field of one segment: sorted terms and the documents holding each."""

    def __init__(self, arrays: _Arrays, field: str) -> None:
        self._arrays = arrays
        self.field = field
        self._ords: dict[str, int] = {}  # terms looked up so far: queries repeat their words

    @cached_property
    def terms(self) -> codec.StringTable:
        a = self._arrays
        return codec.StringTable(a.get(self.field, codec.TERMS, np.dtype(np.uint8)),
                                 a.get(self.field, codec.TERM_STARTS, OFFSET))

    @cached_property
    def posting_starts(self) -> np.ndarray:
        return self._arrays.get(self.field, codec.POSTING_STARTS, OFFSET)

    @cached_property
    def all_doc_ids(self) -> np.ndarray:
        return self._arrays.get(self.field, codec.DOC_IDS, DOC_ID)

    def term_ord(self, term: str) -> int:
        """The term's ordinal in this segment, or -1."""
        term_ord = self._ords.get(term)
        if term_ord is None:
            if len(self._ords) > 100_000:
                self._ords.clear()
            term_ord = self._ords[term] = self.terms.find(term)
        return term_ord

    def doc_ids(self, term_ord: int) -> np.ndarray:
        """uint32[doc_freq], sorted: the documents holding the term."""
        return self.all_doc_ids[self.posting_starts[term_ord] : self.posting_starts[term_ord + 1]]

    def doc_freq(self, term_ord: int) -> int:
        return int(self.posting_starts[term_ord + 1] - self.posting_starts[term_ord])


class TextReader(TermsReader):
    """A TEXT field of one segment: postings with term frequencies and positions, lengths, lexicon."""

    @cached_property
    def all_term_freqs(self) -> np.ndarray:
        return self._arrays.get(self.field, codec.TERM_FREQS, TERM_FREQ)

    @cached_property
    def doc_lens(self) -> np.ndarray:
        """uint32[num_docs]: the number of terms each document has in this field."""
        return self._arrays.get(self.field, codec.DOC_LENS, DOC_LEN)

    @cached_property
    def _lexicon(self) -> tuple[codec.StringTable, np.ndarray]:
        a = self._arrays
        table = codec.StringTable(a.get(self.field, codec.LEXICON, np.dtype(np.uint8)),
                                  a.get(self.field, codec.LEXICON_STARTS, OFFSET))
        return table, a.get(self.field, codec.LEXICON_TERMS, TERM_ORD)

    def postings(self, term_ord: int) -> tuple[np.ndarray, np.ndarray]:
        """(doc_ids: uint32[n] sorted, term_freqs: uint32[n]) of one term: views, no copies."""
        lo, hi = self.posting_starts[term_ord], self.posting_starts[term_ord + 1]
        return self.all_doc_ids[lo:hi], self.all_term_freqs[lo:hi]

    def positions(self, term_ord: int) -> np.ndarray:
        """uint32[sum of term_freqs]: the positions of the term, grouped by posting in doc order."""
        starts = self._arrays.get(self.field, codec.POSITION_STARTS, OFFSET)
        positions = self._arrays.get(self.field, codec.POSITIONS, POSITION)
        return positions[starts[term_ord] : starts[term_ord + 1]]

    def stem_of(self, surface: str) -> str | None:
        """The term a lowercased surface token was indexed as here, or None if this segment never saw it."""
        table, term_ords = self._lexicon
        i = table.find(surface)
        return None if i < 0 else self.terms.decode(int(term_ords[i]))


class SegmentReader:
    """Read access to one immutable segment."""

    def __init__(self, directory: Path, info: SegmentInfo, schema: Schema) -> None:
        self.directory = directory
        self.info = info
        self.name = info.name
        self.num_docs = info.num_docs
        self.schema = schema
        self._arrays = _Arrays(directory, info)
        self._fields: dict[str, TermsReader] = {}

    @cached_property
    def meta(self) -> dict:
        path = self.directory / codec.SEGMENT_META
        try:
            return json.loads(path.read_bytes())
        except FileNotFoundError:
            raise IndexCorruptError(path, "file is missing") from None
        except ValueError as exc:
            raise IndexCorruptError(path, f"unreadable segment metadata ({exc})") from None

    def field_stats(self, field: str) -> dict:
        return self.meta["fields"][field]

    def text(self, field: str) -> TextReader:
        reader = self._fields.get(field)
        if reader is None:
            assert isinstance(self.schema[field], TEXT)
            reader = self._fields[field] = TextReader(self._arrays, field)
        return reader  # type: ignore[return-value]

    def terms(self, field: str) -> TermsReader:
        reader = self._fields.get(field)
        if reader is None:
            assert isinstance(self.schema[field], ID | KEYWORD)
            reader = self._fields[field] = TermsReader(self._arrays, field)
        return reader

    def values(self, field: str) -> np.ndarray:
        """float64[num_docs] of a NUMERIC or DATE field; NaN where a document has no value."""
        assert isinstance(self.schema[field], NUMERIC | DATE)
        return self._arrays.get(field, codec.VALUES, NUMBER)

    def stored(self, doc_id: int) -> dict:
        """The stored fields of one document."""
        blob = self._arrays.get("", codec.STORED, np.dtype(np.uint8))
        starts = self._arrays.get("", codec.STORED_STARTS, OFFSET)
        raw = blob[starts[doc_id] : starts[doc_id + 1]].tobytes()
        try:
            return json.loads(raw)
        except ValueError:
            raise IndexCorruptError(self.directory / codec.array_file("", codec.STORED),
                                    f"stored fields of document {doc_id} are not valid JSON") from None


class IndexReader:
    """One committed generation of an index: its schema and segment readers, fixed for the reader's life."""

    def __init__(self, directory: Path, manifest: Manifest | None = None) -> None:
        self.directory = Path(directory)
        self.manifest = manifest if manifest is not None else read_manifest(self.directory)
        self.schema = Schema.from_dict(self.manifest.schema)
        self.generation = self.manifest.generation
        self.segments = [SegmentReader(self.directory / s.name, s, self.schema) for s in self.manifest.segments]
        self.doc_count = sum(s.num_docs for s in self.segments)
        for name in self.schema.text_fields:
            analyzer = self.schema[name].analyzer  # type: ignore[attr-defined]
            # any field analysed the same way knows the same stems
            same = [n for n in self.schema.text_fields if self.schema[n].analyzer == analyzer]  # type: ignore[attr-defined]
            analyzer.lexicon = self._lexicon_lookup([name, *(n for n in same if n != name)])

    def _lexicon_lookup(self, fields: list[str]):
        segments = self.segments

        def lookup(surface: str) -> str | None:
            for field in fields:
                for segment in segments:
                    stem = segment.text(field).stem_of(surface)
                    if stem is not None:
                        return stem
            return None

        return lookup

    def find_id(self, doc_key: str) -> tuple[int, int] | None:
        """(segment_ord, doc_id) of the document whose ID field is ``doc_key``, or None."""
        id_field = self.schema.id_field
        if id_field is None:
            return None
        for segment_ord, segment in enumerate(self.segments):
            terms = segment.terms(id_field)
            term_ord = terms.term_ord(doc_key)
            if term_ord >= 0:
                return segment_ord, int(terms.doc_ids(term_ord)[0])
        return None
