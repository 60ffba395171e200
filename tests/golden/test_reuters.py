"""Reuters-21578 plus the AFP piece: the demo's corpus. Skipped when ../shared/corpora is absent."""

from __future__ import annotations

import pytest

import searchcore as sc
from searchcore.loaders import iter_documents
from tests.conftest import corpora_dir

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    corpora = corpora_dir()
    if not (corpora / "reuters21578").is_dir():
        pytest.skip(f"Reuters-21578 not found at {corpora} (set SEARCHCORE_CORPORA)")
    ix = sc.Index.create(tmp_path_factory.mktemp("news") / "ix", sc.news_schema())
    with ix.writer(memory_budget_mb=8) as w:  # several segments: global statistics must hold across them
        w.add_documents(iter_documents([corpora / "reuters21578", corpora / "seed"]))
    return ix


def test_every_story_is_indexed(news_index):
    assert news_index.doc_count() == 21578 + 1
    assert news_index.stats()["segments"] > 1


def test_li_shangfu_belarus_finds_the_afp_story_first(news_index):
    with news_index.searcher() as s:
        results = s.search("Li Shangfu Belarus")
        top = results[0]
        assert top["title"] == "China's defence minister to visit Russia, Belarus this week: ministry"
        assert top["agency"] == ["AFP"] and top["date"] == "2023-08-14"
        assert "**Li** **Shangfu**" in top.snippet("body")
        assert top.score > 2 * results[1].score


def test_reuters_stories_are_found_by_their_words(news_index):
    with news_index.searcher() as s:
        hits = s.search('"bahia cocoa"', limit=100)
        assert "1" in {h.id for h in hits}
        for hit in hits:
            text = " ".join((hit.get("title", "") + " " + hit.get("body", "")).lower().split())
            assert "bahia cocoa" in text, hit.id
        assert all("crude" in h["topics"] for h in s.search("+topics:crude +opec", limit=20))


def test_related_headlines_around_the_afp_story_are_not_its_words(news_index):
    with news_index.searcher() as s:
        assert s.search("Lukashenko").total == 0


def test_did_you_mean_on_the_wire_stories(news_index):
    with news_index.searcher() as s:
        assert s.search("Li Shangfo Belarus").did_you_mean == "Li Shangfu Belarus"  # absent: two edits
        assert s.search("Li Shangfu Belarus").did_you_mean is None  # rare names are left alone
        assert s.search("opec oil prise").did_you_mean == "opec oil price"  # rare, one edit from a common word
