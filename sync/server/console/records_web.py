"""The console's export download and audit viewer, under /console/exports and /console/audit.
Thin, like web.py: routes call sync/server/export_zip.py and sync/server/audit.py.

Exports: the province export (households.csv, members.csv, manifest.json in a ZIP, streamed as
it is made: docs/province-export.md), limited to the user's scope in its query; a regency
outside the scope is 404. Asked for with a POST (it is audited, and carries the CSRF token);
the download is `Cache-Control: no-store`.

The audit viewer is the province role's (others get 404): entries newest first, filtered by
who, action, household, officer and day (WIB), and on request the chain's verification, the
same check as `khbs-server verify`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from app import regions
from app.errors import KhbsError
from app.export.layout import Options
from app.i18n import LANGS
from sync.server import audit
from sync.server.console import users
from sync.server.console.data import NotFound, area_name
from sync.server.console.formats import WIB, day
from sync.server.console.render import HEADERS, lang_of, page
from sync.server.console.web import (
    PREFIX,
    BadRequest,
    base_context,
    check_csrf,
    current,
    engine_of,
    keys_of,
    message_of,
    typed_days,
)
from sync.server.db import read_snapshot
from sync.server.export import parse_filters
from sync.server.export_zip import zip_export
from sync.server.repo import STATUSES

router = APIRouter(prefix=PREFIX, include_in_schema=False)
FormText = Annotated[str, Form(max_length=200)]
AUDIT_PAGE = 100
EXPORT_FIELDS = ("regency", "status", "mask_ids", "no_health", "excel", "lang")


# -- exports ----------------------------------------------------------------------------------


def regency_choices(scope) -> list[tuple[str, str]]:
    """(code, name) of the regencies that share a desa with the scope."""
    return [(c, area_name(c)) for c in regions.children(regions.PROVINCE) if scope.overlaps(c)]


def _export_page(
    request: Request,
    session: users.Session,
    status_code: int = 200,
    error: str | None = None,
    asked: dict | None = None,
    typed=None,
) -> Response:
    """The form; after an error, with what was chosen and typed (nothing is lost)."""
    return page(
        request,
        "exports.html",
        status_code,
        **base_context(
            session,
            regencies=regency_choices(session.user.scope),
            statuses=STATUSES,
            error=error,
            asked=asked or dict.fromkeys(EXPORT_FIELDS, ""),
            dates=typed or typed_days(request, ("", "")),
        ),
    )


@router.get("/exports", response_class=HTMLResponse)
def export_form(request: Request) -> Response:
    return _export_page(request, current(request))


def _checked(value: str) -> bool:
    return value in ("1", "on", "true")


@router.post("/exports")
def export(
    request: Request,
    regency: FormText = "",
    status: FormText = "",
    since: FormText = "",
    mask_ids: FormText = "",
    no_health: FormText = "",
    excel: FormText = "",
    lang: FormText = "",
    csrf: FormText = "",
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    scope = session.user.scope
    if regency and not any(code == regency for code, _ in regency_choices(scope)):
        raise NotFound()  # another region's, or no regency at all: the same answer
    if status and status not in STATUSES:
        raise BadRequest()
    asked = {
        "regency": regency,
        "status": status,
        "mask_ids": _checked(mask_ids),
        "no_health": _checked(no_health),
        "excel": _checked(excel),
        "lang": lang,
    }
    typed = typed_days(request, (since, "console.changed_since"))
    if typed.errors:
        return _export_page(request, session, 400, None, asked, typed)
    first = typed.days["since"]
    try:  # a day starts at midnight WIB, as in the console's other date filters
        since_text = _wib_midnight(first).isoformat() if first else None
        filters = parse_filters(regency or None, since_text, status or None, scope)
    except KhbsError as exc:
        return _export_page(request, session, 400, message_of(exc, request), asked, typed)
    options = Options(
        excel=_checked(excel),
        mask_ids=_checked(mask_ids),
        omit_health=_checked(no_health),
        lang=lang if lang in LANGS else lang_of(request),
    )
    user = session.user
    stream = zip_export(
        engine_of(request),
        keys_of(request),
        options,
        filters,
        actor=user.actor,
        created_by=user.name,
        via="console",
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    where = (regency or ("62" if scope.is_province else "-".join(scope.areas)))[:60]
    return StreamingResponse(
        stream,
        media_type="application/zip",
        headers=HEADERS
        | {"Content-Disposition": f'attachment; filename="khbs-{where}-{stamp}.zip"'},
    )


# -- the audit log ----------------------------------------------------------------------------


def _wib_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), WIB).astimezone(UTC)


@router.get("/audit", response_class=HTMLResponse)
def audit_view(
    request: Request,
    who: str = "",
    action: str = "",
    household: str = "",
    officer: str = "",
    since: str = "",
    until: str = "",
    before: int = 0,
    verify: int = 0,
) -> Response:
    session = current(request)
    scope = session.user.scope
    if not scope.is_province:
        raise NotFound()
    typed = typed_days(request, (since, "console.audit_since"), (until, "console.audit_until"))
    first, last = typed.days["since"], typed.days["until"]
    asked = {
        "who": who[:64],
        "action": action[:32],
        "household": household[:36],
        "officer": officer[:36],
        "since": day(first) if first else "",
        "until": day(last) if last else "",
    }
    engine = engine_of(request)
    with engine.connect() as conn:
        found = audit.entries(
            conn,
            scope,
            actor=asked["who"] or None,
            action=asked["action"] or None,
            household_id=asked["household"] or None,
            officer_id=asked["officer"] or None,
            since=_wib_midnight(first) if first else None,
            until=_wib_midnight(last + timedelta(days=1)) if last else None,
            before=before if before > 0 else None,
            limit=AUDIT_PAGE,
        )
        people = users.list_users(conn)
        names = {u.actor: u.name for u in people}
    check = None
    if verify:
        with read_snapshot(engine) as conn:
            check = audit.verify(conn, keys_of(request))
    query = {k: v for k, v in asked.items() if v}
    return page(
        request,
        "audit.html",
        400 if typed.errors else 200,
        **base_context(
            session,
            entries=found,
            names=names,
            people=people,
            asked=asked,
            link=lambda **extra: urlencode(query | extra),
            older=found[-1].seq if len(found) == AUDIT_PAGE else None,
            check=check,
            dates=typed,
            actions=audit.action_labels(lang_of(request)),
        ),
    )
