"""Desktop benchmarks (issue 3), each beside a baseline measured in the same run."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from app import demo, rules
from app.store import Store

PASSPHRASE = "benchmark-passphrase"


def _probe(*args: str) -> tuple[float, dict]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bench.gui_probe", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    return time.perf_counter() - t, json.loads(out.strip().splitlines()[-1])


def bench_start(report, work: Path) -> None:
    folder = work / "start"
    Store.create(folder, PASSPHRASE).close()
    bare, app = [], []
    for _ in range(5):  # interleaved, medians
        bare.append(_probe("bare")[0])
        app.append(_probe("start", str(folder))[0])
    report(
        "start to unlock screen (median of 5)",
        statistics.median(app),
        "s",
        statistics.median(bare),
        "ratio <= 2 (baseline: bare PySide6 window)",
    )


def bench_memory(report, work: Path, households: list[dict]) -> None:
    folder = work / "big-gui"
    with Store.create(folder, PASSPHRASE) as store:
        with store.db.atomic():
            for rec in households:
                store.save(rec)
    _, bare = _probe("bare")
    _, unlocked = _probe("unlocked", str(folder), PASSPHRASE)
    assert unlocked["rows"] == len(households)
    report(
        f"resident memory, unlocked, {len(households)} households",
        unlocked["rss_mib"],
        "MiB",
        bare["rss_mib"],
        "<= 250 MiB (baseline: bare PySide6 window)",
    )


def bench_big_household(report) -> None:
    from PySide6.QtWidgets import QApplication

    from app.gui.form.household_form import HouseholdForm

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841
    today = date(2026, 11, 29)
    members = []
    for rec in demo.generate(40, seed=5, today=today):
        members += [m for m in rec["anggota"] if m["hubungan"] != 1]
    base = next(demo.generate(1, seed=6, today=today))
    record = dict(base, anggota=base["anggota"][:1] + members[:29])
    extra = members[29]
    form = HouseholdForm(lang="id", today=today)
    form.set_record(record)
    form.check()
    ours, baseline = [], []
    for _ in range(7):
        form.set_record(record)
        t = time.perf_counter()
        form.members.model.append(extra)  # what accepting the member dialog does
        form.members.changed.emit()
        form.check()
        ours.append(time.perf_counter() - t)
        bigger = dict(record, anggota=record["anggota"] + [extra])
        t = time.perf_counter()
        rules.check(bigger, rules.Context(today=today), final=True)
        baseline.append(time.perf_counter() - t)
    report(
        "31st member added + re-validated (median)",
        statistics.median(ours) * 1000,
        "ms",
        statistics.median(baseline) * 1000,
        "<= 50 ms (baseline: rules.check alone)",
    )
