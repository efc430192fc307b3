"""Forgotten passphrase: find the laptop whose escrow blob opens for a store id, and give back
its data key as a recovery code. Only the province private key opens the blob; the laptop
proves nothing, so the operator checks who is calling before running this (docs/security.md)."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, select

from app.recovery import format_code
from app.store.store import escrow_info
from sync.server.db import devices
from sync.server.keys import ServerKeys


class NoEscrow(LookupError):
    """No enrolled laptop has sent an escrow blob for this store id."""


def recovery_code(conn: Connection, keys: ServerKeys, store_id: str) -> tuple[str, str]:
    """(device id, recovery code) for the laptop whose store id this is. The blob is bound to
    the store id (HPKE info), so it opens for exactly one laptop; trying each is cheap."""
    info = escrow_info(store_id.strip().lower())
    rows = conn.execute(
        select(devices.c.id, devices.c.escrow_key_id, devices.c.escrow_blob)
        .where(devices.c.escrow_blob.is_not(None))
    )
    for device_id, key_id, blob in rows:
        if key_id not in keys.secrets["province"]:
            continue
        try:
            key = keys.province_key(key_id).open(bytes(blob), info)
        except (InvalidTag, ValueError):  # another laptop's blob: it does not open
            continue
        return device_id, format_code(key)
    raise NoEscrow(store_id)

