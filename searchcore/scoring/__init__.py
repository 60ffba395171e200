"""Ranking functions: pure functions of arrays and statistics, no file access."""

from .bm25 import BM25, idf, length_norms, saturate

__all__ = ["BM25", "idf", "length_norms", "saturate"]
