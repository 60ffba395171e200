"""The engines under test, behind one small interface: build(docs, path) and a searcher returning top-k ids.

Every engine indexes the same thing, the setup the benchmark issue measures: a document's title and body
as one text field (``text_of``), with positions, and its ID stored; the text itself is not stored. Only
``searchcore-fields`` differs: it is searchcore as the demo configures it (title x2 and body as BM25F
fields, both stored for snippets), to show what fields and stored text cost; it runs on Reuters only.

searchcore and Whoosh are always benchmarked. The peers (bm25s, tantivy-py, SQLite FTS5) come from the
optional ``bench`` extra; each is in :data:`ENGINES` only when it imports here, otherwise it is left out
and the reason is kept in :data:`SKIPPED` (the report prints it). ``SEARCHCORE_BENCH_ENGINES`` (a comma
list of engine names) narrows the engines a run benchmarks: see :func:`selected_engines`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sqlite3
from pathlib import Path

import searchcore as sc
from searchcore.analysis import clear_caches


def text_of(doc: dict) -> str:
    """The one text field every engine indexes: title, then body."""
    return f"{doc['title']}\n{doc['body']}"


class Searchcore:
    name = "searchcore"
    modules = ("searchcore",)  # what the engine imports: warmed before a memory baseline, checked for peers

    def schema(self):
        return sc.Schema(id=sc.ID(stored=True), text=sc.TEXT())

    def documents(self, docs: list[dict]):
        return ({"id": doc["id"], "text": text_of(doc)} for doc in docs)

    def build(self, docs: list[dict], path: Path, jobs: int = 1) -> None:
        """Index ``docs`` at ``path``; ``jobs`` > 1 analyses them in that many worker processes, as
        ``search index --jobs N`` does."""
        clear_caches()  # a cold build: Whoosh's stemming cache is per analyzer, so it starts cold too
        ix = sc.Index.create(path, self.schema())
        with ix.writer() as w:
            if jobs > 1:
                sc.bulk_index(w, self.documents(docs), jobs=jobs)
            else:
                for doc in self.documents(docs):
                    w.add_document(**doc)
        # A corpus indexed once and then only searched is merged into one segment, as `search optimize`
        # does: the build time includes it (Reuters fits one segment, so there it costs nothing).
        ix.optimize()

    def searcher(self, path: Path):
        searcher = sc.Index.open(path).searcher()

        def search(query: str, k: int = 10) -> list[str]:
            return [hit.id for hit in searcher.search(query, limit=k)]

        return search


class SearchcorePyStemmer(Searchcore):
    """searchcore with the opt-in stemmer (``Analyzer(stemmer="pystemmer")``, the ``stemmer`` extra): the
    same Snowball algorithm in C. Its stems differ from nltk's on some 68 Reuters words."""

    name = "searchcore-pystemmer"
    modules = ("searchcore", "Stemmer")
    reuters_only = True

    def schema(self):
        return sc.Schema(id=sc.ID(stored=True), text=sc.TEXT(analyzer=sc.Analyzer(stemmer="pystemmer")))


class SearchcoreFields(Searchcore):
    """searchcore as the demo sets it up: title (boost 2) and body as BM25F fields, both stored."""

    name = "searchcore-fields"
    reuters_only = True

    def schema(self):
        return sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT(stored=True))

    def documents(self, docs: list[dict]):
        return iter(docs)


class Whoosh:
    name = "whoosh"
    modules = ("whoosh.index", "whoosh.qparser", "whoosh.scoring")

    def build(self, docs: list[dict], path: Path) -> None:
        from whoosh import fields, index

        schema = fields.Schema(id=fields.ID(stored=True, unique=True), text=fields.TEXT(analyzer=_whoosh_analyzer()))
        path.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(path), schema)
        writer = ix.writer()
        for doc in docs:
            writer.add_document(id=doc["id"], text=text_of(doc))
        writer.commit()

    def searcher(self, path: Path):
        from whoosh import index, qparser, scoring

        ix = index.open_dir(str(path))
        searcher = ix.searcher(weighting=scoring.BM25F())
        parser = qparser.QueryParser("text", ix.schema, group=qparser.OrGroup)
        parser.add_plugin(qparser.FuzzyTermPlugin())  # word~1: Whoosh reads ~ only with this plugin

        def search(query: str, k: int = 10) -> list[str]:
            return [hit["id"] for hit in searcher.search(parser.parse(query), limit=k)]

        return search


def _whoosh_analyzer():
    from whoosh.analysis import StemmingAnalyzer

    return StemmingAnalyzer()  # Whoosh's own tokenizer, stopwords and Porter stemmer


class Bm25s:
    """bm25s with its default Lucene-style BM25 (k1=1.5, b=0.75) over title and body as one text.

    bm25s has no positions (no phrase queries), so its index holds less than the others'. Its own tokenizer and English stopwords, with nltk's
    Snowball English stemmer (pure Python, already a searchcore dependency; PyStemmer, which bm25s suggests,
    is not installed). The index is saved with ``BM25.save`` and loaded memory-mapped.
    """

    name = "bm25s"
    modules = ("bm25s", "nltk.stem.snowball")

    def build(self, docs: list[dict], path: Path) -> None:
        import bm25s

        texts = [text_of(doc) for doc in docs]
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_bm25s_stemmer(), show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        path.mkdir(parents=True, exist_ok=True)
        retriever.save(str(path), show_progress=False)
        (path / "ids.json").write_text(json.dumps([doc["id"] for doc in docs]))

    def searcher(self, path: Path):
        import bm25s

        retriever = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
        ids = json.loads((path / "ids.json").read_text())
        vocab = retriever.vocab_dict
        stemmer = _bm25s_stemmer()

        def search(query: str, k: int = 10) -> list[str]:
            [tokens] = bm25s.tokenize(
                [query], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
            )
            tokens = [t for t in tokens if t in vocab]  # bm25s raises on a query with no indexed word
            if not tokens:
                return []
            found, scores = retriever.retrieve([tokens], k=min(k, len(ids)), show_progress=False, n_threads=0)
            return [ids[i] for i, score in zip(found[0], scores[0]) if score > 0]

        return search


def _bm25s_stemmer():
    from nltk.stem.snowball import EnglishStemmer

    stem = EnglishStemmer().stem
    return lambda words: [stem(w) for w in words]  # bm25s stems each distinct token once, in one list


class Tantivy:
    """tantivy-py: id stored, title and body as one text field with the ``en_stem`` tokenizer (positions kept).

    The writer runs one indexing thread (every other engine here builds on one core); tantivy still merges
    segments in its background threads, and the build waits for them.
    """

    name = "tantivy"
    modules = ("tantivy",)

    def build(self, docs: list[dict], path: Path) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("text", tokenizer_name="en_stem")
        path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(builder.build(), path=str(path), reuse=False)
        writer = index.writer(num_threads=1)
        for doc in docs:
            writer.add_document(tantivy.Document(id=doc["id"], text=text_of(doc)))
        writer.commit()
        writer.wait_merging_threads()

    def searcher(self, path: Path):
        import tantivy

        index = tantivy.Index.open(str(path))
        searcher = index.searcher()

        def search(query: str, k: int = 10) -> list[str]:
            # lenient: user text such as a lone quote or "text:(" gives a query of what parses, never an error
            # tantivy's parser is disjunctive by default: a document needs any one of the words
            parsed, _errors = index.parse_query_lenient(query, ["text"])
            return [searcher.doc(address)["id"][0] for _score, address in searcher.search(parsed, k, count=False).hits]

        return search


class SqliteFts5:
    """SQLite FTS5 (stdlib sqlite3): a contentless table (the text is not stored) over title and body as one
    column, Porter stemming, bm25 ranking; the rowid is the document's number in ids.json."""

    name = "sqlite-fts5"
    modules = ("sqlite3",)
    SQL = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?"

    def build(self, docs: list[dict], path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path / "index.sqlite")
        try:
            con.execute("CREATE VIRTUAL TABLE docs USING fts5(text, content='', tokenize='porter')")
            with con:
                con.executemany("INSERT INTO docs (rowid, text) VALUES (?, ?)",
                                ((i, text_of(doc)) for i, doc in enumerate(docs)))
            with con:
                con.execute("INSERT INTO docs (docs) VALUES ('optimize')")  # one b-tree, as a merged index
        finally:
            con.close()
        (path / "ids.json").write_text(json.dumps([doc["id"] for doc in docs]))

    def searcher(self, path: Path):
        con = sqlite3.connect(f"file:{path / 'index.sqlite'}?mode=ro", uri=True)
        ids = json.loads((path / "ids.json").read_text())

        def search(query: str, k: int = 10) -> list[str]:
            match = fts5_query(query)
            if not match:
                return []
            return [ids[row[0]] for row in con.execute(self.SQL, (match, k))]

        return search


def fts5_query(text: str) -> str:
    '''User text as a safe FTS5 query: each whitespace-separated word quoted (``"`` doubled), joined by OR.

    A quoted string is an FTS5 phrase, so operators, column filters, ``*``, ``-``, apostrophes and quotes
    in the text are plain characters that the tokenizer splits or drops: ``multi-agent`` is the phrase
    "multi agent", and no user text makes the MATCH raise.

    >>> fts5_query('multi-agent NEAR( "x" AND')
    '"multi-agent" OR "NEAR(" OR """x""" OR "AND"'
    '''
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in text.split())


def _fts5_available() -> bool:
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()


def _available(engine) -> str | None:
    """None when ``engine`` can run here, else why not. Packages are found, not imported: every process
    that imports this module, the memory probes included, would otherwise carry every peer's imports."""
    for module in engine.modules:
        top = module.partition(".")[0]
        if importlib.util.find_spec(top) is None:
            return f"{top} is not installed; install the bench extra: pip install -e '.[bench]'"
    if isinstance(engine, SqliteFts5) and not _fts5_available():
        return f"this Python's SQLite {sqlite3.sqlite_version} has no FTS5"
    return None


ALL_ENGINES = [Searchcore(), Whoosh(), Bm25s(), Tantivy(), SqliteFts5(), SearchcoreFields(), SearchcorePyStemmer()]
SKIPPED: dict[str, str] = {}
for _engine in [*ALL_ENGINES[2:5], ALL_ENGINES[6]]:
    if (_why := _available(_engine)) is not None:
        SKIPPED[_engine.name] = _why
ENGINES = [e for e in ALL_ENGINES if e.name not in SKIPPED]  # searchcore first: the overlap reference


JOBS_2 = "searchcore --jobs 2"  # the name searchcore's two-process builds are reported under


def selected_engines() -> list:
    """:data:`ENGINES`, narrowed to the comma list in ``SEARCHCORE_BENCH_ENGINES`` when it is set.

    A name of a known engine that is not installed is dropped (it is in :data:`SKIPPED`); an unknown
    name is an error, so a typo does not silently benchmark nothing.
    """
    wanted = [w.strip() for w in os.environ.get("SEARCHCORE_BENCH_ENGINES", "").split(",") if w.strip()]
    if not wanted:
        return list(ENGINES)
    known = {e.name for e in ALL_ENGINES}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(f"SEARCHCORE_BENCH_ENGINES: unknown engine(s) {unknown}; known: {sorted(known)}")
    return [e for e in ENGINES if e.name in wanted]


def engine_named(name: str):
    return next(e for e in ALL_ENGINES if e.name == name)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
