"""Where the time of a query (or of a build) goes: pyinstrument over the Reuters query log.

    python bench/profiling.py query [--index DIR] [--rounds 5]   # profile the 1,000-query log, warm
    python bench/profiling.py build [--schema text|demo]          # profile one cold build of Reuters

pyinstrument is not a dependency: ``pip install pyinstrument`` first. Without --index the query profile
builds a Reuters index as the benchmarks do (id, and title + body as one unstored field) in a temporary
directory first. The build profile uses that setup too (``--schema text``), or the demo's (``--schema
demo``: title x2 and body as BM25F fields, both stored).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import documents, query_log  # noqa: E402
from engines import Searchcore, SearchcoreFields  # noqa: E402

import searchcore as sc  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["query", "build"])
    parser.add_argument("--index", type=Path, help="an index built like the benchmarks' (query only)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query log")
    parser.add_argument("--schema", choices=["text", "demo"], default="text",
                        help="build only: the benchmarks' setup (title + body as one field) or the demo's")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pip install pyinstrument first", file=sys.stderr)
        return 1
    docs = documents()
    if not docs:
        print("Reuters-21578 not found (set SEARCHCORE_CORPORA)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        profiler = Profiler(interval=0.0002)
        if args.what == "build":
            engine = Searchcore() if args.schema == "text" else SearchcoreFields()
            profiler.start()
            engine.build(docs, Path(tmp) / "ix")
            profiler.stop()
        else:
            path = args.index
            if path is None:
                path = Path(tmp) / "ix"
                Searchcore().build(docs, path)
            queries = query_log(docs)
            with sc.Index.open(path).searcher() as searcher:
                for query in queries:  # warm: caches filled, lazy imports done
                    [hit.id for hit in searcher.search(query, limit=10)]
                started = time.perf_counter()
                profiler.start()
                for _ in range(args.rounds):
                    for query in queries:
                        [hit.id for hit in searcher.search(query, limit=10)]
                profiler.stop()
                took = (time.perf_counter() - started) / (args.rounds * len(queries))
                print(f"{took * 1e3:.3f} ms a query under the profiler (it adds overhead)")
        print(profiler.output_text(unicode=False, color=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
