"""Sparse vectors over a segment's documents: (doc ids, values) pairs, combined by binary search.

Posting lists are sorted, so membership and the sum of two need no full sort: each document of one side
is looked up in the sorted other side with ``np.searchsorted``. Many lists at once (a word in several
fields, the hundreds of words a wildcard expands to) are combined in one step: over a dense array of the
segment's documents when the lists hold many postings for its size, else by one sort of them all, so
that two short lists in a segment of a million documents cost microseconds, not a pass over the million.
"""

from __future__ import annotations

import numpy as np

from ..index.codec import distinct, distinct_inverse

# Lists holding at least max_doc / factor postings in all are combined over a dense array of max_doc
# entries; fewer, by sorting them. Measured on this machine (1M documents: two lists of 1,000 postings,
# union 195 us dense / 22 us sorted, sum 3.9 ms / 32 us; 10,000 documents and 100,000 postings: union 1.3
# / 2.5 ms, sum 2.9 / 5.1 ms): a dense sum, of float64, pays for its array sooner than a union's marks.
_DENSE_UNION = 16
_DENSE_SUM = 2


# Many look-ups in one list are made through a dense array rather than by binary search when there are
# more than one for every this many postings: 10,000 documents in a list of 35,000 took 273 us by
# np.searchsorted (918 unsorted), 156 through the array, whose cost is about 3.5 ns a posting of the list.
_DENSE_LOOKUP = 8


def member(sorted_docs: np.ndarray, docs: np.ndarray, mark: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(bool[len(docs)]: which of ``docs`` are in ``sorted_docs``; intp[len(docs)]: where, when they are).

    ``mark``, an intp work array as long as the segment whatever it holds (it is written over), lets many
    look-ups write each posting's position there and read the documents' back instead; a position read is
    trusted only where ``sorted_docs`` holds the document at it, so stale entries do no harm.
    """
    n = len(sorted_docs)
    if n == 0:
        return np.zeros(len(docs), dtype=bool), np.zeros(len(docs), dtype=np.int64)
    if mark is not None and len(docs) * _DENSE_LOOKUP > n:
        mark[sorted_docs] = np.arange(n)
        at = np.minimum(np.maximum(mark[docs], 0), n - 1)
    else:
        at = np.minimum(np.searchsorted(sorted_docs, docs), n - 1)
    return sorted_docs[at] == docs, at


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


def union_all(doc_arrays: list[np.ndarray], max_doc: int) -> np.ndarray:
    """The union of arrays of doc ids below ``max_doc``, sorted (one of them as it is, if it is alone)."""
    if len(doc_arrays) == 1:
        return doc_arrays[0]
    if sum(map(len, doc_arrays)) * _DENSE_UNION < max_doc:
        return distinct(np.concatenate(doc_arrays))
    return np.flatnonzero(_marks(doc_arrays, max_doc))


def count_union(doc_arrays: list[np.ndarray], max_doc: int, live: np.ndarray | None = None) -> int:
    """How many doc ids are in any of ``doc_arrays`` (and ``live``, bool[max_doc], unless None): the size of
    :func:`union_all`, counted over its dense marks where it would use them rather than listed."""
    if len(doc_arrays) == 1 or sum(map(len, doc_arrays)) * _DENSE_UNION < max_doc:
        docs = union_all(doc_arrays, max_doc)
        return len(docs) if live is None else int(np.count_nonzero(live[docs]))
    marks = _marks(doc_arrays, max_doc)
    if live is not None:
        marks &= live
    return int(np.count_nonzero(marks))


def _marks(doc_arrays: list[np.ndarray], max_doc: int) -> np.ndarray:
    """bool[max_doc]: True at the doc ids of any of ``doc_arrays``."""
    marks = np.zeros(max_doc, dtype=bool)
    for docs in doc_arrays:
        marks[docs] = True
    return marks


def add_all(doc_arrays: list[np.ndarray], value_arrays: list[np.ndarray], max_doc: int) -> tuple[np.ndarray, np.ndarray]:
    """The sum of sparse vectors (unique doc ids below ``max_doc``, positive values) as (doc ids: int64,
    sorted; values: float64), each document's values added in the order of the vectors."""
    if sum(map(len, doc_arrays)) * _DENSE_SUM < max_doc:
        docs, inverse = distinct_inverse(np.concatenate(doc_arrays))
        # bincount adds the weights in the order given: the vectors' order (and answers int64 for none)
        sums = np.bincount(inverse, weights=np.concatenate(value_arrays), minlength=len(docs))
        return docs.astype(np.int64), sums.astype(np.float64, copy=False)
    sums = np.zeros(max_doc, dtype=np.float64)
    for docs, values in zip(doc_arrays, value_arrays):
        sums[docs] += values  # ids are unique within one vector: a plain fancy-index add is exact
    docs = np.flatnonzero(sums)
    return docs, sums[docs]
