"""The query language and result features, end to end on a small corpus written here.

Every expectation is computed by a plain scan of the same documents (tokens, surface forms, positions,
values), never copied from the engine's output.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re

import pytest

import searchcore as sc
from searchcore.search.plan import capped
from tests.reference import osa_distance

CORPUS = [
    {"id": "a1", "title": "Oil prices rise", "body": "Crude oil prices rose as OPEC cut output. Pricing held firm.",
     "date": "1987-03-02", "price": 18.5, "topics": ["crude"]},
    {"id": "a2", "title": "OPEC meets in Vienna", "body": "OPEC ministers meet to discuss oil output and the price.",
     "date": "1987-03-05", "price": 17.0, "topics": ["crude", "opec"]},
    {"id": "a3", "title": "Coffee and oil", "body": "Coffee exports fell while oil held; the coffee price slid.",
     "date": "1987-03-31", "price": 1.2, "topics": ["coffee", "crude"]},
    {"id": "a4", "title": "Minister to visit Belarus",
     "body": "China's defence minister Li Shangfu will visit Russia and Belarus, visiting Minsk.",
     "date": "2023-08-14", "topics": ["defence"]},
    {"id": "a5", "title": "Multi-agent systems", "body": "A multi-agent model of crude markets: prices don't settle.",
     "date": "1987-04-01", "price": 99.0, "topics": ["science"]},
    {"id": "a6", "title": "News in brief", "body": "The news wire said oil and crude prices were mixed in Pakistan.",
     "date": "1987-04-14", "topics": ["crude"]},
    {"id": "a7", "title": "Afghanistan talks", "body": "Talks on Afghanistan resumed; the news was thin.",
     "date": "1987-03-15", "topics": ["politics"]},
    {"id": "a8", "title": "Prices of crude", "body": "Prices of crude oil were quoted at a premium over the price cap.",
     "date": "1987-03-01", "price": 18.0, "topics": ["crude"]},
]


def schema() -> sc.Schema:
    return sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT(stored=True),
                     date=sc.DATE(stored=True), price=sc.NUMERIC(stored=True), topics=sc.KEYWORD(stored=True))


@pytest.fixture(scope="module")
def ix(tmp_path_factory) -> sc.Index:
    index = sc.Index.create(tmp_path_factory.mktemp("features") / "ix", schema())
    with index.writer() as w:  # two segments, so every feature also works across segments
        for doc in CORPUS[:5]:
            w.add_document(**doc)
    with index.writer() as w:
        for doc in CORPUS[5:]:
            w.add_document(**doc)
    return index


# -- the plain reference scan --------------------------------------------------------------------------

ANALYZER = sc.Analyzer()


def tokens(doc: dict, field: str) -> list[tuple[str, str, int]]:
    """(lowercased surface, index term, position) of every emitted token of one field."""
    text = doc.get(field, "")
    return [(text[t.start:t.end].lower(), t.term, t.position) for t in ANALYZER.tokens(text)]


def ids_where(predicate) -> set[str]:
    return {doc["id"] for doc in CORPUS if predicate(doc)}


def any_token(doc: dict, test) -> bool:
    return any(test(surface, term) for field in ("title", "body") for surface, term, _ in tokens(doc, field))


def has_word(doc: dict, word: str) -> bool:
    [term] = ANALYZER(word)
    return any_token(doc, lambda surface, t: t == term)


def found(searcher: sc.Searcher, query, **options) -> set[str]:
    return {hit.id for hit in searcher.search(query, limit=100, **options)}


# -- boolean operators ---------------------------------------------------------------------------------

def test_and_not_returns_the_documents_with_one_word_and_without_the_other(ix):
    with ix.searcher() as s:
        expected = ids_where(lambda d: has_word(d, "oil") and not has_word(d, "coffee"))
        assert expected and found(s, "oil AND NOT coffee") == expected
        assert found(s, "oil && !coffee") == expected
        assert found(s, "+oil -coffee") == expected


def test_or_and_grouping_follow_precedence(ix):
    with ix.searcher() as s:
        expected = ids_where(lambda d: (has_word(d, "coffee") or has_word(d, "opec")) and has_word(d, "oil"))
        assert found(s, "(coffee OR opec) AND oil") == expected
        assert found(s, "coffee OR opec AND oil") == ids_where(
            lambda d: has_word(d, "coffee") or (has_word(d, "opec") and has_word(d, "oil")))


def test_a_lone_negation_matches_every_other_document(ix):
    with ix.searcher() as s:
        expected = ids_where(lambda d: not has_word(d, "crude"))
        assert found(s, "NOT crude") == expected
        assert found(s, "-crude") == expected
        assert found(s, sc.Not(sc.Term("crude"))) == expected
        assert all(hit.score == 0.0 for hit in s.search("NOT crude"))


def test_default_operator_and(ix):
    with ix.searcher() as s:
        assert found(s, "crude prices", default_operator="AND") == ids_where(
            lambda d: has_word(d, "crude") and has_word(d, "prices"))


def test_hyphen_and_apostrophe_find_what_a_reader_expects(ix):
    with ix.searcher() as s:
        assert found(s, "multi-agent") == {"a5"}
        assert found(s, "don't") == {"a5"}
        assert found(s, "China's") == {"a4"}


# -- multi-term queries, against scans of the surface forms ---------------------------------------------

def stems_of_surfaces(test) -> set[str]:
    """The index terms of every indexed word whose lowercased surface form passes ``test``."""
    return {term for doc in CORPUS for field in ("title", "body") for surface, term, _ in tokens(doc, field)
            if test(surface)}


def ids_with_terms(terms: set[str]) -> set[str]:
    # a multi-term query matches the indexed words whose surface form matches, searched as their
    # index terms: "pr*s" matches "prices", so it finds "price" as well
    return ids_where(lambda d: any_token(d, lambda surface, t: t in terms))


@pytest.mark.parametrize("pattern", ["pric*", "ne?s", "*stan", "pr*s", "o?l"])
def test_wildcards_match_the_indexed_surface_forms(ix, pattern):
    with ix.searcher() as s:
        if pattern.endswith("*") and "?" not in pattern and pattern.count("*") == 1:
            terms = stems_of_surfaces(lambda surface: surface.startswith(pattern[:-1]))
        else:
            terms = stems_of_surfaces(lambda surface: fnmatch.fnmatchcase(surface, pattern))
        expected = ids_with_terms(terms)
        assert expected and found(s, pattern) == expected


def test_a_prefix_finds_forms_whose_stem_is_shorter_than_the_prefix(ix):
    # "pricing" is indexed as "price"; pric* must still reach the documents holding "pricing"
    with ix.searcher() as s:
        assert "a1" in found(s, "pricin*")
        assert found(s, "pricin*") == ids_with_terms(stems_of_surfaces(lambda surface: surface.startswith("pricin")))


@pytest.mark.parametrize("query,word,edits", [("shangfo~", "shangfo", 2), ("shangfo~1", "shangfo", 1),
                                              ("belraus~1", "belraus", 1), ("oli~1", "oli", 1)])
def test_fuzzy_matches_surface_forms_within_the_edits(ix, query, word, edits):
    with ix.searcher() as s:
        expected = ids_with_terms(stems_of_surfaces(lambda surface: osa_distance(word, surface) <= edits))
        assert expected and found(s, query) == expected


def test_expansions_are_capped_and_the_cap_is_reported(ix):
    with ix.searcher() as s:
        s.max_expansions = 1
        results = s.search("pr*")
        assert any("raise Searcher.max_expansions" in w for w in results.warnings)
        s.max_expansions = 1024
        assert not any("max_expansions" in w for w in s.search("pr*").warnings)
        assert len(found(s, "pr*")) > len({h.id for h in results})


def test_capped_keeps_the_first_terms():
    notes: list[str] = []
    assert capped(["a", "b", "c"], sc.Prefix("x"), 2, notes) == ["a", "b"]
    assert len(notes) == 1


def phrase_scan(doc: dict, words: list[str], slop: int) -> bool:
    terms = [ANALYZER(w)[0] for w in words]
    for field in ("title", "body"):
        positions = {}
        for _, term, position in tokens(doc, field):
            positions.setdefault(term, []).append(position)
        for start in positions.get(terms[0], []):
            current, ok = start, True
            for term in terms[1:]:
                later = [p for p in positions.get(term, []) if p > current]
                if not later:
                    ok = False
                    break
                current = min(later)
            if ok and current - start - (len(terms) - 1) <= slop:
                return True
    return False


@pytest.mark.parametrize("words,slop", [(["crude", "oil"], 0), (["oil", "prices"], 0), (["crude", "prices"], 2),
                                        (["oil", "price"], 5), (["prices", "crude"], 1)])
def test_phrases_with_slop_equal_a_scan_of_positions(ix, words, slop):
    with ix.searcher() as s:
        query = f'"{" ".join(words)}"' + (f"~{slop}" if slop else "")
        expected = ids_where(lambda d: phrase_scan(d, words, slop))
        assert found(s, query) == expected


# -- ranges ------------------------------------------------------------------------------------------------

def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize("query,test", [
    ("date:[1987-03-01 TO 1987-03-31]", lambda d: day("1987-03-01") <= day(d["date"]) <= day("1987-03-31")),
    ("date:{1987-03-01 TO 1987-03-31}", lambda d: day("1987-03-01") < day(d["date"]) < day("1987-03-31")),
    ("date:>=2023-08-01", lambda d: day(d["date"]) >= day("2023-08-01")),
    ("date:<1987-03-05", lambda d: day(d["date"]) < day("1987-03-05")),
    ("date:[1987-04-01 TO *]", lambda d: day(d["date"]) >= day("1987-04-01")),
    ("price:[17 TO 18.5]", lambda d: "price" in d and 17 <= d["price"] <= 18.5),
    ("price:{17 TO *]", lambda d: "price" in d and d["price"] > 17),
])
def test_ranges_on_dates_and_numbers(ix, query, test):
    with ix.searcher() as s:
        expected = ids_where(test)
        assert expected and found(s, query) == expected


def test_a_range_inclusive_of_a_day_covers_the_whole_day(tmp_path):
    index = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(stored=True), date=sc.DATE(), body=sc.TEXT()))
    with index.writer() as w:
        w.add_document(id="late", date="1987-03-31T23:30:00", body="x")
        w.add_document(id="next", date="1987-04-01T00:00:00", body="x")
    with index.searcher() as s:
        assert found(s, "date:[1987-03-01 TO 1987-03-31]") == {"late"}
        assert found(s, "date:{1987-03-31 TO *]") == {"next"}


# -- boosts, explain --------------------------------------------------------------------------------------

def test_a_boost_multiplies_the_score(ix):
    with ix.searcher() as s:
        plain = {h.id: h.score for h in s.search("coffee", limit=100)}
        boosted = {h.id: h.score for h in s.search("coffee^2", limit=100)}
        assert plain.keys() == boosted.keys()
        for key in plain:
            assert boosted[key] == pytest.approx(2 * plain[key], rel=1e-12)


@pytest.mark.parametrize("query", ["pric*^2 opec", '"crude oil"~2', "shangfo~ belarus", "oil AND NOT coffee",
                                   "(oil OR opec)^0.5 date:[1987-03-01 TO *]", "topics:cr*"])
def test_explain_equals_the_score_for_every_construct(ix, query):
    with ix.searcher() as s:
        hits = s.search(query, limit=100)
        assert len(hits)
        for hit in hits:
            assert s.explain(query, hit.id).value == pytest.approx(hit.score, rel=1e-9, abs=1e-12)


# -- filters, sorting, paging, facets ---------------------------------------------------------------------

def test_filters_restrict_without_changing_scores(ix):
    with ix.searcher() as s:
        everything = {h.id: h.score for h in s.search("oil prices", limit=100)}
        filtered = s.search("oil prices", limit=100, filter=["topics:crude", "date:[1987-03-01 TO 1987-03-31]"])
        expected = {key for key in everything
                    if (doc := next(d for d in CORPUS if d["id"] == key))
                    and "crude" in doc["topics"] and "1987-03-01" <= doc["date"] <= "1987-03-31"}
        assert {h.id for h in filtered} == expected and filtered.total == len(expected)
        for hit in filtered:
            assert hit.score == everything[hit.id]


@pytest.mark.parametrize("sort", ["date", "-date", "price", "-price", "topics"])
def test_sorting_by_a_field(ix, sort):
    with ix.searcher() as s:
        hits = s.search("crude OR oil OR coffee", limit=100, sort=sort)
        name = sort.lstrip("-")

        def key(doc_id):
            doc = next(d for d in CORPUS if d["id"] == doc_id)
            value = doc.get(name)
            return min(value) if isinstance(value, list) else value

        values = [key(h.id) for h in hits]
        present = [v for v in values if v is not None]
        assert present == sorted(present, reverse=sort.startswith("-"))
        assert values[len(present):] == [None] * (len(values) - len(present))  # no value: last


def test_paging_walks_the_ranking(ix):
    with ix.searcher() as s:
        whole = [h.id for h in s.search("oil OR crude OR prices", limit=100)]
        pages = [h.id for offset in range(0, len(whole), 3)
                 for h in s.search("oil OR crude OR prices", limit=3, offset=offset)]
        assert pages == whole
        assert s.search("oil OR crude OR prices", limit=3, offset=3).total == len(whole)


def test_facets_equal_a_plain_count(ix):
    with ix.searcher() as s:
        results = s.search("oil OR prices", limit=1, facets=["topics"])
        matching = [d for d in CORPUS if d["id"] in found(s, "oil OR prices")]
        counts: dict[str, int] = {}
        for doc in matching:
            for topic in doc["topics"]:
                counts[topic] = counts.get(topic, 0) + 1
        assert dict(results.facets["topics"]) == counts
        assert [c for _, c in results.facets["topics"]] == sorted(counts.values(), reverse=True)


def test_sorting_and_facets_reject_fields_that_cannot(ix):
    with ix.searcher() as s, pytest.raises(sc.SchemaError):
        s.search("oil", sort="body")
    with ix.searcher() as s, pytest.raises(sc.SchemaError):
        s.search("oil", facets=["date"])


# -- did you mean, more like this, highlighting -------------------------------------------------------------

def test_did_you_mean_corrects_an_absent_word(ix):
    with ix.searcher() as s:
        results = s.search("Li Shangfo Belarus")
        assert results.did_you_mean == "Li Shangfu Belarus"
        assert s.search("Li Shangfu Belarus").did_you_mean is None


def test_more_like_this_finds_documents_sharing_significant_terms(ix):
    with ix.searcher() as s:
        similar = s.more_like_this("a1", limit=3)
        assert "a1" not in {h.id for h in similar}
        assert similar[0].id in {"a8", "a2", "a6"}  # the other crude-oil-price stories
        with pytest.raises(KeyError):
            s.more_like_this("nope")


def test_highlighting_marks_the_analysed_matches(ix):
    with ix.searcher() as s:
        [hit] = s.search("visiting", limit=1)
        html = hit.highlight("body", format="html")
        assert re.findall(r"<mark>(.*?)</mark>", html) == ["visit", "visiting"]
        offsets = [(m.start, m.end) for m in hit.matches("body")]
        assert [hit["body"][a:b] for a, b in offsets] == ["visit", "visiting"]
        assert "\x1b[1mvisit\x1b[0m" in hit.highlight("body", format="ansi")


def test_strict_mode_raises_with_the_position(ix):
    with ix.searcher() as s:
        with pytest.raises(sc.QueryParseError) as error:
            s.search("(oil AND", strict=True)
        assert 0 <= error.value.pos <= len("(oil AND")
        assert s.search("(oil AND").warnings  # lenient: repaired, and said so


def test_a_single_date_is_that_whole_day_and_ranges_take_python_values(ix):
    with ix.searcher() as s:
        assert found(s, "date:1987-03-02") == ids_where(lambda d: d["date"] == "1987-03-02")
        node = sc.Range("date", dt.date(1987, 3, 1), dt.date(1987, 3, 5))
        assert found(s, node) == ids_where(lambda d: "1987-03-01" <= d["date"] <= "1987-03-05")
        assert found(s, sc.Range("price", 17, None, include_low=False)) == ids_where(
            lambda d: "price" in d and d["price"] > 17)


def test_or_not_is_logical(ix):
    with ix.searcher() as s:
        assert found(s, "coffee OR NOT crude") == ids_where(lambda d: has_word(d, "coffee") or not has_word(d, "crude"))


def test_query_objects_need_no_text(ix):
    with ix.searcher() as s:
        node = sc.And(sc.Or(sc.Prefix("pric"), sc.Fuzzy("opek", distance=1)), sc.Not(sc.Term("coffee")))
        assert found(s, node) == found(s, "(pric* OR opek~1) AND NOT coffee")
        assert found(s, node, filter=sc.Term("crude", "topics")) == found(s, node) & ids_where(
            lambda d: "crude" in d["topics"])
