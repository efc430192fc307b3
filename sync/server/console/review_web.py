"""The console's supervision pages (issue 15, docs/supervision.md): the review queue, one
household's review with the decision forms, duplicate cases and cards. Thin routes like web.py:
each reads the form, calls review.py / cases.py / cards.py (which take the user's Scope) and
renders a template. Registered by web.install().

Opening a household for review is audited as the household view is (data.open_household with
the reason "verification"), by a POST from the queue, before anything is shown. Another
region's household, case or regency is 404, as everywhere in the console.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.server import (
    ServerError,
    UnknownArea,
    UnknownHousehold,
    UnknownOfficer,
    cards,
    cases,
    review,
)
from sync.server.console import data, evidence
from sync.server.console.render import HEADERS, lang_of, page, redirect
from sync.server.console.web import PREFIX, BadRequest, FormText, check_csrf, current

router = APIRouter(prefix=PREFIX, include_in_schema=False)
QUEUE_PAGE = 50
COMMENT_ROWS = 3  # comment rows on the return form
REVIEW_REASON = "verification"  # data.REASONS: why a household is opened from the queue


def _engine(request: Request):
    return request.app.state.engine


def _keys(request: Request):
    return request.app.state.keys


def _base(session, **context) -> dict:
    return {"user": session.user, "csrf": session.csrf, **context}


def _area(text: str) -> str | None:
    return text.strip()[:20] or None


# -- the queue ----------------------------------------------------------------------------------


def _queue_page(
    request: Request,
    session,
    desa: str | None,
    officer: str | None,
    page_no: int = 1,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    scope = session.user.scope
    with _engine(request).connect() as conn:
        try:  # an area or officer outside the scope: refused in the query (review.py)
            rows = review.queue(
                conn,
                scope,
                desa=desa,
                officer=officer,
                limit=QUEUE_PAGE,
                offset=(page_no - 1) * QUEUE_PAGE,
            )
        except (UnknownArea, UnknownOfficer):
            raise data.NotFound() from None
        total = review.queue_count(conn, scope, desa=desa, officer=officer)
        officers = data.officer_choices(conn, scope)
    query = {k: v for k, v in (("desa", desa), ("officer", officer)) if v}
    return page(
        request,
        "review_queue.html",
        status_code,
        **_base(
            session,
            rows=rows,
            total=total,
            page_no=page_no,
            pages=max(1, -(-total // QUEUE_PAGE)),
            desa=desa or "",
            officer=officer or "",
            areas=data.area_choices(scope),
            officers=officers,
            area_name=data.area_name,
            notice=notice,
            error=error,
            query=lambda **extra: urlencode(query | extra),
        ),
    )


@router.get("/review", response_class=HTMLResponse)
def review_queue(
    request: Request, desa: str = "", officer: str = "", page: int = 1, done: str = ""
) -> Response:
    session = current(request)
    notice = {
        "verified": "console.review_done_verified",
        "returned": "console.review_done_returned",
        "rejected": "console.review_done_rejected",
    }.get(done)
    return _queue_page(
        request,
        session,
        _area(desa),
        officer[:36] or None,
        max(1, min(page, 10_000)),
        notice=notice,
    )


# -- one household ------------------------------------------------------------------------------


def _review_page(
    request: Request, session, household_id: str, error: str | None = None, status_code: int = 200
) -> Response:
    scope, lang, keys = session.user.scope, lang_of(request), _keys(request)
    with _engine(request).connect() as conn:
        view = data.household(conn, keys, scope, household_id, lang)
        try:
            record = review.current_record(conn, keys, scope, household_id)
            found = review.differences(conn, keys, scope, household_id)
            history = review.rounds(conn, keys, scope, household_id)
        except UnknownHousehold:
            raise data.NotFound() from None
        touching = cases.list_cases(conn, scope, state=None, household=household_id)
        card_history = cards.history(conn, scope, household_id)
        # household.html (which this page extends) shows the photos and signatures too
        shown = evidence.of_household(
            conn, keys, request.app.state.attachments, scope, household_id
        )
    codes = review.reason_codes()
    return page(
        request,
        "review_household.html",
        status_code,
        **_base(
            session,
            h=view,
            evidence=shown,
            diff=found,
            rounds=history,
            cases=touching,
            cards=card_history,
            targets=review.comment_targets(record, lang),
            return_codes=[(c, review.reason_label("return", c, lang)) for c in codes["return"]],
            reject_codes=[(c, review.reason_label("reject", c, lang)) for c in codes["reject"]],
            label=lambda kind, code: review.reason_label(kind, code, lang),
            path_label=lambda path: review.path_label(
                ".".join(str(p) for p in path) if isinstance(path, tuple) else path, lang
            ),
            shown=_shown_value,
            comment_rows=range(COMMENT_ROWS),
            decided=bool(history) and history[-1].revision == view.revision,
            error=error,
        ),
    )


def _shown_value(value: object) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@router.post("/review/{household_id}", response_class=HTMLResponse)
def review_household(request: Request, household_id: str, csrf: FormText = "") -> Response:
    """Open a household from the queue: audited (reason: verification) before it is shown."""
    session = current(request)
    check_csrf(session, csrf)
    with _engine(request).begin() as conn:  # committed before anything is shown
        data.open_household(
            conn, session.user.scope, household_id, REVIEW_REASON, "", session.user.actor
        )
    return _review_page(request, session, household_id)


@router.post("/review/{household_id}/decide", response_class=HTMLResponse)
async def decide(request: Request, household_id: str) -> Response:
    session = current(request)
    form = await request.form()

    def text(name: str, limit: int = 600) -> str:
        value = form.get(name, "")
        return value[:limit] if isinstance(value, str) else ""

    check_csrf(session, text("csrf"))
    decision = text("decision", 20)
    try:
        revision = int(text("revision", 10))
    except ValueError:
        raise BadRequest() from None
    comments = []
    for i in range(COMMENT_ROWS):
        path, code, note = text(f"path_{i}", 120), text(f"code_{i}", 64), text(f"text_{i}")
        if code or note.strip():
            comments.append({"path": path, "code": code or None, "text": note})
    reason = text("reject_reason" if decision == review.REJECTED else "return_reason", 64)

    def run() -> dict:
        with _engine(request).begin() as conn:
            return review.decide(
                conn,
                _keys(request),
                session.user.scope,
                session.user.actor,
                household_id,
                revision,
                decision,
                reason=reason or None,
                note=text("note") or None,
                comments=comments,
            )

    try:
        done = await run_in_threadpool(run)
    except UnknownHousehold:
        raise data.NotFound() from None
    except ServerError as exc:
        message = exc.message(lang_of(request))
        return await run_in_threadpool(_review_page, request, session, household_id, message, 409)
    return redirect(f"{PREFIX}/review?done={done['decision']}")


# -- duplicate cases ----------------------------------------------------------------------------


def _cases_page(
    request: Request, session, state: str, error: str | None = None, status_code: int = 200
) -> Response:
    scope = session.user.scope
    with _engine(request).connect() as conn:
        found = cases.list_cases(conn, scope, state=None if state == "all" else state)
    return page(
        request,
        "review_cases.html",
        status_code,
        **_base(session, cases=found, state=state, area_name=data.area_name, error=error),
    )


@router.get("/cases", response_class=HTMLResponse)
def cases_list(request: Request, state: str = "open") -> Response:
    session = current(request)
    if state not in ("open", "decided", "all"):
        raise BadRequest()
    return _cases_page(request, session, state)


@router.post("/cases/{case_id}", response_class=HTMLResponse)
def case_decide(
    request: Request,
    case_id: str,
    outcome: FormText = "",
    reason: FormText = "",
    csrf: FormText = "",
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    try:
        with _engine(request).begin() as conn:
            cases.decide(
                conn,
                session.user.scope,
                session.user.actor,
                case_id[:36],
                outcome[:20],
                reason=reason[:64] or None,
            )
    except cases.UnknownCase:
        raise data.NotFound() from None
    except ServerError as exc:
        return _cases_page(request, session, "open", exc.message(lang_of(request)), 403)
    return redirect(f"{PREFIX}/cases?state=all")


# -- cards --------------------------------------------------------------------------------------


def _cards_page(
    request: Request,
    session,
    regency: str | None,
    desa: str | None,
    issued: cards.Issued | None = None,
    error: str | None = None,
    status_code: int = 200,
    reissued: dict | None = None,
) -> Response:
    scope = session.user.scope
    lang = lang_of(request)
    try:
        with _engine(request).connect() as conn:
            counts = cards.preview(conn, scope, regency=regency, desa=desa)
    except (cards.AreaOutsideScope, cards.CardsNotAllowed):
        raise data.NotFound() from None
    return page(
        request,
        "review_cards.html",
        status_code,
        **_base(
            session,
            counts=counts,
            total=sum(counts.values()),
            regency=regency or "",
            desa=desa or "",
            areas=data.area_choices(scope),
            area_name=data.area_name,
            issued=issued,
            error=error,
            reissued=reissued,
            reissue_codes=[
                (c, review.reason_label("reissue", c, lang))
                for c in review.reason_codes()["reissue"]
            ],
        ),
    )


@router.get("/cards", response_class=HTMLResponse)
def cards_page(request: Request, regency: str = "", desa: str = "") -> Response:
    session = current(request)
    return _cards_page(request, session, _area(regency), _area(desa))


@router.post("/cards/issue", response_class=HTMLResponse)
def cards_issue(
    request: Request,
    regency: FormText = "",
    desa: FormText = "",
    expected: FormText = "",
    csrf: FormText = "",
) -> Response:
    session = current(request)
    check_csrf(session, csrf)
    try:
        count = int(expected)
    except ValueError:
        raise BadRequest() from None
    area, place = _area(regency), _area(desa)
    try:
        with _engine(request).begin() as conn:
            done = cards.issue(
                conn,
                session.user.scope,
                session.user.actor,
                regency=area,
                desa=place,
                expected=count,
            )
    except (cards.AreaOutsideScope, cards.CardsNotAllowed):
        raise data.NotFound() from None
    except ServerError as exc:
        return _cards_page(request, session, area, place, None, exc.message(lang_of(request)), 409)
    return _cards_page(request, session, area, place, done)


@router.post("/cards/reissue", response_class=HTMLResponse)
def cards_reissue(
    request: Request, household_id: FormText = "", reason: FormText = "", csrf: FormText = ""
) -> Response:
    """A new card for a lost or damaged one (cards.reissue: scope in its query, audited)."""
    session = current(request)
    check_csrf(session, csrf)
    try:
        with _engine(request).begin() as conn:
            done = cards.reissue(
                conn, session.user.scope, session.user.actor, household_id.strip(), reason
            )
    except (UnknownHousehold, cards.CardsNotAllowed):
        raise data.NotFound() from None
    except ServerError as exc:
        return _cards_page(request, session, None, None, None, exc.message(lang_of(request)), 409)
    return _cards_page(request, session, None, None, reissued=done)


@router.post("/cards/list")
def cards_list(
    request: Request, regency: FormText = "", desa: FormText = "", csrf: FormText = ""
) -> Response:
    """The print list as a CSV download, built in memory (no temporary file), not cached by
    the browser; the current cards of the area chosen, audited by cards.write_print_list."""
    import io
    from datetime import UTC, datetime

    session = current(request)
    check_csrf(session, csrf)
    area, place = _area(regency), _area(desa)
    out = io.BytesIO()
    try:
        with _engine(request).begin() as conn:
            cards.write_print_list(
                conn,
                _keys(request),
                session.user.scope,
                session.user.actor,
                out,
                regency=area,
                desa=place,
            )
    except (cards.AreaOutsideScope, cards.CardsNotAllowed):
        raise data.NotFound() from None
    name = f"kartu-{place or area or 'semua'}-{datetime.now(UTC):%Y%m%d}.csv"
    headers = HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
