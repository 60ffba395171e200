"""Doc ids split in runs (segments over 65,536 documents): the layout round-trips, and an index that uses it
ranks exactly as the reference BM25F does, through merges, phrases, MaxScore and the checker.

Most tests lower ``codec.SPLIT_BITS`` so that corpora of a few documents are split into runs of four;
one test builds a segment of the real size.
"""

from __future__ import annotations

import json
import types
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchcore as sc
from searchcore.index import codec, manifest
from searchcore.index.check import _runs_problem
from tests.properties.test_bm25_reference import assert_same, build, engine_results, reference_results
from tests.strategies import corpora, queries

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def posting_lists(draw):
    num_docs = draw(st.integers(1, 300_000))
    lists = draw(st.lists(st.sets(st.integers(0, num_docs - 1), max_size=40), max_size=12))
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
    assert any(s.text("body").split for s in segments if codec.splits(s.num_docs))
    engine, total = engine_results(ix, query, limit)
    expected = reference_results(docs, query)
    assert total == len(expected)
    assert_same(engine, expected, limit)
    with ix.searcher() as s:  # MaxScore on every segment, against exhaustive scoring
        s.maxscore_min_docs = 0
        pruned = [(h.id, h.score) for h in s.search(" ".join(t for _, t, _ in query), limit=limit)]
        s.prune = False
        exhaustive = [(h.id, h.score) for h in s.search(" ".join(t for _, t, _ in query), limit=limit)]
    assert pruned == exhaustive
    assert ix.check().problems == []


def test_runs_problems_are_named():
    reader = types.SimpleNamespace(posting_starts=np.array([0, 3, 5]), _stored_doc_ids=np.zeros(5, np.uint16))
    reader._runs = (np.array([0, 1, 3]), np.array([0, 3, 4, 5]), np.array([0, 1, 2]))
    assert _runs_problem(reader) is None
    reader._runs = (np.array([0, 1, 3]), np.array([0, 2, 4, 5]), np.array([0, 1, 2]))
    assert _runs_problem(reader) == "doc id runs do not begin where the terms' postings do"
    reader._runs = (np.array([0, 1, 3]), np.array([0, 3, 4, 6]), np.array([0, 1, 2]))
    assert _runs_problem(reader) == "doc id runs are not a monotone cover of the postings"


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
    runs = indexes[16].reader().segments[0].text("body")._runs
    assert len(runs[2]) > len(words)  # the common words' postings span two runs
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
