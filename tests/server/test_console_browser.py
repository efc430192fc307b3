"""The console in a real browser: Debian's chromium (/usr/bin/chromium, driven by Playwright;
no browser download) against a real `khbs-server serve` process on 127.0.0.1, on SQLite and
PostgreSQL, in the officers' screen size (1366x768). Log in by keyboard, see the dashboard,
find a household by NIK, open it with a reason, see the audit entry, add an officer and make
their laptop's enrollment code, download the region's export, log out; then the province's
audit viewer with the chain checked.

Without chromium (or Playwright) the test skips, except in CI (CI=true), where it fails;
`make test` installs chromium. Screenshots go to tmp_path, or to KHBS_CONSOLE_SCREENSHOTS
(`make screenshots` sets docs/screenshots).

Playwright runs in a child process (this file run as a script): its sync API has its own event
loop, kept apart from the one pytest-qt's plugin may hold in the test process."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from sync.server.console import passwords
from sync.server.db import audit_log
from tests.conftest import FAST_KDF, PASSPHRASE, in_ci
from tests.server import consoleworld

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SIZE = {"width": 1366, "height": 768}


def need_chromium() -> None:
    problem = None
    if not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} is not installed; `make test` installs Debian's chromium"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[test]')"
    if problem:
        if in_ci():
            pytest.fail(problem + "; CI is set, so this fails instead of skipping", pytrace=False)
        pytest.skip(problem)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(db_url, engine, initialised, tmp_path, monkeypatch):
    """The world of tests/server/consoleworld.py, served by `khbs-server serve` (a process)."""
    need_chromium()
    monkeypatch.setattr(passwords, "COST", FAST_KDF)
    world = consoleworld.build(engine, initialised, tmp_path)
    consoleworld.spread_over_days(engine, world)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHBS_")}
    env.update(KHBS_SERVER_PASSPHRASE=PASSPHRASE, KHBS_LANG="id", HOME=str(tmp_path))
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.server_cli", "--db", db_url, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if requests.get(url + "/v1/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "khbs-server serve did not start"
            time.sleep(0.2)
        yield url, world
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_log_in_find_open_with_reason_log_out(served, engine, tmp_path):
    url, world = served
    hid = world.households["palangka"][1]
    record = world.records[hid]
    shots = Path(os.environ.get("KHBS_CONSOLE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    plan = {
        "url": url,
        "name": world.users["regency"].name,
        "password": consoleworld.PASSWORD,
        "nik": record["anggota"][0]["nik"],
        "household": hid,
        "province": world.users["province"].name,
        "shots": str(shots),
        "downloads": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.server.test_console_browser", json.dumps(plan)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])

    assert seen["first"] == "/console/login"
    assert seen["focus_outline"] not in ("", "none")  # keyboard focus is visible
    assert seen["after_login"] == "/console"
    assert seen["dashboard_width"] <= SIZE["width"]  # no sideways scrolling at 1366x768
    assert (seen["first_tab"], seen["skip_visible"], seen["after_skip"]) == ("skip", True, "main")
    assert seen["next_tab"] == "Semua wilayah saya"  # past the menu, into the page
    assert seen["english"].startswith("Verification progress")
    assert seen["search_url"].endswith("/console/households/search")
    assert plan["nik"] not in seen["search_url"] and plan["nik"] not in seen["search_text"]
    assert seen["found"] == "Hasil pencarian: 1"
    assert seen["household_heading"].endswith(hid)
    assert record["no_kk"] in seen["household_text"]  # the full record, after the reason
    assert "Rahmat Kota" in seen["access_row"] and "Koreksi data" in seen["access_row"]
    assert seen["officer_heading"] == "Tono Baru" and seen["officer_notice"].startswith("Petugas")
    assert re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){3}", seen["enroll_code"])
    assert seen["code_url"].endswith("/enroll-code") and seen["enroll_code"] not in seen["code_url"]
    assert seen["export_name"].startswith("khbs-62.71-") and seen["export_name"].endswith(".zip")
    with zipfile.ZipFile(seen["export_path"]) as archive:
        assert archive.namelist() == ["households.csv", "members.csv", "manifest.json"]
        text = archive.read("households.csv").decode("utf-8-sig")
    exported = {row["household_id"] for row in csv.DictReader(io.StringIO(text))}
    assert exported == set(world.households["palangka"])  # the regency's own only
    assert seen["chain"].startswith("Rantai utuh")
    assert "console.household_open" in seen["audit_text"] and "Rahmat Kota" in seen["audit_text"]
    assert seen["logged_out"] == "Anda sudah keluar."
    assert seen["after_logout"] == "/console/login"
    with engine.connect() as conn:
        opened = [
            (r.actor, json.loads(r.detail))
            for r in conn.execute(
                select(audit_log).where(audit_log.c.action == "console.household_open")
            )
        ]
    assert opened == [
        (
            world.users["regency"].actor,
            {"household_id": hid, "reason": "correction", "note": "KK baru setelah pindah"},
        )
    ]
    with engine.connect() as conn:
        done = [r.action for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert {"officer.add", "enroll_code.create", "export"} <= set(done)
    for name in (
        "login",
        "dashboard",
        "dashboard-en",
        "households",
        "household",
        "officers",
        "enroll-code",
        "exports",
        "audit",
    ):
        assert (shots / f"console-{name}.png").stat().st_size > 10_000


# -- the browser, in its own process ----------------------------------------------------------


def drive(plan: dict) -> dict:
    from playwright.sync_api import sync_playwright

    seen: dict = {}
    shots = Path(plan["shots"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=SIZE, locale="id-ID")
        page.goto(plan["url"] + "/console")
        seen["first"] = page.url.removeprefix(plan["url"])
        page.screenshot(path=str(shots / "console-login.png"))
        # By keyboard: the name field has focus; Tab to the password, Enter to send.
        # Typing waits for the autofocus: on a busy machine keys typed before it landed went
        # nowhere and the log-in posted an empty form.
        page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
        page.keyboard.type(plan["name"])
        seen["focus_outline"] = page.evaluate(
            "getComputedStyle(document.activeElement).outlineStyle"
        )
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "password"
        page.keyboard.type(plan["password"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/console")
        seen["after_login"] = page.url.removeprefix(plan["url"])
        page.get_by_role("heading", level=1).wait_for()
        seen["dashboard_width"] = page.evaluate("document.documentElement.scrollWidth")
        # The first Tab reaches the skip link (shown when focused); Enter jumps to the content.
        page.keyboard.press("Tab")
        seen["first_tab"] = page.evaluate("document.activeElement.className")
        seen["skip_visible"] = page.locator("a.skip").bounding_box()["x"] >= 0
        page.keyboard.press("Enter")
        seen["after_skip"] = page.evaluate("document.activeElement.id")
        page.keyboard.press("Tab")
        seen["next_tab"] = page.evaluate("document.activeElement.textContent").strip()
        page.screenshot(path=str(shots / "console-dashboard.png"), full_page=True)
        page.get_by_role("link", name="English").click()
        seen["english"] = page.get_by_role("heading", level=1).inner_text()
        page.screenshot(path=str(shots / "console-dashboard-en.png"), full_page=True)
        page.get_by_role("link", name="Bahasa Indonesia").click()

        page.get_by_role("link", name="Keluarga", exact=True).click()
        page.get_by_label("NIK atau nomor KK", exact=True).wait_for()
        page.screenshot(path=str(shots / "console-households.png"), full_page=True)
        page.get_by_label("NIK atau nomor KK", exact=True).fill(plan["nik"])
        page.get_by_role("button", name="Cari").click()
        page.get_by_role("heading", name="Hasil pencarian").wait_for()
        seen["search_url"] = page.url
        seen["search_text"] = page.content()
        seen["found"] = page.get_by_role("heading", name="Hasil pencarian").inner_text()

        page.locator(f'a[href="/console/households/{plan["household"]}"]').click()
        page.get_by_label("Koreksi data").check()
        page.get_by_label("Keterangan").fill("KK baru setelah pindah")
        page.get_by_role("button", name="Buka data").click()
        heading = page.get_by_role("heading", level=1)
        heading.wait_for()
        seen["household_heading"] = heading.inner_text()
        seen["household_text"] = page.inner_text("main")
        seen["access_row"] = page.locator("#access-table tbody tr").first.inner_text()
        page.screenshot(path=str(shots / "console-household.png"))  # its first screen

        # Officers: add one for a kecamatan of the city, then a code for their laptop.
        page.get_by_role("link", name="Petugas", exact=True).click()
        page.locator("#officer-name").wait_for()
        page.screenshot(path=str(shots / "console-officers.png"), full_page=True)
        page.locator("#officer-name").fill("Tono Baru")
        page.locator("#officer-areas").fill("62.71.03")
        page.get_by_role("button", name="Tambah petugas").click()
        page.get_by_role("heading", level=1).wait_for()
        seen["officer_heading"] = page.get_by_role("heading", level=1).inner_text()
        seen["officer_notice"] = page.get_by_role("status").inner_text()
        page.get_by_role("button", name="Buat kode pendaftaran").click()
        page.locator("#the-code").wait_for()
        seen["enroll_code"] = page.locator("#the-code").inner_text().strip()
        seen["code_url"] = page.url
        page.screenshot(path=str(shots / "console-enroll-code.png"))

        # The region's export, downloaded.
        page.get_by_role("link", name="Ekspor", exact=True).click()
        page.get_by_role("button", name="Unduh ZIP").wait_for()
        page.screenshot(path=str(shots / "console-exports.png"))
        with page.expect_download() as info:
            page.get_by_role("button", name="Unduh ZIP").click()
        download = info.value
        seen["export_name"] = download.suggested_filename
        seen["export_path"] = str(Path(plan["downloads"]) / download.suggested_filename)
        download.save_as(seen["export_path"])

        page.get_by_role("button", name="Keluar").click()
        page.get_by_role("status").wait_for()
        seen["logged_out"] = page.get_by_role("status").inner_text()
        page.goto(plan["url"] + "/console")
        seen["after_logout"] = page.url.removeprefix(plan["url"])

        # The province's audit viewer, the chain checked.
        page.locator("#name").fill(plan["province"])
        page.locator("#password").fill(plan["password"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/console")
        page.get_by_role("link", name="Log audit", exact=True).click()
        page.locator("#verify-link").click()
        page.locator("#chain-state").wait_for()
        seen["chain"] = page.locator("#chain-state").inner_text()
        seen["audit_text"] = page.inner_text("#audit-table")
        page.screenshot(path=str(shots / "console-audit.png"))
        browser.close()
    return seen


if __name__ == "__main__":
    print(json.dumps(drive(json.loads(sys.argv[1]))))
