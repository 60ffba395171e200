"""Search behaviour on the tiny corpus: query syntax, results, snippets and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchcore as sc
from tests.conftest import tiny_schema


def ids(searcher, query, **kw):
    return [h.id for h in searcher.search(query, **kw)]


def test_free_text_is_or(tiny_index):
    with tiny_index.searcher() as s:
        assert set(ids(s, "coffee belarus")) == {"t4", "t5"}


def test_must_and_must_not(tiny_index):
    with tiny_index.searcher() as s:
        assert set(ids(s, "+oil")) == {"t1", "t2"}
        assert ids(s, "+oil +crude") == ["t1"]
        assert ids(s, "oil -vienna") == ["t1"]
        assert set(ids(s, "-oil")) == {"t3", "t4", "t5", "t6"}  # a lone negation: every other document


def test_phrase_needs_adjacent_words_in_order(tiny_index):
    with tiny_index.searcher() as s:
        assert ids(s, '"crude oil"') == ["t1"]
        assert ids(s, '"oil crude"') == []
        # the stopword "and" leaves a gap in the text and in the query alike
        assert ids(s, '"russia and belarus"') == ["t4"]
        assert ids(s, '"russia belarus"') == []
        assert ids(s, '"russia or belarus"') == ["t4"]  # a stopword stands for any stopword


def test_field_prefix(tiny_index):
    with tiny_index.searcher() as s:
        assert ids(s, "title:opec") == ["t2"]
        assert set(ids(s, "body:opec")) == {"t1", "t2"}
        assert ids(s, "topics:cocoa") == ["t5"]


def test_stemming_matches_other_forms(tiny_index):
    with tiny_index.searcher() as s:
        assert ids(s, "visits") == ["t4"]
        assert ids(s, "ministers") == ["t4", "t2"]  # title boost puts the title match first


def test_numbers_and_acronyms(tiny_index):
    with tiny_index.searcher() as s:
        assert ids(s, "5.93") == ["t6"]
        assert ids(s, "U.S.") == ["t6"]


def test_hyphenated_word_is_a_phrase(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    with ix.writer() as w:
        w.add_document(id="a", body="a multi-agent system")
        w.add_document(id="b", body="agent of a multi national")
    with ix.searcher() as s:
        assert ids(s, "multi-agent") == ["a"]


@pytest.mark.parametrize("query", ["", "   ", "the of and", "-", '"', "+"])
def test_queries_without_searchable_words_find_nothing(tiny_index, query):
    with tiny_index.searcher() as s:
        results = s.search(query)
        assert list(results) == [] and results.total == 0
        assert results.warnings


def test_unknown_field_in_query_text_is_searched_as_words(tiny_index):
    with tiny_index.searcher() as s:
        results = s.search("titel:opec")
        assert results.warnings == ["column 1: field 'titel' not in schema (fields: body, date, id, title, "
                                    "topics): searched as words without the field: titel opec"]
        assert sorted(hit.id for hit in results) == ["t1", "t2"]  # the words, not the phrase "titel opec"


def test_unknown_field_in_fields_argument_raises(tiny_index):
    with tiny_index.searcher() as s:
        with pytest.raises(sc.SchemaError, match="'titel' not in schema"):
            s.search("oil", fields=["titel"])
        with pytest.raises(sc.SchemaError, match="must be TEXT fields"):
            s.search("oil", fields=["topics"])


def test_query_nodes_with_unknown_field_raise(tiny_index):
    with tiny_index.searcher() as s:
        with pytest.raises(sc.SchemaError, match="'titel' not in schema"):
            s.search(sc.Term("oil", "titel"))


def test_bad_parameters(tiny_index):
    with pytest.raises(ValueError, match="k1 must be >= 0, got -1"):
        sc.BM25(k1=-1)
    with pytest.raises(ValueError, match="b must be in"):
        sc.BM25(b=2)
    with tiny_index.searcher() as s:
        with pytest.raises(ValueError, match="limit must be"):
            s.search("oil", limit=-1)


def test_limit_and_total(tiny_index):
    with tiny_index.searcher() as s:
        results = s.search("oil prices", limit=1)
        assert len(results) == 1 and results.total == 3
        assert s.search("oil", limit=0).total == 2


def test_ties_are_broken_by_document_order(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    for batch in (["d0", "d1"], ["d2"], ["d3", "d4"]):  # several segments
        with ix.writer() as w:
            for key in batch:
                w.add_document(id=key, body="same words here")
    with ix.searcher() as s:
        results = s.search("words", limit=3)
        assert [h.id for h in results] == ["d0", "d1", "d2"]
        assert len({h.score for h in results}) == 1
        assert results.total == 5


def test_snippet_marks_every_form_of_the_query_words(tiny_index):
    with tiny_index.searcher() as s:
        (hit,) = s.search("visiting belarus")
        assert hit.snippet("body") == "The defence minister will **visit** Russia and **Belarus**, **visiting** Minsk on Friday."
        assert hit.snippet("body", before="<mark>", after="</mark>").count("<mark>") == 3


def test_snippet_cuts_long_text_around_the_matches(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", tiny_schema())
    body = "filler " * 100 + "the needle is here " + "padding " * 100
    with ix.writer() as w:
        w.add_document(id="long", body=body)
    with ix.searcher() as s:
        text = s.search("needle")[0].snippet("body", length=60)
        assert "**needle**" in text
        assert text.startswith("…") and text.endswith("…")
        assert len(text) < 100


def test_hit_fields(tiny_index):
    with tiny_index.searcher() as s:
        hit = s.search("belarus")[0]
        assert hit.id == "t4"
        assert hit["title"] == "Minister to visit Belarus"
        assert hit.get("missing", 7) == 7
        assert hit.score > 0


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
       | st.lists(st.sampled_from(['"', "+", "-", ":", "title:", "oil", "(", ")", "AND", "*", " "]), max_size=12).map("".join))
def test_lenient_parsing_never_raises(text):
    from searchcore.query import parse

    parsed = parse(text, tiny_schema())
    assert isinstance(parsed.node, sc.Bool)


def test_search_many_equals_one_by_one(tiny_index):
    queries = ["oil", "bank rates", '"crude oil"', "+opec -vienna", "", sc.Term("belarus")]
    with tiny_index.searcher() as s:
        batch = s.search_many(queries, limit=3)
    with tiny_index.searcher() as s:
        single = [s.search(q, limit=3) for q in queries]
    assert [[(h.id, h.score) for h in r] for r in batch] == [[(h.id, h.score) for h in r] for r in single]
    assert [r.total for r in batch] == [r.total for r in single]


def test_word_cache_budget_changes_no_score(tmp_path):
    """Whatever a searcher keeps of each word's doc ids and weighted tfs (nothing, a few, all) changes no
    score, over one field or several (BM25F), nor does a segment scored by MaxScore, whose lists are not
    kept."""
    import random

    rng = random.Random(5)
    words = [f"w{i}" for i in range(60)]
    schema = sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(boost=2.0), body=sc.TEXT())
    ix = sc.Index.create(tmp_path / "ix", schema)
    with ix.writer() as w:
        for i in range(300):
            w.add_document(id=f"d{i}", title=" ".join(rng.choices(words, k=3)),
                           body=" ".join(rng.choices(words, k=rng.randint(5, 40))))
    queries = [" ".join(rng.sample(words, rng.randint(1, 4))) for _ in range(80)]
    for fields in (["body"], None):  # one field (saturated values kept) and title + body (tf~ kept)
        reference = ix.searcher()
        reference.field_tf_cache_bytes = 0  # keeps nothing
        small = ix.searcher()
        small.field_tf_cache_bytes = 4000
        whole = ix.searcher()
        for _ in range(2):
            for q in queries:
                expected = [(h.id, h.score) for h in reference.search(q, limit=20, fields=fields)]
                assert [(h.id, h.score) for h in small.search(q, limit=20, fields=fields)] == expected, q
                assert [(h.id, h.score) for h in whole.search(q, limit=20, fields=fields)] == expected, q
    large = ix.searcher()
    large.maxscore_min_docs = 100  # the segment now counts as large: MaxScore, and no lists kept
    large.maxscore_min_postings = 0  # and on lists of any length
    for q in queries:
        assert [(h.id, h.score) for h in large.search(q, limit=20)] == [(h.id, h.score) for h in reference.search(q, limit=20)]


def test_bounded_cache_keeps_the_newest_within_its_budget():
    from searchcore.search.cache import BoundedCache

    by_bytes = BoundedCache(max_bytes=100, sizeof=len)
    for i in range(20):
        by_bytes.put(i, b"x" * 30)
        assert by_bytes.nbytes <= 100 and by_bytes.nbytes == 30 * len(by_bytes)
    assert [i for i in range(20) if i in by_bytes] == [17, 18, 19]  # the oldest went first
    by_bytes.put("huge", b"x" * 101)  # larger than the whole budget: not kept, nothing dropped for it
    assert "huge" not in by_bytes and len(by_bytes) == 3
    by_count = BoundedCache(max_entries=5)
    for i in range(12):
        by_count.put(i, i)
    assert [i for i in range(12) if i in by_count] == [7, 8, 9, 10, 11]
    assert by_count.get(11) == 11 and by_count.get(0, "gone") == "gone"
    by_count.put(11, "again")  # replacing a value keeps one entry
    assert len(by_count) == 5 and by_count.get(11) == "again"


def test_a_shard_scored_with_the_collections_statistics_ranks_as_the_whole_index(tmp_path):
    """The statistics seam: a searcher over part of a collection, given the whole collection's statistics
    (N, document frequencies, average lengths), gives its documents exactly the scores the whole index
    gives them; with its own statistics it does not."""
    import random

    rng = random.Random(11)
    words = [f"w{i}" for i in range(40)]
    docs = [{"id": f"d{i}", "title": " ".join(rng.choices(words, k=3)),
             "body": " ".join(rng.choices(words, k=rng.randint(3, 30)))} for i in range(400)]
    schema = sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(boost=2.0), body=sc.TEXT())
    whole, shard = sc.Index.create(tmp_path / "whole", schema), sc.Index.create(tmp_path / "shard", schema)
    with whole.writer() as w, shard.writer() as s:
        for i, doc in enumerate(docs):
            w.add_document(**doc)
            if i % 3 == 0:
                s.add_document(**doc)
    queries = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(40)] + ['"w1 w2"', "w1* OR w3"]
    with whole.searcher() as everything:
        collection = everything.stats
        with shard.searcher(stats=collection) as part, shard.searcher() as alone:
            differ = 0
            for q in queries:
                expected = {h.id: h.score for h in everything.search(q, limit=400)}
                got = part.search(q, limit=400)
                assert got.total and all(h.score == expected[h.id] for h in got), q
                differ += any(h.score != expected[h.id] for h in alone.search(q, limit=400))
            assert differ > len(queries) // 2  # its own statistics would score otherwise
            with whole.writer() as w:
                w.add_document(id="late", body="w1 w1 w1")
            assert part.refresh() is False  # nothing new in the shard
            assert part.stats is collection and isinstance(collection, sc.LocalStats)
            assert isinstance(collection, sc.CollectionStats) and alone.stats is not collection
