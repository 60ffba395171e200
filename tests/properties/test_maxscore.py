"""MaxScore must return exactly what exhaustive scoring returns: same ids in the same order, same scores,
same total, whatever the corpus, segmentation, deletions and k."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import searchcore as sc
from searchcore.index import codec
from searchcore.search import blockmax

# A skewed vocabulary: a few very common words and a tail of rare ones, as in news text.
COMMON = ["oil", "said", "pct", "year"]
RARE = ["opec", "belarus", "shangfu", "cocoa", "bahia", "zinc", "tin", "yen", "peso", "rand"]
word = st.one_of(st.sampled_from(COMMON), st.sampled_from(COMMON), st.sampled_from(RARE))
doc = st.tuples(st.lists(word, max_size=3), st.lists(word, min_size=1, max_size=15))
clause = st.one_of(word, word, st.lists(word, min_size=2, max_size=2).map(lambda w: '"' + " ".join(w) + '"'),
                   word.map(lambda w: f"title:{w}"))


def build(path, docs, segment_size, deleted):
    ix = sc.Index.create(path, sc.Schema(id=sc.ID(), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT()))
    for start in range(0, len(docs), segment_size):
        with ix.writer(merge=False) as w:
            for i in range(start, min(start + segment_size, len(docs))):
                w.add_document(id=f"d{i}", title=" ".join(docs[i][0]), body=" ".join(docs[i][1]))
    with ix.writer(merge=False) as w:
        for i in deleted:
            w.delete_document(f"d{i}")
    return ix


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(doc, min_size=1, max_size=60), clauses=st.lists(clause, min_size=2, max_size=5),
       segment_size=st.integers(5, 60), k=st.integers(1, 8), deleted=st.sets(st.integers(0, 59), max_size=10))
@example(docs=[(["opec"], ["oil", "oil"]), ([], ["oil"]), ([], ["oil", "said"])] * 5,
         clauses=["opec", "oil"], segment_size=60, k=1, deleted=set())
@example(docs=[([], ["said"]), ([], ["said"]), (["oil"], ["oil"])], clauses=["said", "pct", "title:oil"],
         segment_size=5, k=3, deleted=set())
def test_maxscore_equals_exhaustive(tmp_path_factory, docs, clauses, segment_size, k, deleted):
    ix = build(tmp_path_factory.mktemp("ix"), docs, segment_size, sorted(d for d in deleted if d < len(docs)))
    query = " ".join(clauses)
    with ix.searcher() as pruned, ix.searcher() as exhaustive:
        exhaustive.prune = False
        pruned.maxscore_min_docs = 0  # MaxScore on every segment, however small
        pruned.maxscore_min_postings = 0  # and on lists of any length
        a, b = pruned.search(query, limit=k), exhaustive.search(query, limit=k)
        assert [h.id for h in a] == [h.id for h in b]
        assert [h.score for h in a] == [h.score for h in b]  # bit for bit: both sum in clause order
        assert a.total == b.total


def test_maxscore_skips_the_common_term_when_it_cannot_matter(tmp_path):
    docs = [(["opec"], ["opec", "oil"])] + [([], ["oil"] * (1 + i % 3)) for i in range(200)]
    ix = build(tmp_path / "ix", docs, len(docs), [])
    with ix.searcher() as s:
        s.maxscore_min_docs = 0
        s.maxscore_min_postings = 0  # and on lists of any length
        results = s.search("opec oil", limit=1)
        assert [h.id for h in results] == ["d0"]
        assert results.total_pending  # the 200 "oil" postings were looked up, not enumerated
        assert results.total == 201
        assert not results.total_pending


def test_short_lists_are_scored_exhaustively(tmp_path):
    """An OR of words holding fewer than maxscore_min_postings postings per word in a segment is scored
    exhaustively there (its total counted as it is scored); at 0, MaxScore takes it and skips the common
    word. A refresh keeps the setting."""
    docs = [([], ["opec", "oil"])] + [([], ["oil"] * (1 + i % 3)) for i in range(200)]
    ix = build(tmp_path / "ix", docs, len(docs), [])
    with ix.searcher() as s:
        s.maxscore_min_docs = 0
        assert s.maxscore_min_postings == 2048  # "opec oil" holds 202 postings (body: 1 + 201): far below
        exhaustive = s.search("opec oil", limit=1)
        assert [h.id for h in exhaustive] == ["d0"] and not exhaustive.total_pending
        s.maxscore_min_postings = 101  # 202 postings for two words, exactly at it: MaxScore's
        pruned = s.search("opec oil", limit=1)
        assert pruned.total_pending and [(h.id, h.score) for h in pruned] == [(h.id, h.score) for h in exhaustive]
        assert pruned.total == exhaustive.total == 201
        s.maxscore_min_postings = 102
        assert not s.search("opec oil", limit=1).total_pending
        with ix.writer() as w:
            w.add_document(id="new", title="", body="oil")
        assert s.refresh() and s.maxscore_min_postings == 102


def test_pinned_float_drift_case(tmp_path):
    # the bounds left summed to -2.7e-17 by subtraction, which pushed a top-3 document below theta
    ix = build(tmp_path / "ix", [([], ["said"]), ([], ["said"]), (["oil"], ["oil"])], 5, [])
    with ix.searcher() as s:
        s.maxscore_min_docs = 0
        s.maxscore_min_postings = 0  # and on lists of any length
        assert [h.id for h in s.search("said pct title:oil", limit=3)] == ["d0", "d1", "d2"]


# Block-max (search/blockmax.py) on the same corpora, in blocks of a few postings, so that a list of a few
# documents has several blocks, and on lists of any length (MIN_POSTINGS 0), so that its every step runs:
# short words read whole, the three stretches of doc ids, optional clauses looked up, the margin scored
# again; with doc ids split in runs or whole.
words_only = st.one_of(word, word, word.map(lambda w: f"title:{w}"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(docs=st.lists(doc, min_size=1, max_size=150), clauses=st.lists(words_only, min_size=1, max_size=5),
       segment_size=st.integers(5, 150), k=st.integers(1, 4), deleted=st.sets(st.integers(0, 149), max_size=20),
       block=st.sampled_from([1, 2, 3, 128]), split=st.booleans(), rescore_few=st.sampled_from([0, 4]))
@example(docs=[(["opec"], ["oil", "oil"]), ([], ["oil"]), ([], ["oil", "said"])] * 5,
         clauses=["opec", "oil"], segment_size=60, k=1, deleted=set(), block=2, split=True, rescore_few=0)
def test_block_max_equals_exhaustive(tmp_path_factory, docs, clauses, segment_size, k, deleted, block, split,
                                     rescore_few):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codec, "POSTINGS_BLOCK", block)
        patch.setattr(blockmax, "RESCORE_FEW", rescore_few)  # 0: candidates look up what they lack
        if split:  # doc ids split in runs of four (as above 65,536 documents), blocks reaching across runs
            patch.setattr(codec, "SPLIT_BITS", 2)
        patch.setattr(blockmax, "MIN_POSTINGS", 0)
        patch.setattr(blockmax, "MIN_POSTINGS_ONE", 0)
        ix = build(tmp_path_factory.mktemp("ix"), docs, segment_size, sorted(d for d in deleted if d < len(docs)))
        query = " ".join(clauses)
        with ix.searcher() as pruned, ix.searcher() as exhaustive:
            exhaustive.prune = False
            pruned.maxscore_min_docs = 0
            pruned.maxscore_min_postings = 0  # and on lists of any length
            a, b = pruned.search(query, limit=k), exhaustive.search(query, limit=k)
            assert [h.id for h in a] == [h.id for h in b]
            assert [h.score for h in a] == [h.score for h in b]  # bit for bit
            assert a.total == b.total
