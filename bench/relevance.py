"""Relevance on the three judged development collections (MEDLINE, Cranfield, ADI in ir-dev): the
baseline, pseudo-relevance feedback (RM3), the title boost and BM25's k1 and b, measured by ir-measures
through `sc.evaluate`; and what feedback costs at query time.

    python bench/relevance.py              # the README's table
    python bench/relevance.py --grid       # the RM3 settings tried, for choosing the defaults

Each collection is indexed in a temporary folder with the news schema (title x2, body) or, for the
"title x1" row, the same schema with the title's boost at 1. Needs SEARCHCORE_CORPORA (or ../shared/corpora)
and the eval extra.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import searchcore as sc  # noqa: E402
from bench.corpus import corpora_dir  # noqa: E402

COLLECTIONS = ("med", "cran", "adi")
METRICS = ("nDCG@10", "AP", "R@100")


def build(path: Path, collection: Path, title_boost: float) -> sc.Index:
    schema = sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=title_boost), body=sc.TEXT(stored=True))
    ix = sc.Index.create(path, schema)
    with ix.writer() as w:
        for line in (collection / "docs.jsonl").read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            w.add_document(id=doc["id"], title=doc.get("title") or "", body=doc["text"])
    return ix


def median_ms(searcher, queries: dict[str, str], **search) -> float:
    times = []
    for _ in range(3):
        for text in queries.values():
            started = time.perf_counter()
            searcher.search(text, limit=1000, **search)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", action="store_true", help="try RM3 settings instead of the table")
    args = parser.parse_args()
    root = corpora_dir() / "ir-dev"
    with tempfile.TemporaryDirectory() as tmp:
        data = {}
        for name in COLLECTIONS:
            folder = root / name
            data[name] = (sc.read_queries(folder / "queries.tsv"), sc.read_qrels(folder / "qrels.trec"),
                          build(Path(tmp) / name, folder, 2.0), build(Path(tmp) / f"{name}-1", folder, 1.0))
        if args.grid:
            grid(data)
        else:
            table(data)


def table(data) -> None:
    print(f"| collection | run | {' | '.join(METRICS)} | query p50 |")
    print(f"|---|---|{'---|' * len(METRICS)}---|")
    for name, (queries, qrels, ix, ix1) in data.items():
        with ix.searcher() as s, ix1.searcher() as s1:
            rows = [("baseline (title x2, k1 1.2, b 0.75)", s, {}), ("RM3 feedback", s, {"feedback": True}),
                    ("title x1", s1, {})]
            rows += [(f"k1 {k1}, b {b}", ix.searcher(sc.BM25(k1, b)), {}) for k1, b in ((0.9, 0.4), (1.2, 0.3),
                                                                                        (1.5, 0.75), (2.0, 0.75))]
            median_ms(s, queries)  # warm: the first pass fills the caches
            plain = median_ms(s, queries)
            for label, searcher, options in rows:
                result = sc.evaluate(searcher, queries, qrels, METRICS, **options)
                cost = median_ms(searcher, queries, **options) if searcher is s else 0.0
                ratio = f"{cost:.2f} ms ({cost / plain:.1f}x)" if options else f"{cost:.2f} ms" if searcher is s else ""
                figures = " | ".join(f"{result.aggregate[m]:.4f}" for m in METRICS)
                print(f"| {name} | {label} | {figures} | {ratio} |")
            base = sc.evaluate(s, queries, qrels, METRICS)
            fed = sc.evaluate(s, queries, qrels, METRICS, feedback=True)
            print(f"|  | RM3 vs baseline, AP | {sc.compare(fed, base, 'AP')} | | | |")


def grid(data) -> None:
    settings = [sc.RM3(docs=d, terms=t, weight=w) for d in (5, 10, 20) for t in (10, 20, 40) for w in (0.3, 0.5, 0.7)]
    base = {name: sc.evaluate(ix.searcher(), q, r, METRICS) for name, (q, r, ix, _) in data.items()}
    print("docs terms weight | " + " | ".join(f"{n} nDCG@10 AP" for n in data))
    print("baseline          | " + " | ".join(f"{base[n].aggregate['nDCG@10']:.4f} {base[n].aggregate['AP']:.4f}"
                                                for n in data))
    for rm3 in settings:
        figures = []
        for name, (queries, qrels, ix, _) in data.items():
            result = sc.evaluate(ix.searcher(), queries, qrels, METRICS, feedback=rm3)
            figures.append(f"{result.aggregate['nDCG@10']:.4f} {result.aggregate['AP']:.4f}")
        print(f"{rm3.docs:4d} {rm3.terms:5d} {rm3.weight:6.1f} | " + " | ".join(figures))


if __name__ == "__main__":
    main()
