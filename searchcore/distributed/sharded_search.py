"""ShardedSearcher: a search over every shard, scored with the whole collection's statistics.

Searching works like Elasticsearch's dfs_query_then_fetch, made the default:

1. **probe**: every shard plans the query and reports the statistics it needs (document frequencies,
   documents per field set, field lengths) with its own values, and what its prefix, wildcard and fuzzy
   terms expand to. Expansions are combined (the union, sorted and capped as one index caps them); when
   they differ from a shard's own, the shards report their values again for the combined expansions.
2. The values are summed: shards are disjoint, so these are the counts of the whole collection.
3. **search**: every shard scores with those statistics and returns its best ``offset + limit`` hits
   (with their sort keys), its match count and its full facet counts.
4. The hits are merged (by score, or by the sort field then score), the page cut out, and **fetch**
   reads the stored fields of the page's hits only, from the generation that was searched.

Each step is one Dask task per shard, for one query or a whole batch (``search_many``). A shard's tasks
go to the same worker while it lives, so that the shard stays open there between queries; the scheduler
runs a task again on another worker if its worker dies. A shard that fails raises :class:`ShardError`
naming it, unless the search allows a partial answer, which then says which shards are missing.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .. import highlight as highlighting
from ..errors import ArgumentError, SchemaError, SearchcoreError
from ..query import parse
from ..schema import TEXT, Schema
from ..search.feedback import RM3, expanded_query, relevance_model
from ..search.feedback import settings as feedback_settings
from ..search.results import answer
from . import tasks
from .cluster import CALLER_ERRORS, ShardError, workers_of
from .stats import summed

#: how often a search starts again when a shard commits between its steps
RETRIES_ON_COMMIT = 5


class ShardedSearcher:
    """Searches every shard of a sharded index with the whole collection's statistics.

    Hits, scores, totals, facets, sorting and paging equal a single index's holding the same documents
    (ties in score may come in another order: a single index orders them by position in the index).

    Args:
        six: the sharded index (a :class:`~.sharded.ShardedIndex`).
        client: a ``dask.distributed.Client``.
        allow_partial: answer from the shards that can, rather than raise :class:`ShardError`; the
            results list the others in ``missing_shards`` (and score without their statistics).
    """

    def __init__(self, six: Any, client: Any, allow_partial: bool = False) -> None:
        self.six = six
        self.client = client
        self.allow_partial = allow_partial
        self.max_expansions = 1024
        self.schema = six.schema
        self._paths = [str(six.shard_path(n)) for n in range(six.shards)]
        self.default_fields = self.schema.text_fields

    def __enter__(self) -> ShardedSearcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release here: the shards stay open on the workers for the next searcher."""

    # -- the API of a local Searcher ----------------------------------------------------------------------
    def search(self, query: str | Any, limit: int = 10, fields: Sequence[str] | None = None, *, offset: int = 0,
               filter: Any = None, sort: str | None = None, facets: Sequence[str] | str = (),
               strict: bool = False, default_operator: str = "OR",
               allow_partial: bool | None = None, feedback: bool | RM3 | None = None) -> ShardedResults:
        """The best ``limit`` hits after ``offset``: the arguments of :meth:`searchcore.Searcher.search`."""
        partial = self.allow_partial if allow_partial is None else allow_partial
        rm3 = feedback_settings(feedback)
        if rm3 is not None:
            return self._search_with_feedback(rm3, query, limit, fields, offset, filter, sort, facets, strict,
                                              default_operator, partial)
        request = _request(query, limit, fields, offset, filter, sort, facets, strict, default_operator)
        return self._run([request], partial)[0]

    def _search_with_feedback(self, rm3: RM3, query, limit, fields, offset, filter, sort, facets, strict,
                              default_operator, partial) -> ShardedResults:
        """RM3 over the shards: the first pass, the feedback documents' terms from the shards holding them,
        the candidate terms' document frequencies summed over every shard, then the expanded query."""
        started = time.perf_counter()
        first = self.search(query, rm3.docs, fields, filter=filter, strict=strict,
                            default_operator=default_operator, allow_partial=partial)
        node = query if not isinstance(query, str) else parse(query, self.schema, strict=strict,
                                                              default_operator=default_operator).node
        top = [hit for hit in first if hit.score > 0]
        by_shard: dict[int, list[int]] = {}
        for i, hit in enumerate(top):
            by_shard.setdefault(hit.shard, []).append(i)
        vectors: list[dict[str, int]] = [{} for _ in top]
        found = self._document_terms(top, by_shard, first.fields, partial)
        for number, terms in found.items():
            for i, vector in zip(by_shard[number], terms):
                vectors[i] = vector
        candidates = sorted(set().union(*vectors)) if vectors else []
        counts = self._each(list(range(self.six.shards)), tasks.term_counts, candidates, list(first.fields),
                            partial=partial)
        doc_count = sum(n for n, _ in counts.values())
        doc_freqs = {term: sum(freqs[i] for _, freqs in counts.values()) for i, term in enumerate(candidates)}
        terms = relevance_model(rm3, [(hit.score, vector) for hit, vector in zip(top, vectors)],
                                doc_freqs.__getitem__, doc_count)
        words = set().union(*top[0]._terms.values()) if top else set()
        results = self.search(expanded_query(node, len(words), rm3, terms), limit, first.fields, offset=offset,
                              filter=filter, sort=sort, facets=facets, default_operator=default_operator,
                              allow_partial=partial)
        results.text = query if isinstance(query, str) else None
        results.feedback, results.expansion = rm3, terms
        results.took_ms = (time.perf_counter() - started) * 1e3
        return results

    def _document_terms(self, top: list, by_shard: dict[int, list[int]], fields: Sequence[str],
                        partial: bool) -> dict[int, list[dict[str, int]]]:
        workers = workers_of(self.client)
        futures = {n: self._submit(n, tasks.document_terms, self._paths[n], [top[i].id for i in positions],
                                   list(fields), workers=workers) for n, positions in by_shard.items()}
        out = {}
        for number, future in futures.items():
            try:
                out[number] = self._result(number, future)
            except ShardError:
                if not partial:
                    raise
        return out

    def search_many(self, queries: Iterable[str | Any], limit: int = 10,
                    fields: Sequence[str] | None = None) -> list[ShardedResults]:
        """Many queries, each step one task per shard for the whole batch; each result equals
        ``search(query, limit, fields)``."""
        requests = [_request(q, limit, fields, 0, None, None, (), False, "OR") for q in queries]
        return self._run(requests, self.allow_partial) if requests else []

    def document(self, doc_id: str) -> dict | None:
        """The stored fields of the document with this ID, or None."""
        number = self.six.shard_of(doc_id)
        future = self._submit(number, tasks.document, self._paths[number], str(doc_id))
        return self._result(number, future)

    @property
    def doc_count(self) -> int:
        """The live documents over every shard, as the workers see them now."""
        futures = {n: self._submit(n, tasks.doc_count, self._paths[n]) for n in range(self.six.shards)}
        return sum(self._result(n, f) for n, f in futures.items())

    def refresh(self) -> bool:
        """Nothing to do: every search reads each shard's latest commit (so False, as for a searcher that
        is up to date)."""
        return False

    def more_like_this(self, doc_id: str, limit: int = 10, **options) -> ShardedResults:
        raise SearchcoreError("more-like-this across shards is not available yet: search one shard's index")

    def complete(self, text: str, limit: int = 8, fields: Sequence[str] | None = None) -> list[str]:
        raise SearchcoreError("completions across shards are not available yet")

    # -- the steps ----------------------------------------------------------------------------------------
    def _submit(self, number: int, function, *args, workers: list[str] | None = None):
        workers = workers or workers_of(self.client)
        return self.client.submit(function, *args, pure=False, workers=[workers[number % len(workers)]],
                                  allow_other_workers=True)

    def _result(self, number: int, future):
        try:
            return future.result()
        except CALLER_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - named for the caller
            raise ShardError(number, self._paths[number], exc) from None

    def _each(self, numbers: Sequence[int], function, *args, per_shard=None, partial: bool = False) -> dict[int, Any]:
        """Run ``function(path, *args)`` on each shard of ``numbers`` (``per_shard(n)`` adds arguments);
        a failing shard raises ShardError, or with ``partial`` is left out of the answer."""
        workers = workers_of(self.client)
        futures = {n: self._submit(n, function, self._paths[n], *(per_shard(n) if per_shard else ()), *args,
                                   workers=workers) for n in numbers}
        out = {}
        first_error = None
        for number, future in futures.items():
            try:
                out[number] = self._result(number, future)
            except ShardError as exc:
                if exc.stale:
                    raise
                first_error = first_error or exc
        if first_error is not None and not partial:
            raise first_error
        return out

    def _run(self, requests: list[dict], partial: bool) -> list[ShardedResults]:
        for request in requests:  # the syntax is checked here: a bad query fails before any task runs
            for text in (request["query"], *_filters(request["filter"])):
                if isinstance(text, str) and request["strict"]:
                    parse(text, self.schema, strict=True, default_operator=request["operator"])
        for _ in range(RETRIES_ON_COMMIT - 1):
            try:
                return self._once(requests, partial)
            except ShardError as exc:
                if not exc.stale:
                    raise
        return self._once(requests, partial)

    def _once(self, requests: list[dict], partial: bool) -> list[ShardedResults]:
        started = time.perf_counter()
        numbers = list(range(self.six.shards))
        probes = self._each(numbers, tasks.probe, requests, None, self.max_expansions, partial=partial)
        live = sorted(probes)
        if not live:
            raise ShardError(0, str(self.six.path), SearchcoreError("no shard answered"))
        vector = tuple(probes[n]["generation"] if n in probes else -1 for n in numbers)
        totals = [probes[n]["totals"] for n in live]

        # expansions: the union over the shards, sorted and capped as one index caps them
        expansions = []
        again = []
        for i in range(len(requests)):
            merged: dict[tuple, set[str]] = {}
            for n in live:
                for node, field, terms in probes[n]["queries"][i]["expanded"]:
                    merged.setdefault((node, field), set()).update(terms)
            combined = {key: sorted(terms)[: self.max_expansions] for key, terms in merged.items()}
            expansions.append([(node, field, terms) for (node, field), terms in combined.items()])
            same_keys = len({frozenset(probes[n]["queries"][i]["values"]) for n in live}) == 1
            own = ({(node, field): sorted(t) for node, field, t in probes[n]["queries"][i]["expanded"]} for n in live)
            if not same_keys or any(expanded != combined for expanded in own):
                again.append(i)
        values = [summed(probes[n]["queries"][i]["values"] for n in live) for i in range(len(requests))]
        if again:  # planned again over the combined expansions, each shard reports its values for them
            subset = [requests[i] for i in again]
            redo = self._each(live, tasks.probe, subset, [expansions[i] for i in again], self.max_expansions,
                              partial=partial)
            for j, i in enumerate(again):
                values[i] = summed(redo[n]["queries"][j]["values"] for n in redo)

        searched = self._each(
            live, tasks.search, totals,
            [{**r, "values": values[i], "expansions": expansions[i]} for i, r in enumerate(requests)],
            self.max_expansions, per_shard=lambda n: (n, vector), partial=partial)
        answered = sorted(searched)
        missing = [n for n in numbers if n not in answered]

        pages = []
        wanted: dict[int, list[tuple[int, int]]] = {}
        for i, request in enumerate(requests):
            merged_hits = []
            for n in answered:
                for rank, (score, key, seg, doc, doc_id) in enumerate(searched[n][i]["hits"]):
                    merged_hits.append((score, key, n, rank, seg, doc, doc_id))
            merged_hits = _ordered(merged_hits, request["sort"])
            page = merged_hits[request["offset"] : request["offset"] + request["limit"]]
            pages.append(page)
            for _, _, n, _, seg, doc, _ in page:
                wanted.setdefault(n, []).append((seg, doc))
        fetched = self._each(sorted(wanted), tasks.fetch, per_shard=lambda n: (vector, wanted[n]), partial=partial)
        stored = {n: dict(zip(wanted[n], fetched[n])) for n in fetched}

        out = []
        took = (time.perf_counter() - started) * 1e3 / len(requests)
        for i, request in enumerate(requests):
            first = searched[answered[0]][i] if answered else {}
            facets = {}
            for name in request["facets"]:
                counts: Counter = Counter()
                for n in answered:
                    counts.update(dict(searched[n][i]["facets"].get(name, [])))
                facets[name] = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            hits = [ShardedHit(doc_id, score, n, stored.get(n, {}).get((seg, doc)), self.schema,
                               first.get("highlight", {}))
                    for score, _, n, _, seg, doc, doc_id in pages[i]]
            results = ShardedResults(hits, sum(searched[n][i]["total"] for n in answered), facets,
                                     list(first.get("warnings", [])), missing, request["query"],
                                     first.get("parsed", ""), tuple(first.get("fields", ())))
            results.took_ms = took
            out.append(results)
        return out

def _filters(filter: Any) -> list:
    if filter is None:
        return []
    return list(filter) if isinstance(filter, list | tuple) else [filter]


def _request(query, limit, fields, offset, filter, sort, facets, strict, default_operator) -> dict:
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ArgumentError(f"{name} must be an int >= 0, got {value!r}")
    return {"query": query, "limit": limit, "offset": offset, "fields": None if fields is None else tuple(fields),
            "filter": filter, "sort": sort, "facets": (facets,) if isinstance(facets, str) else tuple(facets),
            "strict": strict, "operator": default_operator}


def _ordered(hits: list[tuple], sort: str | None) -> list[tuple]:
    """Hits of every shard in one order: by score (ties by shard, then each shard's own order), or by the
    sort field's value, documents without one last, ties by score (sorts are stable, also reversed)."""
    hits.sort(key=lambda h: (-h[0], h[2], h[3]))
    if sort is None:
        return hits
    valued = sorted((h for h in hits if h[1] is not None), key=lambda h: h[1], reverse=sort.startswith("-"))
    return valued + [h for h in hits if h[1] is None]


class ShardedHit:
    """One hit of a sharded search: the :class:`searchcore.Hit` API, with the shard it came from."""

    __slots__ = ("id", "score", "shard", "_fields", "_schema", "_terms")

    def __init__(self, doc_id: str, score: float, shard: int, fields: dict | None, schema: Schema,
                 terms: Mapping[str, Sequence[str]]) -> None:
        self.id = doc_id
        self.score = score
        self.shard = shard
        self._fields = fields or {}
        self._schema = schema
        self._terms = terms

    @property
    def fields(self) -> dict[str, Any]:
        """The stored fields of the document."""
        return self._fields

    def __getitem__(self, name: str) -> Any:
        return self._fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._fields.get(name, default)

    def _highlighting(self, field: str):
        ftype = self._schema[field]
        if not isinstance(ftype, TEXT) or not ftype.stored:
            raise SchemaError(f"highlighting needs a stored TEXT field; {field!r} is not one")
        return self._fields.get(field) or "", ftype.analyzer, frozenset(self._terms.get(field, ()))

    def highlight(self, field: str = "body", *, format: str = "text", size: int = 150, count: int = 3,
                  order: str = "text") -> str:
        return highlighting.highlight(*self._highlighting(field), format=format, size=size, count=count,
                                      order=order)

    def snippet(self, field: str = "body", length: int = 200, before: str = "**", after: str = "**") -> str:
        return highlighting.snippet(*self._highlighting(field), length, before, after)

    def matches(self, field: str = "body") -> list[highlighting.Match]:
        return highlighting.matches(*self._highlighting(field))

    def fragments(self, field: str = "body", *, size: int = 150, count: int = 3,
                  order: str = "text") -> list[highlighting.Fragment]:
        return highlighting.fragments(*self._highlighting(field), size=size, count=count, order=order)

    def __repr__(self) -> str:
        return f"ShardedHit(id={self.id!r}, score={self.score:.6g}, shard={self.shard})"


class ShardedResults(Sequence[ShardedHit]):
    """The hits of one sharded search, best first, with the :class:`searchcore.Results` API."""

    def __init__(self, hits: list[ShardedHit], total: int, facets: dict[str, list[tuple[str, int]]],
                 warnings: list[str], missing_shards: list[int], query: Any, parsed: str,
                 fields: tuple[str, ...]) -> None:
        self.hits = hits
        self.total = total
        self.facets = facets
        self.warnings = warnings
        #: the shards that did not answer (only with allow_partial): their documents are not in the hits
        self.missing_shards = missing_shards
        self.text = query if isinstance(query, str) else None
        self.query = parsed
        self.fields = fields
        self.took_ms = 0.0
        self.did_you_mean: str | None = None
        self.feedback: RM3 | None = None
        self.expansion: list[tuple[str, float]] = []
        if missing_shards:
            self.warnings = [*warnings, f"shards {missing_shards} did not answer: their documents are missing and "
                                        f"scores use the statistics of the others"]

    def summary(self, hits: list[Any]) -> dict[str, Any]:
        """The JSON-ready answer, the shape of ``search --json`` and the server's /search."""
        expansion = [{"term": term, "weight": round(weight, 6)} for term, weight in self.expansion]
        return answer(self.text, self.query, self.total, self.took_ms, hits, self.facets, self.warnings,
                      missing_shards=self.missing_shards, expansion=expansion or None)

    def __getitem__(self, i):  # type: ignore[override]
        return self.hits[i]

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[ShardedHit]:
        return iter(self.hits)

    def __repr__(self) -> str:
        return f"<ShardedResults {len(self.hits)} of {self.total} for {self.query!r}>"
