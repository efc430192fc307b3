"""The supervision loop's review (issue 15, docs/supervision.md): the queue of households
waiting for a decision, and the decisions themselves.

    queue / queue_count   received households whose current revision has no decision yet,
                          oldest first, inside a Scope (filter by desa or officer)
    decide                verify, return for correction (comments on questions and members), or
                          reject, one revision: refused when a newer revision arrived
    rounds                every decision on a household (its history), comments opened
    differences           a revision against its previous revision and its DTSEN list entry
    review_event          the `review` pull event, sealed to the asking device's box key

Each decision is a round (review_rounds) and an audit entry. verified/rejected go to the
laptop as a `status` event (repo.set_household_status); returned as a `review` event whose
comments are sealed to the device at pull time, like a DTSEN candidate. The note and comments
rest sealed with the data key: free text may name people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, and_, exists, func, insert, select

from app import questionnaire as q
from app import regions
from app.i18n import current_lang
from app.province_key import seal_to
from app.review_reasons import reason_codes, reason_label  # noqa: F401 - the console's too
from sync.protocol import VERIFIED, ReviewEvent, b64, review_info
from sync.server import ServerError, UnknownArea, UnknownHousehold, UnknownOfficer, repo
from sync.server.audit import audit
from sync.server.db import (
    console_users,
    household_versions,
    households,
    officer_areas,
    officers,
    review_rounds,
    utc_now,
)
from sync.server.keys import ServerKeys
from sync.server.scope import Scope

Clock = Callable[[], datetime]
RETURNED, REJECTED = "returned", "rejected"
DECISIONS = (VERIFIED, RETURNED, REJECTED)
MAX_COMMENTS = 50
MAX_TEXT = 500  # one comment's text, and the note
PATH_RE = re.compile(r"[a-z_][a-z0-9_]*(\.(\d{1,3}|[a-z_][a-z0-9_]*)){0,4}")


class ReviewError(ServerError):
    key = "review.error"


class StaleRevision(ReviewError):
    """The form was for an older revision: the officer has sent a newer one since."""

    key = "review.stale"


class AlreadyDecided(ReviewError):
    key = "review.already_decided"


class BadDecision(ReviewError):
    key = "review.bad_decision"


class BadReason(ReviewError):
    key = "review.bad_reason"


class BadComment(ReviewError):
    key = "review.bad_comment"


class CommentsNeeded(ReviewError):
    key = "review.comments_needed"


# -- reason codes (data: resources/review_reasons.json) -----------------------------------------


# reason_codes and reason_label live in app/review_reasons.py: the laptop shows the same labels.


def _reason(kind: str, code: str | None, *, required: bool) -> str | None:
    code = (code or "").strip() or None
    if code is None:
        if required:
            raise BadReason(codes=", ".join(reason_codes()[kind]))
        return None
    if code not in reason_codes()[kind]:
        raise BadReason(codes=", ".join(reason_codes()[kind]))
    return code


# -- comments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    """On one question: `path` is dotted, a member's index counted from 0 as in the record
    ("anggota.1.nik" is the second member's NIK); "" for the household as a whole."""

    path: str
    member_id: str | None = None
    code: str | None = None
    text: str | None = None

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "member_id": self.member_id,
            "code": self.code,
            "text": self.text,
        }

    @property
    def member(self) -> int | None:
        parts = self.path.split(".")
        return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None

    def label(self, lang: str | None = None) -> str:
        return path_label(self.path, lang)


def path_label(path: str, lang: str | None = None) -> str:
    """The question's label in the questionnaire ("Anggota ke-2: NIK")."""
    if not path:
        return ""
    parts = tuple(int(p) if p.isdigit() else p for p in path.split("."))
    try:
        text = q.label(parts, lang or current_lang())
    except (KeyError, IndexError, TypeError):
        text = path
    if len(parts) >= 3 and isinstance(parts[1], int):
        who = {"id": "Anggota ke-{n}", "en": "Member {n}"}
        return who.get(lang or current_lang(), who["id"]).format(n=parts[1] + 1) + ": " + text
    return text


def question_exists(path: str) -> bool:
    node: dict = q.load_schema()
    for part in path.split("."):
        if part.isdigit():
            if node.get("type") != "array" or not isinstance(node.get("items"), dict):
                return False
            node = node["items"]
            continue
        props = node.get("properties")
        if not isinstance(props, dict) or part not in props:
            return False
        node = props[part]
    return True


def _clean(text: object) -> str | None:
    out = " ".join("".join(c if c.isprintable() else " " for c in str(text or "")).split())
    return out or None


def clean_comments(raw: Iterable[Comment | dict]) -> list[Comment]:
    out = []
    for n, c in enumerate(raw, start=1):
        if not isinstance(c, Comment):
            c = Comment(str(c.get("path") or ""), None, c.get("code"), c.get("text"))
        path = (c.path or "").strip()
        code = (c.code or "").strip() or None
        text = _clean(c.text)
        if path and (not PATH_RE.fullmatch(path) or not question_exists(path)):
            raise BadComment(n=n)
        if code is not None and code not in reason_codes()["return"]:
            raise BadComment(n=n)
        if code is None and text is None or text is not None and len(text) > MAX_TEXT:
            raise BadComment(n=n)
        out.append(Comment(path, None, code, text))
    if len(out) > MAX_COMMENTS:
        raise BadComment(n=len(out))
    return out


# -- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    household_id: str
    revision: int
    kode_desa: str
    officer_id: str
    officer: str
    waiting_since: datetime  # when the current revision arrived
    rounds: int  # decisions on earlier revisions: > 0 is a corrected resubmission
    conflict: bool


def _undecided():
    return ~exists().where(
        review_rounds.c.household_id == households.c.id,
        review_rounds.c.revision == households.c.revision,
    )


def _check_filters(conn: Connection, scope: Scope, desa: str | None, officer: str | None) -> None:
    """An area or officer outside the scope is refused like an unknown one (the console: 404),
    not answered with an empty queue, so a filter tells nothing about another region."""
    if desa and (
        not scope.overlaps(desa) or (desa != regions.PROVINCE and regions.name(desa) is None)
    ):
        raise UnknownArea(code=repo.shown(desa))
    if officer:
        mine = conn.execute(
            select(officer_areas.c.officer_id)
            .where(officer_areas.c.officer_id == officer)
            .where(scope.where_overlaps(officer_areas.c.area_code))
            .limit(1)
        ).first()
        if mine is None:
            raise UnknownOfficer(officer_id=repo.shown(officer))


def _queue_where(scope: Scope, desa: str | None, officer: str | None) -> list:
    where = [households.c.status == "received", scope.where(households.c.kode_desa), _undecided()]
    if desa:
        where.append(Scope.of("supervisor", [desa]).where(households.c.kode_desa))
    if officer:
        where.append(households.c.officer_id == officer)
    return where


def queue(
    conn: Connection,
    scope: Scope,
    *,
    desa: str | None = None,
    officer: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[QueueRow]:
    """Households waiting for a decision, oldest first. `desa` may be any area code; one
    outside the scope, or an officer of no area in it, is UnknownArea / UnknownOfficer."""
    _check_filters(conn, scope, desa, officer)
    earlier = (
        select(func.count())
        .where(review_rounds.c.household_id == households.c.id)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            households.c.id,
            households.c.revision,
            households.c.kode_desa,
            households.c.officer_id,
            officers.c.name,
            households.c.updated_at,
            households.c.conflict,
            earlier.label("rounds"),
        )
        .join(officers, officers.c.id == households.c.officer_id)
        .where(*_queue_where(scope, desa, officer))
        .order_by(households.c.updated_at, households.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        QueueRow(
            r.id,
            r.revision,
            r.kode_desa,
            r.officer_id,
            r.name,
            r.updated_at,
            r.rounds,
            bool(r.conflict),
        )
        for r in rows
    ]


def queue_count(
    conn: Connection, scope: Scope, *, desa: str | None = None, officer: str | None = None
) -> int:
    _check_filters(conn, scope, desa, officer)
    return conn.execute(
        select(func.count()).select_from(households).where(*_queue_where(scope, desa, officer))
    ).scalar_one()


# -- decisions -----------------------------------------------------------------------------------


def _household(conn: Connection, scope: Scope, household_id: str, *, lock: bool = False):
    query = select(
        households.c.id,
        households.c.officer_id,
        households.c.revision,
        households.c.status,
        households.c.kode_desa,
    ).where(households.c.id == household_id, scope.where(households.c.kode_desa))
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:  # outside the scope is the same as unknown: no hint it exists
        raise UnknownHousehold(household_id=repo.shown(household_id))
    return row


def decide(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    actor: str,
    household_id: str,
    revision: int,
    decision: str,
    *,
    reason: str | None = None,
    note: str | None = None,
    comments: Iterable[Comment | dict] = (),
    reopen: bool = False,
    clock: Clock = utc_now,
) -> dict:
    """One decision on the household's current revision (`revision`: the one the reviewer
    saw). Refused when a newer revision has arrived (StaleRevision) or this one was decided
    already. `reopen` (a return only): the revision may have been decided: a family's
    correction request sends it back to the officer all the same (rights.return_correction).
    Returns the round as a dict (ids and codes)."""
    if decision not in DECISIONS or reopen and decision != RETURNED:
        raise BadDecision(decision=repo.shown(decision))
    row = _household(conn, scope, household_id, lock=True)
    if row.revision != revision:
        raise StaleRevision(revision=revision, current=row.revision)
    done = conn.execute(
        select(review_rounds.c.round).where(
            review_rounds.c.household_id == household_id, review_rounds.c.revision == revision
        )
    ).first()
    if not reopen and (done is not None or row.status != "received"):
        raise AlreadyDecided(revision=revision)
    note = _clean(note)
    if note is not None and len(note) > MAX_TEXT:
        raise BadComment(n=0)
    found = clean_comments(comments) if decision == RETURNED else []
    if decision == REJECTED:
        reason = _reason("reject", reason, required=True)
    elif decision == RETURNED:
        reason = _reason("return", reason, required=False)
        if not found and note is None and reason is None:
            raise CommentsNeeded()
    else:
        reason = None
    now = clock()
    round_no = (
        1
        + conn.execute(
            select(func.coalesce(func.max(review_rounds.c.round), 0)).where(
                review_rounds.c.household_id == household_id
            )
        ).scalar_one()
    )
    key_id = sealed = None
    if note is not None or found:
        payload = json.dumps(
            {"note": note, "comments": [c.to_json() for c in found]}, ensure_ascii=False
        ).encode()
        key_id, sealed = keys.seal_review(household_id, round_no, revision, payload)
    conn.execute(
        insert(review_rounds).values(
            household_id=household_id,
            round=round_no,
            revision=revision,
            decision=decision,
            reason=reason,
            comments=len(found),
            key_id=key_id,
            sealed=sealed,
            decided_by=actor[:64],
            decided_at=now,
        )
    )
    if decision == RETURNED:
        repo.append_change(
            conn,
            ReviewEvent.TYPE,
            officer_id=row.officer_id,
            household_id=household_id,
            revision=revision,
            detail={"round": round_no},
            clock=lambda: now,
        )
    else:
        repo.set_household_status(conn, household_id, decision, reason=reason, clock=lambda: now)
    out = {
        "household_id": household_id,
        "revision": revision,
        "round": round_no,
        "decision": decision,
        "reason": reason,
        "comments": len(found),
    }
    audit(conn, actor, f"review.{decision}", out | {"officer_id": row.officer_id})
    return out


# -- history -------------------------------------------------------------------------------------


@dataclass
class Round:
    round: int
    revision: int
    decision: str
    reason: str | None
    decided_by: str
    decided_at: datetime
    note: str | None = None
    comments: list[Comment] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "round": self.round,
            "revision": self.revision,
            "decision": self.decision,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(timespec="seconds"),
            "note": self.note,
            "comments": [c.to_json() for c in self.comments],
        }


def _opened(keys: ServerKeys, household_id: str, r) -> tuple[str | None, list[Comment]]:
    if r.sealed is None:
        return None, []
    raw = json.loads(keys.open_review(r.key_id, household_id, r.round, r.revision, bytes(r.sealed)))
    return raw.get("note"), [Comment(**c) for c in raw.get("comments", [])]


def rounds(conn: Connection, keys: ServerKeys, scope: Scope, household_id: str) -> list[Round]:
    """Every decision on the household, oldest first, with its note and comments opened and
    the console user's name for who decided. (Opening them is part of viewing the household:
    the caller audits that view.)"""
    _household(conn, scope, household_id)
    found = conn.execute(
        select(review_rounds)
        .where(review_rounds.c.household_id == household_id)
        .order_by(review_rounds.c.round)
    ).all()
    ids = {r.decided_by.removeprefix("user:") for r in found if r.decided_by.startswith("user:")}
    names = {}
    if ids:
        names = dict(
            conn.execute(
                select(console_users.c.id, console_users.c.name).where(console_users.c.id.in_(ids))
            ).all()
        )
    out = []
    for r in found:
        note, comments = _opened(keys, household_id, r)
        who = names.get(r.decided_by.removeprefix("user:"), r.decided_by)
        out.append(
            Round(r.round, r.revision, r.decision, r.reason, who, r.decided_at, note, comments)
        )
    return out


def last_rounds(conn: Connection, household_ids: list[str]) -> dict[str, tuple[str, int]]:
    """(decision, revision) of each household's latest round, for lists (nothing opened)."""
    if not household_ids:
        return {}
    latest = (
        select(review_rounds.c.household_id, func.max(review_rounds.c.round).label("round"))
        .where(review_rounds.c.household_id.in_(household_ids))
        .group_by(review_rounds.c.household_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            review_rounds.c.household_id, review_rounds.c.decision, review_rounds.c.revision
        ).join(
            latest,
            and_(
                latest.c.household_id == review_rounds.c.household_id,
                latest.c.round == review_rounds.c.round,
            ),
        )
    )
    return {r.household_id: (r.decision, r.revision) for r in rows}


# -- to the laptop -------------------------------------------------------------------------------


def review_payload(conn: Connection, keys: ServerKeys, household_id: str, round_no: int) -> dict:
    """What a ReviewEvent opens to (sync/protocol.py ReviewEvent)."""
    r = conn.execute(
        select(review_rounds).where(
            review_rounds.c.household_id == household_id, review_rounds.c.round == round_no
        )
    ).one()
    note, comments = _opened(keys, household_id, r)
    return {
        "round": r.round,
        "decided_at": r.decided_at.isoformat(timespec="seconds"),
        "reason": r.reason,
        "note": note,
        "comments": [c.to_json() for c in comments],
    }


def review_event(
    conn: Connection,
    keys: ServerKeys,
    seq: int,
    household_id: str,
    revision: int,
    round_no: int,
    device_id: str,
    box: bytes,
) -> ReviewEvent:
    payload = review_payload(conn, keys, household_id, round_no)
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = seal_to(box, plaintext, review_info(device_id, household_id, revision))
    return ReviewEvent(seq, household_id, revision, b64(sealed))


# -- what changed --------------------------------------------------------------------------------


@dataclass
class Differences:
    revision: int
    previous_revision: int | None
    from_previous: list = field(default_factory=list)  # app.verification.Difference
    from_list: list | None = None  # None: not a DTSEN-listed household


def _version(conn: Connection, keys: ServerKeys, household_id: str, revision: int | None):
    if revision is None:
        return None
    row = conn.execute(
        select(household_versions)
        .where(
            household_versions.c.household_id == household_id,
            household_versions.c.revision == revision,
        )
        .order_by(household_versions.c.received_at)
    ).first()
    if row is None:
        return None
    return json.loads(
        keys.open_content(
            row.key_id, household_id, row.revision, bytes(row.content_hash), bytes(row.content)
        )
    )


def current_record(conn: Connection, keys: ServerKeys, scope: Scope, household_id: str) -> dict:
    """The household's current revision, opened (audit the view)."""
    _household(conn, scope, household_id)
    current = conn.execute(
        select(household_versions)
        .join(
            households,
            and_(
                households.c.id == household_versions.c.household_id,
                households.c.revision == household_versions.c.revision,
                households.c.content_hash == household_versions.c.content_hash,
            ),
        )
        .where(households.c.id == household_id)
    ).one()
    return json.loads(
        keys.open_content(
            current.key_id,
            household_id,
            current.revision,
            bytes(current.content_hash),
            bytes(current.content),
        )
    )


def comment_targets(record: dict, lang: str | None = None) -> list[tuple[str, str]]:
    """(path, label) of every answered question a comment may be attached to: the household's,
    then each member's, in questionnaire order."""
    from app.export.layout import questions, roster

    out: list[tuple[str, str]] = []
    for question in questions(q.load_schema()):
        if question.path[0] in (q.ACKNOWLEDGED, "paradata", q.HISTORY):
            continue
        if not q.is_empty(_at(record, question.path)):
            path = ".".join(question.path)
            out.append((path, path_label(path, lang)))
    _, member_schema = roster()
    member_questions = list(questions(member_schema))
    for i, member in enumerate(q.members(record)):
        for question in member_questions:
            if not q.is_empty(_at(member, question.path)):
                path = ".".join((q.MEMBERS, str(i), *question.path))
                out.append((path, path_label(path, lang)))
    return out


def _at(node: object, path: tuple) -> object:
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def differences(conn: Connection, keys: ServerKeys, scope: Scope, household_id: str) -> Differences:
    """The current revision against the previous one the province received, and against the
    DTSEN list's entry (assignments.changes_against_list). Opens records: audit the view."""
    from app.verification import diff
    from sync.server.assignments import changes_against_list

    row = _household(conn, scope, household_id)
    record = current_record(conn, keys, scope, household_id)
    previous = conn.execute(
        select(func.max(household_versions.c.revision)).where(
            household_versions.c.household_id == household_id,
            household_versions.c.revision < row.revision,
        )
    ).scalar()
    out = Differences(row.revision, previous)
    old = _version(conn, keys, household_id, previous)
    if old is not None:
        out.from_previous = diff(q.canonical(old), q.canonical(record))
    listed = changes_against_list(conn, keys, household_id=household_id)
    if listed:
        out.from_list = listed[0].changes
    return out


def difference_json(d) -> dict:
    return {
        "path": ".".join(str(p) for p in d.path),
        "before": d.mine,
        "after": d.theirs,
    }
