"""Hypothesis strategies: small corpora over a small vocabulary (so terms collide) and queries over it."""

from __future__ import annotations

from hypothesis import strategies as st

# Words chosen so that stemming merges some of them (visit/visits/visiting) and one is a stopword.
VOCABULARY = ["oil", "crude", "visit", "visits", "visiting", "minister", "belarus", "russia", "price",
              "prices", "opec", "the", "bank", "rates", "u.s.", "5.93"]

words = st.sampled_from(VOCABULARY)
texts = st.lists(words, min_size=0, max_size=12).map(" ".join)


@st.composite
def corpora(draw, min_docs: int = 1, max_docs: int = 14):
    n = draw(st.integers(min_docs, max_docs))
    return [{"id": f"d{i}", "title": draw(st.lists(words, max_size=4).map(" ".join)), "body": draw(texts)}
            for i in range(n)]


# A clause: (kind, text, field) where kind is "", "+" or "-", and text a word or a short "phrase".
clause_texts = st.one_of(words, st.lists(words, min_size=2, max_size=3).map(" ".join))
clauses = st.tuples(st.sampled_from(["", "", "+", "-"]), clause_texts, st.sampled_from([None, None, "title", "body"]))
queries = st.lists(clauses, min_size=1, max_size=4)
