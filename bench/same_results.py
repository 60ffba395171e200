"""Same hits, same scores: record what a checkout returns for a fixed set of searches, or check against a record.

    PYTHONPATH=OLD_CHECKOUT python bench/same_results.py save before.json
    python bench/same_results.py check before.json

The index is Reuters-21578 and the seed stories under the news schema, written in three commits with some
documents deleted afterwards, so that searches cross several segments and skip deleted documents. The
searches are the benchmark's query logs (words, prefixes, phrases, fuzzy terms), query-language cases, and
filtered, sorted, faceted and paged searches; every one runs exhaustively and again with MaxScore forced on
every segment, and the best hit of each is explained. Scores are compared to the last bit (``float.hex``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import searchcore as sc  # noqa: E402
from corpus import corpora_dir, fuzzy_log, phrase_log, prefix_log, query_log  # noqa: E402
from searchcore.loaders import iter_documents  # noqa: E402

LANGUAGE = [
    "title:oil AND body:prices", '"crude oil"~3', "oil -opec", "+wheat +export", "(oil OR gas)^2 price",
    "date:[1987-03-01 TO 1987-03-31] oil", "topics:grain", "topics:grain wheat", "pric* AND fuel", "opec~1",
    "w?eat", "NOT oil", "oil NOT (gas OR coal)", '"interest rates" AND (fed OR bundesbank)', "title:(gold silver)",
    "places:usa AND topics:crude", "dollar^3 yen", "tr*e", "*ation", "bank* -title:bank", '"li shangfu"',
    "Li Shangfu Belarus", "crude oil prices", "date:[1987-04-01 TO *]", "oil AND date:{* TO 1987-03-15}",
]
OPTIONS = [
    {"filter": "topics:crude"}, {"sort": "-date"}, {"sort": "date"}, {"sort": "topics"}, {"offset": 10},
    {"offset": 20, "limit": 5}, {"facets": ["topics", "places"]}, {"default_operator": "AND"},
    {"fields": ["title"]}, {"filter": ["places:usa", "date:[1987-03-01 TO 1987-03-20]"], "sort": "-date"},
    {"limit": 100},
]


def build(path: Path) -> sc.Index:
    corpora = corpora_dir()
    docs = list(iter_documents([corpora / "reuters21578", corpora / "seed"]))
    index = sc.Index.create(path, sc.news_schema())
    thirds = [docs[: len(docs) // 3], docs[len(docs) // 3 : 2 * len(docs) // 3], docs[2 * len(docs) // 3 :]]
    for part in thirds:
        with index.writer() as writer:
            for doc in part:
                writer.add_document(**doc)
    with index.writer() as writer:
        for doc in docs[::37]:
            writer.delete_document(doc["id"])
    return index


def record(searcher, query, **options) -> dict:
    results = searcher.search(query, **options)
    out = {
        "hits": [[hit.id, float(hit.score).hex()] for hit in results],
        "total": results.total,
        "warnings": list(results.warnings),
    }
    if results.facets:
        out["facets"] = {name: counts[:20] for name, counts in results.facets.items()}
    if len(results):
        out["explain"] = float(results.explain(results[0]).value).hex()
    return out


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        index = build(Path(tmp) / "index")
        reader_docs = [{"title": d.get("title", ""), "body": d.get("body", "")}
                       for d in iter_documents([corpora_dir() / "reuters21578", corpora_dir() / "seed"])]
        words = query_log(reader_docs, 400)
        cases = [(q, {}) for q in words]
        cases += [(q, {}) for q in prefix_log(reader_docs, 60) + phrase_log(reader_docs, 60) + fuzzy_log(reader_docs, 60)]
        cases += [(q, {}) for q in LANGUAGE]
        cases += [(q, dict(o)) for q in LANGUAGE[:8] + words[:12] for o in OPTIONS]
        out: dict = {"segments": None, "cases": {}}
        searcher = index.searcher()
        out["segments"] = len(searcher.reader.segments)
        for mode in ("exhaustive", "maxscore"):
            if mode == "maxscore":
                searcher.maxscore_min_docs = 0
                searcher.maxscore_min_postings = 0  # and on lists of any length
            for query, options in cases:
                key = f"{mode} {query} {json.dumps(options, sort_keys=True)}"
                out["cases"][key] = record(searcher, query, **options)
        for query in words[:20]:
            first = searcher.search(query, limit=1)
            if len(first):
                key = f"more_like_this {first[0].id}"
                out["cases"][key] = [[h.id, float(h.score).hex()] for h in searcher.more_like_this(first[0].id)]
        for text in ["Li Shangfo Belarus", "crud oil", "wheet exports", "interst rates", "bundesbnk"]:
            out["cases"][f"suggest {text}"] = searcher.suggest(text)
        searcher.close()
        return out


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "check"):
        print(__doc__)
        return 2
    if not (corpora_dir() / "reuters21578").is_dir():
        print(f"no Reuters-21578 under {corpora_dir()} (set SEARCHCORE_CORPORA)")
        return 2
    result = json.loads(json.dumps(run()))  # as saved: tuples become lists
    path = Path(argv[1])
    if argv[0] == "save":
        path.write_text(json.dumps(result, indent=0, sort_keys=True))
        print(f"saved {len(result['cases'])} searches over {result['segments']} segments to {path}")
        return 0
    saved = json.loads(path.read_text())
    differ = [key for key in saved["cases"] if saved["cases"][key] != result["cases"].get(key)]
    missing = set(saved["cases"]) ^ set(result["cases"])
    for key in differ[:20]:
        print(f"DIFFERS {key}\n  before {saved['cases'][key]}\n  now    {result['cases'].get(key)}")
    print(f"{len(saved['cases']) - len(differ)} of {len(saved['cases'])} searches identical "
          f"(segments: {saved['segments']} before, {result['segments']} now); {len(missing)} cases not in both")
    return 1 if differ or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
