"""Explanations: how one document's score comes out of the query, as a tree of values, like Lucene's.

Every node's value is computed again here for one document, by the scorer that ranked it and from the same
statistics, so the root's value equals the document's score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .plan import Clause, RangePlan
from .postings import field_freqs, keyword_matches

if TYPE_CHECKING:
    from ..index.reader import SegmentReader
    from .plan import QueryPlan
    from .scorer import BM25Scorer


@dataclass(frozen=True)
class Explanation:
    """A value, what it is, and the values it is made of."""

    value: float
    description: str
    details: tuple[Explanation, ...] = field(default=())
    matched: bool = True

    def __str__(self) -> str:
        return "\n".join(self._lines(0))

    def _lines(self, depth: int) -> list[str]:
        lines = [f"{'  ' * depth}{self.value:.6g} = {self.description}"]
        for detail in self.details:
            lines += detail._lines(depth + 1)
        return lines


def _no_match(description: str) -> Explanation:
    return Explanation(0.0, description, matched=False)


def explain_search(scorer: BM25Scorer, plan: QueryPlan, segment_ord: int, doc_id: int) -> Explanation:
    """How one document of a segment scores in the search ``plan`` describes: a failed filter, or the
    explanation of the query's plan."""
    segment = scorer.reader.segments[segment_ord]
    for i, one in enumerate(plan.filters):
        if not explain_plan(scorer, one, segment_ord, segment, doc_id).matched:
            return Explanation(0.0, f"no match: the document fails filter {i + 1}", matched=False)
    return explain_plan(scorer, plan.root, segment_ord, segment, doc_id)


def explain_plan(scorer: BM25Scorer, plan, segment_ord: int, segment: SegmentReader, doc_id: int) -> Explanation:
    """The explanation of ``plan`` (a clause, range or Bool of them) for one document."""
    if plan is None:
        return _no_match("no match: the query has no searchable words")
    if isinstance(plan, Clause):
        return _explain_clause(scorer, plan, segment_ord, segment, doc_id)
    if isinstance(plan, RangePlan):
        value = float(segment.values(plan.field)[doc_id])
        if not plan.mask(np.array([value]))[0]:
            return _no_match(f"no match: {plan.field} value {value:g} is out of the range")
        return Explanation(0.0, f"{plan.field} value {value:g} is in the range (ranges add nothing to the score)")
    must = [explain_plan(scorer, c, segment_ord, segment, doc_id) for c in plan.must]
    should = [explain_plan(scorer, c, segment_ord, segment, doc_id) for c in plan.should]
    excluded = [e for e in (explain_plan(scorer, c, segment_ord, segment, doc_id) for c in plan.must_not)
                if e.matched]
    if must and not all(e.matched for e in must):
        return _no_match("no match: a required clause does not match")
    if not must and should and not any(e.matched for e in should):
        return _no_match("no match: none of the clauses matches")
    if excluded:
        return _no_match("no match: a prohibited clause matches")
    parts = [e for e in must + should if e.matched]
    return Explanation(sum(e.value for e in parts), "sum of the matching clauses", tuple(parts))


def _explain_clause(scorer: BM25Scorer, clause: Clause, segment_ord: int, segment: SegmentReader,
                    doc_id: int) -> Explanation:
    k1, b = scorer.k1, scorer.b
    joiner = " | " if clause.group or clause.keyword else " "
    text = joiner.join(term for term, _ in (clause.terms[0] if clause.terms else ()))
    idf_node = Explanation(clause.idf, "idf, ln(1 + (N - df + 0.5) / (df + 0.5)), summed over a phrase's terms")
    weight_nodes: tuple[Explanation, ...] = (idf_node,)
    if clause.boost != 1.0:
        weight_nodes += (Explanation(clause.boost, "boost of the query clause"),)
    if clause.keyword:
        if doc_id not in set(keyword_matches(segment, clause.fields[0], (v for v, _ in clause.terms[0])).tolist()):
            return _no_match(f"no match: {clause.fields[0]}:{text}")
        return Explanation(scorer.exact_score(clause.weight),
                           f"{clause.fields[0]}:{text}, exact term: idf * boost / (1 + k1), k1={k1}", weight_nodes)
    weighted_tf = 0.0
    fields = []
    for name, pairs in zip(clause.fields, clause.terms):
        if not pairs:
            continue
        docs, freqs = field_freqs(segment.text(name), pairs, clause.slop, clause.group)
        at = np.searchsorted(docs, doc_id)
        if at >= len(docs) or docs[at] != doc_id:
            continue
        freq = float(freqs[at])
        doc_len = int(segment.text(name).doc_lens[doc_id])
        avg_doc_len = scorer.stats.field_stats(name).avg_doc_len
        boost = scorer.boosts[name]
        contribution = float(scorer.weighted_tf(segment_ord, name, np.array([doc_id]), np.array([freq]))[0])
        weighted_tf += contribution
        what = ("summed term frequency" if clause.group else "phrase frequency" if len(pairs) > 1
                else "term frequency")
        fields.append(Explanation(contribution, f"{name}: boost * tf / (1 - b + b * dl / avgdl)", (
            Explanation(freq, f"tf, {what} of {joiner.join(t for t, _ in pairs)!r}"),
            Explanation(boost, "boost of the field"),
            Explanation(doc_len, "dl, terms in the field"),
            Explanation(avg_doc_len, "avgdl, over the live documents that have the field"),
            Explanation(b, "b"),
        )))
    if not fields:
        return _no_match(f"no match: {text!r} in {', '.join(clause.fields)}")
    value = float(scorer.score(clause.weight, weighted_tf))
    tf_node = Explanation(weighted_tf, "tf~, the sum over fields (BM25F)", tuple(fields))
    formula = "idf * boost * tf~ / (k1 + tf~)" if clause.boost != 1.0 else "idf * tf~ / (k1 + tf~)"
    return Explanation(value, f"{text!r} in {', '.join(clause.fields)}: {formula}, k1={k1}",
                       (*weight_nodes, tf_node))
