"""Index lifecycle: create, open, write, commit, cancel, segments, locks and damaged files."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import searchcore as sc
from searchcore.index import codec
from tests.conftest import TINY_CORPUS, tiny_schema
from tests.damage import flip_byte, member, unpack


def test_create_then_open(tmp_path):
    sc.Index.create(tmp_path / "ix", tiny_schema())
    ix = sc.Index.open(tmp_path / "ix")
    assert ix.schema == tiny_schema()
    assert ix.doc_count() == 0


def test_open_missing_index(tmp_path):
    with pytest.raises(sc.IndexNotFoundError, match="no searchcore index at"):
        sc.Index.open(tmp_path / "nothing")


def test_create_twice(tmp_path):
    sc.Index.create(tmp_path / "ix", tiny_schema())
    with pytest.raises(sc.IndexExistsError):
        sc.Index.create(tmp_path / "ix", tiny_schema())


def test_documents_are_visible_only_after_commit(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    w = ix.writer()
    w.add_document(**TINY_CORPUS[0])
    assert ix.doc_count() == 0
    w.commit()
    assert ix.doc_count() == 1
    w.add_document(**TINY_CORPUS[1])
    w.close()  # not committed: dropped
    assert ix.doc_count() == 1
    assert len(list((tmp_path / "ix").glob("seg_*"))) == 1


def test_an_exception_inside_the_writer_discards_the_batch(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    with pytest.raises(RuntimeError):
        with ix.writer() as w:
            w.add_document(**TINY_CORPUS[0])
            raise RuntimeError("boom")
    assert ix.doc_count() == 0
    with ix.writer() as w:  # the lock was released
        w.add_document(**TINY_CORPUS[0])
    assert ix.doc_count() == 1


def test_a_bad_document_names_itself_and_keeps_the_committed_ones(tiny_index):
    with pytest.raises(sc.DocumentError, match=r"document 'x9': field 'title' is TEXT"):
        with tiny_index.writer() as w:
            w.add_document(id="x8", title="fine")
            w.add_document(id="x9", title=42)
    assert tiny_index.doc_count() == len(TINY_CORPUS)
    with tiny_index.searcher() as s:
        assert s.document("x8") is None


def test_an_id_already_committed_is_refused(tiny_index):
    with pytest.raises(sc.DocumentError, match="'t1' is already in the index"):
        with tiny_index.writer() as w:
            w.add_document(id="new", body="x")
            w.add_document(id="t1", body="again")
    assert tiny_index.doc_count() == len(TINY_CORPUS)


def test_duplicate_inside_one_batch(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    with pytest.raises(sc.DocumentError, match="'a' is already in the index"):
        with ix.writer() as w:
            w.add_document(id="a", body="x")
            w.add_document(id="a", body="y")


def test_small_segments_are_merged_four_at_a_time():
    from searchcore.index.merge import FLOOR_DOCS, pick_merge

    none = [0] * 8
    assert pick_merge([20_000, 3, 3, 3], none[:4]) is None
    assert pick_merge([20_000, 3, 3, 3, 1], none[:5]) == (1, 5)
    assert pick_merge([20_000, 900, 3, 3, 1], none[:5]) == (1, 5)  # a small merged one joins again
    assert pick_merge([20_000, FLOOR_DOCS, 3, 3, 1], none[:5]) is None  # only the small ones at the end
    assert pick_merge([3, 3, 20_000, 3, 3, 1], none[:6]) is None


def test_a_stream_of_small_commits_leaves_few_segments(tmp_path):
    """A server's commits of a document or two: the segments a search must visit stay few."""
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    with ix.writer() as w:
        for i in range(1500):
            w.add_document(id=f"base{i}", body=f"base story {i}")
    for i in range(60):
        with ix.writer() as w:
            w.add_document(id=f"s{i}", body=f"small story {i} about oil")
        assert ix.stats()["segments"] <= 4
    assert ix.stats()["documents"] == 1560
    assert len(ix.searcher().search("small", limit=100)) == 60


def test_memory_budget_flushes_segments(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    # about 1 KB: a segment every few documents (unmerged: the policy would join such small segments)
    with ix.writer(memory_budget_mb=0.001, merge=False) as w:
        for doc in TINY_CORPUS:
            w.add_document(**doc)
    stats = ix.stats()
    assert stats["segments"] > 1
    assert stats["documents"] == len(TINY_CORPUS)
    with ix.searcher() as s:
        assert {h.id for h in s.search("oil opec", limit=10)} == {"t1", "t2"}


def test_stored_fields_and_lookup_by_id(tiny_index):
    with tiny_index.searcher() as s:
        doc = s.document("t4")
        assert doc["title"] == "Minister to visit Belarus"
        assert doc["date"] == "2023-08-14"
        assert doc["topics"] == ["defence"]
        assert s.document("missing") is None


def test_a_second_writer_waits_then_times_out(tiny_index):
    with tiny_index.writer():
        with pytest.raises(sc.IndexLockedError, match="another writer holds the lock"):
            tiny_index.writer(lock_timeout=0.05)


def test_a_waiting_writer_gets_the_lock_when_the_first_finishes(tiny_index):
    first = tiny_index.writer()
    first.add_document(id="w1", body="first writer")
    added = []

    def second():
        with tiny_index.writer(lock_timeout=10) as w:
            w.add_document(id="w2", body="second writer")
            added.append(True)

    thread = threading.Thread(target=second)
    thread.start()
    first.commit()
    first.close()
    thread.join(10)
    assert added == [True]
    assert tiny_index.doc_count() == len(TINY_CORPUS) + 2


def test_a_searcher_keeps_its_snapshot(tiny_index):
    with tiny_index.searcher() as s:
        with tiny_index.writer() as w:
            w.add_document(id="late", body="oil oil oil")
        assert "late" not in {h.id for h in s.search("oil", limit=50)}
    with tiny_index.searcher() as s:
        assert "late" in {h.id for h in s.search("oil", limit=50)}


def test_leftovers_of_an_unfinished_commit_are_removed_by_the_next_writer(tiny_index):
    stray = tiny_index.path / "seg_deadbeefdeadbeef"
    stray.mkdir()
    (stray / "body.doc_ids.npy").write_bytes(b"half written")
    (tiny_index.path / "manifest.json.tmp-999").write_text("{")
    with tiny_index.writer():
        pass
    assert not stray.exists()
    assert not (tiny_index.path / "manifest.json.tmp-999").exists()
    assert tiny_index.doc_count() == len(TINY_CORPUS)


def test_every_file_is_a_plain_array_or_json(tiny_index):
    for path in tiny_index.path.rglob("*.npy"):
        array = np.load(path, allow_pickle=False)
        assert array.dtype.kind in "uif", path


def test_manifest_lists_sizes_and_checksums(tiny_index):
    manifest = json.loads((tiny_index.path / "manifest.json").read_text())
    (segment,) = manifest["segments"]
    for name, entry in segment["files"].items():
        path = tiny_index.path / segment["name"] / name
        assert path.stat().st_size == entry["size"]
        assert isinstance(entry["crc32"], int)


def test_corrupt_manifest(tiny_index):
    (tiny_index.path / "manifest.json").write_text("{not json")
    with pytest.raises(sc.IndexCorruptError, match="manifest.json: unreadable manifest"):
        sc.Index.open(tiny_index.path)


def test_newer_format_version(tiny_index):
    path = tiny_index.path / "manifest.json"
    data = json.loads(path.read_text())
    data["version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(sc.IndexVersionError, match="index format 99"):
        sc.Index.open(tiny_index.path)


def test_truncated_array_names_the_file(tiny_index):
    unpack(tiny_index.path)  # format 4: each array in a file of its own
    segment = next(tiny_index.path.glob("seg_*"))
    victim = segment / "body.doc_ids.npy"
    size = victim.stat().st_size
    victim.write_bytes(victim.read_bytes()[:-4])
    with pytest.raises(sc.IndexCorruptError, match=rf"body\.doc_ids\.npy: size {size - 4} bytes, manifest says {size}"):
        sc.Index.open(tiny_index.path)
    with pytest.raises(sc.IndexCorruptError, match=r"body\.doc_ids\.npy: size"):
        tiny_index.searcher()


def test_missing_array_names_the_file(tiny_index):
    unpack(tiny_index.path)
    segment = next(tiny_index.path.glob("seg_*"))
    (segment / "body.term_freqs.npy").unlink()
    with pytest.raises(sc.IndexCorruptError, match=r"body\.term_freqs\.npy: file is missing"):
        sc.Index.open(tiny_index.path)


def test_flipped_bytes_are_caught_by_the_checksum_before_any_result(tiny_index):
    unpack(tiny_index.path)
    segment = next(tiny_index.path.glob("seg_*"))
    victim = segment / "body.term_freqs.npy"
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0x01  # same size, one term frequency changed
    victim.write_bytes(bytes(data))
    with tiny_index.searcher() as s:
        with pytest.raises(sc.IndexCorruptError, match=r"body\.term_freqs\.npy: checksum .* \(corrupted\)"):
            s.search("oil")


def test_a_segment_is_two_files_its_arrays_in_one_pack(tiny_index):
    segment = next(tiny_index.path.glob("seg_*"))
    assert sorted(p.name for p in segment.iterdir()) == ["arrays.pack", "meta.json"]
    pack, offset, size = member(segment, "body.doc_ids.npy")
    assert offset % 64 == 0 and pack.read_bytes()[offset : offset + 6] == b"\x93NUMPY"
    before = [(h.id, h.score) for h in tiny_index.searcher().search("oil")]
    unpack(tiny_index.path)  # the same arrays in files of their own read the same
    assert [(h.id, h.score) for h in sc.Index.open(tiny_index.path).searcher().search("oil")] == before
    assert sc.check_index(tiny_index.path).ok


def test_a_truncated_or_missing_pack_is_named(tiny_index):
    segment = next(tiny_index.path.glob("seg_*"))
    pack = segment / "arrays.pack"
    size = pack.stat().st_size
    pack.write_bytes(pack.read_bytes()[:-64])
    with pytest.raises(sc.IndexCorruptError, match=rf"arrays\.pack: size {size - 64} bytes, manifest says {size}"):
        sc.Index.open(tiny_index.path)
    pack.unlink()
    with pytest.raises(sc.IndexCorruptError, match=r"arrays\.pack: file is missing"):
        sc.Index.open(tiny_index.path)


def test_a_flipped_byte_in_a_pack_names_its_array_before_any_result(tiny_index):
    segment = next(tiny_index.path.glob("seg_*"))
    flip_byte(segment, "body.term_freqs.npy")
    with tiny_index.searcher() as s:
        with pytest.raises(sc.IndexCorruptError,
                           match=r"arrays\.pack: body\.term_freqs\.npy: checksum .* \(corrupted\)"):
            s.search("oil")
    [problem] = sc.check_index(tiny_index.path).problems
    assert problem.path == str(segment / "arrays.pack")
    assert "checksum" in problem.problem and problem.problem.endswith("in body.term_freqs.npy")


def test_searchers_open_from_many_threads_at_once(tiny_index):
    errors = []

    def open_many():
        try:
            for _ in range(100):
                with tiny_index.searcher() as s:
                    assert s.search("oil").total == 2
        except Exception as exc:  # collected and asserted below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=open_many) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_manifest_edited_in_place_fails_its_own_checksum(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), title=sc.TEXT(boost=2.0), body=sc.TEXT()))
    with ix.writer() as w:
        w.add_document(id="1", title="oil", body="crude")
    path = ix.path / "manifest.json"
    raw = path.read_bytes()
    assert raw.count(b'"boost":2.0') == 1
    path.write_bytes(raw.replace(b'"boost":2.0', b'"boost":3.0'))
    with pytest.raises(sc.IndexCorruptError, match=r"manifest\.json: checksum does not match"):
        sc.Index.open(ix.path)
    report = sc.check_index(ix.path)
    assert not report.ok and report.problems[0].path.endswith("manifest.json")


@pytest.mark.parametrize("damage", ["drop a file's crc32", "bad field kind", "bad analyzer setting"])
def test_a_structurally_broken_manifest_is_reported_not_raised_raw(tiny_index, damage):
    from searchcore.index import manifest as manifest_module

    path = tiny_index.path / "manifest.json"
    data = json.loads(path.read_text())
    data.pop("checksum")
    if damage == "drop a file's crc32":
        del data["segments"][0]["files"]["meta.json"]["crc32"]
    elif damage == "bad field kind":
        data["schema"]["body"]["kind"] = "texty"
    else:
        data["schema"]["body"]["analyzer"]["stemmer"] = "krovetz"
    # re-sign it, so that only the structure is wrong
    data["checksum"] = __import__("zlib").crc32(manifest_module._manifest_bytes(data))
    path.write_text(json.dumps(data))
    with pytest.raises(sc.IndexCorruptError, match=r"manifest\.json: unreadable"):
        sc.Index.open(tiny_index.path)
    report = sc.check_index(tiny_index.path)
    assert not report.ok and report.problems[0].path.endswith("manifest.json")


def test_field_order_survives_reopening(tmp_path):
    sc.Index.create(tmp_path / "ix", sc.Schema(zeta=sc.TEXT(), alpha=sc.TEXT(), id=sc.ID()))
    reopened = sc.Index.open(tmp_path / "ix")
    assert list(reopened.schema) == ["zeta", "alpha", "id"]
    assert reopened.schema.text_fields == ("zeta", "alpha")


def test_delete_removes_the_index_under_the_lock(tiny_index):
    with tiny_index.writer():
        with pytest.raises(sc.IndexLockedError):
            sc.Index.delete(tiny_index.path, lock_timeout=0.05)
    assert tiny_index.doc_count() == len(TINY_CORPUS)
    (tiny_index.path / "notes.txt").write_text("not ours")
    sc.Index.delete(tiny_index.path)
    assert not sc.Index.exists(tiny_index.path)
    assert sorted(p.name for p in tiny_index.path.iterdir()) == ["notes.txt", "write.lock"]
    with pytest.raises(sc.IndexNotFoundError):
        sc.Index.delete(tiny_index.path)
    sc.Index.create(tiny_index.path, tiny_schema())  # the place can hold a new index


def test_inflated_stored_blocks_are_shared_bounded_and_never_confused_between_readers(tmp_path):
    cache = codec.InflatedBlocks(max_bytes=100)
    cache.put((1, 0), b"a" * 60)
    cache.put((1, 1), b"b" * 30)
    assert cache.get((1, 0)) == b"a" * 60  # now the most recently used
    cache.put((2, 0), b"c" * 30)  # 120 bytes: the least recently used, (1, 1), goes
    assert cache.get((1, 1)) is None and cache.get((1, 0)) is not None and cache.nbytes == 90
    cache.put((3, 0), b"d" * 101)  # larger than the whole cache: not kept
    assert cache.get((3, 0)) is None

    # two indexes whose documents sit in the same block numbers read their own documents
    first, second = sc.Index.create(tmp_path / "a", tiny_schema()), sc.Index.create(tmp_path / "b", tiny_schema())
    with first.writer() as w, second.writer() as v:
        for i in range(40):
            w.add_document(id=f"d{i}", title=f"first {i}")
            v.add_document(id=f"d{i}", title=f"second {i}")
    for _ in range(2):  # the second round reads inflated blocks from the cache
        assert [first.searcher().document(f"d{i}")["title"] for i in range(40)] == [f"first {i}" for i in range(40)]
        assert [second.searcher().document(f"d{i}")["title"] for i in range(40)] == [f"second {i}" for i in range(40)]


def test_an_index_of_format_3_reads_and_its_next_commit_writes_the_current_format(tmp_path):
    """Format 3 differs only in its manifest, indented JSON: it is read as it is, and rewritten compact."""
    from searchcore.index import manifest as manifest_module

    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with ix.writer() as w:
        w.add_document(id="1", body="crude oil")
    path = ix.path / "manifest.json"
    data = json.loads(path.read_bytes())
    data.pop("checksum")
    data["version"] = 3
    data["checksum"] = __import__("zlib").crc32(json.dumps(data, indent=1).encode("utf-8"))
    path.write_text(json.dumps(data, indent=1))
    assert manifest_module._manifest_bytes(data) == json.dumps(data, indent=1).encode("utf-8")
    assert [h.id for h in sc.Index.open(ix.path).searcher().search("oil")] == ["1"]
    assert sc.check_index(ix.path).ok
    with sc.Index.open(ix.path).writer() as w:
        w.add_document(id="2", body="oil prices")
    raw = path.read_bytes()
    assert json.loads(raw)["version"] == codec.FORMAT_VERSION and b"\n" not in raw
    assert sorted(h.id for h in sc.Index.open(ix.path).searcher().search("oil")) == ["1", "2"]


def test_a_refreshed_reader_keeps_unchanged_segments_and_reads_their_new_deletions(tmp_path):
    from searchcore.index.reader import IndexReader

    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with ix.writer(merge=False) as w:
        w.add_document(id="1", body="crude oil")
        w.add_document(id="2", body="oil prices")
    first = IndexReader(ix.path)
    with ix.writer(merge=False) as w:
        w.delete_document("1")
        w.add_document(id="3", body="oil output")
    second = IndexReader(ix.path, previous=first)
    old, new = first.segments[0], second.segments[0]
    assert new.name == old.name and new.meta is old.meta  # the same files: not opened again
    assert old.live is None and new.live is not None and not new.is_live(0)  # its deletions are its own
    assert second.segments[1].name not in {s.name for s in first.segments}
    assert second.doc_count == 2 and first.doc_count == 2
    # a reader of another index shares nothing with this one
    other = sc.Index.create(tmp_path / "other", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with other.writer() as w:
        w.add_document(id="9", body="grain")
    assert IndexReader(other.path, previous=second).segments[0].meta is not new.meta
    searcher = ix.searcher()
    assert sorted(h.id for h in searcher.search("oil")) == ["2", "3"]


@pytest.mark.parametrize("raw", [
    b'{"a": NaN, "b": Infinity}', b'{"big": 123456789012345678901234567890}', b'{"neg": [-9223372036854775809]}',
    b'{"deep": {"x": [1, {"y": 99999999999999999999}]}}', b'{"s": "\\ud800"}', b'{"a": 1, "a": 2}',
    b'{"x": 1e400}', b'{"z": -0.0, "f": 1e300, "i": 9223372036854775807}', b'{"t": "caf\xc3\xa9", "l": [true, null, 1.5]}',
])
def test_stored_fields_read_as_the_standard_json_module_reads_them(raw):
    """Stored fields are read by orjson where it is installed; whatever it reads differently (NaN,
    integers past 64 bits, lone surrogates) is read by the standard module."""
    from searchcore.index import reader

    assert repr(reader._load_json(raw)) == repr(json.loads(raw))
