"""Questionnaire versions the province publishes (issue 13; docs/questionnaire.md, "Publishing a
version"): checked completely, signed with the province signing key, stored, and offered to
every device on pull until retired.

Version 1 (the questionnaire the server and the app are built with) is never published: it is
always accepted and is what version 2's migration starts from. A new version must be higher
than every version published before (retired ones included: a number is never reused) and
migrate from the newest of them.

    publish   check (app/questionnaire_check.py against the newest version), sign, store, and a
              `questionnaire` change event for every device; audited
    retire    no longer offered on pull (laptops that have it keep it); audited
    listing   every version with how many devices have received it
    event     the pull event for one device, recording that the device was sent it
    published every version the server accepts households of (the built-in one and every
              published one, retired included: finals begun on it still arrive), registered
              with app.questionnaire so the rules, ingest, exports and the console read each
              record by its own version
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app import questionnaire as q
from app.questionnaire_check import Problem, Report, canonical_bytes, check, parse
from app.rules import bad_character
from sync.protocol import (
    QuestionnaireEvent,
    b64,
    pack_questionnaire,
    questionnaire_message,
)
from sync.server import ServerError, repo
from sync.server.audit import audit
from sync.server.db import (
    advisory_lock,
    devices,
    questionnaire_receipts,
    questionnaires,
    utc_now,
)
from sync.server.keys import ServerKeys

MAX_NOTES = 500
LOCK = "khbs/questionnaires"


class QuestionnaireRefused(ServerError):
    """`problems` (app.questionnaire_check.Problem) says what, each with its JSON path."""

    key = "server.questionnaire_refused"

    def __init__(self, problems: list[Problem]):
        super().__init__(n=len(problems))
        self.problems = problems


class UnknownVersion(ServerError):
    key = "server.questionnaire_unknown"


class BadNotes(ServerError):
    key = "server.questionnaire_notes"


@dataclass(frozen=True)
class Published:
    version: int
    sha256: str
    key_id: str
    published_at: datetime
    warnings: list[Problem]


# The documents registered by this process, by version: (sha256, document). Published versions
# never change, so a document is read from the database once per process.
_loaded: dict[int, tuple[bytes, dict]] = {}


def published(conn: Connection) -> dict[int, dict]:
    """{version: document} of every version households may be of, oldest first, each
    registered with app.questionnaire."""
    found = {builtin_version(): q.load_schema()}
    for row in conn.execute(
        select(questionnaires.c.version, questionnaires.c.sha256, questionnaires.c.retired_at)
    ):
        sha = bytes(row.sha256)
        held = _loaded.get(row.version)
        if held is None or held[0] != sha or q.schema_of(row.version) is not held[1]:
            body = conn.execute(
                select(questionnaires.c.document).where(questionnaires.c.version == row.version)
            ).scalar_one()
            held = _loaded[row.version] = (sha, json.loads(bytes(body)))
        q.register(held[1], retired=row.retired_at is not None)
        found[row.version] = held[1]
    return dict(sorted(found.items()))


def builtin_version() -> int:
    return q.schema_version()


def newest(conn: Connection) -> dict:
    """The newest published version's document (retired or not), else the built-in one."""
    row = conn.execute(
        select(questionnaires.c.document).order_by(questionnaires.c.version.desc()).limit(1)
    ).first()
    return json.loads(row.document) if row is not None else q.load_schema()


def check_new(conn: Connection, data: bytes) -> tuple[dict | None, Report]:
    """The document (None when it is not a JSON object) and every problem it has as the next
    version to publish."""
    document, unreadable = parse(data)
    if unreadable:
        return None, Report(unreadable)
    previous = newest(conn)
    report = check(document, previous=previous)
    if not isinstance(document, dict):
        return None, report
    version, last = document.get("x-version"), previous["x-version"]
    if type(version) is int and version <= last:
        report.problems.insert(
            0, Problem(("x-version",), "version_not_higher", {"version": version, "newest": last})
        )
    return document, report


def check_file(conn: Connection, data: bytes) -> list[Problem]:
    """The checks `publish` makes, nothing stored: the warnings, or QuestionnaireRefused."""
    document, report = check_new(conn, data)
    if document is None or not report.ok:
        raise QuestionnaireRefused(report.errors)
    return report.warnings


def publish(
    conn: Connection,
    keys: ServerKeys,
    data: bytes,
    *,
    notes: str | None = None,
    actor: str,
    clock=utc_now,
) -> Published:
    """Check, sign and store the file as the next version, and tell every device. Raises
    QuestionnaireRefused with every problem; nothing is stored then."""
    notes = _notes(notes)
    advisory_lock(conn, LOCK)  # two publishes at once would both take the same number
    document, report = check_new(conn, data)
    if document is None or not report.ok:
        raise QuestionnaireRefused(report.errors)
    version = document["x-version"]
    body = canonical_bytes(document)
    key_id, signature = keys.sign(questionnaire_message(version, body))
    digest = hashlib.sha256(body).digest()
    now = clock()
    conn.execute(
        insert(questionnaires).values(
            version=version,
            document=body,
            sha256=digest,
            signature=signature,
            key_id=key_id,
            notes=notes,
            published_at=now,
        )
    )
    repo.append_change(conn, QuestionnaireEvent.TYPE, detail={"version": version}, clock=clock)
    audit(
        conn,
        actor,
        "questionnaire.publish",
        {"version": version, "sha256": digest.hex(), "key_id": key_id},
    )
    return Published(version, digest.hex(), key_id, now, report.warnings)


def _notes(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_NOTES or bad_character({"type": "string"}, text) is not None:
        raise BadNotes(maximum=MAX_NOTES)
    return text or None


def retire(conn: Connection, version: int, *, actor: str, clock=utc_now) -> bool:
    """True when retired now, False when it already was."""
    row = conn.execute(
        select(questionnaires.c.retired_at).where(questionnaires.c.version == version)
    ).first()
    if row is None:
        raise UnknownVersion(version=version)
    if row.retired_at is not None:
        return False
    conn.execute(
        update(questionnaires).where(questionnaires.c.version == version).values(retired_at=clock())
    )
    # Laptops that have it stop using it for new households (docs/sync.md).
    repo.append_change(
        conn, QuestionnaireEvent.TYPE, detail={"version": version, "retired": True}, clock=clock
    )
    audit(conn, actor, "questionnaire.retire", {"version": version})
    return True


def listing(conn: Connection) -> list[dict]:
    """Every published version, oldest first: version, published_at, notes, retired_at, sha256,
    `sent`, the devices a pull reply has carried it to, and `received`, those of them that
    acknowledged it: a device's next pull asks for events after its cursor, which moves the
    cursor (devices.pull_cursor) past the event only once the laptop has applied that page, in
    one transaction with the version it kept (docs/sync.md)."""
    sent = questionnaire_receipts
    acknowledged = case((devices.c.pull_cursor >= sent.c.seq, 1), else_=0)
    received = (
        select(sent.c.version, func.count().label("n"), func.sum(acknowledged).label("acked"))
        .select_from(sent.join(devices, devices.c.id == sent.c.device_id))
        .group_by(sent.c.version)
        .subquery()
    )
    rows = conn.execute(
        select(
            questionnaires.c.version,
            questionnaires.c.published_at,
            questionnaires.c.notes,
            questionnaires.c.retired_at,
            questionnaires.c.sha256,
            received.c.n,
            received.c.acked,
        )
        .outerjoin(received, received.c.version == questionnaires.c.version)
        .order_by(questionnaires.c.version)
    ).all()
    return [
        {
            "version": r.version,
            "published_at": r.published_at,
            "notes": r.notes,
            "retired_at": r.retired_at,
            "sha256": bytes(r.sha256).hex(),
            "sent": int(r.n or 0),
            "received": int(r.acked or 0),
        }
        for r in rows
    ]


def event(
    conn: Connection,
    seq: int,
    version: object,
    device_id: str,
    clock=utc_now,
    *,
    retired: bool = False,
) -> QuestionnaireEvent | None:
    """The pull event for a published version, or None when it is retired. Records that this
    device has been sent it. `retired`: the event of its retirement (no document)."""
    if retired:
        number = version if type(version) is int else None
        return QuestionnaireEvent(seq, number, None, None, None, retired=True)
    row = conn.execute(select(questionnaires).where(questionnaires.c.version == version)).first()
    if row is None or row.retired_at is not None:
        return None
    known = select(questionnaire_receipts.c.version).where(
        questionnaire_receipts.c.version == row.version,
        questionnaire_receipts.c.device_id == device_id,
    )
    if conn.execute(known).first() is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(questionnaire_receipts).values(
                        version=row.version, device_id=device_id, received_at=clock(), seq=seq
                    )
                )
        except IntegrityError:
            pass  # the same device's other pull got there first
    return QuestionnaireEvent(
        seq,
        row.version,
        pack_questionnaire(bytes(row.document)),
        b64(bytes(row.signature)),
        row.key_id,
    )
