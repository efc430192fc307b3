"""Forgotten passphrase, end to end: the laptop enrolls and syncs (its key escrow reaches the
province, even with nothing to send), the officer forgets the passphrase, the province turns
the laptop's store id into a recovery code, and `khbs recover` sets a new passphrase with
every household still there."""

from __future__ import annotations

import json

import pytest

from app.recovery import format_code, parse_code
from app.store import Store
from sync.client import SyncClient
from sync.server.db import devices
from sync.server.recovery import NoEscrow, recovery_code
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.server.conftest import new_code
from tests.server.test_cli import Server
from tests.test_cli import NEW_PASSPHRASE, Khbs


def test_escrow_reaches_the_province_at_the_first_sync_even_with_nothing_to_send(
    live, engine, officer, store, initialised
):
    client = SyncClient(store, sleep=lambda _s: None)
    client.enroll(live.url, new_code(engine, officer))
    assert client.push().sent == 0
    with engine.connect() as conn:
        assert conn.execute(devices.select().where(devices.c.escrow_blob.is_not(None))).first()
        device_id, code = recovery_code(conn, initialised, store.store_id)
    assert device_id == client.device().device_id
    assert parse_code(code) == store._data_key
    assert client._escrow_to_send() is None  # sent once, not with every sync


def test_forgotten_passphrase_recovered_with_the_province_code(
    live, engine, officer, db_url, tmp_path
):
    data_dir = tmp_path / "laptop"
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as store:
        client = SyncClient(store, sleep=lambda _s: None)
        client.enroll(live.url, new_code(engine, officer))
        store.save(numbered(1))
        store.save(numbered(2))
        assert client.sync().synced == 2
        store_id = store.store_id
    khbs = Khbs(data_dir, tmp_path)
    before = khbs.dump(tmp_path / "before.jsonl")

    # The officer reads the store id from `khbs recover`; a wrong code changes nothing.
    shown = khbs.fails(
        "recover",
        passphrase=None,
        KHBS_RECOVERY_CODE="AAAA-BBBB",
        KHBS_NEW_PASSPHRASE=NEW_PASSPHRASE,
    )
    assert store_id in shown.stderr and "tidak cocok" in shown.stderr
    other_key = format_code(b"\x07" * 32)  # well-formed, but not this laptop's key
    khbs.fails(
        "recover", passphrase=None, KHBS_RECOVERY_CODE=other_key, KHBS_NEW_PASSPHRASE=NEW_PASSPHRASE
    )
    khbs.ok("status", passphrase=PASSPHRASE)  # the old passphrase still opens it

    server = Server(db_url, tmp_path / "home")
    code = json.loads(server.ok("device", "recover", "--store", store_id, "--json").stdout)[
        "recovery_code"
    ]
    assert "00000000" in server.fails(
        "device", "recover", "--store", "00000000-0000-0000-0000-000000000000"
    )
    from sqlalchemy import select

    from sync.server.db import audit_log

    with engine.connect() as conn:  # the province's record of who gave out which laptop's key
        (entry,) = conn.execute(select(audit_log).where(audit_log.c.action == "device.recover"))
    assert code not in entry.detail and store_id not in entry.detail

    khbs.ok(
        "recover",
        passphrase=None,
        KHBS_RECOVERY_CODE=code.lower(),
        KHBS_NEW_PASSPHRASE=NEW_PASSPHRASE,
    )
    khbs.fails("status", passphrase=PASSPHRASE)  # the forgotten one no longer opens it
    khbs.ok("dump", "--out", str(tmp_path / "after.jsonl"), passphrase=NEW_PASSPHRASE)
    assert (tmp_path / "after.jsonl").read_bytes() == before


def test_no_escrow_for_an_unknown_store(engine, initialised):
    with engine.connect() as conn, pytest.raises(NoEscrow):
        recovery_code(conn, initialised, "not-a-store")
