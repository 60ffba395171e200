"""Results and hits: what a search returns, with stored fields, highlighting and the total read lazily."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .. import highlight as highlighting
from ..analysis import Analyzer
from ..errors import ArgumentError, SchemaError
from ..index.reader import SegmentReader
from ..query import Node
from ..schema import TEXT, Schema
from .collectors import MatchCount
from .plan import QueryPlan, highlight_terms

if TYPE_CHECKING:
    from .explain import Explanation

_UNSET = object()


def answer(text: str | None, parsed: str, total: int, took_ms: float, hits: list[Any],
           facets: Mapping[str, list[tuple[str, int]]], warnings: list[str], **optional: Any) -> dict[str, Any]:
    """The JSON-ready answer of a search (``Results.summary``, and the sharded results' too): ``query``,
    ``parsed``, ``total``, ``took_ms`` and ``hits``, plus ``facets``, ``warnings`` and each of ``optional``
    when there are any."""
    out: dict[str, Any] = {"query": text, "parsed": parsed, "total": total, "took_ms": round(took_ms, 3),
                           "hits": hits}
    if facets:
        out["facets"] = {name: dict(counts) for name, counts in facets.items()}
    if warnings:
        out["warnings"] = warnings
    out.update((name, value) for name, value in optional.items() if value)
    return out


class DocAddress(NamedTuple):
    """Where a document is in the generation searched: internal, it changes when segments merge. A
    document's own name is its ID field (``Hit.id``)."""

    segment_ord: int
    doc_id: int  # the document's number inside its segment


class Source(Protocol):
    """What results ask of the snapshot that produced them."""

    def explain_hit(self, plan: QueryPlan, address: DocAddress) -> Explanation: ...

    def suggest(self, text: str, fields: Sequence[str] | None = None) -> str | None: ...


class Hit:
    """One result: the document's ID, its score and, on access, its stored fields and snippets."""

    __slots__ = ("score", "_segment_ord", "_doc_id", "_results", "_fields")

    def __init__(self, results: _HitContext, segment_ord: int, doc_id: int, score: float) -> None:
        self._results = results  # what hits share with their Results, which holds them (no cycle)
        self._segment_ord = segment_ord
        self._doc_id = doc_id
        self.score = score
        self._fields: dict | None = None

    @property
    def address(self) -> DocAddress:
        """Where the document is in the generation searched: internal, and changed by merges."""
        return DocAddress(self._segment_ord, self._doc_id)

    @property
    def fields(self) -> dict[str, Any]:
        """The stored fields of the document."""
        if self._fields is None:
            self._fields = self._results.segments[self._segment_ord].stored(self._doc_id)
        return self._fields

    @property
    def id(self) -> str | None:
        """The value of the schema's ID field: the document's name (``address`` is where it is)."""
        context = self._results
        return context.segments[self._segment_ord].doc_key(self._doc_id) if context.keyed else None

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def _highlighting(self, field: str) -> tuple[str, Any, frozenset[str]]:
        ftype = self._results.schema[field]
        if not isinstance(ftype, TEXT) or not ftype.stored:
            raise SchemaError(f"highlighting needs a stored TEXT field; {field!r} is not one")
        context = self._results
        return self.fields.get(field) or "", context.analyzers[field], context.highlight_terms.get(field, frozenset())

    def _text_source(self, field: str) -> tuple[object, str, int]:
        # names the stored text exactly: a segment's files never change
        return self._results.segments[self._segment_ord].files, field, self._doc_id

    def snippet(self, field: str = "body", length: int = 200, before: str = "**", after: str = "**") -> str:
        """A passage of the stored ``field`` around the matched words, marked with ``before``/``after``."""
        return highlighting.snippet(*self._highlighting(field), length, before, after)

    def highlight(self, field: str = "body", *, format: str = "text", size: int = 150, count: int = 3,
                  order: str = "text") -> str:
        """The best ``count`` fragments of the stored ``field``, matched words marked: ``format`` is
        "text" (``**word**``), "html" (escaped, ``<mark>word</mark>``), "ansi" (bold) or "plain"."""
        return highlighting.highlight(*self._highlighting(field), format=format, size=size, count=count,
                                      order=order, source=self._text_source(field))

    def matches(self, field: str = "body") -> list[highlighting.Match]:
        """Where the query's words occur in the stored ``field``: character offsets and index terms."""
        return highlighting.matches(*self._highlighting(field), source=self._text_source(field))

    def fragments(self, field: str = "body", *, size: int = 150, count: int = 3,
                  order: str = "text") -> list[highlighting.Fragment]:
        """The best fragments of the stored ``field`` as objects with offsets, for programs that format
        their own output."""
        return highlighting.fragments(*self._highlighting(field), size=size, count=count, order=order,
                                      source=self._text_source(field))

    def __repr__(self) -> str:
        return f"Hit(id={self.id!r}, score={self.score:.6g})"


class _HitContext:
    """What a hit needs from its search: the segments searched, the schema, and the terms to highlight per
    field (set, or gathered from the search's plan on first use: most searches never highlight)."""

    __slots__ = ("segments", "schema", "analyzers", "keyed", "plan", "_terms")

    def __init__(self, segments: Sequence[SegmentReader], schema: Schema, analyzers: Mapping[str, Analyzer],
                 plan: QueryPlan) -> None:
        # the generation searched: a hit still reads its own document after the searcher is refreshed
        self.segments = segments
        self.schema = schema
        self.analyzers = analyzers  # per TEXT field, the searched generation's (highlighting reads words)
        self.keyed = schema.id_field is not None
        self.plan = plan
        self._terms: dict[str, frozenset[str]] | None = None

    @property
    def highlight_terms(self) -> dict[str, frozenset[str]]:
        if self._terms is None:
            self._terms = highlight_terms(self.plan.root)
        return self._terms

    @highlight_terms.setter
    def highlight_terms(self, terms: dict[str, frozenset[str]]) -> None:
        self._terms = terms


class Results(Sequence[Hit]):
    """The hits of one search, best first, with the total number of matching documents.

    Args:
        source: the snapshot searched (explanations and suggestions come from it).
        segments: its segments.
        schema: their schema.
        analyzers: per TEXT field, the analyzer highlighting reads stored text with.
        plan: the search that ran.
        query: its query node.
        warnings: what parsing and planning repaired or left out.
        hits: (segment_ord, doc_id, score) of each hit, best first.
        count: the matches, counted or to count.
        facets: per KEYWORD field asked for, (value, count) pairs.
    """

    def __init__(self, source: Source, segments: Sequence[SegmentReader], schema: Schema,
                 analyzers: Mapping[str, Analyzer], plan: QueryPlan, query: Node, warnings: list[str],
                 hits: Iterable[tuple[int, int, float]] = (), count: MatchCount | None = None,
                 facets: dict[str, list[tuple[str, int]]] | None = None) -> None:
        self._source = source
        self._context = context = _HitContext(segments, schema, analyzers, plan)
        self.plan = plan
        self.query = query
        self.warnings = warnings
        self.hits: list[Hit] = [Hit(context, s, d, score) for s, d, score in hits]
        self._count = count if count is not None else MatchCount()
        self.took_ms = 0.0
        #: per KEYWORD field asked for: (value, count), the most frequent first
        self.facets: dict[str, list[tuple[str, int]]] = facets if facets is not None else {}
        self.text: str | None = None  # the query text, when the query was text
        self.fields: tuple[str, ...] = plan.fields
        self._suggestion: Any = _UNSET
        #: the pseudo-relevance feedback applied (an RM3), or None
        self.feedback: Any = None
        #: the terms feedback added, as the index holds them, with their weights (summing to 1)
        self.expansion: list[tuple[str, float]] = []

    @property
    def highlight_terms(self) -> dict[str, frozenset[str]]:
        """The index terms of the query per field: what snippets mark."""
        return self._context.highlight_terms

    @highlight_terms.setter
    def highlight_terms(self, terms: dict[str, frozenset[str]]) -> None:
        self._context.highlight_terms = terms

    def explain(self, hit: Hit) -> Explanation:
        """How ``hit`` got its score in this search: the plan that ranked it (its fields, operator,
        filters and scorer) explained for the hit's document. Its value equals ``hit.score``."""
        if hit._results is not self._context:
            raise ArgumentError("explain() takes a hit of these results")
        return self._source.explain_hit(self.plan, hit.address)

    @property
    def did_you_mean(self) -> str | None:
        """The query text with its absent or rare words corrected, or None (see Searcher.suggest)."""
        if not isinstance(self.text, str):
            return None
        if self._suggestion is _UNSET:
            self._suggestion = self._source.suggest(self.text, self.fields)
        return self._suggestion

    @property
    def total(self) -> int:
        """How many documents match (all of them, not only the hits); counted on first use where the
        top k was found without enumerating every match."""
        return self._count.value

    def summary(self, hits: list[Any]) -> dict[str, Any]:
        """The JSON-ready answer around ``hits`` (however the caller renders each hit): ``query``,
        ``parsed``, ``total``, ``took_ms`` and ``hits``, plus ``facets``, ``warnings`` and
        ``did_you_mean`` when there are any. ``search --json`` and the server's /search answer with it."""
        expansion = [{"term": term, "weight": round(weight, 6)} for term, weight in self.expansion]
        return answer(self.text, str(self.query), self.total, self.took_ms, hits, self.facets, self.warnings,
                      did_you_mean=self.did_you_mean, expansion=expansion or None)

    @property
    def total_pending(self) -> bool:
        """Whether :attr:`total` still has matches to count: MaxScore found the best hits without
        enumerating every match of some segment, and counts them when the total is first read."""
        return self._count.pending > 0

    def __getitem__(self, i):  # type: ignore[override]
        return self.hits[i]

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __repr__(self) -> str:
        return f"<Results {len(self.hits)} of {self.total} for {str(self.query)!r}>"


