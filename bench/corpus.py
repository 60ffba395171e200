"""The benchmark corpus and query log: Reuters-21578 + the seed stories, and queries drawn from them.

Both engines get the same documents (id, title, body) and the same queries. The query log is
deterministic: a seeded generator draws 1 to 3 words from the corpus vocabulary, weighted towards words
that occur in a moderate number of documents, as users' query words do.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np

from searchcore.loaders import iter_documents

ROOT = Path(__file__).resolve().parents[1]
WORD = re.compile(r"[a-z]{3,}")


def corpora_dir() -> Path:
    return Path(os.environ.get("SEARCHCORE_CORPORA") or ROOT.parent / "shared" / "corpora")


@cache
def documents() -> list[dict]:
    """[{id, title, body}] for Reuters-21578 and the seed stories; empty when the corpus is absent."""
    corpora = corpora_dir()
    if not (corpora / "reuters21578").is_dir():
        return []
    docs = []
    for doc in iter_documents([corpora / "reuters21578", corpora / "seed"]):
        docs.append({"id": doc["id"], "title": doc.get("title", ""), "body": doc.get("body", "")})
    return docs


def query_log(docs: list[dict], n: int = 1000, seed: int = 1987) -> list[str]:
    """``n`` free-text queries of 1-3 words, the same for every run with the same seed."""
    doc_freq: Counter[str] = Counter()
    for doc in docs:
        doc_freq.update(set(WORD.findall((doc["title"] + " " + doc["body"]).lower())))
    words = sorted(w for w, df in doc_freq.items() if 5 <= df <= len(docs) // 10)
    weights = np.array([np.sqrt(doc_freq[w]) for w in words])
    rng = np.random.default_rng(seed)
    lengths = rng.choice([1, 2, 3], size=n, p=[0.3, 0.45, 0.25])
    picks = rng.choice(len(words), size=int(lengths.sum()), p=weights / weights.sum())
    out, i = [], 0
    for length in lengths:
        out.append(" ".join(words[j] for j in picks[i : i + length]))
        i += length
    return ["Li Shangfu Belarus", *out[: n - 1]]


def prefix_log(docs: list[dict], n: int = 200, seed: int = 1987) -> list[str]:
    """``n`` prefix queries (``pric*``): a query-log word cut to its first 3 to 5 letters."""
    rng = np.random.default_rng(seed)
    words = [q.split()[0] for q in query_log(docs, n * 2, seed)[1:]]
    out = []
    for word in words[:n]:
        keep = max(3, min(len(word) - 1, int(rng.integers(3, 6))))
        out.append(word[:keep] + "*")
    return out


def phrase_log(docs: list[dict], n: int = 200, seed: int = 1987) -> list[str]:
    """``n`` two-word phrase queries: adjacent words of a title picked at random (so each one matches)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        words = WORD.findall(docs[int(rng.integers(len(docs)))]["title"].lower())
        if len(words) >= 2:
            i = int(rng.integers(len(words) - 1))
            out.append(f'"{words[i]} {words[i + 1]}"')
    return out


def fuzzy_log(docs: list[dict], n: int = 200, seed: int = 1987) -> list[str]:
    """``n`` fuzzy queries (``word~1``): a query-log word of 5+ letters with two neighbours swapped."""
    rng = np.random.default_rng(seed)
    words = [w for q in query_log(docs, n * 3, seed)[1:] for w in q.split() if len(w) >= 5][:n]
    out = []
    for word in words:
        i = int(rng.integers(1, len(word) - 1))
        out.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :] + "~1")
    return out
