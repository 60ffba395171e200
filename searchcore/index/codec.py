"""The on-disk format: the only module that knows file names, dtypes, format version and checksums.

An index is a directory::

    manifest.json            the live generation: format, version, schema, segments and their files
    write.lock               held (flock) by the one writer
    seg_<hex>/meta.json      a segment's document count and per-field statistics
    seg_<hex>/<field>.<part>.npy   one numpy array per file (``np.save`` with ``allow_pickle=False``)

Every array is a ``.npy`` file, read back with ``np.load(mmap_mode="r")`` so opening an index maps
files instead of loading them. Every file named by the manifest carries its size and CRC-32.
"""

from __future__ import annotations

import bisect
import io
import json
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import IndexCorruptError

FORMAT_NAME = "searchcore-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = "write.lock"
SEGMENT_META = "meta.json"

# Per-field parts of a segment. TEXT fields have all of them; ID and KEYWORD fields only the terms and
# doc ids; NUMERIC and DATE fields only "values".
TERMS = "terms"                    # uint8[*]: the sorted terms, UTF-8, concatenated
TERM_STARTS = "term_starts"        # int64[num_terms + 1]: byte offsets of the terms in TERMS
POSTING_STARTS = "posting_starts"  # int64[num_terms + 1]: CSR offsets into doc_ids / term_freqs
DOC_IDS = "doc_ids"                # uint32[nnz]: per term, sorted
TERM_FREQS = "term_freqs"          # uint32[nnz]
POSITION_STARTS = "position_starts"  # int64[num_terms + 1]: per term, offsets into positions
POSITIONS = "positions"            # uint32[sum(term_freqs)]: per posting, sorted
DOC_LENS = "doc_lens"              # uint32[num_docs]: terms emitted per document
LEXICON = "lexicon"                # uint8[*]: sorted lowercased surface tokens, UTF-8
LEXICON_STARTS = "lexicon_starts"  # int64[n + 1]
LEXICON_TERMS = "lexicon_terms"    # uint32[n]: the term ordinal each surface token stems to
VALUES = "values"                  # float64[num_docs]: NUMERIC/DATE values, NaN where absent
STORED = "_stored"                 # uint8[*]: per document, the stored fields as a UTF-8 JSON object
STORED_STARTS = "_stored_starts"   # int64[num_docs + 1]


def array_file(field: str, part: str) -> str:
    """The file name of one array of a segment."""
    return f"{field}.{part}.npy" if field else f"{part}.npy"


def crc32_file(path: Path) -> int:
    """CRC-32 of a whole file, read in 1 MiB blocks."""
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc


def fsync_dir(path: Path) -> None:
    """Make a rename or file creation inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileRecorder:
    """Writes the files of one new segment, fsyncs them and records their sizes and checksums."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[str, dict[str, int]] = {}
        directory.mkdir(parents=True, exist_ok=False)

    def _write(self, name: str, data: bytes | memoryview) -> None:
        path = self.directory / name
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self.files[name] = {"size": len(data), "crc32": zlib.crc32(data)}

    def array(self, field: str, part: str, values: np.ndarray) -> None:
        """Write one array as a .npy file."""
        header = _npy_header(values)
        body = np.ascontiguousarray(values).tobytes()
        self._write(array_file(field, part), header + body)

    def json(self, name: str, value: object) -> None:
        self._write(name, json.dumps(value, indent=1, sort_keys=True).encode("utf-8"))

    def finish(self) -> None:
        fsync_dir(self.directory)


def _npy_header(values: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(values.dtype), "fortran_order": False, "shape": values.shape}
    )
    return buf.getvalue()


def load_array(path: Path, dtype: np.dtype, expected_size: int | None = None) -> np.ndarray:
    """Map one .npy file read-only. Any problem with it raises IndexCorruptError naming the file."""
    try:
        if expected_size is not None and path.stat().st_size != expected_size:
            raise IndexCorruptError(path, f"size {path.stat().st_size} bytes, manifest says {expected_size}")
        if expected_size is not None and expected_size < 256:
            array = np.load(path, allow_pickle=False)  # tiny files: mapping costs more than reading
        else:
            # a plain ndarray view of the map: np.memmap's per-slice bookkeeping costs more than the slice
            array = np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
    except IndexCorruptError:
        raise
    except FileNotFoundError:
        raise IndexCorruptError(path, "file is missing") from None
    except (ValueError, OSError, EOFError) as exc:
        raise IndexCorruptError(path, f"not a readable array ({exc})") from None
    if array.dtype != dtype or array.ndim != 1:
        raise IndexCorruptError(path, f"expected a 1-d {dtype} array, found {array.ndim}-d {array.dtype}")
    return array


def encode_strings(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 blob and int64 start offsets (n + 1) of a sequence of strings."""
    encoded = [s.encode("utf-8") for s in strings]
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=starts[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return blob, starts


class StringTable(Sequence[bytes]):
    """A sorted table of UTF-8 strings over a mapped blob: binary search without loading the table."""

    __slots__ = ("_blob", "_starts", "_n")

    def __init__(self, blob: np.ndarray, starts: np.ndarray) -> None:
        self._blob = blob
        self._starts = starts
        self._n = len(starts) - 1

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):  # type: ignore[override]
        return self._blob[self._starts[i] : self._starts[i + 1]].tobytes()

    def find(self, key: str) -> int:
        """The index of ``key``, or -1 when absent."""
        encoded = key.encode("utf-8")
        i = bisect.bisect_left(self, encoded)
        return i if i < self._n and self[i] == encoded else -1

    def decode(self, i: int) -> str:
        return self[i].decode("utf-8")

    def all(self) -> list[str]:
        """Every string, decoded (for checks and merges, not the query path)."""
        data = self._blob.tobytes()
        starts = self._starts.tolist()
        return [data[a:b].decode("utf-8") for a, b in zip(starts, starts[1:])]
