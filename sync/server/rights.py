"""A family's rights under UU PDP, answered at the province (docs/privacy.md): finding the family
by NIK or KK (blind index, within the user's scope), and recording each request (access,
correction, withdrawal) with what was done. Plain functions inside the caller's transaction;
every step audited with ids and codes. The request's own words may name people: sealed with the
data key (AAD khbs/rights/v1|<request id>), never in the audit log.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from app import questionnaire as q
from app import rules
from app.crypto import DecryptError
from app.i18n import tr
from sync.protocol import content_hash
from sync.server import ServerError, repo, review
from sync.server.attachments import Storage
from sync.server.audit import audit
from sync.server.db import (
    blind_index,
    household_versions,
    households,
    rights_requests,
    utc_now,
)
from sync.server.keys import ServerKeys
from sync.server.privacy import WITHDRAWAL, Tombstone, erase
from sync.server.scope import Scope

ACCESS, CORRECTION, WITHDRAW = "access", "correction", "withdrawal"
MAX_NOTE = 2000


class FamilyNotFound(ServerError):
    """No household with that NIK or KK in the user's scope (or none at all: the same)."""

    key = "rights.not_found"


class SeveralFamilies(ServerError):
    key = "rights.several"


class BadNumber(ServerError):
    key = "rights.bad_number"


class ReasonMissing(ServerError):
    key = "rights.reason_missing"


class ConfirmMissing(ServerError):
    key = "rights.confirm_missing"


class BadPath(ServerError):
    key = "rights.bad_path"


class CorrectionInvalid(ServerError):
    """The corrected record would break a rule: nothing is changed or recorded."""

    key = "rights.correction_invalid"


@dataclass(frozen=True)
class Request:
    id: str
    household_id: str
    kind: str
    status: str
    outcome: str | None
    revision: int | None
    recorded_by: str
    recorded_at: datetime
    decided_at: datetime | None
    content: dict | None  # opened; None when erased or unreadable


def find(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    *,
    nik: str | None = None,
    kk: str | None = None,
    household_id: str | None = None,
) -> str:
    """The one household the NIK, KK number or id names within the scope. A number in several
    households (a person who moved) needs the id to choose: SeveralFamilies lists them."""
    if household_id:
        found = {household_id}
    else:
        kind, value = ("nik", nik) if nik else ("kk", kk)
        value = (value or "").strip()
        if not (value.isascii() and value.isdigit() and len(value) == 16):
            raise BadNumber(kind=kind.upper())
        _, token = keys.blind_token(kind, value)
        found = set(
            conn.execute(
                select(blind_index.c.household_id).where(
                    blind_index.c.kind == kind, blind_index.c.token == token
                )
            ).scalars()
        )
    rows = (
        conn.execute(
            select(households.c.id).where(
                households.c.id.in_(sorted(found)), scope.where(households.c.kode_desa)
            )
        )
        .scalars()
        .all()
        if found
        else []
    )
    if not rows:
        raise FamilyNotFound()
    if len(rows) > 1:
        raise SeveralFamilies(ids=", ".join(sorted(rows)))
    return rows[0]


def clean_note(text: str | None) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in str(text or "")).split())
    return text[:MAX_NOTE]


def record(
    conn: Connection,
    keys: ServerKeys,
    household_id: str,
    kind: str,
    actor: str,
    content: dict,
    *,
    status: str = "done",
    outcome: str | None = None,
    revision: int | None = None,
    clock=utc_now,
) -> str:
    """Keep a request (its words sealed) and audit it; returns its id."""
    request_id = str(uuid.uuid4())
    key_id, sealed = keys.seal_data(
        json.dumps(content, ensure_ascii=False).encode(), _aad(request_id)
    )
    now = clock()
    conn.execute(
        insert(rights_requests).values(
            id=request_id,
            household_id=household_id,
            kind=kind,
            status=status,
            outcome=outcome,
            revision=revision,
            key_id=key_id,
            content=sealed,
            recorded_by=actor[:64],
            recorded_at=now,
            decided_at=now if status != "open" else None,
        )
    )
    audit(
        conn,
        actor,
        f"rights.{kind}",
        {"household_id": household_id, "request_id": request_id, "outcome": outcome},
    )
    return request_id


def decide(
    conn: Connection,
    request_id: str,
    status: str,
    outcome: str,
    actor: str,
    *,
    revision: int | None = None,
    clock=utc_now,
) -> None:
    conn.execute(
        update(rights_requests)
        .where(rights_requests.c.id == request_id)
        .values(status=status, outcome=outcome, revision=revision, decided_at=clock())
    )
    household_id = conn.execute(
        select(rights_requests.c.household_id).where(rights_requests.c.id == request_id)
    ).scalar()
    audit(
        conn,
        actor,
        "rights.decided",
        {"household_id": household_id, "request_id": request_id, "outcome": outcome},
    )


def requests_of(conn: Connection, keys: ServerKeys, household_id: str) -> list[Request]:
    """The household's requests, oldest first, their words opened."""
    out = []
    for r in conn.execute(
        select(rights_requests)
        .where(rights_requests.c.household_id == household_id)
        .order_by(rights_requests.c.recorded_at, rights_requests.c.id)
    ):
        content = None
        if r.content is not None and r.key_id is not None:
            try:
                content = json.loads(keys.open_data(r.key_id, bytes(r.content), _aad(r.id)))
            except (DecryptError, ValueError):
                content = None
        out.append(
            Request(
                r.id,
                r.household_id,
                r.kind,
                r.status,
                r.outcome,
                r.revision,
                r.recorded_by,
                r.recorded_at,
                r.decided_at,
                content,
            )
        )
    return out


def withdraw(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    household_id: str,
    actor: str,
    note: str = "",
    *,
    storage: Storage | None,
) -> Tombstone:
    """The family withdrew consent: processing stops. The request is recorded, then the
    household is erased (privacy.erase: tombstone, laptops told). Erasure drops the request's
    words too; its kind, date and outcome stay."""
    find(conn, keys, scope, household_id=household_id)  # in scope, or FamilyNotFound
    record(conn, keys, household_id, WITHDRAW, actor, {"note": clean_note(note)}, outcome="erased")
    return erase(conn, household_id, WITHDRAWAL, actor, storage=storage, scope=scope)


# -- correction -----------------------------------------------------------------------------------

CORRECTED_BY_OFFICER = "corrected_by_officer"


def return_correction(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    household_id: str,
    answers: dict[str, str],
    actor: str,
    note: str = "",
    *,
    clock=utc_now,
) -> tuple[str, int]:
    """Send a family's correction to the officer: the request is recorded open (its words
    sealed) and the household's current revision is returned through the supervision loop
    (review.decide, a ReviewEvent), one comment per answer asking for the new value, so the
    laptop shows it under "Perlu perbaikan" (even when the revision was decided). The request
    closes when the officer's corrected revision arrives (close_corrections, from ingest).
    `answers`: as for correct (members counted from 1). Returns (request id, review round)."""

    find(conn, keys, scope, household_id=household_id)
    if not answers:
        raise BadPath(path="--set")
    comments = []
    for path, value in answers.items():
        parts = [p for p in path.split(".") if p]
        # review paths count members from 0, like the record
        shifted = [str(int(p) - 1) if p.isdigit() and int(p) > 0 else p for p in parts]
        if not parts or not review.question_exists(".".join(shifted)):
            raise BadPath(path=path)
        text = tr("rights.correction_comment", "id", value=clean_note(value) or "-")
        comments.append({"path": ".".join(shifted), "text": text})
    revision = conn.execute(
        select(households.c.revision).where(households.c.id == household_id)
    ).scalar_one()
    request_id = record(
        conn,
        keys,
        household_id,
        CORRECTION,
        actor,
        {"note": clean_note(note), "changes": answers},
        status="open",
        clock=clock,
    )
    done = review.decide(
        conn,
        keys,
        scope,
        actor,
        household_id,
        revision,
        review.RETURNED,
        note=clean_note(note) or None,
        comments=comments,
        reopen=True,
        clock=clock,
    )
    return request_id, done["round"]


def with_open_corrections(conn: Connection, household_ids: list[str]) -> set[str]:
    """Which of these households have an open correction request: ingest calls
    close_corrections only for those (one SELECT a batch instead of one a household)."""
    found: set[str] = set()
    for chunk in (household_ids[i : i + 500] for i in range(0, len(household_ids), 500)):
        found.update(
            conn.scalars(
                select(rights_requests.c.household_id).where(
                    repo.among(conn, rights_requests.c.household_id, chunk),
                    rights_requests.c.kind == CORRECTION,
                    rights_requests.c.status == "open",
                )
            )
        )
    return found


def close_corrections(
    conn: Connection, household_id: str, revision: int, actor: str, *, clock=utc_now
) -> int:
    """The officer's corrected revision arrived: the family's open correction requests on the
    household are done (outcome corrected_by_officer, that revision). Returns how many."""
    open_ids = list(
        conn.execute(
            select(rights_requests.c.id).where(
                rights_requests.c.household_id == household_id,
                rights_requests.c.kind == CORRECTION,
                rights_requests.c.status == "open",
            )
        ).scalars()
    )
    for request_id in open_ids:
        decide(
            conn, request_id, "done", CORRECTED_BY_OFFICER, actor, revision=revision, clock=clock
        )
    return len(open_ids)


def correct(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    household_id: str,
    answers: dict[str, str],
    actor: str,
    note: str = "",
    *,
    clock=utc_now,
) -> tuple[str, int]:
    """Apply a family's correction at the province as a new revision of the household (no
    device: made here), checked by the same rules as a push, re-indexed, the request recorded
    with the old and new values (sealed) and the change audited by question path (never the
    values). `answers`: question path -> new value as typed ("anggota.2.nama": 2nd member's
    name; JSON for numbers and yes/no). Returns (request id, new revision).

    The laptop still holds the revision it sent: its next push of an edit is a conflict the
    console shows (both kept). To have the officer correct it instead: return_correction."""
    find(conn, keys, scope, household_id=household_id)
    row = conn.execute(select(households).where(households.c.id == household_id)).one()
    version = conn.execute(
        select(household_versions.c.key_id, household_versions.c.content).where(
            household_versions.c.household_id == household_id,
            household_versions.c.revision == row.revision,
            household_versions.c.content_hash == row.content_hash,
        )
    ).one()
    current = json.loads(
        keys.open_content(
            version.key_id,
            household_id,
            row.revision,
            bytes(row.content_hash),
            bytes(version.content),
        )
    )
    corrected = json.loads(json.dumps(current))
    changed = []
    for path, text in answers.items():
        old, new = _set(corrected, path, text)
        changed.append({"path": path, "old": old, "new": new})
    corrected = q.canonical(corrected)
    context = rules.Context(household_id=household_id, assigned_areas=[row.kode_desa])
    errors = rules.check(corrected, context, final=True).errors
    if errors:
        first = errors[0]
        try:
            message = tr(f"rule.{first.code}", None, **first.params)
        except (KeyError, IndexError):
            message = first.code
        raise CorrectionInvalid(where="/".join(str(p) for p in first.path), message=message)
    revision = row.revision + 1
    plaintext, digest = content_hash(corrected)
    key_id, sealed = keys.seal_content(household_id, revision, digest, plaintext)
    now = clock()
    conn.execute(
        insert(household_versions).values(
            household_id=household_id,
            revision=revision,
            content_hash=digest,
            key_id=key_id,
            content=sealed,
            device_id=None,
            batch_id=None,
            received_at=now,
        )
    )
    conn.execute(
        update(households)
        .where(households.c.id == household_id)
        .values(revision=revision, content_hash=digest, updated_at=now)
    )
    conn.execute(delete(blind_index).where(blind_index.c.household_id == household_id))
    tokens = {(kind, keys.blind_token(kind, value)) for kind, value in q.identifiers(corrected)}
    if tokens:
        conn.execute(
            insert(blind_index),
            [
                {"key_id": k, "token": t, "household_id": household_id, "kind": kind}
                for kind, (k, t) in sorted(tokens)
            ],
        )
    request_id = record(
        conn,
        keys,
        household_id,
        CORRECTION,
        actor,
        {"note": clean_note(note), "changes": changed},
        outcome="applied",
        revision=revision,
        clock=clock,
    )
    audit(
        conn,
        actor,
        "household.correct",
        {
            "household_id": household_id,
            "revision": revision,
            "paths": sorted(answers),
            "request_id": request_id,
        },
    )
    return request_id, revision


def _value(text: str, spec: dict) -> object:
    """The text as the question takes it: text questions (names, NIK, dates) as typed; others
    (codes, numbers, yes/no, several codes) as JSON, or the text when it is not JSON (the rules
    then name the problem)."""
    kinds = spec.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _set(record: dict, path: str, text: str) -> tuple[object, object]:
    """Set the answer at a dotted path (members counted from 1); returns (old, new) values.
    BadPath unless the path names a question of the schema and a member that exists."""
    parts = [p for p in path.split(".") if p]
    schema = q.load_schema()
    spec: dict = schema
    node: object = record
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part.isdigit():
            index = int(part) - 1
            if not isinstance(node, list) or not 0 <= index < len(node) or "items" not in spec:
                raise BadPath(path=path)
            spec, node = spec["items"], node[index]
            if last:
                raise BadPath(path=path)
            continue
        child = spec.get("properties", {}).get(part)
        if child is None or not isinstance(node, dict):
            raise BadPath(path=path)
        if last:
            if q.is_group(child) or q.is_roster(child):
                raise BadPath(path=path)
            old, value = node.get(part), _value(text, child)
            node[part] = value
            return old, value
        spec = child
        node = node.setdefault(part, [] if q.is_roster(child) else {})
    raise BadPath(path=path)


def _aad(request_id: str) -> bytes:
    return f"khbs/rights/v1|{request_id}".encode()
