"""The console's officer, device, export and audit pages (sync/server/console/officers_web.py,
records_web.py) against the real server on 127.0.0.1, on SQLite and PostgreSQL, with requests
as the browser: each change is made through sync/server/officers.py and audited; another
region's officer, device or regency is 404 and changes nothing; codes are shown once, in a
POST's answer only; the export ZIP holds the user's region only; the audit viewer is the
province's and shows the chain's state."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from app.recovery import format_code
from sync.server import repo
from sync.server.db import audit_log, devices
from sync.server.officers import list_officers
from sync.server.scope import Scope
from tests.server.conftest import stored_bytes
from tests.server.test_console import (  # noqa: F401 (fixtures)
    Browser,
    audits,
    clock,
    console,
    fast_passwords,
    hidden,
    logged_in_as,
    world,
)
from tests.server.test_officers import escrow


def device_of(engine, officer_id: str) -> str:
    with engine.connect() as conn:
        (officer,) = list_officers(conn, Scope.province(), officer_id=officer_id)
    return officer.devices[0].id


def csrf_of(browser: Browser) -> str:
    return browser.csrf()


# -- officers and devices ---------------------------------------------------------------------


def test_regency_user_adds_changes_enrolls_and_revokes(console, world, engine):
    browser = logged_in_as(console, world, "regency")  # 62.71 Palangka Raya
    actor = world.users["regency"].actor
    listed = browser.get("/console/officers")
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert "Sari Petugas" in listed.text and "Budi Petugas" not in listed.text
    csrf = hidden(listed.text, "csrf")

    outside = browser.post(
        "/console/officers", {"name": "Tono Luar", "areas": "62.01", "csrf": csrf}
    )
    assert outside.status_code == 400 and "di luar wilayah Anda" in outside.text
    assert 'value="Tono Luar"' in outside.text  # what was typed stays in the form
    added = browser.post(
        "/console/officers", {"name": "Tini Baru", "areas": "62.71.03, 62.71.01.1001", "csrf": csrf}
    )
    assert added.status_code == 303
    officer_id = re.fullmatch(
        r"/console/officers/([0-9a-f-]{36})\?done=added", added.headers["location"]
    ).group(1)
    page = browser.get(f"/console/officers/{officer_id}?done=added")
    assert page.status_code == 200 and "Petugas ditambahkan" in page.text
    assert "62.71.01.1001" in page.text and "62.71.03" in page.text

    changed = browser.post(
        f"/console/officers/{officer_id}/areas", {"areas": "62.71.02", "csrf": csrf}
    )
    assert changed.status_code == 303 and changed.headers["location"].endswith("?done=areas")
    with engine.connect() as conn:
        assert repo.areas_of(conn, officer_id) == ("62.71.02",)

    made = browser.post(f"/console/officers/{officer_id}/enroll-code", {"csrf": csrf})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert made.url.endswith(f"/console/officers/{officer_id}/enroll-code")  # no code in it
    code = re.search(r'id="the-code"[^>]*><code>([A-Z0-9-]+)</code>', made.text).group(1)
    assert "hanya ditampilkan sekali" in made.text
    assert code.encode() not in stored_bytes(engine)  # only its hash
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with engine.begin() as conn:
        laptop = repo.redeem_enroll_code(conn, code, key)  # and it works
    assert laptop.officer_id == officer_id

    again = browser.get(f"/console/officers/{officer_id}")
    assert laptop.id in again.text and code not in again.text  # never shown again
    revoked = browser.post(f"/console/devices/{laptop.id}/revoke", {"csrf": csrf})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"/console/officers/{officer_id}?done=revoked"
    twice = browser.post(f"/console/devices/{laptop.id}/revoke", {"csrf": csrf})
    assert twice.headers["location"].endswith("?done=already_revoked")
    with engine.connect() as conn:
        assert (
            conn.execute(select(devices.c.revoked_at).where(devices.c.id == laptop.id)).scalar()
            is not None
        )

    done = [(a, action) for a, action, _ in audits(engine) if a == actor]
    assert [action for _, action in done if not action.startswith("console.")] == [
        "officer.add",
        "officer.areas",
        "enroll_code.create",
        "device.revoke",
    ]
    log = json.dumps(audits(engine))
    assert code not in log and "Tini Baru" not in log  # ids and codes of areas only
    history = browser.get(f"/console/officers/{officer_id}").text
    assert "officer.areas" in history and "Rahmat Kota" in history  # its recent changes


def test_another_regions_officer_and_device_are_not_found(console, world, engine):
    browser = logged_in_as(console, world, "regency")
    csrf = csrf_of(browser)
    kobar = world.officers["kobar"]
    kobar_device = device_of(engine, kobar)
    before = len(audits(engine))
    for method, path, fields in (
        ("get", f"/console/officers/{kobar}", {}),
        ("post", f"/console/officers/{kobar}/areas", {"areas": "62.71"}),
        ("post", f"/console/officers/{kobar}/enroll-code", {}),
        ("post", f"/console/devices/{kobar_device}/revoke", {}),
        ("get", f"/console/devices/{kobar_device}/exposure.csv", {}),
        (
            "post",
            "/console/recovery",
            {"store": "a" * 32, "reason": "lupa_kata_sandi", "device": kobar_device},
        ),
        ("get", "/console/officers/no-such-officer", {}),
        ("post", "/console/devices/no-such-device/revoke", {}),
    ):
        reply = (
            browser.get(path) if method == "get" else browser.post(path, fields | {"csrf": csrf})
        )
        assert reply.status_code == 404 and "Tidak ditemukan" in reply.text, path
    assert len(audits(engine)) == before
    with engine.connect() as conn:
        assert repo.areas_of(conn, kobar) == ("62.01",)
        assert (
            conn.execute(select(devices.c.revoked_at).where(devices.c.id == kobar_device)).scalar()
            is None
        )


def test_a_revoked_laptop_links_to_its_exposure_report(console, world, engine):
    """Issue 14 and 18 together: after revoking a laptop, its row offers the exposure report
    (privacy.exposure, as `khbs-server device exposure --csv`), in the user's scope, audited."""
    from sync.server.db import request_nonces, utc_now

    browser = logged_in_as(console, world, "regency")
    sari = world.officers["palangka"]
    laptop = device_of(engine, sari)
    with engine.begin() as conn:  # its last signed request: it synced after sending them
        conn.execute(
            request_nonces.insert().values(device_id=laptop, nonce="n1", seen_at=utc_now())
        )
    page = browser.get(f"/console/officers/{sari}")
    link = f"/console/devices/{laptop}/exposure.csv"
    assert link not in page.text  # still in use: revoke first
    browser.post(f"/console/devices/{laptop}/revoke", {"csrf": hidden(page.text, "csrf")})
    page = browser.get(f"/console/officers/{sari}?done=revoked")
    assert link in page.text and "Unduh laporan paparan (CSV)" in page.text
    got = browser.get(link)
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    assert got.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    sent = {r["household_id"] for r in rows if r["how"] == "sent"}
    assert sent == set(world.households["palangka"])
    assert all(r["identity"] == "1" and r["how"] in ("sent", "listed") for r in rows)
    assert any(r["how"] == "listed" for r in rows)  # the DTSEN list sent to the officer
    with engine.connect() as conn:
        detail = conn.execute(
            select(audit_log.c.actor, audit_log.c.detail).where(
                audit_log.c.action == "device.exposure"
            )
        ).one()
    assert detail.actor == world.users["regency"].actor and laptop in detail.detail


def test_supervisor_sees_a_wider_officer_but_cannot_change_them(console, world, engine):
    browser = logged_in_as(console, world, "supervisor")  # 62.71.03; Sari works in all 62.71
    sari = world.officers["palangka"]
    page = browser.get(f"/console/officers/{sari}")
    assert page.status_code == 200 and "hanya provinsi" in page.text
    assert "enroll-code" not in page.text and "/revoke" not in page.text
    csrf = hidden(page.text, "csrf")
    before = len(audits(engine))
    refused = browser.post(f"/console/officers/{sari}/enroll-code", {"csrf": csrf})
    assert refused.status_code == 403 and "hanya provinsi" in refused.text
    assert (
        browser.post(
            f"/console/officers/{sari}/areas", {"areas": "62.71.03", "csrf": csrf}
        ).status_code
        == 403
    )
    revoke = browser.post(f"/console/devices/{device_of(engine, sari)}/revoke", {"csrf": csrf})
    assert revoke.status_code == 403
    assert len(audits(engine)) == before


def test_recovery_code_needs_a_reason_and_keeps_to_the_scope(console, world, engine, initialised):
    laptop_key = os.urandom(32)
    store = "3f1c2a9e-0b7d-4c55-9a11-6d2e8f4b7c01"
    sari_device = device_of(engine, world.officers["palangka"])
    escrow(engine, initialised, sari_device, store, laptop_key)
    kobar = logged_in_as(console, world, "kobar")
    refused = kobar.post(
        "/console/recovery", {"store": store, "reason": "lupa_kata_sandi", "csrf": csrf_of(kobar)}
    )
    assert refused.status_code == 404 and "Tidak ada titipan kunci" in refused.text
    browser = logged_in_as(console, world, "regency")
    csrf = csrf_of(browser)
    for reason in ("", "Pak Budi menelepon"):
        reply = browser.post("/console/recovery", {"store": store, "reason": reason, "csrf": csrf})
        assert reply.status_code == 400 and "Alasan wajib" in reply.text
    assert audits(engine, "device.recover") == []
    given = browser.post(
        "/console/recovery", {"store": store, "reason": "tiket-2026-0042", "csrf": csrf}
    )
    assert given.status_code == 200 and given.headers["Cache-Control"] == "no-store"
    assert format_code(laptop_key) in given.text and sari_device in given.text
    ((actor, _, detail),) = audits(engine, "device.recover")
    assert actor == world.users["regency"].actor
    assert detail["reason"] == "tiket-2026-0042" and detail["device_id"] == sari_device
    assert format_code(laptop_key) not in json.dumps(audits(engine))


# -- exports ----------------------------------------------------------------------------------


def ids_in(archive: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.namelist() == ["households.csv", "members.csv", "manifest.json"]
        text = z.read("households.csv").decode("utf-8-sig")
    return {row["household_id"] for row in csv.DictReader(io.StringIO(text))}


def test_export_download_holds_the_users_region_only(console, world, engine):
    browser = logged_in_as(console, world, "regency")
    form = browser.get("/console/exports")
    assert form.status_code == 200 and "Kota Palangkaraya" in form.text
    assert 'value="62.01"' not in form.text  # another regency is not offered
    csrf = hidden(form.text, "csrf")
    reply = browser.post("/console/exports", {"csrf": csrf})
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/zip"
    assert reply.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="khbs-62\.71-\d{8}T\d{6}Z\.zip"',
        reply.headers["content-disposition"],
    )
    assert ids_in(reply.content) == set(world.households["palangka"])
    verified = browser.post("/console/exports", {"status": "verified", "csrf": csrf})
    assert len(ids_in(verified.content)) == 1
    ((actor, _, detail), _second) = audits(engine, "export")
    assert actor == world.users["regency"].actor and detail["households"] == 4
    assert detail["via"] == "console" and detail["completed"] is True

    before = len(audits(engine))
    assert browser.post("/console/exports", {"regency": "62.01", "csrf": csrf}).status_code == 404
    assert browser.post("/console/exports", {}).status_code == 403
    bad = browser.post(
        "/console/exports",
        {"since": "kemarin", "status": "verified", "mask_ids": "1", "lang": "en", "csrf": csrf},
    )
    assert bad.status_code == 400 and "Berubah sejak: tanggal tidak terbaca" in bad.text
    assert 'value="kemarin"' in bad.text  # nothing chosen or typed is lost
    assert '<option value="verified" selected>' in bad.text
    assert 'name="mask_ids" value="1" checked' in bad.text
    assert '<option value="en" selected>' in bad.text
    assert len(audits(engine)) == before
    later = browser.post("/console/exports", {"since": "31-12-2099", "csrf": csrf})
    assert later.headers["content-type"] == "application/zip" and ids_in(later.content) == set()
    typed = browser.post("/console/exports", {"since": "01-01-2000", "csrf": csrf})
    assert ids_in(typed.content) == set(world.households["palangka"])
    province = logged_in_as(console, world, "province")
    everything = province.post("/console/exports", {"csrf": csrf_of(province)})
    assert ids_in(everything.content) == set(
        world.households["palangka"] + world.households["kobar"]
    )
    kobar_only = province.post("/console/exports", {"regency": "62.01", "csrf": csrf_of(province)})
    assert ids_in(kobar_only.content) == set(world.households["kobar"])


# -- the audit viewer -------------------------------------------------------------------------


def test_audit_viewer_is_the_provinces_filtered_and_verified(console, world, engine):
    for who in ("regency", "supervisor"):
        assert logged_in_as(console, world, who).get("/console/audit").status_code == 404
    regency = logged_in_as(console, world, "regency")
    hid = world.households["palangka"][0]
    regency.post(f"/console/households/{hid}", {"reason": "card", "csrf": csrf_of(regency)})
    browser = logged_in_as(console, world, "province")
    page = browser.get("/console/audit")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "console.household_open" in page.text and "Rahmat Kota" in page.text
    assert "Data keluarga dibuka di konsol" in page.text  # the code's readable label
    assert "Belum diperiksa" in page.text
    mine = browser.get(f"/console/audit?household={hid}").text
    assert mine.count("<tr>") == 2  # the header and the one opening
    actor = world.users["regency"].actor
    by_who = browser.get(f"/console/audit?who={actor}&action=console.login").text
    assert "Catatan (2)" in by_who  # the two logins above
    assert "Catatan (0)" in browser.get("/console/audit?since=2000-01-01&until=2000-01-02").text
    assert "Catatan (0)" in browser.get("/console/audit?since=01-01-2000&until=02-01-2000").text
    bad = browser.get(f"/console/audit?who={actor}&action=console.login&since=kemarin")
    assert bad.status_code == 400 and "Sejak tanggal: tanggal tidak terbaca" in bad.text
    assert 'value="kemarin"' in bad.text and "Catatan (2)" in bad.text  # the rest kept
    assert '<option value="console.login" selected>Masuk ke konsol</option>' in bad.text
    checked = browser.get("/console/audit?verify=1").text
    assert "Rantai utuh" in checked
    with engine.begin() as conn:  # someone with the database but not the key edits an entry
        first = conn.execute(select(audit_log.c.id).order_by(audit_log.c.id).limit(1)).scalar()
        conn.execute(update(audit_log).where(audit_log.c.id == first).values(actor="nobody"))
    broken = browser.get("/console/audit?verify=1").text
    assert "Rantai RUSAK" in broken and f"pertama #{first}" in broken


def test_texts_built_in_templates_are_in_both_languages():
    from app.i18n import catalogue
    from sync.server import audit
    from sync.server.console.officers_web import DONE

    used = {f"console.done.{d}" for d in DONE}
    used |= {f"console.code_title.{k}" for k in ("enroll", "recovery")}
    used |= {f"console.code_once.{k}" for k in ("enroll", "recovery")}
    used |= {
        f"console.chain_reason.{r}"
        for r in (audit.CHANGED, audit.BAD_SEAL, audit.UNKNOWN_KEY, audit.UNSEALED)
    }
    used |= {"console.no_escrow", "console.store_needed", "console.escrow_ambiguous"}
    messages = catalogue()
    assert not [k for k in sorted(used) if not {"id", "en"} <= set(messages.get(k, {}))]


def test_new_pages_are_small_scriptless_and_not_cached(console, world):
    browser = logged_in_as(console, world, "province")
    css = browser.get("/console/static/console.css").content
    sari = world.officers["palangka"]
    for path in (
        "/console/officers",
        f"/console/officers/{sari}",
        "/console/recovery",
        "/console/exports",
        "/console/audit",
        "/console/audit?verify=1",
    ):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert len(page.content) + len(css) <= 200 * 1024, path
        assert "<script" not in page.text and page.headers["Cache-Control"] == "no-store", path
        assert 'name="csrf"' in page.text  # logout at least: every form carries the token


def test_new_routes_hold_no_sql():
    """The same rule as web.py's: routes call officers.py, audit.py and the export modules."""
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "sync" / "server" / "console"
    for name in ("officers_web.py", "records_web.py"):
        tree = ast.parse((folder / name).read_text("utf-8"))
        modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m.startswith("sqlalchemy") for m in modules), name
        from_db = [
            a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module == "sync.server.db"
            for a in n.names
        ]
        assert set(from_db) <= {"read_snapshot"}, name  # no table
        called = {
            n.func.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        }
        assert not called & {"execute", "scalars", "scalar", "exec_driver_sql"}, name


def test_a_province_of_officers_comes_in_pages(console, world, engine):
    with engine.begin() as conn:
        for n in range(120):
            repo.add_officer(conn, f"Petugas {n:03d}", ["62.02"])
    browser = logged_in_as(console, world, "province")
    first = browser.get("/console/officers").text
    rows = first[first.index('id="officers-table"') : first.index("</table>")]
    assert rows.count('<th scope="row">') == 100 and "Halaman 1 dari 2 (122)" in first
    second = browser.get("/console/officers?page=2").text
    rows = second[second.index('id="officers-table"') : second.index("</table>")]
    assert rows.count('<th scope="row">') == 22
    assert browser.get("/console/officers?page=99").status_code == 200  # the last page
