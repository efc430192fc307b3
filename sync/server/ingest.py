"""Push: one sealed batch from a device, applied in one transaction (docs/sync.md).

Each household gets its own outcome; one bad household never blocks the others:

    new (id, revision)                         accepted   (status event "received")
    same (id, revision), same content hash     duplicate  (a retry after a lost reply)
    same (id, revision), other content         conflict   (both versions kept)
    outside the areas, invalid, not final      rejected   (reason: a code)

The same batch id again returns the stored results. Content is sealed at rest with the data key;
NIK and KK numbers exist only inside it and as blind-index tokens. Results carry ids, revisions
and codes only.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.engine import Engine

from app import questionnaire, regions, rules
from sync.protocol import ProtocolError, open_batch, read_header
from sync.server import repo
from sync.server.db import (
    advisory_lock,
    batches,
    blind_index,
    devices,
    duplicates,
    household_versions,
    households,
    utc_now,
)
from sync.server.keys import ServerKeys

MAX_ID = 36
MAX_BATCH_ID = 64  # batches.batch_id
MAX_ESCROW = 8192


def content_hash(record: dict) -> tuple[bytes, bytes]:
    """(canonical JSON bytes, their SHA-256): the same record always hashes the same."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return text, hashlib.sha256(text).digest()


def ingest(
    engine: Engine, keys: ServerKeys, device: repo.Device, body: bytes, *, today: date | None = None
) -> dict:
    """{"batch_id", "results": [...]}, committed before it returns. Raises ProtocolError for a
    batch that does not open (the whole request is refused, nothing is applied)."""
    header, _ = read_header(body)
    if not 0 < len(header.batch_id) <= MAX_BATCH_ID:
        raise ProtocolError("bad_batch")
    if header.key_id not in keys.secrets["province"]:
        raise ProtocolError("unknown_key")
    with engine.connect() as conn, conn.begin():
        advisory_lock(conn, "khbs/ingest")
        stored = _stored(conn, device.id, header.batch_id)
        if stored is not None:
            return stored
        _, items = open_batch(keys.province_key(header.key_id), device.id, body)
        if header.escrow is not None:
            _keep_escrow(conn, device.id, *header.escrow)
        results = [_apply(conn, keys, device, item, today) for item in items]
        reply = {"batch_id": header.batch_id, "results": results}
        conn.execute(
            insert(batches).values(
                device_id=device.id, batch_id=header.batch_id, households=len(results),
                result=json.dumps(reply, separators=(",", ":")), received_at=utc_now(),
            )
        )
    return reply


def _keep_escrow(conn: Connection, device_id: str, key_id: str, blob: bytes) -> None:
    """The laptop's data key, sealed to the province key: what recovers a forgotten
    passphrase. Only the province private key opens it."""
    if not (0 < len(key_id) <= 32 and 0 < len(blob) <= MAX_ESCROW):
        raise ProtocolError("bad_batch")
    conn.execute(
        update(devices).where(devices.c.id == device_id)
        .values(escrow_key_id=key_id, escrow_blob=blob, escrow_at=utc_now())
    )


def _stored(conn: Connection, device_id: str, batch_id: str) -> dict | None:
    row = conn.execute(
        select(batches.c.result).where(
            batches.c.device_id == device_id, batches.c.batch_id == batch_id
        )
    ).first()
    return json.loads(row.result) if row else None


def _result(hid, revision, outcome: str, reason: str | None = None) -> dict:
    return {"id": hid, "revision": revision, "outcome": outcome, "reason": reason}


def _apply(conn: Connection, keys: ServerKeys, device: repo.Device, item, today) -> dict:
    item = item if isinstance(item, dict) else {}
    hid, revision, record = item.get("id"), item.get("revision"), item.get("record")
    hid = hid if isinstance(hid, str) and 0 < len(hid) <= MAX_ID else None
    revision = revision if isinstance(revision, int) and not isinstance(revision, bool) else None
    # Revisions are 32-bit columns on both databases: anything larger is not a real revision.
    if hid is None or revision is None or not 1 <= revision < 2**31 or not isinstance(record, dict):
        return _result(hid, revision, "rejected", "bad_item")
    if record.get("id") != hid:
        return _result(hid, revision, "rejected", "bad_item")
    if record.get("status") != "final":
        return _result(hid, revision, "rejected", "not_final")
    desa = (record.get(questionnaire.LOCATION) or {}).get(questionnaire.DESA)
    if not isinstance(desa, str) or not regions.within(desa, list(device.areas)):
        return _result(hid, revision, "rejected", "outside_area")
    context = rules.Context(household_id=hid, assigned_areas=list(device.areas),
                            today=today or date.today())
    try:
        errors = rules.check(record, context, final=True).errors
    except Exception:  # noqa: BLE001 - a record the rules cannot even read is invalid
        return _result(hid, revision, "rejected", "invalid")
    if errors:
        return _result(hid, revision, "rejected", errors[0].code)
    current = conn.execute(
        select(households.c.officer_id, households.c.revision).where(households.c.id == hid)
    ).first()
    if current is not None and current.officer_id != device.officer_id:
        return _result(hid, revision, "rejected", "other_officer")

    plaintext, digest = content_hash(record)
    known = set(
        bytes(h) for h in conn.scalars(
            select(household_versions.c.content_hash).where(
                household_versions.c.household_id == hid, household_versions.c.revision == revision
            )
        )
    )
    if digest in known:
        return _result(hid, revision, "duplicate")
    now = utc_now()
    if current is None:
        conn.execute(
            insert(households).values(
                id=hid, officer_id=device.officer_id, kode_desa=desa, kode_kab=desa[:5],
                revision=revision, content_hash=digest, status="received", received_at=now,
                updated_at=now, status_at=now, conflict=bool(known),
            )
        )
    elif known:
        conn.execute(update(households).where(households.c.id == hid).values(conflict=True, updated_at=now))
    elif revision > current.revision:
        conn.execute(
            update(households).where(households.c.id == hid).values(
                revision=revision, content_hash=digest, kode_desa=desa, kode_kab=desa[:5],
                status="received", status_reason=None, updated_at=now, status_at=now,
            )
        )
    key_id, sealed = keys.seal_content(hid, revision, digest, plaintext)
    conn.execute(
        insert(household_versions).values(
            household_id=hid, revision=revision, content_hash=digest, key_id=key_id,
            content=sealed, device_id=device.id, received_at=now,
        )
    )
    if known:
        return _result(hid, revision, "conflict", "conflict")
    if current is None or revision > current.revision:
        _index(conn, keys, device, hid, record)
    repo.append_change(
        conn, "status", officer_id=device.officer_id, household_id=hid, revision=revision,
        detail={"status": "received"},
    )
    return _result(hid, revision, "accepted")


def _index(conn: Connection, keys: ServerKeys, device: repo.Device, hid: str, record: dict) -> None:
    """Replace this household's blind-index tokens; warn of other households sharing one."""
    conn.execute(blind_index.delete().where(blind_index.c.household_id == hid))
    tokens = {(kind, keys.blind_token(kind, value)) for kind, value in questionnaire.identifiers(record)}
    for kind, (key_id, token) in sorted(tokens):
        conn.execute(insert(blind_index).values(key_id=key_id, token=token, household_id=hid, kind=kind))
        others = conn.execute(
            select(blind_index.c.household_id, households.c.officer_id)
            .join(households, households.c.id == blind_index.c.household_id)
            .where(blind_index.c.key_id == key_id, blind_index.c.token == token,
                   blind_index.c.household_id != hid)
        ).all()
        for other, other_officer in others:
            for a, b, officer in ((hid, other, device.officer_id), (other, hid, other_officer)):
                _warn(conn, a, b, kind, officer)


def _warn(conn: Connection, hid: str, other: str, kind: str, officer_id: str) -> None:
    key = and_(duplicates.c.household_id == hid, duplicates.c.other_household_id == other,
               duplicates.c.kind == kind)
    if conn.execute(select(duplicates.c.matches).where(key)).first() is not None:
        conn.execute(update(duplicates).where(key).values(matches=duplicates.c.matches + 1))
        return
    conn.execute(insert(duplicates).values(household_id=hid, other_household_id=other, kind=kind,
                                           found_at=utc_now()))
    repo.append_change(conn, "duplicate", officer_id=officer_id, household_id=hid,
                       detail={"kind": kind, "other_household_id": other})
