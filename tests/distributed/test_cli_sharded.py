"""`search index --shards`, queries and `search check` on a sharded index, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dask.distributed")
ROOT = Path(__file__).resolve().parents[2]
STORY = {"id": "afp-li-shangfu", "title": "China's defence minister to visit Russia, Belarus",
         "body": "Chinese Defence Minister Li Shangfu will visit Russia and Belarus this week.", "date": "2023-08-14"}


def search(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searchcore.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_index_query_and_check_a_sharded_index(tmp_path):
    source = tmp_path / "docs.jsonl"
    docs = [STORY, *({"id": f"w{i}", "title": f"Grain report {i}", "body": f"Wheat and oil prices, report {i}.",
                      "date": f"1987-03-{1 + i % 28:02d}"} for i in range(40))]
    source.write_text("".join(json.dumps(d) + "\n" for d in docs))
    index = tmp_path / "sharded"
    built = search("index", str(source), "--index", str(index), "--shards", "3")
    assert built.returncode == 0, built.stderr
    assert "41 added" in built.stdout and "3 shards hold 41 documents" in built.stdout
    again = search("index", str(source), "--index", str(index))  # a re-run: everything unchanged
    assert again.returncode == 0 and "41 unchanged" in again.stdout, again.stderr
    found = search("Li Shangfu Belarus", "--index", str(index), "--json")
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert answer["total"] == 1 and answer["hits"][0]["id"] == "afp-li-shangfu"
    assert "**Belarus**" in answer["hits"][0]["snippet"]
    paged = json.loads(search("wheat", "--index", str(index), "--json", "--sort", "-date", "--limit", "3",
                              "--offset", "2").stdout)
    assert paged["total"] == 40 and [h["date"] for h in paged["hits"]] == sorted(
        [h["date"] for h in paged["hits"]], reverse=True)
    text = search("wheat", "--index", str(index))
    assert text.returncode == 0 and "40 hits for 'wheat' in 41 documents" in text.stdout
    checked = search("check", "--index", str(index))
    assert checked.returncode == 0 and "ok: 3 shards" in checked.stdout
    bad = search("oil AND (", "--strict", "--index", str(index))
    assert bad.returncode == 1 and "column" in bad.stderr and "Traceback" not in bad.stderr
    mismatch = search("index", str(source), "--index", str(index), "--shards", "5")
    assert mismatch.returncode == 1 and "has 3 shards, not 5" in mismatch.stderr
    next((index / "shard-001").rglob("arrays.pack")).write_bytes(b"\0" * 65)
    damaged = search("check", "--index", str(index))
    assert damaged.returncode == 1 and "shard 1:" in damaged.stdout
