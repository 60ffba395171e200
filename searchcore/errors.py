"""Every exception searchcore raises on purpose.

Each error also subclasses the builtin it refines, so ``except ValueError`` or ``except OSError``
in calling code keeps working.
"""

from __future__ import annotations

import functools


class SearchcoreError(Exception):
    """Base class of every error searchcore raises on purpose.

    Errors cross process boundaries intact (a server's committer process, a Dask worker): one is pickled
    as the arguments it was made with, whatever its ``__init__`` makes of them.
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:  # remember what the outermost __init__ was called with

            @functools.wraps(init)
            def recorded(self, *args, **kwargs):
                if "_made_with" not in self.__dict__:
                    self._made_with = (args, kwargs)
                init(self, *args, **kwargs)

            cls.__init__ = recorded

    def __reduce__(self):
        args, kwargs = self.__dict__.get("_made_with", (self.args, {}))
        state = {k: v for k, v in self.__dict__.items() if k != "_made_with"}
        return _rebuilt, (type(self), args, kwargs, state)


def _rebuilt(cls: type[SearchcoreError], args: tuple, kwargs: dict, state: dict) -> SearchcoreError:
    error = cls(*args, **kwargs)
    error.__dict__.update(state)
    return error


class SchemaError(SearchcoreError, ValueError):
    """A field is unknown, a field option is invalid, or a value does not fit its field."""


class DocumentError(SearchcoreError, ValueError):
    """A document cannot be indexed: duplicate ID, missing ID, wrong value type."""


class ArgumentError(SearchcoreError, ValueError):
    """A parameter out of its range or not one of its choices: ``BM25(k1=-1)``, ``jobs=0``, an unknown format."""


class ArgumentTypeError(SearchcoreError, TypeError):
    """A parameter of the wrong type: a query that is neither text nor a query node, say."""


class DocumentNotFoundError(SearchcoreError, KeyError):
    """No live document has the given ID (``more_like_this`` of an unknown ID, say)."""

    def __init__(self, doc_key: str) -> None:
        self.doc_key = doc_key
        super().__init__(doc_key)

    def __str__(self) -> str:
        return f"no document with ID {self.doc_key!r}"


class LoaderError(SearchcoreError, ValueError):
    """A source file cannot be read as documents (not UTF-8, malformed record, unknown format)."""

    def __init__(self, msg: str, path: str, detail: str | None = None) -> None:
        self.path = str(path)
        self.detail = detail
        super().__init__(f"{self.path}: {msg}")


class EvaluationError(SearchcoreError, ValueError):
    """Judged queries, relevance judgments or a run that cannot be read, or a metric that is not known."""


class WhooshImportError(SearchcoreError):
    """A Whoosh index that cannot be read, or whose schema cannot be carried over (search import-whoosh)."""


class QueryParseError(SearchcoreError, ValueError):
    """Query text that is not valid syntax (strict mode only). Shaped like json.JSONDecodeError.

    Attributes:
        msg: what is wrong, saying what was expected.
        query: the whole query text.
        pos: the 0-based offset in ``query`` where the problem is (``len(query)`` at its end).
        expected: what would have been valid at ``pos`` (``"')'"``, ``"a number"``), when known.
    """

    def __init__(self, msg: str, query: str, pos: int, expected: str | None = None) -> None:
        self.msg = msg
        self.query = query
        self.pos = pos
        self.expected = expected
        super().__init__(f"{msg}: column {pos + 1}")

    def __reduce__(self):  # keep the attributes through pickling (multiprocessing)
        return type(self), (self.msg, self.query, self.pos, self.expected)


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
        older = isinstance(found, int) and isinstance(supported, int) and found < supported
        written = "an older searchcore" if older else "another version of searchcore"
        super().__init__(f"{self.path}: index format {found!r} was written by {written}; this searchcore reads "
                         f"format {supported!r}. Rebuild the index from its sources "
                         f"(search index SOURCE... --index {self.path} --rebuild)")


class IndexLockedError(SearchcoreError, TimeoutError):
    """Another writer holds the index lock and the timeout ran out."""

    def __init__(self, path: str, timeout: float | None) -> None:
        self.path = str(path)
        self.timeout = timeout
        super().__init__(f"{self.path}: another writer holds the lock (waited {timeout} s)")


class IndexIOError(SearchcoreError, OSError):
    """A file operation on an index failed: disk full, an I/O error, no permission, a path that is not a
    directory. The message names the file and the operation; ``errno`` and ``filename`` are the cause's.

    Build one with :func:`io_error`, which picks the subclass that also matches the cause's builtin
    (``PermissionError``, ``FileNotFoundError`` …), so ``except PermissionError`` keeps working.
    """

    def __init__(self, path: str, operation: str, cause: OSError) -> None:
        self.path = str(path)
        self.operation = operation
        self.cause = cause
        reason = cause.strerror or str(cause)
        super().__init__(cause.errno, f"cannot {operation} {self.path}: {reason}", self.path)

    def __str__(self) -> str:
        return self.strerror

    def __reduce__(self):  # keep the attributes through pickling (multiprocessing)
        return io_error, (self.path, self.operation, self.cause)


class IndexPermissionError(IndexIOError, PermissionError):
    """No permission for a file operation on the index (a read-only index, say)."""


class IndexFileNotFoundError(IndexIOError, FileNotFoundError):
    """A file or directory of the index vanished under the operation (the directory was removed, say)."""


class IndexNotADirectoryError(IndexIOError, NotADirectoryError):
    """A path that must be a directory (the index, a segment) is a file."""


class IndexFileExistsError(IndexIOError, FileExistsError):
    """A path the operation must create is already taken (by a file where a directory must go, say)."""


def io_error(path: object, operation: str, cause: OSError) -> IndexIOError:
    """The IndexIOError for ``cause``, of the subclass matching its builtin (see :class:`IndexIOError`).

    >>> import errno
    >>> e = io_error("ix/write.lock", "open", PermissionError(errno.EACCES, "Permission denied"))
    >>> isinstance(e, PermissionError), str(e)
    (True, 'cannot open ix/write.lock: Permission denied')
    """
    if isinstance(cause, IndexIOError):
        return cause
    kinds = ((PermissionError, IndexPermissionError), (FileNotFoundError, IndexFileNotFoundError),
             (NotADirectoryError, IndexNotADirectoryError), (FileExistsError, IndexFileExistsError))
    for builtin, kind in kinds:
        if isinstance(cause, builtin):
            return kind(str(path), operation, cause)
    return IndexIOError(str(path), operation, cause)
