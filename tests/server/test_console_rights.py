"""The console's family requests page (sync/server/console/rights_web.py, docs/privacy.md), on
SQLite and PostgreSQL: a regency user finds a family by NIK or KK, downloads its access copy and
records a withdrawal; a supervisor has no such page; another region's family is not found. And
the same in a real browser, by keyboard, as a new user would (Playwright, /usr/bin/chromium)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from sync.server.db import households, rights_requests, tombstones
from tests.server.consoleworld import PASSWORD
from tests.server.test_console import (  # noqa: F401 - fixtures
    Browser,
    audits,
    clock,
    console,
    console_engine,
    fast_passwords,
    hidden,
    logged_in_as,
    world,
)
from tests.server.test_console_browser import CHROMIUM, SIZE, served  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]


def rights_csrf(browser: Browser) -> str:
    page = browser.get("/console/rights")
    assert page.status_code == 200, page.status_code
    return hidden(page.text, "csrf")


def test_regency_user_answers_access_and_withdrawal(console, world, engine):
    browser = logged_in_as(console, world, "regency")
    assert "Permintaan keluarga" in browser.get("/console").text  # in the menu
    token = rights_csrf(browser)
    hid = world.households["palangka"][1]
    rec = world.records[hid]
    found = browser.post("/console/rights/find", {"number": rec["no_kk"], "csrf": token})
    assert found.status_code == 200 and hid in found.text
    assert rec["no_kk"] not in found.text  # the number is not repeated back
    no_reason = browser.post(f"/console/rights/{hid}/access", {"reason": "", "csrf": token})
    assert no_reason.status_code == 400
    copy = browser.post(f"/console/rights/{hid}/access", {"reason": "surat 3-12", "csrf": token})
    assert copy.status_code == 200
    assert copy.headers["content-disposition"].startswith("attachment;")
    assert copy.headers["cache-control"] == "no-store"
    assert rec["no_kk"] in copy.text and "Salinan data keluarga" in copy.text
    assert [a[2]["household_id"] for a in audits(engine, "rights.access")] == [hid]

    gone = world.households["palangka"][0]
    by_nik = browser.post(
        "/console/rights/find",
        {"number": world.records[gone]["anggota"][0]["nik"], "csrf": token},
    )
    assert gone in by_nik.text
    unconfirmed = browser.post(f"/console/rights/{gone}/withdraw", {"note": "x", "csrf": token})
    assert unconfirmed.status_code == 400 and "Centang konfirmasi" in unconfirmed.text
    done = browser.post(
        f"/console/rights/{gone}/withdraw",
        {"note": "surat 4-12", "confirm": "yes", "csrf": token},
    )
    assert done.status_code == 200 and "Persetujuan ditarik" in done.text
    with console_engine(console).connect() as conn:
        assert conn.execute(select(households.c.id).where(households.c.id == gone)).first() is None
        assert conn.execute(select(tombstones.c.household_id)).scalars().all() == [gone]
        kinds = conn.execute(select(rights_requests.c.kind)).scalars().all()
    assert sorted(kinds) == ["access", "withdrawal"]
    no_csrf = browser.post(f"/console/rights/{hid}/withdraw", {"confirm": "yes"})
    assert no_csrf.status_code == 403


def test_other_regions_and_supervisors_get_nothing(console, world):
    kobar = logged_in_as(console, world, "kobar")
    token = rights_csrf(kobar)
    hid = world.households["palangka"][1]
    missing = kobar.post(
        "/console/rights/find", {"number": world.records[hid]["no_kk"], "csrf": token}
    )
    assert missing.status_code == 404 and hid not in missing.text
    assert (
        kobar.post(f"/console/rights/{hid}/access", {"reason": "x y z", "csrf": token}).status_code
        == 404
    )
    supervisor = logged_in_as(console, world, "supervisor")
    assert supervisor.get("/console/rights").status_code == 404
    assert "/console/rights" not in supervisor.get("/console").text


def test_access_and_withdrawal_in_a_real_browser(served, tmp_path):
    url, world = served
    hid = world.households["palangka"][1]
    gone = world.households["palangka"][0]
    plan = {
        "url": url,
        "name": world.users["regency"].name,
        "password": PASSWORD,
        "kk": world.records[hid]["no_kk"],
        "nik": world.records[gone]["anggota"][0]["nik"],
        "out": str(tmp_path / "salinan.html"),
        "shot": str(tmp_path / "rights.png"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.server.test_console_rights", json.dumps(plan)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["heading"] == "Permintaan keluarga (UU PDP)"
    assert seen["found"].startswith("Keluarga ditemukan") and hid in seen["found_text"]
    assert seen["download"].startswith("salinan-data-")
    saved = Path(plan["out"]).read_text("utf-8")
    assert plan["kk"] in saved and "Siapa mengakses data ini dan kapan" in saved
    assert seen["done"].startswith("Persetujuan ditarik") and gone in seen["done"]
    assert seen["width"] <= SIZE["width"]


def drive(plan: dict) -> dict:
    """A regency user new to the page: everything by its visible labels and the keyboard."""
    from playwright.sync_api import sync_playwright

    seen: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=SIZE, locale="id-ID", accept_downloads=True)
        page.goto(plan["url"] + "/console")
        # Typing waits for the autofocus: on a busy machine keys typed before it landed went
        # nowhere and the log-in posted an empty form.
        page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
        page.keyboard.type(plan["name"])
        page.keyboard.press("Tab")
        page.keyboard.type(plan["password"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/console")
        page.get_by_role("link", name="Permintaan keluarga").click()
        seen["heading"] = page.get_by_role("heading", level=1).inner_text()
        page.get_by_label("NIK atau nomor KK (16 digit)").fill(plan["kk"])
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Keluarga ditemukan").wait_for()
        seen["found"] = page.get_by_role("heading", name="Keluarga ditemukan").inner_text()
        seen["found_text"] = page.inner_text("main")
        seen["width"] = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=plan["shot"], full_page=True)
        page.get_by_label("Alasan / isi permintaan (wajib)").fill("Surat keluarga 3-12")
        with page.expect_download() as download:
            page.get_by_role("button", name="Unduh salinan data").click()
        download.value.save_as(plan["out"])
        seen["download"] = download.value.suggested_filename

        page.get_by_label("NIK atau nomor KK (16 digit)").fill(plan["nik"])
        page.get_by_role("button", name="Cari keluarga").click()
        page.get_by_role("heading", name="Keluarga ditemukan").wait_for()
        page.get_by_label("Catatan permintaan (mis. nomor surat)").fill("surat 4-12")
        page.get_by_label("Saya sudah memastikan identitas keluarga dan permintaannya").check()
        page.get_by_role("button", name="Hapus data keluarga").click()
        page.get_by_role("status").wait_for()
        seen["done"] = page.get_by_role("status").inner_text()
        browser.close()
    return seen


if __name__ == "__main__":
    print(json.dumps(drive(json.loads(sys.argv[1]))))
