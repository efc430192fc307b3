"""Attachments in the laptop store (app/store/attachments.py): sealed with the store's keys,
bound to household, id and hash; deleted with their household; row MACs; what sync sends."""

import sqlite3

import pytest

from app import evidence
from app.errors import RecordDamaged
from app.store import attachments
from app.store.assigned import _delete
from tests import photos
from tests.test_leak import household


@pytest.fixture(scope="module")
def photo():
    return evidence.prepare_photo(photos.phone_jpeg())


def _add(store, hid, photo, kind="photo"):
    return attachments.add(store, hid, kind, photo.content, photo.thumbnail, photo.info())


def test_round_trip(store, photo):
    hid = household()["id"]
    found = _add(store, hid, photo)
    assert attachments.content(store, found.id) == photo.content
    assert attachments.thumbnail(store, found.id) == photo.thumbnail
    assert attachments.info(store, found.id)["position"]["lat"] == pytest.approx(-2.2136)
    assert attachments.listed(store, hid) == [found]
    assert found.size == len(photo.content) and len(found.sha256) == 64
    assert store.verify().ok
    actions = [r[0] for r in store.db.execute("SELECT action FROM audit")]
    assert "attachment.add" in actions


def test_sealed_bytes_do_not_open_elsewhere(store, photo):
    one, two = household()["id"], household()["id"]
    a = _add(store, one, photo)
    b = _add(store, two, evidence.prepare_signature(photos.signature_png()), "signature")
    # Another attachment's ciphertext copied into this row: it does not open.
    store.db.execute(
        "UPDATE attachments SET content = (SELECT content FROM attachments WHERE id = ?)"
        " WHERE id = ?",
        (b.id, a.id),
    )
    with pytest.raises(RecordDamaged):
        attachments.content(store, a.id)
    # The hash changed in plaintext: the content no longer opens and the row MAC fails.
    store.db.execute("UPDATE attachments SET sha256 = ? WHERE id = ?", ("0" * 64, b.id))
    with pytest.raises(RecordDamaged):
        attachments.content(store, b.id)
    assert two in store.verify().altered


def test_delete_removes_the_bytes(store, photo, data_dir):
    hid = household()["id"]
    a = _add(store, hid, photo)
    assert attachments.delete(store, a.id)
    assert attachments.listed(store, hid) == []
    assert not attachments.delete(store, a.id)
    assert store.verify().ok


def test_released_household_takes_its_attachments(store, photo):
    record = household()
    store.save(record)
    _add(store, record["id"], photo)
    with store.db.atomic():
        _delete(store, record["id"], store.now())
    assert attachments.listed(store, record["id"]) == []


def test_secure_delete_leaves_no_trace(store, photo, data_dir):
    hid = household()["id"]
    a = _add(store, hid, photo)
    sealed = store.db.execute("SELECT content FROM attachments WHERE id = ?", (a.id,)).fetchone()
    attachments.delete(store, a.id)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    assert bytes(sealed[0])[:64] not in on_disk


def test_only_attachments_of_households_at_the_province_are_sent(store, photo):
    draft, final, synced = household("draft"), household(), household()
    for record in (draft, final, synced):
        store.save(record)
        _add(store, record["id"], photo)
    with store.db.atomic():
        store.db.execute("DELETE FROM outbox WHERE household_id = ?", (synced["id"],))
        with store.changing_row("households", synced["id"]):
            store.db.execute(
                "UPDATE households SET sync_state = 'synced' WHERE id = ?", (synced["id"],)
            )
    ready = attachments.to_send(store)
    assert [a.household_id for a in ready] == [synced["id"]]
    assert attachments.waiting(store) == (2, 2 * len(photo.content))
    sealed = attachments.upload(store, ready[0].id, lambda content, info: b"S" + content)
    again = attachments.upload(store, ready[0].id, lambda content, info: b"other")
    # A resumed upload sends the same bytes, and knows it resumes.
    assert sealed == (b"S" + photo.content, False) and again == (b"S" + photo.content, True)
    attachments.mark_sent(store, ready[0].id)
    assert attachments.to_send(store) == []
    assert attachments.get(store, ready[0].id).sync_state == attachments.SENT
    assert store.verify().ok


def test_migration_slot_is_m008(data_dir):
    from app.store import migrations

    assert migrations.MIGRATIONS[7].__name__ == "m008_attachments"
    conn = sqlite3.connect(":memory:")
    from sqlite_utils import Database

    db = Database(conn)
    for fn in migrations.MIGRATIONS[:8]:
        fn(db)
    assert "attachments" in db.table_names()


def test_export_lists_attachments_without_writing_them(store, photo, tmp_path):
    import csv

    from app.export.laptop import export_store

    record = household()
    store.save(record)
    found = _add(store, record["id"], photo)
    result = export_store(store, tmp_path / "out")
    assert result.attachments == 1
    rows = list(csv.DictReader((tmp_path / "out" / "attachments.csv").open(encoding="utf-8")))
    assert rows == [
        {
            "household_id": record["id"],
            "attachment_id": found.id,
            "kind": "photo",
            "file_name": f"{found.id}.jpg",
            "sha256": found.sha256,
            "size": str(len(photo.content)),
        }
    ]
    assert not (tmp_path / "out" / "attachments").exists()  # no plaintext photos on a laptop


# -- orphans: attachments of a new form that was never saved -------------------------------------


def test_orphans_listed_by_verify_and_swept_never_a_saved_households(
    store, photo, data_dir, monkeypatch, capsys
):
    from app import households as hh
    from app.cli import main
    from app.store import Store
    from tests import records
    from tests.conftest import PASSPHRASE

    saved = records.numbered(1)
    hh.finalise(store, saved, today=records.TODAY)
    kept = _add(store, saved["id"], photo)  # the record does not name it: listed, kept
    draft = household("draft")
    store.save(draft)
    named = _add(store, draft["id"], photo)
    store.save({**draft, "bukti": {"foto_rumah": named.id}})  # named by its record
    never = household("draft")["id"]  # a new form, closed before its first save
    orphan = _add(store, never, photo)
    gone = records.numbered(2)
    hh.finalise(store, gone, today=records.TODAY)
    evidence_of_damage = _add(store, gone["id"], photo)
    store.db.execute("DELETE FROM households WHERE id = ?", (gone["id"],))  # outside the app

    report = store.verify()
    assert report.orphans == [orphan.id]  # not the deleted household's: that is damage
    assert report.unreferenced == [kept.id]
    assert gone["id"] in report.missing
    store.close()

    monkeypatch.setenv("KHBS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KHBS_LANG", "id")
    main(["verify"])
    out = capsys.readouterr().out
    assert f"Lampiran tanpa keluarga: {orphan.id}" in out
    assert f"Lampiran tidak disebut di data keluarganya: {kept.id}" in out
    assert "1 lampiran tanpa keluarga akan dihapus" in out

    assert main(["purge", "--dry-run"]) == 0
    assert "1 lampiran tanpa keluarga (formulir yang tidak pernah disimpan) akan dihapus" in (
        capsys.readouterr().out
    )
    reopened = Store.open(data_dir, PASSPHRASE)
    assert attachments.get(reopened, orphan.id) is not None  # a dry run removes nothing
    reopened.close()
    assert main(["purge"]) == 0
    assert "1 lampiran tanpa keluarga (formulir yang tidak pernah disimpan) dihapus" in (
        capsys.readouterr().out
    )
    reopened = Store.open(data_dir, PASSPHRASE)
    try:
        assert attachments.get(reopened, orphan.id) is None
        for survivor in (kept, named, evidence_of_damage):
            assert attachments.get(reopened, survivor.id) is not None
        assert reopened.verify().orphans == []
        removed = [e for e in reopened.audit.entries() if e.action == "attachment.orphan_removed"]
        assert [(e.record_id, e.detail) for e in removed] == [(never, orphan.id)]
        assert attachments.sweep_orphans(reopened) == []  # nothing left: nothing written
    finally:
        reopened.close()


def test_an_attachment_added_before_the_first_save_is_not_swept_once_saved(store, photo):
    """The order a new form takes: attach (no row yet), then autosave. Once saved it is the
    household's; a sweep then leaves it."""
    draft = household("draft")
    early = _add(store, draft["id"], photo)
    store.save({**draft, "bukti": {"foto_rumah": early.id}})
    assert attachments.sweep_orphans(store) == []
    assert attachments.get(store, early.id) is not None
    assert store.verify().orphans == [] and store.verify().unreferenced == []
