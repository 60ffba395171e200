# searchcore: `make demo` builds the default index and runs a search; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORPORA ?= $(or $(SEARCHCORE_CORPORA),../shared/corpora)
INDEX  ?= indexes/default

.PHONY: demo test bench install clean

$(BIN)/search: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/search

demo: install
	$(BIN)/search index "$(CORPORA)/reuters21578" "$(CORPORA)/seed" --index $(INDEX) --rebuild --jobs 2 --yes
	$(BIN)/search "Li Shangfu Belarus" --index $(INDEX) --limit 5

test: install
	$(BIN)/python -m pytest -q

# Whoosh and the optional peers (bm25s, tantivy, SQLite FTS5) come with the "bench" extra. Whoosh 2.7.4
# raises DeprecationWarnings of its own, hence -W. SEARCHCORE_BENCH_SCALES (default 10) and
# SEARCHCORE_BENCH_ENGINES choose the generated-corpus runs (Whoosh at 10x takes many minutes).
# bench/haystack_bench.py is a script (python bench/haystack_bench.py): it sets Django up when it runs,
# so pytest's doctest collection must not import it.
bench: install
	$(BIN)/pip install --quiet -e ".[bench]"
	mkdir -p bench/results
	$(BIN)/python -m pytest bench/ -q -W ignore::DeprecationWarning --ignore=bench/haystack_bench.py --benchmark-group-by=group \
		--benchmark-columns=median,mean,min,rounds --benchmark-json=bench/results/latest.json
	$(BIN)/python bench/report.py bench/results/latest.json

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache .benchmarks
