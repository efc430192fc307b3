"""The encrypted local store: one SQLite file per device, personal data sealed per record.

Names are loaded on first use, so the desktop app can show its unlock screen before paying
for cryptography and sqlite-utils imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.policy import MIN_PASSPHRASE  # shared with the server's keys (app/policy.py)

FILENAME = "khbs.db"
PENDING = "pending"  # sync state of a final household waiting in the outbox
PURGED = "purged"  # only a stub is kept: the full record left after retention (retention.py)

if TYPE_CHECKING:
    from app.store.store import HouseholdRow, Store, VerifyReport

__all__ = ["FILENAME", "MIN_PASSPHRASE", "HouseholdRow", "Store", "VerifyReport"]


def __getattr__(name: str):
    if name in ("HouseholdRow", "Store", "VerifyReport"):
        from app.store import store

        return getattr(store, name)
    raise AttributeError(name)
