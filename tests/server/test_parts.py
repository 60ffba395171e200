"""The server's parts on their own: completions against a plain reference, the group committer's batches
and rejections, and the answer to an unexpected error."""

from __future__ import annotations

import logging
import threading
from collections import Counter

import pytest

import searchcore as sc
from tests.server.conftest import build_news_index, news_docs

pytest.importorskip("starlette")


def test_completions_are_the_indexed_words_with_the_prefix_most_documents_first(tmp_path):
    ix = build_news_index(tmp_path / "news")
    with ix.writer() as w:  # a deleted document's words no longer count
        w.delete_document("wire-000")
    analyzer = ix.schema["body"].analyzer
    fields = ix.schema.text_fields
    live = [d for d in news_docs() if d["id"] != "wire-000"]
    for prefix in ("o", "re", "wh", "bank", "shang", "mar", "x"):
        held = Counter()  # stem -> live documents holding it in any TEXT field: a plain reference
        shortest: dict[str, str] = {}
        for doc in live:
            stems = set()
            for field in fields:
                for word in analyzer.surface_tokens(doc.get(field, "")):
                    word = word.lower()
                    stem = analyzer(word)
                    if not word.startswith(prefix) or len(stem) != 1:
                        continue
                    stems.add(stem[0])
                    if stem[0] not in shortest or (len(word), word) < (len(shortest[stem[0]]), shortest[stem[0]]):
                        shortest[stem[0]] = word
            held.update(stems)
        expected = sorted(held, key=lambda stem: (-held[stem], len(shortest[stem]), shortest[stem]))[:5]
        with ix.searcher() as s:
            got = s.complete(f"some words {prefix}", limit=5)
        assert got == [f"some words {shortest[stem]}" for stem in expected], prefix


def test_complete_has_nothing_to_complete_after_a_space(tmp_path):
    ix = build_news_index(tmp_path / "news")
    with ix.searcher() as s:
        assert s.complete("oil ") == [] and s.complete("") == [] and s.complete("oil", limit=0) == []
        assert s.complete("Li Shan")[0] == "Li shangfu"
        with pytest.raises(ValueError):
            s.complete("oil", limit=-1)


@pytest.mark.parametrize("in_child", [False, True], ids=["on its thread", "in a child process"])
def test_the_committer_batches_requests_and_answers_a_bad_one_alone(tmp_path, in_child):
    from searchcore.server.writes import Delete, GroupCommitter, Put

    ix = build_news_index(tmp_path / "news")
    generation = ix.reader().generation
    committer = GroupCommitter(ix, in_child=in_child)
    gate = threading.Event()
    release = committer.submit([Put({"id": "first", "body": "x"})])  # may commit alone, before the rest queue
    futures = [committer.submit([Put({"id": f"n{i}", "body": f"story {i}"})]) for i in range(10)]
    bad = committer.submit([Put({"id": "ok-before-bad", "body": "fine"}), Put({"id": "bad", "date": "not a date"})])
    futures.append(committer.submit([Delete("wire-001"), Delete("no-such")]))
    gate.set()
    assert release.result(30) == ["added"]
    assert [f.result(30) for f in futures[:-1]] == [["added"]] * 10
    assert futures[-1].result(30) == [True, False]
    with pytest.raises(sc.DocumentError, match="date"):
        bad.result(30)
    committer.close()
    reader = ix.reader()
    assert reader.generation - generation <= 4  # a dozen requests, a few commits
    with ix.searcher() as s:
        assert s.document("ok-before-bad") is None and s.document("bad") is None
        assert all(s.document(f"n{i}") for i in range(10)) and s.document("wire-001") is None


def test_an_unexpected_error_is_a_500_with_a_request_id_that_the_log_shows(tmp_path, caplog):
    import httpx

    from searchcore.server import ServerConfig, create_app

    path = tmp_path / "news"
    build_news_index(path)
    app = create_app(ServerConfig(str(path)))
    service = app.app.state.service

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    service.searcher.search = broken  # a bug in the engine, say
    transport = httpx.ASGITransport(app=app)

    async def ask():
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/search", params={"q": "oil"})

    import anyio

    with caplog.at_level(logging.ERROR, logger="searchcore.server"):
        answer = anyio.run(ask)
    assert answer.status_code == 500
    body = answer.json()
    assert body == {"error": "internal error", "status": 500, "request_id": answer.headers["x-request-id"]}
    assert "secret internal detail" not in answer.text and "Traceback" not in answer.text
    assert body["request_id"] in caplog.text and "secret internal detail" in caplog.text
    service.close()


def test_a_committer_child_that_dies_fails_its_batch_and_a_new_one_takes_the_next(tmp_path):
    import os
    import signal

    from searchcore.server.writes import GroupCommitter, Put

    ix = build_news_index(tmp_path / "news")
    committer = GroupCommitter(ix, in_child=True)
    try:
        assert committer.submit([Put({"id": "before", "body": "oil"})]).result(60) == ["added"]
        [pid] = list(committer._child._processes)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(sc.SearchcoreError, match="committer process died"):
            committer.submit([Put({"id": "lost", "body": "oil"})]).result(60)
        assert committer.submit([Put({"id": "after", "body": "oil"})]).result(60) == ["added"]
        assert list(committer._child._processes) != [pid]
    finally:
        committer.close()
    with ix.searcher() as s:
        assert s.document("before") and s.document("after")
    assert sc.check_index(ix.path).ok


def test_a_read_cut_by_the_alarm_leaves_the_searcher_answering_as_before(tmp_path):
    """Reads run on the event loop's thread and the SIGALRM timer stops them wherever they are: cut at
    many points of searches and highlighting, the searcher's caches stay sound and later answers are
    those of a fresh searcher."""
    import asyncio

    from searchcore.server.app import ApiError, ServerConfig, Service, results_json

    ix = build_news_index(tmp_path / "news")
    config = ServerConfig(index=str(ix.path), query_timeout=0.0002)
    queries = ["oil prices", "bank rates", "visit", "\"crude oil\"", "o* s*", "markets~1"]

    def answer(searcher, q):
        return results_json(searcher.search(q, limit=20, facets=["topics"]), "html", ("title", "body"))

    expected = [answer(ix.searcher(), q) for q in queries]  # before any cut, process-wide caches too

    async def cut_many() -> tuple[int, list]:
        svc = Service(config)
        for q in queries:  # uncut first: what a first read imports lazily is imported
            answer(svc.searcher, q)
        cut = 0
        try:
            for _ in range(30):
                for q in queries:
                    try:
                        await svc.run(answer, svc.searcher, q)
                    except ApiError as exc:
                        assert exc.status == 503
                        cut += 1
            return cut, [answer(svc.searcher, q) for q in queries]
        finally:
            svc.close()

    cut, after = asyncio.run(cut_many())
    assert 0 < cut < 30 * len(queries)  # the timer cut some reads, not every one
    after.append(answer(ix.searcher(), queries[0]))  # a new searcher, with the process's caches
    expected.append(dict(expected[0]))
    for got, want in zip(after, expected):
        got.pop("took_ms"), want.pop("took_ms")
        assert got == want
