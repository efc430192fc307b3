"""Scope, CSRF and disabled users over every console route (every router web.install mounts
under /console: web.py, officers_web.py, records_web.py, review_web.py, rights_web.py and any
added later), against the real server on 127.0.0.1, on SQLite and PostgreSQL.

- For each role (province, regency, supervisor), every route that takes an id or an area,
  given another region's (or, for the province, which sees all of Kalteng, an unknown one),
  answers 404 and changes nothing. The routes are read from the application, so a new route
  with a parameter fails here until it is listed.
- Every POST without the session's CSRF token, or with a wrong one, answers 403 and changes
  nothing.
- A disabled user's session ends at its next request, whatever the route.

The API (/v1) has no route that takes a region's ids for a console user: device routes act for
the signing device's officer only (tests/server/test_api.py) and the admin export is the
province administrator's (tests/server/test_export_scope.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sync.protocol import CASE_KEEP_THIS
from sync.server import cases
from sync.server.console import users, web
from sync.server.db import (
    audit_log,
    case_decisions,
    devices,
    duplicate_cases,
    enroll_codes,
    households,
    officer_areas,
    officers,
    review_rounds,
    rights_requests,
    tombstones,
    utc_now,
)
from sync.server.db import cards as card_rows
from sync.server.officers import list_officers
from sync.server.scope import Scope
from tests.server.consoleworld import KOBAR_DESA, OTHER_KECAMATAN_DESA
from tests.server.test_console import (  # noqa: F401 (fixtures)
    Browser,
    clock,
    console,
    fast_passwords,
    logged_in_as,
    world,
)

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def served(routes, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of the routes, into included routers (this FastAPI keeps an included
    router as one entry holding the original router and the prefix it was included with)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out += served(inner.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            out += [(m, prefix + route.path) for m in sorted(route.methods) if m != "HEAD"]
    return out


def console_routes(console) -> list[tuple[str, str]]:
    """(method, path) of every route the running application serves under /console: whatever
    routers web.install mounts, so a module added later is covered without a change here."""
    found = sorted(
        {
            (method, path)
            for method, path in served(console.server.config.app.routes)
            if path == web.PREFIX or path.startswith(web.PREFIX + "/")
        }
    )
    assert len(found) >= 37, found  # web, officers_web, records_web, review_web, rights_web
    return found


def device_of(engine, officer_id: str) -> str:
    with engine.connect() as conn:
        (officer,) = list_officers(conn, Scope.province(), officer_id=officer_id)
    return officer.devices[0].id


def kobar_case(engine, world) -> str:
    """A duplicate case between Kotawaringin Barat's two households: outside the city's users."""
    kobar, officer = world.households["kobar"], world.officers["kobar"]
    with engine.begin() as conn:
        cases.on_match(conn, kobar[0], officer, kobar[1], officer, "kk", utc_now())
        return conn.execute(
            select(duplicate_cases.c.id).where(duplicate_cases.c.household_a == min(kobar))
        ).scalar_one()


def foreign(world, engine, role: str) -> dict[str, str]:
    """Ids and areas outside the role's scope (the province: unknown ones)."""
    if role == "province":
        return {
            "household": UNKNOWN,
            "officer": UNKNOWN,
            "device": UNKNOWN,
            "case": UNKNOWN,
            "area": "62.99",
            "regency": "62.99",
            "desa": "62.71.03.9999",
            "nik": "6299990101800001",
        }
    kobar = world.officers["kobar"]
    household = world.households["kobar"][0]
    out = {
        "household": household,
        "officer": kobar,
        "device": device_of(engine, kobar),
        "case": kobar_case(engine, world),
        "area": "62.01",
        "regency": "62.01",
        "desa": KOBAR_DESA,
        "nik": world.records[household]["anggota"][0]["nik"],
    }
    if role == "supervisor":  # 62.71.03: the city's other kecamatan is outside too
        other = world.households["palangka"][3]
        out |= {
            "household": other,
            "area": OTHER_KECAMATAN_DESA,
            "desa": OTHER_KECAMATAN_DESA,
            "nik": world.records[other]["anggota"][0]["nik"],
        }
    return out


def requests_for(ids: dict[str, str]) -> dict[tuple[str, str], list[tuple[str, dict]]]:
    """For each route with a parameter: the requests that name another region."""
    h, o, d, c = ids["household"], ids["officer"], ids["device"], ids["case"]
    area, regency, desa = ids["area"], ids["regency"], ids["desa"]
    return {
        ("GET", "/console"): [(f"/console?area={ids['area']}", {})],
        ("GET", "/console/households"): [
            (f"/console/households?area={ids['area']}", {}),
            (f"/console/households?officer={o}", {}),
        ],
        ("GET", "/console/households/{household_id}"): [(f"/console/households/{h}", {})],
        ("POST", "/console/households/{household_id}"): [
            (f"/console/households/{h}", {"reason": "verification"})
        ],
        ("GET", "/console/officers/{officer_id}"): [(f"/console/officers/{o}", {})],
        ("POST", "/console/officers/{officer_id}/areas"): [
            (f"/console/officers/{o}/areas", {"areas": "62.71"})
        ],
        ("POST", "/console/officers/{officer_id}/enroll-code"): [
            (f"/console/officers/{o}/enroll-code", {})
        ],
        ("POST", "/console/devices/{device_id}/revoke"): [(f"/console/devices/{d}/revoke", {})],
        ("POST", "/console/recovery"): [
            ("/console/recovery", {"store": "s" * 36, "reason": "lupa_kata_sandi", "device": d})
        ],
        ("POST", "/console/exports"): [("/console/exports", {"regency": ids["regency"]})],
        # Others are refused the viewer whole; for the province these are filters of the
        # log (which names households since deleted too): no entries, not 404.
        ("GET", "/console/audit"): [(f"/console/audit?household={h}&officer={o}", {})]
        if ids["household"] != UNKNOWN
        else [],
        # review_web.py (issue 15)
        ("GET", "/console/review"): [
            (f"/console/review?desa={area}", {}),
            (f"/console/review?desa={desa}", {}),
            (f"/console/review?officer={o}", {}),
        ],
        ("POST", "/console/review/{household_id}"): [(f"/console/review/{h}", {})],
        ("POST", "/console/review/{household_id}/decide"): [
            (f"/console/review/{h}/decide", {"decision": "verified", "revision": "1"}),
            (
                f"/console/review/{h}/decide",
                {"decision": "returned", "revision": "1", "return_reason": "nik_wrong"},
            ),
        ],
        ("POST", "/console/cases/{case_id}"): [
            (f"/console/cases/{c}", {"outcome": CASE_KEEP_THIS, "reason": ""})
        ],
        ("GET", "/console/cards"): [
            (f"/console/cards?regency={regency}", {}),
            (f"/console/cards?desa={desa}", {}),
        ],
        ("POST", "/console/cards/reissue"): [
            ("/console/cards/reissue", {"household_id": h, "reason": "lost"})
        ],
        ("POST", "/console/cards/list"): [
            ("/console/cards/list", {"regency": regency}),
            ("/console/cards/list", {"desa": desa}),
        ],
        ("GET", "/console/devices/{device_id}/exposure.csv"): [
            (f"/console/devices/{d}/exposure.csv", {})
        ],
        ("POST", "/console/cards/issue"): [
            ("/console/cards/issue", {"regency": regency, "expected": "1"}),
            ("/console/cards/issue", {"desa": desa, "expected": "1"}),
        ],
        # rights_web.py (issue 18)
        ("POST", "/console/rights/find"): [("/console/rights/find", {"number": ids["nik"]})],
        ("POST", "/console/rights/{household_id}/access"): [
            (f"/console/rights/{h}/access", {"reason": "permintaan keluarga"})
        ],
        ("POST", "/console/rights/{household_id}/withdraw"): [
            (f"/console/rights/{h}/withdraw", {"note": "menarik persetujuan"}),
            (f"/console/rights/{h}/withdraw", {"note": "menarik persetujuan", "confirm": "yes"}),
        ],
    }


# Routes with no id or area of a region in them (forms, the user's own account, log in/out).
NO_REGION = {
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("POST", "/console/logout"),
    ("GET", "/console/setup"),
    ("POST", "/console/setup"),
    ("GET", "/console/lang/{lang}"),
    ("GET", "/console/static/{name}"),
    ("GET", "/console/account"),
    ("POST", "/console/account/password"),
    ("GET", "/console/account/totp"),
    ("POST", "/console/account/totp"),
    ("POST", "/console/households/search"),  # a number; scope: test_console.py
    ("GET", "/console/officers"),
    ("POST", "/console/officers"),  # areas outside: 400 with the reason (test_console_officers)
    ("GET", "/console/recovery"),
    ("GET", "/console/exports"),
    ("GET", "/console/cases"),  # a state filter; the list is the scope's (test_review_console)
    ("GET", "/console/rights"),  # the search form
}


def state(engine) -> tuple:
    """What a refused request must not change."""
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(audit_log)).scalar(),
            conn.execute(select(func.count()).select_from(enroll_codes)).scalar(),
            conn.execute(select(func.count()).select_from(officers)).scalar(),
            sorted(conn.execute(select(officer_areas)).all()),
            sorted(conn.execute(select(devices.c.id, devices.c.revoked_at)).all()),
            sorted(
                conn.execute(
                    select(households.c.id, households.c.status, households.c.card_number)
                ).all()
            ),
            sorted(conn.execute(select(review_rounds.c.household_id, review_rounds.c.round)).all()),
            sorted(conn.execute(select(duplicate_cases.c.id, duplicate_cases.c.outcome)).all()),
            conn.execute(select(func.count()).select_from(case_decisions)).scalar(),
            sorted(conn.execute(select(card_rows.c.card_number, card_rows.c.replaced_at)).all()),
            conn.execute(select(func.count()).select_from(rights_requests)).scalar(),
            conn.execute(select(func.count()).select_from(tombstones)).scalar(),
        )


@pytest.mark.parametrize("role", ["province", "regency", "supervisor"])
def test_another_regions_ids_are_not_found_on_every_route(console, world, engine, role):
    routes = console_routes(console)
    plan = requests_for(foreign(world, engine, role))
    unlisted = [r for r in routes if r not in plan and r not in NO_REGION]
    assert not unlisted, f"routes with no scope check here: {unlisted}"
    browser = logged_in_as(console, world, role)
    csrf = browser.csrf()
    before = state(engine)
    for route in routes:
        for path, fields in plan.get(route, []):
            if route[0] == "GET":
                reply = browser.get(path)
            else:
                reply = browser.post(path, fields | {"csrf": csrf})
            assert reply.status_code == 404, (role, route, path, reply.status_code)
            assert reply.headers["Cache-Control"] == "no-store"
    assert state(engine) == before
    assert browser.logged_in()


def own_region_path(path: str, world, engine) -> str:
    sari = world.officers["palangka"]
    with engine.connect() as conn:  # the city's duplicate NIK (consoleworld): opened at ingest
        case = conn.execute(select(duplicate_cases.c.id)).scalars().first() or UNKNOWN
    return (
        path.replace("{household_id}", world.households["palangka"][0])
        .replace("{officer_id}", sari)
        .replace("{device_id}", device_of(engine, sari))
        .replace("{case_id}", case)
    )


def test_every_post_needs_the_sessions_csrf_token(console, world, engine):
    browser = logged_in_as(console, world, "province")
    foreign_token = logged_in_as(console, world, "regency").csrf()
    posts = [p for m, p in console_routes(console) if m == "POST"]
    assert len(posts) >= 20
    before = state(engine)
    for path in posts:
        if path in ("/console/login", "/console/setup"):
            continue  # before a session: the form cookie's token (test_console.py)
        url = own_region_path(path, world, engine)
        for sent in ({}, {"csrf": ""}, {"csrf": foreign_token}, {"csrf": "0" * 64}):
            fields = {
                "name": "Petugas Baru",
                "areas": "62.71.03",
                "reason": "verification",
                "store": "s" * 36,
                "number": "6271031234567890",
                "decision": "verified",
                "revision": "1",
                "outcome": CASE_KEEP_THIS,
                "regency": "62.71",
                "expected": "1",
                "confirm": "yes",
            }
            reply = browser.post(url, fields | sent)
            assert reply.status_code == 403, (path, sent, reply.status_code)
    assert state(engine) == before
    assert browser.logged_in()


def test_a_disabled_users_session_dies_on_every_route(console, world, engine, clock):
    browser = logged_in_as(console, world, "regency")
    csrf = browser.csrf()
    user = world.users["regency"]
    with engine.begin() as conn:
        users.disable_user(conn, user.id, now=clock(), actor="test")
    before = state(engine)
    for method, path in console_routes(console):
        if (method, path) in NO_REGION and "account" not in path and path != "/console/logout":
            continue  # pages before a session, and pages of no region
        url = own_region_path(path, world, engine)
        reply = browser.get(url) if method == "GET" else browser.post(url, {"csrf": csrf})
        assert reply.status_code == 303, (path, reply.status_code)
        assert reply.headers["location"] == "/console/login"
    assert state(engine) == before
