"""Where the time of a query (or of a build) goes: pyinstrument over the Reuters query log.

    python bench/profiling.py query [--index DIR] [--rounds 5]   # profile the 500-query log, warm
    python bench/profiling.py build [--schema demo|text]          # profile one cold build of Reuters

pyinstrument is not a dependency: ``pip install pyinstrument`` first. Without --index the query profile
builds a Reuters index (id, title x2, body, as the benchmarks do) in a temporary directory first. The
build profile uses that schema too (``--schema demo``, stored title and body), or with ``--schema text``
one unstored TEXT field holding title and body, as the build-time issue measures it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import documents, query_log  # noqa: E402
from engines import Searchcore  # noqa: E402

import searchcore as sc  # noqa: E402
from searchcore.analysis import clear_caches  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["query", "build"])
    parser.add_argument("--index", type=Path, help="an index built like the benchmarks' (query only)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query log")
    parser.add_argument("--schema", choices=["demo", "text"], default="demo",
                        help="build only: the benchmarks' schema, or one unstored text field (title + body)")
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
        if args.what == "build" and args.schema == "text":
            texts = [{"id": d["id"], "text": d["title"] + "\n" + d["body"]} for d in docs]
            schema = sc.Schema(id=sc.ID(stored=True), text=sc.TEXT())
            clear_caches()
            profiler.start()
            ix = sc.Index.create(Path(tmp) / "ix", schema)
            with ix.writer() as writer:
                for doc in texts:
                    writer.add_document(**doc)
            ix.optimize()
            profiler.stop()
        elif args.what == "build":
            profiler.start()
            Searchcore().build(docs, Path(tmp) / "ix")
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
