"""The console's supervision pages against the real server on 127.0.0.1, on SQLite and
PostgreSQL, with requests as the browser: the review queue in each user's scope (404 outside
it), opening for review audited before anything is shown, a return with a comment on one
member's NIK, CSRF, duplicate cases decided by the regency, and cards issued after a preview."""

from __future__ import annotations

import pytest

from sync.server import review
from sync.server.scope import Scope
from tests.server.consoleworld import PASSWORD
from tests.server.test_console import Browser, audits, console, fast_passwords, hidden, world

__all__ = ["console", "fast_passwords", "world"]  # fixtures


@pytest.fixture
def clock():
    from tests.server.consoleworld import Clock

    return Clock()


def logged_in(console, world, who: str) -> Browser:
    browser = Browser(console.url)
    assert browser.login(world.users[who].name, PASSWORD).status_code == 303
    return browser


def test_queue_review_return_in_scope(console, world, engine, initialised):
    palangka, kobar = world.households["palangka"], world.households["kobar"]
    supervisor = logged_in(console, world, "supervisor")
    queue = supervisor.get("/console/review")
    assert queue.status_code == 200
    assert palangka[2][:8] in queue.text  # received, in Jekan Raya
    assert palangka[3][:8] not in queue.text and kobar[1][:8] not in queue.text
    assert queue.headers["Cache-Control"] == "no-store"
    csrf = hidden(queue.text, "csrf")
    # Another region's household: 404 to open and to decide, and nothing is audited.
    assert supervisor.post(f"/console/review/{kobar[1]}", {"csrf": csrf}).status_code == 404
    refused = supervisor.post(
        f"/console/review/{kobar[1]}/decide",
        {"csrf": csrf, "decision": "verified", "revision": "1"},
    )
    assert refused.status_code == 404
    assert supervisor.post(f"/console/review/{palangka[2]}", {"csrf": "x"}).status_code == 403
    assert audits(engine, "console.household_open") == []

    page = supervisor.post(f"/console/review/{palangka[2]}", {"csrf": csrf})
    assert page.status_code == 200
    assert "Anggota ke-2: NIK" in page.text  # a comment target, by the questionnaire's label
    assert 'value="anggota.1.nik"' in page.text
    assert "Revisi pertama" in page.text and world.records[palangka[2]]["no_kk"] in page.text
    assert audits(engine, "console.household_open") == [
        (
            world.users["supervisor"].actor,
            "console.household_open",
            {"household_id": palangka[2], "reason": "verification"},
        )
    ]
    done = supervisor.post(
        f"/console/review/{palangka[2]}/decide",
        {
            "csrf": csrf,
            "decision": "returned",
            "revision": "1",
            "path_0": "anggota.1.nik",
            "code_0": "nik_wrong",
            "text_0": "Cek KK",
            "note": "",
        },
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=returned")
    after = supervisor.get("/console/review?done=returned")
    assert "dikembalikan" in after.text and palangka[2][:8] not in after.text
    with engine.connect() as conn:
        rounds = review.rounds(conn, initialised, Scope.province(), palangka[2])
    assert [(r.decision, r.comments[0].path, r.comments[0].text) for r in rounds] == [
        ("returned", "anggota.1.nik", "Cek KK")
    ]
    assert audits(engine, "review.returned")[0][0] == world.users["supervisor"].actor
    assert rounds[0].decided_by == world.users["supervisor"].name  # shown by name
    # Deciding the same revision again (an old form in another tab) is refused, by name.
    again = supervisor.post(
        f"/console/review/{palangka[2]}/decide",
        {"csrf": csrf, "decision": "verified", "revision": "1"},
    )
    assert again.status_code == 409 and "sudah diputuskan" in again.text


def test_cases_and_cards_for_the_regency(console, world, engine):
    palangka, kobar = world.households["palangka"], world.households["kobar"]
    regency = logged_in(console, world, "regency")
    listed = regency.get("/console/cases")
    assert listed.status_code == 200 and palangka[1][:8] in listed.text
    assert f'href="/console/households/{palangka[1]}"' in listed.text  # opened with a reason
    csrf = hidden(listed.text, "csrf")
    case_id = listed.text.split('action="/console/cases/')[1].split('"')[0]
    decided = regency.post(f"/console/cases/{case_id}", {"csrf": csrf, "outcome": "keep_this"})
    assert decided.status_code == 303
    assert "Keluarga A dipertahankan" in regency.get("/console/cases?state=all").text
    supervisor = logged_in(console, world, "supervisor")
    seen = supervisor.get("/console/cases?state=all")
    assert palangka[1][:8] in seen.text and 'action="/console/cases/' not in seen.text
    assert supervisor.get("/console/cards").status_code == 404  # cards: regency and province
    kobar_user = logged_in(console, world, "kobar")
    assert "Tidak ada kasus." in kobar_user.get("/console/cases?state=all").text
    assert kobar_user.get("/console/cards?desa=62.71").status_code == 404

    # The regency verifies the household in Pahandut, then issues its card after a preview.
    page = regency.post(f"/console/review/{palangka[3]}", {"csrf": csrf})
    assert page.status_code == 200
    verified = regency.post(
        f"/console/review/{palangka[3]}/decide",
        {"csrf": csrf, "decision": "verified", "revision": "1"},
    )
    assert verified.status_code == 303
    preview = regency.get("/console/cards")
    assert "1 keluarga terverifikasi belum punya kartu" in preview.text
    stale = regency.post("/console/cards/issue", {"csrf": csrf, "expected": "2"})
    assert stale.status_code == 409 and "tidak ada kartu yang diterbitkan" in stale.text
    issued = regency.post("/console/cards/issue", {"csrf": csrf, "expected": "1"})
    assert issued.status_code == 200 and "1 kartu diterbitkan" in issued.text
    assert "6271-" in issued.text and kobar[0][:8] not in issued.text
    assert [a[2]["count"] for a in audits(engine, "cards.issue")] == [1]


def test_reissue_and_print_list_in_the_console(console, world, engine):
    """Both were command line only: a lost card re-issued and the print list downloaded from
    the cards page, with CSRF, the region's scope (another regency's family is 404) and an
    audit entry each; the list is a download the browser does not keep."""
    palangka = world.households["palangka"]
    regency = logged_in(console, world, "regency")
    csrf = hidden(regency.get("/console/cards").text, "csrf")
    assert regency.post(f"/console/review/{palangka[3]}", {"csrf": csrf}).status_code == 200
    verified = regency.post(
        f"/console/review/{palangka[3]}/decide",
        {"csrf": csrf, "decision": "verified", "revision": "1"},
    )
    assert verified.status_code == 303
    issued = regency.post("/console/cards/issue", {"csrf": csrf, "expected": "1"})
    old = issued.text.split('id="issued-table"')[1].split("<td><code>")[1].split("<")[0]
    page = regency.get("/console/cards")
    assert 'action="/console/cards/reissue"' in page.text and "Kartu hilang" in page.text

    form = {"csrf": csrf, "household_id": palangka[3], "reason": "lost"}
    assert regency.post("/console/cards/reissue", form | {"csrf": "x"}).status_code == 403
    kobar_user = logged_in(console, world, "kobar")
    kobar_csrf = hidden(kobar_user.get("/console/cards").text, "csrf")
    assert kobar_user.post("/console/cards/reissue", form | {"csrf": kobar_csrf}).status_code == 404
    none = regency.post("/console/cards/reissue", form | {"household_id": palangka[2]})
    assert none.status_code == 409  # received, not verified: no card to replace
    assert audits(engine, "cards.reissue") == []

    done = regency.post("/console/cards/reissue", form)
    assert done.status_code == 200 and f"Kartu {old} diganti dengan" in done.text
    new = done.text.split("diganti dengan ")[1].split(".")[0]
    assert new != old and new.startswith("6271-")
    [(actor, _, entry)] = audits(engine, "cards.reissue")
    assert actor == world.users["regency"].actor and entry["replaced"] == old

    assert regency.post("/console/cards/list", {"csrf": "x"}).status_code == 403
    assert (
        kobar_user.post("/console/cards/list", {"csrf": kobar_csrf, "desa": "62.71"}).status_code
        == 404
    )
    listed = regency.post("/console/cards/list", {"csrf": csrf})
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert listed.headers["Content-Disposition"].startswith('attachment; filename="kartu-')
    text = listed.content.decode("utf-8-sig")
    assert text.startswith("nomor_kartu;") and new in text and old not in text
    assert world.records[palangka[3]]["no_kk"] in text
    assert [a[2]["count"] for a in audits(engine, "cards.print_list")] == [1]
