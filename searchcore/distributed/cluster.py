"""Dask, as the sharded index uses it: a client, the workers shards are pinned to, and the error of a shard.

A shard's tasks go to the (n mod count)-th worker of the sorted addresses while that worker lives, so the
shard stays open there between tasks; ``allow_other_workers`` lets the scheduler run them elsewhere when it
dies. Errors of the caller's own making (a bad query, a bad document) pass through as they are; anything
else a shard's task raises becomes a :class:`ShardError` naming the shard.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import (ArgumentError, ArgumentTypeError, DocumentError, QueryParseError, SchemaError,
                      SearchcoreError)
from . import tasks

#: errors of the query or the arguments: raised to the caller as they are, never as a shard's failure
CALLER_ERRORS = (QueryParseError, SchemaError, ArgumentError, ArgumentTypeError, DocumentError)


def connect(scheduler: str | None = None, quiet: bool = True) -> Any:
    """A ``dask.distributed.Client``: of the scheduler at ``scheduler`` (``tcp://host:8786``), or of a
    LocalCluster of threads in this process (Dask's own log quiet unless ``quiet`` is False), which
    ``client.close()`` then stops too. Unlike ``with Client(...)``, it may be closed from another thread."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SearchcoreError("a sharded index needs Dask: pip install 'searchcore[dask]'") from None
    if scheduler:
        return Client(scheduler, set_as_default=False)
    silence = logging.CRITICAL if quiet else logging.WARNING
    cluster = LocalCluster(processes=False, dashboard_address=None, silence_logs=silence)
    client = Client(cluster, set_as_default=False)
    client.close = _closing(client.close, cluster)
    return client


def _closing(close, cluster):
    def both(*args, **kwargs):
        try:
            return close(*args, **kwargs)
        finally:
            cluster.close()
    return both


@contextmanager
def dask_client(scheduler: str | None = None, quiet: bool = True) -> Iterator[Any]:
    """:func:`connect` as a ``with`` block, closed at its end."""
    client = connect(scheduler, quiet)
    try:
        yield client
    finally:
        client.close()

class ShardError(SearchcoreError):
    """A shard could not do its part: its directory is missing or damaged, or its worker kept dying."""

    def __init__(self, number: int, path: str, cause: BaseException) -> None:
        self.number = number
        self.path = str(path)
        self.cause_text = f"{type(cause).__name__}: {cause}"
        #: the shard committed between the steps of a search, which then starts again
        self.stale = isinstance(cause, tasks.StaleShard)
        super().__init__(f"shard {number} ({self.path}): {self.cause_text}")

def workers_of(client: Any) -> list[str]:
    """The workers' addresses, sorted: shard n's tasks go to the (n mod count)-th while it lives."""
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:  # a cluster just started, or one whose workers are restarting
        try:
            client.wait_for_workers(1, timeout=60)
        except Exception as exc:  # noqa: BLE001 - Dask's TimeoutError, said plainly
            raise SearchcoreError(f"the Dask cluster has no workers ({type(exc).__name__})") from None
        workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    return workers


# -- writing --------------------------------------------------------------------------------------------------
