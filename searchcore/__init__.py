"""searchcore: an embeddable full-text search engine with its own segmented inverted index and BM25 ranking."""

import importlib

from .analysis import Analyzer
from .engine import Index
from .errors import (
    ArgumentError,
    ArgumentTypeError,
    DocumentError,
    DocumentNotFoundError,
    EvaluationError,
    IndexCorruptError,
    IndexExistsError,
    IndexIOError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    LoaderError,
    QueryParseError,
    SchemaError,
    SearchcoreError,
    WhooshImportError,
)
from .query import And, Bool, Boost, Fuzzy, Not, Or, Phrase, Prefix, Range, Term, Wildcard, parse
from .schema import DATE, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema, news_schema
from .search import BM25, CollectionStats, DocAddress, FieldStats, Hit, LocalStats, Results, Searcher

__version__ = "0.1.0"

# Writing and checking code is imported on first use, so a process that only searches (`search QUERY`)
# starts without it.
_LAZY = {"bulk_index": "index.parallel", "max_jobs": "index.parallel", "CheckReport": "index.check", "Problem": "index.check",
         "check_index": "index.check", "IndexWriter": "index.writer",
         **{name: "evaluation" for name in ("evaluate", "Evaluation", "compare", "Comparison", "read_queries",
                                            "read_qrels", "read_run", "write_run", "run_queries", "measure")},
         "import_whoosh": "migrate", "ImportReport": "migrate", "Explanation": "search.explain", "RM3": "search.feedback"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'searchcore' has no attribute {name!r}")


__all__ = [
    "Analyzer", "And", "ArgumentError", "ArgumentTypeError", "BM25", "Bool", "Boost", "bulk_index", "check_index", "CheckReport", "CollectionStats",
    "DATE", "DocAddress",
    "DocumentError", "DocumentNotFoundError", "Evaluation", "EvaluationError", "evaluate", "compare", "Comparison",
    "measure", "read_qrels", "read_queries", "read_run", "run_queries", "write_run", "Explanation", "FieldStats", "Fuzzy", "Hit", "ID", "Index", "IndexCorruptError", "IndexExistsError",
    "IndexIOError", "IndexLockedError", "IndexNotFoundError", "IndexVersionError", "IndexWriter", "KEYWORD", "LoaderError", "LocalStats", "max_jobs",
    "news_schema", "Not", "NUMERIC", "Or", "parse", "Phrase", "Prefix", "Problem", "QueryParseError", "Range",
    "Results", "RM3", "Schema", "import_whoosh", "ImportReport", "WhooshImportError", "SchemaError", "SearchcoreError", "Searcher", "STORED", "Term", "TEXT", "Wildcard",
]
