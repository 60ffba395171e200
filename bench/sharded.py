"""Sharded indexes on a Dask LocalCluster beside one local index, on the generated corpora.

    python bench/sharded.py --scale 10                 # 10x (216 k documents), 4 shards, 1 and 2 workers
    python bench/sharded.py --scale 50 --workers 2     # 50x (1.08 M documents)

For each number of workers (each worker one process with one thread): the build time of the sharded
index, the p50/p99 of single queries (each one probe, one search and one fetch step, a task per shard
each), and the throughput of 10,000 queries through ``search_many`` (a task per shard per step for the
whole batch). The local index is built and queried in this process on the same documents and queries,
and the cost of one Dask round trip (a task doing nothing) is measured to show the protocol's share.
The machine's cores are shared by the workers, the scheduler and this client: read the figures with that.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import searchcore as sc  # noqa: E402
from bench.generate import generated_documents, generated_query_log  # noqa: E402
from searchcore.distributed import ShardedIndex  # noqa: E402


def _noop(x):
    return x


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return (ordered[len(ordered) // 2] * 1e3, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3)


def schema() -> sc.Schema:
    return sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT(stored=True))


def timed_queries(search, queries: list[str]) -> list[float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        results = search(query)
        [hit.fields for hit in results]
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--queries", type=int, default=200, help="single queries timed one by one")
    parser.add_argument("--batch", type=int, default=10_000, help="queries through search_many")
    parser.add_argument("--tmp", type=Path, default=None, help="where the indexes are built (default: a temp dir)")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    tmp = Path(tempfile.mkdtemp(dir=args.tmp))
    queries = generated_query_log(args.queries)
    batch = (generated_query_log(1000) * (args.batch // 1000 + 1))[: args.batch]
    rows = []
    try:
        started = time.perf_counter()
        local = sc.Index.create(tmp / "local", schema())
        with local.writer() as writer:
            sc.bulk_index(writer, generated_documents(args.scale), jobs=1)
        local_build = time.perf_counter() - started
        searcher = local.searcher()
        timed_queries(lambda q: searcher.search(q, limit=10), queries[:50])
        local_p50, local_p99 = percentiles(timed_queries(lambda q: searcher.search(q, limit=10), queries))
        started = time.perf_counter()
        searcher.search_many(batch, limit=10)
        local_batch = args.batch / (time.perf_counter() - started)
        rows.append(("local index, this process", local.doc_count(), local_build, local_p50, local_p99, local_batch,
                     None))
        for workers in args.workers:
            path = tmp / f"sharded-{workers}"
            with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                client.wait_for_workers(workers)
                started = time.perf_counter()
                six = ShardedIndex.create(path, schema(), shards=args.shards)
                six.bulk_index(generated_documents(args.scale), client=client)
                build = time.perf_counter() - started
                for _ in range(20):
                    client.submit(_noop, 1, pure=False).result()
                trips = []
                for _ in range(100):
                    t = time.perf_counter()
                    client.submit(_noop, 1, pure=False).result()
                    trips.append(time.perf_counter() - t)
                with six.searcher(client) as sharded:
                    timed_queries(lambda q: sharded.search(q, limit=10), queries[:20])
                    p50, p99 = percentiles(timed_queries(lambda q: sharded.search(q, limit=10), queries))
                    started = time.perf_counter()
                    sharded.search_many(batch, limit=10)
                    per_second = args.batch / (time.perf_counter() - started)
                rows.append((f"{args.shards} shards, {workers} worker(s)", six.doc_count(), build, p50, p99, per_second,
                             statistics.median(trips) * 1e3))
            shutil.rmtree(path, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"generated x{args.scale}; {os.cpu_count()} cores shared by the workers, the scheduler and this client")
    print("| index | documents | build | query p50 | query p99 | search_many | Dask round trip |")
    print("|---|---|---|---|---|---|---|")
    for name, docs, build, p50, p99, per_second, trip in rows:
        print(f"| {name} | {docs:,} | {build:.1f} s | {p50:.2f} ms | {p99:.2f} ms | {per_second:,.0f} queries/s | "
              f"{'-' if trip is None else f'{trip:.1f} ms'} |")


if __name__ == "__main__":
    main()
