"""searchcore: an embeddable full-text search engine with its own segmented inverted index and BM25 ranking."""

from .analysis import Analyzer
from .engine import Index
from .explain import Explanation
from .errors import (
    DocumentError,
    IndexCorruptError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    LoaderError,
    QueryParseError,
    SchemaError,
    SearchcoreError,
)
from .index.check import CheckReport, Problem, check_index
from .index.parallel import bulk_index
from .index.writer import IndexWriter
from .query import And, Bool, Boost, Fuzzy, Not, Or, Phrase, Prefix, Range, Term, Wildcard, parse
from .schema import DATE, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema, news_schema
from .scoring import BM25
from .search import Hit, Results, Searcher

__version__ = "0.1.0"

__all__ = [
    "Analyzer", "And", "BM25", "Bool", "Boost", "Explanation", "bulk_index", "CheckReport", "Problem", "check_index", "DATE", "DocumentError", "Fuzzy", "Hit", "ID", "Index", "IndexCorruptError",
    "IndexExistsError", "IndexLockedError", "IndexNotFoundError", "IndexVersionError", "IndexWriter", "KEYWORD",
    "LoaderError", "NUMERIC", "Not", "Or", "Phrase", "Prefix", "QueryParseError", "Range", "Results", "STORED", "Schema", "SchemaError",
    "SearchcoreError", "Searcher", "TEXT", "Term", "Wildcard", "news_schema", "parse",
]
