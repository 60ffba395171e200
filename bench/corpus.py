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


def query_log(docs: list[dict], n: int = 500, seed: int = 1987) -> list[str]:
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
