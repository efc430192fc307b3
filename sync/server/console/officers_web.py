"""The console's officer and device pages under /console/officers: the list a user's scope
sees, adding an officer, changing areas, an enrollment code, revoking a device, and a laptop's
recovery code. Thin, like web.py: each route calls sync/server/officers.py (which applies the
scope in its queries and writes the audit entry) inside one transaction, then renders.

An officer or device outside the user's scope is 404, as an unknown id is. An enrollment or
recovery code is made by a POST and shown once in that POST's answer (no-store, never in a
URL); only its hash is kept (enrollment) or nothing at all (recovery: opened from the escrow).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app import regions
from app.i18n import tr
from sync.server import ServerError, UnknownDevice, UnknownOfficer, officers, privacy
from sync.server.audit import entries
from sync.server.console import users
from sync.server.console.data import NotFound, area_name
from sync.server.console.render import lang_of, page, redirect
from sync.server.console.web import (
    PREFIX,
    base_context,
    check_csrf,
    current,
    engine_of,
    keys_of,
    message_of,
)
from sync.server.recovery import NoEscrow

router = APIRouter(prefix=f"{PREFIX}", include_in_schema=False)
FormText = Annotated[str, Form(max_length=4096)]
ID_MAX = 36
PAGE = 100  # officers a page
RECOVERY_REASONS = ("lupa_kata_sandi", "laptop_diperbaiki", "petugas_diganti")
DONE = {"added", "areas", "revoked", "already_revoked"}


def split_areas(text: str) -> list[str]:
    """Area codes typed as a list: spaces, commas or semicolons between them."""
    return [a for a in re.split(r"[\s,;]+", text) if a][:50]


def _id(text: str) -> str:
    if not text or len(text) > ID_MAX:
        raise NotFound()
    return text


def _officer(conn, session: users.Session, officer_id: str) -> officers.OfficerInfo:
    try:
        return officers.get_officer(conn, session.user.scope, _id(officer_id))
    except UnknownOfficer:
        raise NotFound() from None


# -- the list and adding ----------------------------------------------------------------------


def _list_page(
    request: Request,
    session: users.Session,
    status_code: int = 200,
    error: str | None = None,
    typed: dict | None = None,
    page_no: int = 1,
) -> Response:
    with engine_of(request).begin() as conn:  # begin: the counts' fold (counts.py) is kept
        found = officers.list_officers(conn, session.user.scope)
    # A province has hundreds of officers: pages of PAGE keep each under the page weight.
    pages = max(1, -(-len(found) // PAGE))
    page_no = min(max(1, page_no), pages)
    return page(
        request,
        "officers.html",
        status_code,
        **base_context(
            session,
            officers=found[(page_no - 1) * PAGE : page_no * PAGE],
            total=len(found),
            page_no=page_no,
            pages=pages,
            area_name=area_name,
            example=area_example(session.user.areas),
            error=error,
            typed=typed or {"name": "", "areas": ""},
        ),
    )


def area_example(areas) -> tuple[str, str]:
    """(a kecamatan, a desa) inside the user's own areas, for the help under the areas field:
    a coordinator in Sampit is shown Sampit's codes, not Palangka Raya's."""
    area = areas[0] if areas else "62.71"
    while area.count(".") < 2 and regions.children(area):
        area = regions.children(area)[0]
    desa = (regions.desa_in(area) or (area,))[0]
    return area, desa


@router.get("/officers", response_class=HTMLResponse)
def officer_list(request: Request, page: int = 1) -> Response:
    return _list_page(request, current(request), page_no=min(page, 10_000))


@router.post("/officers", response_class=HTMLResponse)
def officer_add(
    request: Request, name: FormText = "", areas: FormText = "", csrf: FormText = ""
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    try:
        with engine_of(request).begin() as conn:
            officer_id, _ = officers.add_officer(
                conn, session.user.scope, session.user.actor, name, split_areas(areas)
            )
    except ServerError as exc:
        typed = {"name": name[:200], "areas": areas[:200]}
        return _list_page(request, session, 400, message_of(exc, request), typed)
    return redirect(f"{PREFIX}/officers/{officer_id}?done=added")


# -- one officer ------------------------------------------------------------------------------


def _officer_page(
    request: Request,
    session: users.Session,
    officer_id: str,
    status_code: int = 200,
    error: str | None = None,
    done: str = "",
) -> Response:
    with engine_of(request).begin() as conn:  # begin: the counts' fold is kept
        officer = _officer(conn, session, officer_id)
        changes = entries(conn, session.user.scope, officer_id=officer.id, limit=20)
        names = users.names_of(conn, {e.actor for e in changes})
    return page(
        request,
        "officer.html",
        status_code,
        **base_context(
            session,
            o=officer,
            changes=changes,
            names=names,
            area_name=area_name,
            error=error,
            done=done if done in DONE else "",
        ),
    )


@router.get("/officers/{officer_id}", response_class=HTMLResponse)
def officer_view(request: Request, officer_id: str, done: str = "") -> Response:
    return _officer_page(request, current(request), officer_id, done=done[:20])


@router.post("/officers/{officer_id}/areas", response_class=HTMLResponse)
def officer_areas(
    request: Request, officer_id: str, areas: FormText = "", csrf: FormText = ""
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    try:
        with engine_of(request).begin() as conn:
            officers.set_areas(
                conn, session.user.scope, session.user.actor, _id(officer_id), split_areas(areas)
            )
    except UnknownOfficer:
        raise NotFound() from None
    except ServerError as exc:
        status = 403 if isinstance(exc, officers.OfficerOutsideScope) else 400
        return _officer_page(request, session, officer_id, status, message_of(exc, request))
    return redirect(f"{PREFIX}/officers/{officer_id}?done=areas")


@router.post("/officers/{officer_id}/enroll-code", response_class=HTMLResponse)
def enroll_code(request: Request, officer_id: str, csrf: FormText = "") -> Response:
    """The code is in this answer only: not in a URL, not stored (its hash is), not logged."""
    session = current(request)
    check_csrf(session, csrf)
    try:
        with engine_of(request).begin() as conn:
            code = officers.make_enroll_code(
                conn, session.user.scope, session.user.actor, _id(officer_id)
            )
    except UnknownOfficer:
        raise NotFound() from None
    except officers.OfficerOutsideScope as exc:
        return _officer_page(request, session, officer_id, 403, message_of(exc, request))
    with engine_of(request).connect() as conn:
        officer = _officer(conn, session, officer_id)
    return page(
        request,
        "code.html",
        **base_context(session, kind="enroll", o=officer, code=code.code, expires=code.expires_at),
    )


@router.post("/devices/{device_id}/revoke", response_class=HTMLResponse)
def device_revoke(request: Request, device_id: str, csrf: FormText = "") -> Response:
    session = current(request)
    check_csrf(session, csrf)
    try:
        with engine_of(request).begin() as conn:
            device, now = officers.revoke_device(
                conn, session.user.scope, session.user.actor, _id(device_id)
            )
    except UnknownDevice:
        raise NotFound() from None
    except officers.OfficerOutsideScope as exc:
        return _error(request, session, 403, message_of(exc, request))
    done = "revoked" if now else "already_revoked"
    return redirect(f"{PREFIX}/officers/{device.officer_id}?done={done}")


@router.get("/devices/{device_id}/exposure.csv")
def device_exposure(request: Request, device_id: str) -> Response:
    """What a (lost, revoked) laptop could have held, as CSV of ids and flags
    (docs/privacy.md, "A lost laptop"); the same report as `khbs-server device exposure --csv`,
    limited to the user's scope, audited (device.exposure)."""
    session = current(request)
    try:
        with engine_of(request).begin() as conn:
            report = officers.device_exposure(
                conn, keys_of(request), session.user.scope, session.user.actor, _id(device_id)
            )
    except UnknownDevice:
        raise NotFound() from None
    except officers.OfficerOutsideScope as exc:
        return _error(request, session, 403, message_of(exc, request))
    name = f"paparan-{report.device_id[:8]}.csv"
    return Response(
        privacy.exposure_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


def _error(request: Request, session: users.Session, status: int, message: str) -> Response:
    return page(request, "message.html", status, **base_context(session, message=message))


# -- a laptop's recovery code -----------------------------------------------------------------


def _recovery_page(
    request: Request,
    session: users.Session,
    status_code: int = 200,
    error: str | None = None,
    refused: list | None = None,
    typed: dict | None = None,
) -> Response:
    return page(
        request,
        "recovery.html",
        status_code,
        **base_context(
            session,
            reasons=RECOVERY_REASONS,
            error=error,
            refused=refused,
            typed=typed or {"store": "", "device": "", "reason": ""},
        ),
    )


@router.get("/recovery", response_class=HTMLResponse)
def recovery_form(request: Request) -> Response:
    return _recovery_page(request, current(request))


@router.post("/recovery", response_class=HTMLResponse)
def recovery(
    request: Request,
    store: FormText = "",
    device: FormText = "",
    reason: FormText = "",
    csrf: FormText = "",
) -> Response:
    """The code that opens a laptop whose officer forgot the passphrase, from the escrow of a
    device the user may manage; a stated reason is required and goes to the audit log."""
    session = current(request)
    check_csrf(session, csrf)
    typed = {"store": store[:64], "device": device[:ID_MAX], "reason": reason[:64]}
    store_id, device_id = store.strip()[:64], device.strip()[:ID_MAX] or None
    if not store_id:
        return _recovery_page(request, session, 400, _text(request, "console.store_needed"))
    try:
        with engine_of(request).begin() as conn:
            found = officers.give_recovery_code(
                conn,
                keys_of(request),
                session.user.scope,
                session.user.actor,
                store_id,
                reason=reason.strip(),
                device_id=device_id,
            )
    except UnknownDevice:
        raise NotFound() from None
    except NoEscrow:
        return _recovery_page(
            request, session, 404, _text(request, "console.no_escrow"), typed=typed
        )
    except ServerError as exc:
        return _recovery_page(request, session, 400, message_of(exc, request), typed=typed)
    if found.refused is not None:
        return _recovery_page(
            request,
            session,
            409,
            _text(request, "console.escrow_ambiguous", others=found.refused.others),
            refused=found.refused.holders,
            typed=typed,
        )
    with engine_of(request).connect() as conn:
        officer = _officer(conn, session, found.officer_id or "")
    return page(
        request,
        "code.html",
        **base_context(
            session, kind="recovery", o=officer, code=found.code, device_id=found.device_id
        ),
    )


def _text(request: Request, key: str, **params) -> str:
    return tr(key, lang_of(request), **params)
