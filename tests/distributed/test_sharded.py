"""Sharded indexes on a real Dask LocalCluster (two worker processes): every answer equals a single index's
built from the same documents, and faults name the shard instead of answering in part."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchcore as sc

distributed = pytest.importorskip("dask.distributed")
from searchcore.distributed import (ShardedBuildError, ShardedIndex, ShardError, is_sharded,  # noqa: E402
                                    shard_of)

TOPICS = ["grain", "crude", "trade", "money-fx"]
PLACES = ["usa", "uk", "belarus", "russia", "china"]
WORDS = ["oil", "crude", "visit", "visits", "visiting", "minister", "belarus", "russia", "price", "prices",
         "opec", "the", "bank", "rates", "grain", "wheat", "wheats", "shangfu", "exports", "tonnes"]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as dask_client:
        dask_client.wait_for_workers(2, timeout=60)
        yield dask_client
    cluster.close()


def schema():
    return sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT(stored=True),
                     topics=sc.KEYWORD(stored=True), places=sc.KEYWORD(stored=True),
                     date=sc.DATE(stored=True), price=sc.NUMERIC(stored=True))


documents = st.lists(
    st.fixed_dictionaries({
        "title": st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join),
        "body": st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join),
        "topics": st.lists(st.sampled_from(TOPICS), max_size=2, unique=True),
        "places": st.lists(st.sampled_from(PLACES), max_size=2, unique=True),
        "date": st.dates(min_value=__import__("datetime").date(1987, 1, 1),
                         max_value=__import__("datetime").date(1987, 12, 31)).map(str),
        "price": st.one_of(st.none(), st.integers(0, 50)),
    }), min_size=1, max_size=40).map(lambda docs: [{"id": f"d{i}", **{k: v for k, v in d.items() if v is not None}}
                                                    for i, d in enumerate(docs)])
word = st.sampled_from(WORDS)
query_texts = st.one_of(
    word, st.lists(word, min_size=2, max_size=3).map(" ".join),
    st.lists(word, min_size=2, max_size=2).map(lambda w: f'"{w[0]} {w[1]}"'),
    word.map(lambda w: w[:3] + "*"), word.map(lambda w: w + "~"),
    st.tuples(word, word).map(lambda w: f"+{w[0]} -{w[1]}"),
    st.tuples(word, word).map(lambda w: f"title:{w[0]} OR {w[1]}"),
)
searches = st.fixed_dictionaries({
    "query": query_texts,
    "limit": st.integers(0, 12),
    "offset": st.integers(0, 6),
    "filter": st.sampled_from([None, None, "topics:grain", "places:usa OR places:uk", "date:[1987-03-01 TO 1987-08-31]"]),
    "sort": st.sampled_from([None, None, None, "date", "-date", "price", "-price", "topics", "-topics", "id"]),
    "facets": st.sampled_from([(), (), ("topics",), ("topics", "places")]),
})


def build_single(path, docs):
    ix = sc.Index.create(path, schema())
    with ix.writer() as w:
        for doc in docs:
            w.add_document(**doc)
    return ix


def assert_same(single, sharded, kw):
    """Hits, scores, totals, facets, sort order and paging of a sharded search equal a single index's.

    Ties in score (and in sort value) may come in another order, since a single index orders them by
    position; so each hit's score is checked against the single index's score for that document, and the
    page's sequence of scores (and sort values) against the single page's."""
    one = single.search(**kw)
    every = {h.id: h.score for h in single.search(**{**kw, "offset": 0, "limit": 10_000})}
    got = sharded.search(**kw)
    assert got.total == one.total
    assert got.facets == one.facets
    assert len(got) == len(one)
    assert [h.score for h in got] == pytest.approx([h.score for h in one], rel=1e-9, abs=0)
    for hit in got:
        assert hit.score == pytest.approx(every[hit.id], rel=1e-9, abs=0)
        assert hit.fields == single.document(hit.id)
    if kw.get("sort"):
        field = kw["sort"].lstrip("-")
        key = (lambda h: min(h.fields.get(field) or [None], key=lambda v: (v is None, v))
               if field in ("topics", "places") else h.fields.get(field))
        assert [key(h) for h in got] == [key(h) for h in one]
    assert len({h.id for h in got}) == len(got)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(docs=documents, shards=st.integers(1, 8), asked=st.lists(searches, min_size=1, max_size=4))
def test_every_search_equals_a_single_index(client, tmp_path_factory, docs, shards, asked):
    root = tmp_path_factory.mktemp("exact")
    single = build_single(root / "one", docs).searcher()
    six = ShardedIndex.create(root / "six", schema(), shards=shards)
    assert six.bulk_index(docs, client=client)["added"] == len(docs)
    with six.searcher(client) as sharded:
        for kw in asked:
            assert_same(single, sharded, kw)
        batch = [kw["query"] for kw in asked]
        for got, text in zip(sharded.search_many(batch, limit=5), batch):
            one = single.search(text, limit=5)
            assert got.total == one.total and [h.score for h in got] == pytest.approx([h.score for h in one], rel=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(docs=documents, shards=st.integers(1, 8), changes=st.lists(
    st.tuples(st.sampled_from(["update", "delete"]), st.integers(0, 45), st.lists(word, max_size=6).map(" ".join)),
    min_size=1, max_size=10), asked=st.lists(searches, min_size=1, max_size=3))
def test_searches_stay_equal_after_updates_and_deletes(client, tmp_path_factory, docs, shards, changes, asked):
    root = tmp_path_factory.mktemp("changes")
    ix = build_single(root / "one", docs)
    six = ShardedIndex.create(root / "six", schema(), shards=shards)
    six.bulk_index(docs, client=client)
    with ix.writer() as w, six.writer(client) as sw:
        for kind, number, text in changes:
            if kind == "update":
                doc = {"id": f"d{number}", "title": text, "body": f"{text} oil", "topics": ["grain"],
                       "date": "1987-05-05"}
                w.update_document(**doc)
                sw.update_document(**doc)
            else:
                w.delete_document(f"d{number}")
                sw.delete_document(f"d{number}")
    assert six.doc_count() == ix.doc_count()
    with six.searcher(client) as sharded:
        single = ix.searcher()
        for kw in asked:
            assert_same(single, sharded, kw)


def test_the_afp_story_comes_first_and_the_layout_is_ordinary_indexes(client, tmp_path):
    docs = [{"id": "afp-li-shangfu", "title": "Chinese defence minister to visit Russia, Belarus",
             "body": "Li Shangfu will visit Russia and Belarus, the ministry said.", "topics": ["defence"]},
            *({"id": f"w{i}", "title": f"Grain report {i}", "body": f"Wheat and oil prices in report {i}.",
               "topics": ["grain"]} for i in range(30))]
    six = ShardedIndex.create(tmp_path / "six", schema(), shards=4)
    six.bulk_index(docs, client=client)
    assert is_sharded(six.path) and six.doc_count() == 31 and six.check().ok
    per_shard = [sc.Index.open(six.shard_path(n)).doc_count() for n in range(4)]
    assert sum(per_shard) == 31 and all(per_shard)  # every shard holds some: routing spreads documents
    for doc in docs:  # each document is in the shard its ID hashes to, and only there
        holder = [n for n in range(4) if sc.Index.open(six.shard_path(n)).searcher().document(doc["id"])]
        assert holder == [shard_of(doc["id"], 4)]
    with six.searcher(client) as s:
        results = s.search("Li Shangfu Belarus", limit=3)
        assert results[0].id == "afp-li-shangfu"
        assert "**Belarus**" in results[0].highlight("body")
        assert s.document("afp-li-shangfu")["title"].startswith("Chinese")
        assert s.document("nope") is None
        summary = results.summary([h.id for h in results])
        assert summary["total"] == results.total and "missing_shards" not in summary
    assert ShardedIndex.open(six.path).shards == 4


def test_feedback_over_shards_equals_feedback_on_one_index(client, tmp_path):
    rng = random.Random(3)
    docs = []
    for i in range(160):
        topic = rng.sample(WORDS, 4)
        docs.append({"id": f"f{i}", "title": " ".join(rng.choices(topic, k=2)),
                     "body": " ".join(rng.choices(topic + WORDS, weights=[6] * 4 + [1] * len(WORDS), k=20))})
    single = build_single(tmp_path / "one", docs)
    six = ShardedIndex.create(tmp_path / "six", schema(), shards=3)
    six.bulk_index(docs, client=client)
    with six.searcher(client) as sharded, single.searcher() as one:
        for query, rm3 in [("oil price", True), ("grain wheat", sc.RM3(docs=8, terms=12, weight=0.5)),
                           ("+minister visit", sc.RM3(docs=4, terms=6, weight=0.2))]:
            expected = one.search(query, limit=15, feedback=rm3)
            got = sharded.search(query, limit=15, feedback=rm3)
            assert [t for t, _ in got.expansion] == [t for t, _ in expected.expansion] and expected.expansion
            assert [w for _, w in got.expansion] == pytest.approx([w for _, w in expected.expansion])
            assert [h.score for h in got] == pytest.approx([h.score for h in expected])
            assert {h.id for h in got} == {h.id for h in expected} and got.total == expected.total
            assert got.summary([])["expansion"][0]["term"] == expected.expansion[0][0]


def test_a_rerun_skips_what_is_committed_and_a_bag_loads_the_same(client, tmp_path):
    import dask.bag as db

    docs = [{"id": f"n{i}", "title": f"story {i}", "body": "oil and wheat " * (i % 5 + 1)} for i in range(200)]
    six = ShardedIndex.create(tmp_path / "six", schema(), shards=3)
    assert six.bulk_index(docs[:120], client=client)["added"] == 120
    again = six.bulk_index(docs, client=client)  # the first 120 are there already, unchanged
    assert again["unchanged"] == 120 and again["added"] == 80
    bagged = ShardedIndex.create(tmp_path / "bag", schema(), shards=3)
    counts = bagged.bulk_index(db.from_sequence(docs, npartitions=4), client=client)
    assert counts["added"] == 200 and bagged.doc_count() == 200
    assert not list(six.path.glob(".spool-*"))  # the spool files are removed
    with six.searcher(client) as a, bagged.searcher(client) as b:
        # every document, so that ties cannot be cut differently (documents sit in another order)
        assert sorted((h.id, h.score) for h in a.search("wheat", limit=500)) == \
               sorted((h.id, h.score) for h in b.search("wheat", limit=500))


def test_a_failed_shard_is_named_and_the_others_keep_their_commits(client, tmp_path):
    docs = [{"id": f"n{i}", "body": "oil"} for i in range(60)]
    six = ShardedIndex.create(tmp_path / "six", schema(), shards=3)
    broken = six.shard_path(1) / "manifest.json"
    broken.write_text(broken.read_text().replace('"generation"', '"generatio"'))
    with pytest.raises(ShardedBuildError, match=r"shard 1: .*manifest") as failed:
        six.bulk_index(docs, client=client)
    assert set(failed.value.failures) == {1}
    for n in (0, 2):
        assert sc.Index.open(six.shard_path(n)).doc_count() == sum(shard_of(d["id"], 3) == n for d in docs)


def test_a_missing_or_damaged_shard_fails_the_search_by_name_unless_partial_is_allowed(client, tmp_path):
    docs = [{"id": f"n{i}", "title": "oil", "body": f"oil prices {i}"} for i in range(40)]
    six = ShardedIndex.create(tmp_path / "six", schema(), shards=4)
    six.bulk_index(docs, client=client)
    shutil.rmtree(six.shard_path(2))
    with six.searcher(client) as s:
        with pytest.raises(ShardError, match=r"shard 2 \(.*shard-002\)") as raised:
            s.search("oil")
        assert raised.value.number == 2
        partial = s.search("oil", limit=100, allow_partial=True)
        assert partial.missing_shards == [2]
        assert partial.total == sum(shard_of(d["id"], 4) != 2 for d in docs) == len(partial)
        assert any("did not answer" in w for w in partial.warnings)
    report = six.check()
    assert not report.ok and set(report.problems) == {2}
    # a damaged file (not a missing one) is named too
    six2 = ShardedIndex.create(tmp_path / "six2", schema(), shards=2)
    six2.bulk_index(docs, client=client)
    target = next(six2.shard_path(0).rglob("arrays.pack"))
    target.write_bytes(b"\0" * target.stat().st_size)
    assert set(six2.check().problems) == {0}


def test_a_worker_killed_during_a_query_is_retried_or_named_never_answered_in_part(client, tmp_path):
    docs = [{"id": f"n{i}", "title": WORDS[i % 20], "body": " ".join(WORDS[(i * 7 + j) % 20] for j in range(12))}
            for i in range(400)]
    single = build_single(tmp_path / "one", docs).searcher()
    six = ShardedIndex.create(tmp_path / "six", schema(), shards=4)
    six.bulk_index(docs, client=client)
    queries = [f"{WORDS[i % 20]} {WORDS[(i * 3) % 20]}" for i in range(3000)]
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    outcome = {}

    def run():
        try:
            outcome["results"] = six.searcher(client).search_many(queries, limit=5)
        except ShardError as exc:
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.0)  # the batch is being searched
    killed = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    thread.join(300)
    assert not thread.is_alive()
    assert outcome["ended"] > killed  # the worker died while the batch was being answered
    if "error" in outcome:  # failed: the error names a shard
        assert outcome["error"].number in range(4)
    else:  # answered: every answer whole and exact
        for text, got in zip(queries, outcome["results"]):
            one = single.search(text, limit=5)
            assert got.total == one.total and not got.missing_shards
            assert [h.score for h in got] == pytest.approx([h.score for h in one], rel=1e-9)
    client.wait_for_workers(2, timeout=60)  # the nanny started a new worker


def test_the_shard_manifest_is_checksummed_and_versioned(tmp_path):
    six = ShardedIndex.create(tmp_path / "six", schema(), shards=2)
    path = six.path / "shards.json"
    data = json.loads(path.read_text())
    data["shards"] = 3
    path.write_text(json.dumps(data))
    with pytest.raises(sc.IndexCorruptError, match="checksum"):
        ShardedIndex.open(six.path)
    data = json.loads(path.read_text())
    data["version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(sc.IndexVersionError):
        ShardedIndex.open(six.path)
    with pytest.raises(sc.IndexExistsError):
        ShardedIndex.create(tmp_path / "six", schema(), shards=2)
    with pytest.raises(sc.SchemaError, match="ID field"):
        ShardedIndex.create(tmp_path / "noid", sc.Schema(body=sc.TEXT()), shards=2)
    with pytest.raises(sc.ArgumentError):
        ShardedIndex.create(tmp_path / "zero", schema(), shards=0)
    assert [shard_of(f"doc-{i}", 7) for i in range(5)] == [shard_of(f"doc-{i}", 7) for i in range(5)]
