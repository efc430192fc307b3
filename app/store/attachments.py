"""Photos and signatures of a household (docs/evidence.md), sealed like its record.

Each attachment is one row: its image, thumbnail and details (capture time, position, notice
version: `info`) sealed with the record key, the AAD binding household id, attachment id, the
content's SHA-256 and the part (crypto.attachment_aad). In plaintext only ids, kind, hash,
size, creation time and sync state, covered by the row MAC (integrity.ROW_COLUMNS). The store
never judges what an image is: app/evidence.py prepares the bytes before they come here.

Sync: attachments go after the records, only of households the province already holds
(`to_send`); `upload` keeps the content sealed to the province key while it is being sent, so an
interrupted upload resumes with the same bytes (sync/client.py, docs/sync.md).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from app.crypto import DecryptError, attachment_aad
from app.errors import RecordDamaged
from app.store.integrity import ROW_COLUMNS, orphan_attachments
from app.store.store import Store

KINDS = ("photo", "signature")
LOCAL, SENT = "local", "sent"  # waiting to be sent (or never: training), at the province
COLUMNS = ", ".join(ROW_COLUMNS["attachments"])
SYNCED_HOUSEHOLD = ("synced",)  # the province holds the record the attachment belongs to


@dataclass(frozen=True)
class Attachment:
    """What the list, the form and sync see without opening anything."""

    id: str
    household_id: str
    kind: str
    sha256: str  # hex SHA-256 of the content (the re-encoded image)
    size: int
    created_at: str
    sync_state: str


def _row(values: tuple) -> Attachment:
    return Attachment(*values)


def add(
    store: Store,
    household_id: str,
    kind: str,
    content: bytes,
    thumbnail: bytes,
    info: dict,
    *,
    attachment_id: str | None = None,
) -> Attachment:
    """Seal and keep one attachment of a household (the household need not be saved yet: a new
    form attaches before its first autosave). One transaction with its audit entry."""
    if kind not in KINDS:
        raise ValueError(kind)
    aid = attachment_id or str(uuid.uuid4())
    digest = hashlib.sha256(content).hexdigest()
    now = store.now()
    found = Attachment(aid, household_id, kind, digest, len(content), now, LOCAL)

    def sealed(data: bytes, part: str) -> bytes:
        return store.seal_blob(data, attachment_aad(household_id, aid, digest, part))

    info_bytes = json.dumps(info, ensure_ascii=False, separators=(",", ":")).encode()
    with store.db.atomic(), store.changing_row("attachments", aid):  # signs the new row
        store.db.execute(
            f"INSERT INTO attachments ({COLUMNS}, content, thumbnail, info, mac)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                aid,
                household_id,
                kind,
                digest,
                len(content),
                now,
                LOCAL,
                sealed(content, "content"),
                sealed(thumbnail, "thumbnail"),
                sealed(info_bytes, "info"),
            ),
        )
        store.audit.append(now, store.actor, "attachment.add", household_id, None, detail=aid)
    return found


def listed(store: Store, household_id: str) -> list[Attachment]:
    """A household's attachments, oldest first."""
    rows = store.db.execute(
        f"SELECT {COLUMNS} FROM attachments WHERE household_id = ? ORDER BY created_at, id",
        (household_id,),
    )
    return [_row(tuple(r)) for r in rows]


def get(store: Store, attachment_id: str) -> Attachment | None:
    row = store.db.execute(
        f"SELECT {COLUMNS} FROM attachments WHERE id = ?", (attachment_id,)
    ).fetchone()
    return _row(tuple(row)) if row else None


def _open(store: Store, attachment_id: str, part: str) -> bytes:
    row = store.db.execute(
        f"SELECT household_id, sha256, {part} FROM attachments WHERE id = ?", (attachment_id,)
    ).fetchone()
    if row is None:
        raise KeyError(attachment_id)
    hid, digest, blob = row
    try:
        data = store.open_blob(blob, attachment_aad(hid, attachment_id, digest, part))
    except DecryptError:
        raise RecordDamaged(record_id=hid) from None
    if part == "content" and hashlib.sha256(data).hexdigest() != digest:
        raise RecordDamaged(record_id=hid)
    return data


def content(store: Store, attachment_id: str) -> bytes:
    """The image, checked against its hash. Raises RecordDamaged when it does not open."""
    return _open(store, attachment_id, "content")


def thumbnail(store: Store, attachment_id: str) -> bytes:
    return _open(store, attachment_id, "thumbnail")


def info(store: Store, attachment_id: str) -> dict:
    return json.loads(_open(store, attachment_id, "info"))


def delete(store: Store, attachment_id: str) -> bool:
    """Remove one attachment (its sealed bytes go with the row; secure_delete zeroes the pages)."""
    with store.db.atomic():
        row = store.db.execute(
            "SELECT household_id FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        if row is None:
            return False
        store.db.execute("DELETE FROM attachments WHERE id = ?", (attachment_id,))
        store.audit.append(
            store.now(), store.actor, "attachment.delete", row[0], None, detail=attachment_id
        )
    return True


def forget(store: Store, household_id: str) -> int:
    """The household's attachments leave with it (erased, or purged to a stub once sent): their
    sealed bytes go with the rows. Inside the caller's transaction; returns how many."""
    cursor = store.db.execute("DELETE FROM attachments WHERE household_id = ?", (household_id,))
    return max(cursor.rowcount, 0)


def sweep_orphans(store: Store, *, dry_run: bool = False) -> list[str]:
    """Remove the attachments of no household (integrity.orphan_attachments: a new form that
    was never saved) and return their ids. Run where no form can be open: at unlock, before
    the list shows, and by `khbs purge`; never touches an attachment of a household that
    exists or that the audit log knows as saved. One transaction, each removal audited."""
    found = orphan_attachments(store.db)
    if dry_run or not found:
        return [aid for aid, _ in found]
    now = store.now()
    with store.db.atomic():
        for aid, hid in found:
            store.db.execute("DELETE FROM attachments WHERE id = ?", (aid,))
            store.audit.append(now, store.actor, "attachment.orphan_removed", hid, None, detail=aid)
    return [aid for aid, _ in found]


# -- sync -------------------------------------------------------------------------------------


def to_send(store: Store, limit: int = 1000) -> list[Attachment]:
    """Attachments waiting whose household the province holds (records go first), oldest first."""
    marks = ", ".join("?" for _ in SYNCED_HOUSEHOLD)
    rows = store.db.execute(
        f"SELECT {', '.join('a.' + c for c in ROW_COLUMNS['attachments'])}"
        " FROM attachments a JOIN households h ON h.id = a.household_id"
        f" WHERE a.sync_state = ? AND h.sync_state IN ({marks})"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.household_id = a.household_id)"
        " ORDER BY a.created_at, a.id LIMIT ?",
        (LOCAL, *SYNCED_HOUSEHOLD, limit),
    )
    return [_row(tuple(r)) for r in rows]


def waiting(store: Store) -> tuple[int, int]:
    """(count, bytes) of attachments waiting to be sent, of households already at the province
    or waiting in the outbox: what the officer weighs against the link."""
    row = store.db.execute(
        "SELECT count(*), coalesce(sum(a.size), 0) FROM attachments a"
        " JOIN households h ON h.id = a.household_id"
        " WHERE a.sync_state = ? AND h.sync_state IN ('synced', 'pending')",
        (LOCAL,),
    ).fetchone()
    return int(row[0]), int(row[1])


def upload(
    store: Store, attachment_id: str, seal: Callable[[bytes, dict], bytes]
) -> tuple[bytes, bool]:
    """The attachment as it goes on the wire, and whether an earlier upload began with it:
    `seal(content, info)` (sealed to the province key) once, then kept, so a resumed upload
    sends the same bytes as the interrupted one."""
    row = store.db.execute(
        "SELECT upload FROM attachments WHERE id = ?", (attachment_id,)
    ).fetchone()
    if row is None:
        raise KeyError(attachment_id)
    if row[0] is not None:
        return bytes(row[0]), True
    sealed = seal(content(store, attachment_id), info(store, attachment_id))
    with store.db.atomic():
        store.db.execute("UPDATE attachments SET upload = ? WHERE id = ?", (sealed, attachment_id))
    return sealed, False


def mark_sent(store: Store, attachment_id: str) -> None:
    """The province holds it whole: drop the upload copy, keep the attachment, audit."""
    with store.db.atomic():
        row = store.db.execute(
            "SELECT household_id FROM attachments WHERE id = ?", (attachment_id,)
        ).fetchone()
        if row is None:
            return
        with store.changing_row("attachments", attachment_id):
            store.db.execute(
                "UPDATE attachments SET sync_state = ?, upload = NULL WHERE id = ?",
                (SENT, attachment_id),
            )
        store.audit.append(
            store.now(), store.actor, "attachment.sent", row[0], None, detail=attachment_id
        )
