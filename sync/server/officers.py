"""Officers and their devices as a province user manages them, within a Scope (sync/server/
scope.py): the console's officer pages and the `khbs-server officer`, `enroll-code` and
`device revoke` commands (which act with the province scope). Plain functions over a Connection,
each run inside one transaction like repo.py's.

What a scope lets a user do with an officer:
- **see** (list, get): the officer's areas overlap the scope (an officer of "62.71" is seen by a
  supervisor of "62.71.03"; an officer of "62" by everyone);
- **manage** (change areas, enrollment code, revoke a device, recovery code): every area of the
  officer lies inside the scope. An officer who also works elsewhere is the province's to change
  (OfficerOutsideScope); new areas must lie inside the scope too (AreaOutsideScope).
An officer or device the user cannot see is UnknownOfficer / UnknownDevice, the same answer as
for an id that does not exist (the console answers 404). Each condition is part of the query.

Every change is audited (sync/server/audit.py) with the actor, the action and ids, area codes
and counts; never a name, a code or a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, exists, func, select

from sync.server import ServerError, UnknownDevice, UnknownOfficer, counts, privacy, repo
from sync.server.assignments import reassign
from sync.server.audit import audit
from sync.server.db import (
    devices,
    officer_areas,
    officer_day_counts,
    officers,
    request_nonces,
    utc_now,
)
from sync.server.keys import ServerKeys
from sync.server.recovery import AmbiguousEscrow, recovery_code
from sync.server.scope import Scope

REASON_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class OfficerOutsideScope(ServerError):
    """The officer also works outside the user's areas: only a wider scope may change them."""

    key = "server.officer_outside_scope"


class AreaOutsideScope(ServerError):
    key = "server.area_outside_scope"


class BadRecoveryReason(ServerError):
    key = "server.recovery_reason"


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    enrolled_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None  # its last signed request (push, pull, box key)
    escrow: bool  # the province holds its laptop's key escrow


@dataclass(frozen=True)
class OfficerInfo:
    id: str
    name: str
    created_at: datetime
    areas: tuple[str, ...]
    devices: tuple[DeviceInfo, ...]
    # First received on the last 7 WIB days including today (the dashboard's "this week"), in
    # the scope's desa only.
    households_week: int
    manageable: bool  # every area inside the scope

    @property
    def last_sync_at(self) -> datetime | None:
        seen = [d.last_seen_at for d in self.devices if d.last_seen_at is not None]
        return max(seen) if seen else None


# -- the scope as conditions on officers --------------------------------------------------------


def visible(scope: Scope):
    """Subquery: ids of the officers the scope sees (an area overlapping it)."""
    return select(officer_areas.c.officer_id).where(scope.where_overlaps(officer_areas.c.area_code))


def manageable(scope: Scope, officer_id_column):
    """Condition: that officer has no area outside the scope."""
    return ~exists().where(
        officer_areas.c.officer_id == officer_id_column, ~scope.where(officer_areas.c.area_code)
    )


def managed(scope: Scope):
    """Subquery: ids of the officers the scope may change."""
    return select(officers.c.id).where(
        officers.c.id.in_(visible(scope)), manageable(scope, officers.c.id)
    )


def _require_officer(conn: Connection, scope: Scope, officer_id: str) -> None:
    row = conn.execute(
        select(manageable(scope, officers.c.id).label("ok")).where(
            officers.c.id == officer_id, officers.c.id.in_(visible(scope))
        )
    ).first()
    if row is None:
        raise UnknownOfficer(officer_id=repo.shown(officer_id))
    if not row.ok:
        raise OfficerOutsideScope(officer_id=officer_id)


def _require_device(conn: Connection, scope: Scope, device_id: str) -> str:
    """The device's officer id, if the scope may manage that officer."""
    row = conn.execute(
        select(devices.c.officer_id, manageable(scope, devices.c.officer_id).label("ok")).where(
            devices.c.id == device_id, devices.c.officer_id.in_(visible(scope))
        )
    ).first()
    if row is None:
        raise UnknownDevice(device_id=repo.shown(device_id))
    if not row.ok:
        raise OfficerOutsideScope(officer_id=row.officer_id)
    return row.officer_id


def _areas_inside(scope: Scope, areas: Iterable[str]) -> list[str]:
    """Canonical codes, each inside the scope (repo.canonical_area's errors otherwise)."""
    codes = sorted({repo.canonical_area(a) for a in areas})
    for code in codes:
        if not scope.covers(code):
            raise AreaOutsideScope(code=code, areas=", ".join(scope.areas))
    return codes


# -- reading ------------------------------------------------------------------------------------


def list_officers(
    conn: Connection,
    scope: Scope,
    *,
    officer_id: str | None = None,
    clock=utc_now,
) -> list[OfficerInfo]:
    """The officers the scope sees, by name: their areas, devices (with the time of each one's
    last signed request), and the households first received in the scope's desa on the last 7
    WIB days including today, from the progress counts (counts.py; folded first, so call it in
    a transaction that commits), never a scan of the households. Four queries, whatever the
    number of officers."""
    seen = visible(scope)
    query = select(
        officers.c.id,
        officers.c.name,
        officers.c.created_at,
        manageable(scope, officers.c.id).label("manageable"),
    ).where(officers.c.id.in_(seen))
    if officer_id is not None:
        query = query.where(officers.c.id == officer_id)
    rows = conn.execute(query.order_by(officers.c.name, officers.c.id)).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    areas: dict[str, list[str]] = {i: [] for i in ids}
    for officer, area in conn.execute(
        select(officer_areas.c.officer_id, officer_areas.c.area_code)
        .where(officer_areas.c.officer_id.in_(ids))
        .order_by(officer_areas.c.area_code)
    ):
        areas[officer].append(area)
    last_seen = (
        select(func.max(request_nonces.c.seen_at))
        .where(request_nonces.c.device_id == devices.c.id)
        .scalar_subquery()
    )
    owned: dict[str, list[DeviceInfo]] = {i: [] for i in ids}
    for d in conn.execute(
        select(
            devices.c.id,
            devices.c.officer_id,
            devices.c.enrolled_at,
            devices.c.revoked_at,
            devices.c.escrow_blob.is_not(None).label("escrow"),
            last_seen.label("last_seen_at"),
        )
        .where(devices.c.officer_id.in_(ids))
        .order_by(devices.c.enrolled_at, devices.c.id)
    ):
        owned[d.officer_id].append(
            DeviceInfo(d.id, d.enrolled_at, d.revoked_at, d.last_seen_at, bool(d.escrow))
        )
    counts.fold(conn)
    day = officer_day_counts.c
    week: dict[str, int] = dict(
        conn.execute(
            select(day.officer_id, func.sum(day.households))
            .where(
                day.officer_id.in_(ids),
                day.day >= counts.week_start(clock()),
                scope.where(day.kode_desa),
            )
            .group_by(day.officer_id)
        ).all()
    )
    return [
        OfficerInfo(
            r.id,
            r.name,
            r.created_at,
            tuple(areas[r.id]),
            tuple(owned[r.id]),
            int(week.get(r.id) or 0),
            bool(r.manageable),
        )
        for r in rows
    ]


def get_officer(conn: Connection, scope: Scope, officer_id: str, **kw) -> OfficerInfo:
    found = list_officers(conn, scope, officer_id=officer_id, **kw)
    if not found:
        raise UnknownOfficer(officer_id=repo.shown(officer_id))
    return found[0]


# -- changes, each audited ----------------------------------------------------------------------


def add_officer(
    conn: Connection, scope: Scope, actor: str, name: str, areas: Iterable[str]
) -> tuple[str, tuple[str, ...]]:
    """(officer id, areas). Listed families in these areas go to the new officer."""
    codes = _areas_inside(scope, areas)
    officer_id = repo.add_officer(conn, name, codes)
    moved = reassign(conn)["moved"]
    audit(conn, actor, "officer.add", {"officer_id": officer_id, "areas": codes, "moved": moved})
    return officer_id, tuple(codes)


def set_areas(
    conn: Connection, scope: Scope, actor: str, officer_id: str, areas: Iterable[str]
) -> tuple[str, ...]:
    """Replace an officer's areas; their laptops get them at the next sync, and listed families
    follow their desa to whoever covers it now (sync/server/assignments.py, reassign). Both the
    officer's old areas and the new ones lie inside the scope, so what moves does too."""
    _require_officer(conn, scope, officer_id)
    codes = _areas_inside(scope, areas)
    before = repo.areas_of(conn, officer_id)
    now = repo.set_officer_areas(conn, officer_id, codes)
    moved = reassign(conn)["moved"]
    audit(
        conn,
        actor,
        "officer.areas",
        {"officer_id": officer_id, "areas": list(now), "before": list(before), "moved": moved},
    )
    return now


def make_enroll_code(
    conn: Connection, scope: Scope, actor: str, officer_id: str
) -> repo.EnrollCode:
    """A one-time code for a laptop of this officer (72 hours); shown once, never stored."""
    _require_officer(conn, scope, officer_id)
    code = repo.create_enroll_code(conn, officer_id)
    audit(
        conn,
        actor,
        "enroll_code.create",
        {"officer_id": officer_id, "expires_at": code.expires_at.isoformat(timespec="seconds")},
    )
    return code


def revoke_device(
    conn: Connection, scope: Scope, actor: str, device_id: str
) -> tuple[repo.Device, bool]:
    """(device, True) when revoked now; (device, False) when it already was."""
    officer_id = _require_device(conn, scope, device_id)
    device, now = repo.revoke_device(conn, device_id)
    if now:
        audit(conn, actor, "device.revoke", {"device_id": device_id, "officer_id": officer_id})
    return device, now


def device_exposure(
    conn: Connection, keys: ServerKeys, scope: Scope, actor: str, device_id: str
) -> privacy.Exposure:
    """What a device the scope may manage could have held (privacy.exposure, audited),
    counting only the households inside the scope."""
    _require_device(conn, scope, device_id)
    return privacy.exposure(conn, keys, device_id, actor, scope=scope)


@dataclass(frozen=True)
class Recovery:
    """What give_recovery_code found: a code (shown once), or a refusal to choose."""

    device_id: str | None = None
    officer_id: str | None = None
    code: str | None = None
    refused: AmbiguousEscrow | None = None


def give_recovery_code(
    conn: Connection,
    keys: ServerKeys,
    scope: Scope,
    actor: str,
    store_id: str,
    *,
    reason: str,
    device_id: str | None = None,
) -> Recovery:
    """The recovery code of a laptop whose officer forgot the passphrase (docs/security.md,
    "Forgotten passphrase"), from devices the scope may manage only. `reason`: required, a
    short code such as `forgotten_passphrase` or a ticket number (`tiket-2026-0042`), never a
    name. Escrow held by no device in the scope raises recovery.NoEscrow, as an unknown store
    does. Blobs that open to different keys are refused (`refused`, naming the devices in
    the scope) unless `device_id` chooses one. A code and a refusal are both audited; the
    refusal is returned, not raised, so its entry commits with the transaction."""
    if not isinstance(reason, str) or not REASON_RE.fullmatch(reason):
        raise BadRecoveryReason()
    if device_id is not None:
        _require_device(conn, scope, device_id)
    try:
        found, code = recovery_code(
            conn, keys, store_id, device_id=device_id, officers=managed(scope)
        )
    except AmbiguousEscrow as exc:
        audit(
            conn,
            actor,
            "device.recover_refused",
            {"device_ids": [d for d, _ in exc.holders], "others": exc.others, "reason": reason},
        )
        return Recovery(refused=exc)
    officer_id = conn.execute(
        select(devices.c.officer_id).where(devices.c.id == found)
    ).scalar_one()
    audit(
        conn,
        actor,
        "device.recover",
        {
            "device_id": found,
            "officer_id": officer_id,
            "reason": reason,
            "chosen": device_id is not None,
        },
    )
    return Recovery(found, officer_id, code)
