"""Block bounds (codec.TERM_BLOCKS): what a segment stores per block of postings, and the bound the scorer
derives from it, must never fall below a posting's real ``tf / norm``, whatever b and average length a
search uses; `search check` must recompute them; a segment without them must still search exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchcore as sc
from searchcore.index import codec
from searchcore.search.scorer import block_tf_bounds


@st.composite
def fields(draw):
    """A TEXT field's postings (CSR, doc ids sorted per term) with its document lengths."""
    max_doc = draw(st.integers(1, 40))
    num_terms = draw(st.integers(1, 6))
    docs_of_term = [sorted(draw(st.sets(st.integers(0, max_doc - 1), max_size=max_doc))) for _ in range(num_terms)]
    doc_ids = np.array([d for docs in docs_of_term for d in docs], dtype=np.int64)
    term_freqs = np.array([draw(st.integers(1, 9)) for _ in range(len(doc_ids))], dtype=np.int64)
    posting_starts = np.zeros(num_terms + 1, dtype=np.int64)
    np.cumsum([len(docs) for docs in docs_of_term], out=posting_starts[1:])
    doc_lens = np.bincount(doc_ids, weights=term_freqs, minlength=max_doc).astype(np.int64)
    doc_lens += np.array([draw(st.integers(0, 30)) for _ in range(max_doc)]) * (doc_lens > 0)  # other words
    return posting_starts, doc_ids, term_freqs, doc_lens


@settings(max_examples=300, deadline=None)
@given(field=fields(), size=st.sampled_from([1, 2, 3, 128]), b=st.sampled_from([0.0, 0.3, 0.75, 1.0]),
       avg_scale=st.sampled_from([0.25, 0.9, 1.0, 1.1, 4.0]))
def test_a_block_bound_caps_every_posting_in_it(field, size, b, avg_scale):
    posting_starts, doc_ids, term_freqs, doc_lens = field
    blocks = codec.posting_blocks(posting_starts, doc_ids, term_freqs, doc_lens, size)
    tokens, docs = int(doc_lens.sum()), int(np.count_nonzero(doc_lens))
    avg = tokens / docs * avg_scale if docs else 0.0
    bound = block_tf_bounds(b, avg, blocks.slope, blocks.max_tfs, blocks.min_ratios, blocks.max_normed)
    for term in range(len(posting_starts) - 1):
        start, end = int(posting_starts[term]), int(posting_starts[term + 1])
        first, last = int(blocks.term_blocks[term]), int(blocks.term_blocks[term + 1])
        assert last - first == -(-(end - start) // size)
        for number, block in enumerate(range(first, last)):
            lo, hi = start + number * size, min(end, start + (number + 1) * size)
            norms = (1 - b + b * doc_lens[doc_ids[lo:hi]] / avg) if avg > 0 else np.ones(hi - lo)
            actual = term_freqs[lo:hi] / norms
            assert actual.max() <= bound[block] * (1 + 1e-9)
            assert blocks.last_docs[block] == doc_ids[hi - 1]
            if avg_scale == 1.0 and b == 0.75:  # the segment's own average length: the bound is the maximum
                assert bound[block] <= actual.max() * (1 + 1e-6)


def test_bounds_are_stored_per_field_and_recorded_in_the_segment(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with ix.writer() as w:
        for i in range(300):
            w.add_document(id=str(i), body="oil " * (1 + i % 4) + ("opec" if i % 7 == 0 else "tin"))
    segment = ix.searcher()._snapshot.reader.segments[0]
    text = segment.text("body")
    assert segment.field_meta("body")["postings_block"] == codec.POSTINGS_BLOCK
    term = text.term_ord("oil")
    lo, hi, max_tfs, _, _ = text.term_blocks(term)
    assert len(lo) == 3 and lo[0] == 0 and hi[-1] == 299  # 300 postings in blocks of 128
    assert list(max_tfs) == [4, 4, 4]
    docs, freqs = text.block_postings(term, np.array([0, 2]))
    assert list(docs) == list(range(128)) + list(range(256, 300))
    assert list(freqs[:4]) == [1, 2, 3, 4]


def test_check_recomputes_the_bounds(tmp_path, monkeypatch):
    real = codec.posting_blocks

    def one_too_low(*args):
        blocks = real(*args)
        return blocks._replace(max_tfs=np.maximum(blocks.max_tfs - 1, 1))

    monkeypatch.setattr(codec, "posting_blocks", one_too_low)
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with ix.writer() as w:
        w.add_document(id="1", body="oil oil oil")
    monkeypatch.setattr(codec, "posting_blocks", real)
    report = sc.check_index(ix.path)
    assert not report.ok
    assert any("block_max_tfs differ from the postings" in p.problem for p in report.problems)


def test_a_segment_without_bounds_searches_exactly_and_a_merge_gives_it_bounds(tmp_path, monkeypatch):
    """Segments of format 5 and before have no block bounds: searches fall back to MaxScore and
    exhaustive scoring, and the next merge writes the bounds."""
    from searchcore.search import blockmax

    block_parts = {codec.TERM_BLOCKS, codec.BLOCK_MAX_TFS, codec.BLOCK_MIN_RATIOS, codec.BLOCK_MAX_NORMED,
                   codec.BLOCK_LAST_DOCS}
    real_array = codec.FileRecorder.array

    def without_blocks(self, field, part, values):
        if part not in block_parts:
            real_array(self, field, part, values)

    monkeypatch.setattr(codec.FileRecorder, "array", without_blocks)
    monkeypatch.setattr(blockmax, "MIN_POSTINGS", 0)
    monkeypatch.setattr(blockmax, "MIN_POSTINGS_ONE", 0)
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    for start in (0, 100):
        with ix.writer(merge=False) as w:
            for i in range(start, start + 100):
                w.add_document(id=str(i), body="oil " * (1 + i % 5) + ("opec" if i % 9 == 0 else "tin " * (i % 3)))
    monkeypatch.setattr(codec.FileRecorder, "array", real_array)

    def searches_exactly(has_blocks):
        """The segments' bounds are there (or not) as ``has_blocks`` says, and pruning finds what scoring
        every posting finds."""
        with ix.searcher() as s, ix.searcher() as exhaustive:
            assert [segment.text("body").blocks is not None for segment in s._snapshot.reader.segments] == has_blocks
            s.maxscore_min_docs = 0
            s.maxscore_min_postings = 0  # and on lists of any length
            exhaustive.prune = False
            for query in ("oil", "oil opec", "tin opec oil"):
                assert ([(h.id, h.score) for h in s.search(query, limit=5)]
                        == [(h.id, h.score) for h in exhaustive.search(query, limit=5)])
        assert sc.check_index(ix.path).ok

    searches_exactly([False, False])
    ix.optimize()
    searches_exactly([True])


@pytest.mark.parametrize("b", [0.0, 0.5, 1.0])
def test_block_max_is_exact_for_any_b(tmp_path, monkeypatch, b):
    from searchcore.search import blockmax

    monkeypatch.setattr(codec, "POSTINGS_BLOCK", 4)
    monkeypatch.setattr(blockmax, "MIN_POSTINGS", 0)
    monkeypatch.setattr(blockmax, "MIN_POSTINGS_ONE", 0)
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with ix.writer() as w:
        for i in range(200):
            w.add_document(id=str(i), body=" ".join(["oil"] * (1 + i % 6) + ["tin"] * (i % 4) + ["zinc"] * (i % 11 == 0)
                                                    + ["filler"] * (i % 13)))
    with ix.searcher(sc.BM25(b=b)) as s, ix.searcher(sc.BM25(b=b)) as exhaustive:
        s.maxscore_min_docs = 0
        s.maxscore_min_postings = 0  # and on lists of any length
        exhaustive.prune = False
        for query in ("oil", "oil tin", "zinc oil tin", "tin"):
            a, e = s.search(query, limit=7), exhaustive.search(query, limit=7)
            assert [(h.id, h.score) for h in a] == [(h.id, h.score) for h in e]


@settings(max_examples=100, deadline=None)
@given(bodies=st.lists(st.lists(st.sampled_from(["oil", "tin", "zinc"]), max_size=6), min_size=1, max_size=60),
       size=st.sampled_from([1, 2, 5]), split=st.booleans(), data=st.data())
def test_blocks_read_what_the_whole_list_holds(tmp_path_factory, bodies, size, split, data):
    """block_postings (some blocks of a term) against postings (all of it), with doc ids whole or split
    in runs of four; term_blocks' ranges hold each block's doc ids."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codec, "POSTINGS_BLOCK", size)
        if split:
            patch.setattr(codec, "SPLIT_BITS", 2)
        ix = sc.Index.create(tmp_path_factory.mktemp("ix") / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
        with ix.writer() as w:
            for i, words in enumerate(bodies):
                w.add_document(id=str(i), body=" ".join(words))
        segment = ix.searcher()._snapshot.reader.segments[0]
        text = segment.text("body")
        assert text.split == (split and len(bodies) > 4)
        for term in range(len(text.posting_starts) - 1):
            docs, freqs = text.postings(term)
            docs = docs.astype(np.int64)
            count = len(text.term_blocks(term)[0])
            which = np.array(sorted(data.draw(st.sets(st.integers(0, count - 1), min_size=1))), dtype=np.int64)
            got_docs, got_freqs = text.block_postings(term, which)
            keep = np.isin(np.arange(len(docs)) // size, which)
            assert list(got_docs) == list(docs[keep]) and list(got_freqs) == list(freqs[keep])
            lo, hi = text.term_blocks(term)[:2]
            for i, block in enumerate(range(count)):
                in_block = docs[block * size : (block + 1) * size]
                assert lo[i] <= in_block[0] and in_block[-1] == hi[i]


def test_a_query_decodes_each_list_of_split_doc_ids_once(tmp_path, monkeypatch):
    """MaxScore reads a word's postings to sum them, to look candidates up and to score the best again:
    a list of split doc ids is decoded once for the query (PostingsCache.one_query), then let go."""
    from collections import Counter

    from searchcore.index.reader import TextReader
    from searchcore.search import blockmax

    monkeypatch.setattr(codec, "SPLIT_BITS", 4)
    monkeypatch.setattr(blockmax, "MIN_POSTINGS", 10**9)  # MaxScore's path, as by default: pinned here
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT()))
    with ix.writer() as w:
        for i in range(300):
            w.add_document(id=str(i), body="oil " * (1 + i % 3) + ("opec" if i % 5 == 0 else "tin"))
    decoded: Counter = Counter()
    real = TextReader.postings

    def counting(self, term_ord):
        decoded[term_ord] += 1
        return real(self, term_ord)

    monkeypatch.setattr(TextReader, "postings", counting)
    with ix.searcher() as s:
        s.maxscore_min_docs = 0
        s.maxscore_min_postings = 0  # and on lists of any length
        assert s._snapshot.reader.segments[0].text("body").split
        first = [(h.id, h.score) for h in s.search("opec oil", limit=3)]
        assert decoded and max(decoded.values()) == 1
        decoded.clear()
        assert [(h.id, h.score) for h in s.search("opec oil", limit=3)] == first  # the next query decodes again
        assert decoded and max(decoded.values()) == 1
