"""The console's page for a family's requests under UU PDP (docs/privacy.md): find the family by
NIK or KK (POST, so the number is in no URL), then give it a copy of its data (an HTML file,
audited with the stated reason) or record its withdrawal of consent (erasure, tombstone).
Province and regency users only; the scope is enforced in the queries (rights.find), so another
region's family is not found. Thin routes: sync/server/rights.py and access_copy.py do the work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from sync.server import access_copy, privacy, rights
from sync.server.console import data, users
from sync.server.console.render import HEADERS, lang_of, page
from sync.server.console.web import PREFIX, check_csrf, current

router = APIRouter(prefix=f"{PREFIX}/rights", include_in_schema=False)
FormText = Annotated[str, Form(max_length=4096)]
ROLES = ("province", "regency")


def _allowed(request: Request) -> users.Session:
    session = current(request)
    if session.user.role not in ROLES:
        raise data.NotFound()  # a supervisor answers single households, not requests
    return session


def _context(session: users.Session, **more) -> dict:
    return {"user": session.user, "csrf": session.csrf, **more}


def _family(request: Request, session: users.Session, number: str = "", household_id: str = ""):
    """(household id, brief, requests) in the user's scope, or raises FamilyNotFound/BadNumber."""
    engine, keys, scope = request.app.state.engine, request.app.state.keys, session.user.scope
    with engine.connect() as conn:
        if household_id:
            hid = rights.find(conn, keys, scope, household_id=household_id)
        else:
            digits = "".join(number.split())
            try:
                hid = rights.find(conn, keys, scope, nik=digits)
            except rights.FamilyNotFound:
                hid = rights.find(conn, keys, scope, kk=digits)
        brief = data.brief(conn, scope, hid)
        requests = rights.requests_of(conn, keys, hid)
    return hid, brief, requests


@router.get("", response_class=HTMLResponse)
def start(request: Request) -> Response:
    session = _allowed(request)
    return page(request, "rights.html", **_context(session, found=None, error=None, done=None))


@router.post("/find", response_class=HTMLResponse)
def find(request: Request, number: FormText = "", csrf: FormText = "") -> Response:
    session = _allowed(request)
    check_csrf(session, csrf)
    try:
        hid, brief, requests = _family(request, session, number=number)
    except (rights.FamilyNotFound, rights.BadNumber, rights.SeveralFamilies) as exc:
        error = exc.message(lang_of(request))
        return page(
            request, "rights.html", 404, **_context(session, found=None, error=error, done=None)
        )
    found = {"id": hid, "brief": brief, "requests": requests}
    return page(request, "rights.html", **_context(session, found=found, error=None, done=None))


@router.post("/{household_id}/access")
def access(
    request: Request, household_id: str, reason: FormText = "", csrf: FormText = ""
) -> Response:
    """The copy, as a file to save and hand to the family; recorded and audited first."""
    session = _allowed(request)
    check_csrf(session, csrf)
    engine, keys, user = request.app.state.engine, request.app.state.keys, session.user
    try:
        with engine.begin() as conn:
            html = access_copy.make(
                conn, keys, user.scope, household_id, reason, user.actor, lang=lang_of(request)
            )
    except rights.FamilyNotFound:
        raise data.NotFound() from None
    except rights.ReasonMissing as exc:
        hid, brief, requests = _family(request, session, household_id=household_id)
        found = {"id": hid, "brief": brief, "requests": requests}
        error = exc.message(lang_of(request))
        return page(
            request, "rights.html", 400, **_context(session, found=found, error=error, done=None)
        )
    name = f"salinan-data-{household_id[:8]}.html"
    headers = HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'}
    return HTMLResponse(html, headers=headers)


@router.post("/{household_id}/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request,
    household_id: str,
    note: FormText = "",
    confirm: FormText = "",
    csrf: FormText = "",
) -> Response:
    session = _allowed(request)
    check_csrf(session, csrf)
    engine, keys, user = request.app.state.engine, request.app.state.keys, session.user
    if confirm != "yes":
        try:
            hid, brief, requests = _family(request, session, household_id=household_id)
        except rights.FamilyNotFound:
            raise data.NotFound() from None
        found = {"id": hid, "brief": brief, "requests": requests}
        error = rights.ConfirmMissing().message(lang_of(request))
        return page(
            request, "rights.html", 400, **_context(session, found=found, error=error, done=None)
        )
    try:
        with engine.begin() as conn:
            stone = rights.withdraw(
                conn,
                keys,
                user.scope,
                household_id,
                user.actor,
                note,
                storage=request.app.state.attachments,
            )
    except rights.FamilyNotFound:
        raise data.NotFound() from None
    privacy.checkpoint(engine)
    return page(request, "rights.html", **_context(session, found=None, error=None, done=stone))
