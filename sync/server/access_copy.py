"""A family's access request answered (UU PDP art. 7 and 32; docs/privacy.md): a readable copy of
everything the province holds about one household, as one self-contained HTML file in Bahasa
Indonesia (or English) with the questionnaire's own labels: the household and its members, every
revision received, the decisions, the supervision rounds (returns with their comments, opened with
the data key), the duplicate cases it is in (from its side: never the other family's id), the
photos and signatures kept (what they are: kind, file, hash, size, when received), the family's
requests, and who accessed the record and when (the audit log). The request is recorded (its
stated reason sealed) and audited before the copy is made, so the copy lists itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, or_, select

from app.crypto import DecryptError
from app.i18n import tr
from app.review_reasons import reason_label
from sync.server import attachments as stored_attachments
from sync.server import cases, review
from sync.server.audit import action_label
from sync.server.console import data
from sync.server.console.render import environment
from sync.server.db import audit_log, changes, console_users, household_versions, utc_now
from sync.server.keys import ServerKeys
from sync.server.rights import ACCESS, ReasonMissing, clean_note, find, record, requests_of
from sync.server.scope import Scope

MIN_REASON = 3


@dataclass(frozen=True)
class RevisionCopy:
    revision: int
    received_at: datetime
    device_id: str
    sections: list[data.Section]
    members: list[data.Section]


@dataclass(frozen=True)
class Decision:
    at: datetime
    status: str
    reason: str | None
    card: str | None


@dataclass(frozen=True)
class RoundCopy:
    """A supervisor's decision (review.Round) in words."""

    at: datetime
    revision: int
    decision: str
    reason: str  # the label
    note: str | None
    comments: list[tuple[str, str]]  # (question label, text and reason label)


@dataclass(frozen=True)
class CaseCopy:
    """A duplicate case, seen from this household: what was shared and what was decided."""

    kind: str
    outcome: str  # from this household's side (cases.mirrored for household B)
    opened_at: datetime
    history: list[tuple[datetime, str, str]]  # (when, outcome from this side, reason)


@dataclass(frozen=True)
class AccessRecord:
    at: datetime
    who: str
    action: str  # in words
    detail: str  # the stated reason, if any


@dataclass
class Copy:
    view: data.HouseholdView
    made_at: datetime
    made_by: str
    reason: str
    revisions: list[RevisionCopy] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    accesses: list[AccessRecord] = field(default_factory=list)
    requests: list = field(default_factory=list)
    rounds: list[RoundCopy] = field(default_factory=list)
    cases: list[CaseCopy] = field(default_factory=list)
    attachments: list[stored_attachments.StoredAttachment] = field(default_factory=list)


def make(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    household_id: str,
    reason: str,
    actor: str,
    *,
    lang: str = "id",
    clock=utc_now,
) -> str:
    """Record and audit the access request, then return the copy as HTML. FamilyNotFound
    outside the scope (nothing recorded then); ReasonMissing without a stated reason."""
    reason = clean_note(reason)
    if len(reason) < MIN_REASON:
        raise ReasonMissing()
    find(conn, keys, scope, household_id=household_id)
    record(conn, keys, household_id, ACCESS, actor, {"reason": reason}, outcome="copy_given")
    copy = collect(conn, keys, scope, household_id, reason, actor, lang, clock())
    return render(copy, lang)


def collect(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    household_id: str,
    reason: str,
    actor: str,
    lang: str,
    now: datetime,
) -> Copy:
    view = data.household(conn, keys, scope, household_id, lang)
    copy = Copy(view, now, _names(conn, [actor]).get(_user(actor), actor), reason)
    for v in conn.execute(
        select(household_versions)
        .where(household_versions.c.household_id == household_id)
        .order_by(household_versions.c.revision, household_versions.c.received_at)
    ):
        try:
            content = json.loads(
                keys.open_content(
                    v.key_id, household_id, v.revision, bytes(v.content_hash), bytes(v.content)
                )
            )
        except (DecryptError, ValueError):
            content = {}
        sections, members = data.answer_sections(content, lang) if content else ([], [])
        copy.revisions.append(
            RevisionCopy(v.revision, v.received_at, v.device_id, sections, members)
        )
    for c in conn.execute(
        select(changes.c.at, changes.c.detail)
        .where(changes.c.household_id == household_id, changes.c.kind == "status")
        .order_by(changes.c.seq)
    ):
        detail = json.loads(c.detail or "{}")
        copy.decisions.append(
            Decision(
                c.at, detail.get("status", ""), detail.get("reason"), detail.get("card_number")
            )
        )
    rows = conn.execute(
        select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.detail)
        .where(
            or_(
                audit_log.c.household_id == household_id,
                audit_log.c.detail.like(f'%"{household_id}"%'),
            )
        )
        .order_by(audit_log.c.id)
    ).all()
    names = _names(conn, [r.actor for r in rows])
    for r in rows:
        detail = json.loads(r.detail or "{}")
        stated = detail.get("reason", "")
        if stated in data.REASONS:
            stated = tr(f"console.reason.{stated}", lang)
        note = detail.get("note", "")
        copy.accesses.append(
            AccessRecord(
                r.at,
                names.get(_user(r.actor), r.actor),
                action_label(r.action, lang),
                " ".join(p for p in (str(stated or ""), str(note or "")) if p),
            )
        )
    copy.requests = requests_of(conn, keys, household_id)
    for round_ in review.rounds(conn, keys, scope, household_id):
        comments = [
            (
                c.label(lang),
                " ".join(p for p in (c.text or "", reason_label("return", c.code, lang)) if p),
            )
            for c in round_.comments
        ]
        kind = "reject" if round_.decision == "rejected" else "return"
        copy.rounds.append(
            RoundCopy(
                round_.decided_at,
                round_.revision,
                round_.decision,
                reason_label(kind, round_.reason, lang),
                round_.note,
                comments,
            )
        )
    for case in cases.list_cases(conn, scope, state=None, household=household_id):
        side = (lambda o: o) if case.household_a == household_id else cases.mirrored
        copy.cases.append(
            CaseCopy(
                case.kind,
                side(case.outcome),
                case.opened_at,
                [
                    (d.decided_at, side(d.outcome), d.reason or "")
                    for d in cases.history(conn, scope, case.id)
                ],
            )
        )
    copy.attachments = stored_attachments.listed(conn, [household_id])
    return copy


def render(copy: Copy, lang: str) -> str:
    return (
        environment()
        .get_template("rights_copy.html")
        .render(
            t=lambda key, **params: tr(key, lang, **params),
            lang=lang,
            c=copy,
            h=copy.view,
        )
    )


def _user(actor: str) -> str:
    return actor.removeprefix("user:")


def _names(conn: Connection, actors: list[str]) -> dict[str, str]:
    ids = {_user(a) for a in actors if a.startswith("user:")}
    if not ids:
        return {}
    return dict(
        conn.execute(
            select(console_users.c.id, console_users.c.name).where(console_users.c.id.in_(ids))
        ).all()
    )
