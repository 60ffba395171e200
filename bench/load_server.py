"""Load and faults for `search serve`, on 127.0.0.1 only: many clients searching and writing at once,
optionally with the server SIGKILLed in the middle and restarted.

    python bench/load_server.py                      # 32 clients, 30 s, 2 workers, 5% writes, Reuters
    python bench/load_server.py --kill               # the same, the server killed at half time
    python bench/load_server.py --latency            # one client, one worker: GET /search of one word

Each client keeps one HTTP/1.1 connection (reopened after a failure) and sends, one after the other,
searches from the benchmark's query log and, at the given share, PUTs of new documents. It reports
throughput and p50/p99 latency of each kind, every status, and then checks that every acknowledged write
is in the index (GET /documents/{id}) and that `search check` passes. The load generator runs on the
same machine as the server: on a small machine they share its cores, so read the figures with that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import searchcore as sc  # noqa: E402
from bench.corpus import corpora_dir, documents, query_log  # noqa: E402
from searchcore.loaders import iter_documents  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A `search serve` process group (a supervisor and its workers), killable as one."""

    def __init__(self, index: Path, port: int, workers: int, key: str, options: tuple[str, ...] = ()) -> None:
        self.index, self.port, self.workers, self.key, self.options = index, port, workers, key, options
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "searchcore.cli", "serve", "--index", str(self.index), "--port", str(self.port),
             "--workers", str(self.workers), "--admin-key", self.key, *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if b" 200 " in conn.recv(100):
                        return time.perf_counter() - started
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {self.process.stderr.read().decode()}")
            time.sleep(0.05)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> int:
        os.killpg(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=60)


class Connection:
    """One keep-alive HTTP/1.1 connection, as little client as a load generator needs."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None = None,
                      headers: str = "") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            self.writer.write(head.encode() + b"\r\n" + (body or b""))
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            start = head.lower().find(b"\r\ncontent-length:")
            length = int(head[start + 17:head.index(b"\r\n", start + 2)]) if start >= 0 else 0
            return status, await self.reader.readexactly(length)
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            self.close()
            raise ConnectionError("connection lost") from None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client(number: int, port: int, key: str, queries: list[str], write_share: float, deadline: float,
                 log: dict, seed: int, highlight: str) -> None:
    rng = random.Random(seed + number)
    connection = Connection(port)
    auth = f"Authorization: Bearer {key}\r\n"
    written = 0
    while time.perf_counter() < deadline:
        if rng.random() < write_share:
            doc_id = f"load-{number}-{written}"
            written += 1
            body = json.dumps({"title": f"Load test story {doc_id}", "body": f"Story {doc_id} about grain and oil.",
                               "date": "1987-04-01", "topics": ["load"]}).encode()
            kind, args = "write", ("PUT", f"/documents/{doc_id}", body, auth)
        else:
            doc_id = None
            kind, args = "search", ("GET", f"/search?q={quote(rng.choice(queries))}&limit=10&highlight={highlight}")
        started = time.perf_counter()
        try:
            status, _ = await connection.request(*args)
        except ConnectionError:
            log["failed"][kind] += 1
            await asyncio.sleep(0.05)  # the server may be restarting
            continue
        log["latency"][kind].append(time.perf_counter() - started)
        log["status"][(kind, status)] += 1
        if kind == "write" and status in (200, 201):
            log["acknowledged"].append(doc_id)
    connection.close()


async def run_load(port: int, key: str, queries: list[str], clients: int, seconds: float, write_share: float,
                   served: Served | None, kill_at: float | None, highlight: str = "html") -> dict:
    log = {"latency": {"search": [], "write": []}, "status": Counter(), "failed": Counter(), "acknowledged": []}
    start = time.perf_counter()
    deadline = start + seconds
    tasks = [asyncio.create_task(client(i, port, key, queries, write_share, deadline, log, 7, highlight))
             for i in range(clients)]
    if kill_at is not None and served is not None:
        await asyncio.sleep(kill_at)
        served.kill()
        log["killed_at"] = time.perf_counter() - start
        log["restart_s"] = await asyncio.to_thread(served.start)
    await asyncio.gather(*tasks)
    log["elapsed"] = time.perf_counter() - start
    return log


def run(coroutine):
    """The load generator's event loop: uvloop's where the server extra brought it (less of the shared cores
    spent generating load), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e3 if ordered else float("nan")


def build_reuters(path: Path) -> None:
    corpora = corpora_dir()
    ix = sc.Index.create(path, sc.news_schema())
    with ix.writer() as w:
        sc.bulk_index(w, iter_documents([corpora / "reuters21578", corpora / "seed"]))


def verify(port: int, index: Path, acknowledged: list[str]) -> tuple[int, bool]:
    """(acknowledged writes missing from the index, whether `search check` passes)."""
    async def missing() -> int:
        connection, gone = Connection(port), 0
        for doc_id in acknowledged:
            status, _ = await connection.request("GET", f"/documents/{doc_id}")
            gone += status != 200
        connection.close()
        return gone

    time.sleep(1.5)  # every worker refreshes within a second (half a second, plus the time a refresh takes)
    lost = run(missing())
    check = subprocess.run([sys.executable, "-m", "searchcore.cli", "check", "--index", str(index)],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return lost, check.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="serve a copy of nothing: this index itself (default: build "
                                                   "Reuters-21578 + the AFP story in a temporary folder)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-share", type=float, default=0.05)
    parser.add_argument("--highlight", default="html", choices=["html", "text", "none"],
                        help="the fragments each search asks for (html: the default of the API)")
    parser.add_argument("--commit-interval", type=float, default=None,
                        help="the server's --commit-interval (default: the server's own)")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server at half time and restart it")
    parser.add_argument("--latency", action="store_true",
                        help="one client, one worker, one-word queries, no writes: the end-to-end latency")
    args = parser.parse_args()
    if args.latency:
        args.clients, args.workers, args.write_share, args.kill = 1, 1, 0.0, False
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index
        if index is None:
            index = Path(tmp) / "reuters"
            started = time.perf_counter()
            build_reuters(index)
            print(f"built Reuters-21578 + the AFP story in {time.perf_counter() - started:.1f} s")
        queries = query_log(documents())
        if args.latency:
            queries = sorted({q.split()[0] for q in queries})
        key = secrets.token_hex(16)
        options = () if args.commit_interval is None else ("--commit-interval", str(args.commit_interval))
        served = Served(index, free_port(), args.workers, key, options)
        served.start()
        log = run(run_load(served.port, key, queries, args.clients, args.seconds, args.write_share, served,
                                   args.seconds / 2 if args.kill else None, args.highlight))
        lost, checked = verify(served.port, index, log["acknowledged"])
        code = served.stop()
    elapsed = log["elapsed"]
    print(f"{args.clients} clients, {args.workers} worker(s), {elapsed:.1f} s, writes {args.write_share:.0%}, "
          f"highlight={args.highlight}, commit interval {'default' if args.commit_interval is None else args.commit_interval}; "
          f"machine: {os.cpu_count()} cores shared by the server and this load generator")
    for kind in ("search", "write"):
        times = log["latency"][kind]
        if times:
            print(f"  {kind:6s}: {len(times):,} answered, {len(times) / elapsed:,.0f}/s, "
                  f"p50 {percentile(times, 0.5):.2f} ms, p99 {percentile(times, 0.99):.2f} ms")
    statuses = ", ".join(f"{kind} {status}: {n:,}" for (kind, status), n in sorted(log["status"].items()))
    server_errors = sum(n for (_, status), n in log["status"].items() if status >= 500)
    print(f"  statuses: {statuses}; 5xx: {server_errors}")
    if args.kill:
        print(f"  killed with SIGKILL at {log['killed_at']:.1f} s, serving again {log['restart_s']:.2f} s later; "
              f"requests cut by the kill: {dict(log['failed'])}")
    print(f"  acknowledged writes: {len(log['acknowledged']):,}, missing afterwards: {lost}; "
          f"search check: {'ok' if checked else 'FAILED'}; server exit on SIGTERM: {code}")
    if lost or not checked or server_errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
