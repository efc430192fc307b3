"""Key escrow at the province: which laptop's data key the server keeps, and turning it back into
a recovery code when an officer forgets the passphrase (docs/security.md, "Forgotten passphrase").

An escrow blob is the laptop's data key HPKE-sealed to the province key with info
`khbs/escrow/v1|<store id>`. Anyone holding the province *public* key can seal any key under any
store id, so a blob proves nothing by itself. What the server trusts instead is the device: a
device may escrow only the store it registered (at enrollment, or on a legacy device's first
claim), and a device that registered a store later may not escrow another key for it than an
earlier one holds. Recovery refuses to choose when the blobs for a store id open to different
keys.

Only the province private key opens a blob; the laptop proves nothing when it calls, so the
operator checks who is calling before running `khbs-server device recover`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, or_, select, update

from app.recovery import KEY_BYTES, format_code
from sync.protocol import escrow_info
from sync.server.admins import audit
from sync.server.db import devices, utc_now
from sync.server.keys import ServerKeys


class NoEscrow(LookupError):
    """No enrolled laptop has sent an escrow blob for this store id (or the chosen device
    holds none for it)."""


class AmbiguousEscrow(LookupError):
    """The escrow blobs for one store id open to different keys: at most one is the laptop's,
    and the server cannot tell which. `holders`: (device id, officer id) of each."""

    def __init__(self, store_id: str, holders: list[tuple[str, str]], others: int = 0):
        super().__init__(store_id)
        self.store_id = store_id
        self.holders = holders
        self.others = others  # holders outside the asking user's scope, not named


def open_escrow(
    keys: ServerKeys, key_id: str | None, blob: bytes | None, store_id: str
) -> bytes | None:
    """The data key in `blob` if it was sealed for `store_id` with a province key this server
    holds; otherwise None."""
    if blob is None or key_id not in keys.secrets["province"]:
        return None
    try:
        key = keys.province_key(key_id).open(bytes(blob), escrow_info(store_id))
    except (InvalidTag, ValueError):  # sealed for another store id, or not a blob at all
        return None
    return key if len(key) == KEY_BYTES else None


# -- push: what a device may escrow ---------------------------------------------------------------


def keep_escrow(
    conn: Connection, keys: ServerKeys, device_id: str, key_id: str, blob: bytes, claim: str | None
) -> bool:
    """Keep a device's escrow blob if it seals its own store's key; True when kept. A refusal is
    audited (device id and a reason code) and changes nothing. `claim`: the store id the push
    named, which binds a device enrolled before store ids were registered (first claim wins).
    Run it inside the ingest transaction, under its lock: the checks and the write are one."""
    me = conn.execute(
        select(devices.c.store_id, devices.c.enrolled_at).where(devices.c.id == device_id)
    ).one()
    reason, rivals = _check(conn, keys, device_id, me.store_id, me.enrolled_at, key_id, blob, claim)
    actor = f"device:{device_id}"
    if reason is not None:
        audit(conn, actor, "escrow.refused", {"device_id": device_id, "reason": reason})
        return False
    values = {"escrow_key_id": key_id, "escrow_blob": blob, "escrow_at": utc_now()}
    if me.store_id is None:
        values["store_id"] = claim
        audit(conn, actor, "escrow.bind", {"device_id": device_id})
    if rivals:  # recovery now refuses this store until the administrator chooses (--device)
        audit(conn, actor, "escrow.conflict", {"device_id": device_id, "other_device_ids": rivals})
    conn.execute(update(devices).where(devices.c.id == device_id).values(**values))
    return True


def _check(
    conn: Connection,
    keys: ServerKeys,
    device_id: str,
    bound: str | None,
    enrolled_at,
    key_id: str,
    blob: bytes,
    claim: str | None,
) -> tuple[str | None, list[str]]:
    """(refusal reason or None, devices registered later that hold another key)."""
    if bound is not None and claim is not None and claim != bound:
        return "store_mismatch", []  # a genuine laptop never changes its store id
    store_id = bound or claim
    if store_id is None:
        return "no_store_id", []  # a legacy laptop that does not say which store it is
    others = conn.execute(
        select(
            devices.c.id, devices.c.enrolled_at, devices.c.escrow_key_id, devices.c.escrow_blob
        ).where(devices.c.store_id == store_id, devices.c.id != device_id)
    ).all()
    if bound is None and others:
        return "store_taken", []  # first claim wins; another device registered it before
    key = open_escrow(keys, key_id, blob, store_id)
    if key is None:
        return "foreign", []  # not this store's key: sealed for another store id, or garbage
    # The same laptop enrolled again shares its store id and its key. A different key under
    # the same store id is someone's guess at it: refused when it comes from a device that
    # registered the store after the holder did; otherwise (a later device escrowed first)
    # both are kept, and recovery refuses to choose between them.
    rivals = []
    for other in others:
        theirs = open_escrow(keys, other.escrow_key_id, other.escrow_blob, store_id)
        if theirs is None or hmac.compare_digest(theirs, key):
            continue
        if other.enrolled_at < enrolled_at:
            return "key_mismatch", []
        rivals.append(other.id)
    return None, sorted(rivals)


# -- recovery -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Holder:
    device_id: str
    officer_id: str
    key: bytes = field(repr=False)


def _holders(conn: Connection, keys: ServerKeys, store_id: str, officers=None) -> list[_Holder]:
    """Every device whose escrow opens for this store id: those registered for it, and legacy
    devices (no store id registered) whose blob happens to open. Registered devices first, then
    the most recent escrow. `officers`: only devices of these officers (a subquery of ids)."""
    query = select(
        devices.c.id,
        devices.c.officer_id,
        devices.c.store_id,
        devices.c.escrow_key_id,
        devices.c.escrow_blob,
        devices.c.escrow_at,
    ).where(
        devices.c.escrow_blob.is_not(None),
        or_(devices.c.store_id == store_id, devices.c.store_id.is_(None)),
    )
    if officers is not None:
        query = query.where(devices.c.officer_id.in_(officers))
    rows = conn.execute(query)
    found = []
    for row in sorted(
        rows,
        key=lambda r: (r.store_id is None, -(r.escrow_at.timestamp() if r.escrow_at else 0), r.id),
    ):
        key = open_escrow(keys, row.escrow_key_id, row.escrow_blob, store_id)
        if key is not None:
            found.append(_Holder(row.id, row.officer_id, key))
    return found


def recovery_code(
    conn: Connection,
    keys: ServerKeys,
    store_id: str,
    *,
    device_id: str | None = None,
    officers=None,
) -> tuple[str, str]:
    """(device id, recovery code) for the laptop whose store id this is. Several devices may
    hold its escrow (the laptop enrolled again): fine while they hold the same key; different
    keys raise AmbiguousEscrow rather than pick one. `device_id` takes only that device's blob:
    the operator's choice after AmbiguousEscrow, having checked which laptop is calling.

    `officers` (a subquery of officer ids: a console user's scope) limits the devices the code
    may come from, in the query; none of them holding it is NoEscrow, as for an unknown store.
    Without a chosen device, a different key held outside those officers still refuses
    (AmbiguousEscrow naming only the holders inside, with the count of the others)."""
    store_id = store_id.strip().lower()
    holders = _holders(conn, keys, store_id, officers)
    if device_id is not None:
        holders = [h for h in holders if h.device_id == device_id.strip()]
    if not holders:
        raise NoEscrow(store_id)
    everyone = holders
    if officers is not None and device_id is None:
        everyone = _holders(conn, keys, store_id)  # the refusal to choose is province-wide
    if len({h.key for h in everyone}) > 1:
        raise AmbiguousEscrow(
            store_id,
            [(h.device_id, h.officer_id) for h in holders],
            others=len(everyone) - len(holders),
        )
    return holders[0].device_id, format_code(holders[0].key)


# -- upgrade: foreign escrow kept before this check existed ---------------------------------------


@dataclass
class EscrowCheck:
    kept: int = 0  # blobs that open under their device's registered store id
    removed: list[str] = field(default_factory=list)  # device ids whose blob did not
    legacy: list[str] = field(default_factory=list)  # blobs of devices with no store id yet

    def as_dict(self) -> dict:
        return {"kept": self.kept, "removed": self.removed, "legacy": self.legacy}


def check_escrow(conn: Connection, keys: ServerKeys, actor: str) -> EscrowCheck:
    """Remove every escrow blob that does not open under its device's registered store id (kept
    by a server before this check, or written around it), each removal audited. A legacy device's
    blob cannot be checked (its store id is unknown until it claims one) and is only counted.
    The rows are locked (FOR UPDATE on PostgreSQL) so that a push writing a device's escrow
    meanwhile waits, or is waited for and read again, never overwritten by a stale verdict."""
    result = EscrowCheck()
    rows = conn.execute(
        select(devices.c.id, devices.c.store_id, devices.c.escrow_key_id, devices.c.escrow_blob)
        .where(devices.c.escrow_blob.is_not(None))
        .order_by(devices.c.id)
        .with_for_update()
    ).all()
    for row in rows:
        if row.store_id is None:
            result.legacy.append(row.id)
        elif open_escrow(keys, row.escrow_key_id, row.escrow_blob, row.store_id) is not None:
            result.kept += 1
        else:
            conn.execute(
                update(devices)
                .where(devices.c.id == row.id)
                .values(escrow_key_id=None, escrow_blob=None, escrow_at=None)
            )
            audit(conn, actor, "escrow.removed", {"device_id": row.id, "reason": "foreign"})
            result.removed.append(row.id)
    audit(
        conn,
        actor,
        "escrow.check",
        {"kept": result.kept, "removed": len(result.removed), "legacy": len(result.legacy)},
    )
    return result
