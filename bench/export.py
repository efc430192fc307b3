"""Laptop CSV export of 20,000 households (issue 5: at most 2 s).

Measured in a fresh process on an unlocked store, as `khbs export` runs, beside two baselines
from the same process: the `khbs dump` loop (decrypt + JSON, no layout) and a plain csv.writer
of the decrypted records (one row per household, one per member, no labels or checks). Each
figure is the best of a few runs.

    python -m bench --only export
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

from app.store import Store

RUNS = 3


def run(report, work: Path, households: list[dict], passphrase: str) -> None:
    folder = work / "export-store"
    with Store.create(folder, passphrase) as store:
        with store.db.atomic():
            for rec in households:
                store.save(rec)
    out = subprocess.run(
        [sys.executable, "-m", "bench.export", str(folder), passphrase],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    t = json.loads(out)
    n = len(households)
    report(
        f"laptop export {n} households (csv)",
        t["export"],
        "s",
        t["dump"],
        "<= 2 s (baseline: khbs dump)",
    )
    report(
        f"laptop export {n} households (--excel)",
        t["excel"],
        "s",
        t["dump"],
        "<= 2 s (baseline: khbs dump)",
    )
    report("laptop export vs plain csv.writer", t["export"], "s", t["plain_csv"], "(info)")


def _best(fn) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _dump(store: Store, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for _, rec in store.records():
            f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")


def _plain_csv(store: Store, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    with (
        open(folder / "h.csv", "w", encoding="utf-8", newline="") as hf,
        open(folder / "m.csv", "w", encoding="utf-8", newline="") as mf,
    ):
        h, m = csv.writer(hf), csv.writer(mf)
        for hid, rec in store.records():
            h.writerow([hid, *_flat(rec)])
            for member in rec.get("anggota", []):
                m.writerow([hid, *_flat(member)])


def _flat(node: dict) -> list:
    out = []
    for key, value in node.items():
        if isinstance(value, dict):
            out += _flat(value)
        elif key != "anggota":
            out.append(value)
    return out


def child(folder: Path, passphrase: str) -> None:
    from app.export.laptop import export_store
    from app.export.layout import Options

    with Store.open(folder, passphrase) as store:
        work = folder.parent
        times = {
            "dump": _best(lambda: _dump(store, work / "dump.jsonl")),
            "plain_csv": _best(lambda: _plain_csv(store, work / "plain-csv")),
            "export": _best(lambda: export_store(store, work / "export-csv", Options())),
            "excel": _best(lambda: export_store(store, work / "export-xl", Options(excel=True))),
        }
    print(json.dumps(times))


if __name__ == "__main__":
    child(Path(sys.argv[1]), sys.argv[2])
