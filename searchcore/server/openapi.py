"""The API's OpenAPI 3.1 description (served at ``/openapi.json``) and its reading as a page (``/docs``).

Written out by hand: the API is small, and the description is checked against the routes by the tests.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .. import __version__


def _param(name: str, where: str, description: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": where, "description": description, "schema": schema, "required": required}


def _strings(description: str) -> dict:
    return {"description": description, "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


ERROR = {"$ref": "#/components/schemas/Error"}
SEARCH_PARAMS = [
    _param("q", "query", "The query text (the query language of `search`).", {"type": "string"}, True),
    _param("limit", "query", "Hits to return (at most 1,000).", {"type": "integer", "minimum": 0, "maximum": 1000, "default": 10}),
    _param("offset", "query", "Hits to skip: paging (at most 10,000).", {"type": "integer", "minimum": 0, "default": 0}),
    _param("filter", "query", "A query every hit must also match; repeatable; never changes scores.", {"type": "string"}),
    _param("sort", "query", "Order by a NUMERIC, DATE or KEYWORD field (`-field` descending).", {"type": "string"}),
    _param("facet", "query", "Count the values of a KEYWORD field over all matches; repeatable.", {"type": "string"}),
    _param("field", "query", "Search only this TEXT field; repeatable.", {"type": "string"}),
    _param("operator", "query", "How words side by side combine.", {"type": "string", "enum": ["OR", "AND"]}),
    _param("strict", "query", "Refuse invalid syntax (400 with the column) instead of repairing it.", {"type": "boolean"}),
    _param("highlight", "query", "Format of the highlighted fragments.", {"type": "string", "enum": ["html", "text", "plain", "none"]}),
    _param("feedback", "query", "Pseudo-relevance feedback (RM3): search again with the best terms of the first hits; "
                                "the answer's `expansion` lists them.", {"type": "boolean"}),
]
DOC_ID = _param("doc_id", "path", "The document's ID.", {"type": "string"}, True)


def _answer(description: str, schema: dict | None = None, errors: tuple[int, ...] = ()) -> dict:
    responses: dict[str, Any] = {"200": {"description": description}}
    if schema is not None:
        responses["200"]["content"] = {"application/json": {"schema": schema}}
    for status in errors:
        responses[str(status)] = {"description": _ERRORS[status], "content": {"application/json": {"schema": ERROR}}}
    return responses


_ERRORS = {
    400: "A bad parameter, query (strict) or document; the message says which.",
    401: "No key was sent, and this needs one.",
    403: "The key is wrong, or the server is read-only.",
    404: "No such document.",
    413: "The body is too large.",
    503: "The request took too long, or the index is busy or unavailable.",
}
READ = (400, 401, 403, 503)
WRITE = (400, 401, 403, 413, 503)

DESCRIPTION: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "searchcore", "version": __version__,
             "description": "Full-text search over one searchcore index. Reads are open unless the server has a "
                            "search key; writes need the admin key: `Authorization: Bearer KEY`."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "status"],
                      "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                                     "column": {"type": "integer", "description": "strict parse errors: 1-based"},
                                     "request_id": {"type": "string", "description": "500s: also in the server log"}}},
            "Hit": {"type": "object", "properties": {
                "id": {"type": "string"}, "score": {"type": "number"},
                "fields": {"type": "object", "description": "the stored fields"},
                "highlights": {"type": "object", "description": "per stored TEXT field searched: best fragments"}}},
            "Results": {"type": "object", "required": ["total", "took_ms", "hits"], "properties": {
                "query": {"type": "string"}, "parsed": {"type": "string"}, "total": {"type": "integer"},
                "took_ms": {"type": "number"}, "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                "facets": {"type": "object", "description": "per field: {value: count}, most frequent first"},
                "warnings": {"type": "array", "items": {"type": "string"}},
                "did_you_mean": {"type": "string"},
                "expansion": {"type": "array", "description": "with feedback: the terms added, with their weights",
                              "items": {"type": "object", "properties": {"term": {"type": "string"},
                                                                         "weight": {"type": "number"}}}}}},
            "Document": {"type": "object", "description": "Fields by name, as the index's schema defines them."},
        },
    },
    "paths": {
        "/search": {
            "get": {"summary": "Search", "parameters": SEARCH_PARAMS,
                    "responses": _answer("Ranked hits.", {"$ref": "#/components/schemas/Results"}, READ)},
            "post": {"summary": "Search, parameters as a JSON body",
                     "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                         "q": {"type": "string"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
                         "filter": _strings("queries every hit must match"), "sort": {"type": "string"},
                         "facet": _strings("KEYWORD fields to count"), "field": _strings("TEXT fields to search"),
                         "operator": {"type": "string"}, "strict": {"type": "boolean"},
                         "highlight": {"type": "string"}, "feedback": {"type": "boolean"}}, "required": ["q"]}}}},
                     "responses": _answer("Ranked hits.", {"$ref": "#/components/schemas/Results"}, (*READ, 413))},
        },
        "/suggest": {"get": {"summary": "Completions of the last word, from the index's own words, best first",
                             "parameters": [_param("q", "query", "The text typed so far.", {"type": "string"}, True),
                                            _param("limit", "query", "At most this many (50).", {"type": "integer"})],
                             "responses": _answer("{query, suggestions: [str]}", None, READ)}},
        "/documents/{doc_id}": {
            "get": {"summary": "A document's stored fields", "parameters": [DOC_ID],
                    "responses": _answer("{id, fields}", None, (*READ, 404))},
            "put": {"summary": "Add or replace a document (answered once committed)", "parameters": [DOC_ID],
                    "security": [{"bearer": []}],
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
                    "responses": _answer("{id, result: added | updated | unchanged} (201 when added)", None, WRITE)},
            "delete": {"summary": "Delete a document (answered once committed)", "parameters": [DOC_ID],
                       "security": [{"bearer": []}],
                       "responses": _answer("{id, result: deleted}", None, (*WRITE, 404))},
        },
        "/documents": {"post": {
            "summary": "Add or replace documents in bulk: a JSON array, or NDJSON (one document a line); all or none",
            "security": [{"bearer": []}],
            "requestBody": {"content": {
                "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}},
                "application/x-ndjson": {"schema": {"type": "string"}}}},
            "responses": _answer("{documents, added, updated, unchanged}", None, WRITE)}},
        "/similar/{doc_id}": {"get": {"summary": "Documents like this one", "parameters": [
            DOC_ID, _param("limit", "query", "Hits to return.", {"type": "integer"})],
            "responses": _answer("Ranked hits.", {"$ref": "#/components/schemas/Results"}, (*READ, 404))}},
        "/stats": {"get": {"summary": "Documents, segments, terms per field, bytes on disk, generation",
                           "responses": _answer("Index statistics.", None, READ)}},
        "/health": {"get": {"summary": "Liveness: {status: ok, documents, generation, writable}",
                            "responses": _answer("The server is up.")}},
        "/": {"get": {"summary": "The search page (HTML; `?q=` renders results on the server)",
                      "responses": {"200": {"description": "HTML"}}}},
        "/results": {"get": {"summary": "The results part of the search page, for its script (HTML)",
                             "responses": {"200": {"description": "HTML"}}}},
        "/openapi.json": {"get": {"summary": "This description", "responses": {"200": {"description": "JSON"}}}},
        "/docs": {"get": {"summary": "This description as a page", "responses": {"200": {"description": "HTML"}}}},
    },
}


def render_docs() -> str:
    """The description as a plain page: one section per endpoint, its parameters and answers."""
    e = html.escape
    parts = []
    for path, methods in DESCRIPTION["paths"].items():
        for method, op in methods.items():
            rows = "".join(f"<tr><td><code>{e(p['name'])}</code></td><td>{e(p['in'])}</td><td>{e(p['description'])}</td></tr>"
                           for p in op.get("parameters", []))
            answers = "".join(f"<li><strong>{e(status)}</strong> {e(r['description'])}</li>"
                              for status, r in op["responses"].items())
            key = " <em>(admin key)</em>" if op.get("security") else ""
            table = f"<table><tr><th>parameter</th><th>in</th><th>meaning</th></tr>{rows}</table>" if rows else ""
            parts.append(f"<section><h2><code>{e(method.upper())} {e(path)}</code></h2><p>{e(op['summary'])}{key}</p>"
                         f"{table}<ul>{answers}</ul></section>")
    info = DESCRIPTION["info"]
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>searchcore API</title>'
            f'<link rel="stylesheet" href="/static/style.css"></head><body><main class="docs">'
            f"<h1>searchcore API {e(info['version'])}</h1><p>{e(info['description'])}</p>"
            f'<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>'
            f"{''.join(parts)}<h2>Error shape</h2><pre>{e(json.dumps(DESCRIPTION['components']['schemas']['Error'], indent=2))}"
            f"</pre></main></body></html>")
