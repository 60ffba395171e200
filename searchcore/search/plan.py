"""Query plans: a query resolved against the collection's statistics, ready to score segment by segment.

:class:`Planner` turns query nodes into a plan, once per search: a tree of :class:`BoolPlan` over
:class:`Clause` (a word, phrase or expanded term with its index terms per field and its global idf) and
:class:`RangePlan` (a NUMERIC or DATE range as numbers). :class:`QueryPlan` is everything a search was
asked for (the plan, its filters, fields, operator, scorer, order, facets and page), the one object that
execution, collectors and explanations read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis import Analyzer, normalize
from ..errors import ArgumentTypeError, SchemaError
from ..index.reader import IndexReader
from ..index.terms import TermDictionary
from ..query import Bool, Boost, Fuzzy, Node, Phrase, Prefix, Range, Term, Wildcard, parse
from ..query.expand import Expansion, expand_fuzzy, expand_prefix, expand_wildcard
from ..schema import DATE, ID, KEYWORD, NUMERIC, TEXT, date_period
from .cache import BoundedCache
from .scorer import BM25, idf
from .stats import CollectionStats

_LEAVES = (Term, Phrase, Prefix, Wildcard, Fuzzy)


@dataclass(frozen=True)
class Clause:
    """A word, phrase or expanded term resolved against the index: terms per field, and its global idf.

    ``terms`` holds, per field, (term, relative position) pairs: one pair for a word, several for a
    phrase, or, when ``group`` is set, the alternatives a prefix, wildcard or fuzzy term expanded to,
    scored as one term whose tf is theirs summed (Lucene's SynonymQuery).
    """

    fields: tuple[str, ...]
    terms: tuple[tuple[tuple[str, int], ...], ...]
    keyword: bool
    idf: float
    boost: float = 1.0
    slop: int = 0
    group: bool = False

    def __post_init__(self) -> None:
        # Derived once here, read on every segment of every query (functools.cached_property takes a lock
        # on first use, which costs more than these expressions).
        phrase = not self.group and any(len(pairs) > 1 for pairs in self.terms)
        object.__setattr__(self, "phrase", phrase)  # several terms at relative positions
        object.__setattr__(self, "word", not (self.keyword or self.group or phrase))  # scored from its tf alone
        object.__setattr__(self, "weight", self.idf * self.boost)  # what the saturated tf is multiplied by


@dataclass(frozen=True)
class RangePlan:
    """A NUMERIC or DATE range as numbers; it matches without adding to the score."""

    field: str
    low: float
    high: float
    include_low: bool
    include_high: bool

    def mask(self, values: np.ndarray) -> np.ndarray:
        above = values >= self.low if self.include_low else values > self.low
        below = values <= self.high if self.include_high else values < self.high
        return above & below  # NaN (no value) compares False


@dataclass(frozen=True)
class BoolPlan:
    should: tuple[Any, ...]
    must: tuple[Any, ...]
    must_not: tuple[Any, ...]

    def __post_init__(self) -> None:
        # only optional word clauses: a plain disjunction, the common query
        words_only = not (self.must or self.must_not) and all(type(c) is Clause and c.word for c in self.should)
        object.__setattr__(self, "words_only", words_only)


def highlight_terms(plan) -> dict[str, frozenset[str]]:
    """The index terms per field of the clauses that score in ``plan`` (not those of must_not clauses, nor
    exact ID or KEYWORD terms): what highlighting marks."""
    found: dict[str, set[str]] = {}
    todo = [plan]
    while todo:
        node = todo.pop()
        if isinstance(node, BoolPlan):
            todo.extend(node.should + node.must)
        elif isinstance(node, Clause) and not node.keyword:
            for field, pairs in zip(node.fields, node.terms):
                found.setdefault(field, set()).update(term for term, _ in pairs)
    return {field: frozenset(terms) for field, terms in found.items()}


def range_end(ftype, field: str, value, high: bool, included: bool) -> tuple[float, bool]:
    """(number, included) of one end of a range. A DATE end given as a year, a month or a day stands for
    the whole period (see :func:`~searchcore.schema.date_period`): ``[a TO b]`` runs to the end of b,
    ``{a TO`` starts after a."""
    if value is None:
        return (np.inf if high else -np.inf), True
    if isinstance(ftype, NUMERIC):
        try:
            return float(value), included
        except (TypeError, ValueError):
            raise SchemaError(f"range end {value!r} of NUMERIC field {field!r} is not a number") from None
    if isinstance(value, str):
        try:
            start, end = date_period(value)
        except ValueError:
            raise SchemaError(f"range end {value!r} of DATE field {field!r} is not an ISO 8601 date") from None
        if end > start and high == included:  # through the end of the period, or from the one after
            return end, not included
        return start, included
    whole_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    seconds = ftype.normalize(field, value)[0]
    if whole_day and (high == included):  # through the end of the day, or from the day after
        return seconds + 86_400.0, not included
    return seconds, included


def as_list(filter) -> list:
    """A filter argument (None, one query, or several) as a list of queries."""
    if filter is None:
        return []
    if isinstance(filter, str | Node):
        return [filter]
    return list(filter)


@dataclass(frozen=True, eq=False)
class QueryPlan:
    """One search as it runs: the plan of its query and of its filters, and everything else it asked for.

    Built once by :meth:`Planner.query_plan`; execution, the collectors and ``Results.explain`` all read
    this object, so an explanation always describes the search that ranked the hit.
    """

    root: Clause | RangePlan | BoolPlan | None  # None: the query can match nothing
    filters: tuple[Clause | RangePlan | BoolPlan | None, ...]  # every hit matches each; a None matches nothing
    fields: tuple[str, ...]  # the TEXT fields words without a field: prefix are searched in
    default_operator: str = "OR"
    scorer: BM25 = BM25()
    sort: str | None = None  # a NUMERIC, DATE, ID or KEYWORD field, or None: by score
    descending: bool = False
    facets: tuple[str, ...] = ()
    offset: int = 0
    limit: int = 10
    exclude: tuple[int, int] | None = None  # a (segment_ord, doc_id) never to return (more-like-this)


class Planner:
    """Plans queries against one generation: checks fields, expands multi-term nodes over its term
    dictionaries, and gives each clause its idf from ``stats``. Leaf clauses are remembered, since query
    words repeat.

    Args:
        reader: the generation.
        stats: the collection statistics idf is computed from.
    """

    def __init__(self, reader: IndexReader, stats: CollectionStats) -> None:
        self.reader = reader
        self.schema = reader.schema
        self.stats = stats
        self.max_expansions = 1024  # the most index terms a prefix, wildcard or fuzzy term stands for
        #: per TEXT field, its analyzer reading the generation's lexicon first (see Analyzer.with_lexicon)
        self.analyzers: dict[str, Analyzer] = {}
        for name in self.schema.text_fields:
            analyzer = self.schema[name].analyzer
            # any field analysed the same way knows the same stems
            same = [name, *(n for n in self.schema.text_fields if n != name and self.schema[n].analyzer == analyzer)]
            self.analyzers[name] = analyzer.with_lexicon(_LexiconLookup(reader, same))
        self._leaves = BoundedCache()
        #: what a multi-term node expands to, per (node, field), when the terms must come from elsewhere:
        #: a shard of a larger collection expands over every shard's terms (searchcore.distributed)
        self.expansions: Mapping[tuple[Node, str], tuple[str, ...]] | None = None
        #: when a dict, each expansion made from this generation's own terms is recorded in it
        self.expanded: dict[tuple[Node, str], tuple[str, ...]] | None = None

    def clear(self) -> None:
        self._leaves.clear()

    # -- arguments ----------------------------------------------------------------------------------------
    def check_fields(self, fields: Sequence[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
        """``fields`` as a tuple of TEXT fields (``default`` when None)."""
        if fields is None:
            return default
        fields = tuple(fields)
        for name in fields:
            if not isinstance(self.schema[name], TEXT):
                raise SchemaError(f"default fields must be TEXT fields; {name!r} is {self.schema[name].kind.upper()}")
        return fields

    def check_sort(self, sort: str | None) -> tuple[str | None, bool]:
        """(field, descending) of a sort argument ("field" or "-field")."""
        if sort is None:
            return None, False
        name = sort[1:] if sort.startswith("-") else sort
        if not isinstance(self.schema[name], NUMERIC | DATE | KEYWORD | ID):
            raise SchemaError(f"hits can be sorted by a NUMERIC, DATE, KEYWORD or ID field; {name!r} is "
                              f"{self.schema[name].kind.upper()}")
        return name, sort.startswith("-")

    def check_facets(self, facets: Sequence[str] | str) -> tuple[str, ...]:
        names = (facets,) if isinstance(facets, str) else tuple(facets)
        for name in names:
            if not isinstance(self.schema[name], KEYWORD):
                raise SchemaError(f"facets count the values of KEYWORD fields; {name!r} is {self.schema[name].kind.upper()}")
        return names

    def parse(self, query: str | Node, strict: bool, default_operator: str) -> tuple[Node, list[str]]:
        """(query node, the repairs the lenient parser reported) of text or a node."""
        if isinstance(query, str):
            parsed = parse(query, self.schema, strict=strict, default_operator=default_operator)
            return parsed.node, list(parsed.warnings)
        if isinstance(query, Node):
            return query, []
        raise ArgumentTypeError(f"query must be a str or a query node, got {type(query).__name__}")

    def plan_filters(self, filter, fields: tuple[str, ...], strict: bool, default_operator: str,
                     warnings: list[str]) -> tuple:
        """The plans of ``filter`` (text or nodes, one or a list); what parsing and planning repaired goes
        to ``warnings``, and an empty filter is skipped with a note."""
        plans = []
        for one in as_list(filter):
            filter_node, filter_warnings = self.parse(one, strict, default_operator)
            warnings.extend(f"filter: {w}" for w in filter_warnings)
            if filter_node == Bool():  # '' or only repairs: no clause to match, not "match nothing"
                warnings.append(f"empty filter {str(one)!r} ignored: it has no clause to match")
                continue
            plans.append(self.plan(filter_node, fields, notes=warnings))
        return tuple(plans)

    # -- planning -----------------------------------------------------------------------------------------
    def plan(self, node: Node, fields: tuple[str, ...], boost: float = 1.0, notes: list[str] | None = None):
        """The plan of ``node``: a Clause, RangePlan or BoolPlan, or None when it can match nothing.
        Boosts are multiplied down to the clauses; what the planning had to cut (expansions over the cap)
        goes to ``notes``."""
        if isinstance(node, Bool):
            plan = self.plan
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
                return self.plan(node.node, fields, boost * node.factor, notes)
            if isinstance(node, Range):
                return self._plan_range(node)
            if not isinstance(node, _LEAVES):
                raise ArgumentTypeError(f"not a query node: {node!r}")
        key = (node, fields, boost, self.max_expansions)
        planned = self._leaves.get(key)
        if planned is None:
            leaf_notes: list[str] = []
            planned = self._leaves.put(key, (self._plan_leaf(node, fields, boost, leaf_notes), tuple(leaf_notes)))
        if notes is not None and planned[1]:
            notes.extend(n for n in planned[1] if n not in notes)
        return planned[0]

    def word_clauses(self, words: Sequence[str], fields: tuple[str, ...]) -> tuple[Clause, ...]:
        """One clause per index term of ``words``, searched in ``fields`` (more-like-this queries)."""
        return tuple(Clause(fields, tuple(((term, 0),) for _ in fields), False,
                            self.clause_idf(fields, [((term, 0),)] * len(fields))) for term in words)

    def _plan_leaf(self, node: Term | Phrase | Prefix | Wildcard | Fuzzy, fields: tuple[str, ...],
                   boost: float, notes: list[str]) -> Clause | None:
        """A word, phrase or multi-term node resolved against the generation: its index terms per field
        and its idf."""
        targets = (node.field,) if node.field else fields
        if not targets:
            return None
        ftype = self.schema[targets[0]]
        expanding = isinstance(node, Prefix | Wildcard | Fuzzy)
        raw = isinstance(node, Term) and not node.analyzed  # an index term, looked up as it is
        if isinstance(ftype, ID | KEYWORD):
            text = node.pattern if isinstance(node, Wildcard) else node.text
            lowercase = isinstance(ftype, KEYWORD) and ftype.lowercase and not raw
            value = text.lower() if lowercase else text
            values = self.expand(node, targets[0], notes, value) if expanding else [value]
            df = self.stats.doc_freq(tuple((targets[0], v) for v in values))
            n = self.stats.field_stats(targets[0]).docs
            return Clause(targets, (tuple((v, 0) for v in values),), True, float(idf(df, n)), boost)
        if not isinstance(ftype, TEXT):
            raise SchemaError(f"field {targets[0]!r} is {ftype.kind.upper()} and cannot be searched by words")
        if expanding:
            per_field = [tuple((term, 0) for term in self.expand(node, field, notes)) for field in targets]
            if not any(per_field):  # expanded to nothing: a clause that matches no document
                return Clause(targets, tuple(per_field), False, 0.0, boost, group=True)
            key = tuple((field, term) for field, pairs in zip(targets, per_field) for term, _ in pairs)
            clause_idf = float(idf(self.stats.doc_freq(key), self.stats.doc_count(targets)))
            return Clause(targets, tuple(per_field), False, clause_idf, boost, group=True)
        if raw:
            per_field = [((node.text, 0),) for _ in targets]
            return Clause(targets, tuple(per_field), False, self.clause_idf(targets, per_field), boost)
        per_field = []
        for field in targets:
            pairs = self.analyzers[field].terms_with_positions(node.text)
            first = pairs[0][1] if pairs else 0
            per_field.append(tuple((term, pos - first) for term, pos in pairs))
        if not any(per_field):
            return None
        slop = node.slop if isinstance(node, Phrase) else 0
        return Clause(targets, tuple(per_field), False, self.clause_idf(targets, per_field), boost, slop)

    def clause_idf(self, fields: tuple[str, ...], per_field: list[tuple[tuple[str, int], ...]]) -> float:
        """Sum over the clause's term positions of idf(df, N); df counts documents holding the term in
        any of the fields (a phrase's idf is the sum of its terms' idfs, as in Lucene)."""
        n = self.stats.doc_count(fields)
        total = 0.0
        for i in range(max(len(p) for p in per_field)):
            key = tuple((field, pairs[i][0]) for field, pairs in zip(fields, per_field) if i < len(pairs))
            total += float(idf(self.stats.doc_freq(key), n))
        return total

    def _plan_range(self, node: Range) -> RangePlan | None:
        ftype = self.schema[node.field]
        if not isinstance(ftype, NUMERIC | DATE):
            raise SchemaError(f"ranges need a NUMERIC or DATE field; {node.field!r} is {ftype.kind.upper()}")
        low = range_end(ftype, node.field, node.low, high=False, included=node.include_low)
        high = range_end(ftype, node.field, node.high, high=True, included=node.include_high)
        return RangePlan(node.field, low[0], high[0], low[1], high[1])

    # -- expansion ----------------------------------------------------------------------------------------
    def expand(self, node: Prefix | Wildcard | Fuzzy, field: str, notes: list[str],
               keyword_text: str | None = None) -> list[str]:
        """The index terms ``node`` stands for in ``field``: given in :attr:`expansions`, or found in this
        generation's term dictionaries (``keyword_text``: the node's text as an ID or KEYWORD field holds
        it) and, when :attr:`expanded` is a dict, recorded there."""
        if self.expansions is not None:
            given = self.expansions.get((node, field))
            if given is not None:
                return capped(list(given), node, self.max_expansions, notes)
        if keyword_text is None:
            found = self._expand_text(node, field, notes)
        else:
            found = self._expand_keyword(node, field, keyword_text, notes)
        if self.expanded is not None:
            self.expanded[(node, field)] = tuple(found)
        return found

    def _expand_text(self, node: Prefix | Wildcard | Fuzzy, field: str, notes: list[str]) -> list[str]:
        """The index terms (stems) a multi-term node matches in a TEXT field: its pattern is matched
        against the surface forms that were indexed, in every segment, and those map to their stems."""
        analyzer = self.analyzers[field]
        text = normalize(node.pattern if isinstance(node, Wildcard) else node.text)  # as the text was
        if analyzer.lowercase:
            text = text.lower()
        stems: set[str] = set()
        for segment in self.reader.segments:
            lexicon = segment.text(field).lexicon
            found = _expand(lexicon.surfaces, node, text, self.max_expansions, notes)
            stems.update(lexicon.stems(found.ordinals))
        return capped(sorted(stems), node, self.max_expansions, notes)

    def _expand_keyword(self, node: Prefix | Wildcard | Fuzzy, field: str, text: str, notes: list[str]) -> list[str]:
        values: set[str] = set()
        for segment in self.reader.segments:
            values.update(_expand(segment.terms(field).terms, node, text, self.max_expansions, notes).terms)
        return capped(sorted(values), node, self.max_expansions, notes)


class _LexiconLookup:
    """surface token → the stem the first of ``fields`` that saw it was indexed with, in any segment;
    :meth:`many` looks up a batch of tokens (the words of the texts highlighting reads) at once."""

    __slots__ = ("reader", "fields")

    def __init__(self, reader: IndexReader, fields: list[str]) -> None:
        self.reader = reader
        self.fields = fields

    def __call__(self, surface: str) -> str | None:
        for field in self.fields:
            for segment in self.reader.segments:
                stem = segment.text(field).stem_of(surface)
                if stem is not None:
                    return stem
        return None

    def many(self, surfaces: list[str]) -> list[str | None]:
        # The fields share one analyzer, so whichever lexicon holds a token holds the same stem for it:
        # the largest lexicons are asked first, and each token is looked for until one has it.
        lexicons = sorted((segment.text(field).lexicon for field in self.fields for segment in self.reader.segments),
                          key=lambda lexicon: -len(lexicon.surfaces))
        out: list[str | None] = [None] * len(surfaces)
        todo = list(range(len(surfaces)))
        for lexicon in lexicons:
            if not todo:
                break
            found = lexicon.surfaces.find_many([surfaces[i] for i in todo])
            hits = [(i, at) for i, at in zip(todo, found) if at >= 0]
            if hits:
                stems = lexicon.stems(np.array([at for _, at in hits], dtype=np.int64))
                for (i, _), stem in zip(hits, stems):
                    out[i] = stem
                todo = [i for i, at in zip(todo, found) if at < 0]
        return out


def _expand(table: TermDictionary, node: Prefix | Wildcard | Fuzzy, text: str, limit: int,
            notes: list[str]) -> Expansion:
    """The entries of one segment's table that a prefix, wildcard or fuzzy node matches."""
    if isinstance(node, Prefix):
        found = expand_prefix(table, text, limit)
    elif isinstance(node, Wildcard):
        found = expand_wildcard(table, text, limit)
    else:
        found = expand_fuzzy(table, text, node.max_edits(text), limit)
    if found.truncated:
        capped([""] * found.total, node, limit, notes)
    return found


def capped(terms: list[str], node: Node, limit: int, notes: list[str]) -> list[str]:
    """The first ``limit`` of the terms ``node`` expanded to; when there were more, a note says so."""
    if len(terms) > limit:
        note = (f"{node} matched more than {limit:,} terms; the first {limit:,} were used "
                f"(raise Searcher.max_expansions to use more)")
        if note not in notes:
            notes.append(note)
    return terms[:limit]
