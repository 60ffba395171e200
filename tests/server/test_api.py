"""The HTTP API, through an HTTP client against a real `search serve` process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import searchcore as sc
from tests.server.conftest import ADMIN_KEY, ROOT, SEARCH_KEY, Server, build_news_index, news_docs

pytest.importorskip("httpx")


def test_health_says_ok_and_how_many_documents(server):
    answer = server.client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "documents": 60, "generation": answer.json()["generation"],
                             "writable": True}
    assert answer.headers["x-request-id"] and answer.headers["x-content-type-options"] == "nosniff"


def test_a_browser_asking_for_an_icon_gets_an_empty_answer_not_a_404(server):
    # a browser showing a JSON answer (GET /documents/ID) asks for /favicon.ico: a 404 there is a console error
    answer = server.client.get("/favicon.ico")
    assert answer.status_code == 204 and answer.content == b""


def test_search_finds_the_afp_story_first_with_its_fields_and_highlights(server):
    answer = server.client.get("/search", params={"q": "Li Shangfu Belarus"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] >= 1 and body["took_ms"] >= 0 and body["query"] == "Li Shangfu Belarus"
    top = body["hits"][0]
    assert top["id"] == "afp-li-shangfu" and top["score"] > 0
    assert top["fields"]["dateline"] == "BEIJING, Aug 14" and top["fields"]["places"] == ["china", "russia", "belarus"]
    assert top["fields"]["date"].startswith("2023-08-14")
    assert "<mark>Shangfu</mark>" in top["highlights"]["body"] and "<mark>Belarus</mark>" in top["highlights"]["title"]


def test_post_search_takes_the_same_parameters_as_a_json_body(server):
    params = {"q": "oil OR wheat", "limit": 5, "offset": 2, "filter": ["places:usa"], "facet": ["topics"],
              "sort": "-date", "highlight": "none"}
    got = server.client.post("/search", json=params).json()
    query = [("q", "oil OR wheat"), ("limit", "5"), ("offset", "2"), ("filter", "places:usa"), ("facet", "topics"),
             ("sort", "-date"), ("highlight", "none")]
    expected = server.client.get("/search", params=query).json()
    assert [h["id"] for h in got["hits"]] == [h["id"] for h in expected["hits"]]
    assert got["total"] == expected["total"] and got["facets"] == expected["facets"]
    assert all(h["fields"]["places"] == ["usa"] for h in got["hits"]) and "highlights" not in got["hits"][0]
    dates = [h["fields"]["date"] for h in got["hits"]]
    assert dates == sorted(dates, reverse=True)


def test_search_with_feedback_answers_like_the_library(server, news_index):
    got = server.client.get("/search", params={"q": "oil", "feedback": "true", "limit": 5}).json()
    with sc.Index.open(news_index).searcher() as s:
        expected = s.search("oil", limit=5, feedback=True)
    assert [h["id"] for h in got["hits"]] == [h.id for h in expected]
    assert [e["term"] for e in got["expansion"]] == [t for t, _ in expected.expansion] and expected.expansion
    posted = server.client.post("/search", json={"q": "oil", "feedback": True, "limit": 5}).json()
    assert posted["expansion"] == got["expansion"]
    assert "expansion" not in server.client.get("/search", params={"q": "oil"}).json()
    assert server.client.get("/search", params={"q": "oil", "feedback": "perhaps"}).status_code == 400


def test_search_answers_like_the_library(server, news_index):
    """The server adds nothing to ranking: its hits and totals are the library's."""
    with sc.Index.open(news_index).searcher() as s:
        for q, options in [("oil output", {}), ("bank rates", {"default_operator": "AND"}),
                           ("report", {"fields": ["title"]}), ("news", {"filter": ["topics:coffee"]})]:
            params = {"q": q, "limit": 20, "operator": options.get("default_operator", "OR"),
                      "field": options.get("fields", []), "filter": options.get("filter", [])}
            got = server.client.get("/search", params=params).json()
            expected = s.search(q, limit=20, **options)
            assert [(h["id"], h["score"]) for h in got["hits"]] == [(h.id, round(h.score, 6)) for h in expected]
            assert got["total"] == expected.total


def test_facets_warnings_and_did_you_mean(server):
    body = server.client.get("/search", params={"q": "coffee", "facet": ["topics", "places"]}).json()
    assert body["facets"]["topics"]["coffee"] == body["total"]
    assert body["facets"]["places"] and sum(body["facets"]["places"].values()) >= body["total"]
    repaired = server.client.get("/search", params={"q": "oil AND (wheat"}).json()
    assert repaired["warnings"]
    fixed = server.client.get("/search", params={"q": "Li Shangfo Belarus"}).json()
    assert fixed["did_you_mean"] == "Li Shangfu Belarus"


@pytest.mark.parametrize("params, words", [
    ({}, "q, the query text, is required"),
    ({"q": "   "}, "q, the query text, is required"),
    ({"q": "oil", "limit": "1001"}, "limit must be between 0 and 1,000"),
    ({"q": "oil", "limit": "ten"}, "limit must be a whole number"),
    ({"q": "oil", "offset": "10001"}, "offset must be between 0 and 10,000"),
    ({"q": "oil", "offset": "-1"}, "offset must be between"),
    ({"q": "oil", "operator": "XOR"}, "operator must be OR or AND"),
    ({"q": "oil", "colour": "red"}, "unknown parameter(s) 'colour'"),
    ({"q": "oil", "sort": "body"}, "body"),
    ({"q": "oil", "facet": "title"}, "title"),
    ({"q": "x" * 2001}, "longer than 2,000 characters"),
    ({"q": "oil", "highlight": "rainbow"}, "highlight must be one of"),
    ({"q": "oil", "strict": "maybe"}, "strict must be true or false"),
])
def test_bad_search_parameters_get_a_400_saying_what_is_wrong(server, params, words):
    answer = server.client.get("/search", params=params)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["error"] and answer.json()["status"] == 400


def test_a_strict_parse_error_is_a_400_with_the_column(server):
    answer = server.client.get("/search", params={"q": "oil AND (wheat", "strict": "true"})
    assert answer.status_code == 400
    assert answer.json()["column"] == 15 and "column 15" in answer.json()["error"]
    assert server.client.post("/search", json={"q": "(", "strict": True}).json()["column"] >= 1


def test_bad_json_bodies_are_400s_not_tracebacks(server):
    for body in (b"{not json", b"[1, 2]", "\"oil\"".encode(), b"\xff\xfe"):
        answer = server.client.post("/search", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 400, body
        assert "Traceback" not in answer.text and answer.json()["error"]


def test_documents_similar_and_stats(server):
    doc = server.client.get("/documents/afp-li-shangfu")
    assert doc.status_code == 200 and doc.json()["fields"]["agency"] == ["AFP"]
    missing = server.client.get("/documents/no-such-story")
    assert missing.status_code == 404 and "no-such-story" in missing.json()["error"]
    like = server.client.get("/similar/wire-000", params={"limit": 3}).json()
    assert len(like["hits"]) == 3 and "wire-000" not in [h["id"] for h in like["hits"]]
    assert all(h["fields"]["topics"] == ["crude"] for h in like["hits"])  # the stories that share its words
    assert server.client.get("/similar/no-such-story").status_code == 404
    stats = server.client.get("/stats").json()
    assert stats["documents"] == server.client.get("/health").json()["documents"] and "body" in stats["fields"]


def test_suggest_completes_the_last_word_from_the_index(server):
    body = server.client.get("/suggest", params={"q": "Li Shang"}).json()
    assert body["suggestions"][0] == "Li shangfu"
    common = server.client.get("/suggest", params={"q": "o", "limit": 3}).json()["suggestions"]
    assert len(common) == 3 and common[0] == "officials"  # in 59 stories; "oil", "output" in 10
    assert server.client.get("/suggest", params={"q": "oil "}).json()["suggestions"] == []
    assert server.client.get("/suggest", params={"q": "zzzq"}).json()["suggestions"] == []


def test_unknown_endpoints_and_methods_get_json_errors(server):
    assert server.client.get("/nowhere").json() == {"error": "no such endpoint: see /docs", "status": 404}
    assert server.client.patch("/search").status_code == 405


def test_the_openapi_description_names_every_endpoint(server):
    described = server.client.get("/openapi.json").json()
    paths = {p.replace("{doc_id}", "X") for p in described["paths"]}
    for method, path in [("get", "/search"), ("post", "/search"), ("get", "/documents/X"), ("put", "/documents/X"),
                         ("delete", "/documents/X"), ("post", "/documents"), ("get", "/similar/X"),
                         ("get", "/stats"), ("get", "/health"), ("get", "/suggest")]:
        assert path in paths and method in described["paths"][path.replace("X", "{doc_id}")]
    docs = server.client.get("/docs")
    assert docs.status_code == 200 and "PUT /documents/{doc_id}" in docs.text
    assert "content-security-policy" in docs.headers


def test_the_page_carries_a_restrictive_content_security_policy_and_no_cors(server):
    page = server.client.get("/", headers={"Origin": "http://elsewhere.test"})
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "access-control-allow-origin" not in page.headers
    assert "access-control-allow-origin" not in server.client.get("/search", params={"q": "oil"},
                                                                   headers={"Origin": "http://elsewhere.test"}).headers


# -- writes ---------------------------------------------------------------------------------------------------
STORY = {"title": "Grain silo opens in Manitoba", "body": "A new grain silo opened near Winnipeg on Tuesday.",
         "date": "1987-04-07", "topics": ["grain"], "places": ["canada"], "dateline": "WINNIPEG, April 7"}


def test_writes_need_the_admin_key(server):
    assert server.client.put("/documents/x1", json=STORY).status_code == 401
    assert server.client.put("/documents/x1", json=STORY).headers["www-authenticate"].startswith("Bearer")
    assert server.client.put("/documents/x1", json=STORY, headers=server.auth("wrong")).status_code == 403
    assert server.client.put("/documents/x1", json=STORY, headers={"Authorization": ADMIN_KEY}).status_code == 401
    assert server.client.delete("/documents/wire-001").status_code == 401
    assert server.client.post("/documents", json=[STORY]).status_code == 401
    assert server.client.get("/documents/x1").status_code == 404  # nothing was written


def test_put_adds_updates_and_delete_removes_each_visible_at_once(server):
    auth = server.auth()
    added = server.client.put("/documents/silo-1", json=STORY, headers=auth)
    assert added.status_code == 201 and added.json() == {"id": "silo-1", "result": "added"}
    hits = server.client.get("/search", params={"q": "Winnipeg silo"}).json()["hits"]
    assert hits[0]["id"] == "silo-1"  # read your own write: answered after the commit, searcher refreshed
    again = server.client.put("/documents/silo-1", json=STORY, headers=auth)
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    changed = server.client.put("/documents/silo-1", json={**STORY, "body": "The Winnipeg silo closed."}, headers=auth)
    assert changed.json()["result"] == "updated"
    assert server.client.get("/documents/silo-1").json()["fields"]["body"] == "The Winnipeg silo closed."
    gone = server.client.delete("/documents/silo-1", headers=auth)
    assert gone.status_code == 200 and gone.json() == {"id": "silo-1", "result": "deleted"}
    assert server.client.get("/documents/silo-1").status_code == 404
    assert server.client.delete("/documents/silo-1", headers=auth).status_code == 404


def test_a_bad_document_is_refused_naming_it_and_its_field_and_nothing_is_committed(server):
    auth = server.auth()
    before = server.client.get("/health").json()["generation"]
    bad_field = server.client.put("/documents/bad-1", json={**STORY, "colour": "red"}, headers=auth)
    assert bad_field.status_code == 400 and "bad-1" in bad_field.json()["error"] and "colour" in bad_field.json()["error"]
    bad_date = server.client.put("/documents/bad-2", json={**STORY, "date": "yesterday"}, headers=auth)
    assert bad_date.status_code == 400 and "date" in bad_date.json()["error"]
    other_id = server.client.put("/documents/bad-3", json={**STORY, "id": "bad-4"}, headers=auth)
    assert other_id.status_code == 400 and "bad-4" in other_id.json()["error"]
    not_object = server.client.put("/documents/bad-5", json=["a list"], headers=auth)
    assert not_object.status_code == 400
    batch = [{**STORY, "id": "bulk-ok-1"}, {**STORY, "id": "bulk-bad", "date": "soon"}, {**STORY, "id": "bulk-ok-2"}]
    refused = server.client.post("/documents", json=batch, headers=auth)
    assert refused.status_code == 400
    assert "document 2" in refused.json()["error"] and "bulk-bad" in refused.json()["error"]
    assert "date" in refused.json()["error"]
    assert server.client.get("/health").json()["generation"] == before
    for doc_id in ("bad-1", "bad-2", "bad-3", "bad-4", "bad-5", "bulk-ok-1", "bulk-ok-2"):
        assert server.client.get(f"/documents/{doc_id}").status_code == 404


def test_bulk_posts_take_a_json_array_or_ndjson(server):
    auth = server.auth()
    array = [{**STORY, "id": f"bulk-{i}", "body": f"Silo number {i} opened."} for i in range(3)]
    answer = server.client.post("/documents", json=array, headers=auth)
    assert answer.status_code == 200 and answer.json() == {"documents": 3, "added": 3, "updated": 0, "unchanged": 0}
    lines = "\n".join(json.dumps(d) for d in [array[0], {**array[1], "body": "Closed."}, {**STORY, "id": "bulk-9"}])
    answer = server.client.post("/documents", content=lines, headers={**auth, "content-type": "application/x-ndjson"})
    assert answer.json() == {"documents": 3, "added": 1, "updated": 1, "unchanged": 1}
    assert server.client.get("/documents/bulk-9").status_code == 200
    assert server.client.post("/documents", content=b"{oops", headers={**auth, "content-type": "application/x-ndjson"}
                              ).status_code == 400
    assert server.client.post("/documents", json=[], headers=auth).status_code == 400


def test_a_body_over_the_limit_is_a_413_and_nothing_is_written(news_index):
    running = Server(news_index, "--admin-key", ADMIN_KEY, "--max-body-mb", "0.01")  # 10,485 bytes
    try:
        big = json.dumps([{**STORY, "id": f"big-{i}", "body": "x" * 1000} for i in range(12)])
        answer = running.client.post("/documents", content=big, headers={**running.auth(), "content-type": "application/json"})
        assert answer.status_code == 413 and "larger than 10,485 bytes" in answer.json()["error"]
        chunked = running.client.post("/documents", content=iter([big.encode()[:6000], big.encode()[6000:]]),
                                      headers={**running.auth(), "content-type": "application/json"})
        assert chunked.status_code == 413  # no Content-Length: counted as it arrives
        small = running.client.put("/documents/small", json=STORY, headers=running.auth())
        assert small.status_code == 201
        assert running.client.get("/documents/big-0").status_code == 404
    finally:
        assert running.stop()[0] == 0


def test_concurrent_writes_are_group_committed_and_never_locked(server):
    auth = server.auth()
    before = server.client.get("/health").json()["generation"]
    answers: list = []

    def put(i: int) -> None:
        with httpx_client(server) as client:
            answers.append(client.put(f"/documents/many-{i}", json={**STORY, "body": f"Story {i}."}, headers=auth))

    threads = [threading.Thread(target=put, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201] * 24
    after = server.client.get("/health").json()["generation"]
    assert 1 <= after - before <= 24
    found = server.client.get("/search", params={"q": "story", "limit": 100, "field": "body"}).json()
    assert {f"many-{i}" for i in range(24)} <= {h["id"] for h in found["hits"]}


def httpx_client(server):
    import httpx

    return httpx.Client(base_url=server.url, timeout=30)


# -- other servers --------------------------------------------------------------------------------------------
def test_without_an_admin_key_the_server_is_read_only_and_says_so(news_index):
    running = Server(news_index)
    try:
        assert running.client.get("/health").json()["writable"] is False
        refused = running.client.put("/documents/x", json=STORY, headers=running.auth())
        assert refused.status_code == 403 and "read-only" in refused.json()["error"]
        assert running.client.get("/search", params={"q": "oil"}).status_code == 200
    finally:
        code, err = running.stop()
    assert code == 0 and "read-only" in err and "http://127.0.0.1:" in err


def test_a_search_key_protects_reads_and_keys_never_reach_the_log(news_index):
    running = Server(news_index, "--admin-key", ADMIN_KEY, "--search-key", SEARCH_KEY)
    try:
        assert running.client.get("/search", params={"q": "oil"}).status_code == 401
        assert running.client.get("/search", params={"q": "oil"}, headers=running.auth("nope")).status_code == 403
        assert running.client.get("/search", params={"q": "oil"}, headers=running.auth(SEARCH_KEY)).status_code == 200
        assert running.client.get("/search", params={"q": "oil"}, headers=running.auth(ADMIN_KEY)).status_code == 200
        assert running.client.get("/documents/wire-001").status_code == 401
        assert running.client.get("/", params={"q": "oil"}).status_code == 401
        assert running.client.get("/health").status_code == 200  # liveness stays open
        assert running.client.put("/documents/k1", json=STORY, headers=running.auth(SEARCH_KEY)).status_code == 403
    finally:
        code, err = running.stop()
    assert code == 0 and ADMIN_KEY not in err and SEARCH_KEY not in err


def test_cors_answers_only_the_origin_it_was_given(news_index):
    running = Server(news_index, "--cors", "http://app.test")
    try:
        allowed = running.client.options("/search", headers={"Origin": "http://app.test",
                                                             "Access-Control-Request-Method": "GET"})
        assert allowed.headers["access-control-allow-origin"] == "http://app.test"
        other = running.client.get("/search", params={"q": "oil"}, headers={"Origin": "http://evil.test"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        assert running.stop()[0] == 0


def test_a_slow_query_is_cut_at_the_time_limit_with_a_503(news_index):
    running = Server(news_index, "--query-timeout", "0.001")
    try:
        answer = running.client.get("/search", params={"q": "o* a* s* n*", "limit": 1000, "facet": "topics"})
        assert answer.status_code == 503 and "abandoned" in answer.json()["error"]
        assert answer.headers["retry-after"]
        assert running.client.get("/health").status_code == 200  # still serving
    finally:
        assert running.stop()[0] == 0


def test_a_commit_from_outside_is_seen_within_a_second(server, news_index):
    with sc.Index.open(news_index).writer() as w:
        w.update_document(id="outside-1", title="Written by the library", body="A zeppelin landed in Lakehurst.")
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        if server.client.get("/search", params={"q": "zeppelin"}).json()["total"] == 1:
            break
        time.sleep(0.05)
    assert server.client.get("/search", params={"q": "zeppelin"}).json()["hits"][0]["id"] == "outside-1"


def test_two_workers_share_the_index_and_both_see_a_write(tmp_path):
    path = tmp_path / "news"
    build_news_index(path)
    running = Server(path, "--workers", "2", "--admin-key", ADMIN_KEY)
    try:
        answer = running.client.put("/documents/w2", json={**STORY, "body": "A quokka visited Perth."},
                                    headers=running.auth())
        assert answer.status_code == 201
        time.sleep(1.0)
        totals = set()
        for _ in range(40):  # new connections: spread over both workers
            with httpx_client(running) as client:
                totals.add(client.get("/search", params={"q": "quokka"}).json()["total"])
        assert totals == {1}
        children = _descendants(running.process.pid)
        assert len(children) >= 4  # two workers, each with its committer process
    finally:
        code, err = running.stop()
    assert code == 0, err
    # each worker shut down its committer: nothing is left running, nothing leaked
    assert "leaked" not in err and "Traceback" not in err, err
    time.sleep(0.5)
    assert [pid for pid in children if _running(pid)] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a socket per worker is Linux's SO_REUSEPORT")
def test_connections_are_spread_over_the_workers_and_a_dead_worker_is_replaced(tmp_path):
    path = tmp_path / "news"
    build_news_index(path)
    running = Server(path, "--workers", "2")
    try:
        workers = _workers(running.process.pid)
        assert len(workers) == 2
        # a burst of connections held open at once: each worker gets some (uvicorn's one shared socket
        # could hand them all to one)
        clients = [httpx_client(running) for _ in range(16)]
        for client in clients:
            assert client.get("/health").status_code == 200
        serving = {pid for pid in workers if _connections(pid)}
        for client in clients:
            client.close()
        assert serving == set(workers)

        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = [pid for pid in _workers(running.process.pid) if _running(pid)]
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        assert len(now) == 2 and workers[0] not in now  # a new worker in its place
        for _ in range(20):  # every connection is answered, whichever socket it lands on
            with httpx_client(running) as client:
                assert client.get("/search", params={"q": "Belarus"}).json()["total"] >= 1
    finally:
        code, err = running.stop()
    assert code == 0, err


def test_a_port_in_use_is_a_clear_error(tmp_path):
    path = tmp_path / "news"
    build_news_index(path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "searchcore.cli", "serve", "--index", str(path), "--port",
                                 str(port), "--workers", "2"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def _workers(pid: int) -> list[int]:
    """The server's worker processes: its children started by multiprocessing (not its resource tracker)."""
    children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _connections(pid: int) -> int:
    """Established TCP connections the process holds (its sockets in /proc/net/tcp)."""
    inodes = {link.split("[")[1].rstrip("]") for fd in Path(f"/proc/{pid}/fd").iterdir()
              if (link := os.readlink(fd)).startswith("socket:[")}
    established = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        established += fields[3] == "01" and fields[9] in inodes
    return established


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").iterdir():
            for child in (task / "children").read_text().split():
                out.append(int(child))
                todo.append(int(child))
    return out


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_server_stops_cleanly_on_ctrl_c_and_sigterm_keeping_acknowledged_writes(tmp_path, sig):
    path = tmp_path / "news"
    build_news_index(path)
    running = Server(path, "--admin-key", ADMIN_KEY)
    assert running.client.put("/documents/kept", json=STORY, headers=running.auth()).status_code == 201
    code, err = running.stop(sig)
    assert code == 0 and "Traceback" not in err
    ix = sc.Index.open(path)
    assert ix.searcher().document("kept") is not None and ix.check().ok
    assert ix.doc_count() == len(news_docs()) + 1


def test_serve_explains_a_missing_index_and_a_missing_extra(tmp_path):
    import subprocess
    import sys

    from tests.server.conftest import ROOT

    out = subprocess.run([sys.executable, "-m", "searchcore.cli", "serve", "--index", str(tmp_path / "none")],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 1 and "no index at" in out.stderr and "Traceback" not in out.stderr
