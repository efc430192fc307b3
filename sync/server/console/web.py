"""The console's routes under /console. Thin: each reads the form or the query, calls users.py
or data.py inside one transaction, and renders a template (render.py). No SQL here.

Sessions: an HttpOnly, SameSite=Strict cookie (Secure under TLS) holding a random token; the
database keeps its hash (users.py). Every POST carries a CSRF token in a hidden field: the
session's own (derived from the session token), or, on the login and set-up forms where there
is no session yet, a random token that must equal the one in a short-lived cookie. A NIK or KK
searched for travels only in a POST body, never in a URL, and is neither stored nor logged.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.errors import KhbsError
from app.i18n import LANGS, tr
from sync.server import ServerError
from sync.server.console import data, evidence, formats, totp, users
from sync.server.console.passwords import MIN_LENGTH
from sync.server.console.render import LANG_COOKIE, lang_of, page, redirect
from sync.server.db import utc_now
from sync.server.repo import STATUSES

PREFIX = "/console"
SESSION_COOKIE = "khbs_console"
FORM_COOKIE = "khbs_form"  # the login and set-up forms' token, before there is a session
FORM_TTL = 3600
STATIC = {"console.css": "text/css; charset=utf-8"}
MAX_PAGE = 100_000

router = APIRouter(prefix=PREFIX, include_in_schema=False)
FormText = Annotated[str, Form(max_length=4096)]


class LoginNeeded(Exception):
    pass


class CsrfRefused(Exception):
    pass


class BadRequest(Exception):
    pass


# -- plumbing ---------------------------------------------------------------------------------


def _engine(request: Request):
    return request.app.state.engine


def _now(request: Request):
    return request.app.state.console_clock()


def _keys(request: Request):
    return request.app.state.keys


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def _drop(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=PREFIX, httponly=True, samesite="strict", secure=_secure(request)
    )


def current(request: Request) -> users.Session:
    """The logged-in user's session, or LoginNeeded (the handler sends them to log in)."""
    with _engine(request).begin() as conn:
        session = session_in(request, conn)
    if session is None:
        raise LoginNeeded()
    return session


def session_in(request: Request, conn) -> users.Session | None:
    """The session inside the caller's transaction (a route that writes anyway saves a
    transaction of its own); None: raise LoginNeeded once that transaction has ended (a stale
    session's removal is then kept)."""
    token = request.cookies.get(SESSION_COOKIE)
    return users.session_of(conn, token, now=_now(request)) if token else None


def check_csrf(session: users.Session, sent: str) -> None:
    if not sent or not hmac.compare_digest(session.csrf.encode(), sent.encode()):
        raise CsrfRefused()


def form_token(request: Request) -> str:
    """The pre-session form token: the cookie's, or a new one (set by `with_form_cookie`)."""
    token = request.cookies.get(FORM_COOKIE, "")
    return token if 20 <= len(token) <= 100 else secrets.token_urlsafe(24)


def with_form_cookie(request: Request, response: Response, token: str) -> Response:
    _cookie(request, response, FORM_COOKIE, token, max_age=FORM_TTL)
    return response


def check_form_token(request: Request, sent: str) -> None:
    kept = request.cookies.get(FORM_COOKIE, "")
    if not kept or not sent or not hmac.compare_digest(kept.encode(), sent.encode()):
        raise CsrfRefused()


def _message(exc: KhbsError, request: Request) -> str:
    return exc.message(lang_of(request))


def _base(session: users.Session, **context) -> dict:
    return {"user": session.user, "csrf": session.csrf, **context}


# The same plumbing for the other page modules (officers_web.py, records_web.py, ...).
engine_of, keys_of, now_of, base_context, message_of = _engine, _keys, _now, _base, _message


# -- logging in -------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, done: str = "") -> Response:
    token = form_token(request)
    notice = {
        "setup": "console.setup_done",
        "password": "console.password_changed",
        "out": "console.logged_out",
    }.get(done)
    response = page(request, "login.html", form_token=token, error=None, notice=notice)
    return with_form_cookie(request, response, token)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    name: FormText = "",
    password: FormText = "",
    code: FormText = "",
    form_token_sent: Annotated[str, Form(alias="form_token", max_length=200)] = "",
) -> Response:
    check_form_token(request, form_token_sent)
    address = request.client.host if request.client else "unknown"
    refused: users.UserError | None = None
    with _engine(request).begin() as conn:
        try:
            session = users.log_in(
                conn, _keys(request), name, password, code, address, now=_now(request)
            )
        except users.UserError as exc:
            refused = exc  # the failure count commits with this transaction
    if refused is not None:
        status = 429 if isinstance(refused, users.LoginWait) else 401
        token = form_token(request)
        response = page(
            request,
            "login.html",
            status,
            form_token=token,
            error=_message(refused, request),
            notice=None,
        )
        return with_form_cookie(request, response, token)
    moved = redirect(PREFIX)
    _cookie(request, moved, SESSION_COOKIE, session.token)  # a browser-session cookie
    _drop(request, moved, FORM_COOKIE)
    return moved


@router.post("/logout")
def logout(request: Request, csrf: FormText = "") -> Response:
    session = current(request)
    check_csrf(session, csrf)
    with _engine(request).begin() as conn:
        users.log_out(conn, session)
    response = redirect(f"{PREFIX}/login?done=out")
    _drop(request, response, SESSION_COOKIE)
    return response


@router.get("/setup", response_class=HTMLResponse)
def setup_form(request: Request) -> Response:
    token = form_token(request)
    response = page(request, "setup.html", form_token=token, error=None, minimum=MIN_LENGTH)
    return with_form_cookie(request, response, token)


@router.post("/setup", response_class=HTMLResponse)
def setup(
    request: Request,
    code: FormText = "",
    password: FormText = "",
    repeat: FormText = "",
    form_token_sent: Annotated[str, Form(alias="form_token", max_length=200)] = "",
) -> Response:
    check_form_token(request, form_token_sent)
    try:
        with _engine(request).begin() as conn:
            users.set_up(conn, code, password, repeat, now=_now(request))
    except ServerError as exc:
        token = form_token(request)
        response = page(
            request,
            "setup.html",
            400,
            form_token=token,
            error=_message(exc, request),
            minimum=MIN_LENGTH,
        )
        return with_form_cookie(request, response, token)
    return redirect(f"{PREFIX}/login?done=setup")


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = PREFIX) -> Response:
    """The one GET that sets something: a language cookie (no data changes)."""
    target = next if next.startswith(PREFIX) and not next.startswith("//") else PREFIX
    response = redirect(target if "\\" not in target else PREFIX)
    if lang in LANGS:
        _cookie(request, response, LANG_COOKIE, lang, max_age=365 * 86400)
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise data.NotFound()
    body = resources.files("sync.server.console").joinpath("static", name).read_bytes()
    return Response(
        body,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# -- account ----------------------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account(request: Request) -> Response:
    session = current(request)
    with _engine(request).connect() as conn:
        left = users.recovery_codes_left(conn, session.user.id)
    return page(
        request, "account.html", **_base(session, error=None, minimum=MIN_LENGTH, codes_left=left)
    )


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    current_password: FormText = "",
    password: FormText = "",
    repeat: FormText = "",
    csrf: FormText = "",
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    try:
        with _engine(request).begin() as conn:
            users.change_password(
                conn, session, current_password, password, repeat, now=_now(request)
            )
    except ServerError as exc:
        with _engine(request).connect() as conn:
            left = users.recovery_codes_left(conn, session.user.id)
        return page(
            request,
            "account.html",
            400,
            **_base(session, error=_message(exc, request), minimum=MIN_LENGTH, codes_left=left),
        )
    response = redirect(f"{PREFIX}/login?done=password")
    _drop(request, response, SESSION_COOKIE)
    return response


@router.get("/account/totp", response_class=HTMLResponse)
def totp_form(request: Request) -> Response:
    session = current(request)
    secret = totp.new_secret()
    return page(
        request,
        "totp.html",
        **_base(
            session,
            secret=totp.secret_text(secret),
            uri=totp.uri(secret, session.user.name),
            error=None,
        ),
    )


@router.post("/account/totp", response_class=HTMLResponse)
def totp_on(
    request: Request, secret: FormText = "", code: FormText = "", csrf: FormText = ""
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    raw = totp.parse_secret(secret)
    if raw is None:
        raise BadRequest()
    try:
        with _engine(request).begin() as conn:
            codes = users.turn_on_totp(conn, _keys(request), session, raw, code, now=_now(request))
    except ServerError as exc:
        return page(
            request,
            "totp.html",
            400,
            **_base(
                session,
                secret=totp.secret_text(raw),
                uri=totp.uri(raw, session.user.name),
                error=_message(exc, request),
            ),
        )
    return page(request, "totp_codes.html", **_base(session, codes=codes))  # shown only here


# -- dashboard --------------------------------------------------------------------------------


def _area_param(area: str) -> str | None:
    return area.strip() or None


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, area: str = "") -> Response:
    # One transaction for the session and the page; begin: the counts' fold (counts.py) is kept.
    with _engine(request).begin() as conn:
        session = session_in(request, conn)
        if session is not None:
            board = data.dashboard(
                conn, session.user.scope, _area_param(area[:20]), now=_now(request)
            )
    if session is None:
        raise LoginNeeded()
    peak = max([n for _, n in board.days] + [1])
    return page(request, "dashboard.html", **_base(session, board=board, peak=peak))


# -- households -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypedDays:
    """Dates typed into a form (DD-MM-YYYY, formats.typed_day): each field's date (None when
    empty or unreadable), what the field shows back (the date as DD-MM-YYYY, or the text as
    typed when unreadable, so nothing typed is lost) and an error naming each bad field."""

    days: dict[str, date | None]
    shown: dict[str, str]
    errors: dict[str, str]


def typed_days(request: Request, since: tuple[str, str], until: tuple[str, str] | None = None):
    """(text, label key) of a "since" field and maybe an "until" field; an "until" before the
    "since" is an error on "until"."""
    lang = lang_of(request)
    days: dict[str, date | None] = {}
    shown: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, (text, label) in {"since": since, "until": until or ("", "")}.items():
        text = text[:40].strip()
        try:
            days[name] = formats.typed_day(text)
            shown[name] = formats.day(days[name]) if days[name] else ""
        except ValueError:
            days[name], shown[name] = None, text
            errors[name] = tr("console.bad_date", lang, field=tr(label, lang))
    first, last = days["since"], days["until"]
    if until and first and last and last < first:
        days["until"] = None
        errors["until"] = tr(
            "console.date_order", lang, since=tr(since[1], lang), until=tr(until[1], lang)
        )
    return TypedDays(days, shown, errors)


def _list_page(
    request: Request,
    session: users.Session,
    filters: data.Filters,
    found: list | None = None,
    page_no: int = 1,
    error: str | None = None,
    status_code: int = 200,
    typed: TypedDays | None = None,
) -> Response:
    scope = session.user.scope
    listing, choices = None, []
    if found is None:  # search results need no query here: no connection for them
        with _engine(request).connect() as conn:
            listing = data.list_households(conn, _keys(request), scope, filters, page_no)
            # Search results leave out the filter form: its officer list is long in a province.
            choices = data.officer_choices(conn, data.view_scope(scope, filters.area))
    query = filters.query()
    return page(
        request,
        "households.html",
        status_code,
        **_base(
            session,
            listing=listing,
            found=found,
            filters=filters,
            officers=choices,
            areas=data.area_choices(scope) if found is None else [],  # the form's, as officers
            statuses=STATUSES,
            error=error,
            dates=typed or typed_days(request, ("", ""), ("", "")),
            query=lambda **extra: urlencode(query | {k: v for k, v in extra.items()}),
        ),
    )


@router.get("/households", response_class=HTMLResponse)
def households(
    request: Request,
    area: str = "",
    status: str = "",
    officer: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    session = current(request)
    typed = typed_days(request, (since, "console.since"), (until, "console.until"))
    filters = data.Filters(
        _area_param(area[:20]),
        status[:20] or None,
        officer[:36] or None,
        typed.days["since"],
        typed.days["until"],
    )
    return _list_page(
        request,
        session,
        filters,
        page_no=max(1, min(page, MAX_PAGE)),
        status_code=400 if typed.errors else 200,
        typed=typed,
    )


@router.post("/households/search", response_class=HTMLResponse)
def search(request: Request, number: FormText = "", csrf: FormText = "") -> Response:
    """Find by NIK or KK. POST, so the number is in no URL, history or access log; the page
    that answers does not repeat it."""
    bad: data.BadNumber | None = None
    with _engine(request).begin() as conn:  # one transaction: the session, search and audit
        session = session_in(request, conn)
        if session is not None:
            check_csrf(session, csrf)
            try:
                found = data.find_by_number(
                    conn, _keys(request), session.user.scope, number, session.user.actor
                )
            except data.BadNumber as exc:  # before any query: the session's touch is kept
                bad = exc
    if session is None:
        raise LoginNeeded()
    if bad is not None:
        return _list_page(
            request,
            session,
            data.Filters(),
            found=[],
            error=_message(bad, request),
            status_code=400,
        )
    return _list_page(request, session, data.Filters(), found=found)


@router.get("/households/{household_id}", response_class=HTMLResponse)
def household_reason(request: Request, household_id: str) -> Response:
    """Before a household is shown, the user says why (the answer goes to the audit log)."""
    session = current(request)
    with _engine(request).connect() as conn:
        brief = data.brief(conn, session.user.scope, household_id)
    return page(
        request, "reason.html", **_base(session, brief=brief, reasons=data.REASONS, error=None)
    )


@router.post("/households/{household_id}", response_class=HTMLResponse)
def household(
    request: Request,
    household_id: str,
    reason: FormText = "",
    note: FormText = "",
    csrf: FormText = "",
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    scope = session.user.scope
    try:
        with _engine(request).begin() as conn:  # committed before anything is shown
            data.open_household(conn, scope, household_id, reason, note, session.user.actor)
    except data.ReasonMissing as exc:
        with _engine(request).connect() as conn:
            brief = data.brief(conn, scope, household_id)
        return page(
            request,
            "reason.html",
            400,
            **_base(session, brief=brief, reasons=data.REASONS, error=_message(exc, request)),
        )
    with _engine(request).connect() as conn:
        view = data.household(conn, _keys(request), scope, household_id, lang_of(request))
        storage = request.app.state.attachments  # photos and signatures, after the audit too
        shown = evidence.of_household(conn, _keys(request), storage, scope, household_id)
    return page(request, "household.html", **_base(session, h=view, evidence=shown))


# -- errors and installing --------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """Mount the console on the API's application (sync/server/api/app.py)."""
    app.state.console_clock = utc_now

    @app.exception_handler(LoginNeeded)
    async def _login(request: Request, _exc: LoginNeeded) -> Response:
        response = redirect(f"{PREFIX}/login")
        _drop(request, response, SESSION_COOKIE)
        return response

    @app.exception_handler(data.NotFound)
    async def _not_found(request: Request, _exc: data.NotFound) -> Response:
        return await run_in_threadpool(_error_page, request, 404, "console.not_found")

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _exc: CsrfRefused) -> Response:
        return await run_in_threadpool(_error_page, request, 403, "console.csrf")

    @app.exception_handler(BadRequest)
    async def _bad(request: Request, _exc: BadRequest) -> Response:
        return await run_in_threadpool(_error_page, request, 400, "console.bad_request")

    app.include_router(router)
    from sync.server.console import officers_web, records_web  # they import this module

    app.include_router(officers_web.router)
    app.include_router(records_web.router)
    from sync.server.console import review_web  # it imports this module

    app.include_router(review_web.router)  # issue 15: review queue, cases, cards
    from sync.server.console import rights_web  # a family's requests (docs/privacy.md)

    app.include_router(rights_web.router)


def _error_page(request: Request, status: int, key: str) -> Response:
    return page(request, "error.html", status, message_key=key)
