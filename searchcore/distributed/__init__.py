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

from .layout import SHARD_MANIFEST, is_sharded, shard_of

_SHARDED = ("ShardError", "ShardedBuildError", "ShardedCheck", "ShardedHit", "ShardedIndex", "ShardedResults",
            "ShardedSearcher", "ShardedWriter", "connect", "dask_client")


_HOMES = {"ShardError": "cluster", "connect": "cluster", "dask_client": "cluster", "ShardedSearcher": "sharded_search",
          "ShardedHit": "sharded_search", "ShardedResults": "sharded_search"}


def __getattr__(name: str):
    # the sharded machinery is imported on first use: `search QUERY` on an ordinary index only asks
    # is_sharded(), and a one-shot command should not pay for the rest
    if name in _SHARDED:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_HOMES.get(name, 'sharded')}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["SHARD_MANIFEST", "ShardError", "ShardedBuildError", "ShardedCheck", "ShardedHit", "ShardedIndex",
           "ShardedResults", "ShardedSearcher", "ShardedWriter", "connect", "dask_client", "is_sharded", "shard_of"]
