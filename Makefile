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
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/search

demo: install
	$(BIN)/search index "$(CORPORA)/reuters21578" "$(CORPORA)/seed" --index $(INDEX) --rebuild
	$(BIN)/search "Li Shangfu Belarus" --index $(INDEX) --limit 5

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pytest bench/ -q --benchmark-group-by=group --benchmark-columns=median,mean,min,rounds

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache .benchmarks
