"""The HTTP service: a JSON API over one index, and the search page.

Starlette on uvicorn. Starlette is the ASGI toolkit FastAPI is built on, without the request-model layer:
the API's parameters are few and checked by hand here, the OpenAPI description is written out in
:mod:`.openapi`, and a search costs the engine's time plus a few tens of microseconds of framework.

Reads run on the event loop's own thread, one at a time, and are cut at ``query_timeout`` (503) by a
SIGALRM timer (on a pool of threads where there is no such timer, or for a sharded index); writes go
through one :class:`~.writes.GroupCommitter` per process, which commits in a child process of its own. A
background task refreshes the searcher every ``refresh_seconds``, so each process sees commits made by the
others (or by the CLI) within that time. A sharded index (:mod:`searchcore.distributed`) is searched and
written on Dask instead: ``ServerConfig.scheduler``, or a cluster of threads in each process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hmac
import json
import logging
import math
import os
import secrets
import signal
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import Index, Results, Searcher
from ..distributed import ShardedIndex, connect, is_sharded
from ..errors import (
    ArgumentError,
    DocumentError,
    IndexLockedError,
    IndexNotFoundError,
    QueryParseError,
    SchemaError,
    SearchcoreError,
)
from . import openapi, page
from .writes import Delete, GroupCommitter, Put

log = logging.getLogger("searchcore.server")

STATIC = Path(__file__).parent / "static"
CONFIG_VARIABLE = "SEARCHCORE_SERVER_CONFIG"  # how `search serve` hands its settings to worker processes
HIGHLIGHT_FORMATS = ("html", "text", "plain", "none")


@dataclass(frozen=True)
class ServerConfig:
    """What a server serves and how.

    Attributes:
        index: the index directory.
        admin_key: the key writes need (``Authorization: Bearer KEY``); None makes the server read-only.
        search_key: a key reads need too (the admin key also works); None leaves reads open.
        cors_origin: an origin allowed to call the API from a browser; None sends no CORS headers.
        max_body_bytes: the largest request body (413 beyond).
        max_query_chars: the longest query text (400 beyond).
        max_limit: the most hits one search returns.
        max_offset: the deepest page (``offset``) a search may ask for.
        query_timeout: seconds a read may take before it is abandoned with a 503.
        refresh_seconds: how often the searcher looks for a newer commit.
        lock_timeout: seconds a commit waits for another process's writer.
        scheduler: a sharded index's Dask scheduler address (None: a cluster of threads per process).
        commit_interval: the least time between the starts of two commits of one server process; the
            writes arriving meanwhile go into one commit (see :class:`~.writes.GroupCommitter`).
    """

    index: str
    admin_key: str | None = None
    search_key: str | None = None
    cors_origin: str | None = None
    max_body_bytes: int = 32 * 2**20
    max_query_chars: int = 2_000
    max_limit: int = 1_000
    max_offset: int = 10_000
    query_timeout: float = 10.0
    refresh_seconds: float = 0.5
    lock_timeout: float = 30.0
    #: a sharded index's Dask scheduler; None starts a cluster of threads in each server process
    scheduler: str | None = None
    commit_interval: float = 0.2

    def __repr__(self) -> str:  # never show the keys
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in ("admin_key", "search_key"):
            shown[name] = None if shown[name] is None else "***"
        return f"ServerConfig({shown})"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        return cls(**json.loads(text))


class ApiError(Exception):
    """A request refused: its HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.extra = extra


class _TimeUp(BaseException):
    """Raised by the SIGALRM handler into a read running past the time limit: a BaseException, so that no
    ``except Exception`` on the way swallows it."""


class _Alarm:
    """Cuts a read that runs on the event loop's thread at the time limit: a one-shot SIGALRM timer whose
    handler raises :class:`_TimeUp` into it, armed only while the read runs."""

    def __init__(self) -> None:
        self.armed = False
        signal.signal(signal.SIGALRM, self._ring)

    def _ring(self, signum, frame) -> None:
        if self.armed:
            self.armed = False
            raise _TimeUp

    def run(self, seconds: float, function, *args):
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function(*args)
        finally:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)


class Service:
    """One process's share of the server: the index, its searcher, the committer and the limits."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.sharded = is_sharded(config.index)
        self.committer: GroupCommitter | None = None
        self._dask = None
        if self.sharded:  # shards searched and written on Dask (--scheduler, or a cluster of threads here)
            self.index = ShardedIndex.open(config.index)
            self._dask = connect(config.scheduler)
            self.searcher = self.index.searcher(self._dask)
            self.schema = self.index.schema
            if config.admin_key:
                writer = self.index.writer(self.searcher.client, config.lock_timeout)
                self.committer = GroupCommitter(self.index, config.lock_timeout, commit=writer.apply)
        else:
            self.index = Index.open(config.index)
            self.schema = self.index.schema
            self.searcher: Searcher = self.index.searcher()
            if config.admin_key:
                self.committer = GroupCommitter(self.index, config.lock_timeout, after_commit=self.searcher.refresh,
                                                in_child=True, interval=config.commit_interval)
        self.threads = ThreadPoolExecutor(max(4, 2 * (os.cpu_count() or 1)), thread_name_prefix="searchcore-read")
        self._alarm: _Alarm | None = None  # made on the first read, on the event loop's thread
        stored_text = [n for n in self.schema.text_fields if self.schema[n].stored]
        self.highlight_fields = tuple(stored_text)

    @property
    def writable(self) -> bool:
        return self.committer is not None

    def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)
        if self.committer is not None:
            self.committer.close(timeout=self.config.lock_timeout + 30)
        if self._dask is not None:
            self._dask.close()
            self._dask = None

    def health(self) -> dict[str, Any]:
        if self.sharded:
            return {"status": "ok", "documents": self.searcher.doc_count, "shards": self.index.shards,
                    "writable": self.writable}
        snapshot = self.searcher.snapshot
        return {"status": "ok", "documents": snapshot.doc_count, "generation": snapshot.reader.generation,
                "writable": self.writable}

    # -- keys ---------------------------------------------------------------------------------------------
    def authorize(self, request: Request, write: bool) -> None:
        """Raise 401 (no key) or 403 (a wrong key, or a write to a read-only server) unless allowed."""
        config = self.config
        if write:
            if not config.admin_key:
                raise ApiError(403, "this server is read-only: start it with --admin-key (or SEARCHCORE_ADMIN_KEY) "
                                    "to accept writes")
            keys = [config.admin_key]
        else:
            if not config.search_key:
                return
            keys = [k for k in (config.search_key, config.admin_key) if k]
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "this needs a key: send 'Authorization: Bearer KEY'",
                           headers={"WWW-Authenticate": 'Bearer realm="searchcore"'})
        given = token.strip().encode()
        matches = [hmac.compare_digest(given, key.encode()) for key in keys]  # every key compared, in constant time
        if not any(matches):
            raise ApiError(403, "the key is not valid for this request")

    # -- running reads ------------------------------------------------------------------------------------
    async def run(self, function, *args):
        """``function(*args)``, abandoned with a 503 after ``query_timeout`` seconds.

        On the event loop's thread when that is the main thread of a process with SIGALRM (the server's
        own processes): a read of one index is all computation, and handing it to a thread made the two
        threads fight for the GIL on every request (about a quarter of the throughput under load). Each
        read then runs alone, and the timer stops it where it is. Elsewhere (a sharded index, whose reads
        wait on Dask; a test client's thread; Windows) on a pool of threads, where a read past the limit
        is abandoned but runs on to its end."""
        timeout = self.config.query_timeout
        on_main_thread = threading.current_thread() is threading.main_thread()
        if on_main_thread and self._alarm is None and not self.sharded and hasattr(signal, "setitimer"):
            self._alarm = _Alarm()
        try:
            if on_main_thread and self._alarm is not None:
                return self._alarm.run(timeout, function, *args)
            return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(self.threads, function, *args),
                                          timeout)
        except (TimeoutError, _TimeUp):
            raise ApiError(503, f"the request took longer than {timeout:g} s and was abandoned; narrow the query",
                           headers={"Retry-After": "1"}) from None

    async def refresh_forever(self) -> None:
        while True:
            await anyio.sleep(self.config.refresh_seconds)
            try:
                await anyio.to_thread.run_sync(self.searcher.refresh)
            except Exception as exc:  # an index being rebuilt, a disk hiccup: keep serving the last one
                log.warning("refresh failed: %s", exc)


# -- parameters ---------------------------------------------------------------------------------------------
def _int(params: Mapping[str, Any], name: str, default: int, high: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool):
        raise ApiError(400, f"{name} must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"{name} must be a whole number, got {str(value)[:40]!r}") from None
    if not 0 <= number <= high:
        raise ApiError(400, f"{name} must be between 0 and {high:,}, got {number:,}")
    return number


def _strings(params: Mapping[str, Any], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise ApiError(400, f"{name} must be a string or a list of strings")
    return [v for v in values if v != ""]


def _flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off", ""):
        return False
    raise ApiError(400, f"{name} must be true or false, got {str(value)[:40]!r}")


def query_params(request: Request) -> dict[str, Any]:
    """A GET request's parameters, repeated ones (filter, facet, field) as lists."""
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in ("filter", "facet", "field"):
            params.setdefault(key, []).append(value)
        else:
            params[key] = value
    return params


@dataclass(frozen=True)
class SearchRequest:
    q: str
    limit: int = 10
    offset: int = 0
    filters: tuple[str, ...] = ()
    sort: str | None = None
    facets: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    operator: str = "OR"
    strict: bool = False
    highlight: str = "html"
    feedback: bool = False


def search_request(params: Mapping[str, Any], config: ServerConfig) -> SearchRequest:
    known = {"q", "limit", "offset", "filter", "sort", "facet", "field", "operator", "strict", "highlight", "feedback"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ApiError(400, f"unknown parameter(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")
    q = params.get("q")
    if not isinstance(q, str) or not q.strip():
        raise ApiError(400, "q, the query text, is required")
    texts = [q, *_strings(params, "filter")]
    if any(len(t) > config.max_query_chars for t in texts):
        raise ApiError(400, f"a query or filter is longer than {config.max_query_chars:,} characters")
    operator = str(params.get("operator", "OR")).upper()
    if operator not in ("OR", "AND"):
        raise ApiError(400, f"operator must be OR or AND, got {str(params.get('operator'))[:20]!r}")
    highlight = str(params.get("highlight", "html")).lower()
    if highlight not in HIGHLIGHT_FORMATS:
        raise ApiError(400, f"highlight must be one of {', '.join(HIGHLIGHT_FORMATS)}")
    sort = params.get("sort") or None
    if sort is not None and not isinstance(sort, str):
        raise ApiError(400, "sort must be a field name")
    return SearchRequest(q, _int(params, "limit", 10, config.max_limit), _int(params, "offset", 0, config.max_offset),
                         tuple(_strings(params, "filter")), sort, tuple(_strings(params, "facet")),
                         tuple(_strings(params, "field")), operator, _flag(params, "strict"), highlight,
                         _flag(params, "feedback"))


# -- answers --------------------------------------------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """``value`` with what the standard json module cannot write made writable: dates as ISO 8601 text,
    NaN and infinities as null (orjson, when it writes the answer, does the same by itself)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def results_json(results: Results, highlight: str, highlight_fields: tuple[str, ...]) -> dict[str, Any]:
    """A search's answer, shaped like ``search --json``; each hit with its stored fields and fragments."""
    searched = [f for f in highlight_fields if f in results.fields]
    hits = []
    for hit in results:
        out: dict[str, Any] = {"id": hit.id, "score": round(hit.score, 6), "fields": hit.fields}
        if highlight != "none":  # the stored TEXT fields searched that this document has
            out["highlights"] = {f: hit.highlight(f, format=highlight, size=200, count=2) for f in searched
                                 if hit.fields.get(f)}
        hits.append(out)
    return results.summary(hits)


def json_body(content: Any) -> bytes:
    """``content`` as compact UTF-8 JSON: by orjson (a search's answer in a tenth of the standard module's
    time), or by the standard module for what orjson refuses (integers past 64 bits, keys that are not
    text)."""
    try:
        return orjson.dumps(content)
    except orjson.JSONEncodeError:
        return json.dumps(jsonable(content), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json_body(content), status, headers=dict(headers or {}), media_type="application/json")


# -- handlers -------------------------------------------------------------------------------------------------
def service(request: Request) -> Service:
    return request.app.state.service


async def health(request: Request) -> Response:
    svc = service(request)
    # not cut at the query time limit: a health check must answer while the server serves at all
    return json_response(await anyio.to_thread.run_sync(svc.health) if svc.sharded else svc.health())


async def favicon(request: Request) -> Response:
    """No icon, said without an error: a browser asks for one on every page it shows, the JSON ones too."""
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


def _search(svc: Service, ask: SearchRequest) -> dict[str, Any]:
    results = svc.searcher.search(ask.q, limit=ask.limit, offset=ask.offset, fields=ask.fields or None,
                                  filter=list(ask.filters), sort=ask.sort, facets=ask.facets, strict=ask.strict,
                                  default_operator=ask.operator, feedback=ask.feedback or None)
    return results_json(results, ask.highlight, svc.highlight_fields)


async def search_get(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=False)
    return json_response(await svc.run(_search, svc, search_request(query_params(request), svc.config)))


async def search_post(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=False)
    body = await read_json(request, svc.config.max_body_bytes)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object of search parameters")
    return json_response(await svc.run(_search, svc, search_request(body, svc.config)))


async def get_document(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=False)
    doc_id = request.path_params["doc_id"]
    fields = await svc.run(svc.searcher.document, doc_id)
    if fields is None:
        raise ApiError(404, f"no document with ID {doc_id!r}")
    return json_response({"id": doc_id, "fields": fields})


async def similar(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=False)
    params = query_params(request)
    limit = _int(params, "limit", 10, svc.config.max_limit)
    doc_id = request.path_params["doc_id"]
    if svc.sharded:
        raise ApiError(501, "more-like-this is not available for a sharded index yet")

    def like() -> dict[str, Any] | None:
        try:
            results = svc.searcher.more_like_this(doc_id, limit=limit)
        except KeyError:
            return None
        return results_json(results, "html", svc.highlight_fields)

    answer = await svc.run(like)
    if answer is None:
        raise ApiError(404, f"no document with ID {doc_id!r}")
    return json_response(answer)


async def suggest(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=False)
    params = query_params(request)
    q = params.get("q", "")
    if len(q) > svc.config.max_query_chars:
        raise ApiError(400, f"q is longer than {svc.config.max_query_chars:,} characters")
    limit = _int(params, "limit", 8, 50)
    if svc.sharded:
        raise ApiError(501, "completions are not available for a sharded index yet")
    completions = await svc.run(svc.searcher.complete, q, limit)
    return json_response({"query": q, "suggestions": completions})


async def stats(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=False)
    return json_response(await svc.run(svc.index.stats))


def _checked(svc: Service, doc: Any, where: str) -> dict[str, Any]:
    """``doc`` checked against the schema (nothing is queued when a document is bad)."""
    if not isinstance(doc, dict):
        raise ApiError(400, f"{where}: a document must be a JSON object of fields")
    try:
        svc.schema.normalize_document(doc)
    except (DocumentError, SchemaError) as exc:
        raise ApiError(400, f"{where}: {exc}", document=where) from None
    return doc


async def _commit(svc: Service, ops: list) -> list:
    assert svc.committer is not None
    future = svc.committer.submit(ops)
    try:
        return await anyio.to_thread.run_sync(future.result)  # answered only once the commit is durable
    except (DocumentError, SchemaError) as exc:
        raise ApiError(400, str(exc)) from None


async def put_document(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=True)
    doc_id = request.path_params["doc_id"]
    id_field = svc.schema.id_field
    body = await read_json(request, svc.config.max_body_bytes)
    if isinstance(body, dict) and id_field is not None:
        if id_field in body and str(body[id_field]) != doc_id:
            raise ApiError(400, f"the body's {id_field!r} ({str(body[id_field])[:60]!r}) is not the ID in the path "
                                f"({doc_id!r})")
        body = {**body, id_field: doc_id}
    doc = _checked(svc, body, f"document {doc_id!r}")
    [status] = await _commit(svc, [Put(doc)])
    return json_response({"id": doc_id, "result": status}, 201 if status == "added" else 200)


async def delete_document(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=True)
    doc_id = request.path_params["doc_id"]
    [existed] = await _commit(svc, [Delete(doc_id)])
    if not existed:
        raise ApiError(404, f"no document with ID {doc_id!r}")
    return json_response({"id": doc_id, "result": "deleted"})


async def post_documents(request: Request) -> Response:
    svc = service(request)
    svc.authorize(request, write=True)
    raw = await read_body(request, svc.config.max_body_bytes)
    docs = _documents(raw, request.headers.get("content-type", ""))
    id_field = svc.schema.id_field
    checked = []
    for number, doc in enumerate(docs, 1):
        where = f"document {number}"
        if isinstance(doc, dict) and id_field is not None and doc.get(id_field) is not None:
            where += f" (ID {str(doc[id_field])[:60]!r})"
        checked.append(_checked(svc, doc, where))
    if not checked:
        raise ApiError(400, "no documents in the body")
    outcomes = await _commit(svc, [Put(doc) for doc in checked])
    counts = {status: outcomes.count(status) for status in ("added", "updated", "unchanged")}
    return json_response({"documents": len(outcomes), **counts})


def _documents(raw: bytes, content_type: str) -> list[Any]:
    """A JSON array of documents, or NDJSON (one document a line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the body is not UTF-8 (byte {exc.start})") from None
    stripped = text.lstrip()
    if stripped.startswith("[") or "ndjson" not in content_type and not stripped.startswith("{"):
        try:
            docs = json.loads(text)
        except ValueError as exc:
            raise ApiError(400, f"the body is not valid JSON: {exc}") from None
        if not isinstance(docs, list):
            raise ApiError(400, "the body must be a JSON array of documents, or NDJSON")
        return docs
    docs = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                docs.append(json.loads(line))
            except ValueError as exc:
                raise ApiError(400, f"line {number} is not valid JSON: {exc}") from None
    return docs


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is larger than {limit:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    raw = await read_body(request, limit)
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not UTF-8") from None
    except ValueError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None


# -- pages ----------------------------------------------------------------------------------------------------
async def _rendered(request: Request, render) -> Response:
    svc = service(request)
    svc.authorize(request, write=False)
    state = page.PageState.from_params(query_params(request))
    return HTMLResponse(await svc.run(render, svc.searcher, state, svc.config.max_query_chars))


async def home(request: Request) -> Response:
    """The whole page."""
    return await _rendered(request, page.render_page)


async def results_fragment(request: Request) -> Response:
    """The part of the page that changes, for the page's script."""
    return await _rendered(request, page.render_results)


async def openapi_json(request: Request) -> Response:
    return json_response(openapi.DESCRIPTION)


async def docs(request: Request) -> Response:
    return HTMLResponse(openapi.render_docs())


# -- the application ------------------------------------------------------------------------------------------
PAGE_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class Guard:
    """The outermost layer: a request id on every answer, security headers, and the JSON shape of every
    error; an unexpected one is logged with its traceback under the request id and answered with a 500
    carrying only that id."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope["searchcore.request_id"] = request_id
        started = False

        async def send_with_headers(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    headers.extend(PAGE_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:  # answered and logged by the application's handler already
                return
            status, content, headers = error_answer(exc, request_id, scope)
            response = json_response(content, status, headers)
            await response(scope, receive, send_with_headers)


def error_answer(exc: Exception, request_id: str, scope) -> tuple[int, dict[str, Any], dict[str, str]]:
    if isinstance(exc, ApiError):
        return exc.status, {"error": exc.message, "status": exc.status, **exc.extra}, exc.headers
    if isinstance(exc, QueryParseError):
        return 400, {"error": str(exc), "status": 400, "column": exc.pos + 1, "expected": exc.expected}, {}
    if isinstance(exc, SchemaError | ArgumentError | DocumentError):
        return 400, {"error": str(exc), "status": 400}, {}
    if isinstance(exc, IndexLockedError):
        return 503, {"error": f"the index is busy with another writer: {exc}", "status": 503}, {"Retry-After": "5"}
    if isinstance(exc, IndexNotFoundError):
        return 503, {"error": "the index is gone from its directory", "status": 503}, {}
    if isinstance(exc, SearchcoreError):  # a full disk, a corrupt file: the index says what
        log.error("request %s failed: %s", request_id, exc)
        return 503, {"error": str(exc), "status": 503, "request_id": request_id}, {}
    log.error("request %s (%s %s) failed", request_id, scope.get("method"), scope.get("path"), exc_info=exc)
    return 500, {"error": "internal error", "status": 500, "request_id": request_id}, {}


def handled(request: Request, exc: Exception) -> Response:
    """The JSON answer to a refused request or an error the engine explains."""
    status, content, headers = error_answer(exc, request.scope.get("searchcore.request_id", "-"), request.scope)
    return json_response(content, status, headers)


def not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    detail = "no such endpoint: see /docs" if status == 404 else getattr(exc, "detail", "refused")
    return JSONResponse({"error": detail, "status": status}, status)


def create_app(config: ServerConfig) -> Starlette:
    """The ASGI application serving ``config.index``."""
    svc = Service(config)

    @asynccontextmanager
    async def lifespan(app):
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(svc.refresh_forever)
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
        finally:  # outside the cancelled task group, where waiting is allowed: commit what is queued
            await anyio.to_thread.run_sync(svc.close)

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/results", results_fragment, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/search", search_get, methods=["GET"]),
        Route("/search", search_post, methods=["POST"]),
        Route("/suggest", suggest, methods=["GET"]),
        Route("/stats", stats, methods=["GET"]),
        Route("/documents", post_documents, methods=["POST"]),
        Route("/documents/{doc_id:path}", get_document, methods=["GET"]),
        Route("/documents/{doc_id:path}", put_document, methods=["PUT"]),
        Route("/documents/{doc_id:path}", delete_document, methods=["DELETE"]),
        Route("/similar/{doc_id:path}", similar, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = []
    if config.cors_origin:
        middleware.append(Middleware(CORSMiddleware, allow_origins=[config.cors_origin],
                                     allow_methods=["GET", "POST", "PUT", "DELETE"],
                                     allow_headers=["Authorization", "Content-Type"]))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: not_found, 405: not_found, ApiError: handled, SearchcoreError: handled,
                                        Exception: handled})
    app.state.service = svc
    return Guard(app)


def app_from_environment():
    """The application for a worker process started by ``search serve --workers N`` (uvicorn's factory)."""
    return create_app(ServerConfig.from_json(os.environ[CONFIG_VARIABLE]))

