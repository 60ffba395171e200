"""Every file operation that changes an index on disk, in one place: a failure names its file, and a test
can fail the k-th operation.

The writer, the segment builder, merges and the manifest create, write, fsync, rename and remove files
only through these functions. Each one:

- raises :class:`~searchcore.errors.IndexIOError` (also an ``OSError`` of the cause's kind) naming the
  file and the operation when the operating system refuses it: disk full, an I/O error, no permission;
- first calls the installed hook, if any (:func:`set_hook`). Tests install a :class:`Faults`, which
  counts the operations and fails the k-th one as a crash, a torn write or an ``OSError``. Without a
  hook the cost is one global look-up per operation.

A whole file is written by :func:`write_file` as three operations (``open``, ``write``, ``fsync``), so a
crash can land between any two of them.
"""

from __future__ import annotations

import errno as errnos
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import ArgumentError, IndexIOError, IndexNotFoundError, io_error

#: The operations, in the words the hook receives.
OPERATIONS = ("mkdir", "open", "write", "fsync", "fsync_dir", "replace", "unlink", "rmdir", "lock")

Hook = Callable[[str, Path], bool]
_hook: Hook | None = None


def set_hook(hook: Hook | None) -> Hook | None:
    """Install ``hook(operation, path)`` to run before every file operation; returns the previous one.

    The hook may raise (the operation then does not happen), or return True at a ``write`` to have only
    part of the bytes written and then :class:`SimulatedCrash` raised: a torn write.
    """
    global _hook
    previous, _hook = _hook, hook
    return previous


def _at(operation: str, path: Path) -> bool:
    return _hook(operation, path) if _hook is not None else False


class SimulatedCrash(BaseException):
    """Raised by a test hook where the process dies: a BaseException, so that no ``except Exception``
    cleanup of the library runs, as none would in a dead process (and :class:`Faults` refuses every later
    operation, so no ``finally`` can change the disk either)."""


def _error(path: Path, operation: str, cause: OSError) -> OSError:
    """The IndexIOError for a failed operation; no permission to change an index means it is read-only."""
    if isinstance(cause, PermissionError) and not isinstance(cause, IndexIOError):
        cause = PermissionError(cause.errno, f"{cause.strerror} (the index is read-only)", cause.filename)
    return io_error(path, operation, cause)


# -- the operations ------------------------------------------------------------------------------------------

def mkdir(path: Path) -> None:
    """Create the directory ``path``, which must not exist."""
    try:
        _at("mkdir", path)
        os.mkdir(path)
    except OSError as exc:
        raise _error(path, "create directory", exc) from None


def write_file(path: Path, data: bytes | memoryview) -> None:
    """Create (or truncate) ``path``, write ``data`` and fsync it.

    Unbuffered, so a failed write raises once, here, and not again from a buffer flushed at close.
    """
    fd = create(path)
    try:
        append(fd, path, data)
        sync(fd, path)
    finally:
        os.close(fd)


def create(path: Path) -> int:
    """Create (or truncate) ``path`` for writing; the caller closes the descriptor."""
    try:
        _at("open", path)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as exc:
        raise _error(path, "create", exc) from None


def append(fd: int, path: Path, data: bytes | memoryview) -> None:
    """Write all of ``data`` at the end of what was written to ``fd`` (which is ``path``)."""
    try:
        view = memoryview(data).cast("B")
        if _at("write", path):
            _write_all(fd, view[: len(view) // 2])
            raise SimulatedCrash(f"torn write of {path}")
        _write_all(fd, view)
    except OSError as exc:
        raise _error(path, "write", exc) from None


def sync(fd: int, path: Path) -> None:
    """fsync the open file ``fd`` (which is ``path``)."""
    try:
        _at("fsync", path)
        os.fsync(fd)
    except OSError as exc:
        raise _error(path, "fsync", exc) from None


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        view = view[os.write(fd, view):]


def fsync_dir(path: Path) -> None:
    """Make the renames and file creations inside the directory ``path`` durable."""
    try:
        _at("fsync_dir", path)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _error(path, "fsync directory", exc) from None


def replace(source: Path, target: Path) -> None:
    """Rename ``source`` over ``target``, atomically."""
    try:
        _at("replace", source)
        os.replace(source, target)
    except OSError as exc:
        raise _error(source, f"rename to {target.name}", exc) from None


def unlink(path: Path) -> None:
    """Remove the file ``path``; a file already gone is fine."""
    _remove(path, "unlink", os.unlink, "remove")


def rmdir(path: Path) -> None:
    """Remove the empty directory ``path``; a directory already gone is fine."""
    _remove(path, "rmdir", os.rmdir, "remove directory")


def _remove(path: Path, operation: str, remove: Callable[[Path], None], says: str) -> None:
    try:
        _at(operation, path)
        remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _error(path, says, exc) from None


def rmtree(path: Path) -> None:
    """Remove the directory ``path`` and what it holds, one file at a time (each file one operation)."""
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _error(path, "list", exc) from None
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            rmtree(Path(entry.path))
        else:
            unlink(Path(entry.path))
    rmdir(path)


def open_lock(path: Path) -> int:
    """Open (creating it if needed) the lock file ``path`` of an index for writing; returns the descriptor.

    Raises:
        IndexNotFoundError: the index directory is gone.
        IndexIOError: no permission (a read-only index), or another failure, naming the file.
    """
    try:
        _at("lock", path)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        raise IndexNotFoundError(path.parent) from None
    except OSError as exc:
        raise _error(path, "open for writing", exc) from None


def write_fd(fd: int, path: Path, data: bytes) -> None:
    """Replace the content of the open file ``fd`` (which is ``path``) with ``data``; not fsynced."""
    try:
        if _at("write", path):
            os.ftruncate(fd, 0)
            os.write(fd, data[: len(data) // 2])
            raise SimulatedCrash(f"torn write of {path}")
        os.ftruncate(fd, 0)
        os.write(fd, data)
    except OSError as exc:
        raise _error(path, "write", exc) from None


# -- the test hook -------------------------------------------------------------------------------------------

class Faults:
    """A hook that counts file operations and fails the ``fail_at``-th one (1-based).

    Args:
        fail_at: the operation to fail; None only counts.
        how: "crash" raises :class:`SimulatedCrash` before the operation; "torn" does the same, except that
            a ``write`` writes half its bytes first; "error" raises ``OSError(errno)`` instead of the
            operation, and later operations run (or fail too, with ``sticky``).
        errno: the error number for "error" (ENOSPC: disk full; EIO: an I/O error).
        sticky: with "error", every operation from ``fail_at`` on fails (the disk stays full).

    After a crash the process counts as dead: every later operation raises SimulatedCrash too, so no
    cleanup code can change the disk. Operations of other processes (forked workers) are not counted.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, Faults(fail_at=2, how="error") as faults:
    ...     write_file(Path(tmp, "a.npy"), b"data")
    Traceback (most recent call last):
    searchcore.errors.IndexIOError: cannot write .../a.npy: No space left on device
    >>> [operation for operation, _ in faults.operations]
    ['open', 'write']
    """

    def __init__(self, fail_at: int | None = None, how: str = "crash", errno: int = errnos.ENOSPC,
                 sticky: bool = False) -> None:
        if how not in ("crash", "torn", "error"):
            raise ArgumentError(f"how must be 'crash', 'torn' or 'error', got {how!r}")
        self.fail_at = fail_at
        self.how = how
        self.errno = errno
        self.sticky = sticky
        self.operations: list[tuple[str, Path]] = []
        self.failed: tuple[str, Path] | None = None  # the operation failed, once it was
        self.crashed = False
        self._pid = os.getpid()

    def __call__(self, operation: str, path: Path) -> bool:
        if os.getpid() != self._pid:
            return False
        if self.crashed:
            raise SimulatedCrash(f"{operation} {path} after the crash")
        self.operations.append((operation, path))
        k = len(self.operations)
        if self.fail_at is None or k < self.fail_at or (k > self.fail_at and not (self.sticky and self.how == "error")):
            return False
        if k == self.fail_at:
            self.failed = (operation, path)
        if self.how == "error":
            raise OSError(self.errno, os.strerror(self.errno), str(path))
        self.crashed = True
        if self.how == "torn" and operation == "write":
            return True
        raise SimulatedCrash(f"crash at file operation {k}: {operation} {path}")

    def __enter__(self) -> Faults:
        self._previous = set_hook(self)
        return self

    def __exit__(self, *exc_info) -> None:
        set_hook(self._previous)
