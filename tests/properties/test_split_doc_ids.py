"""Doc ids split in runs (segments over 65,536 documents): the layout round-trips, postings read back as
they were written, an index that uses it ranks exactly as the reference BM25F does (through merges,
phrases, MaxScore and the checker), and the checker names damaged runs.

Most tests lower ``codec.SPLIT_BITS`` so that corpora of a few documents are split into runs of four;
one test builds a segment of the real size.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchcore as sc
from searchcore.index import codec, manifest
from tests.damage import unpack
from tests.properties.test_bm25_reference import assert_same, build, engine_results, reference_results
from tests.strategies import corpora, queries

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def posting_lists(draw):
    max_doc = draw(st.integers(1, 300_000))
    lists = draw(st.lists(st.sets(st.integers(0, max_doc - 1), max_size=40), max_size=12))
    return [np.array(sorted(docs), dtype=np.int64) for docs in lists]


@settings(max_examples=200, deadline=None)
@given(lists=posting_lists())
def test_split_and_join_round_trip(lists):
    starts = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(docs) for docs in lists], out=starts[1:])
    doc_ids = np.concatenate(lists) if lists else np.empty(0, np.int64)
    low, doc_runs, run_starts, run_highs = codec.split_doc_ids(doc_ids, starts)
    assert low.dtype == np.uint16
    np.testing.assert_array_equal(codec.join_doc_ids(low, run_starts, run_highs), doc_ids)
    for term, docs in enumerate(lists):
        lo, hi = starts[term], starts[term + 1]
        first, last = doc_runs[term], doc_runs[term + 1]
        assert last - first == len(np.unique(docs >> codec.SPLIT_BITS))  # one run per distinct high part
        joined = codec.join_doc_ids(low[lo:hi], run_starts[first : last + 1], run_highs[first:last], int(lo))
        np.testing.assert_array_equal(joined, docs)


@pytest.fixture
def short_runs(monkeypatch):
    """Split the doc ids of every segment over 4 documents, in runs of at most 4."""
    monkeypatch.setattr(codec, "SPLIT_BITS", 2)


@SETTINGS
@given(docs=corpora(min_docs=5, max_docs=30), query=queries, segment_size=st.integers(5, 30),
       limit=st.integers(1, 20), optimize=st.booleans())
def test_split_index_equals_reference(short_runs, tmp_path_factory, docs, query, segment_size, limit, optimize):
    ix = build(tmp_path_factory.mktemp("ix"), docs, segment_size)
    if optimize:
        ix.optimize()  # the merge reads split segments and writes one
    segments = ix.reader().segments
    assert any(s.text("body").split for s in segments if codec.splits(s.max_doc))
    engine, total = engine_results(ix, query, limit)
    expected = reference_results(docs, query)
    assert total == len(expected)
    assert_same(engine, expected, limit)
    with ix.searcher() as s:  # MaxScore on every segment, against exhaustive scoring
        s.maxscore_min_docs = 0
        s.maxscore_min_postings = 0  # and on lists of any length
        pruned = [(h.id, h.score) for h in s.search(" ".join(t for _, t, _ in query), limit=limit)]
        s.prune = False
        exhaustive = [(h.id, h.score) for h in s.search(" ".join(t for _, t, _ in query), limit=limit)]
    assert pruned == exhaustive
    assert ix.check().problems == []


WORDS = ["oil", "crude", "prices", "opec", "bank", "rates", "visit", "minister"]
SCHEMA = sc.Schema(id=sc.ID(stored=True), body=sc.TEXT(stored=True))


def expected_postings(bodies: list[str]) -> dict[str, list[tuple[int, int, list[int]]]]:
    """term -> [(doc id, term freq, positions)], in doc order: what a segment of ``bodies`` must hold."""
    analyzer = SCHEMA["body"].analyzer
    postings: dict[str, list[tuple[int, int, list[int]]]] = {}
    for doc_id, body in enumerate(bodies):
        positions: dict[str, list[int]] = {}
        for term, position in analyzer.terms_with_positions(body):
            positions.setdefault(term, []).append(position)
        for term, at in positions.items():
            postings.setdefault(term, []).append((doc_id, len(at), at))
    return postings


def read_postings(segment) -> dict[str, list[tuple[int, int, list[int]]]]:
    """The same, read back through a segment reader's public methods (a merge keeps the terms whose
    every posting was deleted, with none: they are left out)."""
    body = segment.text("body")
    postings = {}
    for term_ord, term in enumerate(body.terms.all()):
        doc_ids, term_freqs = body.postings(term_ord)
        positions = body.positions(term_ord).tolist()
        bounds = np.concatenate([[0], np.cumsum(term_freqs, dtype=np.int64)]).tolist()
        np.testing.assert_array_equal(body.doc_ids(term_ord), doc_ids)
        if len(doc_ids):
            postings[term] = [(doc, freq, positions[a:b]) for doc, freq, a, b
                              in zip(doc_ids.tolist(), term_freqs.tolist(), bounds, bounds[1:])]
    return postings


bodies = st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join), min_size=1, max_size=40)


@SETTINGS
@given(texts=bodies)
def test_postings_read_back_as_written(short_runs, tmp_path_factory, texts):
    ix = sc.Index.create(tmp_path_factory.mktemp("ix"), SCHEMA)
    with ix.writer() as w:
        w.add_documents({"id": f"d{i}", "body": text} for i, text in enumerate(texts))
    [segment] = ix.reader().segments
    body = segment.text("body")
    assert body.split == codec.splits(len(texts))
    assert read_postings(segment) == expected_postings(texts)
    written = expected_postings(texts)
    all_doc_ids = [doc for term in body.terms.all() for doc, _, _ in written[term]]
    np.testing.assert_array_equal(body.all_doc_ids, np.array(all_doc_ids, dtype=np.int64))
    assert ix.check().problems == []


@SETTINGS
@given(texts=bodies, deleted=st.sets(st.integers(0, 39)), segment_size=st.integers(1, 40))
def test_merged_postings_read_back_as_the_live_documents(short_runs, tmp_path_factory, texts, deleted, segment_size):
    """Segments of any size (split or not) merged, less deleted documents: the one segment written holds
    the postings of the live documents, numbered in order."""
    ix = sc.Index.create(tmp_path_factory.mktemp("ix"), SCHEMA)
    for start in range(0, len(texts), segment_size):
        with ix.writer(merge=False) as w:
            w.add_documents({"id": f"d{i}", "body": texts[i]} for i in range(start, min(start + segment_size, len(texts))))
    gone = sorted(i for i in deleted if i < len(texts))
    with ix.writer(merge=False) as w:
        for i in gone:
            assert w.delete_document(f"d{i}")
    ix.optimize()
    live = [text for i, text in enumerate(texts) if i not in deleted]
    segments = ix.reader().segments
    if not live:
        assert segments == []
        return
    [segment] = segments
    assert segment.text("body").split == codec.splits(len(live))
    assert read_postings(segment) == expected_postings(live)
    assert ix.check().problems == []


def rewrite_array(path: Path, field: str, part: str, values: np.ndarray) -> None:
    """Replace one array of the index's only segment and commit the change with a valid checksum: damage
    that only the structural checks can find."""
    unpack(path)  # each array in a file of its own, as format 4 had them
    current = manifest.read_manifest(path)
    [info] = current.segments
    name = codec.array_file(field, part)
    (path / info.name / name).unlink()  # a new file: a reader that mapped the old one keeps it
    out = codec.FileRecorder(path / info.name, create=False)
    out.array(field, part, values)
    segment = dataclasses.replace(info, files={**info.files, **out.files})
    manifest.write_manifest(path, manifest.Manifest(current.generation + 1, current.schema, (segment,)))


@pytest.mark.parametrize("damage, problem", [
    ("boundary", "doc id runs do not begin where the terms' postings do"),
    ("cover", "doc id runs are not a monotone cover of the postings"),
])
def test_damaged_runs_are_named(short_runs, tmp_path, damage, problem):
    # "oil" in documents 0-9 (doc id high bits 0, 0, 0, 0, 1, 1, 1, 1, 2, 2: three runs), "crude" in 0 and 1
    texts = ["oil crude"] * 2 + ["oil"] * 8
    ix = sc.Index.create(tmp_path / "ix", SCHEMA)
    with ix.writer() as w:
        w.add_documents({"id": f"d{i}", "body": text} for i, text in enumerate(texts))
    body = ix.reader().segments[0].text("body")
    assert body.terms.all() == ["crude", "oil"]
    runs = body.doc_id_runs
    np.testing.assert_array_equal(runs.run_starts, [0, 2, 6, 10, 12])
    run_starts = np.array(runs.run_starts, dtype=np.int64)
    if damage == "boundary":
        run_starts[1] = 1  # "oil"'s first run now starts inside "crude"'s postings
    else:
        run_starts[-1] = 13  # past the last posting
    rewrite_array(tmp_path / "ix", "body", codec.RUN_STARTS, run_starts)
    problems = [(Path(p.path).name, p.problem) for p in sc.Index.open(tmp_path / "ix").check().problems]
    assert (codec.array_file("body", codec.DOC_RUNS), problem) in problems
    assert (codec.array_file("body", codec.DOC_IDS), "doc ids cannot be read without their runs") in problems


def test_a_segment_over_65536_documents(tmp_path, monkeypatch):
    """The real size: 70,000 short documents in one segment, split in runs of 65,536, rank exactly as the
    same documents stored with whole doc ids (the small-run tests above hold both to the reference)."""
    words = ["oil", "crude", "price", "opec", "bank", "rates", "visit", "minister", "russia", "belarus"]
    rng = np.random.default_rng(7)
    docs = [{"id": f"d{i}", "body": " ".join(rng.choice(words, size=int(rng.integers(1, 4))))} for i in range(70_000)]
    docs[69_999]["body"] = "belarus minister visit"
    schema = sc.Schema(id=sc.ID(stored=True), body=sc.TEXT())
    indexes = {}
    for bits in (16, 17):  # 17: no segment of this size is split
        monkeypatch.setattr(codec, "SPLIT_BITS", bits)
        ix = indexes[bits] = sc.Index.create(tmp_path / f"ix{bits}", schema)
        with ix.writer() as w:
            w.add_documents(docs)
        assert ix.check().problems == []
        [segment] = ix.reader().segments
        assert segment.text("body").split == (bits == 16)
    monkeypatch.setattr(codec, "SPLIT_BITS", 16)
    runs = indexes[16].reader().segments[0].text("body").doc_id_runs
    assert len(runs.run_highs) > len(words)  # the common words' postings span two runs
    for text in ["belarus", "oil price", "minister visit belarus", "crude -opec", '"minister visit"']:
        split, whole = ([(h.id, h.score) for h in ix.searcher().search(text, limit=20)] for ix in indexes.values())
        assert split == whole and split


def test_indexes_of_older_formats_are_refused_with_the_way_out(tmp_path):
    """Formats 1 and 2 tokenized text differently (no normalisation, marks split words, CJK runs whole):
    read now, they would miss matches silently, so they are refused and must be rebuilt."""
    build(tmp_path / "ix", [{"id": "a", "title": "oil", "body": "crude oil"}], 1)
    path = tmp_path / "ix" / codec.MANIFEST
    for version in (1, 2):
        data = json.loads(path.read_text())
        data.pop("checksum")
        data["version"] = version
        data["checksum"] = zlib.crc32(manifest._manifest_bytes(data))
        path.write_text(json.dumps(data))
        with pytest.raises(sc.IndexVersionError, match=f"index format {version} was written by an older "
                                                        "searchcore.*--rebuild"):
            sc.Index.open(tmp_path / "ix")
