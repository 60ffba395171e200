"""The search page: rendered on the server, so it works without JavaScript, and re-rendered in place by
``static/app.js`` (which fetches ``/results`` with the same parameters) as the reader types.

The page's state lives in its URL (``q``, ``filter``, ``from``, ``to``, ``page``, ``like``): a search can
be shared, and the back button steps through searches. Every value that reaches the HTML is escaped
here; highlighted fragments come escaped from the highlighter, with only ``<mark>`` added.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from .. import Results, Searcher
from ..errors import SearchcoreError

PER_PAGE = 10
MAX_PAGE = 100
FACETS = ("topics", "places")  # shown when the schema has them as KEYWORD fields


@dataclass(frozen=True)
class PageState:
    """What the URL asks the page to show."""

    q: str = ""
    filters: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    like: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PageState:
        filters = params.get("filter", [])
        try:
            page = min(max(int(params.get("page", 1)), 1), MAX_PAGE)
        except (TypeError, ValueError):
            page = 1
        return cls(str(params.get("q", "")).strip(), tuple(f for f in filters if f), str(params.get("from", "")),
                   str(params.get("to", "")), page, str(params.get("like", "")))

    def url(self, **changes: Any) -> str:
        state = replace(self, **changes)
        pairs: list[tuple[str, Any]] = []
        if state.like:
            pairs.append(("like", state.like))
        elif state.q:
            pairs.append(("q", state.q))
        pairs += [("filter", f) for f in state.filters]
        if state.date_from:
            pairs.append(("from", state.date_from))
        if state.date_to:
            pairs.append(("to", state.date_to))
        if state.page > 1:
            pairs.append(("page", state.page))
        return "/?" + urlencode(pairs) if pairs else "/"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _date(text: str) -> str | None:
    try:
        return dt.date.fromisoformat(text).isoformat() if text else None
    except ValueError:
        return None


def _search(searcher: Searcher, state: PageState, max_chars: int) -> tuple[Results | None, str | None]:
    """(results, a message for the reader) of the page's state."""
    if not state.q and not state.like:
        return None, None
    if len(state.q) > max_chars:
        return None, f"The query is longer than {max_chars:,} characters."
    schema = searcher.schema
    facets = [f for f in FACETS if f in schema and schema[f].kind == "keyword"]
    filters = list(state.filters)
    low, high = _date(state.date_from), _date(state.date_to)
    if (state.date_from and low is None) or (state.date_to and high is None):
        return None, "Dates are written YYYY-MM-DD."
    if (low or high) and "date" in schema:
        filters.append(f"date:[{low or '*'} TO {high or '*'}]")
    offset = (state.page - 1) * PER_PAGE
    try:
        if state.like:
            return searcher.more_like_this(state.like, limit=PER_PAGE, filter=filters or None), None
        return searcher.search(state.q, limit=PER_PAGE, offset=offset, filter=filters, facets=facets), None
    except KeyError:
        return None, f"No document has the ID {state.like!r}."
    except SearchcoreError as exc:
        return None, str(exc)


def render_results(searcher: Searcher, state: PageState, max_chars: int) -> str:
    """The part of the page that changes with the search: the summary, facets, hits and pager."""
    results, message = _search(searcher, state, max_chars)
    out = ['<div id="results" tabindex="-1" aria-live="polite">']
    if message:
        out.append(f'<p class="message" role="alert">{_e(message)}</p>')
    if results is None:
        if not message:
            docs = searcher.doc_count
            out.append(f'<p class="summary">Search {docs:,} stories. Try <a href="{_e(state.url(q="Li Shangfu Belarus"))}">'
                       'Li Shangfu Belarus</a>.</p>')
        out.append("</div>")
        return "".join(out)
    what = f"stories like {state.like}" if state.like else state.q
    noun = "result" if results.total == 1 else "results"
    out.append(f'<p class="summary">{results.total:,} {noun} for <strong>{_e(what)}</strong> '
               f'<span class="took">({results.took_ms:.1f} ms)</span></p>')
    for warning in results.warnings:
        out.append(f'<p class="note">{_e(warning)}</p>')
    if not state.like and results.did_you_mean:
        fixed = results.did_you_mean
        out.append(f'<p class="did-you-mean">Did you mean <a href="{_e(state.url(q=fixed, page=1))}" '
                   f'rel="nofollow">{_e(fixed)}</a>?</p>')
    out.append('<div class="columns">')
    out.append(_facets(results, state))
    out.append(_hits(results, state))
    out.append("</div>")
    out.append(_pager(results, state))
    out.append("</div>")
    return "".join(out)


def _facets(results: Results, state: PageState) -> str:
    if not results.facets:
        return '<nav class="facets" aria-label="Filters"></nav>'
    out = ['<nav class="facets" aria-label="Filters">']
    active = set(state.filters)
    for name, counts in results.facets.items():
        chosen = [f for f in state.filters if f.startswith(f"{name}:")]
        if not counts and not chosen:
            continue
        out.append(f'<section><h2>{_e(name.capitalize())}</h2><ul>')
        for value, count in counts[:12]:
            clause = f'{name}:"{value}"'
            on = clause in active
            filters = tuple(f for f in state.filters if f != clause) if on else (*state.filters, clause)
            out.append(f'<li><a class="facet{" on" if on else ""}" href="{_e(state.url(filters=filters, page=1))}" '
                       f'aria-pressed="{"true" if on else "false"}">{_e(value)} <span class="count">{count:,}</span>'
                       "</a></li>")
        out.append("</ul></section>")
    out.append("</nav>")
    return "".join(out)


def _hits(results: Results, state: PageState) -> str:
    if not results.hits:
        return '<ol class="hits"></ol>'
    first = (state.page - 1) * PER_PAGE + 1 if not state.like else 1
    out = [f'<ol class="hits" start="{first}">']
    for hit in results:
        fields = hit.fields
        title = hit.highlight("title", format="html", size=300, count=1) if fields.get("title") else _e(hit.id)
        meta = []
        date = fields.get("date")
        if date:
            text = date.isoformat() if isinstance(date, dt.date | dt.datetime) else str(date)
            meta.append(f'<time datetime="{_e(text)}">{_e(text[:10])}</time>')
        if fields.get("dateline"):
            meta.append(f'<span class="dateline">{_e(" ".join(str(fields["dateline"]).split()))}</span>')
        body = hit.highlight("body", format="html", size=220, count=2) if fields.get("body") else ""
        out.append(
            f'<li class="hit"><h3><a href="/documents/{_e(hit.id)}">{title}</a></h3>'
            f'<p class="meta">{" · ".join(meta)}</p>'
            f'<p class="fragment">{body}</p>'
            f'<p class="more"><a href="{_e(state.url(like=hit.id, q="", filters=(), page=1))}">More like this</a></p>'
            "</li>")
    out.append("</ol>")
    return "".join(out)


def _pager(results: Results, state: PageState) -> str:
    if state.like:
        return ""
    pages = min((results.total + PER_PAGE - 1) // PER_PAGE, MAX_PAGE)
    if pages <= 1:
        return ""
    out = ['<nav class="pager" aria-label="Pages">']
    if state.page > 1:
        out.append(f'<a rel="prev" href="{_e(state.url(page=state.page - 1))}">← Previous</a>')
    out.append(f'<span class="page">Page {state.page} of {pages:,}</span>')
    if state.page < pages:
        out.append(f'<a rel="next" href="{_e(state.url(page=state.page + 1))}">Next →</a>')
    out.append("</nav>")
    return "".join(out)


def render_page(searcher: Searcher, state: PageState, max_chars: int) -> str:
    """The whole page, its results rendered in."""
    hidden = "".join(f'<input type="hidden" name="filter" value="{_e(f)}">' for f in state.filters)
    title = f"{state.q} · searchcore" if state.q else "searchcore"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header>
<form id="search" action="/" method="get" role="search">
<a class="brand" href="/">searchcore</a>
<label class="q"><span class="visually-hidden">Search</span>
<input id="q" name="q" type="search" value="{_e(state.q)}" placeholder="Search the wire" autocomplete="off"
 list="completions" autofocus aria-describedby="keys"></label>
<datalist id="completions"></datalist>
<label class="date">From <input name="from" type="date" value="{_e(state.date_from)}"></label>
<label class="date">To <input name="to" type="date" value="{_e(state.date_to)}"></label>
{hidden}
<button type="submit">Search</button>
</form>
<p id="keys" class="keys">Press <kbd>/</kbd> to search, <kbd>Tab</kbd> through results.</p>
</header>
<main>
{render_results(searcher, state, max_chars)}
</main>
</body>
</html>
"""
