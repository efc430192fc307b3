"""Ingest on PostgreSQL with 1, 2 and 4 API workers (issue 17), beside an executemany of the
same rows into the same database, measured in the same run.

`khbs-server serve --workers N` runs as a real process (the CLI, forked workers, JSON logs,
shared rate limits). 8 devices push at once: each is enrolled in the database and its 350
households are sealed into batches of 50 before the clock starts; each pushes its first two
batches as a warm-up, then 250 households are timed, so the client's work is
only signing and sending (laptops do their sealing on their own CPUs; this machine has 2
cores for server and clients together). Beside each figure: the CPU time a household cost in
the server's processes, in its PostgreSQL backends and in this client (from /proc, so a busy
machine moves it less than the rate), and the rate 2 idle cores would allow at that cost. Then
the locked part alone (`_Writer`, client and PostgreSQL CPU), and cProfile of `ingest()` alone
shows what is left.

    python -m bench --only workers
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

from app import demo, rules
from bench.sync import AREA, FAST_KDF, PASSPHRASE, TODAY, _pg_schema, _plain_insert
from sync.protocol import read_header, seal_batch, sign_request
from sync.server import ingest, keys, questionnaires, repo
from sync.server.db import open_database

DEVICES, PER_DEVICE, BATCH = 8, 350, 50
# Each device's first batches are pushed before the clock starts: a province server runs for
# days, so each worker's first-use costs (its questionnaire checks generated, its pool's
# PostgreSQL connections opened and their statements prepared) are not what a household costs.
WARM = 2
ROOT = Path(__file__).resolve().parents[1]


def _prepare(url: str, households: list[dict]):
    """A fresh server in `url`: its keys, and per device (id, key, sealed batches)."""
    engine = open_database(url, create=True)
    try:
        with engine.begin() as conn:
            unlocked = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
            officer = repo.add_officer(conn, "Petugas Benchmark", [AREA])
        devices = []
        for i in range(DEVICES):
            key = Ed25519PrivateKey.generate()
            with engine.begin() as conn:
                code = repo.create_enroll_code(conn, officer).code
                device = repo.redeem_enroll_code(conn, code, key.public_key().public_bytes_raw())
            mine = households[i * PER_DEVICE : (i + 1) * PER_DEVICE]
            batches = [
                seal_batch(
                    unlocked.province.public_bytes(),
                    unlocked.active["province"],
                    device.id,
                    str(uuid.uuid4()),
                    [{"id": r["id"], "revision": 1, "record": r} for r in mine[j : j + BATCH]],
                )
                for j in range(0, len(mine), BATCH)
            ]
            devices.append((device, key, batches))
    finally:
        engine.dispose()
    return unlocked, devices


class Serve:
    def __init__(self, url: str, workers: int):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
        env["KHBS_SERVER_PASSPHRASE"] = PASSPHRASE
        argv = ["--db", url, "serve", "--port", "0", "--workers", str(workers)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.server_cli", *argv],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.proc.stderr or []:
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.url = f"http://127.0.0.1:{found.group(1)}"
                break
        else:
            raise RuntimeError("the server did not start")
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + 60
        while not self._ready():
            assert time.monotonic() < deadline and self.proc.poll() is None, self.log[-5:]
            time.sleep(0.2)

    def _drain(self) -> None:
        self.log.extend(self.proc.stderr or [])

    def _ready(self) -> bool:
        try:
            return requests.get(self.url + "/v1/ready", timeout=10).status_code == 200
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


APP_NAME = "khbs_bench_workers"  # the server's PostgreSQL backends, found by this name


def _cpu_seconds(pids) -> float:
    """utime + stime of these processes (Linux /proc); gone ones count nothing."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """The serve process and its forked workers."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return [pid, *children]


def _backends(url: str) -> list[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": APP_NAME},
                )
            )
    finally:
        engine.dispose()


def _push_all(url: str, devices) -> tuple[float, int]:
    accepted = [0] * len(devices)
    start = threading.Barrier(len(devices) + 1)

    def run(i: int) -> None:
        device, key, batches = devices[i]
        session = requests.Session()
        start.wait()
        for body in batches:
            headers = sign_request(key, device.id, "POST", "/v1/push", body, int(time.time()))
            headers["Content-Type"] = "application/octet-stream"
            reply = session.post(url + "/v1/push", data=body, headers=headers, timeout=600)
            reply.raise_for_status()
            accepted[i] += sum(r["outcome"] == "accepted" for r in reply.json()["results"])

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(devices))]
    for t in threads:
        t.start()
    start.wait()
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=900)
    return time.perf_counter() - started, sum(accepted)


def _profile(url: str, households: list[dict]) -> None:
    """ingest() of two devices' batches in this process, one thread; then two more devices'
    under cProfile."""
    unlocked, devices = _prepare(url, households[: 4 * PER_DEVICE])
    engine = open_database(url)
    profile = cProfile.Profile()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for device, _key, batches in devices[:2]:
            for body in batches:
                ingest.ingest(engine, unlocked, device, body, today=TODAY)
        plain = (time.perf_counter() - started, time.process_time() - cpu)
        started = time.perf_counter()
        profile.enable()
        for device, _key, batches in devices[2:4]:
            for body in batches:
                ingest.ingest(engine, unlocked, device, body, today=TODAY)
        profile.disable()
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    print(
        f"  ingest() alone, 1 thread, postgresql: {2 * PER_DEVICE / plain[0]:.0f} hh/s,"
        f" {1000 * plain[1] / (2 * PER_DEVICE):.2f} ms CPU a household (load"
        f" {os.getloadavg()[0]:.1f})"
    )
    print(f"  the same under cProfile: {2 * PER_DEVICE / elapsed:.0f} hh/s")
    # The rules alone (about half of the server's CPU): best of 3 over the same households.
    sample = households[: 2 * PER_DEVICE]
    best = float("inf")
    for _ in range(3):
        cpu = time.process_time()
        for record in sample:
            context = rules.Context(household_id=record["id"], assigned_areas=[AREA], today=TODAY)
            rules.check(record, context, final=True)
        best = min(best, time.process_time() - cpu)
    print(f"  rules.check alone: {1000 * best / len(sample):.3f} ms CPU a household")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(14)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    print("  cProfile, by own time (top 14):")
    for line in lines[lines.index(next(x for x in lines if "ncalls" in x)) :]:
        print("   ", line[:150])


def _writer_alone(url: str, households: list[dict]) -> None:
    """The locked part of ingest() alone (the _Writer's reads and writes, commit), four
    devices' batches checked beforehand: this process's CPU and its PostgreSQL backend's a
    household, read around those steps only (docs/scale.md, "Fewer round trips")."""
    unlocked, devices = _prepare(url, households[: 4 * PER_DEVICE])
    engine = open_database(url, create=False)
    try:
        with engine.connect() as conn:
            accepted = frozenset(questionnaires.published(conn))
        work = []
        for device, _key, batches in devices:
            for body in batches:
                header, _ = read_header(body)
                checked = ingest._prepare(
                    unlocked, device, header, body, TODAY, frozenset(), accepted
                )
                work.append((device, checked))
        with engine.connect() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        client = server = 0.0
        stored = 0
        for device, checked in work:
            with engine.connect() as conn:
                cpu, pg = time.process_time(), _cpu_seconds([backend])
                with conn.begin():
                    writer = ingest._Writer(conn, device, checked)
                    results = [
                        writer.apply(p) if isinstance(p, ingest.Prepared) else p for p in checked
                    ]
                    writer.finish()
                client += time.process_time() - cpu
                server += _cpu_seconds([backend]) - pg
                same = conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == backend
                assert same, "the pool gave another connection"
                stored += sum(r.outcome == "accepted" for r in results)
    finally:
        engine.dispose()
    print(
        f"  _Writer alone (reads, writes, commit), {stored} households: CPU a household"
        f" {1000 * client / stored:.3f} ms here, {1000 * server / stored:.3f} ms its"
        f" PostgreSQL backend (load {os.getloadavg()[0]:.1f})"
    )


def run(report, work: Path) -> None:
    total = DEVICES * (PER_DEVICE - WARM * BATCH)  # timed
    households = list(demo.generate(DEVICES * PER_DEVICE, seed=46, areas=[AREA], today=TODAY))
    for workers in (1, 2, 4):
        with _pg_schema() as url:
            if url is None:
                return
            _unlocked, devices = _prepare(url, households)
            served = f"{url}&application_name={APP_NAME}"
            server = Serve(served, workers)
            try:
                _push_all(server.url, [(d, k, b[:WARM]) for d, k, b in devices])
                devices = [(d, k, b[WARM:]) for d, k, b in devices]
                load = os.getloadavg()[0]
                pids = _tree(server.proc.pid)
                server_cpu, client_cpu = _cpu_seconds(pids), time.process_time()
                backend_cpu = {pid: _cpu_seconds([pid]) for pid in _backends(url)}
                elapsed, accepted = _push_all(server.url, devices)
                server_cpu = _cpu_seconds(pids) - server_cpu
                client_cpu = time.process_time() - client_cpu
                # Connections opened during the push (not in the warm-up): all their time.
                backend_cpu = {p: _cpu_seconds([p]) - backend_cpu.get(p, 0) for p in _backends(url)}
            finally:
                server.stop()
            assert accepted == total, f"only {accepted} of {total} accepted"
            baseline = _plain_insert(url, households)
        report(
            f"ingest, {DEVICES} devices, postgresql, {workers} worker(s)",
            total / elapsed,
            "hh/s",
            len(households) / baseline,
            ">= 1000 hh/s on 2 cores (baseline: executemany (id, JSON))",
        )
        per = [1000 * x / total for x in (server_cpu, sum(backend_cpu.values()), client_cpu)]
        print(
            f"  load {load:.1f}; CPU a household: server {per[0]:.2f} ms, PostgreSQL backends"
            f" {per[1]:.2f} ms, client {per[2]:.2f} ms; 2 idle cores at that cost:"
            f" {2000 / sum(per):.0f} hh/s"
        )
    with _pg_schema() as url:
        if url is not None:
            _writer_alone(url, households)
    with _pg_schema() as url:
        if url is not None:
            _profile(url, households)
