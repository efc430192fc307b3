"""The review queue in a real browser (Debian's chromium driven by Playwright, as
tests/server/test_console_browser.py does) against a real `khbs-server serve` process, on
SQLite and PostgreSQL, at 1366x768: a supervisor logs in by keyboard, opens the queue from the
menu, opens the oldest household with Enter, returns it with a comment on the second member's
NIK, and finds the queue empty. Playwright runs in a child process (this file as a script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sync.server import review
from sync.server.scope import Scope
from tests.server import consoleworld
from tests.server.test_console_browser import CHROMIUM, ROOT, SIZE, served

__all__ = ["served"]  # the fixture


def test_supervisor_returns_a_household_from_the_queue(served, engine, initialised, tmp_path):
    url, world = served
    hid = world.households["palangka"][2]  # the one household waiting in Jekan Raya
    shots = Path(os.environ.get("KHBS_CONSOLE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    plan = {
        "url": url,
        "name": world.users["supervisor"].name,
        "password": consoleworld.PASSWORD,
        "household": hid,
        "shots": str(shots),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.server.test_review_browser", json.dumps(plan)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["queue_heading"].startswith("1 keluarga menunggu")
    assert seen["queue_width"] <= SIZE["width"] and seen["review_width"] <= SIZE["width"]
    assert seen["focused"] == "Periksa"  # the oldest household's button has the focus
    assert seen["decide_heading"] == "Keputusan untuk revisi 1"
    assert "Dikembalikan" not in seen["review_text"]
    assert seen["notice"].startswith("Keluarga dikembalikan untuk diperbaiki")
    assert seen["after"] == "Tidak ada keluarga yang menunggu pemeriksaan."
    with engine.connect() as conn:
        rounds = review.rounds(conn, initialised, Scope.province(), hid)
    assert [(r.decision, [(c.path, c.code, c.text) for c in r.comments]) for r in rounds] == [
        ("returned", [("anggota.1.nik", "nik_wrong", "NIK beda dengan KK")])
    ]
    for name in ("review-queue", "review-household"):
        assert (shots / f"console-{name}.png").stat().st_size > 10_000


def drive(plan: dict) -> dict:
    from playwright.sync_api import sync_playwright

    seen: dict = {}
    shots = Path(plan["shots"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=SIZE, locale="id-ID")
        page.goto(plan["url"] + "/console")
        # Typing waits for the autofocus: on a busy machine keys typed before it landed went
        # nowhere and the log-in posted an empty form.
        page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
        page.keyboard.type(plan["name"])
        page.keyboard.press("Tab")
        page.keyboard.type(plan["password"])
        page.keyboard.press("Enter")
        page.wait_for_url("**/console")
        page.get_by_role("link", name="Pemeriksaan", exact=True).click()
        page.wait_for_url("**/console/review")
        seen["queue_heading"] = page.locator("#waiting").inner_text()
        seen["queue_width"] = page.evaluate("document.documentElement.scrollWidth")
        seen["focused"] = page.evaluate("document.activeElement.textContent").strip()
        page.screenshot(path=str(shots / "console-review-queue.png"), full_page=True)
        page.keyboard.press("Enter")  # the focused "Periksa": opened, audited
        heading = page.locator("#decide")
        heading.wait_for()
        seen["decide_heading"] = heading.inner_text()
        seen["review_width"] = page.evaluate("document.documentElement.scrollWidth")
        seen["review_text"] = page.inner_text("#decide")
        page.screenshot(path=str(shots / "console-review-household.png"))
        page.get_by_label("Pertanyaan 1").select_option("anggota.1.nik")
        page.locator("#code_0").select_option("nik_wrong")
        page.locator("#text_0").fill("NIK beda dengan KK")
        page.get_by_role("button", name="Kembalikan ke petugas").click()
        page.get_by_role("status").wait_for()
        seen["notice"] = page.get_by_role("status").inner_text()
        seen["after"] = page.locator("main > p").last.inner_text()
        browser.close()
    return seen


if __name__ == "__main__":
    print(json.dumps(drive(json.loads(sys.argv[1]))))
