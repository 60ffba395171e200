"""What every benchmark case records beside its timing: latency percentiles, top-10 overlap, serving memory.

:func:`time_queries` runs one query benchmark the same way for every engine and corpus and fills
``benchmark.extra_info``. :func:`serving_memory` measures the resident memory of serving the query log in
a fresh subprocess (this file run as a script), so one engine's caches, mmaps and imports never count
against another, nor the documents the benchmark process holds.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def time_queries(benchmark, engine, path: Path, queries: list[str], reference=None) -> None:
    """Benchmark ``engine`` over ``queries`` (one round each) and record p50/p99, overlap and memory.

    ``reference`` is searchcore's searcher over the same documents; without it (searchcore not in the
    run) the overlap is recorded as None.
    """
    search = engine.searcher(path)
    for q in queries[:20]:  # warm caches and lazy imports before timing, as a long-running service would be
        search(q)
    # The benchmark process holds every engine's documents and indexes, which a serving process would not:
    # frozen, they are out of the garbage collector's way (it still runs, over what searching allocates).
    gc.collect()
    gc.freeze()
    try:
        log = itertools.cycle(queries)
        benchmark.pedantic(lambda: search(next(log)), rounds=len(queries), iterations=1)
        latencies, results = [], []
        for q in queries:  # the warm pass alone: no other engine's search runs between two of its queries
            started = time.perf_counter()
            results.append(search(q))
            latencies.append(time.perf_counter() - started)
    finally:
        gc.unfreeze()
    overlap = []
    if reference is not None:
        for q, got in zip(queries, results):
            want = reference(q)
            overlap.append(len(set(got) & set(want)) / len(want) if want else float(not got))
    info = benchmark.extra_info
    info["queries"] = len(queries)
    info["p50_ms"] = round(float(np.percentile(latencies, 50)) * 1e3, 3)
    info["p99_ms"] = round(float(np.percentile(latencies, 99)) * 1e3, 3)
    info["top10_overlap_with_searchcore"] = round(float(np.mean(overlap)), 3) if overlap else None
    info.update(serving_memory(engine, path, queries))


def serving_memory(engine, path: Path, queries: list[str]) -> dict:
    """{peak_rss_mb, rss_growth_mb} of a new process that opens the index at ``path`` and runs ``queries``.

    peak_rss_mb is the process's peak resident set while opening the index and serving (Linux VmHWM,
    reset after the imports), file pages of memory-mapped indexes included; rss_growth_mb is that peak
    less the resident set just before the index was opened (interpreter, numpy and the engine's imports).
    """
    with tempfile.TemporaryDirectory(prefix="searchcore-bench-") as tmp:
        log = Path(tmp) / "queries.json"
        log.write_text(json.dumps(queries))
        done = subprocess.run(
            [sys.executable, __file__, engine.name, str(path), str(log)],
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_kb() -> int:
    peak = _status_kb("VmHWM")
    if peak is None:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux; only a fallback
    return peak


def _probe(name: str, path: str, log: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import engines

    engine = engines.engine_named(name)
    for module in engine.modules:
        importlib.import_module(module)
    queries = json.loads(Path(log).read_text())
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        pass  # not Linux, or not allowed: the peak then covers the imports too
    before = _status_kb("VmRSS") or 0
    search = engine.searcher(Path(path))
    for q in queries:
        search(q)
    peak = _peak_kb()
    print(json.dumps({"peak_rss_mb": round(peak / 1024, 1), "rss_growth_mb": round((peak - before) / 1024, 1)}))


if __name__ == "__main__":
    _probe(*sys.argv[1:4])
