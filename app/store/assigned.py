"""Households the province pre-filled from the DTSEN list: what the laptop does with the pull's
`candidate` and `release` events (docs/sync.md, Verification assignments).

For each listed household the store keeps the province's version it last took (the origin), and
a newer one that arrived after the officer had started (pending), both sealed with the record
key and bound to the household id and the province's revision. The officer's own record is
never overwritten by the province: an untouched draft is replaced, anything else waits for the
officer to choose per answer (app/verification.py, resolve()).

The functions that take an event run inside apply_events' transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app import questionnaire as q
from app.errors import RecordDamaged, RecordNotFound, StaleRevision
from app.store import supervision
from app.store.integrity import RELEASED
from app.store.store import Store
from sync.protocol import CandidateEvent, ProtocolError, ReleaseEvent, candidate_info, unb64

TO_VERIFY = "to_verify"  # sync state of a listed household nobody has touched yet
SENT = ("synced", "conflict")  # the province holds the officer's last version


@dataclass
class Listed:
    """The province's versions of one household as the store keeps them."""

    revision: int  # of the origin; 0 when the household never came from the list
    origin: dict | None
    pending_revision: int | None
    pending: dict | None
    released: bool


# -- reading ------------------------------------------------------------------------------------


def listed(store: Store, household_id: str) -> Listed | None:
    """Raises RecordDamaged when a sealed version does not open."""
    row = store.db.execute(
        "SELECT revision, origin, pending_revision, pending, released FROM assigned"
        " WHERE household_id = ?",
        (household_id,),
    ).fetchone()
    if row is None:
        return None
    revision, origin, pending_revision, pending, released = row
    return Listed(
        revision,
        _open(store, household_id, revision, origin),
        pending_revision,
        _open(store, household_id, pending_revision, pending),
        bool(released),
    )


def province_version(store: Store, household_id: str) -> tuple[dict, int] | None:
    """The province's newer version waiting for the officer, and its revision."""
    found = listed(store, household_id)
    if found is None or found.pending is None:
        return None
    return found.pending, int(found.pending_revision or 0)


def to_verify_counts(store: Store) -> dict[str, int]:
    """Listed households still drafts, per desa code: what is left to verify."""
    rows = store.db.execute(
        "SELECT h.kode_desa, count(*) FROM households h JOIN assigned a"
        " ON a.household_id = h.id WHERE a.origin IS NOT NULL AND h.status = 'draft'"
        " GROUP BY h.kode_desa"
    )
    return {desa or "": n for desa, n in rows}


# -- the officer's choice -------------------------------------------------------------------------


def resolve(
    store: Store, household_id: str, merged: dict, *, expected_revision: int, province_revision: int
) -> int:
    """Keep the officer's per-answer choice (merge() of app/verification.py): save `merged`
    unless it is the officer's record unchanged, and make the province's pending version the
    origin. A changed record is saved as a draft, so a final household passes the rules again
    before it is sent. Returns the household's revision."""
    with store.db.atomic():
        mine, revision = store.get(household_id)
        if revision != expected_revision:
            raise StaleRevision(record_id=household_id, expected=expected_revision, found=revision)
        found = listed(store, household_id)
        if found is None or found.pending_revision != province_revision:
            raise StaleRevision(
                record_id=household_id,
                expected=province_revision,
                found=found.pending_revision if found else 0,
            )
        merged = q.canonical(dict(merged, id=household_id))
        if merged != q.canonical(mine):
            revision = store.save(
                dict(merged, status="draft"), expected_revision=revision, action="household.merge"
            )
        with store.changing_row("assigned", household_id):
            store.db.execute(
                "UPDATE assigned SET revision = pending_revision, origin = pending,"
                " pending_revision = NULL, pending = NULL WHERE household_id = ?",
                (household_id,),
            )
        store.audit.append(
            store.now(),
            store.actor,
            "household.province_merged",
            household_id,
            revision,
            detail=f"province_revision={province_revision}",
        )
    return revision


# -- events ---------------------------------------------------------------------------------------


def apply_candidate(store: Store, event: CandidateEvent, box, now: str, pulled) -> None:
    """A household the province assigned to this officer, or its newer version."""
    hid, revision = event.household_id, event.revision
    if hid is None or revision is None or revision < 1:
        pulled.damaged += 1
        return
    record = _unseal_candidate(event, hid, revision, box)
    if record is None:
        pulled.damaged += 1
        return
    try:
        known = listed(store, hid)
    except RecordDamaged:
        known = None  # a damaged copy of the province's own version: take the new one
    if known and revision <= max(known.revision, known.pending_revision or 0):
        pulled.stale += 1
        return
    record = _as_listed(record, hid)
    exists = store.db.execute("SELECT 1 FROM households WHERE id = ?", (hid,)).fetchone()
    with store.db.atomic():
        if not exists or (known and _untouched(store, hid, known.origin)):
            # Handed over from another officer: the province already holds revision `base`,
            # so this laptop's next save must be newer than that (docs/sync.md, Reassignment).
            base = event.base_revision
            store.save(
                record,
                action="household.assigned",
                sync_state=TO_VERIFY,
                min_revision=base if base is not None and base > 0 else 0,
            )
            with store.changing_row("assigned", hid):
                _keep(store, hid, "revision", "origin", revision, record)
                store.db.execute(
                    "UPDATE assigned SET pending_revision = NULL, pending = NULL, released = 0"
                    " WHERE household_id = ?",
                    (hid,),
                )
            pulled.candidates += 1
        else:  # the officer started: nothing is overwritten, the officer chooses per answer
            with store.changing_row("assigned", hid):
                _keep(store, hid, "pending_revision", "pending", revision, record)
                store.db.execute("UPDATE assigned SET released = 0 WHERE household_id = ?", (hid,))
            store.audit.append(
                now,
                store.actor,
                "household.province_changed",
                hid,
                detail=f"province_revision={revision}",
            )
            pulled.province_changed += 1


def apply_release(store: Store, event: ReleaseEvent, now: str, pulled) -> None:
    """The household's desa went to another officer: give it up once nothing unsent remains
    for it, else keep it (marked) until its last version has reached the province."""
    hid = event.household_id
    if hid is None:
        pulled.damaged += 1
        return
    if not store.db.execute("SELECT 1 FROM households WHERE id = ?", (hid,)).fetchone():
        return  # never arrived or already given up
    if _nothing_unsent(store, hid):
        _delete(store, hid, now)
        pulled.released += 1
        return
    with store.changing_row("assigned", hid):
        store.db.execute(
            "INSERT INTO assigned (household_id, revision, released) VALUES (?, 0, 1)"
            " ON CONFLICT (household_id) DO UPDATE SET released = 1",
            (hid,),
        )
    store.audit.append(now, store.actor, "household.release_waiting", hid)
    pulled.release_waiting += 1


def purge_released(store: Store, now: str) -> int:
    """Give up released households whose last version the province now holds. Called where
    push answers and pull events are applied, inside their transaction."""
    ids = [
        r[0]
        for r in store.db.execute("SELECT household_id FROM assigned WHERE released = 1").fetchall()
    ]
    gone = [hid for hid in ids if _nothing_unsent(store, hid)]
    for hid in gone:
        _delete(store, hid, now)
    return len(gone)


# -- helpers --------------------------------------------------------------------------------------


def _unseal_candidate(event: CandidateEvent, hid: str, revision: int, box) -> dict | None:
    """The record the province sealed to this device, or None when it does not open or is not
    a household's shape (counted, never a crash: one bad event must not stop the sync)."""
    if box is None or not event.sealed:
        return None
    device_id, key = box
    try:
        sealed = unb64(event.sealed)
    except ProtocolError:
        return None
    if not sealed:
        return None
    try:
        record = json.loads(key.open(sealed, candidate_info(device_id, hid, revision)))
    except Exception:  # noqa: BLE001 - HPKE raises several types for a bad seal
        return None
    return record if _shaped(record, hid) else None


def _shaped(record: object, hid: str) -> bool:
    """Enough structure for the store (canonical, summary, identifiers) to handle it."""
    if not isinstance(record, dict) or record.get("id") != hid:
        return False
    for name, spec in q.schema_for(record)["properties"].items():
        value = record.get(name)
        if value is None:
            continue
        if q.is_roster(spec):
            if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
                return False
        elif q.is_group(spec) and not isinstance(value, dict):
            return False
    desa = (record.get(q.LOCATION) or {}).get(q.DESA)
    return desa is None or isinstance(desa, str)


def _as_listed(record: dict, hid: str) -> dict:
    """A draft from the list: `sumber` 1 marks it (read-only in the form)."""
    verification = dict(record.get("verifikasi") or {}, sumber=1)
    return q.canonical(dict(record, id=hid, status="draft", verifikasi=verification))


def _open(store: Store, hid: str, revision: int | None, blob: bytes | None) -> dict | None:
    if blob is None:
        return None
    return store.open_record(hid, int(revision or 0), blob, "origin")


def _keep(store: Store, hid: str, rev_col: str, blob_col: str, revision: int, record: dict) -> None:
    sealed = store.seal_record(hid, revision, record, "origin")
    store.db.execute(
        f"INSERT INTO assigned (household_id, revision, {blob_col}) VALUES (?, 0, ?)"
        f" ON CONFLICT (household_id) DO NOTHING",
        (hid, sealed),
    )
    store.db.execute(
        f"UPDATE assigned SET {rev_col} = ?, {blob_col} = ? WHERE household_id = ?",
        (revision, sealed, hid),
    )


def _untouched(store: Store, hid: str, origin: dict | None) -> bool:
    """A draft still exactly the province's version: the officer has not changed anything."""
    if origin is None:
        return False
    try:
        record, _ = store.get(hid)
    except (RecordDamaged, RecordNotFound):
        return False
    return record.get("status") == "draft" and q.canonical(record) == q.canonical(origin)


def _nothing_unsent(store: Store, hid: str) -> bool:
    """Not queued, and either the province holds its last version or the officer never changed
    the province's. An edited draft counts as unsent: it is kept until finalised and synced."""
    if store.db.execute("SELECT 1 FROM outbox WHERE household_id = ?", (hid,)).fetchone():
        return False
    row = store.db.execute("SELECT sync_state FROM households WHERE id = ?", (hid,)).fetchone()
    if row is None or row[0] in SENT:
        return True
    try:
        known = listed(store, hid)
    except RecordDamaged:
        return False
    return known is not None and _untouched(store, hid, known.origin)


def _delete(store: Store, hid: str, now: str) -> None:
    revision = store.db.execute("SELECT revision FROM households WHERE id = ?", (hid,)).fetchone()
    for table, column in (
        ("households", "id"),
        ("lookup", "household_id"),
        ("outbox", "household_id"),
        ("assigned", "household_id"),
        ("attachments", "household_id"),  # its photos and signature go with it
    ):
        store.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (hid,))
    supervision.forget(store, hid)  # its decisions and cases too
    store.audit.append(now, store.actor, RELEASED, hid, revision[0] if revision else None)
