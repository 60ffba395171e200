"""Fuzzing: the loaders and the query parser fed random bytes and structured garbage.

Each must either succeed or raise a documented :class:`~searchcore.errors.SearchcoreError` (LoaderError,
QueryParseError, DocumentError), within a deadline per example; a lenient-parsed query must run on a
Searcher. CI runs the "fuzz-ci" profile (a few dozen examples per test, derandomized); a long run:

    HYPOTHESIS_PROFILE=fuzz python -m pytest -q -p no:randomly tests/properties/test_fuzz.py

("fuzz": 20,000 examples per test with random seeds; several hours on two cores, most of it in the
queries of 100,000 characters: add `-k "not long"` for a shorter run.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import searchcore as sc
from searchcore.loaders import iter_documents, load_jsonl, load_reuters, load_text
from searchcore.query import parse
from searchcore.query.parser import MAX_WARNINGS
from tests.conftest import TINY_CORPUS, tiny_schema

_COMMON = {"deadline": dt.timedelta(seconds=2), "suppress_health_check": [HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large]}
settings.register_profile("fuzz-ci", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("fuzz", max_examples=20_000, **_COMMON)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci")
FUZZ = settings.get_profile(_PROFILE if _PROFILE in ("fuzz", "fuzz-ci") else "fuzz-ci")
#: A hang is what the deadline cannot catch (it measures finished examples): this alarm ends one.
HANG_SECONDS = 30

SCHEMA = sc.Schema(id=sc.ID(), title=sc.TEXT(), body=sc.TEXT(), topics=sc.KEYWORD(), date=sc.DATE(),
                   price=sc.NUMERIC(), source=sc.STORED())


class Hang(Exception):
    pass


@contextlib.contextmanager
def no_hang():
    """Raise Hang when the block runs longer than HANG_SECONDS (POSIX main thread; elsewhere a no-op)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def alarm(signum, frame):
        raise Hang(f"still running after {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def load_or_refuse(load, path: Path) -> list[dict]:
    """What a loader yields, or [] when it refuses with a LoaderError; anything else fails the test."""
    with no_hang():
        try:
            docs = list(load(path)) if load is not load_text else [load_text(path)]
        except sc.LoaderError as error:
            assert str(path) in str(error)
            return []
    assert all(isinstance(doc, dict) for doc in docs)
    return docs


# -- loaders ------------------------------------------------------------------------------------------------
GARBAGE_BYTES = [b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\r", b"\n",
                 b"\r\n", b"\t", b"\x1b[31m", b"\x85", b" ", b"&", b";", b"<", b">", b'"', b"=", b"x" * 5000]
SGML_PIECES = [b'<REUTERS NEWID="1">', b'<REUTERS TOPICS="YES" NEWID="22" OLDID="5">', b"<REUTERS>",
               b"<REUTERS NEWID=", b'NEWID="999999999999999999999"', b"</REUTERS>", b"</REUTERS", b"<TEXT>",
               b'<TEXT TYPE="BRIEF">', b'<TEXT TYPE="UNPROC">', b"</TEXT>", b"<TITLE>", b"</TITLE>", b"<BODY>",
               b"</BODY>", b"<DATELINE>", b"</DATELINE>", b"<DATE>", b"</DATE>", b"26-FEB-1987 15:01:01.79",
               b"31-FEB-1987 25:61:99", b"1-XYZ-0000", b"29-feb-1900", b"<TOPICS>", b"</TOPICS>", b"<PLACES>",
               b"</PLACES>", b"<D>", b"</D>", b"&lt;", b"&amp;lt;", b"&#3;", b"&#0;", b"&#1114112;", b"&#99999999;",
               b"&#x110000;", b"&#xD800;", b"&#x1F600;", b"&bogus;", b"&#;", b"&", b"Reuter", b"REUTER", b"oil",
               b" ", b"\n"] + GARBAGE_BYTES
JSONL_PIECES = [b"{", b"}", b"[", b"]", b'"id"', b'"title"', b'"body"', b":", b",", b"1", b"-0", b"1e999", b"NaN",
                b"Infinity", b"true", b"null", b'"\\u0000"', b'"\\ud800"', b'"\\x"', b'"unterminated', b"1" * 5000,
                b"[" * 3000, b'{"id": 1, "title": "oil"}\n'] + GARBAGE_BYTES
TEXT_PIECES = [b"Beijing (AFP) Aug 14, 2023", b"Paris (AFP) Feb 30, 2023", b"X (Y) Sept 99, 0000", b"By Peter Smith",
               b"BY STAFF WRITERS", b"Related Links", b"Copyright 2023", b"SUPERPOWERS", b"Headline", b"(",
               b")"] + GARBAGE_BYTES


def garbage(pieces: list[bytes]):
    """Random bytes, or a mix of the format's pieces, random bytes and garbage, sometimes cut short."""
    mix = st.lists(st.one_of(st.sampled_from(pieces), st.binary(max_size=20)), max_size=60).map(b"".join)
    whole = st.one_of(st.binary(max_size=2000), mix, mix)
    return st.tuples(whole, st.integers(0, 100)).map(lambda pair: pair[0][: len(pair[0]) * pair[1] // 100 or None])


NEWS = sc.news_schema()


@FUZZ
@example(data=b'<REUTERS NEWID="1"><DATE>29-feb-1900</DATE></REUTERS>')
@example(data=b'<REUTERS NEWID="1"><TEXT><TITLE>&#xD800;&#1114112;</TITLE></TEXT></REUTERS>')
@example(data=b'<REUTERS NEWID="999999999999999999999"></REUTERS')
@given(data=garbage(SGML_PIECES))
def test_reuters_loader_on_garbage(scratch, data):
    path = scratch / "reut2-000.sgm"
    path.write_bytes(data)
    for doc in load_or_refuse(load_reuters, path):
        NEWS.normalize_document(doc)  # what the loader makes, the default schema takes


@FUZZ
@example(data=b"[" * 100_000)
@example(data=b'{"n": ' + b"1" * 5000 + b"}")
@example(data=b'\xef\xbb\xbf{"id": 1}\r{"id": 2,\r\n\xff')
@given(data=garbage(JSONL_PIECES))
def test_jsonl_loader_on_garbage(scratch, data):
    path = scratch / "docs.jsonl"
    path.write_bytes(data)
    for doc in load_or_refuse(load_jsonl, path):
        with contextlib.suppress(sc.SearchcoreError):  # JSON Lines pass through: the schema may refuse them
            NEWS.normalize_document(doc)


@FUZZ
@example(data=b"Paris (AFP) Feb 30, 2023\nbody")
@example(data=b"\xef\xbb\xbf\r\n\x00")
@given(data=garbage(TEXT_PIECES))
def test_text_loader_on_garbage(scratch, data):
    path = scratch / "story.txt"
    path.write_bytes(data)
    for doc in load_or_refuse(load_text, path):
        NEWS.normalize_document(doc)


@FUZZ
@given(sgml=garbage(SGML_PIECES), jsonl=garbage(JSONL_PIECES), text=garbage(TEXT_PIECES))
def test_iter_documents_on_a_folder_of_garbage(scratch, sgml, jsonl, text):
    folder = scratch / "mixed"
    (folder / "wire").mkdir(parents=True, exist_ok=True)
    (folder / "a.sgm").write_bytes(sgml)
    (folder / "b.jsonl").write_bytes(jsonl)
    (folder / "wire" / "c.txt").write_bytes(text)
    load_or_refuse(lambda path: iter_documents([path]), folder)


# -- the query parser ---------------------------------------------------------------------------------------
QUERY_PIECES = ["(", ")", '"', ":", "^", "^2", "^-1", "^0", "^1e400", "~", "~1", "~-1", "~1e9", "~0.5", "*", "?",
                "[", "]", "{", "}", "+", "-", "!", "&&", "||", "\\", "AND", "OR", "NOT", "TO", " TO ", "title:",
                "date:", "price:", "topics:", "id:", "titel:", "source:", ">=", "<", ">", "<=", " ", " ", " ", "oil",
                "pric", "1987", "1987-03", "1987-03-01", "1987-13", "10", "-5.5", "5.93", "U.S.", "multi-agent",
                "é", "\u0301", "ﬁ", "नमस्ते", "東京", "\x00", "\n", "\t", "\u200b", "\u2028", "\U0001F600"]
query_garbage = st.one_of(st.text(max_size=60),
                          st.lists(st.sampled_from(QUERY_PIECES), max_size=30).map("".join),
                          st.lists(st.sampled_from(QUERY_PIECES), max_size=30).map("".join))
LONG_PIECES = ["(", ")", '"', "AND ", "-", "^", " ", "a", "NOT ", "!", "~", "||", "title:", "date:[", " TO ", "]"]


# A long query is given as (pieces, repeats, seed) and built in the test, so that hypothesis never prints
# 100,000 characters: the pieces repeated, or with a seed, that many pieces drawn at random from them.
long_specs = st.tuples(st.lists(st.sampled_from(LONG_PIECES), min_size=1, max_size=8).map(tuple),
                       st.sampled_from([10_000, 100_000]), st.none() | st.integers(0, 2**32))


def long_query(pieces: tuple[str, ...], length: int, seed: int | None) -> str:
    """``length`` characters of ``pieces``: repeated in order, or (with a seed) drawn at random."""
    if seed is None:
        text = "".join(pieces) * (length // len("".join(pieces)) + 1)
    else:
        text = "".join(random.Random(seed).choices(pieces + tuple(LONG_PIECES), k=length))
    return text[:length]


def check_parse(text: str) -> sc.ParsedQuery:
    """Lenient parsing gives a Bool, a short list of warnings and a canonical form that parses back;
    strict parsing gives the same or raises QueryParseError."""
    with no_hang():
        parsed = parse(text, SCHEMA)
        assert isinstance(parsed.node, sc.Bool)
        assert len(parsed.warnings) <= MAX_WARNINGS
        assert parse(str(parsed.node), SCHEMA).node == parsed.node
        parse(text, SCHEMA, default_operator="AND")
        try:
            strict = parse(text, SCHEMA, strict=True)
        except sc.QueryParseError as error:
            assert 0 <= error.pos <= len(text) and parsed.warnings
        else:
            assert strict.node == parsed.node
    return parsed


@FUZZ
@example(text="oil^-1")
@example(text='"oil prices"~1e9')
@example(text="date:[1988 TO 1987]")
@example(text="date:[0001-01-01T00:00+01:00 TO *]")
@given(text=query_garbage)
def test_parser_on_garbage(text):
    check_parse(text)


@settings(FUZZ, deadline=dt.timedelta(seconds=5))  # four parses of up to 100,000 characters; quadratic takes minutes
@example(spec=(("date:[",), 100_000, None))  # lexed the rest of the query after each field: 30 s, now 0.1 s
@example(spec=(("(",), 100_000, None))
@example(spec=(("(", '"', " TO ", "AND "), 10_000, None))  # its canonical form nested deeper than MAX_DEPTH
@example(spec=(('"',), 100_000, None))
@example(spec=(("NOT ",), 100_000, None))
@example(spec=(("-", "("), 100_000, None))
@given(spec=long_specs)
def test_parser_on_long_garbage(spec):
    check_parse(long_query(*spec))


@pytest.fixture(scope="module")
def tiny_searcher(scratch):
    ix = sc.Index.create(scratch / "tiny", tiny_schema())
    with ix.writer() as writer:
        for doc in TINY_CORPUS:
            writer.add_document(**doc)
    with ix.searcher() as searcher:
        yield searcher


@FUZZ
@example(text="date:[0001-01-01T00:00+01:00 TO *]")
@example(text="date:[9999 TO *] date:9999-12")
@example(text="\ud800 oil")
@given(text=st.one_of(query_garbage, st.text(st.characters(codec=None), max_size=30)))
def test_lenient_parsed_garbage_is_searchable(tiny_searcher, text):
    with no_hang():
        results = tiny_searcher.search(text, limit=3)
        assert all(hit.id for hit in results)
        tiny_searcher.search("oil", filter=[text], limit=3)
        tiny_searcher.search(parse(text, tiny_schema()).node, limit=3)
