"""Sharded indexes on Dask, with exact global statistics (``pip install searchcore[dask]``).

>>> from dask.distributed import Client, LocalCluster        # doctest: +SKIP
>>> from searchcore.distributed import ShardedIndex            # doctest: +SKIP
>>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))                      # doctest: +SKIP
>>> six = ShardedIndex.create("indexes/news-sharded", sc.news_schema(), shards=4)         # doctest: +SKIP
>>> six.bulk_index(docs, client=client)                                                    # doctest: +SKIP
>>> with six.searcher(client=client) as s:                                                 # doctest: +SKIP
...     s.search("Li Shangfu Belarus", limit=10)

The layout and routing need nothing but searchcore; building, writing and searching need
``dask.distributed`` (imported by the caller, who makes the Client).
"""

from pathlib import Path

#: the file that makes a directory a sharded index (layout.py writes and reads it)
SHARD_MANIFEST = "shards.json"


def is_sharded(path: str | Path) -> bool:
    """Whether ``path`` holds a sharded index (a shard manifest). Here, not in layout.py: `search QUERY`
    asks it of every index, and a one-shot command should import nothing more for the answer."""
    return (Path(path) / SHARD_MANIFEST).is_file()


_SHARDED = ("ShardError", "ShardedBuildError", "ShardedCheck", "ShardedHit", "ShardedIndex", "ShardedResults",
            "ShardedSearcher", "ShardedWriter", "connect", "dask_client", "shard_of")


_HOMES = {"shard_of": "layout", "ShardError": "cluster", "connect": "cluster", "dask_client": "cluster",
          "ShardedSearcher": "sharded_search", "ShardedHit": "sharded_search", "ShardedResults": "sharded_search"}


def __getattr__(name: str):
    # the sharded machinery is imported on first use: `search QUERY` on an ordinary index only asks
    # is_sharded(), and a one-shot command should not pay for the rest
    if name in _SHARDED:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_HOMES.get(name, 'sharded')}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["SHARD_MANIFEST", "ShardError", "ShardedBuildError", "ShardedCheck", "ShardedHit", "ShardedIndex",
           "ShardedResults", "ShardedSearcher", "ShardedWriter", "connect", "dask_client", "is_sharded", "shard_of"]
