"""Lucene BM25 and its multi-field form BM25F, as pure functions of numpy arrays.

Single field, exactly as Lucene >= 8 computes it (``BM25Similarity``, which drops the constant
factor ``k1 + 1`` of Robertson's formula: the ranking is the same)::

    score(t, d) = idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
    idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))

with N the number of documents that have the field, df the number of those holding t, dl the number
of terms the analyzer emitted for the document's field (exact, not Lucene's one-byte approximation)
and avgdl the mean of dl over those N documents.

Several fields, as BM25F (Robertson, Zaragoza and Taylor 2004; Zaragoza et al., TREC 2004): each
field's frequency is length-normalised on its own and weighted by the field's boost, and the
weighted sum is saturated once::

    tf~(t, d)   = sum over fields f of  boost_f * tf_f / (1 - b + b * dl_f / avgdl_f)
    score(t, d) = idf(t) * tf~ / (k1 + tf~)

where df counts documents holding t in any of the fields and N documents having any of them.
With one field and boost 1, tf~ / (k1 + tf~) equals tf / (tf + k1 * (1 - b + b * dl / avgdl)):
BM25F reduces to Lucene BM25.
"""

from __future__ import annotations

import math

import numpy as np

from .._types import SCORE
from ..errors import ArgumentError


class BM25:
    """The parameters of Lucene BM25 / BM25F.

    Args:
        k1: term-frequency saturation, >= 0 (1.2 by default, as in Lucene).
        b: length normalisation, in [0, 1] (0.75 by default).

    Raises:
        ValueError: a parameter out of its range.
    """

    __slots__ = ("k1", "b")

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        if not (isinstance(k1, int | float) and math.isfinite(k1) and k1 >= 0):
            raise ArgumentError(f"k1 must be >= 0, got {k1!r}")
        if not (isinstance(b, int | float) and 0 <= b <= 1):
            raise ArgumentError(f"b must be in [0, 1], got {b!r}")
        self.k1 = float(k1)
        self.b = float(b)

    def __repr__(self) -> str:
        return f"BM25(k1={self.k1}, b={self.b})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BM25) and (self.k1, self.b) == (other.k1, other.b)

    def __hash__(self) -> int:
        return hash((self.k1, self.b))


def idf(doc_freq, num_docs):
    """Lucene BM25 idf: ``ln(1 + (N - df + 0.5) / (df + 0.5))``; never negative.

    >>> round(float(idf(1, 10)), 5)
    1.99243
    """
    return np.log1p((num_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def length_norms(doc_lens: np.ndarray, avg_doc_len: float, b: float) -> np.ndarray:
    """``1 - b + b * dl / avgdl`` for every document: float64[num_docs], computed once per searcher."""
    if avg_doc_len <= 0:
        return np.ones(len(doc_lens), dtype=SCORE)
    return (1.0 - b) + (b / avg_doc_len) * doc_lens.astype(SCORE)


def saturate(weighted_tf, k1: float):
    """``tf~ / (k1 + tf~)`` of a length-normalised, boosted frequency (an array or a float). A word's BM25F
    score is its idf (times the query boost) times this, multiplied in that order on every path, so that
    exhaustive scoring, MaxScore's bounds and explain agree to the last bit."""
    return weighted_tf / (k1 + weighted_tf)
