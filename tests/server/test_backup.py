"""Backup and restore drill (docs/operations.md): households pushed by a real laptop through
the real API, `khbs-server backup` as a real process, `restore` into a fresh database of the
same kind (SQLite and PostgreSQL); the restored server gives the same `stats --json`, its audit
chain verifies, every household opens with the old server passphrase, and it keeps working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.client import SyncClient
from sync.server import counts, keys, repo
from sync.server.backup import FEED_GAP
from sync.server.db import counters, household_versions, households, open_database
from tests.conftest import PASSPHRASE
from tests.records import numbered
from tests.server.conftest import new_code
from tests.server.test_cli import Server

BACKUP_PASSPHRASE = "brankas-palangka-raya-7"


@pytest.fixture
def pushed(store, live, engine, officer) -> list[dict]:
    client = SyncClient(store, sleep=lambda _s: None, max_attempts=2)
    client.enroll(live.url, new_code(engine, officer))
    records = [numbered(n) for n in (1, 2, 3)]
    for r in records:
        store.save(r)
    assert client.push().synced == len(records)
    with engine.begin() as conn:
        repo.set_household_status(conn, records[1]["id"], "verified", card_number="KHBS-1")
    return records


def backup_key(cli: Server, folder: Path) -> tuple[Path, Path]:
    private, public = folder / "backup-key.private", folder / "backup-key.pub"
    cli.ok(
        "backup-key",
        "new",
        "--private",
        str(private),
        "--public",
        str(public),
        KHBS_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE,
    )
    assert private.stat().st_mode & 0o077 == 0  # the private half: owner only
    return private, public


def opened_households(url: str) -> dict[str, dict]:
    """Every household's current version, opened with the keys the old passphrase unwraps."""
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            unlocked = keys.unlock(conn, PASSPHRASE)
            rows = conn.execute(
                select(household_versions).join(
                    households,
                    (households.c.id == household_versions.c.household_id)
                    & (households.c.revision == household_versions.c.revision),
                )
            ).all()
    finally:
        engine.dispose()
    return {
        row.household_id: json.loads(
            unlocked.open_content(
                row.key_id, row.household_id, row.revision, row.content_hash, row.content
            )
        )
        for row in rows
    }


def test_backup_then_restore_into_a_fresh_database(pushed, db_url, new_url, tmp_path):
    home = tmp_path / "home"
    source = Server(db_url, home)
    source.ok("admin", "add", "--name", "Admin Provinsi")  # an audit entry, sealed
    private, public = backup_key(source, tmp_path)
    out = tmp_path / "khbs-2026-12-03.khbsbak"
    made = json.loads(source.ok("backup", "--out", str(out), "--key", str(public), "--json").stdout)
    assert made["rows"]["households"] == 3 and made["bytes"] == out.stat().st_size
    data = out.read_bytes()
    for secret in (pushed[0]["anggota"][0]["nik"], pushed[0]["anggota"][0]["nama"], "Sari Petugas"):
        assert secret.encode() not in data  # the file is sealed, not just compressed
    assert source.fails("backup", "--out", str(out), "--key", str(public)).endswith(
        "tidak akan ditimpa."
    )

    target_url = new_url()
    target = Server(target_url, home)
    restored = target(
        "restore",
        str(out),
        "--key",
        str(private),
        "--json",
        KHBS_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE,
    )
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["rows"] == made["rows"]

    assert target.ok("stats", "--json").stdout == source.ok("stats", "--json").stdout
    checked = json.loads(target.ok("verify", "--json").stdout)  # the audit chain came whole
    assert checked["counts"]["ok"]  # and the counts, rebuilt from the rows, equal them
    assert not set(made["rows"]) & counts.DERIVED  # the counts are not in the file
    opened = opened_households(target_url)
    assert sorted(opened) == sorted(r["id"] for r in pushed)
    for record in pushed:
        assert opened[record["id"]]["anggota"] == record["anggota"]
    feed = {}
    for name, url in (("source", db_url), ("target", target_url)):
        engine = open_database(url)
        with engine.connect() as conn:
            feed[name] = conn.execute(select(counters.c.value)).scalar_one()
        engine.dispose()
    assert feed["target"] == feed["source"] + FEED_GAP  # past any laptop's pull cursor
    target.ok("admin", "add", "--name", "Admin Baru")  # ids go on after the restored ones
    target.ok("verify")

    # Into a database that holds anything: refused, nothing changed.
    line = target.fails(
        "restore", str(out), "--key", str(private), KHBS_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE
    )
    assert "tidak kosong" in line


def test_a_damaged_backup_or_a_wrong_key_restores_nothing(pushed, db_url, new_url, tmp_path):
    home = tmp_path / "home"
    source = Server(db_url, home)
    private, public = backup_key(source, tmp_path)
    out = tmp_path / "full.khbsbak"
    source.ok("backup", "--out", str(out), "--key", str(public))
    cut = tmp_path / "cut.khbsbak"
    cut.write_bytes(out.read_bytes()[:-40])
    flipped = tmp_path / "flipped.khbsbak"
    raw = bytearray(out.read_bytes())
    raw[-100] ^= 1
    flipped.write_bytes(bytes(raw))

    target_url = new_url()
    target = Server(target_url, home)
    env = {"KHBS_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE}
    for bad in (cut, flipped):
        assert "rusak atau terpotong" in target.fails(
            "restore", str(bad), "--key", str(private), **env
        )
    wrong = target.fails(
        "restore", str(out), "--key", str(private), KHBS_BACKUP_PASSPHRASE="bukan-kata-sandinya"
    )
    assert "salah" in wrong.lower()
    (tmp_path / "other").mkdir()
    other_private, _ = backup_key(source, tmp_path / "other")
    assert "bukan untuk kunci" in target.fails(
        "restore", str(out), "--key", str(other_private), **env
    )
    assert "Traceback" not in target.fails(
        "backup", "--out", str(tmp_path / "x"), "--key", str(out)
    )
    # Nothing was written by the refused restores: the real one still goes in.
    target.ok("restore", str(out), "--key", str(private), **env)
    assert target.ok("stats", "--json").stdout == source.ok("stats", "--json").stdout


def test_key_rotation_keeps_old_households_open(pushed, db_url, tmp_path):
    cli = Server(db_url, tmp_path / "home")
    before = opened_households(db_url)
    made = json.loads(cli.ok("key", "rotate", "--kind", "data", "--json").stdout)
    assert made["kind"] == "data" and len(made["key_id"]) >= 8
    assert opened_households(db_url) == before  # sealed with the retired key, still open
    assert "key.rotate" in cli.ok("audit", "--action", "key.rotate").stdout
    cli.ok("verify")


@pytest.mark.parametrize("db_kind", ["sqlite"])
def test_a_sqlite_trial_moves_to_postgresql(pushed, db_kind, db_url, tmp_path):
    """The backup is logical: a province that started on SQLite restores into PostgreSQL."""
    import uuid

    from sqlalchemy import create_engine

    from tests.server.conftest import PG_BASE, require_postgresql

    require_postgresql()
    home = tmp_path / "home"
    source = Server(db_url, home)
    private, public = backup_key(source, tmp_path)
    out = tmp_path / "trial.khbsbak"
    source.ok("backup", "--out", str(out), "--key", str(public))
    schema = f"khbs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        sep = "&" if "?" in PG_BASE else "?"
        pg_url = f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"
        target = Server(pg_url, home)
        target.ok(
            "restore", str(out), "--key", str(private), KHBS_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE
        )
        assert target.ok("stats", "--json").stdout == source.ok("stats", "--json").stdout
        target.ok("verify")
        assert sorted(opened_households(pg_url)) == sorted(r["id"] for r in pushed)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
