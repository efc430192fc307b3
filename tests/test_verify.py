"""What `khbs verify` sees beyond the ciphertexts: deleted rows, plaintext columns edited with
raw sqlite3, a send queue that lost an entry, a rolled-back row; and a keyring whose Argon2id
cost was raised so unlock would hang. Real encrypted stores on real files, edited the way an
attacker holding the file would (docs/security.md, Threat model)."""

from __future__ import annotations

import sqlite3

import pytest

from app import errors, households
from app.cli import main
from app.crypto import DecryptError, KdfParams, derive_kek, open_sealed, seal
from app.province_key import ProvinceKeyPair
from app.store import Store
from app.store.migrations import MIGRATIONS, m005_row_macs
from app.store.outbox import apply_events, apply_results
from tests import records
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.test_assigned import away, candidate, listed, pull

CARD = "KHBS-62-0041"


@pytest.fixture(scope="module")
def key():
    return ProvinceKeyPair.generate()


def raw(data_dir, sql: str, params: tuple = ()) -> None:
    """An edit made outside the app, with the sqlite3 command line's equivalent."""
    db = sqlite3.connect(Store.path_in(data_dir))
    try:
        db.execute(sql, params)
        db.commit()
    finally:
        db.close()


def reopen(data_dir) -> Store:
    return Store.open(data_dir, PASSPHRASE)


def final(store, n: int) -> str:
    rec = records.numbered(n)
    households.finalise(store, rec, today=records.TODAY)
    return rec["id"]


def synced_with_marks(store, n: int) -> str:
    """A final household the province took, verified, gave a card and found a duplicate NIK of:
    every plaintext column filled in by a real code path."""
    hid = final(store, n)
    apply_results(store, [{"id": hid, "revision": 1, "outcome": "accepted"}])
    apply_events(
        store,
        [
            {
                "seq": 1,
                "type": "status",
                "household_id": hid,
                "revision": 1,
                "status": "verified",
                "reason": None,
                "card_number": CARD,
            },
            {
                "seq": 2,
                "type": "duplicate",
                "household_id": hid,
                "kind": "nik",
                "other_household_id": "7d7c5a53-0000-4000-8000-000000000001",
            },
        ],
        cursor=2,
    )
    return hid


def verify_cli(data_dir, monkeypatch, capsys, lang: str = "id") -> tuple[int, str]:
    monkeypatch.setenv("KHBS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KHBS_LANG", lang)
    code = main(["verify"])
    return code, capsys.readouterr().out


# -- deleted rows -----------------------------------------------------------------------------


def test_deleted_household_row_is_reported_by_id(store, data_dir, monkeypatch, capsys):
    kept, gone, draft = final(store, 1), final(store, 2), records.numbered(3)["id"]
    households.save_draft(store, records.numbered(3))
    assert store.verify().ok
    store.close()
    raw(data_dir, "DELETE FROM households WHERE id = ?", (gone,))
    raw(data_dir, "DELETE FROM households WHERE id = ?", (draft,))
    with reopen(data_dir) as s:
        report = s.verify()
    assert not report.ok
    assert report.missing == sorted([gone, draft])
    assert kept not in report.missing + report.altered + report.unqueued
    # Its leftover outbox entry and index tokens are the same finding, said once.
    assert report.unqueued == [] and report.altered == []
    code, out = verify_cli(data_dir, monkeypatch, capsys)
    assert code != 0
    assert f"Hilang: keluarga {gone} ada di log audit" in out
    assert "2 hilang" in out and "Ada masalah" in out
    code, out = verify_cli(data_dir, monkeypatch, capsys, lang="en")
    assert f"Missing: household {draft} is in the audit log" in out


def test_deleted_row_with_its_index_and_queue_is_still_missing(store, data_dir):
    hid = final(store, 1)
    store.close()
    for table, column in (
        ("households", "id"),
        ("lookup", "household_id"),
        ("outbox", "household_id"),
    ):
        raw(data_dir, f"DELETE FROM {table} WHERE {column} = ?", (hid,))
    with reopen(data_dir) as s:
        assert not s.verify().ok
        assert s.verify().missing == [hid]


def test_released_household_is_not_missing(store, key):
    """Giving a household up (an audited release) removes it legitimately."""
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    pull(store, key, [{"seq": 2, "type": "release", "household_id": rec["id"]}])
    assert store.rows() == []
    report = store.verify()
    assert report.missing == [] and report.ok


# -- plaintext columns edited ------------------------------------------------------------------

EDITS = [
    ("status", "UPDATE households SET status = 'draft' WHERE id = ?"),
    ("kode_desa", "UPDATE households SET kode_desa = '62.71.03.1002' WHERE id = ?"),
    ("sync_state", "UPDATE households SET sync_state = 'pending' WHERE id = ?"),
    ("sync_reason", "UPDATE households SET sync_reason = NULL WHERE id = ?"),
    ("province_duplicates", "UPDATE households SET province_duplicates = NULL WHERE id = ?"),
    ("card", "UPDATE households SET card = NULL WHERE id = ?"),
    ("created_at", "UPDATE households SET created_at = '2020-01-01T00:00:00.000000Z' WHERE id = ?"),
    ("updated_at", "UPDATE households SET updated_at = '2030-01-01T00:00:00.000000Z' WHERE id = ?"),
    ("mac", "UPDATE households SET mac = NULL WHERE id = ?"),
    ("lookup", "DELETE FROM lookup WHERE household_id = ?"),
]


@pytest.mark.parametrize("column,sql", EDITS, ids=[e[0] for e in EDITS])
def test_edited_plaintext_column_is_reported_by_id(store, data_dir, column, sql):
    victim, other = synced_with_marks(store, 1), final(store, 2)
    assert store.verify().ok
    store.close()
    raw(data_dir, sql, (victim,))
    with reopen(data_dir) as s:
        report = s.verify()
        assert not report.ok, column
        assert report.altered == [victim]
        assert other not in report.altered
        assert report.damaged == [] and report.missing == []  # every record still opens


def test_edits_through_the_cli(store, data_dir, monkeypatch, capsys):
    victim = final(store, 1)
    store.close()
    raw(
        data_dir,
        "UPDATE households SET status = 'draft', kode_desa = '62.71.03.1002',"
        " sync_state = 'local' WHERE id = ?",
        (victim,),
    )
    code, out = verify_cli(data_dir, monkeypatch, capsys)
    assert code != 0
    assert f"Diubah di luar aplikasi: keluarga {victim}" in out
    assert "1 diubah di luar aplikasi" in out and "Semua baik" not in out


def test_deleted_outbox_entry_is_a_final_that_would_never_sync(store, data_dir):
    waiting, sent = final(store, 1), final(store, 2)
    apply_results(store, [{"id": sent, "revision": 1, "outcome": "accepted"}])
    store.close()
    raw(data_dir, "DELETE FROM outbox WHERE household_id = ?", (waiting,))
    with reopen(data_dir) as s:
        report = s.verify()
        assert not report.ok
        assert report.unqueued == [waiting]
        assert report.altered == []  # the household row itself is as the app left it
    # Queued for another revision, it would be skipped by every push: the same finding.
    raw(data_dir, "INSERT INTO outbox VALUES (?, 7, '2026-11-29T08:00:00.000000Z')", (waiting,))
    with reopen(data_dir) as s:
        assert s.verify().unqueued == [waiting]


def test_rolled_back_row_is_reported(store, data_dir):
    """The whole row put back as it was one save earlier (its MAC was valid then)."""
    rec = records.numbered(1)
    households.save_draft(store, rec)
    columns = [c[1] for c in store.db.execute("PRAGMA table_info(households)")]
    old = store.db.execute(f"SELECT {', '.join(columns)} FROM households").fetchone()
    households.save_draft(store, rec, expected_revision=1)
    store.close()
    raw(
        data_dir,
        f"UPDATE households SET ({', '.join(columns)}) = ({', '.join('?' * len(columns))})"
        " WHERE id = ?",
        (*old, rec["id"]),
    )
    with reopen(data_dir) as s:
        assert s.get(rec["id"])[1] == 1  # it opens: the ciphertext is genuine, only old
        assert not s.verify().ok
        assert s.verify().altered == [rec["id"]]


ASSIGNED_EDITS = [
    ("released", "UPDATE assigned SET released = 1 WHERE household_id = ?"),
    (
        "pending dropped",
        "UPDATE assigned SET pending = NULL, pending_revision = NULL WHERE household_id = ?",
    ),
    (
        "pending made origin",
        "UPDATE assigned SET origin = pending, revision = pending_revision WHERE household_id = ?",
    ),
    ("row deleted", "DELETE FROM assigned WHERE household_id = ?"),
]


@pytest.mark.parametrize("what,sql", ASSIGNED_EDITS, ids=[e[0] for e in ASSIGNED_EDITS])
def test_edited_listing_is_reported(store, data_dir, key, what, sql):
    rec = listed()
    pull(store, key, [candidate(key, rec)])
    households.save_draft(store, dict(rec, no_kk="6271030101888888"), expected_revision=1)
    pull(store, key, [candidate(key, listed(no_kk="6271030101999999"), revision=2, seq=2)])
    assert store.verify().ok
    store.close()
    raw(data_dir, sql, (rec["id"],))
    with reopen(data_dir) as s:
        assert not s.verify().ok, what
        assert s.verify().altered == [rec["id"]]


def test_an_altered_row_stays_reported_after_later_writes(store, data_dir):
    """The app never signs over an alteration: a later sync or save keeps the row reported."""
    hid = final(store, 1)
    store.close()
    raw(data_dir, "UPDATE households SET kode_desa = '62.71.03.1002' WHERE id = ?", (hid,))
    with reopen(data_dir) as s:
        apply_results(s, [{"id": hid, "revision": 1, "outcome": "accepted"}])
        assert s.verify().altered == [hid]
        households.finalise(s, records.numbered(1), expected_revision=1, today=records.TODAY)
        assert s.verify().altered == [hid]


# -- every legitimate write keeps verify clean -------------------------------------------------


def test_every_code_path_that_writes_a_row_keeps_verify_clean(store, key):
    def clean():
        report = store.verify()
        assert report.ok, report

    mine = final(store, 1)
    households.save_draft(store, records.numbered(2))
    clean()
    apply_results(store, [{"id": mine, "revision": 1, "outcome": "conflict", "reason": "x"}])
    clean()
    households.finalise(store, records.numbered(1), expected_revision=1, today=records.TODAY)
    apply_results(store, [{"id": mine, "revision": 2, "outcome": "accepted"}])
    apply_events(
        store,
        [
            {
                "seq": 1,
                "type": "status",
                "household_id": mine,
                "revision": 2,
                "status": "rejected",
                "reason": "outside_area",
                "card_number": CARD,
            },
            {
                "seq": 2,
                "type": "duplicate",
                "household_id": mine,
                "kind": "kk",
                "other_household_id": "7d7c5a53-0000-4000-8000-000000000002",
            },
            {
                "seq": 3,
                "type": "duplicate",
                "household_id": "7d7c5a53-0000-4000-8000-000000000003",
                "kind": "nik",
                "other_household_id": mine,
            },  # a household not on this laptop
        ],
        cursor=3,
    )
    clean()
    households.save_draft(store, records.numbered(1), expected_revision=2)  # card, dups kept
    clean()
    # From the province's list: assigned, edited, a newer version kept aside, resolved,
    # released while unsent, finalised, sent, purged.
    rec = listed(5)
    pull(store, key, [candidate(key, rec, seq=4)])
    households.save_draft(store, dict(rec, no_kk="6271030101888888"), expected_revision=1)
    theirs = listed(5, lokasi={"kode_desa": records.DESA, "alamat": "Jalan Garuda 3"})
    pull(store, key, [candidate(key, theirs, revision=2, seq=5)])
    clean()
    from app.store import assigned

    merged = dict(theirs, no_kk="6271030101888888")  # the officer keeps their KK number
    revision = assigned.resolve(store, rec["id"], merged, expected_revision=2, province_revision=2)
    clean()
    pull(store, key, [{"seq": 6, "type": "release", "household_id": rec["id"]}])
    assert next(r for r in store.rows() if r.id == rec["id"]).released
    clean()
    _, revision = households.finalise(
        store, away(merged), expected_revision=revision, today=records.TODAY
    )
    apply_results(store, [{"id": rec["id"], "revision": revision, "outcome": "accepted"}])
    assert rec["id"] not in {r.id for r in store.rows()}  # given up now the province has it
    clean()
    households.add_demo(store, 3, seed=1)
    store.change_passphrase("sungai-barito-2027")
    clean()


# -- the key derivation's cost ------------------------------------------------------------------

KDF_TAMPERING = [
    (
        "memory 4 GiB",
        "UPDATE keyring SET kdf = ?",
        '{"iterations": 2, "lanes": 1, "memory_kib": 4194304}',
    ),
    (
        "1000 passes",
        "UPDATE keyring SET kdf = ?",
        '{"iterations": 1000, "lanes": 1, "memory_kib": 19456}',
    ),
    ("lanes", "UPDATE keyring SET kdf = ?", '{"iterations": 2, "lanes": 64, "memory_kib": 19456}'),
    (
        "memory too small",
        "UPDATE keyring SET kdf = ?",
        '{"iterations": 2, "lanes": 1, "memory_kib": 8}',
    ),
    (
        "no passes",
        "UPDATE keyring SET kdf = ?",
        '{"iterations": 0, "lanes": 1, "memory_kib": 19456}',
    ),
    ("text", "UPDATE keyring SET kdf = ?", '{"iterations": "2", "lanes": 1, "memory_kib": 19456}'),
    (
        "extra field",
        "UPDATE keyring SET kdf = ?",
        '{"iterations": 2, "lanes": 1, "memory_kib": 19456, "threads": 1}',
    ),
    ("not json", "UPDATE keyring SET kdf = ?", "argon2id$m=19456"),
    ("huge salt", "UPDATE keyring SET salt = ?", b"\x00" * 10_000_000),
    ("short salt", "UPDATE keyring SET salt = ?", b"\x00" * 4),
]


@pytest.mark.parametrize("what,sql,value", KDF_TAMPERING, ids=[t[0] for t in KDF_TAMPERING])
def test_kdf_out_of_bounds_is_refused_before_argon2id_runs(data_dir, monkeypatch, what, sql, value):
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    raw(data_dir, sql, (value,))

    def argon2id_must_not_run(*args, **kwargs):
        raise AssertionError(f"Argon2id ran with the tampered keyring ({what})")

    monkeypatch.setattr("app.store.store.derive_kek", argon2id_must_not_run)
    tampered = getattr(errors, "StoreTampered", errors.KhbsError)
    with pytest.raises(tampered) as exc:
        reopen(data_dir)
    assert type(exc.value).__name__ == "StoreTampered"
    assert "keyring.kdf" in exc.value.message("id")
    assert "diubah di luar aplikasi" in exc.value.message("id")
    assert "changed outside the app" in exc.value.message("en")
    # Not counted as a wrong passphrase: no delay grows for the officer.
    db = sqlite3.connect(Store.path_in(data_dir))
    assert db.execute("SELECT count(*) FROM meta WHERE key = 'failed_unlocks'").fetchone()[0] == 0
    db.close()


def test_kdf_out_of_bounds_is_one_line_in_the_cli(data_dir, monkeypatch, capsys):
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    raw(
        data_dir,
        "UPDATE keyring SET kdf = ?",
        ('{"iterations": 1000, "lanes": 8, "memory_kib": 4194304}',),
    )
    monkeypatch.setattr("app.crypto.Argon2id", None)  # a call would fail, never hang
    monkeypatch.setenv("KHBS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    assert main(["status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("khbs: Berkas penyimpanan data rusak atau telah diubah di luar aplikasi")
    assert len(err.splitlines()) == 1


def test_bounds_cover_what_the_app_writes():
    """The default cost and the tests' cheap one are inside the bounds."""
    KdfParams().check(b"\x00" * 16)
    FAST_KDF.check(b"\x00" * 16)
    assert KdfParams.from_json(KdfParams().to_json()) == KdfParams()


def test_kdf_changed_within_bounds_fails_like_a_wrong_passphrase_and_recover_repairs(data_dir):
    """Before the key is open nothing tells a changed cost from a wrong passphrase (the KEK
    differs either way); the recovery code still opens the store and writes the default cost."""
    province = ProvinceKeyPair.generate()
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        hid = final(s, 1)
        s.set_province_key(province.public_bytes())
        store_id, (_, blob) = s.store_id, s.escrow()
    raw(
        data_dir,
        "UPDATE keyring SET kdf = ?",
        ('{"iterations": 3, "lanes": 1, "memory_kib": 19456}',),
    )
    with pytest.raises(errors.WrongPassphrase):
        reopen(data_dir)
    data_key = province.open(blob, f"khbs/escrow/v1|{store_id}".encode())
    Store.recover(data_dir, data_key, "sungai-barito-2027").close()
    with Store.open(data_dir, "sungai-barito-2027") as s:
        assert s.get(hid)[1] == 1 and s.verify().ok
        kdf = s.db.execute("SELECT kdf FROM keyring").fetchone()[0]
        assert KdfParams.from_json(kdf) == KdfParams()


def test_wrap_binds_cost_and_salt(store, data_dir):
    """The data key's wrap names the cost and salt it was made with (v2 AAD)."""
    kdf_json, salt, wrapped = store.db.execute(
        "SELECT kdf, salt, wrapped_key FROM keyring"
    ).fetchone()
    kek = derive_kek(PASSPHRASE, salt, KdfParams.from_json(kdf_json))
    with pytest.raises(DecryptError):
        open_sealed(kek, wrapped, f"khbs/keywrap/v1|{store.store_id}".encode())
    aad = f"khbs/keywrap/v2|{store.store_id}|{FAST_KDF.to_json()}|{salt.hex()}".encode()
    assert len(open_sealed(kek, wrapped, aad)) == 32


# -- a store written by the previous version -----------------------------------------------------


def make_old_format(data_dir) -> None:
    """Turn a store made now into what the previous version left on disk: no `mac` columns, no
    `store.row_macs` audit entry or meta hint, and the v1 key wrap."""
    with reopen(data_dir) as s:
        kept = [e for e in s.audit.entries() if e.action != "store.row_macs"]
        kdf_json, salt = s.db.execute("SELECT kdf, salt FROM keyring").fetchone()
        kek = derive_kek(PASSPHRASE, salt, KdfParams.from_json(kdf_json))
        v1 = seal(kek, s._data_key, f"khbs/keywrap/v1|{s.store_id}".encode())
        with s.db.atomic():
            s.db.execute("DELETE FROM audit")
            for e in kept:  # the chain as the old version wrote it
                s.audit.append(e.at, e.actor, e.action, e.record_id, e.revision, e.detail)
            s.db.execute("UPDATE keyring SET wrapped_key = ?", (v1,))
            s.db.execute("DELETE FROM meta WHERE key = 'store.row_macs'")
    for table in ("households", "assigned"):
        raw(data_dir, f"ALTER TABLE {table} DROP COLUMN mac")
    raw(data_dir, "DROP TABLE questionnaires")  # m006, which came after
    raw(data_dir, "DROP TABLE supervision")  # m007
    raw(data_dir, "DROP TABLE supervision_rounds")  # m007
    raw(data_dir, f"PRAGMA user_version = {MIGRATIONS.index(m005_row_macs)}")


def old_store(data_dir, key) -> list[str]:
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        ids = [synced_with_marks(s, 1), final(s, 2)]
        rec = listed(3)
        pull(s, key, [candidate(key, rec, seq=3)])
        ids.append(rec["id"])
    make_old_format(data_dir)
    return sorted(ids)


def test_old_format_store_opens_gets_macs_and_verifies_clean(data_dir, key):
    ids = old_store(data_dir, key)
    with reopen(data_dir) as s:
        for table in ("households", "assigned"):
            assert (
                s.db.execute(f"SELECT count(*) FROM {table} WHERE mac IS NULL").fetchone()[0] == 0
            )
        upgrades = [e for e in s.audit.entries() if e.action in ("store.row_macs", "store.keywrap")]
        assert [(e.action, e.detail) for e in upgrades] == [
            ("store.keywrap", "v2"),
            ("store.row_macs", "households=3,assigned=1,supervision=0,attachments=0"),
        ]
        report = s.verify()
        assert report.ok and report.households == 3, report
    with reopen(data_dir) as s:  # once: the second unlock adds nothing
        assert len([e for e in s.audit.entries() if e.action.startswith("store.row")]) == 1
        assert s.verify().ok
    # And what the MACs are for now holds for the upgraded store too.
    raw(data_dir, "UPDATE households SET status = 'draft' WHERE id = ?", (ids[0],))
    with reopen(data_dir) as s:
        assert s.verify().altered == [ids[0]]


def test_old_format_store_rows_not_yet_signed_are_unverified_not_ok(data_dir, key, monkeypatch):
    ids = old_store(data_dir, key)
    monkeypatch.setattr(Store, "_sign_old_rows", lambda self: None)  # e.g. before the upgrade
    with reopen(data_dir) as s:
        report = s.verify()
    assert report.unverified == ids and report.altered == [] and not report.ok


def test_old_format_store_passwd_and_recover(data_dir, key):
    province = ProvinceKeyPair.generate()
    with Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF) as s:
        hid = final(s, 1)
        s.set_province_key(province.public_bytes())
        store_id, (_, blob) = s.store_id, s.escrow()
    make_old_format(data_dir)
    data_key = province.open(blob, f"khbs/escrow/v1|{store_id}".encode())
    with Store.recover(data_dir, data_key, "sungai-barito-2027") as s:
        assert s.verify().ok  # recover signs the rows too
    with Store.open(data_dir, "sungai-barito-2027") as s:
        s.change_passphrase(PASSPHRASE)
    with reopen(data_dir) as s:
        assert s.get(hid)[1] == 1 and s.verify().ok


def test_nulled_mac_after_upgrade_is_not_signed_again(data_dir, key):
    """The backfill runs once (its audit entry says so): a MAC removed later, with the meta hint,
    is an alteration the next unlock must not sign over."""
    ids = old_store(data_dir, key)
    with reopen(data_dir):
        pass
    raw(
        data_dir,
        "UPDATE households SET mac = NULL, kode_desa = '62.71.03.1002' WHERE id = ?",
        (ids[1],),
    )
    raw(data_dir, "DELETE FROM meta WHERE key = 'store.row_macs'")
    with reopen(data_dir) as s:
        report = s.verify()
    assert report.altered == [ids[1]] and report.unverified == []
