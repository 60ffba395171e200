"""Before and after: build Reuters-21578 + the seed stories and time the query log with two checkouts of
searchcore, one after the other in fresh processes, so that a change can be checked for a slowdown.

    python bench/compare.py OLD_CHECKOUT NEW_CHECKOUT [ROUNDS]

Each round runs both checkouts (interleaved, since the machine drifts) and prints, per checkout, the build
time in one process (the benchmark's own ``Searchcore.build``), and the p50 of the query log's first run,
then its p50 and p99 warm. Speed claims still come from ``make bench``, against Whoosh in the same run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ONE_RUN = r"""
import gc, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from bench.corpus import documents, query_log
from bench.engines import Searchcore
docs = documents()
queries = query_log(docs)
engine = Searchcore()
path = tempfile.mkdtemp() + "/ix"
started = time.perf_counter()
engine.build(docs, path)
build = time.perf_counter() - started
search = engine.searcher(path)

def timed():
    out = []
    for q in queries:
        t = time.perf_counter()
        search(q)
        out.append(time.perf_counter() - t)
    return sorted(out)

first = timed()
gc.collect()
gc.freeze()
warm = timed()
ms = lambda xs, p: xs[int(len(xs) * p)] * 1e3
print(f"build {build:.2f} s, first-run p50 {ms(first, .5):.3f} ms, warm p50 {ms(warm, .5):.3f} ms, "
      f"p99 {ms(warm, .99):.3f} ms")
"""


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    checkouts = [str(Path(p).resolve()) for p in sys.argv[1:3]]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    for round_number in range(1, rounds + 1):
        for checkout in checkouts:
            out = subprocess.run([sys.executable, "-c", ONE_RUN, checkout], capture_output=True, text=True,
                                 cwd=checkout, check=True)
            print(f"round {round_number} {checkout}: {out.stdout.strip()}")


if __name__ == "__main__":
    main()
