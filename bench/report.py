"""Summarise pytest-benchmark JSON into markdown tables and one chart.

    python bench/report.py bench/results/latest.json [more.json ...] [--png PATH]

Prints one markdown table per corpus (engine | build s | index MB | query p50 / p99 ms | first-run p50 ms |
peak RSS MB | top-10 overlap), each figure beside its ratio against Whoosh in the same corpus ("12.3x faster"), and
writes a PNG (default bench/results/latency_and_build.png): query p50 latency and build time against
corpus size in documents, one line per engine, log scales. Several JSON files are merged (a later file's
result for the same corpus and engine wins), so a Reuters run and a scale run can share one chart.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PNG = HERE / "results" / "latency_and_build.png"
ORDER = ["searchcore", "searchcore --jobs 2", "searchcore-pystemmer", "searchcore-fields", "whoosh", "bm25s", "tantivy", "sqlite-fts5"]
BASELINE = "whoosh"
MARK = "tantivy"  # the engine to catch up with: each row also gives its ratios against tantivy's


def load(paths: list[Path]) -> tuple[dict, dict]:
    """(corpora, run notes). corpora: name -> {documents, description, queries, engines: name -> figures}."""
    corpora: dict = {}
    notes: dict = {"skipped": {}, "machines": set()}
    for path in paths:
        data = json.loads(Path(path).read_text())
        machine = data.get("machine_info", {})
        notes["skipped"].update(machine.get("searchcore_bench", {}).get("engines_skipped", {}))
        cpu = machine.get("cpu", {}).get("brand_raw") or machine.get("processor") or "?"
        notes["machines"].add(f"{cpu}, {machine.get('cpu', {}).get('count', '?')} cores, "
                              f"Python {machine.get('python_version', '?')}")
        for bench in data.get("benchmarks", []):
            info = bench.get("extra_info", {})
            if "engine" not in info or "case" not in info:
                continue  # not one of ours
            name = info.get("corpus") or bench["group"].split(":")[0]
            corpus = corpora.setdefault(name, {"engines": {}})
            corpus["documents"] = info.get("documents", corpus.get("documents"))
            corpus["description"] = info.get("corpus_description", corpus.get("description", name))
            figures = corpus["engines"].setdefault(info["engine"], {})
            if info["case"] == "build":
                figures["build_s"] = bench["stats"]["median"]
                figures["index_mb"] = info.get("index_mb")
            elif info["case"] == "query":
                corpus["queries"] = info.get("queries")
                for key in ("p50_ms", "p99_ms", "peak_rss_mb", "top10_overlap_with_searchcore"):
                    figures[key] = info.get(key)
                figures["first_p50_ms"] = bench["stats"]["median"] * 1e3  # the timed pass: each query's first run
                figures.setdefault("index_mb", info.get("index_mb"))
            elif info["case"].startswith("cold-"):  # one-shot processes: bench/test_cold_start.py
                cold = corpus.setdefault("cold", {}).setdefault(info["case"][len("cold-"):], {})
                cold[info["engine"]] = {"median_ms": bench["stats"]["median"] * 1e3, "example": info.get("example")}
            elif info["case"].startswith("query-"):  # prefix, phrase, fuzzy: bench/test_query_kinds.py
                kinds = corpus.setdefault("kinds", {}).setdefault(info["case"][len("query-"):], {})
                kinds[info["engine"]] = {key: info.get(key) for key in ("p50_ms", "p99_ms", "queries", "example",
                                                                        "top10_overlap_with_searchcore")}
    return corpora, notes


def _engines(corpus: dict) -> list[str]:
    return _ordered(set(corpus["engines"]))


def _ordered(names: set[str]) -> list[str]:
    return [e for e in ORDER if e in names] + sorted(names - set(ORDER))


def _ratio(value, base, more: str, less: str) -> str:
    """How ``value`` compares with Whoosh's ``base`` when smaller is better: '12.3x faster' or '1.5x slower'."""
    if value is None or base is None or value <= 0 or base <= 0:
        return ""
    r = base / value
    return f" ({r:.1f}x {more})" if r >= 1 else f" ({1 / r:.1f}x {less})"


def _against(figures: dict, mark: dict, keys: list[tuple[str, str, str]]) -> str:
    """The figures' ratios against tantivy's, comma-separated ("1.7x slower, 2.1x more"); – where either
    engine lacks the figure."""
    cells = []
    for key, more, less in keys:
        ratio = _ratio(figures.get(key), mark.get(key), more, less).strip(" ()")
        cells.append(ratio or "–")
    return ", ".join(cells) if any(c != "–" for c in cells) else "–"


def _num(value, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(name: str, corpus: dict) -> str:
    base = corpus["engines"].get(BASELINE, {})
    docs = corpus.get("documents")
    lines = [
        f"### {name}: {corpus.get('description', name)} ({docs:,} documents)" if docs else f"### {name}",
        "",
        "| engine | build s | index MB | query p50 / p99 ms | first-run p50 ms | peak RSS MB | top-10 overlap "
        "| against tantivy: p50, p99, first-run p50, build, RSS |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    mark = corpus["engines"].get(MARK, {})
    for engine in _engines(corpus):
        f = corpus["engines"][engine]
        vs = base if engine != BASELINE else {}  # Whoosh's own row has no ratio

        def ratio(key, more="faster", less="slower"):
            return _ratio(f.get(key), vs.get(key), more, less)

        build = _num(f.get("build_s"), 2) + ratio("build_s")
        size = _num(f.get("index_mb"), 1) + ratio("index_mb", "smaller", "larger")
        query = f"{_num(f.get('p50_ms'), 2)} / {_num(f.get('p99_ms'), 2)}" + ratio("p50_ms")
        first = _num(f.get("first_p50_ms"), 2) + ratio("first_p50_ms")
        rss = _num(f.get("peak_rss_mb"), 0) + ratio("peak_rss_mb", "less", "more")
        overlap = _num(f.get("top10_overlap_with_searchcore"), 2)
        against = _against(f, mark if engine != MARK else {}, [("p50_ms", "faster", "slower"), ("p99_ms", "faster", "slower"),
                                                               ("first_p50_ms", "faster", "slower"),
                                                               ("build_s", "faster", "slower"), ("peak_rss_mb", "less", "more")])
        lines.append(f"| {engine} | {build} | {size} | {query} | {first} | {rss} | {overlap} | {against} |")
    lines.append("")
    queries = corpus.get("queries")
    lines.append(
        ("Ratios against Whoosh in the same run (p50 for queries); the last column against tantivy. " if base
         else "Whoosh not in this run: no ratios against it. ")
        + (f"Queries: {queries} disjunctive top-10 queries from the log; " if queries else "")
        + "p50/p99: a second, warm pass over the log, each query run before (per-term caches filled); "
        "first-run p50: the timed pass, pytest-benchmark's median, each query's first run; "
        "peak RSS: a fresh process opening the index and serving the log; "
        "overlap: share of searchcore's top-10 ids the engine also returns."
    )
    return "\n".join(lines)


def _case_table(title: str, by_case: dict, cases: list[str], header, cell) -> list[str]:
    """A markdown table with a row per engine and a column per case: ``header(case)`` names a column,
    ``cell(engine, case)`` fills one (the figures of ``by_case[case][engine]``)."""
    engines = _ordered({engine for case in cases for engine in by_case[case]})
    lines = [title, "", "| engine | " + " | ".join(header(case) for case in cases) + " |",
             "| --- |" + " --- |" * len(cases)]
    lines += [f"| {engine} | " + " | ".join(cell(engine, case) for case in cases) + " |" for engine in engines]
    return lines


def _against_peers(engine: str, figures: dict, peers: dict, key: str) -> list[str]:
    """``figures[key]`` against Whoosh's and tantivy's (in ``peers``): ["1.2x slower than whoosh", ...]."""
    return [ratio.strip(" ()") + f" than {peer}" for peer in (BASELINE, MARK) if peer != engine
            for ratio in [_ratio(figures.get(key), peers.get(peer, {}).get(key), "faster", "slower")] if ratio]


def kinds_table(name: str, corpus: dict) -> str | None:
    """Prefix, phrase and fuzzy query latency per engine, with the ratios against Whoosh and tantivy."""
    kinds = corpus.get("kinds")
    if not kinds:
        return None
    names = sorted(kinds)

    def cell(engine: str, kind: str) -> str:
        f = kinds[kind].get(engine, {})
        overlap = f.get("top10_overlap_with_searchcore")
        ratios = _against_peers(engine, f, kinds[kind], "p50_ms")
        return (f"{_num(f.get('p50_ms'), 2)} / {_num(f.get('p99_ms'), 2)}" + (f" ({'; '.join(ratios)})" if ratios else "")
                + (f", overlap {overlap:.2f}" if overlap is not None and engine != "searchcore" else ""))

    lines = _case_table(f"### {name}: query kinds (top-10)", kinds, names, lambda kind: f"{kind} p50 / p99 ms", cell)
    lines.append("")
    lines.append("Queries: " + "; ".join(
        f"{k}: {next(iter(kinds[k].values())).get('queries')} like `{next(iter(kinds[k].values())).get('example')}`"
        for k in names) + ".")
    return "\n".join(lines)


COLD_CASES = ("known words", "a typo", "prefix", "fuzzy", "phrase")


def cold_table(name: str, corpus: dict) -> str | None:
    """Cold one-shot queries (a new process each), the median per case, with the ratios against Whoosh
    and tantivy."""
    cold = corpus.get("cold")
    if not cold:
        return None
    cases = [c for c in COLD_CASES if c in cold] + sorted(set(cold) - set(COLD_CASES))

    def cell(engine: str, case: str) -> str:
        f = cold[case].get(engine, {})
        ratios = _against_peers(engine, f, cold[case], "median_ms")
        return _num(f.get("median_ms"), 0) + (f" ({'; '.join(ratios)})" if ratios else "")

    return "\n".join(_case_table(f"### {name}: cold one-shot query, a new process each (median ms)", cold, cases,
                                 lambda case: f"{case} `{next(iter(cold[case].values()))['example']}`", cell))


def _count(x: float) -> str:
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:g}"


def chart(corpora: dict, png: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    sized = sorted((c["documents"], name) for name, c in corpora.items() if c.get("documents"))
    if not sized:
        return None
    engines = [e for e in ORDER if any(e in corpora[n]["engines"] for _, n in sized)]
    engines += sorted({e for _, n in sized for e in corpora[n]["engines"]} - set(ORDER))
    markers = dict(zip(engines, "os^DvPX*"))
    colors = dict(zip(engines, plt.rcParams["axes.prop_cycle"].by_key()["color"]))  # one per engine, both panels
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.4))
    panels = [("p50_ms", "query p50 latency (ms), top-10", axes[0]), ("build_s", "index build time (s)", axes[1])]
    for key, label, ax in panels:
        for engine in engines:
            points = [(docs, corpora[n]["engines"].get(engine, {}).get(key)) for docs, n in sized]
            points = [(x, y) for x, y in points if y]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker=markers.get(engine, "o"), markersize=7, color=colors.get(engine),
                        linewidth=2.8 if engine == "searchcore" else 1.6, label=engine)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(sized[0][0] / 1.6, sized[-1][0] * 1.6)
        ax.set_xticks([docs for docs, _ in sized], [f"{_count(docs)}\n{name}" for docs, name in sized])
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, pos: ""))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, pos: f"{y:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, pos: f"{y:g}" if f"{y:.0e}"[0] in "25" else ""))
        ax.set_xlabel("corpus size (documents)")
        ax.set_title(label)
        ax.grid(True, which="both", alpha=0.3)
    legend: dict = {}  # label -> handle, over both panels (a build-only engine is in the right one alone)
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    labels = [e for e in engines if e in legend]
    handles = [legend[e] for e in labels]
    if not handles:  # no build or free-text query results in these files (e.g. query kinds only)
        plt.close(fig)
        return None
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), frameon=False)
    fig.suptitle("Reuters-21578 (real text) and generated corpora (words drawn from Reuters-21578 vocabulary)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", type=Path, help="pytest-benchmark --benchmark-json output(s)")
    parser.add_argument("--png", type=Path, default=DEFAULT_PNG, help=f"chart path (default {DEFAULT_PNG})")
    args = parser.parse_args(argv)
    corpora, notes = load(args.json)
    if not corpora:
        print("no searchcore benchmark results in " + ", ".join(map(str, args.json)), file=sys.stderr)
        return 1
    for name in sorted(corpora, key=lambda n: (corpora[n].get("documents") or 0, n)):
        if any(f.get("build_s") or f.get("p50_ms") for f in corpora[name]["engines"].values()):
            print(table(name, corpora[name]))
            print()
        for extra in (kinds_table(name, corpora[name]), cold_table(name, corpora[name])):
            if extra:
                print(extra)
                print()
    for engine, why in sorted(notes["skipped"].items()):
        print(f"- {engine} skipped: {why}")
    for machine in sorted(notes["machines"]):
        print(f"- machine: {machine}")
    png = chart(corpora, args.png)
    if png:
        print(f"- chart: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
