"""A family's rights at the province (sync/server/rights.py, access_copy.py; docs/privacy.md), on
SQLite and PostgreSQL: the access copy holds every answer and every access record and nothing of
another family; a request outside the user's scope finds nothing and records nothing."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select

from app import dates
from sync.server import access_copy, rights
from sync.server.console import data, passwords
from sync.server.db import audit_log, rights_requests
from tests.conftest import FAST_KDF
from tests.server import consoleworld
from tests.server.test_cli import Server


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    monkeypatch.setattr(passwords, "COST", FAST_KDF)


@pytest.fixture
def world(engine, initialised, tmp_path):
    return consoleworld.build(engine, initialised, tmp_path)


def leaves(node, key=""):
    """(key, value) of every answer in a record."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from leaves(v, key)
    else:
        yield key, node


def test_access_copy_holds_every_field_and_access_and_nothing_of_others(engine, initialised, world):
    hid = world.households["palangka"][1]  # verified, with a card
    rec = world.records[hid]
    regency, province = world.users["regency"], world.users["province"]
    with engine.begin() as conn:
        data.open_household(conn, regency.scope, hid, "verification", "", regency.actor)
        data.open_household(conn, province.scope, hid, "other", "telepon keluarga", province.actor)
    with engine.begin() as conn:
        page = access_copy.make(
            conn, initialised, regency.scope, hid, "Permintaan keluarga, 3-12", regency.actor
        )
    # Every answer the household holds, with the questionnaire's Indonesian labels; dates as
    # DD-MM-YYYY, as the family reads them.
    for key, value in leaves(rec):
        if isinstance(value, str) and key not in ("id", "peringatan_diterima"):
            shown = dates.shown(value) if key.startswith("tanggal") else value
            assert html.escape(shown) in page, (key, shown)
    assert "2026-11-27" not in page and "27-11-2026" in page  # the visit's date
    assert "Nomor Kartu Keluarga (KK)" in page and "Anggota ke-3" in page
    decisions = page.split("Keputusan provinsi")[1].split("Lampiran")[0]
    assert consoleworld.CARD_A in decisions and "Terverifikasi" in decisions
    # Every access record: the two opens (with their reasons) and this request itself.
    with engine.connect() as conn:
        entries = conn.execute(
            select(audit_log.c.action).where(audit_log.c.household_id == hid)
        ).all()
    section = page.split('id="accesses"')[1]
    assert section.count("<tr>") - 1 == len(entries) == 3  # the header row aside
    assert "Memeriksa hasil verifikasi lapangan" in section and "telepon keluarga" in section
    assert "Rahmat Kota" in section and "Dewi Provinsi" in section
    assert "Salinan data dibuat (permintaan akses)" in section
    # Nothing of another family: their ids, KK numbers and NIKs.
    for other_id, other in world.records.items():
        if other_id == hid:
            continue
        assert other_id not in page
        assert other["no_kk"] not in page
        for member in other["anggota"]:
            if member["nik"] not in {m["nik"] for m in rec["anggota"]}:  # a shared NIK is its own
                assert member["nik"] not in page
    # The request is recorded with its reason sealed, and audited by id.
    with engine.connect() as conn:
        stored = conn.execute(select(rights_requests)).all()
        assert [(r.kind, r.household_id, r.outcome) for r in stored] == [
            ("access", hid, "copy_given")
        ]
        assert b"Permintaan keluarga" not in bytes(stored[0].content)
        found = rights.requests_of(conn, initialised, hid)
    assert found[0].content == {"reason": "Permintaan keluarga, 3-12"}
    assert "Salinan diberikan" in page


def test_access_outside_the_scope_finds_nothing_and_records_nothing(engine, initialised, world):
    hid = world.households["palangka"][0]
    kobar = world.users["kobar"]
    with engine.begin() as conn:
        with pytest.raises(rights.FamilyNotFound):
            access_copy.make(conn, initialised, kobar.scope, hid, "ingin tahu", kobar.actor)
        with pytest.raises(rights.FamilyNotFound):
            rights.find(conn, initialised, kobar.scope, kk=world.records[hid]["no_kk"])
        assert conn.execute(select(rights_requests)).all() == []
        with pytest.raises(rights.ReasonMissing):
            access_copy.make(conn, initialised, kobar.scope, hid, " ", kobar.actor)


def test_rights_access_cli_writes_a_private_copy(db_url, engine, initialised, world, tmp_path):
    hid = world.households["palangka"][1]
    rec = world.records[hid]
    server = Server(db_url, tmp_path / "home")
    out = tmp_path / "salinan.html"
    proc = server.ok(
        "rights",
        "access",
        "--nik",
        rec["anggota"][0]["nik"],
        "--reason",
        "surat 3-12",
        "--out",
        str(out),
    )
    assert hid in proc.stdout and str(out) in proc.stdout
    assert rec["anggota"][0]["nik"] not in proc.stdout  # the number is not echoed
    assert out.stat().st_mode & 0o777 == 0o600
    page = out.read_text("utf-8")
    assert rec["no_kk"] in page and "Salinan data keluarga" in page
    bad = server("rights", "access", "--nik", "123", "--reason", "x", "--out", str(out))
    assert bad.returncode == 1 and "16 digit" in bad.stderr
    done = server.ok("rights", "correct", "--id", hid, "--set", "lokasi.rt=007", "--json")
    assert json.loads(done.stdout)["revision"] == 2
    open_ = server.ok("rights", "correct", "--id", hid, "--set", "anggota.1.nama=Y", "--to-officer")
    assert "dikembalikan ke petugas" in open_.stdout
    wrong = server("rights", "correct", "--id", hid, "--set", "rumah.atap=1")
    assert wrong.returncode == 1 and "rumah.atap" in wrong.stderr


def test_a_correction_is_a_new_province_revision_shown_with_its_request(engine, initialised, world):
    from sync.server.db import household_versions

    hid = world.households["palangka"][1]
    rec = world.records[hid]
    regency = world.users["regency"]
    new_kk = "6271030101999999"
    with engine.begin() as conn:
        with pytest.raises(rights.BadPath):
            rights.correct(conn, initialised, regency.scope, hid, {"anggota.9.nama": "X"}, "t")
        with pytest.raises(rights.CorrectionInvalid):
            rights.correct(conn, initialised, regency.scope, hid, {"anggota.1.nik": "123"}, "t")
    with engine.begin() as conn:
        request_id, revision = rights.correct(
            conn,
            initialised,
            regency.scope,
            hid,
            {"anggota.2.nama": "Rosmiati Ilas Br. Sinaga", "no_kk": new_kk},
            regency.actor,
            "surat keluarga",
        )
    assert revision == 2
    with engine.connect() as conn:
        versions = conn.execute(
            select(household_versions.c.revision, household_versions.c.device_id).where(
                household_versions.c.household_id == hid
            )
        ).all()
        assert sorted(versions) == [(1, versions[0].device_id), (2, None)]
        assert rights.find(conn, initialised, regency.scope, kk=new_kk) == hid
        with pytest.raises(rights.FamilyNotFound):
            rights.find(conn, initialised, regency.scope, kk=rec["no_kk"])
        audited = conn.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "household.correct")
        ).scalar_one()
        request = rights.requests_of(conn, initialised, hid)[0]
    assert "Sinaga" not in audited and "anggota.2.nama" in audited
    assert request.id == request_id and request.outcome == "applied"
    assert request.content["changes"][0] == {
        "path": "anggota.2.nama",
        "old": "Rosmiati Ilas",
        "new": "Rosmiati Ilas Br. Sinaga",
    }
    with engine.begin() as conn:
        page = access_copy.make(conn, initialised, regency.scope, hid, "cek perbaikan", "t")
    current = page.split("Data sekarang (revisi 2)")[1].split("Semua revisi")[0]
    assert "Rosmiati Ilas Br. Sinaga" in current and new_kk in current
    assert "Perbaikan data" in page and "Diperbaiki di provinsi" in page
    assert "diperbaiki provinsi" in page  # revision 2 came from no device


def test_province_retention_erases_families_who_left_after_the_period(
    db_url, engine, initialised, world, tmp_path
):
    from datetime import timedelta

    from sync.server import privacy
    from sync.server.db import households, tombstones, utc_now

    left = world.households["palangka"][0]  # rejected: left the program
    with engine.begin() as conn:
        privacy.set_days(conn, privacy.PROVINCE_DAYS, 30, "t")
        assert privacy.due_for_retention(conn) == []
        later = utc_now() + timedelta(days=31)
        assert privacy.apply_retention(conn, "t", dry_run=True, clock=lambda: later) == [left]
    server = Server(db_url, tmp_path / "home")
    assert "0 keluarga" in server.ok("retention", "apply", "--dry-run").stdout
    server.ok("retention", "province-days", "0")
    shown = json.loads(server.ok("retention", "apply", "--dry-run", "--json").stdout)
    assert shown["households"] == [left]
    with engine.connect() as conn:
        assert conn.execute(select(households.c.id).where(households.c.id == left)).first()
    out = server.ok("retention", "apply")
    assert left in out.stdout and "1 keluarga" in out.stdout
    with engine.connect() as conn:
        assert conn.execute(select(households.c.id).where(households.c.id == left)).first() is None
        stone = conn.execute(select(tombstones)).one()
    assert (stone.household_id, stone.basis) == (left, "retention")
    verified = world.households["palangka"][1]
    with engine.connect() as conn:  # decided and in the program: kept
        assert conn.execute(select(households.c.id).where(households.c.id == verified)).first()


def test_access_copy_lists_reviews_cases_and_attachments(engine, initialised, world):
    """Issues 15 and 16 in the copy: the supervisor's return with its comment (opened), the
    duplicate case from this family's side (never the other family's id), and every photo kept
    (kind, file, hash, size, when received)."""
    import hashlib

    from app.review_reasons import reason_label
    from sync.server import review
    from sync.server.db import attachments, household_versions, utc_now

    hid = world.households["palangka"][2]  # received; shares a NIK with palangka[1]
    other = world.households["palangka"][1]
    regency = world.users["regency"]
    comment = "Nama kepala keluarga beda dengan KK, mohon cek ejaan"
    with engine.begin() as conn:
        review.decide(
            conn,
            initialised,
            regency.scope,
            regency.actor,
            hid,
            1,
            "returned",
            reason="name_spelling",
            comments=[{"path": "anggota.0.nama", "code": "name_spelling", "text": comment}],
        )
        device_id = conn.execute(
            select(household_versions.c.device_id).where(household_versions.c.household_id == hid)
        ).scalar()
        digest = hashlib.sha256(b"foto rumah").hexdigest()
        conn.execute(  # what the upload leaves (sync/server/attachments.py _complete)
            attachments.insert().values(
                id="5a1c0d7e-0000-4000-8000-00000000a001",
                household_id=hid,
                kind="photo",
                sha256=digest,
                size=123456,
                key_id=initialised.active["data"],
                device_id=device_id,
                received_at=utc_now(),
            )
        )
    with engine.begin() as conn:
        page = access_copy.make(conn, initialised, regency.scope, hid, "surat 3-12", regency.actor)
    rounds = page.split('id="rounds"')[1].split("</table>")[0]
    assert "Dikembalikan" in rounds and html.escape(comment) in rounds
    assert reason_label("return", "name_spelling", "id") in rounds
    cases = page.split('id="cases"')[1].split("</table>")[0]
    assert "NIK yang sama" in cases and "Belum diputuskan" in cases
    assert other not in page
    listed = page.split('id="attachments"')[1].split("</table>")[0]
    assert "Foto" in listed and "5a1c0d7e-0000-4000-8000-00000000a001.jpg" in listed
    assert digest in listed and "123.456" in listed  # bytes, counted the Indonesian way
