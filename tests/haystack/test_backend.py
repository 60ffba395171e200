"""The searchcore backend through haystack's public API: SearchQuerySet and haystack's commands."""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("haystack")

from haystack.inputs import AutoQuery, Exact  # noqa: E402
from haystack.query import SQ, SearchQuerySet  # noqa: E402


def test_content_search_finds_the_afp_story_first(project, using):
    results = SearchQuerySet(using=using).filter(content="Belarus")
    assert results.count() == 1 and results[0].headline.startswith("Chinese defence minister")
    assert results[0].model_name == "story" and results[0].object.desk == "world"
    assert [r.headline for r in SearchQuerySet(using=using).auto_query("Li Shangfu Belarus")][:1] == [
        "Chinese defence minister to visit Russia, Belarus"]


def test_lookups(project, using):
    sqs = SearchQuerySet(using=using).models(project[0])
    assert sorted(r.headline for r in sqs.filter(words__gt=150)) == ["Crude prices rise", "OPEC agrees output cut"]
    assert {r.words for r in sqs.filter(words__gte=150, words__lte=200)} == {150, 200}
    assert sorted(r.desk for r in sqs.filter(desk__in=["world", "markets"])) == ["markets", "markets", "world"]
    assert {r.words for r in sqs.filter(words__range=[90, 120])} == {90, 120}
    assert [r.headline for r in sqs.filter(headline__startswith="whea")] == ["Wheat harvest falls"]
    assert [r.headline for r in sqs.filter(content__fuzzy="Belaruz")] == [
        "Chinese defence minister to visit Russia, Belarus"]
    assert [r.headline for r in sqs.filter(content=Exact("crude oil prices"))] == ["Crude prices rise"]
    assert sqs.filter(content__contains="crude").count() == 2
    assert sqs.filter(urgent=True).count() == 2
    assert [r.headline for r in sqs.filter(published__gte=dt.datetime(1987, 4, 1))][0:2] != []
    assert sorted(r.headline for r in sqs.filter(filed__lt=dt.date(1987, 3, 3))) == ["OPEC agrees output cut"]


def test_exclude_filter_or_and_sq_trees(project, using):
    sqs = SearchQuerySet(using=using).models(project[0])
    assert sorted(r.desk for r in sqs.filter(content="prices").exclude(desk="markets")) == ["commodities",
                                                                                             "commodities"]
    either = sqs.filter_or(desk="world").filter_or(desk="commodities")
    assert sorted(r.desk for r in either) == ["commodities", "commodities", "world"]
    tree = sqs.filter(SQ(content="oil") & ~SQ(content="Vienna"))
    assert [r.headline for r in tree] == ["Crude prices rise"]


def test_user_input_stays_inside_its_clause(project, using):
    sqs = SearchQuerySet(using=using).models(project[0])
    # query syntax in a value is text, not operators: nothing is widened or broken
    assert sqs.filter(content="Belarus OR oil").count() == 0
    assert sqs.filter(desk='world") OR desk:("markets').count() == 0
    assert sqs.filter(content=AutoQuery('"crude oil" -Vienna')).count() == 1


def test_order_by_counts_and_slicing_fetch_the_page(project, using):
    sqs = SearchQuerySet(using=using).models(project[0]).order_by("-published")
    assert [r.published.year for r in sqs][:2] == [2023, 1987]
    assert sqs.count() == 5 and len(sqs[1:3]) == 2
    assert [r.words for r in SearchQuerySet(using=using).models(project[0]).order_by("words")] == [90, 120, 150, 200, 300]


def test_models_restricts_the_content_types(project, using):
    assert SearchQuerySet(using=using).filter(content="crude").count() == 3  # two stories and the note
    assert SearchQuerySet(using=using).models(project[1]).filter(content="crude").count() == 1


def test_highlight_facets_spelling_and_more_like_this(project, using):
    highlighted = SearchQuerySet(using=using).filter(content="Belarus").highlight()[0]
    assert "<mark>Belarus</mark>" in highlighted.highlighted["text"][0]
    faceted = SearchQuerySet(using=using).models(project[0]).facet("desk").facet_counts()
    assert dict(faceted["fields"]["desk"]) == {"markets": 2, "commodities": 2, "world": 1}
    queried = SearchQuerySet(using=using).models(project[0]).query_facet("words", "[100 TO 250]").facet_counts()
    assert list(queried["queries"].values()) == [3]
    dated = SearchQuerySet(using=using).models(project[0]).date_facet("published", start_date=dt.datetime(1987, 3, 1),
                                                             end_date=dt.datetime(1987, 5, 1), gap_by="month")
    assert [count for _, count in dated.facet_counts()["dates"]["published"]] == [2, 2]
    assert SearchQuerySet(using=using).spelling_suggestion("Belaruz").lower() == "belarus"
    story = project[0].objects.get(headline="OPEC agrees output cut")
    like = SearchQuerySet(using=using).more_like_this(story)
    assert like.count() >= 1 and "OPEC agrees output cut" not in [r.headline for r in like]


def test_autocomplete_and_stored_only_fields(project, using):
    found = SearchQuerySet(using=using).models(project[0]).autocomplete(headline_auto="opec agr")
    assert [r.headline for r in found] == ["OPEC agrees output cut"]
    result = SearchQuerySet(using=using).filter(content="wheat")[0]
    assert result.slug == f"story-{result.pk}" and result.tags == ["grain", "wheat"]
    assert result.urgent is False and result.filed == dt.date(1987, 4, 1)


def test_update_remove_and_clear_through_the_commands(project, using):
    from django.core.management import call_command
    from haystack import connections

    story_model = project[0]
    extra = story_model.objects.create(headline="Zeppelin lands", body="A zeppelin landed in Lakehurst.",
                                       desk="world", tags="", words=10, price=None, urgent=False,
                                       published=dt.datetime(1937, 5, 6), filed=dt.date(1937, 5, 6))
    call_command("update_index", using=[using], verbosity=0)
    assert SearchQuerySet(using=using).filter(content="zeppelin").count() == 1
    connections[using].get_backend().remove(extra)
    assert SearchQuerySet(using=using).filter(content="zeppelin").count() == 0
    extra.delete()
    call_command("clear_index", using=[using], interactive=False, verbosity=0)
    assert SearchQuerySet(using=using).all().count() == 0
    call_command("update_index", using=[using], verbosity=0)
    assert SearchQuerySet(using=using).models(story_model).count() == 5


def test_a_second_connection_keeps_an_index_of_its_own_without_its_excluded_indexes(project):
    from django.core.management import call_command

    call_command("rebuild_index", using=["stories_only"], interactive=False, verbosity=0)
    other = SearchQuerySet(using="stories_only")
    assert other.filter(content="crude").count() == 2  # the note is not in this index
    assert SearchQuerySet().filter(content="crude").count() == 3
    assert {r.model_name for r in other.all()} == {"story"}


def test_update_index_with_workers_loses_nothing_while_a_thread_searches(project, using):
    """haystack's update_index --workers: processes writing at once wait for the index's lock, never fail
    with one, and every object is indexed."""
    import threading

    from django.core.management import call_command

    note_model = project[1]
    note_model.objects.filter(text__startswith="Bulk note").delete()  # the other backend's run made them too
    bulk = N_BULK[using]
    note_model.objects.bulk_create(note_model(text=f"Bulk note {i} about grain and oil") for i in range(bulk))
    errors, searches = [], []
    done = threading.Event()

    def search_meanwhile():
        while not done.is_set():
            try:
                searches.append(SearchQuerySet(using=using).models(note_model).filter(content="grain").count())
            except Exception as exc:  # noqa: BLE001 - any error fails the test below
                errors.append(exc)

    searcher = threading.Thread(target=search_meanwhile)
    searcher.start()
    try:
        call_command("update_index", "stories.note", using=[using], workers=4, batchsize=500, verbosity=0)
    finally:
        done.set()
        searcher.join()
    assert errors == [] and searches
    assert SearchQuerySet(using=using).models(note_model).filter(content="grain").count() == bulk
    assert SearchQuerySet(using=using).models(note_model).count() == note_model.objects.count()


#: objects loaded: Whoosh's run is smaller (20,000 took it three minutes here, searchcore five seconds)
N_BULK = {"default": 20_000, "whoosh": 2_000}


def test_endswith_and_boost(project, using):
    sqs = SearchQuerySet(using=using).models(project[0])
    assert [r.headline for r in sqs.filter(headline__endswith="vest")] == ["Wheat harvest falls"]
    plain = [r.headline for r in sqs.filter(content="prices")]
    boosted = [r.headline for r in sqs.filter(content="prices").boost("coffee", 10)]
    assert sorted(plain) == sorted(boosted) and boosted[0] == "Coffee exports slow" != plain[0]
