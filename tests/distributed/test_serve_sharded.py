"""`search serve` of a sharded index: the API on a real server process whose shards are searched on Dask."""

from __future__ import annotations

import signal

import pytest

pytest.importorskip("dask.distributed")
import searchcore as sc  # noqa: E402
from searchcore.distributed import ShardedIndex, dask_client  # noqa: E402
from tests.server.conftest import ADMIN_KEY, Server, news_docs  # noqa: E402


def test_a_sharded_index_is_served_searched_written_and_stopped_cleanly(tmp_path):
    docs = news_docs()
    single = sc.Index.create(tmp_path / "one", sc.news_schema())
    with single.writer() as w:
        for doc in docs:
            w.add_document(**doc)
    six = ShardedIndex.create(tmp_path / "six", sc.news_schema(), shards=3)
    with dask_client() as client:
        six.bulk_index(docs, client=client)
    running = Server(six.path, "--admin-key", ADMIN_KEY)
    try:
        health = running.client.get("/health").json()
        assert health == {"status": "ok", "documents": len(docs), "shards": 3, "writable": True}
        answer = running.client.get("/search", params={"q": "Li Shangfu Belarus", "facet": "topics"}).json()
        expected = single.searcher().search("Li Shangfu Belarus", facets=["topics"])
        assert answer["total"] == expected.total
        assert [h["id"] for h in answer["hits"]][:1] == [expected[0].id]
        assert [h["score"] for h in answer["hits"]] == pytest.approx([h.score for h in expected], rel=1e-6)
        assert answer["facets"]["topics"] == dict(expected.facets["topics"])
        assert "<mark>Belarus</mark>" in str(answer["hits"][0]["highlights"])
        put = running.client.put("/documents/quokka-1", json={"title": "Quokka", "body": "A quokka in Perth."},
                                 headers=running.auth())
        assert put.status_code == 201
        assert running.client.get("/search", params={"q": "quokka"}).json()["total"] == 1  # read your write
        assert running.client.get("/documents/quokka-1").json()["fields"]["title"] == "Quokka"
        assert running.client.delete("/documents/quokka-1", headers=running.auth()).status_code == 200
        assert running.client.get("/documents/quokka-1").status_code == 404
        assert running.client.get("/suggest", params={"q": "li sh"}).status_code == 501
        assert running.client.get("/stats").json()["shards"] == 3
        assert running.client.get("/", params={"q": "Li Shangfu Belarus"}).status_code == 200
        bad = running.client.get("/search", params={"q": "oil AND (", "strict": "true"})
        assert bad.status_code == 400 and "column" in bad.json()
    finally:
        code, err = running.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in err and "failed" not in err, err
    assert six.check().ok and six.doc_count() == len(docs)
