"""The encrypted store on real files: keys, sealing, tampering, audit, migrations."""

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.errors import (
    LockedOut,
    RecordDamaged,
    StaleRevision,
    StoreExists,
    StoreNotFound,
    StoreTooNew,
    WeakPassphrase,
    WrongPassphrase,
    WrongRecoveryCode,
)
from app.province_key import ProvinceKeyPair
from app.store import Store
from app.store.migrations import MIGRATIONS
from app.store.store import unlock_delay
from sync.protocol import escrow_info
from tests.conftest import FAST_KDF, PASSPHRASE


def rec(nik="6271035509150001", kk="6271030101100004", status="final", hid=None, name="Maria Ilas"):
    return {
        "schema_version": 1,
        "id": hid or str(uuid.uuid4()),
        "status": status,
        "no_kk": kk,
        "lokasi": {"kode_desa": "62.71.03.1001"},
        "anggota": [{"nik": nik, "nama": name, "hubungan": 1}],
    }


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


def raw(data_dir):
    return sqlite3.connect(Store.path_in(data_dir))


def test_create_open_save_get(store, data_dir):
    r = rec()
    assert store.save(r) == 1
    store.close()
    with Store.open(data_dir, PASSPHRASE) as again:
        got, revision = again.get(r["id"])
    assert got == r and revision == 1


def test_create_refuses_existing_and_weak(data_dir, store):
    with pytest.raises(StoreExists):
        Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    with pytest.raises(WeakPassphrase):
        Store.create(data_dir.parent / "other", "short", kdf=FAST_KDF)
    with pytest.raises(StoreNotFound):
        Store.open(data_dir.parent / "nowhere", PASSPHRASE)


def test_wrong_passphrase_grows_delay_and_resets(data_dir):
    clock = Clock()
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF, clock=clock).close()
    for attempt in (1, 2):
        with pytest.raises(WrongPassphrase) as exc:
            Store.open(data_dir, "not-the-passphrase", clock=clock)
        assert exc.value.params == {"attempts": attempt, "seconds": 0}
    with pytest.raises(WrongPassphrase) as exc:
        Store.open(data_dir, "not-the-passphrase", clock=clock)
    assert exc.value.params["seconds"] == 1
    assert "Tunggu 1 detik" in exc.value.message("id")
    # Inside the delay even the right passphrase is not tried.
    with pytest.raises(LockedOut):
        Store.open(data_dir, PASSPHRASE, clock=clock)
    clock.now += timedelta(seconds=2)
    with pytest.raises(WrongPassphrase) as exc:
        Store.open(data_dir, "not-the-passphrase", clock=clock)
    assert exc.value.params["seconds"] == 2
    clock.now += timedelta(seconds=3)
    Store.open(data_dir, PASSPHRASE, clock=clock).close()
    with pytest.raises(WrongPassphrase) as exc:  # the count starts again after a success
        Store.open(data_dir, "not-the-passphrase", clock=clock)
    assert exc.value.params["attempts"] == 1
    assert [unlock_delay(n) for n in range(1, 7)] == [0, 0, 1, 2, 4, 8]
    assert unlock_delay(100) == 300


def test_tampered_row_is_reported_and_others_open(store, data_dir):
    a, b, c = rec(nik="6271035509150001"), rec(nik="6271035509150002"), rec(nik="6271035509150003")
    for r in (a, b, c):
        store.save(r)
    store.close()
    with raw(data_dir) as db:
        blob = bytearray(
            db.execute("SELECT record FROM households WHERE id=?", (b["id"],)).fetchone()[0]
        )
        blob[30] ^= 0x01
        db.execute("UPDATE households SET record=? WHERE id=?", (bytes(blob), b["id"]))
    with Store.open(data_dir, PASSPHRASE) as s:
        with pytest.raises(RecordDamaged) as exc:
            s.get(b["id"])
        assert b["id"] in str(exc.value)
        opened = dict(s.records())
        assert opened[a["id"]] == a and opened[c["id"]] == c
        assert isinstance(opened[b["id"]], RecordDamaged)
        report = s.verify()
        assert report.damaged == [b["id"]] and not report.ok
        assert len(s.rows()) == 3  # the list still shows every household


def test_moved_ciphertext_fails_to_open(store, data_dir):
    a, b = rec(nik="6271035509150001"), rec(nik="6271035509150002")
    store.save(a)
    store.save(b)
    store.close()
    with raw(data_dir) as db:
        blob_a = db.execute("SELECT record FROM households WHERE id=?", (a["id"],)).fetchone()[0]
        db.execute("UPDATE households SET record=? WHERE id=?", (blob_a, b["id"]))
    with Store.open(data_dir, PASSPHRASE) as s:
        with pytest.raises(RecordDamaged):
            s.get(b["id"])
        assert s.get(a["id"])[0] == a
    # An old revision replayed onto the row fails too: the revision is bound in.
    with raw(data_dir) as db:
        db.execute("UPDATE households SET record=? WHERE id=?", (blob_a, a["id"]))
        db.execute("UPDATE households SET revision=revision+1 WHERE id=?", (a["id"],))
    with Store.open(data_dir, PASSPHRASE) as s:
        with pytest.raises(RecordDamaged):
            s.get(a["id"])


def test_change_passphrase(store, data_dir):
    r = rec()
    store.save(r)
    store.change_passphrase("sungai-barito-9")
    store.close()
    with pytest.raises(WrongPassphrase):
        Store.open(data_dir, PASSPHRASE)
    with Store.open(data_dir, "sungai-barito-9") as s:
        assert s.get(r["id"])[0] == r


def test_forgotten_passphrase_recovered_through_province_escrow(store, data_dir):
    province = ProvinceKeyPair.generate()
    r = rec()
    store.save(r)
    kid = store.set_province_key(province.public_bytes())
    assert kid == province.key_id
    key_id, blob = store.escrow()
    store.close()
    # The officer forgot the passphrase; the province unseals the escrowed data key.
    data_key = province.open(blob, escrow_info(Store_id(data_dir)))
    with pytest.raises(WrongRecoveryCode):
        Store.recover(data_dir, b"\x00" * 32, "new-passphrase-1")
    Store.recover(data_dir, data_key, "new-passphrase-1").close()
    with Store.open(data_dir, "new-passphrase-1") as s:
        assert s.get(r["id"])[0] == r
        assert [e.action for e in s.audit.entries()][-2:] == ["store.recover", "store.unlock"]


def Store_id(data_dir):
    with raw(data_dir) as db:
        return db.execute("SELECT value FROM meta WHERE key='store_id'").fetchone()[0]


def test_revisions_grow_and_stale_save_is_refused(store):
    r = rec(status="draft")
    assert store.save(r) == 1
    assert store.save(dict(r, no_kk="6271030101100005"), expected_revision=1) == 2
    with pytest.raises(StaleRevision):
        store.save(r, expected_revision=1)
    assert store.get(r["id"]) == (dict(r, no_kk="6271030101100005"), 2)


def test_one_transaction_writes_record_outbox_audit(store, data_dir):
    draft = rec(status="draft")
    store.save(draft)
    assert store.status_counts()["pending_sync"] == 0
    store.save(dict(draft, status="final"))
    with raw(data_dir) as db:
        assert db.execute("SELECT household_id, revision FROM outbox").fetchall() == [
            (draft["id"], 2)
        ]
        actions = db.execute(
            "SELECT action, revision FROM audit WHERE record_id=? ORDER BY seq", (draft["id"],)
        ).fetchall()
    assert actions == [("household.draft", 1), ("household.finalise", 2)]
    counts = store.status_counts()
    assert counts["households"] == 1 and counts["pending_sync"] == 1
    assert counts["by_status"] == {"final": 1}
    # Reopened as a draft, it leaves the outbox: only final households are sent.
    store.save(dict(draft, status="draft"))
    assert store.status_counts()["pending_sync"] == 0


def test_blind_index_follows_edits(store):
    r = rec(nik="6271035509150001", kk="6271030101100004")
    store.save(r)
    assert store.households_with("nik", "6271035509150001") == {r["id"]}
    assert store.households_with("kk", "6271030101100004") == {r["id"]}
    edited = dict(r, anggota=[dict(r["anggota"][0], nik="6271035509150009")])
    store.save(edited)
    assert store.households_with("nik", "6271035509150001") == set()
    assert store.households_with("nik", "6271035509150009") == {r["id"]}
    # Tokens are keyed: the stored bytes are not a plain hash of the NIK.
    import hashlib

    with sqlite3.connect(store.path_in(store_dir(store))) as db:
        tokens = {t for (t,) in db.execute("SELECT token FROM lookup")}
    assert hashlib.sha256(b"nik:6271035509150009").digest()[:16] not in tokens


def store_dir(s):
    return (
        __import__("pathlib").Path(s.db.conn.execute("PRAGMA database_list").fetchone()[2]).parent
    )


def test_audit_tampering_is_detected(store, data_dir):
    r = rec()
    store.save(r)
    store.save(r)
    assert store.verify().ok
    store.close()
    with raw(data_dir) as db:
        db.execute(
            "UPDATE audit SET action='household.draft'"
            " WHERE action='household.finalise' AND revision=1"
        )
    with Store.open(data_dir, PASSPHRASE) as s:
        report = s.verify()
        assert report.audit_broken and not report.ok
    # Cutting the last entries off is caught by the household whose revision lost its entry.
    with raw(data_dir) as db:
        db.execute("UPDATE audit SET action='household.finalise' WHERE action='household.draft'")
        last = db.execute("SELECT max(seq) FROM audit WHERE record_id=?", (r["id"],)).fetchone()[0]
        db.execute("DELETE FROM audit WHERE seq >= ?", (last,))
    with Store.open(data_dir, PASSPHRASE) as s:
        report = s.verify()
        assert report.unaudited == [r["id"]] and not report.ok


def test_migrations_are_recorded_and_newer_store_refused(store, data_dir):
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    store.close()
    with raw(data_dir) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreTooNew):
        Store.open(data_dir, PASSPHRASE)


def test_durability_settings(store):
    pragma = lambda name: store.db.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("secure_delete") == 1
    assert pragma("temp_store") == 2  # MEMORY


def test_secrets_are_sealed(store, data_dir):
    store.set_officer("officer-7", ["62.12"])
    assert store.assigned_areas() == ["62.12"]
    assert store.actor == "officer-7"
    with raw(data_dir) as db:
        (blob,) = db.execute("SELECT value FROM secrets WHERE name='officer'").fetchone()
    assert b"62.12" not in blob


def test_rows_carry_the_sealed_summary(store):
    r = rec(name="Yohanes\tIlas")
    store.save(r)
    (row,) = store.rows()
    assert (row.id, row.status, row.sync_state, row.kode_desa) == (
        r["id"],
        "final",
        "pending",
        "62.71.03.1001",
    )
    assert row.kk == r["no_kk"] and row.head == "Yohanes Ilas"  # control characters flattened
    assert row.members == [("Yohanes Ilas", "6271035509150001")]
