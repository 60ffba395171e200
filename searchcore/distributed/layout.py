"""The on-disk layout of a sharded index: N ordinary indexes and the shard manifest that binds them.

    news-sharded/
        shards.json        format, version, schema, shard count, routing (replaced atomically, checksummed)
        shard-000/         an ordinary searchcore index: search check, Index.open and optimize work on it
        shard-001/
        ...

A document lives in the shard its ID hashes to: the first 8 bytes of its BLAKE2b digest, big-endian,
modulo the shard count. The hash is fixed by the format, so every process, machine and Python version
routes an ID to the same shard (Python's own ``hash`` of a str changes from process to process).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import SHARD_MANIFEST
from ..errors import IndexCorruptError, IndexExistsError, io_error
from ..index.manifest import read_signed_json, write_signed_json
from ..schema import Schema

FORMAT_NAME = "searchcore-sharded"
FORMAT_VERSION = 1
ROUTING = "blake2b-64-mod"
MAX_SHARDS = 4096


def shard_of(doc_id: str, shards: int) -> int:
    """The shard a document ID belongs to, out of ``shards``."""
    import hashlib  # here, where documents are routed: opening or searching an index needs none of it

    digest = hashlib.blake2b(str(doc_id).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_name(number: int) -> str:
    return f"shard-{number:03d}"


@dataclass(frozen=True)
class ShardManifest:
    """What binds the shards: the schema they share, how many there are and how IDs are routed."""

    schema: dict
    shards: int
    routing: str = ROUTING

    def to_dict(self) -> dict:
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "schema": self.schema, "shards": self.shards,
                "routing": self.routing}


def _body_bytes(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def write_shard_manifest(directory: Path, manifest: ShardManifest) -> None:
    """Replace the shard manifest atomically: a temporary file, fsynced, renamed, the directory fsynced."""
    write_signed_json(directory, SHARD_MANIFEST, f".{SHARD_MANIFEST}.tmp", manifest.to_dict(), _body_bytes)


def read_shard_manifest(directory: Path) -> ShardManifest:
    """The shard manifest of the sharded index in ``directory``.

    Raises:
        IndexNotFoundError: there is none.
        IndexVersionError: written by an incompatible version.
        IndexCorruptError: it fails its checksum, is not JSON or lacks a key.
    """
    def build(data: dict, raw: bytes) -> ShardManifest:
        shards = int(data["shards"])
        if not 1 <= shards <= MAX_SHARDS or data["routing"] != ROUTING:
            raise IndexCorruptError(directory / SHARD_MANIFEST, f"{shards} shards routed by {data['routing']!r}: "
                                                                 f"not a layout this version knows")
        Schema.from_dict(data["schema"])  # readable, or corrupt
        return ShardManifest(dict(data["schema"]), shards, data["routing"])

    return read_signed_json(directory, SHARD_MANIFEST, FORMAT_NAME, (FORMAT_VERSION,), FORMAT_VERSION, _body_bytes,
                            build, "shard manifest")


def create_layout(directory: Path, schema: Schema, shards: int) -> ShardManifest:
    """Make the directory, its ``shards`` empty indexes and, last, the shard manifest (so a crash part way
    leaves no sharded index, only folders a re-run reuses)."""
    from ..engine import Index

    if (directory / SHARD_MANIFEST).exists():
        raise IndexExistsError(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise io_error(directory, "create a sharded index in", exc) from None
    for number in range(shards):
        path = directory / shard_name(number)
        if Index.exists(path):
            if Index.open(path).schema != schema:
                raise IndexExistsError(path)
        else:
            Index.create(path, schema)
    manifest = ShardManifest(schema.to_dict(), shards)
    write_shard_manifest(directory, manifest)
    return manifest
