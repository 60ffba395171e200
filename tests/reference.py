"""A naive BM25/BM25F written plainly, with dicts and loops: the oracle the engine is checked against.

It shares nothing with the engine but the analyzer (which turns text into terms and positions);
statistics, phrase matching, boolean logic and the formulas are all computed here again, one
document at a time.

Definitions (see searchcore/scoring/bm25.py for the sources):
- for a clause over fields F: N = documents with at least one term in any field of F;
  df(t) = documents holding t in any field of F; idf = ln(1 + (N - df + 0.5) / (df + 0.5));
  a phrase's idf is the sum of its terms' idfs.
- avgdl_f = total terms in field f / documents with at least one term in f.
- tf~ = sum over f of boost_f * freq_f / (1 - b + b * dl_f / avgdl_f); score = idf * tf~ / (k1 + tf~).
- a query of must_not clauses only matches every other document, with score 0.
"""

from __future__ import annotations

import math

from searchcore.analysis import Analyzer


class ReferenceBM25:
    def __init__(self, docs: list[dict[str, str]], boosts: dict[str, float], k1: float = 1.2, b: float = 0.75):
        self.analyzer = Analyzer()
        self.boosts = boosts
        self.k1 = k1
        self.b = b
        self.ids = [d["id"] for d in docs]
        # positions[field][doc index][term] = list of positions
        self.positions = {f: [] for f in boosts}
        self.lengths = {f: [] for f in boosts}
        for doc in docs:
            for field in boosts:
                pairs = self.analyzer.terms_with_positions(doc.get(field, ""))
                where: dict[str, list[int]] = {}
                for term, pos in pairs:
                    where.setdefault(term, []).append(pos)
                self.positions[field].append(where)
                self.lengths[field].append(len(pairs))

    def avgdl(self, field):
        lens = [n for n in self.lengths[field] if n > 0]
        return sum(lens) / len(lens) if lens else 0.0

    def freq(self, field, d, pairs):
        """How often the (term, relative position) pairs occur together in document d's field."""
        where = self.positions[field][d]
        if not all(term in where for term, _ in pairs):
            return 0
        first_term, first_offset = pairs[0]
        count = 0
        for p in where[first_term]:
            start = p - first_offset
            if all(start + offset in where[term] for term, offset in pairs):
                count += 1
        return count

    def clause_scores(self, text, fields):
        """{doc index: score} for a word or phrase over fields."""
        per_field = {}
        for f in fields:
            pairs = self.analyzer.terms_with_positions(text)
            if pairs:
                first = pairs[0][1]
                per_field[f] = [(t, p - first) for t, p in pairs]
        if not per_field:
            return None
        n_docs = sum(1 for d in range(len(self.ids)) if any(self.lengths[f][d] > 0 for f in fields))
        idf = 0.0
        longest = max(len(p) for p in per_field.values())
        for i in range(longest):
            df = 0
            for d in range(len(self.ids)):
                if any(i < len(pairs) and pairs[i][0] in self.positions[f][d] for f, pairs in per_field.items()):
                    df += 1
            idf += math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        scores = {}
        for d in range(len(self.ids)):
            tf_weighted = 0.0
            for f, pairs in per_field.items():
                freq = self.freq(f, d, pairs)
                if freq:
                    norm = 1 - self.b + self.b * self.lengths[f][d] / self.avgdl(f)
                    tf_weighted += self.boosts[f] * freq / norm
            if tf_weighted > 0:
                scores[d] = idf * tf_weighted / (self.k1 + tf_weighted)
        return scores

    def search(self, should=(), must=(), must_not=(), fields=None):
        """[(id, score)] best first, ties by document order. Clauses are (text, field or None)."""
        fields = tuple(fields or self.boosts)

        def run(clauses):
            out = []
            for text, field in clauses:
                scores = self.clause_scores(text, (field,) if field else fields)
                if scores is not None:
                    out.append(scores)
            return out

        should_s, must_s, not_s = run(should), run(must), run(must_not)
        if not should and not must:  # only must_not clauses: every other document, scoring 0
            if not not_s:
                return []
            return [(self.ids[d], 0.0) for d in range(len(self.ids)) if not any(d in s for s in not_s)]
        if not should_s and not must_s:
            return []
        results = []
        for d in range(len(self.ids)):
            if must_s:
                if not all(d in s for s in must_s):
                    continue
            elif not any(d in s for s in should_s):
                continue
            if any(d in s for s in not_s):
                continue
            total = sum(s.get(d, 0.0) for s in must_s) + sum(s.get(d, 0.0) for s in should_s)
            results.append((d, total))
        results.sort(key=lambda x: (-x[1], x[0]))
        return [(self.ids[d], score) for d, score in results]


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without editing a substring twice): the
    textbook full-matrix DP. The oracle for fuzzy matching and did-you-mean."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]
