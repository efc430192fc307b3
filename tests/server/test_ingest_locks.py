"""Batches that share nothing are applied side by side on PostgreSQL; batches that share a
household or a NIK/KK number wait for each other (sync/server/ingest.py, `_lock`). Each test
holds one of ingest's locks in a transaction of its own, lets pushes queue behind it, then lets
go, so the pushes meet exactly where the lock must keep them apart. PostgreSQL only: SQLite runs
one writer at a time."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from sync.protocol import seal_batch
from sync.server import ingest, repo
from sync.server.db import (
    HOUSEHOLD_LOCKS,
    TOKEN_LOCKS,
    advisory_locks,
    changes,
    duplicate_cases,
    duplicates,
    lock_key,
)
from tests.records import TODAY, numbered
from tests.server.conftest import AREA

pg_only = pytest.mark.parametrize("db_kind", ["postgresql"])


def _household(n: int, **overrides) -> dict:
    """numbered(n) under an id of its own: advisory locks are shared by every schema of the
    database, and other tests (other xdist workers) push numbered(n) households too."""
    return numbered(n, id=str(uuid.uuid4()), **overrides)


def _device(engine, officer: str):
    with engine.begin() as conn:
        code = repo.create_enroll_code(conn, officer).code
        key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        return repo.redeem_enroll_code(conn, code, key)


def _push(engine, unlocked, device, records: list[tuple[dict, int]]) -> list[str]:
    body = seal_batch(
        unlocked.province.public_bytes(),
        unlocked.active["province"],
        device.id,
        str(uuid.uuid4()),
        [{"id": r["id"], "revision": n, "record": r} for r, n in records],
    )
    results = ingest.ingest(engine, unlocked, device, body, today=TODAY)["results"]
    return [r["outcome"] for r in results]


class Gate:
    """One of ingest's locks, held by the test until `open()`."""

    def __init__(self, engine, space: int, key: bytes) -> None:
        self.space, self.key = space, key
        self.conn = engine.connect()
        self.tx = self.conn.begin()
        advisory_locks(self.conn, [(space, key)])

    def waiting(self) -> int:
        """How many transactions wait for this lock now."""
        with self.conn.engine.connect() as c:
            return c.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND objsubid = 2 AND classid = :space AND objid = :key"
                ),
                {"space": self.space, "key": lock_key(self.key) % 2**32},
            ).scalar_one()

    def open(self) -> None:
        self.tx.rollback()
        self.conn.close()


def _in_thread(fn, *args) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(fn(*args)), daemon=True)
    thread.start()
    return thread, out


def _until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pg_only
def test_a_batch_waiting_for_a_household_does_not_stop_other_batches(engine, initialised, officer):
    first, second = _device(engine, officer), _device(engine, officer)
    x, y = _household(501), _household(502)
    gate = Gate(engine, HOUSEHOLD_LOCKS, x["id"].encode())
    try:
        waiting, out = _in_thread(_push, engine, initialised, first, [(x, 1)])
        _until(lambda: gate.waiting() == 1)
        # One process's global lock would hold this push behind the waiting one.
        assert _push(engine, initialised, second, [(y, 1)]) == ["accepted"]
        assert waiting.is_alive()
    finally:
        gate.open()
    waiting.join(30)
    assert out == [["accepted"]]
    with engine.connect() as conn:
        order = list(conn.scalars(select(changes.c.household_id).order_by(changes.c.seq)))
    assert order == [y["id"], x["id"]]  # seqs in commit order


@pg_only
def test_two_batches_adding_one_kk_at_once_find_each_other(engine, initialised, officer):
    with engine.begin() as conn:
        other_officer = repo.add_officer(conn, "Dewi Petugas", [AREA])
    mine, theirs = _device(engine, officer), _device(engine, other_officer)
    p = _household(511)
    q = _household(512, no_kk=p["no_kk"])
    key_id, token = initialised.blind_token("kk", p["no_kk"])
    gate = Gate(engine, TOKEN_LOCKS, key_id.encode() + b"\0" + token)
    try:
        a, out_a = _in_thread(_push, engine, initialised, mine, [(p, 1)])
        b, out_b = _in_thread(_push, engine, initialised, theirs, [(q, 1)])
        _until(lambda: gate.waiting() == 2)  # both read nothing yet: they wait for the number
    finally:
        gate.open()
    a.join(30), b.join(30)
    assert out_a == out_b == [["accepted"]]
    with engine.connect() as conn:
        pairs = sorted(
            (d.household_id, d.other_household_id, d.kind) for d in conn.execute(select(duplicates))
        )
        cases = conn.execute(select(duplicate_cases)).all()
    assert pairs == sorted([(p["id"], q["id"], "kk"), (q["id"], p["id"], "kk")])
    assert len(cases) == 1


@pg_only
def test_one_household_from_two_laptops_at_once_is_one_revision_and_one_conflict(
    engine, initialised, officer
):
    first, second = _device(engine, officer), _device(engine, officer)
    h = _household(521)
    assert _push(engine, initialised, first, [(h, 1)]) == ["accepted"]
    edit_a = {**h, "kebutuhan": {"layanan": [1], "catatan": "Dari laptop A."}}
    edit_b = {**h, "kebutuhan": {"layanan": [2], "catatan": "Dari laptop B."}}
    gate = Gate(engine, HOUSEHOLD_LOCKS, h["id"].encode())
    try:
        a, out_a = _in_thread(_push, engine, initialised, first, [(edit_a, 2)])
        b, out_b = _in_thread(_push, engine, initialised, second, [(edit_b, 2)])
        _until(lambda: gate.waiting() == 2)
    finally:
        gate.open()
    a.join(30), b.join(30)
    assert sorted(out_a + out_b) == [["accepted"], ["conflict"]]
