"""The console (sync/server/console) against the real server on 127.0.0.1 (uvicorn in a
thread, tests/liveserver.py), on SQLite and PostgreSQL, with requests as the browser: sessions
and their cookie, CSRF, expiry on a moved clock, logging out everywhere, the login delay,
disabled users, set-up codes, scope (404 outside it), cache headers, page weight, and the
dashboard's numbers against `khbs-server stats --json` (a real process)."""

from __future__ import annotations

import ast
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from sync.server.api.app import create_app
from sync.server.console import passwords, totp, users
from sync.server.db import audit_log, console_sessions
from sync.server.settings import Settings
from tests.conftest import FAST_KDF
from tests.liveserver import LiveServer
from tests.server import consoleworld
from tests.server.conftest import stored_bytes
from tests.server.consoleworld import PASSWORD, Clock
from tests.server.test_cli import Server

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "rotan anyaman lanting biru"


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    """The OWASP minimum cost instead of the production one: many logins per test."""
    monkeypatch.setattr(passwords, "COST", FAST_KDF)


@pytest.fixture
def world(engine, initialised, tmp_path):
    return consoleworld.build(engine, initialised, tmp_path)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def console(db_url, engine, initialised, world, clock):
    app = create_app(Settings(db_url=db_url), initialised)
    app.state.console_clock = clock
    with LiveServer(app) as server:
        yield server


class Browser:
    """A browser as far as cookies and forms go."""

    def __init__(self, url: str, verify: str | bool = True):
        self.url, self.verify = url, verify
        self.session = requests.Session()

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(
            self.url + path, timeout=20, allow_redirects=False, verify=self.verify, **kw
        )

    def post(self, path: str, data: dict, **kw) -> requests.Response:
        return self.session.post(
            self.url + path, data=data, timeout=20, allow_redirects=False, verify=self.verify, **kw
        )

    def form_token(self, path: str = "/console/login") -> str:
        return hidden(self.get(path).text, "form_token")

    def login(self, name: str, password: str = PASSWORD, code: str = "") -> requests.Response:
        token = self.form_token()
        return self.post(
            "/console/login",
            {"name": name, "password": password, "code": code, "form_token": token},
        )

    def csrf(self) -> str:
        page = self.get("/console/account")
        assert page.status_code == 200, page.status_code
        return hidden(page.text, "csrf")

    def logged_in(self) -> bool:
        reply = self.get("/console")
        assert reply.status_code in (200, 303)
        return reply.status_code == 200


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


def audits(engine, action: str | None = None) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    return [
        (r.actor, r.action, json.loads(r.detail))
        for r in rows
        if action is None or r.action == action
    ]


def logged_in_as(console, world, who: str) -> Browser:
    browser = Browser(console.url)
    reply = browser.login(world.users[who].name)
    assert reply.status_code == 303 and reply.headers["location"] == "/console", reply.text
    return browser


# -- sessions ---------------------------------------------------------------------------------


def test_session_cookie_flags_over_http(console, world):
    browser = Browser(console.url)
    first = browser.get("/console/login")
    form_cookie = first.headers["set-cookie"]
    assert "HttpOnly" in form_cookie and "SameSite=strict" in form_cookie
    reply = browser.login(world.users["province"].name)
    cookie = next(
        c for c in reply.raw.headers.getlist("set-cookie") if c.startswith("khbs_console=")
    )
    parts = [p.strip() for p in cookie.split(";")]
    assert "HttpOnly" in parts and "SameSite=strict" in parts and "Path=/console" in parts
    assert "Secure" not in parts  # plain HTTP on loopback: a Secure cookie would not come back
    assert not any(p.lower().startswith(("max-age", "expires")) for p in parts)  # browser session
    token = parts[0].split("=", 1)[1]
    with console_engine(console).connect() as conn:  # only its hash is stored
        stored = [bytes(r.token_hash) for r in conn.execute(select(console_sessions))]
    assert token.encode() not in b"".join(stored) and len(stored) == 1
    assert browser.logged_in()


def console_engine(console):
    return console.server.config.app.state.engine


def test_session_cookie_is_secure_under_tls(db_url, engine, initialised, world, tmp_path):
    import trustme

    from tests.server.test_tls import serve_tls

    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve_tls(ca, tmp_path, db_url, initialised, "127.0.0.1") as server:
        browser = Browser(server.url, verify=str(ca_file))
        reply = browser.login(world.users["province"].name)
        cookie = next(
            c for c in reply.raw.headers.getlist("set-cookie") if c.startswith("khbs_console=")
        )
        assert "Secure" in [p.strip() for p in cookie.split(";")]
        assert browser.logged_in()


def test_idle_and_absolute_expiry(console, world, clock):
    browser = logged_in_as(console, world, "regency")
    clock.move(minutes=29)
    assert browser.logged_in()  # being used keeps it alive
    clock.move(minutes=29)
    assert browser.logged_in()
    clock.move(minutes=31)  # 31 minutes idle
    reply = browser.get("/console")
    assert reply.status_code == 303 and reply.headers["location"] == "/console/login"

    browser = logged_in_as(console, world, "regency")
    elapsed = 0
    while browser.logged_in():  # busy all day, never idle for 30 minutes
        clock.move(minutes=20)
        elapsed += 20
        assert elapsed <= 13 * 60
    assert 12 * 60 < elapsed <= 12 * 60 + 20, elapsed  # ended at 12 hours, not before
    with console_engine(console).connect() as conn:
        assert conn.execute(select(console_sessions)).all() == []  # stale rows are removed


def test_logout_ends_the_session(console, world, engine):
    browser = logged_in_as(console, world, "province")
    stolen = dict(browser.session.cookies)
    reply = browser.post("/console/logout", {"csrf": browser.csrf()})
    assert reply.status_code == 303 and "done=out" in reply.headers["location"]
    assert not browser.logged_in()
    other = Browser(console.url)  # the old cookie, replayed, is worth nothing
    other.session.cookies.update(stolen)
    assert not other.logged_in()
    assert audits(engine, "console.logout")[-1][0] == world.users["province"].actor


def test_password_change_logs_out_everywhere(console, world, engine):
    office, home = (logged_in_as(console, world, "regency") for _ in range(2))
    user = world.users["regency"]
    with engine.connect() as conn:
        assert users.sessions_of(conn, user.id) == 2
    csrf = office.csrf()
    wrong = office.post(
        "/console/account/password",
        {
            "current_password": "not the password",
            "password": NEW_PASSWORD,
            "repeat": NEW_PASSWORD,
            "csrf": csrf,
        },
    )
    assert wrong.status_code == 400 and "Kata sandi sekarang salah" in wrong.text
    assert office.logged_in() and home.logged_in()
    reply = office.post(
        "/console/account/password",
        {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "repeat": NEW_PASSWORD,
            "csrf": csrf,
        },
    )
    assert reply.status_code == 303 and "done=password" in reply.headers["location"]
    assert not office.logged_in() and not home.logged_in()
    with engine.connect() as conn:
        assert users.sessions_of(conn, user.id) == 0
    assert Browser(console.url).login(user.name).status_code == 401  # the old one is gone
    assert Browser(console.url).login(user.name, NEW_PASSWORD).status_code == 303
    assert audits(engine, "console.password")[-1][0] == user.actor


def test_password_rules_on_change(console, world):
    browser = logged_in_as(console, world, "regency")
    csrf = browser.csrf()
    for new, message in (
        ("pendek", "paling sedikit 10"),
        ("Katasandi2026!", "terlalu umum"),
        ("1234567890", "terlalu umum"),
        ("Palangkaraya123", "terlalu umum"),
        ("rahmat kota 12", "nama Anda"),
    ):
        reply = browser.post(
            "/console/account/password",
            {"current_password": PASSWORD, "password": new, "repeat": new, "csrf": csrf},
        )
        assert reply.status_code == 400 and message in reply.text, new
        assert new not in reply.text  # a refused password is never shown back
    reply = browser.post(
        "/console/account/password",
        {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "repeat": NEW_PASSWORD + "x",
            "csrf": csrf,
        },
    )
    assert reply.status_code == 400 and "tidak sama" in reply.text
    assert browser.logged_in()


def test_login_waits_grow_per_user_and_per_address(console, world, clock, engine):
    name = world.users["regency"].name
    browser = Browser(console.url)
    for _attempt in range(3):
        assert browser.login(name, "salah sekali ini").status_code == 401
    # The third failure in a row: now even the right password waits 1 second, then 2, 4 ...
    refused = browser.login(name)
    assert refused.status_code == 429 and "Coba lagi dalam 1 detik" in refused.text
    clock.move(seconds=2)
    assert browser.login(name, "salah lagi").status_code == 401  # 4th: wait 2 s
    clock.move(seconds=1)
    assert browser.login(name).status_code == 429
    clock.move(seconds=2)
    assert browser.login(name).status_code == 303  # success clears the user's count
    assert Browser(console.url).login(name, "salah").status_code == 401  # 1st again: no wait
    assert Browser(console.url).login(name).status_code == 303
    failed = audits(engine, "console.login_failed")
    assert len(failed) == 5 and all(a == world.users["regency"].actor for a, _, _ in failed)

    # Per address: many names from one address (names that do not exist count too).
    clock.move(hours=2)  # earlier failures are forgotten
    for n in range(10):
        assert browser.login(f"tebakan {n}", "salah").status_code == 401
    blocked = Browser(console.url).login(world.users["province"].name)
    assert blocked.status_code == 429  # everyone behind this address waits
    clock.move(seconds=2)
    assert Browser(console.url).login(world.users["province"].name).status_code == 303


def test_disabled_user_is_refused_and_logged_out(console, world, engine, clock):
    browser = logged_in_as(console, world, "supervisor")
    user = world.users["supervisor"]
    with engine.begin() as conn:
        assert users.disable_user(conn, user.id, now=clock(), actor="test") is True
        assert users.disable_user(conn, user.id, now=clock(), actor="test") is False
    assert not browser.logged_in()
    refused = Browser(console.url).login(user.name)
    assert refused.status_code == 401 and "dinonaktifkan" in refused.text
    wrong = Browser(console.url).login(user.name, "bukan kata sandinya")
    assert "dinonaktifkan" not in wrong.text  # without the password nobody learns that


def test_setup_code_single_use_and_expiry(console, engine, clock, world):
    with engine.begin() as conn:
        _, code = users.add_user(
            conn, "Yanti Kapuas", "regency", ["62.03"], now=clock(), actor="test"
        )
        _, old = users.add_user(
            conn,
            "Rudi Katingan",
            "regency",
            ["62.06"],
            now=clock() - timedelta(hours=73),
            actor="test",
        )
    browser = Browser(console.url)

    def set_up(code: str, password: str = NEW_PASSWORD, repeat: str | None = None):
        token = browser.form_token("/console/setup")
        return browser.post(
            "/console/setup",
            {"code": code, "password": password, "repeat": repeat or password, "form_token": token},
        )

    short = set_up(code.code, "pendek")
    assert short.status_code == 400 and "paling sedikit 10" in short.text
    done = set_up(code.code.lower().replace("-", " "))  # a refused password spent nothing
    assert done.status_code == 303 and done.headers["location"] == "/console/login?done=setup"
    again = set_up(code.code, "password lain sekali")
    assert again.status_code == 400 and "sudah dipakai" in again.text
    assert Browser(console.url).login("Yanti Kapuas", "password lain sekali").status_code == 401
    assert Browser(console.url).login("yanti  KAPUAS", NEW_PASSWORD).status_code == 303
    expired = set_up(old.code)
    assert expired.status_code == 400 and "kedaluwarsa" in expired.text
    unknown = set_up("AAAAA-BBBBB-CCCCC-DDDDD")
    assert unknown.status_code == 400 and "tidak dikenal" in unknown.text
    # A user waiting for set-up cannot log in with any password.
    assert Browser(console.url).login("Rudi Katingan", NEW_PASSWORD).status_code == 401
    # A new code (user reset) makes the earlier one useless.
    with engine.begin() as conn:
        _, third = users.add_user(
            conn, "Eka Lamandau", "regency", ["62.09"], now=clock(), actor="test"
        )
        fresh = users.reset_user(conn, third.user_id, now=clock(), actor="test")
    assert "sudah dipakai" in set_up(third.code).text
    assert set_up(fresh.code).status_code == 303


# -- CSRF -------------------------------------------------------------------------------------


def test_state_changing_requests_need_the_csrf_token(console, world, engine):
    browser = logged_in_as(console, world, "province")
    other = logged_in_as(console, world, "regency")
    foreign = other.csrf()  # a real token, of another session
    hid = world.households["palangka"][0]
    nik = world.records[hid]["anggota"][0]["nik"]
    before = len(audits(engine))
    for token in (None, "", foreign, "0" * 64):
        data = {} if token is None else {"csrf": token}
        for path, fields in (
            ("/console/logout", {}),
            ("/console/households/search", {"number": nik}),
            (f"/console/households/{hid}", {"reason": "verification"}),
            (
                "/console/account/password",
                {"current_password": PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD},
            ),
            ("/console/account/totp", {"secret": "A" * 32, "code": "123456"}),
        ):
            reply = browser.post(path, fields | data)
            assert reply.status_code == 403, (path, token)
            assert "Formulir kedaluwarsa" in reply.text
    assert len(audits(engine)) == before  # nothing opened, searched or changed
    assert browser.logged_in()
    # The login and set-up forms: the hidden token must match the form cookie.
    stranger = Browser(console.url)
    reply = stranger.post(
        "/console/login", {"name": world.users["province"].name, "password": PASSWORD}
    )
    assert reply.status_code == 403
    stranger.form_token()
    reply = stranger.post(
        "/console/login",
        {"name": world.users["province"].name, "password": PASSWORD, "form_token": "x" * 32},
    )
    assert reply.status_code == 403
    assert (
        stranger.post(
            "/console/setup", {"code": "X", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        ).status_code
        == 403
    )


# -- scope ------------------------------------------------------------------------------------


def test_scope_outside_is_not_found(console, world, engine):
    regency = logged_in_as(console, world, "regency")  # 62.71 Palangka Raya
    kobar_id = world.households["kobar"][0]
    mine_id = world.households["palangka"][0]
    before = len(audits(engine, "console.household_open"))
    # By id: the reason form and the open itself.
    assert regency.get(f"/console/households/{kobar_id}").status_code == 404
    csrf = regency.csrf()
    reply = regency.post(
        f"/console/households/{kobar_id}", {"reason": "verification", "csrf": csrf}
    )
    assert reply.status_code == 404 and "Tidak ditemukan" in reply.text
    assert regency.get("/console/households/no-such-household").status_code == 404  # the same
    assert len(audits(engine, "console.household_open")) == before
    assert regency.get(f"/console/households/{mine_id}").status_code == 200
    # By search: another regency's NIK and KK find nothing.
    kobar = world.records[kobar_id]
    for number in (kobar["anggota"][0]["nik"], kobar["no_kk"]):
        found = regency.post("/console/households/search", {"number": number, "csrf": csrf})
        assert found.status_code == 200 and "Hasil pencarian: 0" in found.text
        assert kobar_id not in found.text
    province = logged_in_as(console, world, "province")
    found = province.post(
        "/console/households/search", {"number": kobar["no_kk"], "csrf": province.csrf()}
    )
    assert "Hasil pencarian: 1" in found.text and kobar_id in found.text
    # By list filter: another regency's area or officer.
    assert regency.get("/console/households?area=62.01").status_code == 404
    assert regency.get(f"/console/households?officer={world.officers['kobar']}").status_code == 404
    assert regency.get("/console?area=62.01").status_code == 404
    listed = regency.get("/console/households")
    assert all(h in listed.text for h in world.households["palangka"])
    assert not any(h in listed.text for h in world.households["kobar"])
    # A supervisor of one kecamatan: the other kecamatan of the same city is outside too.
    supervisor = logged_in_as(console, world, "supervisor")  # 62.71.03
    pahandut_id = world.households["palangka"][3]  # 62.71.01
    assert supervisor.get(f"/console/households/{pahandut_id}").status_code == 404
    assert supervisor.get("/console/households?area=62.71.01").status_code == 404
    assert supervisor.get("/console/households?area=62.71").status_code == 200  # narrowed
    assert pahandut_id not in supervisor.get("/console/households?area=62.71").text


# -- households -------------------------------------------------------------------------------


def test_search_by_nik_or_kk_never_puts_the_number_anywhere(console, world, engine, db_kind):
    browser = logged_in_as(console, world, "regency")
    hid = world.households["palangka"][1]
    record = world.records[hid]
    csrf = browser.csrf()
    for number in (
        record["anggota"][2]["nik"],
        record["no_kk"],
        " ".join(record["no_kk"][i : i + 4] for i in range(0, 16, 4)),
    ):
        reply = browser.post("/console/households/search", {"number": number, "csrf": csrf})
        assert reply.status_code == 200 and hid in reply.text
        assert "".join(number.split()) not in reply.text  # masked: region + last 4
        assert reply.url.endswith("/console/households/search")
    duplicate_nik = record["anggota"][1]["nik"]  # also in household 3 (the duplicate)
    both = browser.post("/console/households/search", {"number": duplicate_nik, "csrf": csrf})
    assert "Hasil pencarian: 2" in both.text
    bad = browser.post("/console/households/search", {"number": "62710312", "csrf": csrf})
    assert bad.status_code == 400 and "16 angka" in bad.text and "62710312" not in bad.text
    searches = audits(engine, "console.search")
    assert [d["found"] for _, _, d in searches] == [1, 1, 1, 2]
    assert searches[0][2]["household_ids"] == [hid]
    everything = stored_bytes(engine)
    assert record["no_kk"].encode() not in everything  # neither stored nor logged
    assert duplicate_nik.encode() not in everything


def test_list_is_masked_and_filtered(console, world):
    browser = logged_in_as(console, world, "province")
    page = browser.get("/console/households")
    assert page.status_code == 200 and "6 keluarga" in page.text
    for record in world.records.values():
        assert record["no_kk"] not in page.text
        assert record["no_kk"][:6] + "******" + record["no_kk"][-4:] in page.text
        assert record["anggota"][0]["nama"] not in page.text
    assert "Y. I." in page.text  # initials
    verified = browser.get("/console/households?status=verified")
    assert "2 keluarga" in verified.text
    by_officer = browser.get(f"/console/households?officer={world.officers['kobar']}")
    assert "2 keluarga" in by_officer.text
    desa = browser.get(f"/console/households?area={consoleworld.KOBAR_DESA}&status=verified")
    assert "1 keluarga" in desa.text
    today = browser.get("/console/households?since=2000-01-01&until=2000-01-02")
    assert "0 keluarga" in today.text
    typed = browser.get("/console/households?since=01-01-2000&until=02-01-2000")
    assert "0 keluarga" in typed.text  # DD-MM-YYYY, as typed in the field
    assert 'value="01-01-2000"' in typed.text and 'value="02-01-2000"' in typed.text
    assert 'type="date"' not in typed.text  # its format would follow the browser's locale
    wide = browser.get("/console/households?since=1-1-2000&until=31122099")
    assert "6 keluarga" in wide.text and 'value="31-12-2099"' in wide.text
    # A bad date: 400, the field named in Indonesian, the other filters and the text kept.
    bad = browser.get("/console/households?status=verified&since=31-02-2026&until=02-01-2099")
    assert bad.status_code == 400 and bad.headers["Cache-Control"] == "no-store"
    assert "Diterima sejak: tanggal tidak terbaca; tulis HH-BB-TTTT" in bad.text
    assert 'value="31-02-2026"' in bad.text and 'aria-invalid="true"' in bad.text
    assert '<option value="verified" selected>' in bad.text and 'value="02-01-2099"' in bad.text
    assert "2 keluarga" in bad.text  # the other filters still applied
    assert browser.get("/console/households?since=kemarin").status_code == 400
    backwards = browser.get("/console/households?since=02-01-2026&until=01-01-2026")
    assert backwards.status_code == 400
    assert "Diterima sampai lebih awal dari Diterima sejak" in backwards.text
    browser.get("/console/lang/en")
    english = browser.get("/console/households?since=kemarin")
    assert "Received from: not a date; write DD-MM-YYYY" in english.text


def test_opening_a_household_needs_a_reason_and_is_audited(console, world, engine):
    browser = logged_in_as(console, world, "regency")
    user = world.users["regency"]
    hid = world.households["palangka"][3]  # acknowledged warnings, a conflict
    form = browser.get(f"/console/households/{hid}")
    assert form.status_code == 200 and "Alasan" in form.text
    record = world.records[hid]
    assert record["no_kk"] not in form.text and "Yohanes" not in form.text  # nothing yet
    csrf = hidden(form.text, "csrf")
    for fields in (
        {},
        {"reason": "nonsense"},
        {"reason": "other"},
        {"reason": "other", "note": "   "},
    ):
        reply = browser.post(f"/console/households/{hid}", fields | {"csrf": csrf})
        assert reply.status_code == 400 and "Pilih alasan" in reply.text
        assert record["no_kk"] not in reply.text
    assert audits(engine, "console.household_open") == []
    reply = browser.post(
        f"/console/households/{hid}",
        {"reason": "other", "note": "cek\tpengaduan\x00 nomor 12", "csrf": csrf},
    )
    assert reply.status_code == 200
    entries = audits(engine, "console.household_open")
    assert entries == [
        (
            user.actor,
            "console.household_open",
            {"household_id": hid, "reason": "other", "note": "cek pengaduan nomor 12"},
        )
    ]
    page = reply.text
    # Titled by place and masked KK, never the record id or the full KK; dates DD-MM-YYYY.
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert title.startswith("Keluarga di Pahandut, KK ") and record["no_kk"][-4:] in title
    assert hid not in title and record["no_kk"] not in title
    assert (
        "<h1>Keluarga di Pahandut, RT 009/RW 5</h1>" in page or "<h1>Keluarga di Pahandut" in page
    )
    assert not re.findall(r"\b\d{4}-\d{2}-\d{2}\b", re.sub(r"<code[^>]*>[^<]*</code>", "", page))
    born = record["anggota"][0]["tanggal_lahir"]
    assert "-".join(reversed(born.split("-"))) in page  # a birth date as DD-MM-YYYY
    # The questionnaire's own labels and codes, in full: this is the reasoned view.
    assert record["no_kk"] in page and record["anggota"][0]["nik"] in page
    assert "Jenis lantai terluas" in page and "Kayu/papan" in page
    assert "Hubungan dengan kepala keluarga" in page and "Anggota ke-3" in page
    assert "tanggal lahir tidak sama dengan yang tertulis di NIK" in page  # acknowledged
    assert "nik_birth_mismatch" in page
    assert page.count("konflik") >= 2  # the flag and the two versions of revision 1
    assert "Riwayat pembukaan" in page and "Rahmat Kota" in page and "Lainnya" in page
    # English: the same page with the questionnaire's English labels.
    browser.get("/console/lang/en?next=/console")
    english = browser.post(f"/console/households/{hid}", {"reason": "verification", "csrf": csrf})
    assert "Main floor material" in english.text and "Wood/planks" in english.text
    assert "Checking the field verification" in english.text
    assert len(audits(engine, "console.household_open")) == 2
    # A duplicate is named by the other household's id, linked when it is in scope.
    dup = world.households["palangka"][2]
    page = browser.post(f"/console/households/{dup}", {"reason": "duplicate", "csrf": csrf})
    assert f'href="/console/households/{world.households["palangka"][1]}"' in page.text


def test_personal_pages_are_not_cached(console, world):
    browser = logged_in_as(console, world, "province")
    hid = world.households["palangka"][0]
    csrf = browser.csrf()
    replies = [
        browser.get("/console"),
        browser.get("/console/households"),
        browser.get(f"/console/households/{hid}"),
        browser.post(f"/console/households/{hid}", {"reason": "card", "csrf": csrf}),
        browser.post(
            "/console/households/search", {"number": world.records[hid]["no_kk"], "csrf": csrf}
        ),
        browser.get("/console/account"),
        browser.get("/console/account/totp"),
        browser.get("/console/login"),
        browser.get("/console/households/nope"),
    ]
    for reply in replies:
        assert reply.headers["Cache-Control"] == "no-store", reply.url
        assert "script-src" not in reply.headers["Content-Security-Policy"]  # none at all
        assert reply.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert "<script" not in "".join(r.text for r in replies)


def test_first_page_is_small(console, world):
    """The first load over a slow link: the page and its one stylesheet, at most 200 KB."""
    browser = Browser(console.url)
    login = browser.get("/console/login")
    css = browser.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert len(login.content) + len(css.content) <= 200 * 1024
    refs = re.findall(r'(?:href|src)="(/[^"]+)"', login.text)
    assert [r for r in refs if r.startswith("/console/static/")] == ["/console/static/console.css"]
    browser.login(world.users["province"].name)
    for path in ("/console", "/console/households"):
        page = browser.get(path)
        assert page.status_code == 200
        assert len(page.content) + len(css.content) <= 200 * 1024, path
    assert browser.get("/console/static/other.css").status_code == 404


def test_language_switch(console, world):
    browser = logged_in_as(console, world, "province")
    assert "Kemajuan verifikasi" in browser.get("/console").text
    filtered = browser.get("/console/households?status=verified&since=01-01-2000").text
    assert "/console/lang/en?next=/console/households%3Fstatus%3Dverified%26since%3D01-01-2000" in (
        filtered
    )  # the language link keeps the page's filters
    reply = browser.get("/console/lang/en?next=/console/households")
    assert reply.status_code == 303 and reply.headers["location"] == "/console/households"
    assert "Find by NIK or KK number" in browser.get("/console/households").text
    assert "Verification progress" in browser.get("/console").text
    assert (
        browser.get("/console/lang/id?next=https://evil.example/").headers["location"] == "/console"
    )  # no open redirect
    assert "Kemajuan verifikasi" in browser.get("/console").text


# -- TOTP -------------------------------------------------------------------------------------


def test_totp_vectors_of_rfc_6238():
    key = b"12345678901234567890"
    for seconds, expected in (
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ):
        assert totp.hotp(key, seconds // 30, digits=8) == expected
    assert totp.parse_secret(totp.secret_text(key)) == key


def test_totp_turned_on_then_required(console, world, engine, clock):
    browser = logged_in_as(console, world, "supervisor")
    page = browser.get("/console/account/totp")
    secret = totp.parse_secret(hidden(page.text, "secret"))
    csrf = hidden(page.text, "csrf")
    wrong = browser.post(
        "/console/account/totp",
        {"secret": totp.secret_text(secret), "code": "000000", "csrf": csrf},
    )
    assert wrong.status_code == 400 and "Kode autentikator salah" in wrong.text
    code = totp.code_at(secret, clock())
    turned_on = browser.post(
        "/console/account/totp",
        {"secret": totp.secret_text(secret), "code": code, "csrf": csrf},
    )
    assert turned_on.status_code == 200 and turned_on.headers["Cache-Control"] == "no-store"
    assert len(recovery_codes(turned_on.text)) == 10  # shown once, at set-up
    assert "Aktif" in browser.get("/console/account").text
    other = totp.new_secret()  # a second secret is not taken over the first
    again = browser.post(
        "/console/account/totp",
        {"secret": totp.secret_text(other), "code": totp.code_at(other, clock()), "csrf": csrf},
    )
    assert again.status_code == 400 and "sudah aktif" in again.text
    name = world.users["supervisor"].name
    assert Browser(console.url).login(name).status_code == 401  # the code is needed now
    clock.move(seconds=30)
    code = totp.code_at(secret, clock())
    assert Browser(console.url).login(name, code=code).status_code == 303
    assert Browser(console.url).login(name, code=code).status_code == 401  # used once only
    clock.move(seconds=30)
    assert Browser(console.url).login(name, code=totp.code_at(secret, clock())).status_code == 303
    assert secret not in stored_bytes(engine)  # sealed with the data key
    assert audits(engine, "console.totp_on")[-1][0] == world.users["supervisor"].actor


def recovery_codes(html: str) -> list[str]:
    listed = html[html.index('id="recovery-codes"') :]
    return re.findall(r"<li><code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code>", listed)


def test_totp_recovery_codes_work_once_each(console, world, engine, clock):
    browser = logged_in_as(console, world, "regency")
    page = browser.get("/console/account/totp")
    secret = totp.parse_secret(hidden(page.text, "secret"))
    shown = browser.post(
        "/console/account/totp",
        {
            "secret": totp.secret_text(secret),
            "code": totp.code_at(secret, clock()),
            "csrf": hidden(page.text, "csrf"),
        },
    )
    codes = recovery_codes(shown.text)
    assert len(set(codes)) == 10
    everything = stored_bytes(engine)
    assert not any(
        c.encode() in everything or c.replace("-", "").encode() in everything for c in codes
    )
    assert "10 kode pemulihan belum dipakai" in browser.get("/console/account").text
    name = world.users["regency"].name
    # Without the password a recovery code is worth nothing, and is not spent.
    assert Browser(console.url).login(name, "bukan kata sandinya", code=codes[0]).status_code == 401
    clock.move(hours=2)  # the failed attempt is forgotten
    assert Browser(console.url).login(name, code=codes[0].lower()).status_code == 303
    assert Browser(console.url).login(name, code=codes[0]).status_code == 401  # used once only
    clock.move(hours=2)
    other = logged_in_as_code(console, name, codes[1].replace("-", " "))
    assert "8 kode pemulihan belum dipakai" in other.get("/console/account").text
    logins = [d for _, _, d in audits(engine, "console.login") if d.get("recovery_code")]
    assert [d["left"] for d in logins] == [9, 8]
    with engine.begin() as conn:  # a reset (a lost phone) takes the codes with the TOTP secret
        users.reset_user(conn, world.users["regency"].id, now=clock(), actor="test")
        assert users.recovery_codes_left(conn, world.users["regency"].id) == 0


def logged_in_as_code(console, name: str, code: str) -> Browser:
    browser = Browser(console.url)
    assert browser.login(name, code=code).status_code == 303
    return browser


# -- the dashboard ----------------------------------------------------------------------------


TOTALS = {
    "listed": lambda s: s["candidates"],
    "received": lambda s: s["households"],
    "verified": lambda s: s["by_status"]["verified"],
    "rejected": lambda s: s["by_status"]["rejected"],
    "cards": lambda s: s["cards_issued"],
    "duplicates": lambda s: s["duplicate_warnings"],
    "conflicts": lambda s: s["conflicts"],
}


def shown_totals(html: str) -> dict[str, int]:
    return {
        name: int(re.search(rf'id="total-{name}">([\d.]+)<', html).group(1).replace(".", ""))
        for name in TOTALS
    }


def row_sums(html: str) -> list[int]:
    table = html[html.index('id="areas"') : html.index("</table>", html.index('id="areas"'))]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    sums = [0] * len(TOTALS)
    for row in rows:
        cells = re.findall(r'<td class="num">([\d.]+)</td>', row)
        for i, cell in enumerate(cells):
            sums[i] += int(cell.replace(".", ""))
    return sums


@pytest.mark.parametrize(
    "who, area, cli_area",
    [
        ("province", "", None),
        ("regency", "", "62.71"),
        ("supervisor", "", "62.71.03"),
        ("province", "62.71", "62.71"),
        ("regency", "62.71.01", "62.71.01"),
        ("kobar", "", "62.01"),
    ],
)
def test_dashboard_numbers_equal_stats(console, world, db_url, tmp_path, who, area, cli_area):
    browser = logged_in_as(console, world, who)
    page = browser.get(f"/console?area={area}" if area else "/console")
    assert page.status_code == 200
    args = ["stats", "--json"] + (["--area", cli_area] if cli_area else [])
    stats = json.loads(Server(db_url, tmp_path / "home").ok(*args).stdout)
    shown = shown_totals(page.text)
    assert shown == {name: pick(stats) for name, pick in TOTALS.items()}
    assert row_sums(page.text) == list(shown.values())  # the rows add up to the totals
    assert f"Petugas ({stats['officers']})" in page.text
    assert stats["households"] > 0 or who == "kobar" and area  # the world is not empty


def test_dashboard_drills_down_and_charts(console, world, clock):
    browser = logged_in_as(console, world, "province")
    top = browser.get("/console").text
    assert top.count('href="/console?area=62.') == 14  # 13 regencies and 1 city
    city = browser.get("/console?area=62.71").text
    assert 'href="/console?area=62.71.03"' in city and "Jekan Raya" in city
    kecamatan = browser.get("/console?area=62.71.03").text
    assert "Palangka" in kecamatan and 'href="/console?area=62.71.03.1001"' not in kecamatan
    assert 'href="/console/households?area=62.71.03.1001"' in kecamatan
    # Households received per day: 6 arrived today (WIB), none on the 13 days before.
    bars = re.findall(r'<rect [^>]*height="([\d.]+)"', top)
    assert len(bars) == 14 and float(bars[-1]) == 100.0 and set(map(float, bars[:-1])) == {0.0}
    officers = top[top.index('id="officer-table"') :]
    assert "Sari Petugas" in officers and "Budi Petugas" in officers
    regency = logged_in_as(console, world, "regency").get("/console").text
    assert "Sari Petugas" in regency and "Budi Petugas" not in regency
    week = officer_cells(top, "Sari Petugas")
    assert week[1:] == ["4", "4"]  # this week, in all
    clock.move(days=8)  # 8 days later: nothing this week; the chart moved on by 8 days
    later = logged_in_as(console, world, "province").get("/console").text
    bars = [float(b) for b in re.findall(r'<rect [^>]*height="([\d.]+)"', later)]
    assert bars[-9] == 100.0 and sum(bars) == 100.0
    assert officer_cells(later, "Sari Petugas")[1:] == ["0", "4"]


def officer_cells(html: str, name: str) -> list[str]:
    """Devices, households received in the last 7 days, in all: the officer's row."""
    table = html[html.index('id="officer-table"') :]
    row = re.search(rf">{name}</a></th>(.*?)</tr>", table, re.S).group(1)
    return re.findall(r'<td class="num">([\d.]+)</td>', row)


# -- the layer rule ---------------------------------------------------------------------------


def test_console_routes_hold_no_sql():
    """Routes call users.py and data.py; SQL lives there (the same rule as sync/server/api)."""
    source = (ROOT / "sync" / "server" / "console" / "web.py").read_text("utf-8")
    tree = ast.parse(source)
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("sqlalchemy") for name in imported)
    imported_db = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "sync.server.db"
        for alias in node.names
    ]
    assert imported_db == ["utc_now"]  # no table
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not called & {"execute", "scalars", "scalar", "exec_driver_sql"}


def test_every_console_text_is_in_both_languages():
    from app.i18n import catalogue
    from sync.server.console import data
    from sync.server.repo import STATUSES
    from sync.server.scope import ROLES

    folder = ROOT / "sync" / "server" / "console" / "templates"
    used = set()
    for template in folder.glob("*.html"):
        used |= set(re.findall(r"""t\(["']([a-z_.]+[a-z_])["']""", template.read_text("utf-8")))
    used |= {f"console.role.{r}" for r in ROLES} | {f"console.status.{s}" for s in STATUSES}
    used |= {f"console.reason.{r}" for r in data.REASONS} | {"console.lang.id", "console.lang.en"}
    used |= {f"console.count.{c}" for c in data.COUNT_FIELDS}
    used |= {"console.duplicate_kind.nik", "console.duplicate_kind.kk"}
    messages = catalogue()
    missing = sorted(k for k in used if not {"id", "en"} <= set(messages.get(k, {})))
    assert not missing and len(used) > 100
