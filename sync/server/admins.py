"""Province administrators (the server's audit log itself is sync/server/audit.py).

An administrator is a name and an API token for the admin endpoints (the export download). The
token is shown once when made; only its SHA-256 is stored, so a copy of the database cannot be
used to log in. Revoking is immediate: the next request with the token is refused.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from sync.server import BadOfficerName, ServerError
from sync.server.audit import audit  # the chained log; callers import it from here too
from sync.server.db import admins, utc_now

TOKEN_PREFIX = "khbs_admin_"
MAX_NAME = 200
CLI_ACTOR = "server-cli"


class UnknownAdmin(ServerError):
    key = "server.admin_unknown"


@dataclass(frozen=True)
class Admin:
    id: str
    name: str


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def add_admin(conn: Connection, name: str) -> tuple[str, str]:
    """(admin id, token). The token is not stored and cannot be shown again."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise BadOfficerName(maximum=MAX_NAME)
    admin_id, token = str(uuid.uuid4()), TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        insert(admins).values(
            id=admin_id, name=name, token_hash=token_hash(token), created_at=utc_now()
        )
    )
    audit(conn, CLI_ACTOR, "admin.add", {"admin_id": admin_id})
    return admin_id, token


def revoke_admin(conn: Connection, admin_id: str) -> bool:
    """True when revoked now, False when it already was."""
    row = conn.execute(select(admins.c.revoked_at).where(admins.c.id == admin_id)).first()
    if row is None:
        raise UnknownAdmin(admin_id=admin_id[:40])
    if row.revoked_at is not None:
        return False
    conn.execute(update(admins).where(admins.c.id == admin_id).values(revoked_at=utc_now()))
    audit(conn, CLI_ACTOR, "admin.revoke", {"admin_id": admin_id})
    return True


def admin_for_token(conn: Connection, token: str) -> Admin | None:
    """The active administrator holding this token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = conn.execute(
        select(admins.c.id, admins.c.name).where(
            admins.c.token_hash == token_hash(token), admins.c.revoked_at.is_(None)
        )
    ).first()
    return Admin(row.id, row.name) if row else None
