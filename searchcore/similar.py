"""Suggestions from the index: "did you mean" corrections and more-like-this queries.

Both read the index through a Searcher's snapshot and statistics; the Searcher's methods of the same
names call these.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .analysis import normalize
from .errors import DocumentNotFoundError
from .plan import BoolPlan, Clause, as_list
from .query import Bool, Boost, Node, Term, parse
from .query.expand import expand_fuzzy, rank_suggestions
from .results import Results
from .scoring.bm25 import idf

if TYPE_CHECKING:
    from .search import Snapshot

#: "Did you mean" looks for a correction of a word held by at most this many documents.
SUGGEST_BELOW_DOC_FREQ = 2


def suggest(searcher: Snapshot, text: str, fields: Sequence[str] | None = None) -> str | None:
    """"Did you mean": ``text`` with each word that no document holds, or only a few do, replaced by
    the closest word of the index (fewest edits, then most documents); None when nothing changes.
    On Reuters-21578 with the AFP story, "Li Shangfo Belarus" gives "Li Shangfu Belarus".
    """
    targets = searcher._check_fields(fields)
    replacements: dict[str, str] = {}
    for word, word_fields in _query_words(parse(text, searcher.schema).node, targets):
        if word not in replacements:
            correction = _correction(searcher, word, word_fields)
            if correction is not None:
                replacements[word] = correction
    corrected = text
    for word, correction in replacements.items():
        corrected = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", correction, corrected)
    return corrected if corrected != text else None

def _correction(searcher: Snapshot, word: str, fields: tuple[str, ...]) -> str | None:
    lower = normalize(word).lower()
    if len(lower) < 3 or not lower.isalpha():
        return None
    analyzer = searcher.schema[fields[0]].analyzer
    terms = analyzer(lower)
    if len(terms) != 1:
        return None
    n_fields = tuple(f for f in fields if searcher.schema[f].analyzer == analyzer)
    df = searcher._doc_freq(tuple((field, terms[0]) for field in n_fields))
    if df > SUGGEST_BELOW_DOC_FREQ:
        return None
    # an absent word may be up to two edits off; a rare one is most often right (a name, a place), so
    # only a one-edit neighbour used ten times as often replaces it
    max_edits = (1 if len(lower) <= 5 else 2) if df == 0 else 1
    distances: dict[str, int] = {}
    if df == 0:
        for segment_ord, segment in enumerate(searcher.reader.segments):
            for field in n_fields:
                table = searcher._term_table(segment_ord, field, segment.text(field)._lexicon[0])
                for surface, distance in expand_fuzzy(table, lower, max_edits, limit=200).matches:
                    if surface != lower:
                        distances[surface] = min(distance, distances.get(surface, distance))
    else:  # a few hundred one-edit variants, looked up: cheaper than indexing the lexicon for fuzzy search
        variants = sorted(_one_edit_variants(lower))
        for segment in searcher.reader.segments:
            for field in n_fields:
                found = segment.text(field)._lexicon[0].find_many(variants)
                distances.update((v, 1) for v, at in zip(variants, found) if at >= 0)

    def surface_doc_freq(surface: str) -> int:
        stems = analyzer(surface)
        return searcher._doc_freq(tuple((field, stems[0]) for field in n_fields)) if len(stems) == 1 else 0

    frequent = [(surface, d) for surface, d in distances.items() if surface_doc_freq(surface) >= max(1, 10 * df)]
    best = rank_suggestions(lower, frequent, surface_doc_freq, limit=1)
    if not best:
        return None
    return best[0].capitalize() if word[:1].isupper() and word[1:2].islower() else (
        best[0].upper() if word.isupper() else best[0])


def _one_edit_variants(word: str) -> set[str]:
    """Every string one deletion, insertion, substitution or adjacent swap away from ``word``, over the
    letters a-z and the word's own."""
    letters = sorted(set("abcdefghijklmnopqrstuvwxyz") | set(word))
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {a + b[1:] for a, b in splits if b}
    variants |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    variants |= {a + c + b[1:] for a, b in splits if b for c in letters}
    variants |= {a + c + b for a, b in splits for c in letters}
    variants.discard(word)
    return variants


def more_like_this(searcher: Snapshot, doc_key: str, limit: int = 10, fields: Sequence[str] | None = None, *,
               max_terms: int = 25, min_doc_freq: int = 2, filter=None) -> Results:
    """Documents like the one whose ID is ``doc_key``: an OR of its ``max_terms`` most significant
    terms (tf in the document times idf, over its stored TEXT ``fields``), the document itself left
    out. Terms in fewer than ``min_doc_freq`` documents are skipped: they cannot find another.

    Raises:
        DocumentNotFoundError: no live document has that ID (a KeyError too).
    """
    started = time.perf_counter()
    found = searcher.reader.find_id(str(doc_key))
    if found is None:
        raise DocumentNotFoundError(doc_key)
    targets = searcher._check_fields(fields)
    stored = searcher.reader.segments[found[0]].stored(found[1])
    counts: dict[str, int] = {}
    for field in targets:
        text = stored.get(field)
        if isinstance(text, str):
            for term in searcher.schema[field].analyzer(text):
                counts[term] = counts.get(term, 0) + 1
    n = searcher._num_docs(targets)
    weighted = []
    for term, tf in counts.items():
        df = searcher._doc_freq(tuple((field, term) for field in targets))
        if df >= min_doc_freq:
            weighted.append((-tf * float(idf(df, n)), term))
    chosen = [term for _, term in sorted(weighted)[:max_terms]]
    clauses = tuple(
        Clause(targets, tuple(((term, 0),) for _ in targets), False,
                searcher._clause_idf(targets, [((term, 0),)] * len(targets)))
        for term in chosen
    )
    node = Bool(should=tuple(Term(term) for term in chosen))
    results = Results(searcher, node, [] if chosen else [f"document {doc_key!r} has no terms to search by"])
    results.highlight_terms = {field: frozenset(chosen) for field in targets}
    filters = [searcher._plan(searcher._parse(one, False, "OR")[0], targets) for one in as_list(filter)]
    plan = BoolPlan(clauses, (), ()) if clauses else None
    searcher._execute(results, plan, 0, limit, filters, None, False, (), exclude=found)
    results.took_ms = (time.perf_counter() - started) * 1e3
    return results


def _query_words(node: Node, fields: tuple[str, ...]):
    """(word, the TEXT fields it is searched in) for every plain word of a query."""
    if isinstance(node, Bool):
        for group in (node.should, node.must):
            for child in group:
                yield from _query_words(child, fields)
    elif isinstance(node, Boost):
        yield from _query_words(node.node, fields)
    elif isinstance(node, Term):
        targets = (node.field,) if node.field else fields
        if targets:
            yield node.text, targets
