"""Helpers for tests that damage an index on purpose: where a segment's arrays lie on disk, and an older
layout to read."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from searchcore.index import codec, manifest


def member(segment: Path, name: str) -> tuple[Path, int, int]:
    """Where the array ``name`` (``body.doc_ids.npy``) of a segment lies: (its pack, offset, size)."""
    current = manifest.read_manifest(segment.parent)
    [info] = [s for s in current.segments if s.name == segment.name]
    offset, size, _ = info.files[codec.PACK]["members"][name]
    return segment / codec.PACK, offset, size


def flip_byte(segment: Path, name: str, at: int = -1) -> Path:
    """Flip the low bit of one byte of array ``name`` (its last by default); returns the pack changed."""
    pack, offset, size = member(segment, name)
    data = bytearray(pack.read_bytes())
    data[offset + (at % size)] ^= 0x01
    pack.write_bytes(bytes(data))
    return pack


def unpack(path: Path) -> None:
    """Rewrite an index in format 4's layout: each array of each segment in a file of its own."""
    current = manifest.read_manifest(path)
    segments = []
    for info in current.segments:
        files = dict(info.files)
        pack = files.pop(codec.PACK)
        data = (path / info.name / codec.PACK).read_bytes()
        for name, (offset, size, crc) in pack["members"].items():
            (path / info.name / name).write_bytes(data[offset : offset + size])
            files[name] = {"size": size, "crc32": crc}
        (path / info.name / codec.PACK).unlink()
        segments.append(manifest.SegmentInfo(info.name, info.max_doc, files, info.deletions, info.num_deleted))
    manifest.write_manifest(path, manifest.Manifest(current.generation + 1, current.schema, tuple(segments)))
    # the version written is the current one: say 4, with the checksum that goes with it
    raw = json.loads((path / codec.MANIFEST).read_bytes())
    raw.pop("checksum")
    raw["version"] = 4
    text = json.dumps(raw, separators=(",", ":"))
    raw["checksum"] = zlib.crc32(text.encode("utf-8"))
    (path / codec.MANIFEST).write_text(json.dumps(raw, separators=(",", ":")))
