"""Queries: the node tree programs build, and the parser that reads user text into it."""

from .nodes import Bool, Node, Phrase, Term
from .parser import ParsedQuery, parse

__all__ = ["Bool", "Node", "ParsedQuery", "Phrase", "Term", "parse"]
