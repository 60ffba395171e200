"""The engines under test, behind one small interface: build(docs, path) and a searcher returning top-k ids."""

from __future__ import annotations

from pathlib import Path

import searchcore as sc
from searchcore.analysis import clear_caches


class Searchcore:
    name = "searchcore"

    def build(self, docs: list[dict], path: Path) -> None:
        clear_caches()  # a cold build: Whoosh's stemming cache is per analyzer, so it starts cold too
        schema = sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT(stored=True))
        ix = sc.Index.create(path, schema)
        with ix.writer() as w:
            for doc in docs:
                w.add_document(**doc)

    def searcher(self, path: Path):
        searcher = sc.Index.open(path).searcher()

        def search(query: str, k: int = 10) -> list[str]:
            return [hit.id for hit in searcher.search(query, limit=k)]

        return search


class Whoosh:
    name = "whoosh"

    def build(self, docs: list[dict], path: Path) -> None:
        from whoosh import fields, index

        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(stored=True, field_boost=2.0, analyzer=_whoosh_analyzer()),
            body=fields.TEXT(stored=True, analyzer=_whoosh_analyzer()),
        )
        path.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(path), schema)
        writer = ix.writer()
        for doc in docs:
            writer.add_document(**doc)
        writer.commit()

    def searcher(self, path: Path):
        from whoosh import index, qparser, scoring

        ix = index.open_dir(str(path))
        searcher = ix.searcher(weighting=scoring.BM25F())
        parser = qparser.MultifieldParser(["title", "body"], ix.schema, group=qparser.OrGroup)

        def search(query: str, k: int = 10) -> list[str]:
            return [hit["id"] for hit in searcher.search(parser.parse(query), limit=k)]

        return search


def _whoosh_analyzer():
    from whoosh.analysis import StemmingAnalyzer

    return StemmingAnalyzer()  # Whoosh's own tokenizer, stopwords and Porter stemmer


ENGINES = [Searchcore(), Whoosh()]


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
