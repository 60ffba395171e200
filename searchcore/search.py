"""Searcher: runs a query over one committed generation and returns the top hits by BM25/BM25F.

Statistics (N, doc_freq, avg_doc_len) are global over all segments, so a document's score never
depends on how the index is split into segments. Each segment is scored with array operations into
dense work arrays (evaluate.py: a posting list is a slice, a clause's scores one indexed ``+=``), or by
MaxScore on large segments (maxscore.py); the top k of each segment is found with ``np.partition`` and
the segments' candidates are ordered by one ``lexsort``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ._types import SCORE
from .analysis import normalize
from .errors import ArgumentError, ArgumentTypeError, SchemaError
from . import sparse
from .evaluate import ScratchPool, evaluate, filter_mask, normalized_tf
from .explain import Explanation, explain_plan
from .maxscore import top_k_disjunction
from . import similar
from .plan import BoolPlan, Clause, RangePlan, as_list, field_freqs, keyword_matches, range_end
from .results import Hit, Results
from .index.manifest import read_manifest
from .index.codec import StringTable
from .index.reader import IndexReader, SegmentReader
from .query import Bool, Boost, Fuzzy, Node, Phrase, Prefix, Range, Term, Wildcard, parse
from .query.expand import Expansion, TermTable, expand_fuzzy, expand_prefix, expand_wildcard
from .schema import DATE, ID, KEYWORD, NUMERIC, TEXT
from .scoring.bm25 import BM25, idf, length_norms, saturate


_UNKNOWN = object()
_LEAVES = (Term, Phrase, Prefix, Wildcard, Fuzzy)


class Snapshot:
    """One committed generation of an index with everything a searcher learns about it (term look-ups,
    statistics, norms, plans, work arrays): the state a Searcher swaps as a whole when it refreshes.
    Searches running on a snapshot finish on it, whatever the Searcher does meanwhile.

    Args:
        reader: the generation to search.
        scorer: BM25 parameters (``BM25(k1=1.2, b=0.75)`` by default).
    """

    def __init__(self, reader: IndexReader, scorer: BM25 | None = None) -> None:
        self.reader = reader
        self.schema = reader.schema
        self.scorer = scorer if scorer is not None else BM25()
        if not isinstance(self.scorer, BM25):
            raise ArgumentTypeError(f"scorer must be a BM25 instance, got {type(scorer).__name__}")
        self.default_fields = self.schema.text_fields
        self._boosts = {name: self.schema[name].boost for name in self.schema.text_fields}
        self._norms: dict[tuple[int, str], np.ndarray] = {}
        self._field_stats: dict[str, tuple[int, float]] = {}
        self._docs_with_any: dict[tuple[str, ...], int] = {}
        self._keyword_n: dict[str, int] = {}
        self._doc_freqs: dict[tuple[tuple[str, str], ...], int] = {}
        self._max_norm_tfs: dict[tuple[int, str, str], float] = {}
        self._postings: dict[tuple[int, str, str], tuple | None] = {}  # see word_postings
        self._field_tfs: OrderedDict[tuple[int, str, str, bool], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._field_tf_bytes = 0
        self._field_tf_lock = threading.Lock()
        #: the most bytes of doc ids and term frequencies field_tf keeps per searcher (oldest out first)
        self.field_tf_cache_bytes = 8 << 20
        self._clauses: dict[tuple[Node, tuple[str, ...]], Clause | None] = {}  # planned words and phrases
        self._scratch = ScratchPool()  # dense work arrays per segment and thread
        self._tables: dict[tuple[int, str, int], TermTable] = {}
        self._sort_ranks: dict[tuple[int, str], np.ndarray] = {}  # per segment: each doc's smallest value rank
        self.prune = True  # MaxScore for disjunctions; False scores every posting (the tests compare both)
        # Below this many documents a segment is scored exhaustively: skipping postings saves less than
        # choosing what to skip costs (measured on Reuters-21578 and the generated 10x corpus).
        self.maxscore_min_docs = 65_536
        self.max_expansions = 1024  # the most index terms a prefix, wildcard or fuzzy term stands for

    # -- lifecycle ----------------------------------------------------------------------------------------
    def _clear(self) -> None:
        self._norms.clear()
        self._field_stats.clear()
        self._docs_with_any.clear()
        self._keyword_n.clear()
        self._doc_freqs.clear()
        self._max_norm_tfs.clear()
        self._postings.clear()
        self._field_tfs.clear()
        self._field_tf_bytes = 0
        self._clauses.clear()
        self._tables.clear()
        self._sort_ranks.clear()
        self._scratch = ScratchPool()

    def close(self) -> None:
        """Release the snapshot's caches. Mapped files close when the last array view goes."""
        self._clear()

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

    def field_boost(self, field: str) -> float:
        """The boost of a TEXT field (its BM25F weight)."""
        return self._boosts[field]

    def _norms_for(self, segment_ord: int, field: str) -> np.ndarray:
        key = (segment_ord, field)
        norms = self._norms.get(key)
        if norms is None:
            doc_lens = self.reader.segments[segment_ord].text(field).doc_lens
            norms = self._norms[key] = length_norms(doc_lens, self.field_stats(field)[1], self.scorer.b)
        return norms

    def word_postings(self, segment_ord: int, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc ids, term frequencies) of a term in one segment's TEXT field, or None when the segment
        does not hold it. The look-up is remembered per searcher: the postings themselves when they are
        views of the mapped arrays, the term's reader and ordinal when they must be decoded each time."""
        key = (segment_ord, field, term)
        found = self._postings.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            reader = self.reader.segments[segment_ord].text(field)
            term_ord = reader.term_ord(term)
            found = None if term_ord < 0 else (reader, term_ord) if reader.split else reader.postings(term_ord)
            if len(self._postings) > 100_000:
                self._postings.clear()
            self._postings[key] = found
        if found is None or type(found[1]) is np.ndarray:
            return found
        return found[0].postings(found[1])

    def field_tf(self, segment_ord: int, field: str, term: str,
                 saturated: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc ids as intp, each document's BM25F weighted term frequency tf~, or with ``saturated`` its
        ``tf~ / (k1 + tf~)``) for a term in one segment's TEXT field; None when the segment does not hold
        it. A word searched in one field needs only the saturated values; over several fields, the tf~ are
        summed first. Kept per searcher, up to ``field_tf_cache_bytes``, the oldest dropped first: query
        words repeat from one query to the next, and this is most of a word's work before scoring. Only
        for segments scored exhaustively (below ``maxscore_min_docs``): in larger ones MaxScore skips
        most postings of the common words, and keeping their long lists would only cost memory."""
        key = (segment_ord, field, term, saturated)
        found = self._field_tfs.get(key)
        if found is None:
            postings = self.word_postings(segment_ord, field, term)
            if postings is None:
                return None
            docs = postings[0].astype(np.intp)  # once: indexing with a narrow dtype casts on every use
            values = normalized_tf(self, segment_ord, field, docs, postings[1])
            found = docs, saturate(values, self.scorer.k1) if saturated else values
            size = docs.nbytes + values.nbytes
            if size <= self.field_tf_cache_bytes and self.reader.segments[segment_ord].num_docs < self.maxscore_min_docs:
                with self._field_tf_lock:
                    while self._field_tfs and self._field_tf_bytes + size > self.field_tf_cache_bytes:
                        _, (old_docs, old_values) = self._field_tfs.popitem(last=False)
                        self._field_tf_bytes -= old_docs.nbytes + old_values.nbytes
                    self._field_tfs[key] = found
                    self._field_tf_bytes += size
        return found

    def max_norm_tf(self, segment_ord: int, field: str, term: str) -> float:
        """The largest ``tf / (1 - b + b * dl / avgdl)`` of a term in one segment's field (0 if absent);
        computed over its postings once per searcher."""
        key = (segment_ord, field, term)
        value = self._max_norm_tfs.get(key)
        if value is None:
            postings = self.word_postings(segment_ord, field, term)
            value = 0.0
            if postings is not None and len(postings[0]):
                docs, freqs = postings
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

    def _plan(self, node: Node, fields: tuple[str, ...], boost: float = 1.0, notes: list[str] | None = None):
        """The plan of ``node``: a Clause, RangePlan or BoolPlan, or None when it can match nothing.
        Boosts are multiplied down to the clauses; what the planning had to cut (expansions over the cap)
        goes to ``notes``."""
        if isinstance(node, Bool):
            plan = self._plan
            parts = [tuple([p for p in [plan(n, fields, boost, notes) for n in group] if p]) if group else ()
                     for group in (node.should, node.must, node.must_not)]
            if node.should or node.must:
                if not (parts[0] or parts[1]):
                    return None  # no positive clause has a searchable word
                return BoolPlan(*parts)
            # a Bool of must_not clauses only: every document but theirs
            return BoolPlan((), (), parts[2]) if parts[2] else None
        if type(node) not in _LEAVES:
            if isinstance(node, Boost):
                return self._plan(node.node, fields, boost * node.factor, notes)
            if isinstance(node, Range):
                return self._plan_range(node)
            if not isinstance(node, _LEAVES):
                raise ArgumentTypeError(f"not a query node: {node!r}")
        key = (node, fields, boost, self.max_expansions)
        planned = self._clauses.get(key)
        if planned is None:
            leaf_notes: list[str] = []
            planned = (self._plan_leaf(node, fields, boost, leaf_notes), tuple(leaf_notes))
            if len(self._clauses) > 100_000:
                self._clauses.clear()
            self._clauses[key] = planned
        if notes is not None and planned[1]:
            notes.extend(n for n in planned[1] if n not in notes)
        return planned[0]

    def _plan_leaf(self, node: Term | Phrase | Prefix | Wildcard | Fuzzy, fields: tuple[str, ...],
                   boost: float, notes: list[str]) -> Clause | None:
        """A word, phrase or multi-term node resolved against this snapshot: its index terms per field
        and its idf."""
        targets = (node.field,) if node.field else fields
        if not targets:
            return None
        ftype = self.schema[targets[0]]
        expanding = isinstance(node, Prefix | Wildcard | Fuzzy)
        if isinstance(ftype, ID | KEYWORD):
            text = node.pattern if isinstance(node, Wildcard) else node.text
            lowercase = isinstance(ftype, KEYWORD) and ftype.lowercase
            value = text.lower() if lowercase else text
            values = self._expand_keyword(node, targets[0], value, notes) if expanding else [value]
            df = sum(_count_live(segment, keyword_matches(segment, targets[0], values))
                     for segment in self.reader.segments)
            n = self._keyword_docs(targets[0])
            return Clause(targets, (tuple((v, 0) for v in values),), True, float(idf(df, n)), boost)
        if not isinstance(ftype, TEXT):
            raise SchemaError(f"field {targets[0]!r} is {ftype.kind.upper()} and cannot be searched by words")
        if expanding:
            per_field = [tuple((term, 0) for term in self._expand_text(node, field, notes)) for field in targets]
            if not any(per_field):  # expanded to nothing: a clause that matches no document
                return Clause(targets, tuple(per_field), False, 0.0, boost, group=True)
            key = tuple((field, term) for field, pairs in zip(targets, per_field) for term, _ in pairs)
            clause_idf = float(idf(self._doc_freq(key), self._num_docs(targets)))
            return Clause(targets, tuple(per_field), False, clause_idf, boost, group=True)
        per_field = []
        for field in targets:
            pairs = self.schema[field].analyzer.terms_with_positions(node.text)
            first = pairs[0][1] if pairs else 0
            per_field.append(tuple((term, pos - first) for term, pos in pairs))
        if not any(per_field):
            return None
        slop = node.slop if isinstance(node, Phrase) else 0
        return Clause(targets, tuple(per_field), False, self._clause_idf(targets, per_field), boost, slop)

    def _term_table(self, segment_ord: int, field: str, strings: StringTable) -> TermTable:
        """One segment's lexicon or term dictionary as expansion searches it; kept per searcher, since
        the first wildcard or fuzzy search over a table builds indexes on it."""
        key = (segment_ord, field, id(strings))
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = TermTable.from_utf8(strings._blob, strings._starts)
        return table

    def _plan_range(self, node: Range) -> RangePlan | None:
        ftype = self.schema[node.field]
        if not isinstance(ftype, NUMERIC | DATE):
            raise SchemaError(f"ranges need a NUMERIC or DATE field; {node.field!r} is {ftype.kind.upper()}")
        low = range_end(ftype, node.field, node.low, high=False, included=node.include_low)
        high = range_end(ftype, node.field, node.high, high=True, included=node.include_high)
        include_low, include_high = low[1], high[1]
        return RangePlan(node.field, low[0], high[0], include_low, include_high)

    def _expand_text(self, node: Prefix | Wildcard | Fuzzy, field: str, notes: list[str]) -> list[str]:
        """The index terms (stems) a multi-term node matches in a TEXT field: its pattern is matched
        against the surface forms that were indexed, in every segment, and those map to their stems."""
        analyzer = self.schema[field].analyzer
        text = normalize(node.pattern if isinstance(node, Wildcard) else node.text)  # as the text was
        if analyzer.lowercase:
            text = text.lower()
        stems: set[str] = set()
        for segment_ord, segment in enumerate(self.reader.segments):
            reader = segment.text(field)
            table = self._term_table(segment_ord, field, reader._lexicon[0])
            found = _expand(table, node, text, self.max_expansions, notes)
            term_ords = reader._lexicon[1]
            stems.update(reader.terms.decode(int(term_ords[o])) for o in found.ordinals.tolist())
        return _capped(sorted(stems), node, self.max_expansions, notes)

    def _expand_keyword(self, node: Prefix | Wildcard | Fuzzy, field: str, text: str, notes: list[str]) -> list[str]:
        values: set[str] = set()
        for segment_ord, segment in enumerate(self.reader.segments):
            table = self._term_table(segment_ord, field, segment.terms(field).terms)
            values.update(_expand(table, node, text, self.max_expansions, notes).terms)
        return _capped(sorted(values), node, self.max_expansions, notes)

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
        for segment_ord, segment in enumerate(self.reader.segments):
            union = None
            for field, term in key:
                postings = self.word_postings(segment_ord, field, term)
                if postings is not None:
                    union = postings[0] if union is None else sparse.union(union, postings[0])
            if union is not None:
                df += _count_live(segment, union)
        if len(self._doc_freqs) > 100_000:
            self._doc_freqs.clear()
        self._doc_freqs[key] = df
        return df

    # -- execution ----------------------------------------------------------------------------------------
    def _clause_scores(self, clause: Clause, segment_ord: int, segment: SegmentReader) -> tuple[np.ndarray, np.ndarray]:
        """(doc_ids: int64[m], unique, sorted; scores: float64[m] > 0) of one clause in one segment."""
        k1 = self.scorer.k1
        if clause.keyword:
            docs = keyword_matches(segment, clause.fields[0], (v for v, _ in clause.terms[0]))
            # an exact term has tf = 1 and no length norm: idf * 1 / (1 + k1)
            return docs, np.full(len(docs), clause.weight / (1.0 + k1))
        docs, weighted_tf = _EMPTY_DOCS, _EMPTY_SCORES
        for field, pairs in zip(clause.fields, clause.terms):
            if not pairs:
                continue
            field_docs, freqs = field_freqs(segment.text(field), clause, pairs)
            if len(field_docs):
                # BM25F: each field's frequency is normalised by its own length, weighted, then summed
                contribution = normalized_tf(self, segment_ord, field, field_docs, freqs)
                docs, weighted_tf = sparse.add(docs, weighted_tf, field_docs, contribution)
        if len(clause.fields) > 1 and len(docs):
            order = np.argsort(docs, kind="stable")
            docs, weighted_tf = docs[order], weighted_tf[order]
        return docs, clause.weight * saturate(weighted_tf, k1)

    def _counter(self, clauses: tuple[Clause, ...], segment_ord: int, segment: SegmentReader) -> Callable[[], int]:
        """A function counting the live documents any of ``clauses`` matches in one segment."""

        def count() -> int:
            matched = np.zeros(segment.num_docs, dtype=bool)
            for clause in clauses:
                matched[self._clause_scores(clause, segment_ord, segment)[0]] = True
            if segment.live is not None:
                matched &= segment.live
            return int(np.count_nonzero(matched))

        return count

    def explain(self, query: str | Node, doc_key: str, fields: Sequence[str] | None = None, *,
                filter: str | Node | Sequence[str | Node] | None = None, strict: bool = False,
                default_operator: str = "OR") -> Explanation:
        """How the document with ID ``doc_key`` scores for ``query`` searched with these options (the
        same as :meth:`search`'s): a tree whose root value is its score (0, with ``matched`` False, when
        it does not match, fails a filter or is not in the index)."""
        found = self.reader.find_id(str(doc_key))
        if found is None:
            return Explanation(0.0, f"no document with ID {doc_key!r}", matched=False)
        targets = self._check_fields(fields)
        node, _ = self._parse(query, strict, default_operator)
        filters = self._plan_filters(filter, targets, strict, default_operator, [])
        return self.explain_doc(self._plan(node, targets), filters, *found)

    def explain_doc(self, plan, filters: Sequence, segment_ord: int, doc_id: int) -> Explanation:
        """The explanation of ``plan`` (and its ``filters``) for one document of this snapshot."""
        segment = self.reader.segments[segment_ord]
        for i, one in enumerate(filters):
            if not explain_plan(self, one, segment_ord, segment, doc_id).matched:
                return Explanation(0.0, f"no match: the document fails filter {i + 1}", matched=False)
        return explain_plan(self, plan, segment_ord, segment, doc_id)

    def search_many(self, queries: Iterable[str | Node], limit: int = 10,
                    fields: Sequence[str] | None = None) -> list[Results]:
        """Run many queries against this snapshot; each result equals ``search(query, limit, fields)``.

        The queries share the searcher's caches (term lookups, document frequencies, length norms), so a
        batch over a common vocabulary costs less per query than fresh searchers would.
        """
        return [self.search(query, limit=limit, fields=fields) for query in queries]

    def search(self, query: str | Node, limit: int = 10, fields: Sequence[str] | None = None, *,
               offset: int = 0, filter: str | Node | Sequence[str | Node] | None = None,
               sort: str | None = None, facets: Sequence[str] = (), strict: bool = False,
               default_operator: str = "OR") -> Results:
        """The best ``limit`` documents for ``query`` after the first ``offset``, by score (ties in index
        order) or by ``sort``.

        Args:
            query: user text (parsed leniently unless ``strict``) or a query node.
            limit: how many hits to return (>= 0); ``Results.total`` counts all matches.
            fields: the TEXT fields searched by words without a ``field:`` prefix (default: all TEXT fields).
            offset: how many of the best hits to skip (paging: ``offset=20, limit=10`` is page 3).
            filter: queries (text or nodes) every hit must also match; they never change a score.
            sort: a NUMERIC, DATE or KEYWORD field to order hits by, ascending, or ``"-field"`` for
                descending; documents without a value come last; ties by score, then index order.
            facets: KEYWORD fields whose values are counted over all the matching documents
                (``Results.facets``).
            strict: parse text strictly: raise QueryParseError instead of repairing.
            default_operator: how words side by side combine, ``"OR"`` or ``"AND"``.

        Raises:
            SchemaError: ``fields``, ``sort``, ``facets`` or a node names a field that is not in the
                schema or cannot be used that way.
            QueryParseError: ``strict`` and the text is not valid syntax.
            ValueError: a negative limit or offset.
        """
        started = time.perf_counter()
        for name, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ArgumentError(f"{name} must be an int >= 0, got {value!r}")
        targets = self._check_fields(fields)
        sort_field, descending = self._check_sort(sort)
        facet_fields = self._check_facets(facets)
        node, warnings = self._parse(query, strict, default_operator)
        results = Results(self, node, warnings)
        results.text = query if isinstance(query, str) else None
        results.fields = targets
        plan = results._context.plan = self._plan(node, targets, notes=warnings)
        filters = results._context.filters = self._plan_filters(filter, targets, strict, default_operator, warnings)
        if plan is None and not warnings:
            warnings.append("the query has no searchable words")
        self._execute(results, plan, offset, limit, filters, sort_field, descending, facet_fields)
        results.took_ms = (time.perf_counter() - started) * 1e3
        return results

    def _execute(self, results: Results, plan, offset: int, limit: int, filters: list, sort_field: str | None,
                 descending: bool, facet_fields: tuple[str, ...], exclude: tuple[int, int] | None = None) -> None:
        """Fill ``results`` with the hits of ``plan``: its total, its facet counts and the hits ranked
        ``offset`` to ``offset + limit`` (``exclude``: a (segment_ord, doc_id) never to return)."""
        if facet_fields:
            results.facets = {name: [] for name in facet_fields}
        if plan is None:
            return
        wanted = offset + limit
        all_scores, all_segments, all_docs, all_keys = [], [], [], []
        facet_counts: dict[str, dict[str, int]] = {name: {} for name in facet_fields}
        largest = self.reader.largest_segment
        disjunction = (
            self.prune and largest >= self.maxscore_min_docs and wanted > 0 and not filters and exclude is None
            and sort_field is None and not facet_fields and isinstance(plan, BoolPlan) and not plan.must
            and not plan.must_not and len(plan.should) > 1 and all(isinstance(c, Clause) and not c.group for c in plan.should)
        )
        for segment_ord, segment in enumerate(self.reader.segments):
            scratch = self._scratch.get(segment_ord, segment.num_docs)
            try:
                if disjunction and segment.num_docs >= self.maxscore_min_docs:
                    docs, scores, total = top_k_disjunction(self, plan.should, segment_ord, segment, wanted, scratch)
                    if total is None:
                        results._uncounted.append(self._counter(plan.should, segment_ord, segment))
                    else:
                        results._total += total
                else:
                    docs, scores = evaluate(self, plan, segment_ord, segment, scratch)
                    if exclude is not None and exclude[0] == segment_ord and len(docs):
                        keep = docs != exclude[1]
                        docs, scores = docs[keep], scores[keep]
                    if filters and len(docs):
                        keep = filter_mask(self, filters, segment_ord, segment, scratch)[docs]
                        docs, scores = docs[keep], scores[keep]
                    results._total += len(docs)
            except BaseException:
                self._scratch.discard(segment_ord)  # its arrays may be left dirty
                raise
            for name in facet_fields:
                _count_values(segment, name, docs, facet_counts[name])
            if not len(docs):
                continue
            if sort_field is None:
                docs, scores = _top_k(docs, scores, wanted)
            else:
                all_keys.append(self._sort_keys(segment_ord, segment, sort_field, docs))
            all_scores.append(scores)
            all_docs.append(docs)
            all_segments.append(segment_ord)
        if facet_fields:
            results.facets = {name: sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                              for name, counts in facet_counts.items()}
        if not (all_scores and wanted):
            return
        if len(all_scores) == 1:
            scores, docs = all_scores[0], all_docs[0]
            segments = np.full(len(docs), all_segments[0]) if sort_field is not None else None
        else:
            scores, docs = np.concatenate(all_scores), np.concatenate(all_docs)
            segments = np.repeat(all_segments, [len(d) for d in all_docs])
        if sort_field is None:
            order = np.lexsort((docs, -scores) if segments is None else (docs, segments, -scores))
        else:
            keys = np.concatenate(all_keys)
            missing = np.isnan(keys)
            keys = np.where(missing, 0.0, -keys if descending else keys)
            order = np.lexsort((docs, segments, -scores, keys, missing))
        order = order[offset:wanted]
        hit_segments = [all_segments[0]] * len(order) if segments is None else segments[order].tolist()
        context = results._context
        results.hits = [Hit(context, segment_ord, doc_id, score) for segment_ord, doc_id, score
                        in zip(hit_segments, docs[order].tolist(), scores[order].tolist())]

    def suggest(self, text: str, fields: Sequence[str] | None = None) -> str | None:
        """"Did you mean": ``text`` with each word that no document holds, or only a few do, replaced by
        the closest word of the index (fewest edits, then most documents); None when nothing changes.
        On Reuters-21578 with the AFP story, "Li Shangfo Belarus" gives "Li Shangfu Belarus"."""
        return similar.suggest(self, text, fields)

    def more_like_this(self, doc_key: str, limit: int = 10, fields: Sequence[str] | None = None, *,
                       max_terms: int = 25, min_doc_freq: int = 2, filter=None) -> Results:
        """Documents like the one whose ID is ``doc_key``: an OR of its ``max_terms`` most significant
        terms (tf in the document times idf, over its stored TEXT ``fields``), the document itself left
        out. Terms in fewer than ``min_doc_freq`` documents are skipped: they cannot find another.

        Raises:
            DocumentNotFoundError: no live document has that ID (a KeyError too).
        """
        return similar.more_like_this(self, doc_key, limit, fields, max_terms=max_terms,
                                      min_doc_freq=min_doc_freq, filter=filter)

    def _plan_filters(self, filter, targets: tuple[str, ...], strict: bool, default_operator: str,
                      warnings: list[str]) -> list:
        """The plans of ``filter`` (text or nodes, one or a list), for search and explain alike; what
        parsing and planning repaired goes to ``warnings``, and an empty filter is skipped with a note."""
        plans = []
        for one in as_list(filter):
            filter_node, filter_warnings = self._parse(one, strict, default_operator)
            warnings.extend(f"filter: {w}" for w in filter_warnings)
            if filter_node == Bool():  # '' or only repairs: no clause to match, not "match nothing"
                warnings.append(f"empty filter {str(one)!r} ignored: it has no clause to match")
                continue
            plans.append(self._plan(filter_node, targets, notes=warnings))
        return plans

    def _parse(self, query: str | Node, strict: bool, default_operator: str) -> tuple[Node, list[str]]:
        if isinstance(query, str):
            parsed = parse(query, self.schema, strict=strict, default_operator=default_operator)
            return parsed.node, list(parsed.warnings)
        if isinstance(query, Node):
            return query, []
        raise ArgumentTypeError(f"query must be a str or a query node, got {type(query).__name__}")

    def _check_sort(self, sort: str | None) -> tuple[str | None, bool]:
        if sort is None:
            return None, False
        name = sort[1:] if sort.startswith("-") else sort
        if not isinstance(self.schema[name], NUMERIC | DATE | KEYWORD | ID):
            raise SchemaError(f"hits can be sorted by a NUMERIC, DATE, KEYWORD or ID field; {name!r} is "
                              f"{self.schema[name].kind.upper()}")
        return name, sort.startswith("-")

    def _check_facets(self, facets: Sequence[str]) -> tuple[str, ...]:
        names = (facets,) if isinstance(facets, str) else tuple(facets)
        for name in names:
            if not isinstance(self.schema[name], KEYWORD):
                raise SchemaError(f"facets count the values of KEYWORD fields; {name!r} is {self.schema[name].kind.upper()}")
        return names

    def _sort_keys(self, segment_ord: int, segment: SegmentReader, field: str, docs: np.ndarray) -> np.ndarray:
        """float64[len(docs)]: what hits are ordered by (NaN: no value). A KEYWORD or ID field sorts
        by its smallest value, ranked among the values of all segments (ranks made once per searcher)."""
        if isinstance(self.schema[field], NUMERIC | DATE):
            return segment.values(field)[docs]
        key = (segment_ord, field)
        first = self._sort_ranks.get(key)
        if first is None:
            ranks = self._value_ranks(field)
            terms = segment.terms(field)
            term_ranks = np.array([ranks[value] for value in terms.terms.all()], dtype=np.float64)
            first = np.full(segment.num_docs, np.inf)
            np.minimum.at(first, terms.all_doc_ids, np.repeat(term_ranks, np.diff(terms.posting_starts)))
            first[np.isinf(first)] = np.nan
            self._sort_ranks[key] = first
        return first[docs]

    def _value_ranks(self, field: str) -> dict[str, float]:
        """Every value of an ID or KEYWORD field, over all segments, to its rank in sorted order."""
        values: set[str] = set()
        for segment in self.reader.segments:
            values.update(segment.terms(field).terms.all())
        return {value: float(rank) for rank, value in enumerate(sorted(values))}


class Searcher:
    """Searches one committed generation of an index; what it sees changes only when :meth:`refresh`
    moves it to a newer one.

    One searcher may serve many threads, and one of them may refresh it while the others search: the
    searcher holds a :class:`Snapshot` (a generation and what it learned about it) and a refresh replaces
    it in one assignment, so each call runs start to end on the snapshot it began with, and its hits read
    their stored fields from that generation.

    Args:
        reader: the generation to search.
        scorer: BM25 parameters (``BM25(k1=1.2, b=0.75)`` by default).
    """

    #: what a caller may tune on a searcher; a refresh carries the values to the new snapshot
    SETTINGS = ("prune", "maxscore_min_docs", "max_expansions", "field_tf_cache_bytes", "default_fields")

    def __init__(self, reader: IndexReader, scorer: BM25 | None = None) -> None:
        object.__setattr__(self, "_snapshot", Snapshot(reader, scorer))
        object.__setattr__(self, "_refreshing", threading.Lock())

    @property
    def snapshot(self) -> Snapshot:
        """The generation this searcher searches now, with its caches."""
        return self._snapshot

    def refresh(self) -> bool:
        """Move to the latest committed generation; returns False when there is nothing newer. Searches
        in flight finish on the generation they started with."""
        with self._refreshing:
            current = self._snapshot
            directory = current.reader.directory
            if read_manifest(directory).generation == current.reader.generation:
                return False
            fresh = Snapshot(IndexReader(directory), current.scorer)
            for name in self.SETTINGS:
                setattr(fresh, name, getattr(current, name))
            object.__setattr__(self, "_snapshot", fresh)  # the one step that moves every later call
        return True

    def search(self, query: str | Node, limit: int = 10, fields: Sequence[str] | None = None,
               **options) -> Results:
        """The best hits for ``query``: see :meth:`Snapshot.search` for every option."""
        return self._snapshot.search(query, limit, fields, **options)

    def search_many(self, queries: Iterable[str | Node], limit: int = 10,
                    fields: Sequence[str] | None = None) -> list[Results]:
        """Run many queries against one snapshot; each result equals ``search(query, limit, fields)``."""
        return self._snapshot.search_many(queries, limit, fields)

    def explain(self, query: str | Node, doc_key: str, fields: Sequence[str] | None = None,
                **options) -> Explanation:
        """How a document scores for ``query`` searched with ``options``: see :meth:`Snapshot.explain`.
        ``results.explain(hit)`` explains a hit of a search that ran, with exactly its options."""
        return self._snapshot.explain(query, doc_key, fields, **options)

    def document(self, doc_key: str) -> dict | None:
        """The stored fields of the document whose ID is ``doc_key``, or None."""
        return self._snapshot.document(doc_key)

    def suggest(self, text: str, fields: Sequence[str] | None = None) -> str | None:
        """"Did you mean": see :meth:`Snapshot.suggest`."""
        return self._snapshot.suggest(text, fields)

    def more_like_this(self, doc_key: str, limit: int = 10, fields: Sequence[str] | None = None,
                       **options) -> Results:
        """Documents like the one whose ID is ``doc_key``: see :meth:`Snapshot.more_like_this`."""
        return self._snapshot.more_like_this(doc_key, limit, fields, **options)

    @property
    def doc_count(self) -> int:
        return self._snapshot.doc_count

    @property
    def reader(self) -> IndexReader:
        return self._snapshot.reader

    @property
    def schema(self):
        return self._snapshot.schema

    @property
    def scorer(self) -> BM25:
        return self._snapshot.scorer

    def close(self) -> None:
        """Release the current snapshot's caches. Mapped files close when the last array view goes."""
        self._snapshot.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str):
        # The settings and the statistics the tests and tools read (field_stats, word_postings …) are
        # the current snapshot's.
        return getattr(self._snapshot, name)

    def __setattr__(self, name: str, value) -> None:
        if name not in self.SETTINGS:
            raise AttributeError(f"Searcher has no setting {name!r} (settings: {', '.join(self.SETTINGS)})")
        setattr(self._snapshot, name, value)


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


def _expand(table: TermTable, node: Prefix | Wildcard | Fuzzy, text: str, limit: int,
            notes: list[str]) -> Expansion:
    """The entries of one segment's table that a prefix, wildcard or fuzzy node matches."""
    if isinstance(node, Prefix):
        found = expand_prefix(table, text, limit)
    elif isinstance(node, Wildcard):
        found = expand_wildcard(table, text, limit)
    else:
        found = expand_fuzzy(table, text, node.max_edits(text), limit)
    if found.truncated:
        _capped([""] * found.total, node, limit, notes)
    return found


def _capped(terms: list[str], node: Node, limit: int, notes: list[str]) -> list[str]:
    if len(terms) > limit:
        note = (f"{node} matched more than {limit:,} terms; the first {limit:,} were used "
                f"(raise Searcher.max_expansions to use more)")
        if note not in notes:
            notes.append(note)
    return terms[:limit]


def _count_values(segment: SegmentReader, field: str, docs: np.ndarray, counts: dict[str, int]) -> None:
    """Add to ``counts`` how many of ``docs`` hold each value of a KEYWORD field."""
    if not len(docs):
        return
    terms = segment.terms(field)
    chosen = np.zeros(segment.num_docs, dtype=np.int64)
    chosen[docs] = 1
    held = chosen[terms.all_doc_ids]
    starts = terms.posting_starts
    if not len(held):
        return
    per_term = np.add.reduceat(held, np.minimum(starts[:-1], len(held) - 1))
    empty = starts[1:] == starts[:-1]  # reduceat gives an empty range its start's value: zero them
    per_term[empty] = 0
    for term_ord in np.flatnonzero(per_term).tolist():
        value = terms.terms.decode(term_ord)
        counts[value] = counts.get(value, 0) + int(per_term[term_ord])

