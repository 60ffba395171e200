"""The manifest (which segments are live, in which generation) and the writer's lock.

A commit writes ``manifest.json.tmp-<pid>``, fsyncs it, renames it over ``manifest.json`` and fsyncs the
directory. The rename is atomic, so a reader sees either the old generation or the new one, and a crash
at any moment leaves the last committed manifest in place.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..errors import IndexCorruptError, IndexLockedError, IndexNotFoundError, IndexVersionError
from . import fileops
from .codec import FORMAT_NAME, FORMAT_VERSION, LOCK, MANIFEST, READABLE_VERSIONS, manifest_temp_name

T = TypeVar("T")


@dataclass(frozen=True)
class SegmentInfo:
    """One live segment: its directory name, document count, files with their size and CRC-32, and the
    file of its deletion bitmap (written by a later commit; None while nothing in it is deleted).

    ``max_doc`` counts every document the segment holds, deleted ones included (doc ids run from 0 to
    ``max_doc - 1``); ``doc_count`` counts the live ones. On disk the former is the key "num_docs".
    """

    name: str
    max_doc: int
    files: dict[str, dict[str, int]] = field(default_factory=dict)
    deletions: str | None = None
    num_deleted: int = 0

    @property
    def doc_count(self) -> int:
        """The documents of this segment not deleted."""
        return self.max_doc - self.num_deleted

    def to_dict(self) -> dict:
        out = {"name": self.name, "num_docs": self.max_doc, "files": self.files}
        if self.deletions is not None:
            out.update(deletions=self.deletions, num_deleted=self.num_deleted)
        return out


@dataclass(frozen=True)
class Manifest:
    """One committed generation of an index."""

    generation: int
    schema: dict
    segments: tuple[SegmentInfo, ...] = ()
    #: the manifest file's bytes, when read from disk: an unchanged file means an unchanged generation
    raw: bytes = field(default=b"", compare=False, repr=False)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "generation": self.generation,
            "schema": self.schema,
            "segments": [s.to_dict() for s in self.segments],
        }


def _manifest_bytes(body: dict) -> bytes:
    # Key order is kept (the schema's field order is the user's); json round-trips it, so the bytes a
    # reader re-serialises for the checksum are the bytes the writer checksummed. Format 4 is compact,
    # which json writes in C: an indented manifest (format 3) takes the pure-Python encoder, about 10 ms
    # for a manifest of 14 segments, paid twice by every commit and once by every reader that opens.
    if body.get("version") == 3:
        return json.dumps(body, indent=1).encode("utf-8")
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def read_manifest(directory: Path) -> Manifest:
    """Read the committed manifest of the index in ``directory``.

    The manifest carries the CRC-32 of its own content, so a damaged manifest (even one whose damage
    still parses, such as a changed boost) is refused rather than trusted.

    Raises:
        IndexNotFoundError: no manifest there.
        IndexVersionError: written by an incompatible format version.
        IndexCorruptError: the manifest fails its checksum, is not valid JSON or lacks a required key.
    """
    def build(data: dict, raw: bytes) -> Manifest:
        segments = tuple(
            SegmentInfo(str(s["name"]), int(s["num_docs"]), _files(s["files"]), s.get("deletions"),
                        int(s.get("num_deleted", 0)))
            for s in data["segments"]
        )
        return Manifest(int(data["generation"]), dict(data["schema"]), segments, raw)

    return read_signed_json(directory, MANIFEST, FORMAT_NAME, READABLE_VERSIONS, FORMAT_VERSION, _manifest_bytes,
                            build, "manifest")


def read_signed_json(directory: Path, name: str, format_name: str, readable: Iterable[int], current: int,
                     encode: Callable[[dict], bytes], build: Callable[[dict, bytes], T], what: str) -> T:
    """Read ``directory/name``, a JSON object carrying its format name, version and the CRC-32 of
    ``encode(the rest)``, and ``build`` the result from the rest (and the raw bytes).

    Raises:
        IndexNotFoundError: no such file.
        IndexVersionError: a version not in ``readable``.
        IndexCorruptError: another format, a checksum that does not match, not JSON, or a key ``build``
            needs that is missing or of the wrong type (named ``what`` in the message).
    """
    path = directory / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IndexNotFoundError(directory) from None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != format_name:
            raise IndexCorruptError(path, f"not a {format_name} manifest")
        if data.get("version") not in readable:
            raise IndexVersionError(directory, data.get("version"), current)
        checksum = data.pop("checksum", None)
        if not _signed(raw, checksum) and checksum != zlib.crc32(encode(data)):
            raise IndexCorruptError(path, "checksum does not match the manifest's content (corrupted)")
        return build(data, raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, IndexCorruptError | IndexVersionError):
            raise
        raise IndexCorruptError(path, f"unreadable {what} ({exc.__class__.__name__}: {exc})") from None


def _signed(raw: bytes, checksum: object) -> bool:
    """Whether ``raw`` is a compact body followed by the key ``"checksum"`` last, as written here, and the
    checksum is that of the body: the bytes checked as they are, without encoding them again (a commit's
    reader does this once per generation, for a manifest of a few hundred kilobytes at most)."""
    if type(checksum) is not int:
        return False
    tail = b',"checksum":%d}' % checksum
    return raw.endswith(tail) and zlib.crc32(b"}", zlib.crc32(memoryview(raw)[: -len(tail)])) == checksum


def _files(files: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, e in files.items():
        out[str(name)] = {"size": int(e["size"]), "crc32": int(e["crc32"])}
        if "members" in e:  # a pack: each member's [offset, size, crc32], checked when the pack is opened
            out[str(name)]["members"] = dict(e["members"])
    return out


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Atomically replace the manifest: write a temporary file, fsync, rename, fsync the directory.

    Raises:
        IndexIOError: a file operation failed (naming the file). Before the rename the old manifest is
            still the committed one and the temporary file is removed; a failure after it (only the
            directory's fsync is left) leaves the new manifest in place, committed but perhaps not durable.
    """
    write_signed_json(directory, MANIFEST, manifest_temp_name(), manifest.to_dict(), _manifest_bytes)


def write_signed_json(directory: Path, name: str, temp_name: str, body: dict,
                      encode: Callable[[dict], bytes]) -> None:
    """Atomically replace ``directory/name`` with ``body`` and the CRC-32 of ``encode(body)``, written
    by ``encode``: a temporary file, fsync, rename, fsync the directory (see :func:`write_manifest`)."""
    tmp = directory / temp_name
    data = encode({**body, "checksum": zlib.crc32(encode(body))})
    try:
        fileops.write_file(tmp, data)
        fileops.replace(tmp, directory / name)
    except Exception:
        try:
            fileops.unlink(tmp)
        except OSError:
            pass  # the next writer removes it
        raise
    fileops.fsync_dir(directory)


class WriteLock:
    """An exclusive ``flock`` on ``write.lock``: one writer per index across threads and processes.

    The kernel releases a flock when its holder dies, so a lock left by a crashed process never blocks.
    ``timeout=None`` waits as long as it takes; ``timeout=0`` fails at once.
    """

    def __init__(self, directory: Path, timeout: float | None = None) -> None:
        self.path = directory / LOCK
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to the timeout.

        Raises:
            IndexLockedError: another writer kept it past the timeout.
            IndexNotFoundError: the index directory is gone.
            IndexIOError: ``write.lock`` cannot be opened for writing (a read-only index, say).
        """
        fd = fileops.open_lock(self.path)
        try:
            self._wait(fd)
            fileops.write_fd(fd, self.path, f"{os.getpid()}\n".encode())
        except BaseException:
            os.close(fd)  # which also lets go of the flock, if it was taken
            raise
        self._fd = fd

    def _wait(self, fd: int) -> None:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise IndexLockedError(self.path.parent, self.timeout) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    @property
    def fd(self) -> int | None:
        """The descriptor holding the lock while it is held, else None (a forked child that must not
        keep the lock alive closes its copy)."""
        return self._fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
