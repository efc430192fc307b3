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
before any lock (`_prepare`); the locks are held only for the reads and writes (`_Writer`), a
few set-based statements for the whole batch (docs/scale.md, "After"). Batches that share no
household and no NIK/KK number are applied side by side on PostgreSQL (`_lock`); the change
counter, updated last, orders their commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    Connection,
    Integer,
    LargeBinary,
    String,
    bindparam,
    cast,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
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
    DEVICE_LOCKS,
    HOUSEHOLD_LOCKS,
    TOKEN_LOCKS,
    advisory_locks,
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
        if conn.dialect.name == "postgresql":  # reads alone: no BEGIN, no ROLLBACK at checkin
            conn.execution_options(isolation_level="AUTOCOMMIT")
        accepted = frozenset(questionnaires.published(conn))
        handed = _handed_from(conn, device.officer_id)
    try:
        prepared: list | ProtocolError = _prepare(
            keys,
            device,
            header,
            body,
            today or date.today(),
            handed,
            accepted,
        )
    except ProtocolError as exc:
        prepared = exc  # raised only if the batch id is not already stored (checked under the lock)
    with engine.connect() as conn, conn.begin():
        _lock(conn, device.id, prepared if isinstance(prepared, list) else [])
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


def _lock(conn: Connection, device_id: str, prepared: list) -> None:
    """What a batch reads and writes that another batch could too, locked before it is read
    (PostgreSQL; SQLite runs one writer at a time): the device (its stored batches and escrow),
    each of the batch's households (stored row, versions, correction requests) and every NIK/KK
    token it adds or its households held (who else holds one decides duplicate warnings and
    cases). Two batches sharing none of these run at once; one sharing any waits for the other
    to commit, then reads what it wrote. The stored tokens are read only once the households
    are locked, so they cannot change before their locks are taken; households before tokens,
    in ascending order (db.advisory_locks), so two batches never deadlock."""
    if conn.dialect.name != "postgresql":
        return
    mine = [p for p in prepared if isinstance(p, Prepared)]
    hids = sorted({p.hid for p in mine})
    advisory_locks(
        conn,
        [(DEVICE_LOCKS, device_id.encode())] + [(HOUSEHOLD_LOCKS, h.encode()) for h in hids],
    )
    tokens = {token for p in mine for _, token in p.tokens}
    if hids:
        tokens.update(
            (r.key_id, bytes(r.token))
            for r in conn.execute(
                select(blind_index.c.key_id, blind_index.c.token).where(
                    repo.among(conn, blind_index.c.household_id, hids)
                )
            )
        )
    advisory_locks(conn, [(TOKEN_LOCKS, k.encode() + b"\0" + t) for k, t in tokens])


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


def _handed_from(conn: Connection, officer_id: str) -> frozenset[str]:
    """Households whose desa moved away from this officer: their last edits are still welcome
    (docs/sync.md, Reassignment), though outside the officer's areas now."""
    return frozenset(conn.scalars(_HANDED_FROM, {"officer_id": officer_id}))


_HANDED_FROM = select(handovers.c.household_id).where(
    handovers.c.from_officer_id == bindparam("officer_id")
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
_COUNT_DUPLICATE = (
    update(duplicates)
    .where(
        duplicates.c.household_id == bindparam("b_hid"),
        duplicates.c.other_household_id == bindparam("b_other"),
        duplicates.c.kind == bindparam("b_kind"),
    )
    .values(matches=duplicates.c.matches + bindparam("b_n"))
)


def _chunks(items: list, size: int = 500):
    return (items[i : i + size] for i in range(0, len(items), size))


def _reads(conn: Connection, hids: list[str], by_key: dict[str, set[bytes]]):
    """What _Writer reads, as one UNION ALL of rows (what, hid, officer_id, revision, blob,
    kind, key_id): the batch's tombstones "t", households "h", versions "v" (blob: the content
    hash), candidates "c" and handovers "o" (officer_id: the officer handed from), and "b"
    every stored household holding one of its tokens (blob: the token)."""
    no_text, no_number, no_blob = (
        cast(null(), String),
        cast(null(), Integer),
        cast(null(), LargeBinary),
    )

    def row(
        what: str,
        hid,
        officer=no_text,
        revision=no_number,
        blob=no_blob,
        kind=no_text,
        key_id=no_text,
    ):
        columns = (literal_column(f"'{what}'", String), hid, officer, revision, blob, kind, key_id)
        return select(*(c.label(name) for c, name in zip(columns, _READ_COLUMNS, strict=True)))

    t, h, v, c, o, b = (
        tombstones.c,
        households.c,
        household_versions.c,
        candidates.c,
        handovers.c,
        blind_index.c,
    )
    parts = []
    for i, chunk in enumerate(_chunks(hids)):

        def batch(column, chunk=chunk, name=f"hids_{i}"):
            return repo.among(conn, column, chunk, name)

        parts += [
            row("t", t.household_id).where(batch(t.household_id)),
            row("h", h.id, h.officer_id, h.revision).where(batch(h.id)),
            row("v", v.household_id, revision=v.revision, blob=v.content_hash).where(
                batch(v.household_id)
            ),
            row("c", c.id, c.officer_id).where(batch(c.id)),
            row("o", o.household_id, o.from_officer_id).where(batch(o.household_id)),
        ]
    for key_id, tokens in sorted(by_key.items()):
        for chunk in _chunks(sorted(tokens)):
            parts.append(
                row("b", b.household_id, h.officer_id, blob=b.token, kind=b.kind, key_id=b.key_id)
                .join(households, h.id == b.household_id)
                .where(b.key_id == key_id, repo.among(conn, b.token, chunk))
            )
    return union_all(*parts)


_READ_COLUMNS = ("what", "hid", "officer_id", "revision", "blob", "kind", "key_id")


class _Writer:
    """Applies one batch's Prepared households in order, in memory, then writes the lot with a
    few set-based statements (finish): what is stored for the batch's households, and every
    household holding one of its NIK/KK tokens, is read up front with one SELECT per table, and
    kept up to date here as households are applied (a batch may carry the same household twice,
    or two households sharing a number). Outcomes, duplicate warnings, cases and change events
    come out exactly as if each household had been written one after the other."""

    def __init__(self, conn: Connection, device: repo.Device, prepared: list) -> None:
        self.conn, self.device = conn, device
        mine = [p for p in prepared if isinstance(p, Prepared)]
        hids = sorted({p.hid for p in mine})
        self.current: dict[str, tuple[str, int]] = {}
        self.known: dict[tuple[str, int], set[bytes]] = {}
        self.owner: dict[str, str | None] = {}
        self.handed: dict[str, set[str]] = {}
        self.erased: set[str] = set()  # the family withdrew consent (sync/server/privacy.py)
        # The officer of each household holding one of the batch's tokens (only stored
        # households count, as the join did), and the blind index as far as this batch's
        # tokens go: token -> {household: kind}.
        self.holders: dict[tuple[str, bytes], dict[str, str]] = {}
        self.officer_of: dict[str, str] = {}
        by_key: dict[str, set[bytes]] = {}
        for p in mine:
            for _, (key_id, token) in p.tokens:
                by_key.setdefault(key_id, set()).add(token)
        # All of it in one statement (one round trip; docs/scale.md, "Fewer round trips").
        for r in conn.execute(_reads(conn, hids, by_key)) if hids else ():
            what, hid = r[0], r[1]
            if what == "h":
                self.current[hid] = (r.officer_id, r.revision)
            elif what == "v":
                self.known.setdefault((hid, r.revision), set()).add(bytes(r.blob))
            elif what == "b":
                self.holders.setdefault((r.key_id, bytes(r.blob)), {})[hid] = r.kind
                self.officer_of[hid] = r.officer_id
            elif what == "t":
                self.erased.add(hid)
            elif what == "c":
                # Pre-filled households belong to their candidate's officer; an officer whose
                # desa moved away may still send what was edited before (docs/sync.md,
                # "Reassignment").
                self.owner[hid] = r.officer_id
            else:
                self.handed.setdefault(hid, set()).add(r.officer_id)
        # What finish() writes.
        self.new: dict[str, dict] = {}  # households rows to insert, as they end up
        self.changed: dict[str, dict] = {}  # stored households: the columns to update
        self.versions: list[dict] = []
        self.replaced: list[str] = []  # households whose stored tokens go first
        self.tokens: dict[str, list[dict]] = {}  # household -> its blind-index rows
        self.corrected: list[tuple[str, int]] = []  # (household, revision) that may close one
        # Change events in order; a duplicate warning or a case is resolved in finish(), once
        # the stored duplicates and cases of every pair are read together.
        self.stream: list[tuple] = []

    def event(self, kind: str, officer_id: str, hid: str | None, **fields) -> None:
        self.stream.append(
            (
                "event",
                {
                    "kind": kind,
                    "officer_id": officer_id,
                    "household_id": hid,
                    "at": utc_now(),
                    **fields,
                },
            )
        )

    def apply(self, p: Prepared) -> PushResult:
        device = self.device
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
        # A household new in this batch is one INSERT of its final row; a stored one, one
        # UPDATE of every column its versions in this batch changed (the last value wins).
        row = self.new.get(hid) if current is not None else None
        if current is None:
            self.new[hid] = {
                "id": hid,
                "officer_id": officer,
                "kode_desa": desa,
                "kode_kab": desa[:5],
                "revision": revision,
                "content_hash": digest,
                "status": "received",
                "status_reason": None,
                "received_at": now,
                "updated_at": now,
                "status_at": now,
                "conflict": conflict,
                "visit_outcome": p.outcome,
            }
            self.current[hid] = (officer, revision)
            self.officer_of[hid] = officer
        else:
            values: dict = {}
            if conflict:
                values = {"conflict": True, "updated_at": now}
            elif newer:
                values = {
                    "revision": revision,
                    "content_hash": digest,
                    "kode_desa": desa,
                    "kode_kab": desa[:5],
                    "status": "received",
                    "status_reason": None,
                    "updated_at": now,
                    "status_at": now,
                    "visit_outcome": p.outcome,
                }
                self.current[hid] = (current[0], revision)
                # A family's correction returned to the officer is done when the edit arrives.
                self.corrected.append((hid, revision))
            (row if row is not None else self.changed.setdefault(hid, {})).update(values)
        self.versions.append(
            {
                "household_id": hid,
                "revision": revision,
                "content_hash": digest,
                "key_id": p.key_id,
                "content": p.content,
                "device_id": device.id,
                "received_at": now,
            }
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
        """Replace this household's blind-index tokens; warn of other households sharing one."""
        if replace:  # a household new to the server has no tokens yet
            if hid not in self.tokens:
                self.replaced.append(hid)
            for holding in self.holders.values():
                holding.pop(hid, None)
        self.tokens[hid] = [
            {"key_id": key_id, "token": token, "household_id": hid, "kind": kind}
            for kind, (key_id, token) in tokens
        ]
        found = []
        for kind, (key_id, token) in tokens:
            holding = self.holders.setdefault((key_id, token), {})
            found += [(k, key_id, token, other) for other, k in holding.items() if other != hid]
            holding[hid] = kind
        # The order of the former per-token queries: by (kind, key id, token), then household.
        for kind, _, _, other in sorted(found):
            other_officer = self.officer_of[other]
            self.warn(hid, other, kind, self.device.officer_id)
            self.warn(other, hid, kind, other_officer)
            # A province-wide duplicate case for a regency user to decide (cases.py).
            self.stream.append(("case", (hid, self.device.officer_id, other, other_officer, kind)))

    def warn(self, hid: str, other: str, kind: str, officer_id: str) -> None:
        self.stream.append(("warn", (hid, other, kind), officer_id, utc_now()))

    def finish(self) -> None:
        """The batch's writes, a few statements each for every household of it."""
        conn = self.conn
        repo.insert_rows(conn, households, list(self.new.values()))
        by_columns: dict[tuple, list[dict]] = {}
        for hid, values in self.changed.items():
            if values:
                by_columns.setdefault(tuple(sorted(values)), []).append({"b_id": hid, **values})
        for rows in by_columns.values():  # SET: the columns of the rows' keys but b_id
            conn.execute(update(households).where(households.c.id == bindparam("b_id")), rows)
        repo.insert_rows(conn, household_versions, self.versions)
        for chunk in _chunks(self.replaced):
            conn.execute(
                blind_index.delete().where(repo.among(conn, blind_index.c.household_id, chunk))
            )
        repo.insert_rows(conn, blind_index, [r for rows in self.tokens.values() for r in rows])
        if self.corrected:
            open_ones = rights.with_open_corrections(conn, sorted({h for h, _ in self.corrected}))
            for hid, revision in self.corrected:
                if hid in open_ones:
                    rights.close_corrections(conn, hid, revision, f"device:{self.device.id}")
        repo.append_changes(conn, self._events())

    def _events(self) -> list[dict]:
        """The change events in order, with each warning's `duplicate` event (only for a pair
        warned of for the first time) and each case's, after writing those rows."""
        conn = self.conn
        warned = {item[1] for item in self.stream if item[0] == "warn"}
        stored: set[tuple[str, str, str]] = set()
        firsts = sorted({hid for hid, _, _ in warned})
        for chunk in _chunks(firsts):
            for r in conn.execute(
                select(
                    duplicates.c.household_id, duplicates.c.other_household_id, duplicates.c.kind
                ).where(repo.among(conn, duplicates.c.household_id, chunk))
            ):
                stored.add((r.household_id, r.other_household_id, r.kind))
        matches = [item[1] for item in self.stream if item[0] == "case"]
        opened = iter(cases.open_cases(conn, matches, utc_now()) if matches else [])
        events: list[dict] = []
        inserts: list[dict] = []
        counts: dict[tuple[str, str, str], int] = {}
        for item in self.stream:
            if item[0] == "event":
                events.append(item[1])
            elif item[0] == "case":
                events += next(opened)
            else:
                (hid, other, kind), officer_id, at = item[1:]
                if (hid, other, kind) in stored:
                    counts[(hid, other, kind)] = counts.get((hid, other, kind), 0) + 1
                    continue
                stored.add((hid, other, kind))
                inserts.append(
                    {"household_id": hid, "other_household_id": other, "kind": kind, "found_at": at}
                )
                events.append(
                    {
                        "kind": "duplicate",
                        "officer_id": officer_id,
                        "household_id": hid,
                        "at": at,
                        "detail": {"kind": kind, "other_household_id": other},
                    }
                )
        repo.insert_rows(conn, duplicates, inserts)
        if counts:
            conn.execute(
                _COUNT_DUPLICATE,
                [
                    {"b_hid": h, "b_other": o, "b_kind": k, "b_n": n}
                    for (h, o, k), n in counts.items()
                ],
            )
        return events
