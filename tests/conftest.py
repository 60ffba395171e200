"""Shared fixtures: a tiny corpus written for the tests, and the shared corpora when they are present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import searchcore as sc

ROOT = Path(__file__).resolve().parents[1]


def corpora_dir() -> Path:
    """$SEARCHCORE_CORPORA, else ../shared/corpora beside the project."""
    return Path(os.environ.get("SEARCHCORE_CORPORA") or ROOT.parent / "shared" / "corpora")


TINY_CORPUS = [
    {"id": "t1", "title": "Oil prices rise", "body": "Crude oil prices rose on Monday as OPEC cut output.",
     "date": "1987-03-02", "topics": ["crude"]},
    {"id": "t2", "title": "OPEC meets in Vienna", "body": "OPEC ministers meet to discuss oil output quotas.",
     "date": "1987-03-05", "topics": ["crude"]},
    {"id": "t3", "title": "Bank rates unchanged", "body": "The central bank left interest rates unchanged.",
     "date": "1987-03-09", "topics": ["interest"]},
    {"id": "t4", "title": "Minister to visit Belarus",
     "body": "The defence minister will visit Russia and Belarus, visiting Minsk on Friday.",
     "date": "2023-08-14", "topics": ["defence"]},
    {"id": "t5", "title": "Coffee exports", "body": "Coffee exports fell while cocoa prices held.",
     "date": "1987-04-01", "topics": ["coffee", "cocoa"]},
    {"id": "t6", "title": "U.S. trade deficit", "body": "The U.S. trade deficit widened to 5.93 billion dlrs.",
     "date": "1987-04-14", "topics": ["trade"]},
]


def tiny_schema() -> sc.Schema:
    return sc.Schema(id=sc.ID(stored=True), title=sc.TEXT(stored=True, boost=2.0), body=sc.TEXT(stored=True),
                     date=sc.DATE(stored=True), topics=sc.KEYWORD(stored=True))


@pytest.fixture
def tiny_index(tmp_path) -> sc.Index:
    ix = sc.Index.create(tmp_path / "tiny", tiny_schema())
    with ix.writer() as w:
        for doc in TINY_CORPUS:
            w.add_document(**doc)
    return ix


@pytest.fixture
def corpora() -> Path:
    path = corpora_dir()
    if not (path / "reuters21578").is_dir():
        pytest.skip(f"Reuters-21578 not found at {path} (set SEARCHCORE_CORPORA)")
    return path
