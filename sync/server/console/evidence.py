"""A household's photos and signatures in the console (docs/evidence.md): shown only inside the
household page, which is rendered after its reason-and-audit entry is committed
(data.open_household), so the same rule covers them. They are embedded in that page as data:
URIs, so no separate image address exists for a browser to cache, share or open without a
reason. Scope is in the query, as everywhere in the console."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from app.crypto import DecryptError
from sync.protocol import ProtocolError
from sync.server import attachments
from sync.server.db import households
from sync.server.keys import ServerKeys
from sync.server.scope import Scope


@dataclass(frozen=True)
class Shown:
    kind: str
    field: str  # the question it answers (foto_rumah, tanda_tangan, ...), from its details
    source: str | None  # data: URI of the image; None when it does not open (damaged)
    sha256: str
    size: int
    received_at: datetime
    taken_at: str | None
    notice_version: str | None


def of_household(
    conn: Connection,
    keys: ServerKeys,
    storage: attachments.Storage,
    scope: Scope,
    household_id: str,
) -> list[Shown]:
    in_scope = select(households.c.id).where(
        households.c.id == household_id, scope.where(households.c.kode_desa)
    )
    shown = []
    for found in attachments.listed(conn, in_scope):
        source: str | None = None
        info: dict = {}
        try:
            info, content = attachments.read(keys, storage, found)
            kind = "image/png" if found.kind == "signature" else "image/jpeg"
            source = f"data:{kind};base64,{base64.b64encode(content).decode()}"
        except (DecryptError, ProtocolError, OSError):
            pass  # shown as damaged
        shown.append(
            Shown(
                found.kind,
                str(info.get("field") or found.kind),
                source,
                found.sha256,
                found.size,
                found.received_at,
                info.get("taken_at") if isinstance(info.get("taken_at"), str) else None,
                info.get("notice_version") if isinstance(info.get("notice_version"), str) else None,
            )
        )
    return shown
