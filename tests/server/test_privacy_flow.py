"""Issue 18 end to end through a real server and laptop, on SQLite and PostgreSQL: the retention
period the province sets reaches the laptop, which keeps only stubs of decided households after
it; a revoked laptop's exposure report names exactly the households it held in full."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app import households as hh
from app.store import Store
from sync.client import SyncClient
from sync.server import repo
from sync.server.db import utc_now
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import DESA, TODAY, child, head, numbered, wife
from tests.server.conftest import new_code
from tests.server.test_cli import Server


@pytest.fixture
def server(db_url, live, tmp_path):
    return Server(db_url, tmp_path / "home")


def laptop(tmp_path, name: str, live, engine, officer: str) -> tuple[Store, SyncClient]:
    store = Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF)
    client = SyncClient(store, sleep=lambda _s: None, max_attempts=3)
    device = client.enroll(live.url, new_code(engine, officer))
    return store, client, device.device_id


def decide(engine, hid: str, status: str, days_ago: float = 0) -> None:
    when = utc_now() - timedelta(days=days_ago)
    with engine.begin() as conn:
        repo.set_household_status(conn, hid, status, clock=lambda: when)


def test_retention_reaches_the_laptop_and_exposure_names_what_it_held(
    server, live, engine, officer, tmp_path
):
    assert "10 hari" in server.ok("retention", "laptop-days", "10").stdout
    store, client, device_id = laptop(tmp_path, "sari", live, engine, officer)
    old, fresh, undecided = numbered(1), numbered(2), numbered(3, anggota=[head(9), wife(10)])
    old_rejected = numbered(4, anggota=[head(12), wife(13), child(14)])
    for rec in (old, fresh, undecided, old_rejected):
        hh.finalise(store, rec, today=TODAY)
    draft = numbered(5)
    hh.save_draft(store, draft)  # never sent: the province cannot know it (docs/privacy.md)
    assert client.sync().synced == 4

    decide(engine, old["id"], "verified", days_ago=11)
    decide(engine, old_rejected["id"], "rejected", days_ago=30)
    decide(engine, fresh["id"], "verified", days_ago=2)
    report = client.sync()
    assert report.purged == 2
    assert store.get_meta("retention_days") == "10"
    rows = {r.id: r for r in store.rows()}
    assert {hid for hid, r in rows.items() if r.sync_state == "purged"} == {
        old["id"],
        old_rejected["id"],
    }
    assert store.status_counts()["stubs"] == 2
    client.sync()  # the next sync acknowledges what the last one pulled

    proc = server.ok("device", "revoke", "--device", device_id)
    assert f"device exposure {device_id}" in proc.stdout
    out = json.loads(server.ok("device", "exposure", device_id, "--json").stdout)
    held = {h["id"]: h for h in out["households"]}
    assert set(held) == {fresh["id"], undecided["id"]}
    assert out["by_desa"] == {DESA: 2} and out["count"] == 2
    assert held[fresh["id"]]["categories"] == ["identity", "health", "children"]
    assert held[undecided["id"]]["categories"] == ["identity", "health"]
    assert out["by_category"] == {"identity": 2, "health": 2, "children": 1}
    csv_lines = server.ok("device", "exposure", device_id, "--csv").stdout.splitlines()
    assert csv_lines[0] == "household_id,kode_desa,identity,health,children,erased,how"
    assert sorted(csv_lines[1:]) == sorted(
        [f"{fresh['id']},{DESA},1,1,1,0,sent", f"{undecided['id']},{DESA},1,1,0,0,sent"]
    )
    text = server.ok("device", "exposure", device_id).stdout
    assert "2 keluarga mungkin tersimpan lengkap" in text and "Palangka" in text
    audited = json.loads(server.ok("audit", "--action", "device.exposure", "--json").stdout)
    assert len(audited["entries"]) == 3
    store.close()


def laptop_bytes(folder) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_withdrawal_erases_the_family_everywhere_and_a_later_list_flags_it(
    server, live, engine, officer, tmp_path
):
    from tests.server.conftest import stored_bytes
    from tests.server.test_assignments import rows_of, write

    store, client, _ = laptop(tmp_path, "sari", live, engine, officer)
    gone, kept = numbered(1), numbered(2)
    for rec in (gone, kept):
        hh.finalise(store, rec, today=TODAY)
    assert client.sync().synced == 2
    with engine.begin() as conn:
        repo.set_household_status(conn, gone["id"], "verified", card_number="KHBS-62-0001")
    client.sync()
    with engine.connect() as conn:
        ciphertexts = [
            bytes(c)
            for c in conn.exec_driver_sql(
                "SELECT content FROM household_versions WHERE household_id = ?"
                if engine.dialect.name == "sqlite"
                else "SELECT content FROM household_versions WHERE household_id = %s",
                (gone["id"],),
            ).scalars()
        ]
    laptop_blob = bytes(
        store.db.execute("SELECT record FROM households WHERE id = ?", (gone["id"],)).fetchone()[0]
    )
    assert ciphertexts and laptop_blob

    out = json.loads(server.ok("rights", "withdraw", "--kk", gone["no_kk"], "--json").stdout)
    assert out["household_id"] == gone["id"] and out["laptops_told"] == 1
    report = client.sync()
    assert report.erased == 1
    assert [r.id for r in store.rows()] == [kept["id"]]

    # No byte of the family's identity at the province (tables, and the SQLite file and WAL)...
    held = stored_bytes(engine)
    identity = [gone["no_kk"]] + [v for m in gone["anggota"] for v in (m["nik"], m["nama"])]
    for value in identity:
        assert value.encode() not in held, value
    for blob in ciphertexts:
        assert blob[:40] not in held and blob.hex().encode()[:80] not in held
    assert kept["anggota"][0]["nik"].encode() not in held  # sealed, as always
    with engine.connect() as conn:
        kept_blob = conn.exec_driver_sql("SELECT content FROM household_versions").scalars().all()
    assert len(kept_blob) == 1  # the other family's data is untouched
    # ... nor on the laptop (database, WAL and everything beside it).
    store.close()
    raw = laptop_bytes(tmp_path / "sari")
    assert laptop_blob[:40] not in raw and laptop_blob[-40:] not in raw
    for value in identity:
        assert value.encode() not in raw

    # The tombstone: id, desa, card number, date, basis; audited.
    audit = json.loads(server.ok("audit", "--action", "household.erase", "--json").stdout)
    assert [e["household_id"] for e in audit["entries"]] == [gone["id"]]
    # Exports leave it out; a later DTSEN list with that KK is flagged, not sent again.
    export = tmp_path / "export"
    server.ok("export", "--out", str(export))
    assert gone["id"] not in (export / "households.csv").read_text(encoding="utf-8-sig")
    listing = write(tmp_path / "dtsen.csv", rows_of(1) + rows_of(3))
    proc = server.ok("assignments", "import", str(listing))
    assert "1 keluarga di daftar ini telah menarik persetujuan" in proc.stdout
    out = json.loads(server.ok("assignments", "import", str(listing), "--json").stdout)
    assert (out["withdrawn"], out["unchanged"], out["new"]) == (1, 1, 0)


@pytest.fixture
def photo_server(db_url, engine, initialised, tmp_path):
    """The live server keeping photos in tmp_path, and the CLI pointed at the same folder."""
    from sync.server.api.app import create_app
    from sync.server.settings import Settings
    from tests.liveserver import LiveServer

    folder = tmp_path / "province-attachments"
    settings = Settings(db_url=db_url, attachments=str(folder))
    with LiveServer(create_app(settings, initialised)) as live_server:
        live_server.folder = folder
        yield live_server


COMMENT = "Nama ibu tertulis Sumarni Wulandari, mohon periksa KK"


def test_withdrawal_erases_comments_cases_cards_and_photos_everywhere(
    db_url, photo_server, engine, initialised, officer, tmp_path
):
    """Issue 15, 16 and 18 together: a family returned with a comment, in a duplicate case,
    with a card and two photos withdraws consent. Nothing of it stays at the province (tables,
    database files, photo folder) nor on the laptop."""
    from app.store import attachments as laptop_attachments
    from app.store import supervision
    from sync.server import cards, review
    from sync.server.db import (
        attachments,
        case_decisions,
        duplicate_cases,
        review_rounds,
    )
    from sync.server.db import cards as card_rows
    from sync.server.scope import Scope
    from tests.server.conftest import count, stored_bytes

    server = Server(db_url, tmp_path / "home")
    env = {"KHBS_ATTACHMENTS": str(photo_server.folder)}
    store, client, _ = laptop(tmp_path, "sari", photo_server, engine, officer)
    other_store, other_client, _ = laptop(tmp_path, "budi", photo_server, engine, officer)
    gone, twin = numbered(1), numbered(2)
    twin["anggota"][2] = dict(twin["anggota"][2], nik=gone["anggota"][2]["nik"])  # a duplicate
    hh.finalise(store, gone, today=TODAY)
    photos = [bytes([0xFF, 0xD8]) + f"foto keluarga {i} ".encode() * 4000 for i in range(2)]
    for content in photos:
        laptop_attachments.add(store, gone["id"], "photo", content, b"thumb", {"taken_at": None})
    hh.finalise(other_store, twin, today=TODAY)
    assert client.sync().attachments_sent == 2
    other_client.sync()
    assert count(engine, duplicate_cases) == 1
    with engine.begin() as conn:
        review.decide(
            conn,
            initialised,
            Scope.province(),
            "test",
            gone["id"],
            1,
            "returned",
            comments=[{"path": "anggota.0.nama", "text": COMMENT}],
        )
    client.sync()
    assert supervision.of(store, gone["id"]).open_return is not None
    with engine.begin() as conn:
        repo.set_household_status(conn, gone["id"], "verified")
        assert cards.issue(conn, Scope.province(), "test").count == 1
    assert count(engine, review_rounds) == count(engine, card_rows) == 1
    stored = [p for p in photo_server.folder.rglob("*") if p.is_file()]
    assert len(stored) == 2
    sealed_photos = [p.read_bytes() for p in stored]

    out = json.loads(server.ok("rights", "withdraw", "--id", gone["id"], "--json", **env).stdout)
    assert out["household_id"] == gone["id"]
    for table in (attachments, review_rounds, duplicate_cases, case_decisions, card_rows):
        assert count(engine, table) == 0, table.name
    assert [p for p in photo_server.folder.rglob("*") if p.is_file()] == []
    held = stored_bytes(engine)
    identity = [gone["no_kk"]] + [v for m in gone["anggota"] for v in (m["nik"], m["nama"])]
    for value in [*identity, COMMENT, "Sumarni"]:
        if value != gone["anggota"][2]["nik"]:  # the twin's own (sealed) NIK may stay
            assert value.encode() not in held, value
    for blob in sealed_photos:
        assert blob[:40] not in held and blob[-40:] not in held

    report = client.sync()
    assert report.erased == 1
    assert laptop_attachments.listed(store, gone["id"]) == []
    assert supervision.of(store, gone["id"]).rounds == ()
    store.close()
    raw = laptop_bytes(tmp_path / "sari")
    for value in [*identity, COMMENT, "Sumarni"]:
        assert value.encode() not in raw, value
    for content in photos:
        assert content[:60] not in raw
    other_store.close()


def test_a_correction_to_the_officer_returns_the_household_and_closes_with_the_edit(
    server, live, engine, initialised, officer, tmp_path
):
    """`rights correct --to-officer` on a verified household: the laptop gets a return
    ("Perlu perbaikan") whose comment asks for the family's value; the officer's corrected
    revision closes the request."""
    from app.store import supervision
    from sync.server import rights

    store, client, _ = laptop(tmp_path, "sari", live, engine, officer)
    rec = numbered(1)
    hh.finalise(store, rec, today=TODAY)
    assert client.sync().synced == 1
    decide(engine, rec["id"], "verified")
    client.sync()
    new_name = "Yohana Tingang Br. Sitepu"
    out = server.ok(
        "rights",
        "correct",
        "--id",
        rec["id"],
        "--set",
        f"anggota.2.nama={new_name}",
        "--to-officer",
        "--note",
        "surat kelurahan",
    )
    assert "dikembalikan ke petugas" in out.stdout
    bad = server("rights", "correct", "--id", rec["id"], "--set", "rumah.atap=1", "--to-officer")
    assert bad.returncode == 1 and "rumah.atap" in bad.stderr
    client.sync()
    opened = supervision.of(store, rec["id"]).open_return
    assert opened is not None and opened.revision == 1
    assert supervision.open_returns(store) == [(rec["id"], "returned")]
    (comment,) = opened.comments
    assert comment.path == ("anggota", 1, "nama") or comment.path == "anggota.1.nama"
    assert new_name in (comment.text or "")
    with engine.connect() as conn:
        (request,) = rights.requests_of(conn, initialised, rec["id"])
    assert (request.status, request.outcome) == ("open", None)

    corrected = json.loads(json.dumps(rec))
    corrected["anggota"][1]["nama"] = new_name
    hh.finalise(store, corrected, today=TODAY)
    assert client.sync().synced == 1
    assert supervision.open_returns(store) == []
    with engine.connect() as conn:
        (request,) = rights.requests_of(conn, initialised, rec["id"])
    assert (request.status, request.outcome, request.revision) == (
        "done",
        "corrected_by_officer",
        2,
    )
    store.close()
