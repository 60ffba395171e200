"""Relevance you can measure: run judged queries, score the run with ir-measures, compare two runs.

The metrics are ir-measures' (backed by trec_eval's code through pytrec_eval), never computed here: this
module reads queries and judgments, runs the queries, writes and reads TREC run files, and asks
ir-measures for the figures and scipy for the significance of a difference. It needs the ``eval`` extra
(``pip install "searchcore[eval]"``) and is imported only when used.

A run holds each query's hits with their scores. trec_eval ranks a run by score and breaks ties by
document ID, not by the order the engine returned, so equal scores may be measured in another order
than searchcore showed them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ArgumentError, EvaluationError

#: the figures `search eval` reports unless told otherwise
DEFAULT_METRICS = ("nDCG@10", "AP", "R@100", "RR@10", "P@10")
#: hits kept per query in a run (AP and recall are measured over this many)
DEFAULT_DEPTH = 1000

Run = dict[str, dict[str, float]]  # query id -> {document id: score}
Qrels = dict[str, dict[str, int]]  # query id -> {document id: grade}


def _ir_measures():
    try:
        import ir_measures
    except ImportError as exc:
        raise EvaluationError(f"evaluation needs its extra ({exc.name} is missing): "
                              'pip install "searchcore[eval]"') from None
    return ir_measures


# -- reading --------------------------------------------------------------------------------------------------
_TOPIC = re.compile(r"<top>(.*?)</top>", re.S | re.I)
_NUM = re.compile(r"<num>\s*(?:Number:)?\s*(\S+)", re.I)
_TITLE = re.compile(r"<title>\s*(?:Topic:)?\s*(.*?)\s*(?=<[a-z]+>|$)", re.S | re.I)


def read_queries(path: str | Path) -> dict[str, str]:
    """Query id -> text, from a TSV file (``id<TAB>text`` a line) or TREC topics (``<top>`` blocks, their
    ``<num>`` and ``<title>``)."""
    path = Path(path)
    text = _read_text(path)
    queries: dict[str, str] = {}
    if "<top>" in text.lower():
        for block in _TOPIC.findall(text):
            num, title = _NUM.search(block), _TITLE.search(block)
            if num is None or title is None:
                raise EvaluationError(f"{path}: a <top> block without <num> or <title>")
            queries[num.group(1)] = " ".join(title.group(1).split())
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            qid, tab, query = line.partition("\t")
            if not tab or not qid.strip():
                raise EvaluationError(f"{path}, line {number}: expected 'query id<TAB>text'")
            queries[qid.strip()] = query.strip()
    if not queries:
        raise EvaluationError(f"{path}: no queries")
    return queries


def read_qrels(path: str | Path) -> Qrels:
    """Query id -> {document id: grade}, from TREC qrels (``query_id iteration doc_id grade``)."""
    return _read_columns(path, 4, lambda parts: (parts[0], parts[2], int(parts[3])), "query_id 0 doc_id grade")


def read_run(path: str | Path) -> Run:
    """Query id -> {document id: score}, from a TREC run (``query_id Q0 doc_id rank score tag``)."""
    return _read_columns(path, 6, lambda parts: (parts[0], parts[2], float(parts[4])),
                         "query_id Q0 doc_id rank score tag")


def _read_columns(path: str | Path, width: int, parse, shape: str) -> dict:
    path = Path(path)
    out: dict[str, dict] = {}
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) != width:
                raise ValueError
            qid, doc_id, value = parse(parts)
        except ValueError:
            raise EvaluationError(f"{path}, line {number}: expected '{shape}'") from None
        out.setdefault(qid, {})[doc_id] = value
    if not out:
        raise EvaluationError(f"{path}: empty")
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvaluationError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise EvaluationError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise EvaluationError(f"{path}: {exc.strerror or exc}") from None


def write_run(run: Mapping[str, Mapping[str, float]], path: str | Path, tag: str = "searchcore") -> None:
    """Write ``run`` as a TREC run file, each query's hits best first (ranks from 1)."""
    lines = []
    for qid in sorted(run, key=_natural):
        ranked = sorted(run[qid].items(), key=lambda item: -item[1])
        lines += [f"{qid} Q0 {doc_id} {rank} {score:.6f} {tag}" for rank, (doc_id, score) in enumerate(ranked, 1)]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _natural(qid: str) -> tuple:
    return (0, int(qid), "") if qid.isdigit() else (1, 0, qid)


# -- running and measuring --------------------------------------------------------------------------------
def run_queries(searcher, queries: Mapping[str, str], depth: int = DEFAULT_DEPTH, **search: Any) -> Run:
    """Each query's top ``depth`` hits with their scores; ``search`` is passed to ``searcher.search``.

    A query that matches nothing (or only stopwords) has an empty ranking.
    """
    if depth < 1:
        raise ArgumentError(f"depth must be >= 1, got {depth}")
    return {qid: {hit.id: float(hit.score) for hit in searcher.search(text, limit=depth, **search)}
            for qid, text in queries.items()}


@dataclass
class Evaluation:
    """The figures of one run against judgments.

    Attributes:
        metrics: the metrics, as named when asked for.
        aggregate: metric -> its mean over the judged queries.
        per_query: query id -> metric -> value (the queries with judgments only).
        run: the run measured.
    """

    metrics: tuple[str, ...]
    aggregate: dict[str, float]
    per_query: dict[str, dict[str, float]]
    run: Run = field(repr=False)

    def table(self, per_query: bool = False) -> str:
        """The figures as an aligned text table: the means, or one row per query and the means."""
        head = ["query", *self.metrics] if per_query else ["", *self.metrics]
        rows = []
        if per_query:
            for qid in sorted(self.per_query, key=_natural):
                rows.append([qid, *(f"{self.per_query[qid].get(m, 0.0):.4f}" for m in self.metrics)])
        rows.append(["all" if per_query else "mean", *(f"{self.aggregate[m]:.4f}" for m in self.metrics)])
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
                         for r in [head, *rows])


def parse_metrics(names: Iterable[str]) -> list:
    """ir-measures' measure objects for the names given (``nDCG@10``, ``AP``, ``R@100``...)."""
    ir_measures = _ir_measures()
    out = []
    for name in names:
        try:
            out.append(ir_measures.parse_measure(name))
        except Exception as exc:  # noqa: BLE001 - ir-measures raises several kinds for a bad name
            raise EvaluationError(f"unknown metric {name!r} ({exc})") from None
    if not out:
        raise EvaluationError("no metrics asked for")
    return out


def measure(run: Mapping[str, Mapping[str, float]], qrels: Qrels,
            metrics: Sequence[str] = DEFAULT_METRICS) -> Evaluation:
    """ir-measures' figures for ``run`` against ``qrels``: per judged query, and their means. A judged
    query the run has no hits for counts as having found nothing (ir-measures' rule); queries without
    judgments are not measured."""
    ir_measures = _ir_measures()
    measures = parse_metrics(metrics)
    names = {str(m): name for m, name in zip(measures, metrics)}
    found = {q: dict(d) for q, d in run.items() if d}
    per_query: dict[str, dict[str, float]] = {qid: {name: 0.0 for name in metrics} for qid in qrels}
    for row in ir_measures.iter_calc(measures, qrels, found):
        per_query[row.query_id][names[str(row.measure)]] = float(row.value)
    aggregate = {name: 0.0 for name in metrics}
    if found:
        aggregate.update({names[str(m)]: float(v) for m, v in ir_measures.calc_aggregate(measures, qrels, found).items()})
    return Evaluation(tuple(metrics), aggregate, per_query, {q: dict(d) for q, d in run.items()})


def evaluate(searcher, queries: Mapping[str, str], qrels: Qrels, metrics: Sequence[str] = DEFAULT_METRICS,
             depth: int = DEFAULT_DEPTH, **search: Any) -> Evaluation:
    """Run ``queries`` on ``searcher`` (``search`` passed to each search) and measure the run against
    ``qrels`` with ir-measures.

    Example::

        queries = sc.read_queries("queries.tsv"); qrels = sc.read_qrels("qrels.trec")
        result = sc.evaluate(ix.searcher(), queries, qrels)
        print(result.aggregate["nDCG@10"])
    """
    parse_metrics(metrics)  # a bad name fails before any query runs
    return measure(run_queries(searcher, queries, depth, **search), qrels, metrics)


@dataclass(frozen=True)
class Comparison:
    """Two runs' per-query figures for one metric, compared on the queries both were measured on.

    Attributes:
        metric: the metric compared.
        queries: how many queries.
        mean_a, mean_b: each run's mean.
        t_p: the two-sided p-value of a paired t-test.
        randomisation_p: the two-sided p-value of a paired randomisation test (each query's pair of figures
            swapped at random, 10,000 times, a fixed seed).
    """

    metric: str
    queries: int
    mean_a: float
    mean_b: float
    t_p: float
    randomisation_p: float

    def __str__(self) -> str:
        return (f"{self.metric}: {self.mean_a:.4f} vs {self.mean_b:.4f} ({self.mean_a - self.mean_b:+.4f}) over "
                f"{self.queries} queries; paired t-test p={self.t_p:.4g}, randomisation p={self.randomisation_p:.4g}")


def compare(a: Evaluation, b: Evaluation, metric: str, resamples: int = 10_000, seed: int = 0) -> Comparison:
    """Whether ``a`` and ``b`` differ on ``metric`` by more than chance, query by query (scipy's tests)."""
    try:
        import numpy as np
        from scipy import stats
    except ImportError as exc:
        raise EvaluationError(f"comparing runs needs the eval extra ({exc.name} is missing): "
                              'pip install "searchcore[eval]"') from None
    shared = sorted(set(a.per_query) & set(b.per_query), key=_natural)
    if len(shared) < 2:
        raise EvaluationError(f"the runs share {len(shared)} judged queries; a paired test needs at least 2")
    x = np.array([a.per_query[q][metric] for q in shared])
    y = np.array([b.per_query[q][metric] for q in shared])
    if np.array_equal(x, y):
        return Comparison(metric, len(shared), float(x.mean()), float(y.mean()), 1.0, 1.0)
    t_p = float(stats.ttest_rel(x, y).pvalue)
    randomised = stats.permutation_test((x, y), lambda u, v: np.mean(u - v), permutation_type="samples",
                                        n_resamples=resamples, alternative="two-sided", random_state=seed)
    return Comparison(metric, len(shared), float(x.mean()), float(y.mean()), t_p, float(randomised.pvalue))
