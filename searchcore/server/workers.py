"""Worker processes for ``search serve --workers N``, each listening on a socket of its own.

uvicorn's own supervisor hands every worker the same listening socket, and whichever worker wakes first
accepts: a burst of new connections (a client pool opening at once) can all land in one process while the
others stand idle, for as long as those connections live. Measured with the load script, 32 keep-alive
clients against 2 workers: all 32 connections in one worker in some runs, and throughput between 400 and
920 searches/s from run to run.

Here, on Linux, each worker gets its own socket bound to the same address with ``SO_REUSEPORT``, and the
kernel spreads new connections across the sockets by their addresses. The supervisor restarts a worker that
dies (on the same socket, so connections queued for it wait rather than fail), forwards SIGINT and SIGTERM
to every worker, and waits for their graceful shutdown. Elsewhere ``SO_REUSEPORT`` does not balance, and
uvicorn's supervisor is used as it is.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("searchcore.server")

APP = "searchcore.server.app:app_from_environment"


def balanced() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port (Linux's SO_REUSEPORT)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets listening on one address; port 0 takes a free port for all of them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(2048)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _worker(sock: socket.socket, options: dict[str, Any]) -> None:
    """One worker process: uvicorn on its own socket (it shuts down gracefully on SIGINT or SIGTERM)."""
    config = uvicorn.Config(APP, factory=True, **options)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises the signal again once it has shut down
        pass
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """``count`` workers on their own sockets, kept running until SIGINT or SIGTERM."""

    def __init__(self, host: str, port: int, count: int, options: dict[str, Any]) -> None:
        self.sockets = listening_sockets(host, port, count)
        self.options = options
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.stopping = threading.Event()
        self.failed = False

    def _start(self, sock: socket.socket):
        process = self.context.Process(target=_worker, args=(sock, self.options), name="searchcore-worker")
        process.start()
        return process

    def _on_signal(self, signum, frame) -> None:
        self.stopping.set()

    def run(self) -> bool:
        """Serve until told to stop; False if a worker could not start (the index, or the address)."""
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {s: signal.signal(s, self._on_signal) for s in handled}
        try:
            self.processes = [self._start(sock) for sock in self.sockets]
            while not self.stopping.wait(0.5):
                self._keep_alive()
        finally:
            self._stop_all()
            for s, handler in previous.items():
                signal.signal(s, handler)
            for sock in self.sockets:
                sock.close()
        return not self.failed

    def _keep_alive(self) -> None:
        for number, process in enumerate(self.processes):
            if process.is_alive() or self.stopping.is_set():
                continue
            if process.exitcode == STARTUP_FAILURE:  # would fail the same way again
                log.error("a worker failed to start; stopping")
                self.failed = True
                self.stopping.set()
                return
            log.warning("worker %d (pid %s) died with exit code %s; starting another", number, process.pid,
                        process.exitcode)
            self.processes[number] = self._start(self.sockets[number])

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        grace = float(self.options.get("timeout_graceful_shutdown") or 10) + 30
        for process in self.processes:
            process.join(grace)
            if process.is_alive():
                log.error("worker pid %s did not stop in %.0f s; killing it", process.pid, grace)
                process.kill()
                process.join()
