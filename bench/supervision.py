"""The supervision loop at the province (issue 15), on a fresh SQLite file (and PostgreSQL when
KHBS_BENCH_PG names a database URL):

- the review queue's first page (households without a decision on their current revision,
  oldest first) among N received households, half of them decided, against the same page of a
  plain `status = 'received'` list (no decision check);
- cards for N verified households in one `cards.issue`, against the way before it: one
  `repo.set_household_status(..., card_number=...)` per household.

    python -m bench --only supervision      (or: python -m bench.supervision --households N)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, select, update

from app import regions


def _world(url: str, n: int):
    from sync.server import keys, repo
    from sync.server.db import households, open_database, review_rounds, utc_now
    from tests.conftest import FAST_KDF, PASSPHRASE

    engine = open_database(url, create=True)
    with engine.begin() as conn:
        made = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
        officer = repo.add_officer(conn, "Bench", ["62.71"])
    desa = regions.desa_in("62.71")
    now = utc_now()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "officer_id": officer,
            "kode_desa": desa[i % len(desa)],
            "kode_kab": "62.71",
            "revision": 1,
            "content_hash": os.urandom(32),
            "status": "received",
            "received_at": now,
            "updated_at": now,
            "status_at": now,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(households), rows)
        conn.execute(
            insert(review_rounds),
            [
                {
                    "household_id": r["id"],
                    "round": 1,
                    "revision": 1,
                    "decision": "returned",
                    "comments": 0,
                    "decided_by": "bench",
                    "decided_at": now,
                }
                for r in rows[::2]
            ],
        )
    return engine, made, [r["id"] for r in rows]


def _timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_on(url: str, n: int, label: str) -> None:
    from bench.__main__ import report
    from sync.server import cards, repo, review
    from sync.server.db import households
    from sync.server.scope import Scope

    engine, _keys, ids = _world(url, n)
    scope = Scope.of("regency", ["62.71"])

    def queue():
        with engine.connect() as conn:
            assert len(review.queue(conn, scope, limit=50)) == 50

    def plain():
        with engine.connect() as conn:
            conn.execute(
                select(households.c.id)
                .where(households.c.status == "received", scope.where(households.c.kode_desa))
                .order_by(households.c.updated_at, households.c.id)
                .limit(50)
            ).all()

    ours, base = _timed(queue), _timed(plain)
    report(f"{label} review queue page, {n} households", ours * 1000, "ms", base * 1000, "-")

    with engine.begin() as conn:
        conn.execute(update(households).values(status="verified"))
    half = n // 2
    t = time.perf_counter()
    with engine.begin() as conn:
        done = cards.issue(conn, scope, "bench", desa=None)
    ours = time.perf_counter() - t
    assert done.count == n
    with engine.begin() as conn:  # the way before: one household at a time
        conn.execute(update(households).values(card_number=None))
    t = time.perf_counter()
    with engine.begin() as conn:
        for i, hid in enumerate(ids[:half]):
            repo.set_household_status(conn, hid, "verified", card_number=f"B-{i}")
    base = (time.perf_counter() - t) * n / half
    report(f"{label} cards issued for {n} households", ours, "s", base, "-")
    engine.dispose()


def run(n: int = 5000) -> None:
    with tempfile.TemporaryDirectory(prefix="khbs-supervision-") as tmp:
        run_on(f"sqlite:///{Path(tmp) / 'server.db'}", n, "sqlite")
    pg = os.environ.get("KHBS_BENCH_PG")
    if pg:  # a schema of its own, dropped afterwards
        from sqlalchemy import create_engine

        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        name = f"khbs_bench_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        try:
            sep = "&" if "?" in pg else "?"
            run_on(f"{pg}{sep}options=-csearch_path%3D{name}", n, "postgresql")
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
            admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=5000)
    run(parser.parse_args().households)
