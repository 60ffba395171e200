"""Cold one-shot queries on Reuters-21578: a new process per query, from start to exit, side by side.

searchcore is timed as a user meets it: the installed ``search`` command on an index built the way the
demo builds it (``search index``), printing the top ten with their titles and snippets. Whoosh and
tantivy are timed by the smallest program that does the same job for them: start Python, import the
library, open the index the other benchmarks built, parse the query, search and print the ten ids (no
stored text, no snippets, so less work than searchcore's). Each case runs a few times unmeasured first,
so that every engine's compiled bytecode and the index files are in the caches, as they are for anyone
who has run a search before; the figure is the median of the rounds after that.

Cases: words the index holds, a typo (a word no document holds: its stem is computed at query time, and
searchcore looks for a "did you mean"), a prefix, a fuzzy term and a phrase. Whoosh reads all five;
tantivy's query parser has no prefix or fuzzy syntax, so it runs the other three.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import corpora_dir
from engines import selected_engines

CASES = {
    "known words": "Li Shangfu Belarus",
    "a typo": "Li Shangfo Belarus",
    "prefix": "belar*",
    "fuzzy": "Shangfo~1",
    "phrase": '"defence minister"',
}
PEERS = {"whoosh": set(CASES), "tantivy": {"known words", "a typo", "phrase"}}
ROUNDS, WARMUP = 15, 3

# The one-shot programs of the peers: argv is the index path and the query.
ONE_SHOT = {
    "whoosh": (
        "import sys\n"
        "from whoosh import index, qparser, scoring\n"
        "ix = index.open_dir(sys.argv[1])\n"
        "parser = qparser.QueryParser('text', ix.schema, group=qparser.OrGroup)\n"
        "parser.add_plugin(qparser.FuzzyTermPlugin())\n"
        "with ix.searcher(weighting=scoring.BM25F()) as s:\n"
        "    print([hit['id'] for hit in s.search(parser.parse(sys.argv[2]), limit=10)])\n"
    ),
    "tantivy": (
        "import sys, tantivy\n"
        "index = tantivy.Index.open(sys.argv[1])\n"
        "searcher = index.searcher()\n"
        "query, _errors = index.parse_query_lenient(sys.argv[2], ['text'])\n"
        "print([searcher.doc(a)['id'][0] for _s, a in searcher.search(query, 10, count=False).hits])\n"
    ),
}


def _environment() -> dict[str, str]:
    # Bytecode is written as for any user (a shell that sets PYTHONDONTWRITEBYTECODE would make every
    # engine compile its modules again on each start).
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory, docs) -> Path:
    """Reuters and the AFP story indexed by the installed ``search`` command, as ``make demo`` does."""
    path = tmp_path_factory.mktemp("demo") / "ix"
    corpora = corpora_dir()
    subprocess.run([_search_command(), "index", str(corpora / "reuters21578"), str(corpora / "seed"), "--index", str(path),
                    "--jobs", "2", "--yes"],
                   check=True, capture_output=True, env=_environment())
    return path


def _search_command() -> str:
    command = Path(sys.executable).parent / "search"
    if not command.exists():
        pytest.skip(f"the search command is not installed beside {sys.executable} (pip install -e .)")
    return str(command)


def _cases():
    names = [e.name for e in selected_engines()]
    for case in CASES:
        if "searchcore" in names:
            yield pytest.param("searchcore", case, id=f"searchcore-{case}")
        for peer, cases in PEERS.items():
            if peer in names and case in cases:
                yield pytest.param(peer, case, id=f"{peer}-{case}")


@pytest.mark.parametrize(("engine", "case"), list(_cases()))
def test_cold_one_shot_query(benchmark, engine, case, docs, demo_index, built):
    query = CASES[case]
    if engine == "searchcore":
        command = [_search_command(), query, "--index", str(demo_index)]
    else:
        command = [sys.executable, "-c", ONE_SHOT[engine], str(built[engine]), query]
    environment = _environment()
    benchmark.group = f"reuters: cold one-shot query, {case}"

    def run_once() -> str:
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
        assert done.returncode == 0, done.stderr
        return done.stdout

    out = benchmark.pedantic(run_once, rounds=ROUNDS, iterations=1, warmup_rounds=WARMUP)
    if engine == "searchcore" and case in ("known words", "a typo"):
        assert "Li Shangfu will visit Russia" in out.replace("**", "")  # the AFP story is found
    benchmark.extra_info.update(corpus="reuters", corpus_description="Reuters-21578 + the seed story",
                                case=f"cold-{case}", engine=engine, documents=len(docs), example=query)
