"""Every exception searchcore raises on purpose.

Each error also subclasses the builtin it refines, so ``except ValueError`` or ``except OSError``
in calling code keeps working.
"""

from __future__ import annotations


class SearchcoreError(Exception):
    """Base class of every error searchcore raises on purpose."""


class SchemaError(SearchcoreError, ValueError):
    """A field is unknown, a field option is invalid, or a value does not fit its field."""


class DocumentError(SearchcoreError, ValueError):
    """A document cannot be indexed: duplicate ID, missing ID, wrong value type."""


class LoaderError(SearchcoreError, ValueError):
    """A source file cannot be read as documents (not UTF-8, malformed record, unknown format)."""

    def __init__(self, msg: str, path: str, detail: str | None = None) -> None:
        self.path = str(path)
        self.detail = detail
        super().__init__(f"{self.path}: {msg}")


class QueryParseError(SearchcoreError, ValueError):
    """Query text that is not valid syntax (strict mode only). Shaped like json.JSONDecodeError."""

    def __init__(self, msg: str, query: str, pos: int) -> None:
        self.msg = msg
        self.query = query
        self.pos = pos
        super().__init__(f"{msg}: column {pos + 1}")


class IndexNotFoundError(SearchcoreError, FileNotFoundError):
    """No index at the given path."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        super().__init__(f"no searchcore index at {self.path}")


class IndexExistsError(SearchcoreError, FileExistsError):
    """Index.create() on a directory that already holds an index."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        super().__init__(f"an index already exists at {self.path}")


class IndexCorruptError(SearchcoreError):
    """An index file is missing, truncated or does not match its checksum."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class IndexVersionError(SearchcoreError):
    """The index was written in a format version this searchcore cannot read."""

    def __init__(self, path: str, found: object, supported: object) -> None:
        self.path = str(path)
        self.found = found
        self.supported = supported
        super().__init__(f"{self.path}: index format {found!r}, this searchcore reads {supported!r}")


class IndexLockedError(SearchcoreError, TimeoutError):
    """Another writer holds the index lock and the timeout ran out."""

    def __init__(self, path: str, timeout: float | None) -> None:
        self.path = str(path)
        self.timeout = timeout
        super().__init__(f"{self.path}: another writer holds the lock (waited {timeout} s)")
