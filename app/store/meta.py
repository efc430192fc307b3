"""The store's `meta` table: plaintext settings that are never personal data (the store id, the
pull cursor, when the last sync ran, unlock counters).

Functions of the database connection, for app/store modules (the store writes some before a
Store object exists: at creation, after a wrong passphrase). Everyone else uses
Store.get_meta / set_meta / set_meta_many.
"""

from __future__ import annotations

from sqlite_utils import Database


def get(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def put(db: Database, key: str, value: str) -> None:
    """Inside the caller's transaction."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
