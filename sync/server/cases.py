"""Province-wide duplicate cases (issue 15, docs/supervision.md): two households sharing a NIK
(one person in two families) or a KK number (one family sent twice). Ingest opens a case when
the blind index first matches the pair (on_match); a regency or province user decides it:

    keep_this      household_a keeps the member (nik) / is the true family (kk)
    keep_other     household_b does
    not_duplicate  both stand (a typing error in the other, twins ...)

Outcomes are stored as seen from household_a; household_b's laptop is told the mirror image.
Both officers' laptops get a `case` event when the case opens and at every decision. Nothing
is deleted, every decision is kept (case_decisions) and audited, and a later decision replaces
an earlier one, so a decision is reversed by deciding again.

Who sees and decides: a case is visible in a scope when either household is; only a user whose
scope holds both households (the province for a case across regencies) decides it, and only
regency and province users do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from sync.protocol import (
    CASE_KEEP_OTHER,
    CASE_KEEP_THIS,
    CASE_NOT_DUPLICATE,
    CASE_OPEN,
    CASE_OUTCOMES,
    CaseEvent,
)
from sync.server import BadReasonCode, ServerError, repo
from sync.server.audit import audit
from sync.server.db import case_decisions, duplicate_cases, households, utc_now
from sync.server.scope import Scope

Clock = Callable[[], datetime]
DECIDED = (CASE_KEEP_THIS, CASE_KEEP_OTHER, CASE_NOT_DUPLICATE)
MIRROR = {CASE_KEEP_THIS: CASE_KEEP_OTHER, CASE_KEEP_OTHER: CASE_KEEP_THIS}
DECIDERS = ("province", "regency")


class UnknownCase(ServerError):
    key = "case.unknown"


class CaseNotYours(ServerError):
    """The user sees the case but one household lies outside their scope (or they supervise)."""

    key = "case.not_yours"


class BadOutcome(ServerError):
    key = "case.bad_outcome"


def mirrored(outcome: str) -> str:
    return MIRROR.get(outcome, outcome)


def _event(
    case_id: str,
    kind: str,
    hid: str,
    other: str,
    officer: str | None,
    outcome: str,
    reason: str | None,
    at: datetime,
) -> dict:
    detail = {"case_id": case_id, "kind": kind, "other_household_id": other, "outcome": outcome}
    if reason:
        detail["reason"] = reason
    return {
        "kind": CaseEvent.TYPE,
        "officer_id": officer,
        "household_id": hid,
        "at": at,
        "detail": detail,
    }


def on_match(
    conn: Connection,
    hid: str,
    officer: str,
    other: str,
    other_officer: str | None,
    kind: str,
    at: datetime,
) -> list[dict]:
    """Ingest found `hid` and `other` sharing a number: open their case unless one exists
    (decided or not: a resend does not reopen it). Returns the change events to append."""
    return open_cases(conn, [(hid, officer, other, other_officer, kind)], at)[0]


Match = tuple[str, str, str, str | None, str]  # (hid, officer, other, other officer, kind)


def open_cases(conn: Connection, matches: list[Match], at: datetime) -> list[list[dict]]:
    """on_match for a whole batch's matches, in order: for each, the change events of the case
    it opens, or [] when the pair's case exists (or an earlier match opened it). One SELECT per
    500 pairs and one INSERT, instead of two statements a match."""
    pairs = {(*sorted((hid, other)), kind) for hid, _, other, _, kind in matches}
    seen: set[tuple[str, str, str]] = set()
    firsts = sorted({a for a, _, _ in pairs})
    for chunk in (firsts[i : i + 500] for i in range(0, len(firsts), 500)):
        for r in conn.execute(
            select(
                duplicate_cases.c.household_a, duplicate_cases.c.household_b, duplicate_cases.c.kind
            ).where(repo.among(conn, duplicate_cases.c.household_a, chunk))
        ):
            seen.add((r.household_a, r.household_b, r.kind))
    rows: list[dict] = []
    out: list[list[dict]] = []
    for hid, officer, other, other_officer, kind in matches:
        a, b = sorted((hid, other))
        if (a, b, kind) in seen:
            out.append([])
            continue
        seen.add((a, b, kind))
        case_id = str(uuid.uuid4())
        rows.append(
            {
                "id": case_id,
                "kind": kind,
                "household_a": a,
                "household_b": b,
                "outcome": CASE_OPEN,
                "opened_at": at,
            }
        )
        officer_of = {hid: officer, other: other_officer}
        out.append(
            [
                _event(case_id, kind, a, b, officer_of[a], CASE_OPEN, None, at),
                _event(case_id, kind, b, a, officer_of[b], CASE_OPEN, None, at),
            ]
        )
    repo.insert_rows(conn, duplicate_cases, rows)
    return out


@dataclass(frozen=True)
class CaseRow:
    id: str
    kind: str
    household_a: str
    household_b: str
    desa_a: str
    desa_b: str
    outcome: str  # seen from household_a
    reason: str | None
    opened_at: datetime
    decided_at: datetime | None
    decidable: bool  # both households inside the scope, and the role decides cases
    visible_a: bool = True  # household A inside the scope (its page may be opened)
    visible_b: bool = True

    def as_dict(self) -> dict:
        return {
            "case_id": self.id,
            "kind": self.kind,
            "household_a": self.household_a,
            "household_b": self.household_b,
            "desa_a": self.desa_a,
            "desa_b": self.desa_b,
            "outcome": self.outcome,
            "reason": self.reason,
            "opened_at": self.opened_at.isoformat(timespec="seconds"),
            "decided_at": self.decided_at.isoformat(timespec="seconds")
            if self.decided_at
            else None,
            "decidable": self.decidable,
        }


def _select(scope: Scope):
    ha, hb = aliased(households), aliased(households)
    return (
        select(
            duplicate_cases,
            ha.c.kode_desa.label("desa_a"),
            hb.c.kode_desa.label("desa_b"),
            ha.c.officer_id.label("officer_a"),
            hb.c.officer_id.label("officer_b"),
        )
        .join(ha, ha.c.id == duplicate_cases.c.household_a)
        .join(hb, hb.c.id == duplicate_cases.c.household_b)
        .where(or_(scope.where(ha.c.kode_desa), scope.where(hb.c.kode_desa)))
    )


def _row(scope: Scope, r) -> CaseRow:
    a, b = scope.contains(r.desa_a), scope.contains(r.desa_b)
    return CaseRow(
        r.id,
        r.kind,
        r.household_a,
        r.household_b,
        r.desa_a,
        r.desa_b,
        r.outcome,
        r.reason,
        r.opened_at,
        r.decided_at,
        scope.role in DECIDERS and a and b,
        a,
        b,
    )


def list_cases(
    conn: Connection,
    scope: Scope,
    *,
    state: str | None = CASE_OPEN,
    household: str | None = None,
    limit: int = 200,
) -> list[CaseRow]:
    """Cases touching the scope, oldest first: open ones (state "open"), decided ones
    ("decided"), or all (None)."""
    query = _select(scope).order_by(duplicate_cases.c.opened_at, duplicate_cases.c.id)
    if state == CASE_OPEN:
        query = query.where(duplicate_cases.c.outcome == CASE_OPEN)
    elif state == "decided":
        query = query.where(duplicate_cases.c.outcome != CASE_OPEN)
    if household:
        query = query.where(
            or_(
                duplicate_cases.c.household_a == household,
                duplicate_cases.c.household_b == household,
            )
        )
    return [_row(scope, r) for r in conn.execute(query.limit(limit))]


def get_case(conn: Connection, scope: Scope, case_id: str, *, lock: bool = False):
    query = _select(scope).where(duplicate_cases.c.id == case_id)
    row = conn.execute(query.with_for_update(of=duplicate_cases) if lock else query).first()
    if row is None:
        raise UnknownCase(case_id=repo.shown(case_id))
    return row


@dataclass(frozen=True)
class Decision:
    n: int
    outcome: str
    reason: str | None
    decided_by: str
    decided_at: datetime


def history(conn: Connection, scope: Scope, case_id: str) -> list[Decision]:
    get_case(conn, scope, case_id)
    return [
        Decision(r.n, r.outcome, r.reason, r.decided_by, r.decided_at)
        for r in conn.execute(
            select(case_decisions)
            .where(case_decisions.c.case_id == case_id)
            .order_by(case_decisions.c.n)
        )
    ]


def decide(
    conn: Connection,
    scope: Scope,
    actor: str,
    case_id: str,
    outcome: str,
    *,
    reason: str | None = None,
    clock: Clock = utc_now,
) -> dict:
    """Decide (or decide again) a case; `outcome` as seen from household_a. Both households'
    officers get a `case` event with the outcome seen from their household."""
    if outcome not in CASE_OUTCOMES:
        raise BadOutcome(outcomes=", ".join(CASE_OUTCOMES))
    if reason is not None and not repo.REASON_RE.fullmatch(reason):
        raise BadReasonCode()
    row = get_case(conn, scope, case_id, lock=True)
    if not _row(scope, row).decidable:
        raise CaseNotYours(case_id=case_id)
    now = clock()
    n = (
        1
        + conn.execute(
            select(func.coalesce(func.max(case_decisions.c.n), 0)).where(
                case_decisions.c.case_id == case_id
            )
        ).scalar_one()
    )
    conn.execute(
        insert(case_decisions).values(
            case_id=case_id,
            n=n,
            outcome=outcome,
            reason=reason,
            decided_by=actor[:64],
            decided_at=now,
        )
    )
    conn.execute(
        update(duplicate_cases)
        .where(duplicate_cases.c.id == case_id)
        .values(outcome=outcome, reason=reason, decided_at=now)
    )
    repo.append_changes(
        conn,
        [
            _event(
                case_id,
                row.kind,
                row.household_a,
                row.household_b,
                row.officer_a,
                outcome,
                reason,
                now,
            ),
            _event(
                case_id,
                row.kind,
                row.household_b,
                row.household_a,
                row.officer_b,
                mirrored(outcome),
                reason,
                now,
            ),
        ],
    )
    out = {
        "case_id": case_id,
        "kind": row.kind,
        "household_id": row.household_a,
        "other_household_id": row.household_b,
        "outcome": outcome,
        "reason": reason,
        "decision": n,
    }
    audit(conn, actor, "case.decide", out)
    return out
