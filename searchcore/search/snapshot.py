"""Snapshot: one committed generation with everything searching it needs, and the pipeline a search runs.

A search goes plan → execution → collectors: the :class:`~.plan.Planner` turns the query into a
:class:`~.plan.QueryPlan` (clauses with their idf from the collection statistics); each segment is
scored by the exhaustive path (dense work arrays, :mod:`.exhaustive`) or, for a disjunction on a large
segment, by MaxScore (:mod:`.maxscore`), both through the one :class:`~.scorer.BM25Scorer`; the
collectors keep the top hits (``np.partition`` per segment, one ``lexsort`` across segments), facet
counts and the match count, and :class:`~.results.Results` wraps them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError, DocumentNotFoundError
from ..index.reader import IndexReader, SegmentReader
from ..query import Bool, Node, Term
from . import similar
from .collectors import FacetCounts, MatchCount, SortKeys, TopScores, TopSorted
from .blockmax import top_k_blocks, word_lists
from .exhaustive import ScratchPool, evaluate, filter_mask
from .maxscore import MIN_POSTINGS_PER_WORD, top_k_disjunction
from .plan import BoolPlan, Clause, Planner, QueryPlan
from .postings import PostingsCache
from .results import DocAddress, Results
from .scorer import BM25, BM25Scorer
from .stats import CollectionStats, FieldStats, LocalStats

if TYPE_CHECKING:  # explain.py and feedback.py are imported where they are used: a search needs neither
    from .explain import Explanation
    from .feedback import RM3


class Snapshot:
    """One committed generation of an index and what searching it has learned (term look-ups,
    statistics, norms, planned clauses, work arrays): the state a Searcher swaps as a whole when it
    refreshes. Searches running on a snapshot finish on it, whatever the Searcher does meanwhile.

    Args:
        reader: the generation to search.
        scorer: BM25 parameters (``BM25(k1=1.2, b=0.75)`` by default).
        stats: the collection statistics to score with (by default, counted over this generation's
            segments; a shard of a larger collection passes the whole collection's).
    """

    def __init__(self, reader: IndexReader, scorer: BM25 | None = None,
                 stats: CollectionStats | None = None) -> None:
        bm25 = scorer if scorer is not None else BM25()
        if not isinstance(bm25, BM25):
            raise ArgumentTypeError(f"scorer must be a BM25 instance, got {type(scorer).__name__}")
        self.reader = reader
        self.schema = reader.schema
        self.bm25 = bm25
        self.postings = PostingsCache(reader)
        self.stats = stats if stats is not None else LocalStats(reader, self.postings)
        self.scorer = BM25Scorer(bm25, reader, self.stats, self.postings)
        self.planner = Planner(reader, self.stats)
        self.sort_keys = SortKeys(reader)
        self._scratch = ScratchPool()  # dense work arrays per segment and thread
        self.default_fields = self.schema.text_fields
        self.prune = True  # MaxScore for disjunctions; False scores every posting (the tests compare both)
        #: an OR of words whose lists in a segment (a word's in every field it is searched in) hold fewer
        #: postings than this times the number of words is scored exhaustively there (see
        #: maxscore.MIN_POSTINGS_PER_WORD); 0 lets MaxScore take any
        self.maxscore_min_postings = MIN_POSTINGS_PER_WORD

    # -- settings: a Searcher carries them over when it refreshes -----------------------------------------
    @property
    def maxscore_min_docs(self) -> int:
        """Below this many documents a segment is scored exhaustively: skipping postings saves less than
        choosing what to skip costs (measured on Reuters-21578 and the generated 10x corpus)."""
        return self.scorer.cache_below_docs

    @maxscore_min_docs.setter
    def maxscore_min_docs(self, value: int) -> None:
        self.scorer.cache_below_docs = value

    @property
    def max_expansions(self) -> int:
        """The most index terms a prefix, wildcard or fuzzy term stands for."""
        return self.planner.max_expansions

    @max_expansions.setter
    def max_expansions(self, value: int) -> None:
        self.planner.max_expansions = value

    @property
    def field_tf_cache_bytes(self) -> int:
        """The most bytes of words' doc ids and weighted term frequencies kept (oldest out first)."""
        return self.scorer.field_tfs.max_bytes

    @field_tf_cache_bytes.setter
    def field_tf_cache_bytes(self, value: int) -> None:
        self.scorer.field_tfs.max_bytes = value

    # -- lifecycle ----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the snapshot's caches. Mapped files close when the last array view goes."""
        self.postings.clear()
        if isinstance(self.stats, LocalStats):
            self.stats.clear()
        self.scorer.clear()
        self.planner.clear()
        self.sort_keys.clear()
        self._scratch = ScratchPool()

    @property
    def doc_count(self) -> int:
        """The documents searched (deleted ones not counted)."""
        return self.reader.doc_count

    def document(self, doc_key: str) -> dict | None:
        """The stored fields of the document whose ID is ``doc_key``, or None."""
        found = self.reader.find_id(str(doc_key))
        return None if found is None else self.reader.segments[found[0]].stored(found[1])

    def field_stats(self, field: str) -> FieldStats:
        """The field's live document count and average length, over the collection."""
        return self.stats.field_stats(field)

    # -- searching ----------------------------------------------------------------------------------------
    def search(self, query: str | Node, limit: int = 10, fields: Sequence[str] | None = None, *,
               offset: int = 0, filter: str | Node | Sequence[str | Node] | None = None,
               sort: str | None = None, facets: Sequence[str] = (), strict: bool = False,
               default_operator: str = "OR", feedback: bool | RM3 | None = None) -> Results:
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
            feedback: pseudo-relevance feedback (RM3, :mod:`.feedback`): True for its defaults, or an
                :class:`RM3` with settings. The query is searched twice; ``Results.expansion`` lists the
                terms the second pass added, with their weights.

        Raises:
            SchemaError: ``fields``, ``sort``, ``facets`` or a node names a field that is not in the
                schema or cannot be used that way.
            QueryParseError: ``strict`` and the text is not valid syntax.
            ValueError: a negative limit or offset.
        """
        if feedback is not None and feedback is not False:
            from .feedback import settings as feedback_settings

            rm3 = feedback_settings(feedback)
            return self._search_with_feedback(rm3, query, limit, fields, offset=offset, filter=filter, sort=sort,
                                              facets=facets, strict=strict, default_operator=default_operator)
        started = time.perf_counter()
        for name, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ArgumentError(f"{name} must be an int >= 0, got {value!r}")
        planner = self.planner
        targets = planner.check_fields(fields, self.default_fields)
        sort_field, descending = planner.check_sort(sort)
        facet_fields = planner.check_facets(facets)
        node, warnings = planner.parse(query, strict, default_operator)
        root = planner.plan(node, targets, notes=warnings)
        filters = planner.plan_filters(filter, targets, strict, default_operator, warnings)
        if root is None and not warnings:
            warnings.append("the query has no searchable words")
        plan = QueryPlan(root, filters, targets, default_operator, self.bm25, sort_field, descending,
                         facet_fields, offset, limit)
        results = self.execute(plan, node, warnings)
        results.text = query if isinstance(query, str) else None
        results.took_ms = (time.perf_counter() - started) * 1e3
        return results

    def _search_with_feedback(self, rm3: RM3, query: str | Node, limit: int, fields: Sequence[str] | None, *,
                              offset: int, filter, sort: str | None, facets: Sequence[str], strict: bool,
                              default_operator: str) -> Results:
        """RM3: a first pass by score for the feedback documents, then the expanded query (see feedback.py)."""
        from .feedback import expanded_query, expansion

        started = time.perf_counter()
        first = self.search(query, rm3.docs, fields, filter=filter, strict=strict, default_operator=default_operator)
        terms = expansion(rm3, [((h.address.segment_ord, h.address.doc_id), h.score) for h in first],
                          self.reader, first.fields, self.stats)
        words = set().union(*first.highlight_terms.values()) if first.highlight_terms else set()
        node = expanded_query(first.query, len(words), rm3, terms)
        results = self.search(node, limit, first.fields, offset=offset, filter=filter, sort=sort, facets=facets,
                              default_operator=default_operator)
        results.text = query if isinstance(query, str) else None
        results.warnings = [*first.warnings, *(w for w in results.warnings if w not in first.warnings)]
        results.feedback, results.expansion = rm3, terms
        results.took_ms = (time.perf_counter() - started) * 1e3
        return results

    def search_many(self, queries: Iterable[str | Node], limit: int = 10,
                    fields: Sequence[str] | None = None) -> list[Results]:
        """Run many queries against this snapshot; each result equals ``search(query, limit, fields)``.

        The queries share the snapshot's caches (term look-ups, document frequencies, length norms), so
        a batch over a common vocabulary costs less per query than fresh searchers would.
        """
        return [self.search(query, limit=limit, fields=fields) for query in queries]

    def execute(self, plan: QueryPlan, query: Node, warnings: list[str]) -> Results:
        """Run ``plan`` over every segment and collect its hits, match count and facet counts."""
        count = MatchCount()
        facets = FacetCounts(plan.facets) if plan.facets else None
        if plan.sort is None:
            top = TopScores(plan.offset, plan.limit)
        else:
            top = TopSorted(plan.offset, plan.limit, self.sort_keys, plan.sort, plan.descending)
        if plan.root is not None:
            self._collect(plan, count, facets, top)
        return Results(self, self.reader.segments, self.schema, self.planner.analyzers, plan, query, warnings,
                       top.hits(), count,
                       facets.result() if facets is not None and plan.root is not None
                       else {name: [] for name in plan.facets})

    def _collect(self, plan: QueryPlan, count: MatchCount, facets: FacetCounts | None, top: TopScores) -> None:
        root, filters, exclude, scorer = plan.root, plan.filters, plan.exclude, self.scorer
        min_docs = scorer.cache_below_docs  # maxscore_min_docs
        clauses: tuple = ()  # an OR of clauses ranked by score alone: MaxScore's case
        if (self.prune and self.reader.largest_segment >= min_docs and top.wanted > 0 and not filters
                and exclude is None and plan.sort is None and not plan.facets):
            if isinstance(root, BoolPlan) and not root.must and not root.must_not:
                clauses = root.should if all(isinstance(c, Clause) and not c.group for c in root.should) else ()
            elif isinstance(root, Clause) and root.word:
                clauses = (root,)
        words = all(c.word for c in clauses)  # block bounds hold for words' scores only
        with self.postings.one_query():
            for segment_ord, segment in enumerate(self.reader.segments):
                self._collect_segment(plan, clauses, words, segment_ord, segment, count, facets, top)

    def _collect_segment(self, plan: QueryPlan, clauses: tuple, words: bool, segment_ord: int,
                         segment: SegmentReader, count: MatchCount, facets: FacetCounts | None,
                         top: TopScores) -> None:
        """One segment's part of :meth:`_collect`: ``clauses`` is the OR MaxScore and block-max can take
        (``words``: of words only), or empty."""
        root, filters, exclude, scorer = plan.root, plan.filters, plan.exclude, self.scorer
        min_docs = scorer.cache_below_docs
        scratch = self._scratch.get(segment_ord, segment.max_doc)
        try:
            found = None
            if clauses and segment.max_doc >= min_docs:
                # the words' postings in this segment, every field's list (unknown for other clauses)
                postings = None
                if words:
                    lists = word_lists(clauses, segment)
                    postings = sum(one[-1] for one in lists)
                    found = top_k_blocks(scorer, clauses, segment_ord, segment, top.wanted, scratch, lists)
                if (found is None and len(clauses) > 1
                        and (postings is None or postings >= self.maxscore_min_postings * len(clauses))):
                    found = top_k_disjunction(scorer, clauses, segment_ord, segment, top.wanted, scratch)
            if found is not None:
                docs, scores, total = found
                if total is None:
                    count.add_later(self._counter(clauses, segment_ord, segment))
                else:
                    count.add(total)
            else:
                docs, scores = evaluate(scorer, root, segment_ord, segment, scratch)
                if exclude is not None and exclude[0] == segment_ord and len(docs):
                    keep = docs != exclude[1]
                    docs, scores = docs[keep], scores[keep]
                if filters and len(docs):
                    keep = filter_mask(scorer, filters, segment_ord, segment, scratch)[docs]
                    docs, scores = docs[keep], scores[keep]
                count.add(len(docs))
        except BaseException:
            self._scratch.discard(segment_ord)  # its arrays may be left dirty
            raise
        if facets is not None:
            facets.collect(segment, docs)
        top.collect(segment_ord, segment, docs, scores)

    def _counter(self, clauses: tuple[Clause, ...], segment_ord: int, segment: SegmentReader):
        """A function counting the live documents any of ``clauses`` matches in one segment."""
        scorer, postings = self.scorer, self.postings

        def count() -> int:
            if all(clause.word for clause in clauses):  # the documents holding any of the words
                return postings.holding(segment_ord, tuple((field, pairs[0][0]) for clause in clauses
                                                           for field, pairs in zip(clause.fields, clause.terms)
                                                           if pairs))
            matched = np.zeros(segment.max_doc, dtype=bool)
            for clause in clauses:
                matched[scorer.clause_scores(clause, segment_ord, segment)[0]] = True
            if segment.live is not None:
                matched &= segment.live
            return int(np.count_nonzero(matched))

        return count

    # -- explanations -------------------------------------------------------------------------------------
    def explain(self, query: str | Node, doc_key: str, fields: Sequence[str] | None = None, *,
                filter: str | Node | Sequence[str | Node] | None = None, strict: bool = False,
                default_operator: str = "OR") -> Explanation:
        """How the document with ID ``doc_key`` scores for ``query`` searched with these options (the
        same as :meth:`search`'s): a tree whose root value is its score (0, with ``matched`` False, when
        it does not match, fails a filter or is not in the index)."""
        from .explain import Explanation

        found = self.reader.find_id(str(doc_key))
        if found is None:
            return Explanation(0.0, f"no document with ID {doc_key!r}", matched=False)
        planner = self.planner
        targets = planner.check_fields(fields, self.default_fields)
        node, _ = planner.parse(query, strict, default_operator)
        filters = planner.plan_filters(filter, targets, strict, default_operator, [])
        plan = QueryPlan(planner.plan(node, targets), filters, targets, default_operator, self.bm25)
        return self.explain_hit(plan, DocAddress(*found))

    def explain_hit(self, plan: QueryPlan, address: DocAddress) -> Explanation:
        """The explanation of the search ``plan`` for the document at ``address`` in this snapshot."""
        from .explain import explain_search

        return explain_search(self.scorer, plan, address.segment_ord, address.doc_id)

    # -- similar ------------------------------------------------------------------------------------------
    def suggest(self, text: str, fields: Sequence[str] | None = None) -> str | None:
        """"Did you mean": ``text`` with each word that no document holds, or only a few do, replaced by
        the closest word of the index (fewest edits, then most documents); None when nothing changes.
        On Reuters-21578 with the AFP story, "Li Shangfo Belarus" gives "Li Shangfu Belarus"."""
        return similar.suggest(self.planner, text, self.planner.check_fields(fields, self.default_fields))

    def complete(self, text: str, limit: int = 8, fields: Sequence[str] | None = None) -> list[str]:
        """Search-as-you-type: ``text`` with its last word completed by the index's own words that start
        with it, the most widely used first ("li shang" → ["li shangfu", ...]); see :func:`.similar.complete`.

        Raises:
            ValueError: a negative limit.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ArgumentError(f"limit must be an int >= 0, got {limit!r}")
        return similar.complete(self.planner, text, self.planner.check_fields(fields, self.default_fields), limit)

    def more_like_this(self, doc_key: str, limit: int = 10, fields: Sequence[str] | None = None, *,
                       max_terms: int = 25, min_doc_freq: int = 2, filter=None) -> Results:
        """Documents like the one whose ID is ``doc_key``: an OR of its ``max_terms`` most significant
        terms (tf in the document times idf, over its stored TEXT ``fields``), the document itself left
        out. Terms in fewer than ``min_doc_freq`` documents are skipped: they cannot find another.

        Raises:
            DocumentNotFoundError: no live document has that ID (a KeyError too).
        """
        started = time.perf_counter()
        found = self.reader.find_id(str(doc_key))
        if found is None:
            raise DocumentNotFoundError(doc_key)
        planner = self.planner
        targets = planner.check_fields(fields, self.default_fields)
        stored = self.reader.segments[found[0]].stored(found[1])
        chosen = similar.like_this(planner, stored, targets, max_terms, min_doc_freq)
        clauses = planner.word_clauses(chosen, targets)
        warnings = [] if chosen else [f"document {doc_key!r} has no terms to search by"]
        filters = planner.plan_filters(filter, targets, False, "OR", warnings)
        plan = QueryPlan(BoolPlan(clauses, (), ()) if clauses else None, filters, targets, "OR", self.bm25,
                         limit=limit, exclude=found)
        results = self.execute(plan, Bool(should=tuple(Term(term) for term in chosen)), warnings)
        results.highlight_terms = {field: frozenset(chosen) for field in targets}
        results.took_ms = (time.perf_counter() - started) * 1e3
        return results
