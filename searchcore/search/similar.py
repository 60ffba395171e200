"""Suggestions from the index: "did you mean" corrections, completions of a word being typed, and the
terms of more-like-this queries.

Both read the generation through a planner (its schema, segments and their term dictionaries) and the collection
statistics; the searcher's methods of the same names call these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from ..analysis import normalize
from ..query import Bool, Boost, Node, Term, parse
from ..query.expand import expand_fuzzy, rank_suggestions
from .plan import Planner
from .scorer import idf

#: "Did you mean" looks for a correction of a word held by at most this many documents.
SUGGEST_BELOW_DOC_FREQ = 2


def suggest(planner: Planner, text: str, fields: tuple[str, ...]) -> str | None:
    """"Did you mean": ``text`` with each word that no document holds, or only a few do, replaced by
    the closest word of the index that starts with the same letter (fewest edits, then most documents);
    None when nothing changes.
    On Reuters-21578 with the AFP story, "Li Shangfo Belarus" gives "Li Shangfu Belarus".
    """
    replacements: dict[str, str] = {}
    for word, word_fields in _query_words(parse(text, planner.schema).node, fields):
        if word not in replacements:
            correction = _correction(planner, word, word_fields)
            if correction is not None:
                replacements[word] = correction
    corrected = text
    for word, correction in replacements.items():
        corrected = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", correction, corrected)
    return corrected if corrected != text else None


_LAST_WORD = re.compile(r"\w+$")


def complete(planner: Planner, text: str, fields: tuple[str, ...], limit: int) -> list[str]:
    """``text`` with its last word completed from the words of the index, best first: the indexed words
    (lowercased, as the lexicons hold them) that start with it, ranked by how many live documents hold
    their stem in any of ``fields``, then shorter first; one word per stem (its shortest form). Nothing
    when ``text`` ends in a space or a sign: there is no word to complete.

    A large range of words (a one-letter prefix) is narrowed first to the most frequent few per segment
    and field, by their postings' length; those are then ranked by the collection statistics.
    """
    found = _LAST_WORD.search(text)
    if found is None or limit <= 0:
        return []
    head, prefix = text[: found.start()], normalize(found.group()).lower()
    wanted = max(4 * limit, 32)
    shortest: dict[str, str] = {}  # stem -> its shortest surface form seen
    for segment in planner.reader.segments:
        for field in fields:
            reader = segment.text(field)
            lexicon = reader.lexicon
            start, stop = lexicon.surfaces.prefix_range(prefix)
            if start == stop:
                continue
            ordinals = np.arange(start, stop)
            if stop - start > wanted:
                starts = reader.posting_starts
                term_ords = lexicon.term_ords[start:stop].astype(np.int64)
                lengths = starts[term_ords + 1] - starts[term_ords]
                ordinals = np.sort(np.argpartition(-lengths, wanted)[:wanted]) + start
            for surface, stem in zip(lexicon.surfaces.terms_at(ordinals), lexicon.stems(ordinals)):
                best = shortest.get(stem)
                if best is None or (len(surface), surface) < (len(best), best):
                    shortest[stem] = surface
    doc_freq = planner.stats.doc_freq
    held = {stem: doc_freq(tuple((field, stem) for field in fields)) for stem in shortest}
    ranked = sorted((stem for stem in held if held[stem]),
                    key=lambda stem: (-held[stem], len(shortest[stem]), shortest[stem]))
    return [head + shortest[stem] for stem in ranked[:limit]]


def _correction(planner: Planner, word: str, fields: tuple[str, ...]) -> str | None:
    lower = normalize(word).lower()
    if len(lower) < 3 or not lower.isalpha():
        return None
    schema, doc_freq = planner.schema, planner.stats.doc_freq
    analyzer = planner.analyzers[fields[0]]
    terms = analyzer(lower)
    if len(terms) != 1:
        return None
    n_fields = tuple(f for f in fields if schema[f].analyzer == schema[fields[0]].analyzer)
    df = doc_freq(tuple((field, terms[0]) for field in n_fields))
    if df > SUGGEST_BELOW_DOC_FREQ:
        return None
    # an absent word may be up to two edits off; a rare one is most often right (a name, a place), so
    # only a one-edit neighbour used ten times as often replaces it. A correction keeps the word's first
    # letter, as Lucene's DirectSpellChecker does by default: a misspelling rarely starts wrong, and the
    # search is then over the words under that letter alone.
    max_edits = (1 if len(lower) <= 5 else 2) if df == 0 else 1
    distances: dict[str, int] = {}
    if df == 0:
        for segment in planner.reader.segments:
            for field in n_fields:
                surfaces = segment.text(field).lexicon.surfaces
                for surface, distance in expand_fuzzy(surfaces, lower, max_edits, limit=200,
                                                      prefix_length=1).matches:
                    if surface != lower:
                        distances[surface] = min(distance, distances.get(surface, distance))
    else:  # a few hundred one-edit variants, looked up: cheaper than indexing the lexicon for fuzzy search
        variants = sorted(v for v in _one_edit_variants(lower) if v[:1] == lower[:1])
        for segment in planner.reader.segments:
            for field in n_fields:
                found = segment.text(field).lexicon.surfaces.find_many(variants)
                distances.update((v, 1) for v, at in zip(variants, found) if at >= 0)

    def surface_doc_freq(surface: str) -> int:
        stems = analyzer(surface)
        return doc_freq(tuple((field, stems[0]) for field in n_fields)) if len(stems) == 1 else 0

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


def like_this(planner: Planner, stored: Mapping[str, object], fields: tuple[str, ...], max_terms: int,
              min_doc_freq: int) -> list[str]:
    """The ``max_terms`` most significant index terms of a document's stored ``fields``: tf in the
    document times idf, skipping terms in fewer than ``min_doc_freq`` documents (they cannot find
    another); best first, ties by term."""
    counts: dict[str, int] = {}
    for field in fields:
        text = stored.get(field)
        if isinstance(text, str):
            for term in planner.analyzers[field](text):
                counts[term] = counts.get(term, 0) + 1
    n = planner.stats.doc_count(fields)
    weighted = []
    for term, tf in counts.items():
        df = planner.stats.doc_freq(tuple((field, term) for field in fields))
        if df >= min_doc_freq:
            weighted.append((-tf * float(idf(df, n)), term))
    return [term for _, term in sorted(weighted)[:max_terms]]


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
