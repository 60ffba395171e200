"""The `search` command: `search QUERY` (also `search query`) for everyday use, plus `similar`, `index`,
`delete`, `optimize`, `check`, `stats` and `serve`.

Only public searchcore names are used here; every SearchcoreError becomes a one-line message with the
next step to take, never a traceback.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

import searchcore as sc
from searchcore.distributed import is_sharded

DEFAULT_INDEX = Path("indexes") / "default"
DEFAULT_COMMIT_EVERY = 100_000
DEFAULT_COMMIT_SECONDS = 30.0
BOLD, RESET = "\x1b[1m", "\x1b[0m"
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def default_index() -> Path:
    """$SEARCHCORE_INDEX, or ./indexes/default."""
    return Path(os.environ.get("SEARCHCORE_INDEX") or DEFAULT_INDEX)


class _QueryFirstGroup(click.Group):
    """A group whose first argument, when it is not a command name, is a query: `search "oil prices"`.
    `search -- WORDS` and `search query WORDS` search for words that are command names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["query", *args]
        return super().parse_args(ctx, args)

    def __call__(self, *args, **kwargs):
        # The console script enters here (a test's CliRunner calls main() instead). When this process
        # ends, Python's last garbage collection walks every object left, 25 ms of a one-shot search:
        # freezing them first, after the other exit handlers have run, skips it. Files are flushed and
        # closed, and locks released, by the interpreter and the OS all the same.
        atexit.register(gc.freeze)
        return super().__call__(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader of our output went away (`search ... | head`): what it wanted, it has.
            _silence_stdout()
            sys.exit(0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _printable(text: object) -> str:
    """``text`` with control characters shown as escapes: text from a query or a document must not
    reach the terminal as escape sequences."""
    return _CONTROLS.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(text))


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(question: str, yes: bool) -> None:
    """Ask before a command that changes or removes data, when a person runs it on a terminal: a
    query whose first word is a command name (`search delete 6985`) runs that command instead."""
    if yes or not _interactive():
        return
    if not click.confirm(question + " (search -- WORDS searches for the words instead)", default=False, err=True):
        raise click.ClickException("cancelled; nothing was changed")


def _waiting(path: Path, attempt):
    """``attempt(lock_timeout)``: first without waiting, then, saying so on stderr, for as long as another
    writer of ``path`` holds the lock."""
    try:
        return attempt(0)
    except sc.IndexLockedError:
        click.echo(f"waiting for another writer of {path} to finish (Ctrl-C to give up)...", err=True)
        return attempt(None)


def _writer(ix: sc.Index, **options):
    """The index's writer, waiting (and saying so) while another writer holds the lock."""
    return _waiting(ix.path, lambda timeout: ix.writer(lock_timeout=timeout, **options))


index_option = click.option(
    "--index", "index_path", type=click.Path(path_type=Path), default=None,
    help="Index directory [default: $SEARCHCORE_INDEX or ./indexes/default].",
)
scheduler_option = click.option(
    "--scheduler", envvar="SEARCHCORE_SCHEDULER", default=None, metavar="ADDRESS", show_envvar=True,
    help="A sharded index's Dask scheduler (tcp://host:8786); without one, a LocalCluster in this process.",
)


@click.group(cls=_QueryFirstGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(sc.__version__, prog_name="searchcore")
def main() -> None:
    """Search an index: `search "Li Shangfu Belarus"`. Build one with `search index SOURCE...`."""


@contextmanager
def _cli_dask(scheduler: str | None):
    from searchcore.distributed import connect

    with _reported():
        client = connect(scheduler)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def _reported(after: str = ""):
    """Turn a SearchcoreError into a one-line click error (plus ``after``, the next step to take)."""
    try:
        yield
    except sc.SearchcoreError as exc:
        raise click.ClickException(f"{exc}{after}") from None


def _open(index_path: Path | None) -> sc.Index:
    path = index_path or default_index()
    try:
        return sc.Index.open(path)
    except sc.IndexNotFoundError:
        raise click.ClickException(
            f"no index at {path}. Build one with: search index PATH/TO/reuters21578 --index {path}"
        ) from None
    except (sc.IndexIOError, sc.IndexVersionError) as exc:  # the message says what to do
        raise click.ClickException(str(exc)) from None
    except sc.SearchcoreError as exc:
        raise click.ClickException(f"{exc}. Try rebuilding it with: search index SOURCE... --index {path} --rebuild") from None


@main.command("query")
@click.argument("text", nargs=-1, required=True)
@index_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=0), help="Hits to show.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0),
              help="Skip this many of the best hits (paging).")
@click.option("--field", "fields", multiple=True, help="Search only this TEXT field (repeatable).")
@click.option("--filter", "filters", multiple=True, metavar="QUERY",
              help="Keep only hits that also match QUERY, e.g. 'topics:crude' or 'date:[1987-03-01 TO *]' "
                   "(repeatable; scores are unchanged).")
@click.option("--sort", metavar="FIELD", help="Order by a NUMERIC, DATE or KEYWORD field (-FIELD: descending).")
@click.option("--facet", "facets", multiple=True, metavar="FIELD",
              help="Count the values of a KEYWORD field over all matches (repeatable).")
@click.option("--operator", type=click.Choice(["OR", "AND"], case_sensitive=False), default="OR",
              show_default=True, help="How words side by side combine.")
@click.option("--strict", is_flag=True, help="Reject invalid query syntax instead of repairing it.")
@click.option("--parsed", is_flag=True, help="Print how the query was read (its canonical form) and stop.")
@click.option("--format", "output_format", type=click.Choice(["text", "html"]), default="text",
              show_default=True, help="Highlighting in the printed fragments.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.option("--explain", is_flag=True, help="Show how each hit's score is computed.")
@click.option("--feedback", is_flag=True,
              help="Pseudo-relevance feedback (RM3): add the best terms of the first hits and search again.")
@scheduler_option
def query_command(text: tuple[str, ...], index_path: Path | None, limit: int, offset: int, fields: tuple[str, ...],
                  filters: tuple[str, ...], sort: str | None, facets: tuple[str, ...], operator: str, strict: bool,
                  parsed: bool, output_format: str, as_json: bool, explain: bool, feedback: bool,
                  scheduler: str | None) -> None:
    """Search the index for TEXT and print the ranked hits (the default command).

    TEXT is a query: words (OR by default), AND OR NOT && || !, +must -mustnot, (groups),
    field:word field:(a b), "a phrase" "a phrase"~3, pric* ne?s, shangfo~ shangfo~1,
    date:[1987-03-01 TO 1987-03-31] date:>=2023-08-01, word^2 (group)^0.5.
    """
    query = " ".join(text)
    if index_path is not None and is_sharded(index_path):
        from searchcore.distributed import ShardedIndex

        if parsed or explain or feedback:
            raise click.ClickException("--parsed, --explain and --feedback read one index: give one shard's "
                                       "directory")
        with _reported(), _cli_dask(scheduler) as client:
            six = ShardedIndex.open(index_path)
            with six.searcher(client) as searcher:
                results = searcher.search(query, limit=limit, offset=offset, fields=fields or None,
                                          filter=list(filters), sort=sort, facets=facets, strict=strict,
                                          default_operator=operator)
                snippet_field = _snippet_field(six.schema)
                if as_json:
                    _print_json(results, snippet_field, False)
                else:
                    _print_hits(query, results, snippet_field, six.doc_count(), False, output_format)
        return
    ix = _open(index_path)
    with _reported(), ix.searcher() as searcher:
        if parsed:
            reading = sc.parse(query, ix.schema, strict=strict, default_operator=operator)
            for warning in reading.warnings:
                click.echo(f"note: {_printable(warning)}", err=True)
            click.echo(_printable(reading.node))
            return
        results = searcher.search(query, limit=limit, offset=offset, fields=fields or None, filter=list(filters),
                                  sort=sort, facets=facets, strict=strict, default_operator=operator,
                                  feedback=feedback)
        snippet_field = _snippet_field(ix.schema)
        if as_json:
            _print_json(results, snippet_field, explain)
        else:
            _print_hits(query, results, snippet_field, searcher.doc_count, explain, output_format)


@main.command("similar")
@click.argument("doc_id")
@index_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=0), help="Hits to show.")
def similar_command(doc_id: str, index_path: Path | None, limit: int) -> None:
    """Documents like the one whose ID is DOC_ID (from its most significant terms)."""
    ix = _open(index_path)
    with _reported(), ix.searcher() as searcher:
        try:
            results = searcher.more_like_this(doc_id, limit=limit)
        except KeyError:
            raise click.ClickException(f"no document with ID {doc_id!r} in {ix.path}") from None
        _print_hits(f"like {doc_id}", results, _snippet_field(ix.schema), searcher.doc_count, False, "text")


def _snippet_field(schema: sc.Schema) -> str | None:
    stored_text = [n for n in schema.text_fields if schema[n].stored]
    return "body" if "body" in stored_text else (stored_text[-1] if stored_text else None)


def _print_json(results: sc.Results, snippet_field: str | None, explain: bool) -> None:
    hits = [
        {
            "id": hit.id,
            "score": round(hit.score, 6),
            "title": hit.get("title"),
            "date": hit.get("date"),
            "snippet": hit.snippet(snippet_field) if snippet_field else None,
        }
        for hit in results
    ]
    if explain:  # the search that ran, with its fields, operator and filters
        for hit, out in zip(results, hits):
            out["explanation"] = str(results.explain(hit))
    click.echo(json.dumps(results.summary(hits), ensure_ascii=False, indent=2))


def _print_hits(query: str, results: sc.Results, snippet_field: str | None, doc_count: int,
                explain: bool, output_format: str = "text") -> None:
    bold = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    before, after = (BOLD, RESET) if bold else ("**", "**")
    for warning in results.warnings:
        click.echo(f"note: {_printable(warning)}", err=True)
    shown = query if len(query) <= 200 else query[:200] + "…"
    click.echo(f"{results.total:,} hits for {_printable(repr(shown))} in {doc_count:,} documents "
               f"({results.took_ms:.1f} ms)")
    if results.did_you_mean:  # computed only when a query word is absent from the index, or rare
        click.echo(f"did you mean {results.did_you_mean!r}?")
    if results.expansion:
        click.echo("feedback added: " + ", ".join(f"{_printable(term)} ({weight:.3f})"
                                                  for term, weight in results.expansion))
    for name, counts in results.facets.items():
        click.echo(f"{name}: " + ", ".join(f"{_printable(value)} ({count})" for value, count in counts[:10]))
    for rank, hit in enumerate(results, 1):
        title = " ".join(str(hit.get("title") or hit.id).split())
        click.echo(f"\n{rank:>2}. {before}{_printable(title)}{after}")
        details = [f"score {hit.score:.3f}", f"id {_printable(hit.id)}"]
        if hit.get("date"):
            details.insert(0, str(hit["date"])[:10])
        if hit.get("dateline"):
            details.insert(1, _printable(" ".join(hit["dateline"].split())))
        click.echo("    " + " | ".join(details))
        if snippet_field:
            style = "html" if output_format == "html" else "ansi" if bold else "text"
            text = hit.highlight(snippet_field, format=style, size=200, count=2)
            if text:  # the ANSI format drops the text's own control characters; the others keep them
                click.echo("    " + (text if style == "ansi" else _printable(text)))
        if explain:  # the search that ran, with its fields, operator and filters
            click.echo("\n".join("    " + line for line in str(results.explain(hit)).splitlines()))


@main.command("index")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True,
              help="Build the index anew from SOURCES; the old one is replaced only when the build succeeds.")
@click.option("--memory-mb", default=256.0, show_default=True, type=click.FloatRange(min=1),
              help="Flush a segment when buffered documents take about this much memory.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes that build segments in parallel (at most one per CPU).")
@click.option("--commit-every", default=DEFAULT_COMMIT_EVERY, show_default=True, type=click.IntRange(min=0),
              metavar="N", help="Commit after every N documents, so that an interruption keeps them and running "
                                "the command again goes on from there (0: not by count).")
@click.option("--commit-seconds", default=DEFAULT_COMMIT_SECONDS, show_default=True,
              type=click.FloatRange(min=0), metavar="S",
              help="Commit also whenever S seconds have passed since the last commit (0: not by time).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before replacing an index (--rebuild on a terminal).")
@click.option("--stemmer", type=click.Choice(["snowball", "pystemmer"]), default=None,
              help="A new index's stemmer: snowball (nltk, the default) or pystemmer (Snowball's C code, the "
                   "stemmer extra: faster builds, a few stems differ). An index keeps the one it was built with.")
@click.option("--shards", type=click.IntRange(1, 4096), default=None,
              help="Build a sharded index of this many shards, one Dask task per shard (see --scheduler).")
@scheduler_option
def index_command(sources: tuple[Path, ...], index_path: Path | None, rebuild: bool, memory_mb: float, jobs: int,
                  commit_every: int, commit_seconds: float, yes: bool, stemmer: str | None, shards: int | None,
                  scheduler: str | None) -> None:
    """Index SOURCES: Reuters-21578 .sgm files or folders, .jsonl files, folders of .txt wire stories.

    Creates the index (with the news schema) when it does not exist. Otherwise each document replaces the
    one with the same ID, and documents already indexed unchanged are skipped. Work is committed every
    --commit-every documents: after Ctrl-C or a crash, running the same command again skips what was
    committed. A new index, or one made with --rebuild, is built beside the old one and takes its place
    only when the build succeeds: until then the old index stays as it was.
    """
    from searchcore.loaders import count_documents, iter_documents  # here: searching never needs them

    path = index_path or default_index()
    started = time.perf_counter()
    if shards is not None or is_sharded(path):
        _index_sharded(sources, path, shards, rebuild, yes, memory_mb, commit_every, scheduler, started, stemmer)
        return
    with _reported(". Nothing was changed."):
        docs = _checked_sources(iter_documents(sources))  # a missing or unreadable source stops us here
        existed = sc.Index.exists(path)
        current = None if rebuild or not existed else sc.Index.open(path)
        if current is not None:
            _same_stemmer(current.schema, stemmer, path)
        schema = sc.news_schema(stemmer or "snowball")
        if rebuild and existed:
            _confirm(f"Replace the index at {path} with one built from {len(sources)} source(s)?", yes)
    cpus = sc.max_jobs()
    if jobs > cpus:  # bulk_index would lower it too: say so
        click.echo(f"note: --jobs {jobs} is more than the {cpus} CPUs here; using {cpus}", err=True)
        jobs = cpus
    load = _Load(path, existed, current)
    with _stoppable(), _reported_load(load):
        total = count_documents(sources)
        if current is None:  # a new index, or a rebuild: beside the old one
            with ExitStack() as stack:
                ix = _waiting(path, lambda timeout: stack.enter_context(
                    sc.Index.build(path, schema, lock_timeout=timeout)))
                load.where = ix.path
                if ix.doc_count():
                    click.echo(f"resuming the interrupted build in {ix.path} ({ix.doc_count():,} documents "
                               f"committed)", err=True)
                counts = load.run(ix, docs, total, memory_mb, jobs, commit_every, commit_seconds)
            current = sc.Index.open(path)
        else:
            counts = load.run(current, docs, total, memory_mb, jobs, commit_every, commit_seconds)
        stats = current.stats()
    seconds = time.perf_counter() - started
    terms = sum(f.get("terms", 0) for f in stats["fields"].values() if f["kind"] == "text")
    click.echo(
        f"indexed into {path} in {seconds:.2f} s: {counts['added']:,} added, {counts['updated']:,} updated, "
        f"{counts['unchanged']:,} unchanged; the index holds {stats['documents']:,} documents, {terms:,} terms, "
        f"{stats['segments']} segment(s), {stats['size_bytes'] / 2**20:.1f} MiB"
    )


def _checked_sources(docs):
    """``docs`` with its sources checked: iter_documents checks every source before its first document."""
    try:
        first = next(docs)
    except StopIteration:
        return iter(())
    return itertools.chain([first], docs)


class _Load:
    """One `search index` run: where it writes, and what the index held before it."""

    def __init__(self, path: Path, existed: bool, current: sc.Index | None) -> None:
        self.path = path
        self.fresh = current is None  # building a new index beside the old one (or where there was none)
        self.existed = existed
        self.where = path             # the index being written: the sibling directory of a fresh build
        self.before = 0 if current is None else current.doc_count()

    def run(self, ix: sc.Index, docs, total: int | None, memory_mb: float, jobs: int, commit_every: int,
            commit_seconds: float) -> Counter:
        if self.fresh:
            self.before = ix.doc_count()  # a resumed build starts from what it kept
        with _writer(ix, memory_budget_mb=memory_mb) as writer:
            with click.progressbar(docs, length=total, label="indexing", show_pos=True, file=sys.stderr) as bar:
                return sc.bulk_index(writer, bar, jobs=jobs, commit_every=commit_every or None,
                                     commit_seconds=commit_seconds or None)

    def kept(self) -> str:
        """What an interrupted or failed run leaves, in a sentence, read from the index itself."""
        try:
            now = sc.Index.open(self.where).doc_count() if sc.Index.exists(self.where) else 0
        except sc.SearchcoreError:
            now = 0
        if self.fresh:
            before = f"The index at {self.path} is unchanged" if self.existed else f"No index was made at {self.path}"
            if not now:
                return f"{before}; nothing from this run was committed."
            return (f"{before}; the {now:,} documents committed so far are kept in {self.where}, and running "
                    f"the same command again goes on from them.")
        changed = "" if now != self.before else " (nothing from this run was committed)"
        return (f"The index at {self.path} holds {now:,} documents as last committed{changed}; it held "
                f"{self.before:,} before this run. Running the same command again skips what is there unchanged.")


@contextmanager
def _reported_load(load: _Load):
    """Like _reported, saying what the interrupted load kept; Ctrl-C exits with status 130."""
    try:
        yield
    except sc.SearchcoreError as exc:
        raise click.ClickException(f"{exc}. {load.kept()}") from None
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted. {load.kept()}", err=True)
        sys.exit(130)


@contextmanager
def _stoppable():
    """The first Ctrl-C stops the work (KeyboardInterrupt); a second, while it winds down, says it is
    stopping; a third exits at once. Each commit is atomic, so even that loses nothing committed."""
    presses = 0

    def on_sigint(signum, frame):
        nonlocal presses
        presses += 1
        if presses == 1:
            raise KeyboardInterrupt
        if presses == 2:
            os.write(2, b"\nstopping: press Ctrl-C again to exit at once (the last commit stays intact)\n")
            return
        os._exit(130)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@main.command("delete")
@click.argument("ids", nargs=-1, required=True)
@index_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a terminal.")
def delete_command(ids: tuple[str, ...], index_path: Path | None, yes: bool) -> None:
    """Delete the documents with these IDs (an ID that is not there is skipped)."""
    ix = _open(index_path)
    _confirm(f"Delete {len(ids)} document(s) from {ix.path}?", yes)
    with _reported(), _writer(ix) as writer:
        deleted = sum(writer.delete_document(key) for key in ids)
    click.echo(f"deleted {deleted} of {len(ids)} document(s); {ix.doc_count():,} remain")


@main.command("optimize")
@index_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a terminal.")
def optimize_command(index_path: Path | None, yes: bool) -> None:
    """Merge the index into one segment, dropping deleted documents for good."""
    ix = _open(index_path)
    before = ix.stats()["segments"]
    _confirm(f"Merge the {before} segment(s) of {ix.path} into one?", yes)
    with _reported(), _writer(ix) as writer:
        writer.optimize()
    click.echo(f"{before} segment(s) merged into {ix.stats()['segments']}; {ix.doc_count():,} documents")


def _same_stemmer(schema: sc.Schema, stemmer: str | None, path: Path) -> None:
    """Refuse a --stemmer other than the one the index at ``path`` was built with."""
    built = {schema[n].analyzer.stemmer for n in schema.text_fields}
    if stemmer is not None and built != {stemmer}:
        raise click.ClickException(f"{path} was built with the {'/'.join(sorted(built))} stemmer, not {stemmer}: "
                                   f"--rebuild to change it")


def _index_sharded(sources: tuple[Path, ...], path: Path, shards: int | None, rebuild: bool, yes: bool,
                   memory_mb: float, commit_every: int, scheduler: str | None, started: float,
                   stemmer: str | None = None) -> None:
    """`search index --shards N`: route the documents to N shards and load each in a Dask task."""
    from searchcore.distributed import ShardedIndex
    from searchcore.loaders import iter_documents

    with _reported(". Nothing was changed."):
        docs = _checked_sources(iter_documents(sources))
        if rebuild and is_sharded(path):
            _confirm(f"Replace the sharded index at {path} with one built from {len(sources)} source(s)?", yes)
            import shutil  # here: the one command that removes a directory

            shutil.rmtree(path)
        elif not is_sharded(path) and sc.Index.exists(path):
            raise click.ClickException(f"{path} holds an index that is not sharded: choose another --index, or "
                                       f"--rebuild it")
        if is_sharded(path):
            six = ShardedIndex.open(path)
            if shards is not None and shards != six.shards:
                raise click.ClickException(f"{path} has {six.shards} shards, not {shards}: --rebuild to change it")
            _same_stemmer(six.schema, stemmer, path)
        else:
            six = ShardedIndex.create(path, sc.news_schema(stemmer or "snowball"), shards=shards or 1)
    with _reported(". Shards that committed keep their documents; running the same command again skips them."), \
            _cli_dask(scheduler) as client:
        counts = six.bulk_index(docs, client=client, commit_every=commit_every or 50_000, memory_budget_mb=memory_mb)
    click.echo(f"indexed into {path} in {time.perf_counter() - started:.2f} s: {counts['added']:,} added, "
               f"{counts['updated']:,} updated, {counts['unchanged']:,} unchanged; {six.shards} shards hold "
               f"{six.doc_count():,} documents")


@main.command("check")
@index_option
def check_command(index_path: Path | None) -> None:
    """Verify every file's checksum and every segment's invariants; exit 1 if anything is wrong."""
    path = index_path or default_index()
    if is_sharded(path):
        from searchcore.distributed import ShardedIndex

        with _reported():
            report = ShardedIndex.open(path).check()
        click.echo(str(report))
        if not report.ok:
            raise click.ClickException(f"{len(report.problems)} damaged shard(s) in {path}")
        return
    if not sc.Index.exists(path):
        raise click.ClickException(f"no index at {path}")
    report = sc.check_index(path)
    for problem in report.problems:
        click.echo(("error: " if problem.fatal else "note: ") + str(problem))
    if not report.ok:
        raise click.ClickException(
            f"{sum(p.fatal for p in report.problems)} problem(s) in {path}. Rebuild the index from its sources "
            f"(search index SOURCE... --index {path} --rebuild)."
        )
    click.echo(f"ok: {report.files_checked} files verified in {path}")


@main.command("eval")
@click.argument("queries", type=click.Path(path_type=Path))
@click.argument("qrels", type=click.Path(path_type=Path))
@index_option
@click.option("--metrics", "-m", multiple=True, metavar="METRIC",
              help="An ir-measures metric (nDCG@10, AP, R@100, RR@10, P@10, ...); repeat for more "
                   "[default: nDCG@10 AP R@100 RR@10 P@10].")
@click.option("--run", "run_path", type=click.Path(path_type=Path), default=None,
              help="Write the run (each query's hits and scores) to this TREC run file.")
@click.option("--compare", "compare_path", type=click.Path(path_type=Path), default=None,
              help="A TREC run to compare with, query by query: paired t-test and randomisation test.")
@click.option("--per-query", is_flag=True, help="One row per query, then the means.")
@click.option("--depth", default=1000, show_default=True, type=click.IntRange(1, 10_000),
              help="Hits kept per query (AP and recall count this many).")
@click.option("--operator", type=click.Choice(["OR", "AND"], case_sensitive=False), default="OR",
              show_default=True, help="How a query's words combine.")
@click.option("--feedback", is_flag=True, help="Search with pseudo-relevance feedback (RM3, its defaults).")
def eval_command(queries: Path, qrels: Path, index_path: Path | None, metrics: tuple[str, ...],
                 run_path: Path | None, compare_path: Path | None, per_query: bool, depth: int,
                 operator: str, feedback: bool) -> None:
    """Measure ranking: run QUERIES (TSV 'id<TAB>text', or TREC topics) and score them against QRELS
    (TREC qrels) with ir-measures. A judged query with no hits counts as 0.

    \b
    search eval queries.tsv qrels.trec --index ix --run ours.run
    search eval queries.tsv qrels.trec --index ix2 --compare ours.run
    """
    from searchcore import evaluation

    ix = _open(index_path)
    names = tuple(metrics) or evaluation.DEFAULT_METRICS
    with _reported():
        asked, judged = evaluation.read_queries(queries), evaluation.read_qrels(qrels)
        other = evaluation.read_run(compare_path) if compare_path is not None else None
        with ix.searcher() as s:
            result = evaluation.evaluate(s, asked, judged, names, depth, default_operator=operator.upper(),
                                         feedback=feedback)
    click.echo(f"{len(asked)} queries, {len(judged)} judged, over {ix.doc_count():,} documents in {ix.path}")
    click.echo(result.table(per_query))
    if run_path is not None:
        with _reported():
            evaluation.write_run(result.run, run_path)
        click.echo(f"run written to {run_path}")
    if other is not None:
        with _reported():
            baseline = evaluation.measure(other, judged, names)
            for name in names:
                click.echo(f"vs {compare_path.name}: " + str(evaluation.compare(result, baseline, name)))


@main.command("import-whoosh")
@click.argument("whoosh_dir", type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Replace an index already at --index (swapped in when done).")
def import_whoosh_command(whoosh_dir: Path, index_path: Path | None, rebuild: bool) -> None:
    """Build a searchcore index from a Whoosh index: its schema mapped, its stored documents indexed
    again. Fields Whoosh did not store cannot be recovered: they are named and left out."""
    from searchcore.migrate import import_whoosh

    path = index_path or default_index()
    with _reported(" (--rebuild replaces it)" if sc.Index.exists(path) and not rebuild else ""):
        report = import_whoosh(whoosh_dir, path, rebuild=rebuild)
    click.echo(f"{report}\ninto {path}")
    if report.dropped:
        click.echo(f"note: {len(report.dropped)} field(s) not carried over: "
                   f"{', '.join(report.dropped)} (Whoosh did not store them)", err=True)


@main.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats_command(index_path: Path | None, as_json: bool) -> None:
    """Print documents, segments, terms per field and size of the index."""
    ix = _open(index_path)
    with _reported():
        stats = ix.stats()
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo(f"index      {stats['path']}")
    click.echo(f"generation {stats['generation']}")
    click.echo(f"documents  {stats['documents']:,}")
    click.echo(f"segments   {stats['segments']}")
    click.echo(f"size       {stats['size_bytes'] / 2**20:.2f} MiB")
    for name, field in stats["fields"].items():
        line = f"  {name:<10} {field['kind']:<8}"
        if "terms" in field:
            line += f" terms {field['terms']:>9,}"
        if "tokens" in field:
            line += f"  tokens {field['tokens']:>11,}"
        click.echo(line)


@main.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface: then set keys).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes sharing the memory-mapped index.")
@click.option("--admin-key", envvar="SEARCHCORE_ADMIN_KEY", default=None, show_envvar=True,
              help="Key that writes need (Authorization: Bearer KEY); without one the server is read-only.")
@click.option("--search-key", envvar="SEARCHCORE_SEARCH_KEY", default=None, show_envvar=True,
              help="Key that reads need too (the admin key also works); without one reads are open.")
@click.option("--cors", "cors_origin", metavar="ORIGIN", default=None,
              help="Let pages from ORIGIN call the API (CORS is off by default).")
@click.option("--query-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Seconds a read may take before it is abandoned with a 503.")
@click.option("--max-body-mb", default=32.0, show_default=True, type=click.FloatRange(min=0.001),
              help="The largest request body accepted (413 beyond).")
@click.option("--commit-interval", default=0.2, show_default=True, type=click.FloatRange(min=0.0),
              help="Least seconds between two commits of a server process: writes arriving meanwhile share "
                   "one commit (fewer, larger commits leave more of the machine to searches).")
@scheduler_option
def serve_command(index_path: Path | None, host: str, port: int, workers: int, admin_key: str | None,
                  search_key: str | None, cors_origin: str | None, query_timeout: float, max_body_mb: float,
                  commit_interval: float, scheduler: str | None) -> None:
    """Serve the index over HTTP: a JSON API (see /docs) and a search page at /.

    Writes are batched into commits and answered once durable. Every worker sees a new commit, from
    the server or from `search index`, within half a second. Stop with Ctrl-C or SIGTERM.
    """
    try:
        import uvicorn

        from .server.app import CONFIG_VARIABLE, ServerConfig, create_app
    except ImportError as exc:
        raise click.ClickException(f"the server needs its extra ({exc.name} is missing): "
                                   'pip install "searchcore[server]"') from None
    if index_path is not None and is_sharded(index_path):
        from searchcore.distributed import ShardedIndex

        with _reported():
            ix = ShardedIndex.open(index_path)
    else:
        ix = _open(index_path)
    config = ServerConfig(str(ix.path), admin_key or None, search_key or None, cors_origin,
                          max_body_bytes=int(max_body_mb * 2**20), query_timeout=query_timeout, scheduler=scheduler,
                          commit_interval=commit_interval)
    with _reported():
        app = create_app(config) if workers == 1 else None  # opens the index: a broken one fails here
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    mode = "read-write" if config.admin_key else "read-only (no --admin-key)"
    click.echo(f"searchcore serving {ix.path} ({ix.doc_count():,} documents, {mode}) at {url}", err=True)
    click.echo(f"the API is described at {url}docs; Ctrl-C stops", err=True)
    if host not in ("127.0.0.1", "localhost", "::1") and not config.search_key:
        click.echo(f"note: listening on {host} with no --search-key: anyone who can reach it can search", err=True)
    # no access log and no X-Forwarded-* rewriting: neither is used, and each cost every request a layer
    options = dict(host=host, port=port, log_level="warning", server_header=False, timeout_graceful_shutdown=10,
                   access_log=False, proxy_headers=False)
    # uvicorn shuts down gracefully (requests in flight answered, queued writes committed), then raises the
    # signal again: as KeyboardInterrupt for Ctrl-C, and through this handler for SIGTERM
    previous = signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        if workers == 1:
            uvicorn.run(app, **options)
        else:  # each worker process builds its own app from the settings in its environment
            from .server.workers import APP, Supervisor, balanced

            os.environ[CONFIG_VARIABLE] = config.to_json()
            if balanced():  # a socket per worker: connections spread evenly (see server.workers)
                try:
                    supervisor = Supervisor(host, port, workers, options)
                except OSError as exc:
                    raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
                if not supervisor.run():
                    raise click.ClickException("a worker could not start: see the messages above")
            else:
                uvicorn.run(APP, factory=True, workers=workers, **options)
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("searchcore stopped", err=True)


class _Stopped(Exception):
    """SIGTERM, after the server's graceful shutdown."""


def _stop_on_signal(signum, frame) -> None:
    raise _Stopped(signum)


if __name__ == "__main__":
    main()
