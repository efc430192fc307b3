"""Autosave while the app syncs over 2G (issue 11), beside the same autosave with no sync.

    autosave latency   Session.save_draft of the household being edited, from the request on
                       the GUI thread to its callback there (the save has committed: on disk),
                       one every SPACING_S, each after the last came back (the editor keeps one
                       save in flight), SAVES of them

Measured first with no sync running (baseline), then while the app syncs through
FaultProxy(32 kbit/s, 300 ms each way): a first sync with QUEUED final households to send, then
sync after sync (as the automatic timer would) until every autosave is measured. The real
Session, StoreWorker, store, SyncClient and server (uvicorn on 127.0.0.1); only the link is
paced, for real.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from pathlib import Path

from app import demo
from app.store import Store
from bench.sync import (
    AREA,
    FAST_KDF,
    LINK_BPS,
    LINK_LATENCY_S,
    PASSPHRASE,
    TODAY,
    _server,
)
from sync.client import SyncClient
from sync.server import repo
from tests.faultproxy import FaultProxy

SAVES = 40
QUEUED = 200  # about 20 s of pushing at 32 kbit/s
SPACING_S = 0.5  # 40 saves over about the first sync
WAIT_MS = 600_000  # the longest any one step may take before the bench gives up


def run(report, work: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - kept alive
    households = list(demo.generate(QUEUED + 1, seed=45, areas=[AREA], today=TODAY))
    draft = dict(households.pop(), status="draft")
    with _server(f"sqlite:///{work / 'autosave-server.db'}") as (engine, officer, url):
        port = int(url.rsplit(":", 1)[1])
        with FaultProxy(port) as proxy:
            folder = work / "autosave-laptop"
            with Store.create(folder, PASSPHRASE, kdf=FAST_KDF) as store:
                with engine.begin() as conn:
                    code = repo.create_enroll_code(conn, officer).code
                SyncClient(store).enroll(proxy.url(), code)
                with store.db.atomic():
                    for rec in households:
                        store.save(rec)
                store.save(draft)
            _measure(report, folder, proxy, draft)


def _measure(report, folder: Path, proxy: FaultProxy, draft: dict) -> None:
    from app.gui.session import Session
    from app.gui.settings import Settings
    from app.gui.worker import StoreWorker

    worker = StoreWorker()
    session = Session(folder, worker, Settings(sync_minutes=0))
    _wait(lambda done: session.unlock(PASSPHRASE, on_done=done, on_error=_raise))
    record = dict(draft)
    revision = _wait(lambda done: session.save_draft(record, None, on_done=done, on_error=_raise))
    state = {"revision": revision, "n": 0}

    def autosaves() -> list[float]:
        took = []
        for _ in range(SAVES):
            state["n"] += 1
            record["lokasi"] = dict(record["lokasi"], rt=f"{state['n'] % 1000:03d}")
            started = time.perf_counter()
            state["revision"] = _wait(
                lambda done: session.save_draft(
                    record, state["revision"], on_done=done, on_error=_raise
                )
            )
            took.append(time.perf_counter() - started)
            _pause(SPACING_S)
        return took

    baseline = autosaves()

    proxy.set(latency_s=LINK_LATENCY_S, bandwidth_bps=LINK_BPS)
    syncs = {"started": 0, "done": 0, "failed": 0, "running": False, "again": True}

    def next_sync() -> None:
        syncs["running"] = False
        if syncs["again"] and session.sync(on_done=finished, on_error=failed) is not None:
            syncs["started"] += 1
            syncs["running"] = True

    def finished(_report: object) -> None:
        syncs["done"] += 1
        next_sync()

    def failed(_exc: BaseException) -> None:
        syncs["failed"] += 1
        next_sync()

    print(
        f"  autosave while syncing {QUEUED} households through {LINK_BPS // 1000} kbit/s,"
        f" {2 * LINK_LATENCY_S * 1000:.0f} ms RTT ...",
        flush=True,
    )
    started = time.perf_counter()
    next_sync()
    _pause(1.0)  # the first sync is in the network by now (health check, first batch)
    during = autosaves()
    syncs["again"] = False
    measured = time.perf_counter() - started
    while syncs["running"]:
        _pause(0.2)
    session.lock()
    worker.shutdown()
    print(
        f"  ({syncs['started']} syncs started, {syncs['done']} finished, {syncs['failed']}"
        f" failed; {SAVES} autosaves in {measured:.1f} s)"
    )
    for name, pick in (("p50", _p50), ("p99", _p99)):
        report(
            f"autosave during 2G sync, {name} of {SAVES}",
            pick(during) * 1000,
            "ms",
            pick(baseline) * 1000,
            "p99 <= 500 ms (baseline: no sync running)",
        )


def _p50(values: list[float]) -> float:
    return statistics.median(values)


def _p99(values: list[float]) -> float:
    """Nearest rank: with 40 values, the slowest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def _raise(exc: BaseException) -> None:
    raise exc


def _wait(submit) -> object:
    """Run submit(done) and an event loop until done(result) is called (or WAIT_MS passes)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, box = QEventLoop(), {}

    def done(result: object) -> None:
        box["result"] = result
        loop.quit()

    submit(done)
    if "result" not in box:
        QTimer.singleShot(WAIT_MS, loop.quit)
        loop.exec()
    if "result" not in box:
        raise TimeoutError("no answer from the store worker")
    return box["result"]


def _pause(seconds: float) -> None:
    """Let the GUI event loop run for `seconds` (callbacks and signals are delivered)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
