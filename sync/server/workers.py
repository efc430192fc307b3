"""`khbs-server serve --workers N`: N uvicorn processes on one listening socket.

The parent unlocks the keys once (one passphrase prompt), binds the socket, then forks the
workers: each inherits the unlocked keys in memory (the passphrase is never handed on, not in
the environment nor a pipe) and the socket, and builds its own app and database pool after the
fork. The kernel spreads connections over the workers. Rate limits, nonces and console sessions
live in the database, so the workers (and other machines on the same database) enforce one
limit (docs/operations.md, docs/scale.md).

The parent only supervises: SIGTERM or SIGINT stops every worker gracefully (uvicorn finishes
the requests in flight), and a worker that dies is started again, unless they keep dying, when
the whole server stops with exit status 1 so systemd or Compose restarts it and it shows.
os.fork exists on Linux and macOS only: on Windows one process serves (docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import uvicorn

STOP_GRACE = 30.0  # seconds a worker has to finish its requests before SIGKILL
RESTART_WINDOW, MAX_RESTARTS = 60.0, 10
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # more deaths than this in the window: give up


def shared_metrics() -> None:
    """prometheus_client's multiprocess mode: each worker writes its counters to files in
    PROMETHEUS_MULTIPROC_DIR and /metrics sums them. Must run before prometheus_client is
    imported. A folder the operator set is emptied of the last run's files; else a private
    one is made and removed at exit."""
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    folder = os.environ.get(METRICS_DIR_ENV)
    if folder:
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
        return
    folder = tempfile.mkdtemp(prefix="khbs-metrics-")
    os.environ[METRICS_DIR_ENV] = folder
    parent = os.getpid()

    def remove() -> None:
        if os.getpid() == parent:  # not in a worker
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)


def can_fork() -> bool:
    return hasattr(os, "fork")


def serve(make_app: Callable[[], Any], options: dict, workers: int) -> int:
    """Run `workers` processes; returns the exit status. `make_app` builds a worker's app and
    runs in the worker, after the fork; `options` are uvicorn.Config keywords."""
    sock = uvicorn.Config(app=make_app, **options).bind_socket()  # the app is not loaded here

    def make_config() -> uvicorn.Config:
        return uvicorn.Config(app=make_app(), **options)

    supervisor = Supervisor(sock, make_config, workers)
    try:
        return supervisor.run()
    finally:
        sock.close()


class Supervisor:
    def __init__(self, sock: socket.socket, make_config, workers: int):
        self.sock, self.make_config, self.workers = sock, make_config, workers
        self.children: set[int] = set()
        self.stopping = False
        self.deaths: list[float] = []

    def run(self) -> int:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for _ in range(self.workers):
                self._start()
            status = self._watch()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        self._stop_children()
        return status

    def _stop(self, _signum, _frame) -> None:
        self.stopping = True

    def _start(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                for s in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(s, signal.SIG_DFL)  # uvicorn installs its own in run()
                uvicorn.Server(self.make_config()).run(sockets=[self.sock])
                code = 0
            except BaseException:  # noqa: BLE001 - one line, never a traceback with data
                print(f"khbs-server worker {os.getpid()}: stopped on an error", file=sys.stderr)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children.add(pid)

    def _watch(self) -> int:
        while not self.stopping:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0 or pid not in self.children:
                time.sleep(0.2)
                continue
            self.children.discard(pid)
            now = time.monotonic()
            self.deaths = [t for t in self.deaths if now - t < RESTART_WINDOW] + [now]
            if len(self.deaths) > MAX_RESTARTS:
                print("khbs-server: workers keep stopping; giving up", file=sys.stderr)
                return 1
            print(f"khbs-server: worker {pid} stopped; starting another", file=sys.stderr)
            self._start()
        return 0

    def _stop_children(self) -> None:
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self.children and time.monotonic() < deadline:
            for pid in list(self.children):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    self.children.discard(pid)
            time.sleep(0.1)
        for pid in self.children:
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self.children.clear()


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
