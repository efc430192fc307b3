"""Scope, CSRF and disabled users over every console route (sync/server/console: web.py,
officers_web.py, records_web.py), against the real server on 127.0.0.1, on SQLite and
PostgreSQL.

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

from sync.server.console import officers_web, records_web, users, web
from sync.server.db import audit_log, devices, enroll_codes, officer_areas, officers
from sync.server.officers import list_officers
from sync.server.scope import Scope
from tests.server.consoleworld import OTHER_KECAMATAN_DESA
from tests.server.test_console import (  # noqa: F401 (fixtures)
    Browser,
    clock,
    console,
    fast_passwords,
    logged_in_as,
    world,
)

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def console_routes(console) -> list[tuple[str, str]]:
    """(method, path) of every route of the console modules this file covers: their routers, as
    web.install mounts them."""
    found = []
    for module in (web, officers_web, records_web):
        for route in module.router.routes:
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, route.path))
    assert len(found) >= 25
    return found


def device_of(engine, officer_id: str) -> str:
    with engine.connect() as conn:
        (officer,) = list_officers(conn, Scope.province(), officer_id=officer_id)
    return officer.devices[0].id


def foreign(world, engine, role: str) -> dict[str, str]:
    """Ids and areas outside the role's scope (the province: unknown ones)."""
    if role == "province":
        return {
            "household": UNKNOWN,
            "officer": UNKNOWN,
            "device": UNKNOWN,
            "area": "62.99",
            "regency": "62.99",
        }
    kobar = world.officers["kobar"]
    out = {
        "household": world.households["kobar"][0],
        "officer": kobar,
        "device": device_of(engine, kobar),
        "area": "62.01",
        "regency": "62.01",
    }
    if role == "supervisor":  # 62.71.03: the city's other kecamatan is outside too
        out |= {"household": world.households["palangka"][3], "area": OTHER_KECAMATAN_DESA}
    return out


def requests_for(ids: dict[str, str]) -> dict[tuple[str, str], list[tuple[str, dict]]]:
    """For each route with a parameter: the requests that name another region."""
    h, o, d = ids["household"], ids["officer"], ids["device"]
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
    return (
        path.replace("{household_id}", world.households["palangka"][0])
        .replace("{officer_id}", sari)
        .replace("{device_id}", device_of(engine, sari))
    )


def test_every_post_needs_the_sessions_csrf_token(console, world, engine):
    browser = logged_in_as(console, world, "province")
    foreign_token = logged_in_as(console, world, "regency").csrf()
    posts = [p for m, p in console_routes(console) if m == "POST"]
    assert len(posts) >= 13
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
