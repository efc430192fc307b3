"""Push: one sealed batch from a device, applied in one transaction (docs/sync.md).

Each household gets its own outcome; one bad household never blocks the others:

    new (id, revision)                         accepted   (status event "received")
    same (id, revision), same content hash     duplicate  (a retry after a lost reply)
    same (id, revision), other content         conflict   (both versions kept)
    outside the areas, invalid, not final,     rejected   (reason: a code)
    another questionnaire version

The same batch id again returns the stored results. Content is sealed at rest with the data key;
NIK and KK numbers exist only inside it and as blind-index tokens. Results carry ids, revisions
and codes only. An escrow blob the batch carries is kept only if it seals the device's own
store's key (recovery.keep_escrow); a refused one is audited and the households go on.

Opening the batch, the rules, hashing, sealing and blind tokens need no database, so they run
before the ingest lock (`_prepare`); the lock is held only for the reads and writes (`_Writer`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.engine import Engine

from app import questionnaire, regions, rules, visits
from sync.protocol import (
    ACCEPTED,
    CONFLICT,
    DUPLICATE,
    RECEIVED,
    REJECTED,
    ProtocolError,
    PushResult,
    content_hash,
    open_batch,
    read_header,
)
from sync.server import cases, questionnaires, repo, rights
from sync.server.db import (
    advisory_lock,
    batches,
    blind_index,
    candidates,
    duplicates,
    handovers,
    household_versions,
    households,
    tombstones,
    utc_now,
)
from sync.server.keys import ServerKeys
from sync.server.recovery import keep_escrow

MAX_ID = 36
MAX_BATCH_ID = 64  # batches.batch_id
MAX_ESCROW = 8192


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
    with engine.connect() as conn:
        accepted = frozenset(questionnaires.published(conn))
    try:
        prepared: list | ProtocolError = _prepare(
            keys,
            device,
            header,
            body,
            today or date.today(),
            _handed_from(engine, device.officer_id),
            accepted,
        )
    except ProtocolError as exc:
        prepared = exc  # raised only if the batch id is not already stored (checked under the lock)
    with engine.connect() as conn, conn.begin():
        advisory_lock(conn, "khbs/ingest")
        stored = _stored(conn, device.id, header.batch_id)
        if stored is not None:
            return stored
        if isinstance(prepared, ProtocolError):
            raise prepared
        writer = _Writer(conn, device, prepared)
        results = [writer.apply(item) if isinstance(item, Prepared) else item for item in prepared]
        writer.finish()
        escrow = None
        if header.escrow is not None:  # after the change events: audit entries come last
            escrow = _keep_escrow(conn, keys, device.id, header.escrow, header.store_id)
        reply = {"batch_id": header.batch_id, "results": [r.to_json() for r in results]}
        if escrow is not None:
            reply["escrow"] = escrow
        conn.execute(
            insert(batches).values(
                device_id=device.id,
                batch_id=header.batch_id,
                households=len(results),
                result=json.dumps(reply, separators=(",", ":")),
                received_at=utc_now(),
            )
        )
    return reply


def _keep_escrow(
    conn: Connection, keys: ServerKeys, device_id: str, escrow: tuple[str, bytes], claim: str | None
) -> str:
    """The laptop's data key, sealed to the province key: what recovers a forgotten
    passphrase. Kept only if it seals this device's own store's key (recovery.keep_escrow);
    a refused one is audited and the batch's households go on. "kept" or "refused"."""
    key_id, blob = escrow
    if not (0 < len(key_id) <= 32 and 0 < len(blob) <= MAX_ESCROW):
        raise ProtocolError("bad_batch")
    kept = keep_escrow(conn, keys, device_id, key_id, blob, claim)
    return "kept" if kept else "refused"


def _stored(conn: Connection, device_id: str, batch_id: str) -> dict | None:
    row = conn.execute(
        select(batches.c.result).where(
            batches.c.device_id == device_id, batches.c.batch_id == batch_id
        )
    ).first()
    return json.loads(row.result) if row else None


# -- before the lock: everything that needs no database -----------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A household that passed every check on its own: what `_Writer.apply` writes."""

    hid: str
    revision: int
    desa: str
    digest: bytes
    key_id: str  # data key that sealed `content`
    content: bytes
    tokens: tuple  # sorted (kind, (key id, token)) of its NIK and KK numbers
    outcome: int  # how the visit ended (app/visits.py): a code, kept in plaintext for stats


def _prepare(
    keys: ServerKeys,
    device: repo.Device,
    header,
    body: bytes,
    today: date,
    handed: frozenset[str] = frozenset(),
    accepted: frozenset[int] = frozenset(),
) -> list:
    """Each item as a result (rejected) or a Prepared. Raises ProtocolError like open_batch.
    `accepted`: the questionnaire versions published (questionnaires.published)."""
    _, items = open_batch(keys.province_key(header.key_id), device.id, body)
    return [_check(keys, device, item, today, handed, accepted) for item in items]


def _handed_from(engine: Engine, officer_id: str) -> frozenset[str]:
    """Households whose desa moved away from this officer: their last edits are still welcome
    (docs/sync.md, Reassignment), though outside the officer's areas now."""
    with engine.connect() as conn:
        return frozenset(
            conn.scalars(
                select(handovers.c.household_id).where(handovers.c.from_officer_id == officer_id)
            )
        )


def _check(
    keys: ServerKeys,
    device: repo.Device,
    item,
    today: date,
    handed: frozenset[str] = frozenset(),
    accepted: frozenset[int] = frozenset(),
) -> PushResult | Prepared:
    item = item if isinstance(item, dict) else {}
    hid, revision, record = item.get("id"), item.get("revision"), item.get("record")
    hid = hid if isinstance(hid, str) and 0 < len(hid) <= MAX_ID else None
    revision = revision if isinstance(revision, int) and not isinstance(revision, bool) else None
    # Revisions are 32-bit columns on both databases: anything larger is not a real revision.
    if hid is None or revision is None or not 1 <= revision < 2**31 or not isinstance(record, dict):
        return PushResult(hid, revision, REJECTED, "bad_item")
    if record.get("id") != hid:
        return PushResult(hid, revision, REJECTED, "bad_item")
    if record.get("status") != "final":
        return PushResult(hid, revision, REJECTED, "not_final")
    version = record.get("schema_version")
    if type(version) is not int or version not in (accepted or {questionnaire.schema_version()}):
        # One reason, whatever else a version's differences would fail: a version the province
        # never published (every published one is accepted, retired ones too).
        return PushResult(hid, revision, REJECTED, "schema_version")
    location = record.get(questionnaire.LOCATION)
    desa = location.get(questionnaire.DESA) if isinstance(location, dict) else None
    areas = list(device.areas) + ([desa] if hid in handed and isinstance(desa, str) else [])
    if not isinstance(desa, str) or not regions.within(desa, areas):
        return PushResult(hid, revision, REJECTED, "outside_area")
    context = rules.Context(household_id=hid, assigned_areas=areas, today=today)
    try:
        errors = rules.check(record, context, final=True).errors
    except Exception:  # noqa: BLE001 - a record the rules cannot even read is invalid
        return PushResult(hid, revision, REJECTED, "invalid")
    if errors:
        return PushResult(hid, revision, REJECTED, errors[0].code)
    plaintext, digest = content_hash(record)
    key_id, sealed = keys.seal_content(hid, revision, digest, plaintext)
    tokens = {
        (kind, keys.blind_token(kind, value)) for kind, value in questionnaire.identifiers(record)
    }
    return Prepared(
        hid, revision, desa, digest, key_id, sealed, tuple(sorted(tokens)), visits.effective(record)
    )


# -- under the lock: reads and writes -----------------------------------------------------------

# Built once: a statement with bound parameters skips SQLAlchemy's per-call construction.
_INSERT_HOUSEHOLD = insert(households)
_INSERT_VERSION = insert(household_versions)
_INSERT_TOKENS = insert(blind_index)
_DELETE_TOKENS = blind_index.delete().where(blind_index.c.household_id == bindparam("hid"))


class _Writer:
    """Applies one batch's Prepared households in order. What is already stored for them is
    read with two SELECTs per batch and kept up to date here as they are applied (a batch may
    carry the same household twice); change events are written together at the end."""

    def __init__(self, conn: Connection, device: repo.Device, prepared: list) -> None:
        self.conn, self.device = conn, device
        self.events: list[dict] = []  # change events, written together by finish()
        hids = sorted({p.hid for p in prepared if isinstance(p, Prepared)})
        self.current: dict[str, tuple[str, int]] = {}
        self.known: dict[tuple[str, int], set[bytes]] = {}
        self.owner: dict[str, str | None] = {}
        self.handed: dict[str, set[str]] = {}
        self.erased: set[str] = set()  # the family withdrew consent (sync/server/privacy.py)
        for chunk in (hids[i : i + 500] for i in range(0, len(hids), 500)):
            self.erased |= set(
                conn.scalars(
                    select(tombstones.c.household_id).where(tombstones.c.household_id.in_(chunk))
                )
            )
            for r in conn.execute(
                select(households.c.id, households.c.officer_id, households.c.revision).where(
                    households.c.id.in_(chunk)
                )
            ):
                self.current[r.id] = (r.officer_id, r.revision)
            for r in conn.execute(
                select(
                    household_versions.c.household_id,
                    household_versions.c.revision,
                    household_versions.c.content_hash,
                ).where(household_versions.c.household_id.in_(chunk))
            ):
                self.known.setdefault((r.household_id, r.revision), set()).add(
                    bytes(r.content_hash)
                )
            # Pre-filled households belong to their candidate's officer; an officer whose desa
            # moved away may still send what was edited before (docs/sync.md, "Reassignment").
            for c in conn.execute(
                select(candidates.c.id, candidates.c.officer_id).where(candidates.c.id.in_(chunk))
            ):
                self.owner[c.id] = c.officer_id
            for h in conn.execute(
                select(handovers.c.household_id, handovers.c.from_officer_id).where(
                    handovers.c.household_id.in_(chunk)
                )
            ):
                self.handed.setdefault(h.household_id, set()).add(h.from_officer_id)

    def event(self, kind: str, officer_id: str, hid: str | None, **fields) -> None:
        self.events.append(
            {"kind": kind, "officer_id": officer_id, "household_id": hid, "at": utc_now(), **fields}
        )

    def finish(self) -> None:
        repo.append_changes(self.conn, self.events)

    def apply(self, p: Prepared) -> PushResult:
        conn, device = self.conn, self.device
        hid, revision, desa, digest = p.hid, p.revision, p.desa, p.digest
        if hid in self.erased:  # never stored again: its `erase` event follows on the laptop
            return PushResult(hid, revision, REJECTED, "withdrawn")
        current = self.current.get(hid)
        officer = current[0] if current is not None else self.owner.get(hid) or device.officer_id
        if officer != device.officer_id and device.officer_id not in self.handed.get(hid, ()):
            return PushResult(hid, revision, REJECTED, "other_officer")
        known = self.known.setdefault((hid, revision), set())
        if digest in known:
            return PushResult(hid, revision, DUPLICATE)
        conflict = bool(known)
        newer = current is None or revision > current[1]
        now = utc_now()
        if current is None:
            conn.execute(
                _INSERT_HOUSEHOLD,
                {
                    "id": hid,
                    "officer_id": officer,
                    "kode_desa": desa,
                    "kode_kab": desa[:5],
                    "revision": revision,
                    "content_hash": digest,
                    "status": "received",
                    "received_at": now,
                    "updated_at": now,
                    "status_at": now,
                    "conflict": conflict,
                    "visit_outcome": p.outcome,
                },
            )
            self.current[hid] = (officer, revision)
        elif conflict:
            conn.execute(
                update(households)
                .where(households.c.id == hid)
                .values(conflict=True, updated_at=now)
            )
        elif newer:
            conn.execute(
                update(households)
                .where(households.c.id == hid)
                .values(
                    revision=revision,
                    content_hash=digest,
                    kode_desa=desa,
                    kode_kab=desa[:5],
                    status="received",
                    status_reason=None,
                    updated_at=now,
                    status_at=now,
                    visit_outcome=p.outcome,
                )
            )
            self.current[hid] = (current[0], revision)
            # A family's correction returned to the officer is done when the edit arrives.
            rights.close_corrections(conn, hid, revision, f"device:{device.id}")
        conn.execute(
            _INSERT_VERSION,
            {
                "household_id": hid,
                "revision": revision,
                "content_hash": digest,
                "key_id": p.key_id,
                "content": p.content,
                "device_id": device.id,
                "received_at": now,
            },
        )
        known.add(digest)
        if conflict:
            return PushResult(hid, revision, CONFLICT, "conflict")
        if newer:
            self.index(hid, p.tokens, replace=current is not None)
        self.event("status", device.officer_id, hid, revision=revision, detail={"status": RECEIVED})
        if newer and officer != device.officer_id:  # a handover: the new officer's laptop
            self.event("assignment", officer, None, detail={"candidate": hid})  # gets this
        return PushResult(hid, revision, ACCEPTED)

    def index(self, hid: str, tokens: tuple, *, replace: bool) -> None:
        """Replace this household's blind-index tokens (one executemany); warn of other
        households sharing one, found with one SELECT for all its tokens."""
        conn = self.conn
        if replace:  # a household new to the server has no tokens yet
            conn.execute(_DELETE_TOKENS, {"hid": hid})
        if not tokens:
            return
        conn.execute(
            _INSERT_TOKENS,
            [
                {"key_id": key_id, "token": token, "household_id": hid, "kind": kind}
                for kind, (key_id, token) in tokens
            ],
        )
        by_key: dict[str, list[bytes]] = {}
        for _, (key_id, token) in tokens:
            by_key.setdefault(key_id, []).append(token)
        rows = conn.execute(
            select(
                blind_index.c.kind,
                blind_index.c.key_id,
                blind_index.c.token,
                blind_index.c.household_id,
                households.c.officer_id,
            )
            .join(households, households.c.id == blind_index.c.household_id)
            .where(
                or_(
                    *(
                        and_(blind_index.c.key_id == k, blind_index.c.token.in_(t))
                        for k, t in by_key.items()
                    )
                ),
                blind_index.c.household_id != hid,
            )
        ).all()
        # The order of the former per-token queries: by (kind, key id, token), then household.
        rows = sorted(rows, key=lambda r: (r.kind, r.key_id, bytes(r.token), r.household_id))
        for row in rows:
            self.warn(hid, row.household_id, row.kind, self.device.officer_id)
            self.warn(row.household_id, hid, row.kind, row.officer_id)
            # A province-wide duplicate case for a regency user to decide (cases.py).
            self.events += cases.on_match(
                conn,
                hid,
                self.device.officer_id,
                row.household_id,
                row.officer_id,
                row.kind,
                utc_now(),
            )

    def warn(self, hid: str, other: str, kind: str, officer_id: str) -> None:
        key = and_(
            duplicates.c.household_id == hid,
            duplicates.c.other_household_id == other,
            duplicates.c.kind == kind,
        )
        if self.conn.execute(select(duplicates.c.matches).where(key)).first() is not None:
            self.conn.execute(
                update(duplicates).where(key).values(matches=duplicates.c.matches + 1)
            )
            return
        self.conn.execute(
            insert(duplicates).values(
                household_id=hid, other_household_id=other, kind=kind, found_at=utc_now()
            )
        )
        self.event("duplicate", officer_id, hid, detail={"kind": kind, "other_household_id": other})
