"""Searcher: runs a query over one committed generation and returns the top hits by BM25/BM25F.

Statistics (N, doc_freq, avg_doc_len) are global over all segments, so a document's score never
depends on how the index is split into segments. Each segment is scored with array operations:
a posting list is a slice, a field's contribution one ``bincount``, top-k one ``argpartition``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._types import SCORE
from .errors import SchemaError
from . import sparse
from .highlight import snippet as make_snippet
from .evaluate import ScratchPool, evaluate
from .explain import Explanation, explain_plan
from .maxscore import top_k_disjunction
from .index.manifest import read_manifest
from .index.reader import IndexReader, SegmentReader, TextReader
from .query import Bool, Node, Phrase, Term, parse
from .schema import ID, KEYWORD, TEXT
from .scoring.bm25 import BM25, idf, length_norms


@dataclass(frozen=True)
class _Clause:
    """A Term or Phrase resolved against the index: terms per field, and its global idf."""

    fields: tuple[str, ...]
    terms: tuple[tuple[tuple[str, int], ...], ...]  # per field: (term, relative position) pairs
    keyword: bool
    idf: float


@dataclass(frozen=True)
class _BoolPlan:
    should: tuple[Any, ...]
    must: tuple[Any, ...]
    must_not: tuple[Any, ...]


class Hit:
    """One result: the document's ID, its score and, on access, its stored fields and snippets."""

    __slots__ = ("score", "segment_ord", "doc_id", "_results", "_fields")

    def __init__(self, results: _HitContext, segment_ord: int, doc_id: int, score: float) -> None:
        self._results = results  # what hits share with their Results, which holds them (no cycle)
        self.segment_ord = segment_ord
        self.doc_id = doc_id
        self.score = score
        self._fields: dict | None = None

    @property
    def fields(self) -> dict[str, Any]:
        """The stored fields of the document."""
        if self._fields is None:
            self._fields = self._results.searcher.reader.segments[self.segment_ord].stored(self.doc_id)
        return self._fields

    @property
    def id(self) -> str | None:
        """The value of the schema's ID field."""
        if self._results.searcher.schema.id_field is None:
            return None
        return self._results.searcher.reader.segments[self.segment_ord].doc_key(self.doc_id)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def snippet(self, field: str = "body", length: int = 200, before: str = "**", after: str = "**") -> str:
        """A passage of the stored ``field`` around the matched words, marked with ``before``/``after``."""
        ftype = self._results.searcher.schema[field]
        if not isinstance(ftype, TEXT) or not ftype.stored:
            raise SchemaError(f"snippets need a stored TEXT field; {field!r} is not one")
        text = self.fields.get(field, "")
        terms = self._results.highlight_terms.get(field, frozenset())
        return make_snippet(text, ftype.analyzer, terms, length, before, after)

    def __repr__(self) -> str:
        return f"Hit(id={self.id!r}, score={self.score:.6g})"


class _HitContext:
    """What a hit needs from its search: the searcher, and the terms to highlight per field."""

    __slots__ = ("searcher", "highlight_terms")

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.highlight_terms: dict[str, frozenset[str]] = {}


class Results(Sequence[Hit]):
    """The hits of one search, best first, with the total number of matching documents."""

    def __init__(self, searcher: Searcher, query: Node, warnings: list[str]) -> None:
        self.searcher = searcher
        self._context = _HitContext(searcher)
        self.query = query
        self.warnings = warnings
        self.hits: list[Hit] = []
        self._total = 0
        self._uncounted: list[Callable[[], int]] = []  # segments whose matches MaxScore did not enumerate
        self.took_ms = 0.0

    @property
    def highlight_terms(self) -> dict[str, frozenset[str]]:
        """The index terms of the query per field: what snippets mark."""
        return self._context.highlight_terms

    @highlight_terms.setter
    def highlight_terms(self, terms: dict[str, frozenset[str]]) -> None:
        self._context.highlight_terms = terms

    @property
    def total(self) -> int:
        """How many documents match (all of them, not only the hits); counted on first use where the
        top k was found without enumerating every match."""
        while self._uncounted:
            self._total += self._uncounted.pop()()
        return self._total

    def __getitem__(self, i):  # type: ignore[override]
        return self.hits[i]

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __repr__(self) -> str:
        return f"<Results {len(self.hits)} of {self.total} for {str(self.query)!r}>"


class Searcher:
    """Searches one committed generation of an index; what it sees never changes while it is open.

    Args:
        reader: the generation to search.
        scorer: BM25 parameters (``BM25(k1=1.2, b=0.75)`` by default).
    """

    def __init__(self, reader: IndexReader, scorer: BM25 | None = None) -> None:
        self.reader = reader
        self.schema = reader.schema
        self.scorer = scorer if scorer is not None else BM25()
        if not isinstance(self.scorer, BM25):
            raise TypeError(f"scorer must be a BM25 instance, got {type(scorer).__name__}")
        self.default_fields = self.schema.text_fields
        self._norms: dict[tuple[int, str], np.ndarray] = {}
        self._field_stats: dict[str, tuple[int, float]] = {}
        self._docs_with_any: dict[tuple[str, ...], int] = {}
        self._keyword_n: dict[str, int] = {}
        self._doc_freqs: dict[tuple[tuple[str, str], ...], int] = {}
        self._max_norm_tfs: dict[tuple[int, str, str], float] = {}
        self._clauses: dict[tuple[Node, tuple[str, ...]], _Clause | None] = {}  # planned words and phrases
        self._scratch = ScratchPool()  # dense work arrays per segment and thread
        self.prune = True  # MaxScore for disjunctions; False scores every posting (the tests compare both)
        # Below this many documents a segment is scored exhaustively: skipping postings saves less than
        # choosing what to skip costs (measured on Reuters-21578 and the generated 10x corpus).
        self.maxscore_min_docs = 65_536

    # -- lifecycle ----------------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Move to the latest committed generation; returns False when there is nothing newer."""
        if read_manifest(self.reader.directory).generation == self.reader.generation:
            return False
        self.reader = IndexReader(self.reader.directory)
        self.schema = self.reader.schema
        self._clear()
        return True

    def _clear(self) -> None:
        self._norms.clear()
        self._field_stats.clear()
        self._docs_with_any.clear()
        self._keyword_n.clear()
        self._doc_freqs.clear()
        self._max_norm_tfs.clear()
        self._clauses.clear()
        self._scratch = ScratchPool()

    def close(self) -> None:
        """Release the searcher's caches. Mapped files close when the last array view goes."""
        self._clear()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def doc_count(self) -> int:
        return self.reader.doc_count

    def document(self, doc_key: str) -> dict | None:
        """The stored fields of the document whose ID is ``doc_key``, or None."""
        found = self.reader.find_id(str(doc_key))
        return None if found is None else self.reader.segments[found[0]].stored(found[1])

    # -- statistics ---------------------------------------------------------------------------------------
    def field_stats(self, field: str) -> tuple[int, float]:
        """(documents with the field, average document length in it), over all segments."""
        stats = self._field_stats.get(field)
        if stats is None:
            docs = tokens = 0
            for segment in self.reader.segments:
                if segment.live is None:
                    meta = segment.field_stats(field)
                    docs += meta["docs_with_field"]
                    tokens += meta["total_num_tokens"]
                else:  # deleted documents do not count, in N or in avgdl
                    doc_lens = segment.text(field).doc_lens[segment.live]
                    docs += int(np.count_nonzero(doc_lens))
                    tokens += int(doc_lens.sum(dtype=np.int64))
            stats = self._field_stats[field] = (docs, tokens / docs if docs else 0.0)
        return stats

    def _norms_for(self, segment_ord: int, field: str) -> np.ndarray:
        key = (segment_ord, field)
        norms = self._norms.get(key)
        if norms is None:
            doc_lens = self.reader.segments[segment_ord].text(field).doc_lens
            norms = self._norms[key] = length_norms(doc_lens, self.field_stats(field)[1], self.scorer.b)
        return norms

    def max_norm_tf(self, segment_ord: int, field: str, term: str) -> float:
        """The largest ``tf / (1 - b + b * dl / avgdl)`` of a term in one segment's field (0 if absent);
        computed over its postings once per searcher."""
        key = (segment_ord, field, term)
        value = self._max_norm_tfs.get(key)
        if value is None:
            reader = self.reader.segments[segment_ord].text(field)
            term_ord = reader.term_ord(term)
            value = 0.0
            if term_ord >= 0:
                docs, freqs = reader.postings(term_ord)
                if len(docs):
                    value = float(np.max(freqs / self._norms_for(segment_ord, field)[docs]))
            if len(self._max_norm_tfs) > 200_000:
                self._max_norm_tfs.clear()
            self._max_norm_tfs[key] = value
        return value

    def _num_docs(self, fields: tuple[str, ...]) -> int:
        """N for BM25F over ``fields``: the documents having at least one of them."""
        if len(fields) == 1:
            return self.field_stats(fields[0])[0]
        n = self._docs_with_any.get(fields)
        if n is None:
            n = 0
            for segment in self.reader.segments:
                has_any = np.zeros(segment.num_docs, dtype=bool)
                for field in fields:
                    has_any |= segment.text(field).doc_lens > 0
                if segment.live is not None:
                    has_any &= segment.live
                n += int(np.count_nonzero(has_any))
            self._docs_with_any[fields] = n
        return n

    # -- query planning -----------------------------------------------------------------------------------
    def _check_fields(self, fields: Sequence[str] | None) -> tuple[str, ...]:
        if fields is None:
            return self.default_fields
        fields = tuple(fields)
        for name in fields:
            if not isinstance(self.schema[name], TEXT):
                raise SchemaError(f"default fields must be TEXT fields; {name!r} is {self.schema[name].kind.upper()}")
        return fields

    def _plan(self, node: Node, fields: tuple[str, ...], highlight: dict[str, set[str]], scoring: bool):
        if isinstance(node, Bool):
            parts = [
                tuple(p for p in (self._plan(n, fields, highlight, scoring and kind != 2) for n in group) if p)
                for kind, group in enumerate((node.should, node.must, node.must_not))
            ]
            if not (parts[0] or parts[1]):
                return None
            return _BoolPlan(*parts)
        if not isinstance(node, Term | Phrase):
            raise TypeError(f"not a query node: {node!r}")
        key = (node, fields)
        clause = self._clauses.get(key, _UNPLANNED)
        if clause is _UNPLANNED:
            clause = self._plan_leaf(node, fields)
            if len(self._clauses) > 100_000:
                self._clauses.clear()
            self._clauses[key] = clause
        if scoring and clause is not None and not clause.keyword:
            for field, pairs in zip(clause.fields, clause.terms):
                highlight.setdefault(field, set()).update(term for term, _ in pairs)
        return clause

    def _plan_leaf(self, node: Term | Phrase, fields: tuple[str, ...]) -> _Clause | None:
        """A word or phrase resolved against this snapshot: its analysed terms per field and its idf."""
        targets = (node.field,) if node.field else fields
        if not targets:
            return None
        ftype = self.schema[targets[0]]
        if isinstance(ftype, ID | KEYWORD):
            value = node.text.lower() if isinstance(ftype, KEYWORD) and ftype.lowercase else node.text
            df = 0
            for segment in self.reader.segments:
                terms = segment.terms(targets[0])
                term_ord = terms.term_ord(value)
                if term_ord >= 0:
                    df += _count_live(segment, terms.doc_ids(term_ord))
            n = self._keyword_docs(targets[0])
            return _Clause(targets, (((value, 0),),), True, float(idf(df, n)))
        if not isinstance(ftype, TEXT):
            raise SchemaError(f"field {targets[0]!r} is {ftype.kind.upper()} and cannot be searched by words")
        per_field = []
        for field in targets:
            pairs = self.schema[field].analyzer.terms_with_positions(node.text)
            first = pairs[0][1] if pairs else 0
            per_field.append(tuple((term, pos - first) for term, pos in pairs))
        if not any(per_field):
            return None
        return _Clause(targets, tuple(per_field), False, self._clause_idf(targets, per_field))

    def _keyword_docs(self, field: str) -> int:
        """N for an exact-term clause: the live documents with at least one value in ``field``."""
        if field in self._keyword_n:
            return self._keyword_n[field]
        n = 0
        for segment in self.reader.segments:
            if segment.live is None:
                n += segment.field_stats(field)["docs_with_field"]
            else:
                holds = np.zeros(segment.num_docs, dtype=bool)
                holds[segment.terms(field).all_doc_ids] = True
                n += int(np.count_nonzero(holds & segment.live))
        self._keyword_n[field] = n
        return n

    def _clause_idf(self, fields: tuple[str, ...], per_field: list[tuple[tuple[str, int], ...]]) -> float:
        """Sum over the clause's term positions of idf(df, N); df counts documents holding the term in
        any of the fields (a phrase's idf is the sum of its terms' idfs, as in Lucene)."""
        n = self._num_docs(fields)
        total = 0.0
        for i in range(max(len(p) for p in per_field)):
            key = tuple((field, pairs[i][0]) for field, pairs in zip(fields, per_field) if i < len(pairs))
            total += float(idf(self._doc_freq(key), n))
        return total

    def _doc_freq(self, key: tuple[tuple[str, str], ...]) -> int:
        """Live documents holding any of the (field, term) pairs of ``key``; remembered per searcher."""
        df = self._doc_freqs.get(key)
        if df is not None:
            return df
        df = 0
        for segment in self.reader.segments:
            union = None
            for field, term in key:
                reader = segment.text(field)
                term_ord = reader.term_ord(term)
                if term_ord >= 0:
                    docs = reader.postings(term_ord)[0]
                    union = docs if union is None else sparse.union(union, docs)
            if union is not None:
                df += _count_live(segment, union)
        if len(self._doc_freqs) > 100_000:
            self._doc_freqs.clear()
        self._doc_freqs[key] = df
        return df

    # -- execution ----------------------------------------------------------------------------------------
    def _clause_scores(self, clause: _Clause, segment_ord: int, segment: SegmentReader) -> tuple[np.ndarray, np.ndarray]:
        """(doc_ids: int64[m], unique, sorted; scores: float64[m] > 0) of one clause in one segment."""
        k1 = self.scorer.k1
        if clause.keyword:
            terms = segment.terms(clause.fields[0])
            term_ord = terms.term_ord(clause.terms[0][0][0])
            if term_ord < 0:
                return _EMPTY_DOCS, _EMPTY_SCORES
            docs = terms.doc_ids(term_ord).astype(np.int64)
            # an exact term has tf = 1 and no length norm: idf * 1 / (1 + k1)
            return docs, np.full(len(docs), clause.idf / (1.0 + k1))
        docs, weighted_tf = _EMPTY_DOCS, _EMPTY_SCORES
        for field, pairs in zip(clause.fields, clause.terms):
            if not pairs:
                continue
            field_docs, freqs = _term_freqs(segment.text(field), pairs)
            if len(field_docs):
                # BM25F: each field's frequency is normalised by its own length, weighted, then summed
                contribution = self.schema[field].boost * freqs / self._norms_for(segment_ord, field)[field_docs]
                docs, weighted_tf = sparse.add(docs, weighted_tf, field_docs, contribution)
        if len(clause.fields) > 1 and len(docs):  # sparse.add appends; lookups need doc order
            order = np.argsort(docs, kind="stable")
            docs, weighted_tf = docs[order], weighted_tf[order]
        return docs, clause.idf * weighted_tf / (k1 + weighted_tf)

    def _counter(self, clauses: tuple[_Clause, ...], segment_ord: int, segment: SegmentReader) -> Callable[[], int]:
        """A function counting the live documents any of ``clauses`` matches in one segment."""

        def count() -> int:
            matched = np.zeros(segment.num_docs, dtype=bool)
            for clause in clauses:
                if clause.keyword or any(len(pairs) > 1 for pairs in clause.terms):
                    matched[self._clause_scores(clause, segment_ord, segment)[0]] = True
                    continue
                for field, pairs in zip(clause.fields, clause.terms):
                    if pairs:
                        reader = segment.text(field)
                        term_ord = reader.term_ord(pairs[0][0])
                        if term_ord >= 0:
                            matched[reader.postings(term_ord)[0]] = True
            if segment.live is not None:
                matched &= segment.live
            return int(np.count_nonzero(matched))

        return count

    def explain(self, query: str | Node, doc_key: str, fields: Sequence[str] | None = None) -> Explanation:
        """How the document with ID ``doc_key`` scores for ``query``: a tree whose root value is its score
        (0, with ``matched`` False, when it does not match or is not in the index)."""
        found = self.reader.find_id(str(doc_key))
        if found is None:
            return Explanation(0.0, f"no document with ID {doc_key!r}", matched=False)
        node = parse(query, self.schema).node if isinstance(query, str) else query
        plan = self._plan(node, self._check_fields(fields), {}, True)
        segment_ord, doc_id = found
        return explain_plan(self, plan, segment_ord, self.reader.segments[segment_ord], doc_id)

    def search_many(self, queries: Iterable[str | Node], limit: int = 10,
                    fields: Sequence[str] | None = None) -> list[Results]:
        """Run many queries against this snapshot; each result equals ``search(query, limit, fields)``.

        The queries share the searcher's caches (term lookups, document frequencies, length norms), so a
        batch over a common vocabulary costs less per query than fresh searchers would.
        """
        return [self.search(query, limit=limit, fields=fields) for query in queries]

    def search(self, query: str | Node, limit: int = 10, fields: Sequence[str] | None = None) -> Results:
        """The best ``limit`` documents for ``query``, by score, ties in index order.

        Args:
            query: user text (parsed leniently: it never raises) or a query node.
            limit: how many hits to return (>= 0); ``Results.total`` counts all matches.
            fields: the TEXT fields searched by words without a ``field:`` prefix (default: all TEXT fields).

        Raises:
            SchemaError: ``fields`` or a node names a field that is not in the schema or cannot be searched.
            ValueError: a negative limit.
        """
        started = time.perf_counter()
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be an int >= 0, got {limit!r}")
        targets = self._check_fields(fields)
        warnings: list[str] = []
        if isinstance(query, str):
            parsed = parse(query, self.schema)
            node, warnings = parsed.node, list(parsed.warnings)
        elif isinstance(query, Node):
            node = query
        else:
            raise TypeError(f"query must be a str or a query node, got {type(query).__name__}")
        results = Results(self, node, warnings)
        highlight: dict[str, set[str]] = {}
        plan = self._plan(node, targets, highlight, True)
        results.highlight_terms = {f: frozenset(t) for f, t in highlight.items()}
        if plan is None:
            if not warnings:
                warnings.append("the query has no searchable words")
            results.took_ms = (time.perf_counter() - started) * 1e3
            return results
        all_scores, all_segments, all_docs = [], [], []
        disjunction = (
            self.prune and limit > 0 and isinstance(plan, _BoolPlan) and not plan.must and not plan.must_not
            and len(plan.should) > 1 and all(isinstance(c, _Clause) for c in plan.should)
        )
        for segment_ord, segment in enumerate(self.reader.segments):
            scratch = self._scratch.get(segment_ord, segment.num_docs)
            try:
                if disjunction and segment.num_docs >= self.maxscore_min_docs:
                    docs, scores, total = top_k_disjunction(self, plan.should, segment_ord, segment, limit, scratch)
                    if total is None:
                        results._uncounted.append(self._counter(plan.should, segment_ord, segment))
                    else:
                        results._total += total
                else:
                    docs, scores = evaluate(self, plan, segment_ord, segment, scratch)
                    results._total += len(docs)
            except BaseException:
                self._scratch.discard(segment_ord)  # its arrays may be left dirty
                raise
            docs, top = _top_k(docs, scores, limit)
            all_scores.append(top)
            all_docs.append(docs)
            all_segments.append(np.full(len(docs), segment_ord))
        if all_scores and limit:
            scores = np.concatenate(all_scores)
            docs = np.concatenate(all_docs)
            segments = np.concatenate(all_segments)
            order = np.lexsort((docs, segments, -scores))[:limit]
            results.hits = [
                Hit(results._context, int(segments[i]), int(docs[i]), float(scores[i])) for i in order
            ]
        results.took_ms = (time.perf_counter() - started) * 1e3
        return results


_UNPLANNED = object()
_EMPTY_DOCS = np.empty(0, dtype=np.int64)
_EMPTY_SCORES = np.empty(0, dtype=SCORE)


def _count_live(segment: SegmentReader, doc_ids: np.ndarray) -> int:
    """How many of ``doc_ids`` are not deleted."""
    return len(doc_ids) if segment.live is None else int(np.count_nonzero(segment.live[doc_ids]))


def _top_k(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The candidates for the top ``k``: every doc scoring at least the k-th best score (ties kept)."""
    if len(docs) <= k:
        return docs, scores
    if k == 0:
        return docs[:0], scores[:0]
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    keep = scores >= kth
    return docs[keep], scores[keep]


def _term_freqs(reader: TextReader, pairs: tuple[tuple[str, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(doc_ids, frequencies) of one term, or of a phrase (its terms at their relative positions)."""
    term_ords = [reader.term_ord(term) for term, _ in pairs]
    if min(term_ords) < 0:
        return np.empty(0, np.int64), np.empty(0, SCORE)
    if len(pairs) == 1:
        docs, freqs = reader.postings(term_ords[0])
        return docs.astype(np.int64), freqs.astype(SCORE)
    # Phrase: documents holding every term, then the start positions every term agrees on.
    candidates = reader.postings(term_ords[0])[0]
    for term_ord in term_ords[1:]:
        candidates = np.intersect1d(candidates, reader.postings(term_ord)[0], assume_unique=True)
    starts = None
    for term_ord, (_, offset) in zip(term_ords, pairs):
        docs, freqs = reader.postings(term_ord)
        positions = reader.positions(term_ord).astype(np.int64)
        doc_of_position = np.repeat(docs.astype(np.int64), freqs)
        keep = np.isin(doc_of_position, candidates) & (positions >= offset)
        keys = (doc_of_position[keep] << 32) | (positions[keep] - offset)
        starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
    docs, freqs = np.unique(starts >> 32, return_counts=True)
    return docs, freqs.astype(SCORE)
