"""Several API processes, one limit (issue 17): `khbs-server serve --workers 4` as a real
process, and four separate `serve` processes on one database (four machines behind a load
balancer), on SQLite and PostgreSQL. A device that spreads its requests over them gets the
burst once, not four times."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.store import Store
from sync.client import SyncClient
from sync.protocol import sign_request
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.server.conftest import new_code

ROOT = Path(__file__).resolve().parents[2]
BURST = 5
PULL = "/v1/pull?after=0&limit=10"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers needs os.fork")


class Served:
    """`khbs-server serve` with a tiny device limit (BURST, then one per 10 minutes)."""

    def __init__(self, db_url: str, home: Path, *extra: str, **more_env: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
        env.update(KHBS_LANG="en", HOME=str(home), XDG_DATA_HOME=str(home), **more_env)
        env["KHBS_SERVER_PASSPHRASE"] = PASSPHRASE
        argv = ["--db", db_url, "serve", "--port", "0", "--device-per-minute", "0.1"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.server_cli", *argv, "--device-burst", str(BURST), *extra],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: list[str] = []
        for line in self.proc.stderr:
            self.seen.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                break
        else:
            raise AssertionError("".join(self.seen))

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        rest = self.proc.communicate(timeout=60)[1]
        # uvicorn stops gracefully, then ends by the signal it caught (-15); the supervisor of
        # --workers exits 0.
        assert self.proc.returncode in (0, -signal.SIGTERM), rest
        return "".join(self.seen) + rest


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "server did not answer"
        time.sleep(0.1)


def signed_pull(port: int, device) -> tuple[int, int]:
    """One signed pull on a new connection: the status and the pid of the worker that served
    it (from /proc: which worker holds the server end of this connection), 0 if not found."""
    headers = sign_request(device.key, device.device_id, "GET", PULL, b"", int(time.time()))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", PULL, headers=headers)
        reply = conn.getresponse()
        worker = serving_pid(port, conn.sock.getsockname()[1])
        reply.read()
        return reply.status, worker
    finally:
        conn.close()


def serving_pid(port: int, client_port: int) -> int:
    inode = None
    want_local, want_remote = f":{port:04X}", f":{client_port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(want_local) and fields[2].endswith(want_remote):
                inode = fields[9]
    if inode is None:
        return 0
    target = f"socket:[{inode}]"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return int(pid)
        except OSError:
            continue
    return 0


@pytest.fixture
def device(db_url, engine, initialised, officer, tmp_path):
    """An enrolled laptop (through a one-process server, which then stops)."""
    served = Served(db_url, tmp_path)
    try:
        with Store.create(tmp_path / "laptop", PASSPHRASE, kdf=FAST_KDF) as store:
            url = f"http://127.0.0.1:{served.port}"
            yield SyncClient(store).enroll(url, new_code(engine, officer))
    finally:
        served.stop()


def test_four_workers_enforce_one_limit(device, db_url, tmp_path):
    served = Served(db_url, tmp_path, "--workers", "4")
    try:
        wait_ready(served.port)
        with ThreadPoolExecutor(8) as pool:  # at once, so the workers share the connections
            answers = list(pool.map(lambda _: signed_pull(served.port, device), range(24)))
        workers = {pid for _, pid in answers} - {0}
        assert len(workers) >= 2, answers  # the requests were spread over the workers
        assert served.proc.pid not in workers  # the parent only supervises
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] * BURST + [429] * (24 - BURST)
    finally:
        log = served.stop()
    assert "Traceback" not in log


def test_four_machines_on_one_database_enforce_one_limit(device, db_url, tmp_path):
    servers = [Served(db_url, tmp_path) for _ in range(4)]
    try:
        for s in servers:
            wait_ready(s.port)
        statuses = [signed_pull(servers[i % 4].port, device)[0] for i in range(4 * BURST)]
        assert statuses == [200] * BURST + [429] * (3 * BURST)  # round robin over the four
    finally:
        logs = [s.stop() for s in servers]
    assert not any("Traceback" in log for log in logs)


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry))
    return found


def test_a_worker_that_dies_is_replaced(db_url, initialised, tmp_path):
    served = Served(db_url, tmp_path, "--workers", "2")
    try:
        wait_ready(served.port)
        deadline = time.monotonic() + 30
        while len(before := children_of(served.proc.pid)) < 2:
            assert time.monotonic() < deadline, before
            time.sleep(0.1)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        while len(after := children_of(served.proc.pid) - {victim}) < 2:
            assert time.monotonic() < deadline + 30, after
            time.sleep(0.1)
        assert after - before  # a new worker
        wait_ready(served.port)
    finally:
        log = served.stop()
    assert f"worker {victim} stopped; starting another" in log
    assert served.proc.returncode == 0 and not children_of(served.proc.pid)
