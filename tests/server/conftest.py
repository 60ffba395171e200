"""A real `search serve` process on 127.0.0.1, started and stopped by the tests, over an index of wire
stories written here (60 of them, enough for facets and pages)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import searchcore as sc

httpx = pytest.importorskip("httpx", reason="the server tests need the test extra: pip install -e '.[test]'")
pytest.importorskip("starlette", reason="the server tests need the server extra")

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "admin-secret-for-tests"
SEARCH_KEY = "search-secret-for-tests"

TOPICS = ["crude", "grain", "trade", "interest", "money-fx", "coffee"]
PLACES = ["usa", "uk", "japan", "brazil", "canada"]
SUBJECTS = {"crude": "oil output", "grain": "wheat harvest", "trade": "trade deficit", "interest": "bank rates",
            "money-fx": "dollar trading", "coffee": "coffee exports"}


def news_docs() -> list[dict]:
    """Wire stories for the tests: one about the Chinese defence minister's trip, 59 about markets."""
    docs = [{
        "id": "afp-li-shangfu", "title": "China's defence minister to visit Russia, Belarus this week",
        "dateline": "BEIJING, Aug 14", "date": "2023-08-14", "agency": "AFP", "topics": ["defence"],
        "places": ["china", "russia", "belarus"],
        "body": "Chinese Defence Minister Li Shangfu will visit Russia and Belarus this week, the ministry said. "
                "In Minsk he will meet Belarusian officials; in Moscow, the Russian defence minister.",
    }]
    for i in range(59):
        topic, place = TOPICS[i % len(TOPICS)], PLACES[i % len(PLACES)]
        subject = SUBJECTS[topic]
        docs.append({
            "id": f"wire-{i:03d}", "title": f"{subject.capitalize()} report number {i}",
            "dateline": f"{place.upper()}, March {1 + i % 28}", "date": f"1987-03-{1 + i % 28:02d}",
            "agency": "Reuter", "topics": [topic], "places": [place],
            "body": f"Officials said {subject} changed this week in {place}. Markets watched {subject} closely, "
                    f"and analysts expect more news on {subject} (story {i}).",
        })
    return docs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `search serve` process."""

    def __init__(self, index: Path, *options: str, env: dict | None = None) -> None:
        self.index = index
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "searchcore.cli", "serve", "--index", str(index), "--port", str(self.port), *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        self.client = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}: {self.process.stderr.read()}")
            try:
                if self.client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"the server did not answer /health: {self.process.stderr.read()}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, str]:
        """Send ``sig`` and wait: (exit code, what the server wrote to stderr)."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
            raise AssertionError(f"the server did not stop on signal {sig}: {err}") from None
        return self.process.returncode, err

    def auth(self, key: str = ADMIN_KEY) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def build_news_index(path: Path) -> sc.Index:
    ix = sc.Index.create(path, sc.news_schema())
    with ix.writer() as w:
        for doc in news_docs():
            w.add_document(**doc)
    return ix


@pytest.fixture(scope="module")
def news_index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("served") / "news"
    build_news_index(path)
    return path


@pytest.fixture(scope="module")
def server(news_index) -> Iterator[Server]:
    """A read-write server (admin key set), shared by a module's tests."""
    running = Server(news_index, "--admin-key", ADMIN_KEY)
    yield running
    code, err = running.stop()
    assert code == 0, err
