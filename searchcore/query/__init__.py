"""Queries: the node tree programs build, and the parser that reads user text into it."""

from .nodes import And, Bool, Boost, Fuzzy, Node, Not, Or, Phrase, Prefix, Range, Term, Wildcard
from .parser import ParsedQuery, parse

__all__ = ["And", "Bool", "Boost", "Fuzzy", "Node", "Not", "Or", "ParsedQuery", "Phrase", "Prefix", "Range",
           "Term", "Wildcard", "parse"]
