"""Sparse vectors over a segment's documents: (doc ids, values) pairs, combined by binary search.

Posting lists are sorted, so membership, union and sums need no full sort: each document of one side is
looked up in the sorted other side with ``np.searchsorted``.
"""

from __future__ import annotations

import numpy as np


def member(sorted_docs: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bool[len(docs)]: which of ``docs`` are in ``sorted_docs``; int64[len(docs)]: where, when they are)."""
    if len(sorted_docs) == 0:
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_docs, docs), len(sorted_docs) - 1)
    return sorted_docs[at] == docs, at


def union(docs_a: np.ndarray, docs_b: np.ndarray) -> np.ndarray:
    """The union of two arrays of unique doc ids (``docs_b`` sorted), unsorted."""
    if len(docs_a) == 0 or len(docs_b) == 0:
        return docs_b if len(docs_a) == 0 else docs_a
    hit, at = member(docs_b, docs_a)
    only_b = np.ones(len(docs_b), dtype=bool)
    only_b[at[hit]] = False
    return np.concatenate([docs_a, docs_b[only_b]])


def add(docs_a: np.ndarray, values_a: np.ndarray, docs_b: np.ndarray, values_b: np.ndarray):
    """The sum of two sparse vectors given as (unique doc ids, values); ``docs_b`` sorted."""
    if len(docs_a) == 0 or len(docs_b) == 0:
        return (docs_b.astype(np.int64), values_b) if len(docs_a) == 0 else (docs_a, values_a)
    hit, at = member(docs_b, docs_a)
    values_a = values_a.copy()
    values_a[hit] += values_b[at[hit]]
    only_b = np.ones(len(docs_b), dtype=bool)
    only_b[at[hit]] = False
    return np.concatenate([docs_a, docs_b[only_b]]), np.concatenate([values_a, values_b[only_b]])
