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

from sqlalchemy import Connection, insert, select, update

from app.crypto import DecryptError, open_sealed, seal
from sync.server import ServerError, repo
from sync.server.audit import audit
from sync.server.db import blind_index, households, rights_requests, utc_now
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
    key_id = keys.active["data"]
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
            content=seal(
                keys.secrets["data"][key_id],
                json.dumps(content, ensure_ascii=False).encode(),
                _aad(request_id),
            ),
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
        if r.content is not None and r.key_id in keys.secrets["data"]:
            try:
                content = json.loads(
                    open_sealed(keys.secrets["data"][r.key_id], bytes(r.content), _aad(r.id))
                )
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
) -> Tombstone:
    """The family withdrew consent: processing stops. The request is recorded, then the
    household is erased (privacy.erase: tombstone, laptops told). Erasure drops the request's
    words too; its kind, date and outcome stay."""
    find(conn, keys, scope, household_id=household_id)  # in scope, or FamilyNotFound
    record(conn, keys, household_id, WITHDRAW, actor, {"note": clean_note(note)}, outcome="erased")
    return erase(conn, household_id, WITHDRAWAL, actor, scope=scope)


def _aad(request_id: str) -> bytes:
    return f"khbs/rights/v1|{request_id}".encode()


def shown(text: str) -> str:
    return repo.shown(text)
