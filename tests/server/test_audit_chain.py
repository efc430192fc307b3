"""The server's audit log is tamper-evident (sync/server/audit.py; docs/security.md, "The
server's audit log"), on SQLite and PostgreSQL: an entry edited, deleted, moved, added or
re-sealed in the database is found by `khbs-server verify`; appends from several connections
at once keep one chain; entries from before the chain are chained at upgrade; a process that
did not unlock the keys cannot write the log; the console reads it within its scope."""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, insert, select, text, update

from sync.server import keys, repo
from sync.server.admins import audit
from sync.server.audit import (
    AuditKeyMissing,
    chain_hash,
    entries,
    entry_bytes,
    verify,
)
from sync.server.db import audit_log, households, open_database, read_snapshot, utc_now
from sync.server.migrations import config, migrate
from sync.server.scope import Scope
from tests.conftest import PASSPHRASE
from tests.server import legacy_schema
from tests.server.test_cli import Server

N = 6


def write(engine, n: int, start: int = 0) -> list[int]:
    with engine.begin() as conn:
        return [audit(conn, "server-cli", "test.entry", {"n": start + i}) for i in range(n)]


def checked(engine, server_keys):
    with read_snapshot(engine) as conn:
        return verify(conn, server_keys)


def rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(audit_log).order_by(audit_log.c.id)).all()


def rehash_from(engine, seq: int) -> None:
    """What someone who can write the database but has no key can do: recompute the hash
    chain from `seq` on, so every link holds again."""
    found = rows(engine)
    prev = bytes(found[seq - 2].hash) if seq > 1 else bytes(32)
    with engine.begin() as conn:
        for row in found[seq - 1 :]:
            prev = chain_hash(
                prev,
                entry_bytes(
                    row.id,
                    row.at,
                    row.actor,
                    row.action,
                    row.officer_id,
                    row.household_id,
                    row.detail,
                ),
            )
            conn.execute(update(audit_log).where(audit_log.c.id == row.id).values(hash=prev))


@pytest.fixture
def logged(engine, initialised):
    assert write(engine, N) == list(range(1, N + 1))
    return engine


@pytest.fixture
def cli(db_url, tmp_path) -> Server:
    return Server(db_url, tmp_path / "home")


# -- khbs-server verify ---------------------------------------------------------------------------


def swap(conn, a: int, b: int) -> None:
    conn.execute(update(audit_log).where(audit_log.c.id == a).values(id=-1))
    conn.execute(update(audit_log).where(audit_log.c.id == b).values(id=a))
    conn.execute(update(audit_log).where(audit_log.c.id == -1).values(id=b))


TAMPERING = {
    "edited": (
        lambda conn: conn.execute(
            update(audit_log).where(audit_log.c.id == 3).values(detail='{"n": 99}')
        ),
        3,
    ),
    "deleted": (lambda conn: conn.execute(delete(audit_log).where(audit_log.c.id == 3)), 4),
    "reordered": (lambda conn: swap(conn, 2, 3), 2),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_verify_finds_an_edited_deleted_or_reordered_entry(cli, logged, how):
    proc = cli("verify", "--json")
    before = json.loads(proc.stdout)
    assert proc.returncode == 0 and before["ok"] and before["first_broken"] is None
    assert (before["entries"], before["sealed"], before["before_chain"]) == (N, N, 0)
    assert before["head"]["seq"] == N

    tamper, first = TAMPERING[how]
    with logged.begin() as conn:
        tamper(conn)
    proc = cli("verify", "--json")
    found = json.loads(proc.stdout)
    assert proc.returncode == 1 and not found["ok"]
    assert found["first_broken"] == {"seq": first, "reason": "changed"}
    shown = cli("verify")
    assert shown.returncode == 1
    assert f"RUSAK mulai entri #{first}" in shown.stderr
    assert "diubah, dihapus atau dipindah" in shown.stderr


def strip(conn, *seqs: int) -> None:
    conn.execute(update(audit_log).where(audit_log.c.id.in_(seqs)).values(key_id=None, mac=None))


def append_unsealed(engine, key_id=None, mac=None) -> None:
    last = rows(engine)[-1]
    at = utc_now()
    detail = '{"n": 7}'
    digest = chain_hash(
        bytes(last.hash),
        entry_bytes(last.id + 1, at, "server-cli", "test.entry", None, None, detail),
    )
    with engine.begin() as conn:
        conn.execute(
            insert(audit_log).values(
                id=last.id + 1,
                at=at,
                actor="server-cli",
                action="test.entry",
                detail=detail,
                hash=digest,
                key_id=key_id,
                mac=mac,
            )
        )


def test_a_writer_without_the_key_cannot_make_entries_that_pass(logged, initialised):
    """Every forgery that keeps the hash chain whole still fails on the seals."""
    engine, server_keys = logged, initialised
    assert checked(engine, server_keys).ok

    def broken() -> tuple[int, str]:
        result = checked(engine, server_keys)
        assert not result.ok
        return result.broken[0]

    # Edit an entry and recompute the hashes after it: the seals no longer fit.
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(actor="admin:x"))
    assert broken() == (3, "changed")
    rehash_from(engine, 3)
    assert broken() == (3, "bad_seal")
    # ... and remove the seals that no longer fit: entries without a seal after sealed ones.
    with engine.begin() as conn:
        strip(conn, 3, 4, 5, 6)
    assert broken() == (3, "unsealed")
    assert checked(engine, server_keys).broken == [(s, "unsealed") for s in (3, 4, 5, 6)]


@pytest.mark.parametrize(
    "how",
    [
        "strip_last",
        "append_unsealed",
        "append_forged_seal",
        "unknown_key",
        "officer_changed",
        "time_changed",
    ],
)
def test_each_forgery_is_named(logged, initialised, how):
    engine = logged
    active = initialised.active["data"]
    expected = {
        "strip_last": (N, "unsealed"),
        "append_unsealed": (N + 1, "unsealed"),
        "append_forged_seal": (N + 1, "bad_seal"),
        "unknown_key": (4, "unknown_key"),
        "officer_changed": (2, "changed"),
        "time_changed": (5, "changed"),
    }[how]
    with engine.begin() as conn:
        if how == "strip_last":
            strip(conn, N)
        elif how == "unknown_key":
            conn.execute(update(audit_log).where(audit_log.c.id == 4).values(key_id="f" * 16))
        elif how == "officer_changed":  # would show the entry to another regency's console
            conn.execute(
                update(audit_log)
                .where(audit_log.c.id == 2)
                .values(officer_id="00000000-0000-0000-0000-000000000000")
            )
        elif how == "time_changed":
            conn.execute(
                update(audit_log)
                .where(audit_log.c.id == 5)
                .values(at=utc_now() - timedelta(days=1))
            )
    if how == "append_unsealed":
        append_unsealed(engine)
    elif how == "append_forged_seal":
        append_unsealed(engine, key_id=active, mac=os.urandom(32))
    assert checked(engine, initialised).broken[0] == expected


# -- several writers ------------------------------------------------------------------------------


def test_concurrent_appends_keep_one_chain(logged, initialised):
    """Writers on separate connections (as separate API processes are on PostgreSQL) append at
    the same moment: every entry lands, in one unbroken chain, numbered without gaps."""
    engine, threads, each = logged, 4, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                with engine.begin() as conn:
                    audit(conn, f"device:{k}", "test.parallel", {"n": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert errors == []
    result = checked(engine, initialised)
    assert result.ok and result.entries == result.sealed == N + threads * each
    assert [r.id for r in rows(engine)] == list(range(1, N + threads * each + 1))


# -- the key -------------------------------------------------------------------------------------


def test_a_process_that_did_not_unlock_cannot_write_the_log(db_url, cli):
    cli.ok("init")  # in another process: this one has never held these keys
    engine = open_database(db_url)
    try:
        with pytest.raises(AuditKeyMissing) as refused, engine.begin() as conn:
            audit(conn, "server-cli", "test.entry", {})
        assert "kata sandi" in refused.value.message("id")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 0
            keys.unlock(conn, PASSPHRASE)
        assert write(engine, 1) == [1]
        assert cli("verify").returncode == 0
    finally:
        engine.dispose()


def test_entries_after_a_data_key_rotation_verify(logged, initialised, engine):
    with engine.begin() as conn:
        keys.rotate(conn, PASSPHRASE, "data")
    write(engine, 2, start=N)
    with engine.connect() as conn:
        unlocked = keys.unlock(conn, PASSPHRASE)
    result = checked(engine, unlocked)
    assert result.ok and result.sealed == N + 2
    assert len({r.key_id for r in rows(engine)}) == 2


# -- upgrade --------------------------------------------------------------------------------------


def test_entries_from_before_the_chain_are_chained_at_upgrade(engine, initialised):
    """A database at 0003 has plain audit rows. Revision 0004 chains them (no key there, so no
    seal); the first sealed entry after it vouches for them."""
    with engine.begin() as conn:
        # 0006 keeps a signing key from being downgraded away (it signed versions); a database
        # at 0003 never had one.
        conn.execute(text("DELETE FROM server_keys WHERE kind = 'signing'"))
        command.downgrade(config(conn), "0003")
        conn.execute(
            insert(legacy_schema.audit_log),
            [
                {
                    "id": i,
                    "at": utc_now() - timedelta(days=10 - i),
                    "actor": "server-cli",
                    "action": "export",
                    "detail": json.dumps({"households": i}),
                }
                for i in (1, 2, 3)
            ],
        )
    migrate(engine)
    result = checked(engine, initialised)
    assert result.ok and (result.entries, result.sealed, result.before_chain) == (3, 0, 3)
    assert write(engine, 1) == [4]
    result = checked(engine, initialised)
    assert result.ok and (result.sealed, result.before_chain) == (1, 3)

    with engine.begin() as conn:  # an old entry changed: the chain breaks there
        conn.execute(
            update(audit_log)
            .where(audit_log.c.id == 2)
            .values(detail=json.dumps({"households": 0}))
        )
    assert checked(engine, initialised).broken[0] == (2, "changed")
    rehash_from(engine, 2)  # and the hashes mended: the seal on entry 4 gives it away
    assert checked(engine, initialised).broken == [(4, "bad_seal")]


# -- reading, scoped ------------------------------------------------------------------------------


def test_the_console_reads_entries_within_its_scope(engine, initialised):
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with engine.begin() as conn:
        ani = repo.add_officer(conn, "Ani", ["62.71.03"])
        budi = repo.add_officer(conn, "Budi", ["62.01"])
        laptop = repo.redeem_enroll_code(conn, repo.create_enroll_code(conn, budi).code, key).id
        now = utc_now()
        conn.execute(
            insert(households).values(
                id="h-palangka",
                officer_id=budi,
                kode_desa="62.71.03.1001",
                kode_kab="62.71",
                revision=1,
                content_hash=bytes(32),
                received_at=now,
                updated_at=now,
                status_at=now,
            )
        )
    with engine.begin() as conn:
        audit(conn, "user:1", "officer.add", {"officer_id": ani})
        audit(conn, "device:x", "escrow.refused", {"device_id": laptop, "reason": "foreign"})
        audit(conn, "user:1", "household.view", {"household_id": "h-palangka"})
        audit(conn, "admin:9", "export", {"households": 3})

    def seqs(scope, **kw) -> list[int]:
        with engine.connect() as conn:
            return [e.seq for e in entries(conn, scope, **kw)]

    assert seqs(Scope.province()) == [4, 3, 2, 1]
    with engine.connect() as conn:
        refused = entries(conn, Scope.province(), action="escrow.refused")[0]
    assert (refused.officer_id, refused.detail) == (
        budi,
        {"device_id": laptop, "reason": "foreign"},
    )
    # A household in Palangka Raya shows there even though its officer works elsewhere.
    assert seqs(Scope.of("regency", ["62.71"])) == [3, 1]
    assert seqs(Scope.of("regency", ["62.01"])) == [2]
    assert seqs(Scope.of("supervisor", ["62.71.01"])) == []
    assert seqs(Scope.province(), actor="user:1") == [3, 1]
    assert seqs(Scope.province(), officer_id=budi) == [2]
    assert seqs(Scope.province(), household_id="h-palangka") == [3]
    assert seqs(Scope.province(), before=3, limit=1) == [2]
    assert seqs(
        Scope.province(),
        since=utc_now() - timedelta(minutes=5),
        until=utc_now() + timedelta(minutes=5),
    ) == [4, 3, 2, 1]
    assert seqs(Scope.province(), until=utc_now() - timedelta(minutes=5)) == []
    assert seqs(Scope.of("regency", ["62.71"]), action="export") == []
