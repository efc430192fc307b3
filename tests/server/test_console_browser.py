"""The console in a real browser: Debian's chromium (/usr/bin/chromium, driven by Playwright;
no browser download) against a real `khbs-server serve` process on 127.0.0.1, on SQLite and
PostgreSQL, in the officers' screen size (1366x768).

Issue 14's "done when", as a new user meets it: the province adds a regency coordinator for
Kotawaringin Timur (Sampit) with `khbs-server user add` (the real command); the coordinator
opens the set-up page the command names, types the code and a password, logs in by keyboard,
sees only the regency's progress and households (a NIK of another regency finds nothing),
filters the list by a date typed DD-MM-YYYY, opens a household with a reason, sees that opening
on the household's page, adds an officer and makes their laptop's enrollment code, downloads
the regency's export, logs out; then the province's audit viewer, the chain checked, holds the
opening under its readable label.

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

from app.export.cells import mask
from sync.server.console import passwords
from sync.server.console.data import area_name
from sync.server.db import audit_log, console_users
from tests.conftest import FAST_KDF, PASSPHRASE, in_ci
from tests.server import consoleworld
from tests.server.test_cli import Server

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
    consoleworld.add_sampit(engine, initialised, world)
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


def test_a_new_regency_coordinator_sees_only_their_regency_and_every_opening_is_audited(
    served, engine, db_url, tmp_path
):
    url, world = served
    # The province adds the coordinator: the command prints a one-time code and where to type it.
    # The server's public address is set (KHBS_PUBLIC_URL): the command prints the whole link.
    printed = Server(db_url, tmp_path).ok(
        "user",
        "add",
        "--name",
        "Yuliana Sampit",
        "--role",
        "regency",
        "--area",
        "6202",
        KHBS_PUBLIC_URL=url,
    )
    code = re.search(r"Kode penyiapan sekali pakai: (\S+)", printed.stdout).group(1)
    setup_url = re.search(r"ia membuka (\S+), mengetik kode", printed.stdout).group(1)
    assert setup_url == url + "/console/setup"
    name = re.search(r'masuk dengan nama "([^"]+)"', printed.stdout).group(1)
    assert re.search(r"Berlaku sampai \d\d-\d\d-\d{4} \d\d:\d\d WIB", printed.stdout)
    mine, others = world.households["sampit"], world.households["palangka"]
    hid = mine[1]
    record = world.records[hid]
    shots = Path(os.environ.get("KHBS_CONSOLE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    plan = {
        "url": url,
        "setup": setup_url,
        "code": code,
        "name": name,
        "password": "mentaya sore hari ini",
        "nik": record["anggota"][0]["nik"],
        "other_nik": world.records[others[0]]["anggota"][0]["nik"],
        "household": hid,
        "province": world.users["province"].name,
        "province_password": consoleworld.PASSWORD,
        "shots": str(shots),
        "downloads": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.server.test_console_browser", json.dumps(plan)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])

    assert seen["setup_done"] == "Kata sandi sudah dibuat. Silakan masuk."
    assert seen["focus_outline"] not in ("", "none")  # keyboard focus is visible
    assert seen["after_login"] == "/console"
    assert seen["dashboard_width"] <= SIZE["width"]  # no sideways scrolling at 1366x768
    assert all(width <= SIZE["width"] for width in seen["widths"].values()), seen["widths"]
    assert seen["menu_lines"] < 60  # the province's English menu on one line
    assert (seen["first_tab"], seen["skip_visible"], seen["after_skip"]) == ("skip", True, "main")
    assert seen["next_tab"] == "Semua wilayah saya"  # past the menu, into the page
    # Only the regency's progress: its kecamatan, its three households.
    assert seen["dashboard_title"] == "Kemajuan verifikasi: Kabupaten Kotawaringin Timur"
    assert seen["received"] == "3" and seen["area_rows"][0].startswith("Kota Besi")
    assert all(row.count(".") and "62.02." in row for row in seen["area_rows"])
    for elsewhere in ("Palangka", "Kotawaringin Barat", "Sari Petugas", "Budi Petugas"):
        assert elsewhere not in seen["dashboard_text"]
    assert seen["english"].startswith("Verification progress")
    # Only the regency's households, in the list and in a search.
    assert seen["listed"] == "3 keluarga"
    # Each household's link names its place as its page's heading does, not an id.
    # Each household's link names its place as its page's heading does, not an id; its
    # accessible name adds the masked KK the list shows (two families of one RT differ).
    places = {
        m: "Keluarga di {}, RT {}/RW {}".format(
            area_name(world.records[m]["lokasi"]["kode_desa"]),
            world.records[m]["lokasi"]["rt"],
            world.records[m]["lokasi"]["rw"],
        )
        for m in mine
    }
    assert seen["list_links"] == {
        f"/console/households/{m}": [places[m], f"{places[m]}, KK {mask(kk)}: buka"]
        for m in mine
        for kk in [world.records[m]["no_kk"]]
    }
    assert seen["bad_date"].startswith("Diterima sejak: tanggal tidak terbaca")
    assert seen["bad_date_focus"] == "since" and seen["kept_status"] == "received"
    assert seen["typed_date"] == "3 keluarga"
    assert seen["other_found"] == "Hasil pencarian: 0"
    assert seen["search_url"].endswith("/console/households/search")
    assert plan["nik"] not in seen["search_url"] and plan["nik"] not in seen["search_text"]
    assert seen["found"] == "Hasil pencarian: 1"
    # The household, after the reason: a human title, the whole record, the opening listed.
    assert seen["household_heading"].startswith("Keluarga di Mentawa Baru Hilir, RT ")
    assert seen["household_title"].startswith("Keluarga di Mentawa Baru Hilir, KK 620206*")
    assert hid not in seen["household_title"] and record["no_kk"] not in seen["household_title"]
    assert record["no_kk"] in seen["household_text"]
    assert "Yuliana Sampit" in seen["access_row"] and "Koreksi data" in seen["access_row"]
    assert seen["officer_heading"] == "Tono Baru" and seen["officer_notice"].startswith("Petugas")
    assert re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){3}", seen["enroll_code"])
    assert seen["code_url"].endswith("/enroll-code") and seen["enroll_code"] not in seen["code_url"]
    assert seen["export_name"].startswith("khbs-62.02-") and seen["export_name"].endswith(".zip")
    with zipfile.ZipFile(seen["export_path"]) as archive:
        assert archive.namelist() == ["households.csv", "members.csv", "manifest.json"]
        text = archive.read("households.csv").decode("utf-8-sig")
    exported = {row["household_id"] for row in csv.DictReader(io.StringIO(text))}
    assert exported == set(mine)  # the regency's own only
    assert seen["logged_out"] == "Anda sudah keluar."
    assert seen["after_logout"] == "/console/login"
    # The province's audit viewer: the chain intact, the opening under its label.
    assert seen["chain"].startswith("Rantai utuh")
    assert seen["opening_row"].startswith("Yuliana Sampit")
    assert "Data keluarga dibuka di konsol" in seen["opening_row"]
    assert "console.household_open" in seen["opening_row"]  # the code, for the data manager
    # Its detail as labelled lines, not JSON: what is stored, the reason by its label.
    assert seen["opening_detail"] == {
        "Keluarga": hid,
        "Alasan": "Koreksi data (correction)",
        "Keterangan": "KK baru setelah pindah",
    }
    widest, room, options = seen["action_fit"]
    assert options > 40 and widest + 16 <= room, seen["action_fit"]  # no label cut off
    with engine.connect() as conn:
        coordinator = conn.execute(
            select(console_users.c.id).where(console_users.c.name == "Yuliana Sampit")
        ).scalar_one()
        opened = [
            (r.actor, json.loads(r.detail))
            for r in conn.execute(
                select(audit_log).where(audit_log.c.action == "console.household_open")
            )
        ]
        done = [r.action for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert opened == [
        (
            f"user:{coordinator}",
            {"household_id": hid, "reason": "correction", "note": "KK baru setelah pindah"},
        )
    ]
    assert {"user.add", "console.setup", "officer.add", "enroll_code.create", "export"} <= set(done)
    for name in (
        "setup",
        "login",
        "dashboard",
        "dashboard-en",
        "households",
        "households-en",
        "households-date-error",
        "household",
        "officers",
        "enroll-code",
        "exports",
        "audit",
        "audit-en",
    ):
        assert (shots / f"console-{name}.png").stat().st_size > 10_000


# -- the browser, in its own process ----------------------------------------------------------


def drive(plan: dict) -> dict:
    from playwright.sync_api import sync_playwright

    seen: dict = {}
    shots = Path(plan["shots"])

    def wait_focus(element_id: str) -> None:
        # Typing waits for the autofocus: on a busy machine keys typed before it landed went
        # nowhere and the form posted empty.
        page.wait_for_function(
            f"document.activeElement && document.activeElement.id === '{element_id}'"
        )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=SIZE, locale="id-ID")
        # The set-up page the command named: the code, then a password twice, by keyboard.
        page.goto(plan["setup"])
        wait_focus("code")
        page.screenshot(path=str(shots / "console-setup.png"))
        page.keyboard.type(plan["code"])
        page.keyboard.press("Tab")
        page.keyboard.type(plan["password"])
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "repeat"
        page.keyboard.type(plan["password"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/console/login?done=setup")
        seen["setup_done"] = page.get_by_role("status").inner_text()
        page.screenshot(path=str(shots / "console-login.png"))
        # Log in by keyboard: the name field has focus; Tab to the password, Enter to send.
        wait_focus("name")
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
        seen["dashboard_title"] = page.get_by_role("heading", level=1).inner_text()
        seen["dashboard_text"] = page.inner_text("main")
        seen["received"] = page.locator("#total-received").inner_text()
        seen["area_rows"] = page.locator("#areas tbody th").all_inner_texts()
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

        page.get_by_role("link", name="Households", exact=True).click()
        page.locator("#number").wait_for()
        page.screenshot(path=str(shots / "console-households-en.png"), full_page=True)
        page.get_by_role("link", name="Bahasa Indonesia").click()
        page.get_by_label("NIK atau nomor KK", exact=True).wait_for()
        seen["listed"] = page.locator("#results").inner_text()
        seen["widths"] = {"households": page.evaluate("document.documentElement.scrollWidth")}
        links = page.locator("#household-table tbody th a")
        seen["list_links"] = {
            links.nth(i).get_attribute("href"): (
                links.nth(i).inner_text(),
                links.nth(i).get_attribute("aria-label"),
            )
            for i in range(links.count())
        }
        page.screenshot(path=str(shots / "console-households.png"), full_page=True)
        # A date typed wrong: the error names the field, which gets the focus; nothing is lost.
        page.get_by_label("Status", exact=True).select_option("received")
        page.locator("#since").fill("31-02-2026")
        page.get_by_role("button", name="Terapkan").click()
        page.get_by_role("alert").wait_for()
        seen["bad_date"] = page.get_by_role("alert").inner_text()
        seen["bad_date_focus"] = page.evaluate("document.activeElement.id")
        seen["kept_status"] = page.get_by_label("Status", exact=True).input_value()
        page.screenshot(path=str(shots / "console-households-date-error.png"), full_page=True)
        page.keyboard.press("Control+A")
        page.keyboard.type("01-01-2026")
        page.get_by_label("Status", exact=True).select_option("")
        page.get_by_role("button", name="Terapkan").click()
        page.locator("#results").wait_for()
        seen["typed_date"] = page.locator("#results").inner_text()
        # Another regency's NIK finds nothing; their own finds the household.
        page.get_by_label("NIK atau nomor KK", exact=True).fill(plan["other_nik"])
        page.get_by_role("button", name="Cari").click()
        page.get_by_role("heading", name="Hasil pencarian").wait_for()
        seen["other_found"] = page.get_by_role("heading", name="Hasil pencarian").inner_text()
        page.get_by_label("NIK atau nomor KK", exact=True).fill(plan["nik"])
        page.get_by_role("button", name="Cari").click()
        page.get_by_role("heading", name="Hasil pencarian: 1").wait_for()
        seen["search_url"] = page.url
        seen["search_text"] = page.content()
        seen["found"] = page.get_by_role("heading", name="Hasil pencarian").inner_text()

        page.locator(f'a[href="/console/households/{plan["household"]}"]').click()
        page.get_by_label("Koreksi data").check()
        page.get_by_label("Keterangan").fill("KK baru setelah pindah")
        page.get_by_role("button", name="Buka data").click()
        page.locator("#record-id").wait_for()
        seen["household_heading"] = page.get_by_role("heading", level=1).inner_text()
        seen["household_title"] = page.title()
        seen["household_text"] = page.inner_text("main")
        seen["widths"]["household"] = page.evaluate("document.documentElement.scrollWidth")
        seen["access_row"] = page.locator("#access-table tbody tr").first.inner_text()
        page.screenshot(path=str(shots / "console-household.png"))  # its first screen

        # Officers: add one for a kecamatan of Sampit, then a code for their laptop.
        page.get_by_role("link", name="Petugas", exact=True).click()
        page.locator("#officer-name").wait_for()
        page.screenshot(path=str(shots / "console-officers.png"), full_page=True)
        page.locator("#officer-name").fill("Tono Baru")
        page.locator("#officer-areas").fill("62.02.06")
        page.get_by_role("button", name="Tambah petugas").click()
        page.get_by_role("heading", level=1).wait_for()
        seen["officer_heading"] = page.get_by_role("heading", level=1).inner_text()
        seen["officer_notice"] = page.get_by_role("status").inner_text()
        page.get_by_role("button", name="Buat kode pendaftaran").click()
        page.locator("#the-code").wait_for()
        seen["enroll_code"] = page.locator("#the-code").inner_text().strip()
        seen["code_url"] = page.url
        page.screenshot(path=str(shots / "console-enroll-code.png"))

        # The regency's export, downloaded.
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

        # The province's audit viewer, the chain checked, filtered to the household.
        wait_focus("name")
        page.keyboard.type(plan["province"])
        page.locator("#password").fill(plan["province_password"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/console")
        page.get_by_role("link", name="Log audit", exact=True).click()
        page.locator("#verify-link").click()
        page.locator("#chain-state").wait_for()
        seen["chain"] = page.locator("#chain-state").inner_text()
        page.screenshot(path=str(shots / "console-audit.png"))
        page.get_by_label("Tindakan", exact=True).select_option("console.household_open")
        page.get_by_role("button", name="Terapkan").click()
        page.locator("#audit-table").wait_for()
        rows = page.locator("#audit-table tbody tr")
        seen["opening_row"] = " | ".join(rows.first.locator("td").all_inner_texts()[2:4]).replace(
            "\n", " "
        )
        detail = rows.first.locator("td").nth(5)
        seen["opening_detail"] = dict(
            zip(
                detail.locator("dt").all_inner_texts(),
                detail.locator("dd").all_inner_texts(),
                strict=True,
            )
        )
        # Every action's whole label fits its filter (none cut off at 1366x768).
        seen["action_fit"] = page.evaluate(
            """() => {
                const s = document.querySelector('#action');
                const span = document.createElement('span');
                span.style.font = getComputedStyle(s).font;
                span.style.whiteSpace = 'pre';
                document.body.appendChild(span);
                let widest = 0;
                for (const o of s.options) {
                    span.textContent = o.text;
                    widest = Math.max(widest, span.getBoundingClientRect().width);
                }
                span.remove();
                return [widest, s.clientWidth, s.options.length];
            }"""
        )
        seen["widths"]["audit"] = page.evaluate("document.documentElement.scrollWidth")
        page.get_by_role("link", name="English").click()
        page.locator("#audit-table").wait_for()
        seen["widths"]["audit-en"] = page.evaluate("document.documentElement.scrollWidth")
        seen["menu_lines"] = page.evaluate("document.querySelector('header.top').offsetHeight")
        page.screenshot(path=str(shots / "console-audit-en.png"))
        browser.close()
    return seen


if __name__ == "__main__":
    print(json.dumps(drive(json.loads(sys.argv[1]))))
