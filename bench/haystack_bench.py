"""The same Django project (tests/haystack's stories app) and the same Reuters-21578 stories behind
django-haystack, with haystack's Whoosh backend and with searchcore's: rebuild_index time, query latency
through SearchQuerySet, and index size.

    python bench/haystack_bench.py [--queries 500] [--backends searchcore whoosh]

Needs the haystack and whoosh extras, and SEARCHCORE_CORPORA (or ../shared/corpora). Whoosh's rebuild of
the 21,579 stories takes about twenty minutes on a small machine; `--backends searchcore` skips it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

BACKENDS = {"searchcore": "searchcore.contrib.haystack.SearchcoreEngine",
            "whoosh": "haystack.backends.whoosh_backend.WhooshEngine"}


def configure(folder: Path) -> None:
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "haystack", "tests.haystack.stories"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "db.sqlite3")}},
        HAYSTACK_CONNECTIONS={name: {"ENGINE": engine, "PATH": str(folder / name)} for name, engine in BACKENDS.items()}
        | {"default": {"ENGINE": BACKENDS["searchcore"], "PATH": str(folder / "default")}},
        USE_TZ=False, DEFAULT_AUTO_FIELD="django.db.models.AutoField")
    django.setup()


def load_stories() -> int:
    from django.core.management import call_command

    from bench.corpus import documents
    from tests.haystack.stories.models import Story

    call_command("migrate", run_syncdb=True, verbosity=0)
    stories = []
    for doc in documents():
        when = dt.datetime.fromisoformat(str(doc.get("date") or "1987-01-01")[:19])
        topics = doc.get("topics") or []
        stories.append(Story(headline=(doc.get("title") or "")[:200], body=doc.get("body") or "",
                             desk=(topics[0] if topics else "none")[:40], tags=",".join(topics)[:200],
                             words=len((doc.get("body") or "").split()), price=None, urgent=False,
                             published=when, filed=when.date()))
    Story.objects.bulk_create(stories, batch_size=2000)
    return len(stories)


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--backends", nargs="+", choices=list(BACKENDS), default=list(BACKENDS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        configure(folder)
        from django.core.management import call_command
        from haystack.query import SearchQuerySet

        from bench.corpus import documents, query_log

        count = load_stories()
        queries = query_log(documents())[: args.queries]
        print(f"{count:,} Reuters-21578 stories in the stories app; {len(queries)} queries of the benchmark's "
              f"log, top 10 through SearchQuerySet().filter(content=...)")
        print("| backend | rebuild_index | query p50 | query p99 | index size |")
        print("|---|---|---|---|---|")
        for name in args.backends:
            started = time.perf_counter()
            call_command("rebuild_index", using=[name], interactive=False, verbosity=0)
            built = time.perf_counter() - started
            for text in queries[:50]:  # warm: the first queries open the index
                list(SearchQuerySet(using=name).filter(content=text)[:10])
            times = []
            for text in queries:
                started = time.perf_counter()
                list(SearchQuerySet(using=name).filter(content=text)[:10])
                times.append(time.perf_counter() - started)
            times.sort()
            p50, p99 = statistics.median(times) * 1e3, times[int(len(times) * 0.99) - 1] * 1e3
            print(f"| {name} | {built:.1f} s | {p50:.2f} ms | {p99:.2f} ms | {size(folder / name) / 2**20:.1f} MiB |")


if __name__ == "__main__":
    main()
