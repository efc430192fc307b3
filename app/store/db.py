"""Opening the local SQLite file with the settings durability and privacy depend on."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from app.store.migrations import migrate

PRAGMAS = (
    # WAL + FULL: a commit that returned survives power loss; a torn write is rolled back.
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    # Freed pages are zeroed, so an old ciphertext or a deleted row does not linger on disk.
    "PRAGMA secure_delete = ON",
    # Sorts and temp tables stay in memory: no temp files beside the database.
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
)


def connect(path: Path) -> Database:
    """Open (creating if needed) and migrate. Transactions are explicit: db.atomic()."""
    is_new = not path.exists()
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    if is_new and os.name == "posix":
        os.chmod(path, 0o600)
    db = Database(conn, execute_plugins=False)
    for pragma in PRAGMAS:
        db.execute(pragma)
    migrate(db)
    return db
