"""`search eval` and sc.evaluate: the figures are ir-measures' own, the files read and written are TREC's."""

from __future__ import annotations

import random

import ir_measures
import pytest
from click.testing import CliRunner
from scipy import stats

import searchcore as sc
from searchcore.cli import main

WORDS = ["oil", "opec", "crude", "bank", "rates", "grain", "wheat", "coffee", "cocoa", "trade", "deficit",
         "minister", "visit", "belarus", "russia", "output"]


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """(index path, queries file, qrels file, queries, qrels): 120 random stories and 12 judged queries."""
    rng = random.Random(5)
    root = tmp_path_factory.mktemp("judged")
    ix = sc.Index.create(root / "ix", sc.Schema(id=sc.ID(), title=sc.TEXT(boost=2.0), body=sc.TEXT()))
    docs = {f"d{i}": [rng.choice(WORDS) for _ in range(rng.randint(3, 12))] for i in range(120)}
    with ix.writer() as w:
        for doc_id, words in docs.items():
            w.add_document(id=doc_id, title=" ".join(words[:2]), body=" ".join(words))
    queries = {str(q): " ".join(rng.sample(WORDS, rng.randint(1, 3))) for q in range(1, 13)}
    qrels = {}
    for qid, text in queries.items():  # judged by word overlap, with some noise: graded 0-2
        for doc_id, words in docs.items():
            overlap = len(set(text.split()) & set(words))
            if overlap and rng.random() < 0.8:
                qrels.setdefault(qid, {})[doc_id] = min(2, overlap)
            elif rng.random() < 0.05:
                qrels.setdefault(qid, {})[doc_id] = 0
    (root / "queries.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in queries.items()))
    (root / "qrels.trec").write_text("".join(f"{q} 0 {d} {g}\n" for q, docs_ in qrels.items()
                                             for d, g in docs_.items()))
    return root / "ix", root / "queries.tsv", root / "qrels.trec", queries, qrels


def test_the_figures_are_ir_measures_own_on_a_fixed_run(judged, tmp_path):
    path, _, qrels_file, queries, qrels = judged
    run = sc.run_queries(sc.Index.open(path).searcher(), queries, depth=50)
    assert all(run[q] for q in queries)  # every query found something: no query left out by either side
    result = sc.measure(run, qrels)
    measures = [ir_measures.parse_measure(m) for m in sc.evaluation.DEFAULT_METRICS]
    expected = ir_measures.calc_aggregate(measures, qrels, run)
    assert {m: result.aggregate[m] for m in result.metrics} == {str(m): v for m, v in expected.items()}
    per_query = {(row.query_id, str(row.measure)): row.value for row in ir_measures.iter_calc(measures, qrels, run)}
    assert {(q, m): v for q, values in result.per_query.items() for m, v in values.items()} == per_query


def test_search_eval_prints_the_figures_of_the_run_it_writes(judged, tmp_path):
    path, queries_file, qrels_file, _, qrels = judged
    out = tmp_path / "ours.run"
    result = CliRunner().invoke(main, ["eval", str(queries_file), str(qrels_file), "--index", str(path),
                                       "--run", str(out), "-m", "nDCG@10", "-m", "AP", "--per-query"])
    assert result.exit_code == 0, result.output
    written = sc.read_run(out)
    measures = [ir_measures.parse_measure("nDCG@10"), ir_measures.parse_measure("AP")]
    expected = ir_measures.calc_aggregate(measures, qrels, written)
    [means] = [line.split() for line in result.output.splitlines() if line.startswith("all ")]
    assert means[1:] == [f"{expected[m]:.4f}" for m in measures]
    rows = [line.split() for line in result.output.splitlines()]
    assert sorted(row[0] for row in rows if len(row) == 3 and row[0] in qrels) == sorted(qrels)  # a row a query


def test_a_run_file_round_trips_best_first(tmp_path):
    run = {"2": {"a": 1.5, "b": 3.25, "c": 0.125}, "10": {"x": 2.0}}
    sc.write_run(run, tmp_path / "r.run", tag="t1")
    lines = (tmp_path / "r.run").read_text().splitlines()
    assert lines == ["2 Q0 b 1 3.250000 t1", "2 Q0 a 2 1.500000 t1", "2 Q0 c 3 0.125000 t1", "10 Q0 x 1 2.000000 t1"]
    assert sc.read_run(tmp_path / "r.run") == run


def test_trec_topics_are_read_by_number_and_title(tmp_path):
    (tmp_path / "topics.txt").write_text(
        "<top>\n<num> Number: 301\n<title> International Organized Crime\n<desc> Description:\nIdentify...\n</top>\n"
        "<top>\n<num> 302\n<title>Poliomyelitis and   Post-Polio\n\n<narr> Narrative:\n</top>\n")
    assert sc.read_queries(tmp_path / "topics.txt") == {"301": "International Organized Crime",
                                                       "302": "Poliomyelitis and Post-Polio"}


def test_a_judged_query_without_hits_counts_as_zero(judged):
    path, _, _, queries, qrels = judged
    asked = {**queries, "1": "zeppelin"}  # no document holds it
    result = sc.evaluate(sc.Index.open(path).searcher(), asked, qrels, ["P@10"])
    assert result.run["1"] == {} and result.per_query["1"]["P@10"] == 0.0
    assert result.aggregate["P@10"] == pytest.approx(sum(v["P@10"] for v in result.per_query.values()) / len(qrels))


def test_two_runs_are_compared_query_by_query(judged):
    path, _, _, queries, qrels = judged
    searcher = sc.Index.open(path).searcher()
    good = sc.evaluate(searcher, queries, qrels, ["AP"])
    rng = random.Random(9)  # the whole collection in a random order, for every query
    worse = sc.measure({q: {f"d{i}": rng.random() for i in range(120)} for q in queries}, qrels, ["AP"])
    compared = sc.compare(good, worse, "AP")
    ordered = sorted(good.per_query, key=int)
    x = [good.per_query[q]["AP"] for q in ordered]
    y = [worse.per_query[q]["AP"] for q in ordered]
    assert compared.queries == len(qrels) and compared.mean_a > compared.mean_b
    assert compared.t_p == pytest.approx(stats.ttest_rel(x, y).pvalue) and compared.t_p < 0.01
    assert compared.randomisation_p < 0.01
    same = sc.compare(good, good, "AP")
    assert same.t_p == same.randomisation_p == 1.0
    assert "paired t-test" in str(compared)


def test_search_eval_compares_with_a_run(judged, tmp_path):
    path, queries_file, qrels_file, queries, _ = judged
    run = sc.run_queries(sc.Index.open(path).searcher(), queries)
    sc.write_run({q: {d: 1.0 / (1 + i) for i, d in enumerate(sorted(hits))} for q, hits in run.items()},
                 tmp_path / "alphabetical.run")
    result = CliRunner().invoke(main, ["eval", str(queries_file), str(qrels_file), "--index", str(path),
                                       "--compare", str(tmp_path / "alphabetical.run"), "-m", "AP"])
    assert result.exit_code == 0, result.output
    assert "vs alphabetical.run: AP:" in result.output and "randomisation p=" in result.output


@pytest.mark.parametrize("name, content, says", [
    ("queries.tsv", "1 no tab here\n", "line 1: expected 'query id<TAB>text'"),
    ("qrels.trec", "1 0 d1\n", "line 1: expected 'query_id 0 doc_id grade'"),
    ("qrels.trec", "1 0 d1 high\n", "line 1: expected"),
    ("queries.tsv", "", "no queries"),
])
def test_bad_files_are_named_with_their_line(judged, tmp_path, name, content, says):
    path, queries_file, qrels_file, _, _ = judged
    (tmp_path / name).write_bytes(content.encode())
    args = [str(tmp_path / name), str(qrels_file)] if name == "queries.tsv" else [str(queries_file), str(tmp_path / name)]
    result = CliRunner().invoke(main, ["eval", *args, "--index", str(path)])
    assert result.exit_code == 1 and says in result.output and "Traceback" not in result.output


def test_a_missing_file_a_non_utf8_one_and_an_unknown_metric_are_clear_errors(judged, tmp_path):
    path, queries_file, qrels_file, queries, qrels = judged
    (tmp_path / "latin1.tsv").write_bytes(b"1\tcaf\xe9\n")
    for args, says in [([str(tmp_path / "nope.tsv"), str(qrels_file)], "no such file"),
                       ([str(tmp_path / "latin1.tsv"), str(qrels_file)], "not UTF-8"),
                       ([str(queries_file), str(qrels_file), "-m", "nDCG@ten"], "unknown metric 'nDCG@ten'")]:
        result = CliRunner().invoke(main, ["eval", *args, "--index", str(path)])
        assert result.exit_code == 1 and says in result.output, result.output
    with pytest.raises(sc.EvaluationError, match="unknown metric"):
        sc.evaluate(sc.Index.open(path).searcher(), queries, qrels, ["NoSuchMetric"])

