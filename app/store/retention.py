"""What a laptop keeps, and for how long (docs/privacy.md).

A household the province has received and decided (verified, or rejected by a decision) stays
in full for the retention period the province sets (`settings` pull event; DEFAULT_RETENTION_DAYS
until one arrives), counted from the province's decision. Then only a stub is kept: the row's
plaintext columns (id, desa, status, sync state, dates, the sealed card number) and a sealed
stub record; the record's and summary's ciphertext are overwritten (secure_delete zeroes the
freed pages) and the WAL is checkpointed, so the old bytes are gone from the file and its WAL.

The blind-index tokens of a stub are kept, so finalising the same NIK or KK again on this laptop
is still caught as a duplicate. They are keyed HMACs (app/crypto.py): without the passphrase they
tell a thief nothing; with it, one can only confirm a number one already knows.

Never purged: drafts, anything in the outbox or not yet acknowledged, a household the province
sent back (push rejection, conflict, a return: any `sync.*` audit entry after the decision for
the current revision), one with an open return ("Perlu perbaikan", supervision.open_returns, of
whatever revision), one with a photo or signature not yet sent, one with a province version
waiting, one released to another officer. A purge drops the household's attachments (all sent:
the province keeps them) and its supervision rows with the record.

A family's withdrawal of consent (`erase` pull event) removes the household entirely, stub and
tokens included, whatever its state; the audit log keeps its id (ERASED).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.policy import DEFAULT_RETENTION_DAYS
from app.store import PURGED, attachments, supervision
from app.store.integrity import ERASED
from app.store.store import Store

RETENTION_META = "retention_days"
PURGED_ACTION = "household.purged"
MAX_RETENTION_DAYS = 3650
# The audited decisions a purge may follow (outbox.py writes them when a status is applied).
DECISIONS = {"sync.status.verified": "verified", "sync.status.rejected": "rejected"}
DECIDED_AT = "decided_at="  # the province's decision time in a decision's audit detail


@dataclass(frozen=True)
class Due:
    household_id: str
    revision: int
    kode_desa: str | None
    decision: str
    decided_at: str


@dataclass
class Purged:
    ids: list[str] = field(default_factory=list)
    dry_run: bool = False
    checkpointed: bool = True  # False: a reader held the WAL; the next checkpoint clears it


def retention_days(store: Store) -> int:
    raw = store.get_meta(RETENTION_META)
    return int(raw) if raw and raw.isdigit() else DEFAULT_RETENTION_DAYS


def set_retention_days(store: Store, days: int | None) -> bool:
    """The province's value from a `settings` event (inside the caller's transaction). A value
    out of range is ignored. True when it changed."""
    if days is None or not 0 <= days <= MAX_RETENTION_DAYS:
        return False
    if store.get_meta(RETENTION_META) == str(days):
        return False
    store.set_meta(RETENTION_META, str(days))
    store.audit.append(store.now(), store.actor, "settings.retention", detail=f"days={days}")
    return True


def decision_detail(decided_at: str | None) -> str | None:
    """The audit detail of a decision: when the province made it, if the event said so."""
    if decided_at is None or _moment(decided_at) is None:
        return None
    return DECIDED_AT + decided_at


def due(store: Store) -> list[Due]:
    """Households whose full record may go now, in id order."""
    days = retention_days(store)
    now = _moment(store.now())
    assert now is not None
    rows = store.db.execute(
        "SELECT h.id, h.revision, h.kode_desa FROM households h"
        " LEFT JOIN assigned a ON a.household_id = h.id"
        " WHERE h.status = 'final'"
        " AND ((h.sync_state = 'synced' AND h.sync_reason = 'verified')"
        " OR h.sync_state = 'rejected')"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.household_id = h.id)"
        " AND a.pending IS NULL AND coalesce(a.released, 0) = 0"
        # An open return ("Perlu perbaikan"): the officer still has to correct it.
        " AND NOT EXISTS (SELECT 1 FROM supervision s WHERE s.household_id = h.id"
        " AND s.returned_revision IS NOT NULL)"
        # A photo or signature not yet at the province would be lost with the record.
        " AND NOT EXISTS (SELECT 1 FROM attachments t WHERE t.household_id = h.id"
        " AND t.sync_state = ?)"
        " ORDER BY h.id",
        (attachments.LOCAL,),
    ).fetchall()
    out = []
    for hid, revision, desa in rows:
        last = store.db.execute(
            "SELECT action, at, detail FROM audit WHERE record_id = ? AND revision = ?"
            " AND action LIKE 'sync.%' ORDER BY seq DESC LIMIT 1",
            (hid, revision),
        ).fetchone()
        if last is None or last[0] not in DECISIONS:
            continue  # pushed but not decided, or sent back after the decision
        detail = last[2] or ""
        decided = detail[len(DECIDED_AT) :] if detail.startswith(DECIDED_AT) else last[1]
        moment = _moment(decided) or _moment(last[1])
        if moment is not None and moment + timedelta(days=days) <= now:
            out.append(Due(hid, revision, desa, DECISIONS[last[0]], decided))
    return out


def purge(store: Store, *, dry_run: bool = False) -> Purged:
    """Replace every due household by its stub, in one transaction, then checkpoint the WAL.
    `dry_run`: only say which would go."""
    result = Purged(dry_run=dry_run)
    if dry_run:
        result.ids = [d.household_id for d in due(store)]
        return result
    days = retention_days(store)
    with store.db.atomic():
        now = store.now()
        for d in due(store):
            tokens = store.db.execute(
                "SELECT token FROM lookup WHERE household_id = ? ORDER BY token",
                (d.household_id,),
            ).fetchall()
            stub = {
                "id": d.household_id,
                "status": "final",
                "kode_desa": d.kode_desa,
                "decision": d.decision,
                "decided_at": d.decided_at,
                "purged_at": now,
                "lookup": [bytes(t[0]).hex() for t in tokens],
            }
            if not store.keep_stub(d.household_id, d.revision, stub):
                continue
            supervision.forget(store, d.household_id)  # the comments: personal, decided
            attachments.forget(store, d.household_id)  # all sent (due() checked): kept there
            with store.changing_row("assigned", d.household_id):  # the list's version too
                store.db.execute(
                    "UPDATE assigned SET origin = NULL, pending = NULL, pending_revision = NULL"
                    " WHERE household_id = ?",
                    (d.household_id,),
                )
            store.audit.append(
                now, store.actor, PURGED_ACTION, d.household_id, d.revision, f"days={days}"
            )
            result.ids.append(d.household_id)
    if result.ids:
        result.checkpointed = checkpoint(store)
    return result


def erase(store: Store, household_id: str, now: str) -> bool:
    """Inside the caller's transaction: the household leaves this laptop entirely (its row,
    tokens, outbox entry and the list's version). The caller checkpoints after the commit."""
    row = store.db.execute(
        "SELECT revision FROM households WHERE id = ?", (household_id,)
    ).fetchone()
    listed = store.db.execute(
        "SELECT 1 FROM assigned WHERE household_id = ?", (household_id,)
    ).fetchone()
    if row is None and listed is None:
        return False
    for table, column in (
        ("households", "id"),
        ("lookup", "household_id"),
        ("outbox", "household_id"),
        ("assigned", "household_id"),
    ):
        store.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (household_id,))
    supervision.forget(store, household_id)  # a supervisor's comments name the family
    attachments.forget(store, household_id)  # photos and signatures, sent or not
    store.audit.append(now, store.actor, ERASED, household_id, row[0] if row else None)
    return True


def checkpoint(store: Store) -> bool:
    """Copy the WAL into the file and truncate it, so deleted pages' old images leave the WAL.
    False when a reader (another process) kept it from finishing."""
    busy = store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    return busy == 0


def counts(store: Store) -> tuple[int, int]:
    """(households held in full, stubs)."""
    total, stubs = store.db.execute(
        "SELECT count(*), coalesce(sum(sync_state = ?), 0) FROM households", (PURGED,)
    ).fetchone()
    return total - stubs, stubs


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None
