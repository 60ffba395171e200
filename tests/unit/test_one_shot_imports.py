"""What a one-shot `search` imports: only what its query needs.

A new process pays for every module it imports (numpy alone is about half of a one-shot search), so
the query path keeps away from the heavy ones: nltk (and scipy, which nltk imports where it is
installed) for a word the index lacks, numpy.ma (numpy 2 imports it for np.unique and np.isin), the
Unicode token pattern for ASCII text, and the parts of the package a search does not use (writing,
sharding). Each query kind runs in a new process through the installed entry point's code, with
highlighting and "did you mean"; the test fails if one of these modules was imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import searchcore as sc

NOT_FOR_A_SEARCH = ("nltk", "scipy", "numpy.ma", "hashlib", "searchcore.index.writer",
                    "searchcore.index.builder", "searchcore.distributed.sharded", "searchcore.server")

QUERIES = {
    "words": "Belarus minister",
    "a word the index lacks": "visiting ministers",
    "a typo": "Belarsu minister",
    "prefix": "Bela*",
    "wildcard": "B*s",
    "fuzzy": "Belarsu~1",
    "phrase": '"defence minister"',
}

SCRIPT = """
import io, json, sys
from searchcore.cli import main
out = io.StringIO()
sys.stdout = out
try:
    main(sys.argv[1:-1], standalone_mode=False)
finally:
    sys.stdout = sys.__stdout__
wanted = json.loads(sys.argv[-1])
analysis = sys.modules["searchcore.analysis"]
print(json.dumps({"output": out.getvalue(), "imported": [m for m in wanted if m in sys.modules],
                  "token_pattern_compiled": analysis._full_token_pattern.cache_info().currsize > 0}))
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """3,000 documents, a few of them about Belarus and its defence minister, spread out: numpy takes its
    sorting paths (those that import numpy.ma) only for larger, sparser arrays than a handful of
    documents give."""
    ix = sc.Index.create(tmp_path_factory.mktemp("one-shot") / "ix", sc.news_schema())
    with ix.writer() as w:
        for i in range(3000):
            if i % 150 == 0:
                w.add_document(id=str(i), title="Minister to visit Belarus",
                               body=f"Defence minister Li Shangfu will visit Belarus, report {i} said.")
            else:
                w.add_document(id=str(i), title=f"Oil prices {i}", body=f"Crude oil prices rose in market {i}.")
    return ix.path


@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
def test_a_one_shot_search_imports_only_what_it_needs(index, query):
    done = subprocess.run([sys.executable, "-c", SCRIPT, query, "--index", str(index), json.dumps(NOT_FOR_A_SEARCH)],
                          capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert "Belarus" in found["output"]  # the search found the stories
    assert found["imported"] == []
    assert not found["token_pattern_compiled"]  # ASCII text: the ASCII pattern sufficed
