"""A django-haystack backend: searchcore behind haystack's SearchQuerySet, switched to by one setting::

    HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "searchcore.contrib.haystack.SearchcoreEngine",
                                        "PATH": BASE_DIR / "search_index"}}

Optional settings of a connection: ``LOCK_TIMEOUT`` (seconds a write waits for another writer: 60).

Haystack's query tree (``SQ`` nodes and their lookups) becomes searchcore query *nodes*, never query text,
so what a user typed stays inside the clause it was given to. The schema is built from the registered
``SearchIndex`` classes: the ``document=True`` field and the other text fields are TEXT, faceted and
multi-valued fields KEYWORD, numbers NUMERIC, dates DATE, booleans KEYWORD ("true"/"false"), fields with
``indexed=False`` STORED; haystack's ``id``, ``django_ct`` and ``django_id`` are the ID and two KEYWORDs.
``EdgeNgramField``/``NgramField`` are TEXT searched by prefix (``autocomplete()``), which needs no n-grams
in the index. A changed schema needs ``rebuild_index``.

Needs the ``haystack`` extra (django and django-haystack).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from haystack.backends import BaseEngine, BaseSearchBackend, BaseSearchQuery, SearchNode, log_query
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError
from haystack.inputs import AutoQuery, BaseInput, Clean, Exact, PythonData, Raw
from haystack.models import SearchResult
from haystack.utils import get_identifier, get_model_ct
from haystack.utils import log as logging

from .. import query as q
from ..engine import Index
from ..errors import SearchcoreError
from ..schema import DATE, ID as ID_FIELD, KEYWORD, NUMERIC, STORED, TEXT, Schema

log = logging.getLogger("haystack")

#: never a content type ("app.model" always has a dot): the clause a match-all query excludes
_NO_CONTENT_TYPE = "none"
_TRUE, _FALSE = "true", "false"


def _match_all() -> q.Node:
    """Every document: a Bool of one excluded clause that no document matches."""
    return q.Bool(must_not=(q.Term(_NO_CONTENT_TYPE, DJANGO_CT),))


class SearchcoreSearchBackend(BaseSearchBackend):
    """Indexing and searching for haystack, over one searchcore index at the connection's ``PATH``."""

    def __init__(self, connection_alias, **connection_options):
        super().__init__(connection_alias, **connection_options)
        if not connection_options.get("PATH"):
            raise SearchBackendError(f"connection {connection_alias!r} needs a PATH: the index directory")
        self.path = Path(connection_options["PATH"])
        self.lock_timeout = float(connection_options.get("LOCK_TIMEOUT", 60))
        self.setup_complete = False
        self.schema: Schema | None = None
        self.content_field_name = "text"
        self.kinds: dict[str, str] = {}  # field name -> haystack field type (to turn stored values back)
        self.multivalued: set[str] = set()
        self._index: Index | None = None
        self._searcher = None  # kept across searches, moved to the latest commit before each
        self._lock = threading.Lock()

    # -- schema -------------------------------------------------------------------------------------------
    def setup(self) -> None:
        from haystack import connections

        fields = connections[self.connection_alias].get_unified_index().all_searchfields()
        self.content_field_name, self.schema = self.build_schema(fields)
        if not Index.exists(self.path):
            Index.create(self.path, self.schema)
        self.setup_complete = True

    def build_schema(self, fields) -> tuple[str, Schema]:
        """(the document field's name, the searchcore schema) of haystack's search fields."""
        out: dict[str, Any] = {ID: ID_FIELD(stored=True), DJANGO_CT: KEYWORD(stored=True),
                               DJANGO_ID: KEYWORD(stored=True)}
        content = ""
        for field in fields.values():
            name = field.index_fieldname
            kind = field.field_type
            self.kinds[name] = kind
            if field.is_multivalued:
                self.multivalued.add(name)
            if field.document:
                content = name
            if not field.indexed:
                out[name] = STORED()
            elif kind in ("string", "edge_ngram", "ngram"):
                # exact values: a list (MultiValueField), or the facet twin haystack adds (desk_exact)
                exact = field.is_multivalued or type(field).__name__.startswith("Facet")
                out[name] = KEYWORD(stored=True) if exact and not field.document else TEXT(stored=True)
            elif kind in ("integer", "float", "decimal"):
                out[name] = NUMERIC(stored=True)
            elif kind in ("date", "datetime"):
                out[name] = DATE(stored=True)
            elif kind == "boolean":
                out[name] = KEYWORD(stored=True)
            else:
                raise SearchBackendError(f"field {name!r}: haystack's {kind!r} fields are not supported by "
                                         "searchcore")
        if not content:
            raise SearchBackendError("no field has document=True: the search index needs one")
        return content, Schema(**out)

    @property
    def index(self) -> Index:
        if not self.setup_complete:
            self.setup()
        if self._index is None:
            self._index = Index.open(self.path)
        return self._index

    def searcher(self):
        """The connection's searcher, refreshed to the latest commit (from any process): opening one for
        every query would read the manifest and map the segments each time."""
        with self._lock:
            if self._searcher is None:
                self._searcher = self.index.searcher()
            else:
                self._searcher.refresh()
            return self._searcher

    # -- writing ------------------------------------------------------------------------------------------
    def update(self, index, iterable, commit=True) -> None:
        ix = self.index
        with ix.writer(lock_timeout=self.lock_timeout) as writer:
            for obj in iterable:
                try:
                    prepared = index.full_prepare(obj)
                except Exception:  # noqa: BLE001 - haystack's own backends skip an object that will not prepare
                    if not self.silently_fail:
                        raise
                    log.error("searchcore: preparing %s failed", get_identifier(obj), exc_info=True)
                    continue
                writer.update_document(**self._document(prepared))

    def _document(self, prepared: dict) -> dict:
        doc = {}
        for name, value in prepared.items():
            if name not in self.schema or value is None or value == []:
                continue
            ftype = self.schema[name]
            if isinstance(value, decimal.Decimal):
                value = float(value)
            if isinstance(ftype, KEYWORD):  # written as a query value is (_text), so lookups find it
                values = value if isinstance(value, list | tuple | set) else [value]
                value = [_text(v) for v in values]
            elif isinstance(ftype, TEXT):
                value = " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            elif isinstance(ftype, ID_FIELD):
                value = str(value)
            elif isinstance(ftype, NUMERIC) and isinstance(value, bool):
                value = int(value)
            doc[name] = value
        return doc

    def remove(self, obj_or_string, commit=True) -> None:
        with self.index.writer(lock_timeout=self.lock_timeout) as writer:
            writer.delete_document(get_identifier(obj_or_string))

    def clear(self, models=None, commit=True) -> None:
        if not models:
            if Index.exists(self.path):
                Index.delete(self.path, lock_timeout=self.lock_timeout)
            self.setup_complete, self._index, self._searcher = False, None, None
            self.setup()
            return
        ix = self.index
        searcher = self.searcher()
        cts = [get_model_ct(model) for model in models]
        node = q.Or(*(q.Term(ct, DJANGO_CT) for ct in cts))
        total = searcher.search(node, limit=0).total
        doomed = [hit.id for hit in searcher.search(node, limit=total)]
        with ix.writer(lock_timeout=self.lock_timeout) as writer:
            for doc_id in doomed:
                writer.delete_document(doc_id)

    # -- searching ----------------------------------------------------------------------------------------
    @log_query
    def search(self, query_string, sort_by=None, start_offset=0, end_offset=None, fields="", highlight=False,
               facets=None, date_facets=None, query_facets=None, narrow_queries=None, spelling_query=None,
               within=None, dwithin=None, distance_point=None, models=None, limit_to_registered_models=None,
               result_class=None, **kwargs) -> dict:
        if within or dwithin or distance_point:
            raise SearchBackendError("searchcore has no spatial search")
        node = query_string if isinstance(query_string, q.Node) else (
            _match_all() if query_string in ("*", "", None) else q.parse(str(query_string), self.schema).node)
        filters = [self._models_filter(models, limit_to_registered_models)]
        filters += [narrow if isinstance(narrow, q.Node) else str(narrow) for narrow in (narrow_queries or ())]
        filters = [f for f in filters if f is not None]
        sort = None
        for field in sort_by or ():
            if field.lstrip("-") != "score":
                sort = field
                break  # searchcore sorts by one field, then by score
        limit = None if end_offset is None else max(0, end_offset - start_offset)
        searcher = self.searcher()
        total = searcher.search(node, limit=0, filter=filters).total if limit is None else None
        results = searcher.search(node, limit=limit if limit is not None else max(total - start_offset, 0),
                                  offset=start_offset, filter=filters, sort=sort,
                                  facets=list(facets or ()))
        out = {"results": [self._result(hit, highlight, result_class) for hit in results],
               "hits": results.total, "facets": self._facets(searcher, node, filters, results, date_facets,
                                                           query_facets),
               "spelling_suggestion": None}
        if self.include_spelling:
            text = spelling_query or (query_string if isinstance(query_string, str) else None)
            out["spelling_suggestion"] = searcher.suggest(text) if text else None
        return out

    def _models_filter(self, models, limit_to_registered_models) -> q.Node | None:
        if limit_to_registered_models is None:
            limit_to_registered_models = getattr(settings, "HAYSTACK_LIMIT_TO_REGISTERED_MODELS", True)
        if models:
            cts = sorted(get_model_ct(model) for model in models)
        elif limit_to_registered_models:
            cts = self.build_models_list()
        else:
            return None
        return q.Or(*(q.Term(ct, DJANGO_CT) for ct in cts)) if cts else q.Term(_NO_CONTENT_TYPE, DJANGO_CT)

    def _facets(self, searcher, node, filters, results, date_facets, query_facets) -> dict:
        facets: dict[str, dict] = {"fields": {name: list(counts) for name, counts in results.facets.items()},
                                   "dates": {}, "queries": {}}
        for field, query in query_facets or ():
            clause = query if isinstance(query, q.Node) else q.parse(f"{field}:({query})", self.schema).node
            facets["queries"][f"{field}_{query}"] = searcher.search(node, limit=0, filter=[*filters, clause]).total
        for field, spec in (date_facets or {}).items():
            facets["dates"][field] = self._date_buckets(searcher, node, filters, field, spec)
        return facets

    def _date_buckets(self, searcher, node, filters, field, spec) -> list[tuple[dt.datetime, int]]:
        start, end = spec["start_date"], spec["end_date"]
        gap, amount = spec.get("gap_by", "day"), int(spec.get("gap_amount", 1))
        buckets = []
        at = start
        while at < end:
            after = _add_gap(at, gap, amount)
            clause = q.Range(field, at.isoformat(), min(after, end).isoformat(), True, False)
            buckets.append((at, searcher.search(node, limit=0, filter=[*filters, clause]).total))
            at = after
        return buckets

    def _result(self, hit, highlight, result_class):
        stored = dict(hit.fields)
        app_label, model_name = str(stored.pop(DJANGO_CT)[0]).split(".")
        pk = stored.pop(DJANGO_ID)[0]
        stored.pop(ID, None)
        values = {name: self._to_python(name, value) for name, value in stored.items()}
        if highlight:
            values["highlighted"] = {self.content_field_name: [
                hit.highlight(self.content_field_name, format="html", size=150, count=3)]}
        return (result_class or SearchResult)(app_label, model_name, pk, hit.score, **values)

    def _to_python(self, name: str, value: Any) -> Any:
        kind = self.kinds.get(name)
        if kind == "boolean":
            return value == [_TRUE] if isinstance(value, list) else value
        if isinstance(value, list) and name not in self.multivalued:
            return value[0] if value else None  # one exact value, held as a KEYWORD list
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            return int(value)
        if kind == "decimal" and isinstance(value, float):
            return decimal.Decimal(str(value))
        if kind in ("date", "datetime") and isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            return parsed.date() if kind == "date" else parsed.replace(tzinfo=None) if not settings.USE_TZ else parsed
        return value

    def more_like_this(self, model_instance, additional_query_string=None, start_offset=0, end_offset=None,
                       models=None, limit_to_registered_models=None, result_class=None, **kwargs) -> dict:
        filters = [self._models_filter(models, limit_to_registered_models)]
        if additional_query_string and additional_query_string != "*":
            filters.append(str(additional_query_string))
        limit = (end_offset or 20) - start_offset
        searcher = self.searcher()
        try:
            results = searcher.more_like_this(get_identifier(model_instance), limit=start_offset + limit,
                                              fields=[self.content_field_name],
                                              filter=[f for f in filters if f is not None])
        except SearchcoreError as exc:
            if not self.silently_fail:
                raise
            log.error("searchcore: more like this failed: %s", exc)
            return {"results": [], "hits": 0}
        hits = list(results)[start_offset:]
        return {"results": [self._result(hit, False, result_class) for hit in hits], "hits": results.total}


def _add_gap(at: dt.datetime, gap: str, amount: int) -> dt.datetime:
    if gap == "year":
        return at.replace(year=at.year + amount)
    if gap == "month":
        month = at.month - 1 + amount
        return at.replace(year=at.year + month // 12, month=month % 12 + 1)
    return at + dt.timedelta(**{f"{gap}s": amount})


class SearchcoreSearchQuery(BaseSearchQuery):
    """Haystack's query tree turned into searchcore query nodes (never into query text)."""

    def build_query(self) -> q.Node:
        backend: SearchcoreSearchBackend = self.backend
        if not backend.setup_complete:
            backend.setup()
        node = self._node(self.query_filter)
        if node is None:
            node = _match_all()
        if self.boost:
            node = q.Bool(should=tuple(q.Boost(q.Term(word), float(value)) for word, value in self.boost.items()),
                          must=(node,), must_not=())
        return node

    def _node(self, tree: SearchNode) -> q.Node | None:
        parts = []
        for child in tree.children:
            if isinstance(child, SearchNode):
                part = self._node(child)
            else:
                expression, value = child
                field, filter_type = tree.split_expression(expression)
                part = self.build_query_fragment(field, filter_type, value)
            if part is not None:
                parts.append(part)
        if not parts:
            return None
        node = parts[0] if len(parts) == 1 else (q.Or(*parts) if tree.connector == "OR" else q.And(*parts))
        return q.Not(node) if tree.negated else node

    def build_query_fragment(self, field, filter_type, value) -> q.Node | None:
        backend: SearchcoreSearchBackend = self.backend
        schema = backend.schema
        if field == "content":
            field = backend.content_field_name
        if field not in schema:
            raise SearchBackendError(f"no field {field!r} in the search index")
        ftype = schema[field]
        if isinstance(value, BaseInput) and not isinstance(value, (AutoQuery, Exact, Clean, Raw, PythonData)):
            value = value.query_string
        if isinstance(value, Raw):
            return q.parse(f"{field}:({value.query_string})", schema).node
        if isinstance(value, AutoQuery):
            return _scoped(q.parse(value.query_string, schema).node, field)
        if isinstance(value, (Exact, Clean, PythonData)):
            exact = isinstance(value, Exact)
            value = value.query_string
            if exact:
                filter_type = "exact"
        text_value = _text(value)
        gram = backend.kinds.get(field)
        if filter_type in ("content", "contains") and gram in ("edge_ngram", "ngram"):
            # autocomplete: each word typed is the start (an n-gram field: any part) of an indexed word
            words = [w for w in text_value.split() if w]
            parts = [q.Prefix(w, field) if gram == "edge_ngram" else q.Wildcard(f"*{_escape_wildcard(w)}*", field)
                     for w in words]
            return None if not parts else parts[0] if len(parts) == 1 else q.And(*parts)
        if filter_type in ("content", "contains"):
            if isinstance(ftype, TEXT):
                words = text_value.split()
                if not words:
                    return None
                return q.And(*(q.Term(word, field) for word in words)) if len(words) > 1 else q.Term(words[0], field)
            return q.Term(text_value, field)
        if filter_type == "exact":
            return q.Phrase(text_value, field) if isinstance(ftype, TEXT) else q.Term(text_value, field)
        if filter_type in ("gt", "gte", "lt", "lte"):
            low = text_value if filter_type in ("gt", "gte") else None
            high = text_value if filter_type in ("lt", "lte") else None
            return q.Range(field, low, high, filter_type == "gte", filter_type == "lte")
        if filter_type == "in":
            values = [_text(v) for v in value]
            if not values:
                return q.Term(_NO_CONTENT_TYPE, DJANGO_CT)  # nothing is in an empty list
            terms = [q.Phrase(v, field) if isinstance(ftype, TEXT) else q.Term(v, field) for v in values]
            return q.Or(*terms) if len(terms) > 1 else terms[0]
        if filter_type == "range":
            low, high = value
            return q.Range(field, _text(low), _text(high), True, True)
        if filter_type == "startswith":
            return q.Prefix(text_value, field)
        if filter_type == "endswith":
            return q.Wildcard("*" + _escape_wildcard(text_value), field)
        if filter_type == "fuzzy":
            return q.Fuzzy(text_value, field)
        raise SearchBackendError(f"the lookup {filter_type!r} is not supported")

    def clean(self, query_fragment):
        return query_fragment  # values go into query nodes whole: nothing to escape

    def matching_all_fragment(self):
        return _match_all()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(float(value))
    return str(value)


def _escape_wildcard(text: str) -> str:
    return "".join("\\" + ch if ch in "*?\\" else ch for ch in text)


def _scoped(node: q.Node, field: str) -> q.Node:
    """``node`` with every clause that names no field given ``field``."""
    if isinstance(node, q.Bool):
        return q.Bool(should=tuple(_scoped(n, field) for n in node.should),
                      must=tuple(_scoped(n, field) for n in node.must),
                      must_not=tuple(_scoped(n, field) for n in node.must_not))
    if isinstance(node, q.Boost):
        return q.Boost(_scoped(node.node, field), node.factor)
    if hasattr(node, "field") and getattr(node, "field", None) is None and not isinstance(node, q.Range):
        return dataclasses.replace(node, field=field)
    return node


class SearchcoreEngine(BaseEngine):
    backend = SearchcoreSearchBackend
    query = SearchcoreSearchQuery


__all__ = ["SearchcoreEngine", "SearchcoreSearchBackend", "SearchcoreSearchQuery"]
