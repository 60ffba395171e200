"""Searching: query text to ranked hits, as a pipeline a reader can follow one module at a time.

    searcher.py   Searcher: the public API over one Snapshot, swapped whole by refresh()
    snapshot.py   Snapshot: a generation and its caches; a search runs plan → execute → collect → Results
    similar.py    did-you-mean corrections and more-like-this terms
    feedback.py   pseudo-relevance feedback (RM3): the expansion terms of the first pass's best documents
    results.py    Results and Hit
    explain.py    a hit's score taken apart, by the same scorer
    collectors.py top hits by score or by field, facet counts, the match count
    blockmax.py   the exact top k of an OR of words on a large segment, skipping blocks of postings
    maxscore.py   the exact top k of a disjunction on a large segment, skipping postings
    exhaustive.py a plan scored over one segment with dense work arrays
    plan.py       Planner and the plan types (Clause, RangePlan, BoolPlan, QueryPlan)
    scorer.py     BM25 / BM25F: the only code that turns tf, norms and idf into a score
    stats.py      collection statistics behind one interface (CollectionStats; LocalStats counts them)
    postings.py   a clause's postings in one segment (words, phrases, expansions, exact values)
    cache.py      the one bounded cache policy
    sparse.py     (doc ids, values) vectors combined by binary search

A module imports only modules listed below it, and nothing but this package's __init__ and the
engine imports the Searcher (tests/unit/test_layers.py checks both).
"""

from .results import DocAddress, Hit, Results
from .scorer import BM25
from .searcher import Searcher
from .snapshot import Snapshot
from .stats import CollectionStats, FieldStats, LocalStats


def __getattr__(name: str):
    # explain.py and feedback.py are imported on first use: a search needs neither
    if name in ("Explanation", "RM3"):
        from . import explain, feedback

        return getattr(explain if name == "Explanation" else feedback, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BM25", "RM3", "CollectionStats", "DocAddress", "Explanation", "FieldStats", "Hit", "LocalStats", "Results",
           "Searcher", "Snapshot"]
