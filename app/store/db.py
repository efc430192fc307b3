"""Opening the local SQLite file with the settings durability and privacy depend on.

An existing store is opened only if it is one: an empty, cut-short or foreign file is refused
before SQLite may write to it (a 0-byte file would otherwise become an empty schema). Write
transactions take SQLite's write lock at BEGIN (BEGIN IMMEDIATE), so what a transaction checks
(a revision, the blind index of NIK/KK) cannot change before it writes; a failure in one is
reported as the store failure it is (app/errors.classify), after SQLite rolled it back.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlite_utils import Database

from app.errors import StoreDamaged, StoreNotFound, classify, out_of_space
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

SQLITE_HEADER = b"SQLite format 3\x00"
KHBS_TABLES = {"meta", "keyring"}


class StoreDatabase(Database):
    """sqlite_utils' Database with write transactions that start with the write lock.

    `writer=False` (a store opened for reading: status, verify, dump, export) refuses atomic()
    unless `reader_ok=True`, which the store uses only for audit entries and the unlock
    counters. `before_write` runs before each outermost write transaction (the store writes
    audit entries it had to defer there, in their own transaction)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, **kwargs) -> None:
        super().__init__(conn, **kwargs)
        self.path = path
        self.writer = True
        self.before_write: Callable[[], object] | None = None

    @contextlib.contextmanager
    def atomic(self, *, reader_ok: bool = False) -> Iterator[StoreDatabase]:
        if not (self.writer or reader_ok):
            raise RuntimeError("store opened for reading: open it for writing to change it")
        if self.conn.in_transaction:  # nested: a savepoint inside the outer transaction
            with super().atomic():
                yield self
            return
        if self.before_write is not None:
            hook, self.before_write = self.before_write, None
            try:
                hook()
            finally:
                self.before_write = hook
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._failure(exc) from None
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolls an unfinished transaction back on the next open
            if isinstance(exc, sqlite3.Error):
                raise self._failure(exc) from None
            raise

    def _failure(self, exc: sqlite3.Error) -> BaseException:
        return classify(exc, path=self.path, saving=True) or exc


def connect(path: Path, *, create: bool = False) -> StoreDatabase:
    """Open and migrate. Transactions are explicit: db.atomic().

    `create=True` makes a new database at `path` (Store.create builds one under a temporary
    name). Otherwise the file must already be a KHBS store, or StoreDamaged is raised and the
    file is left as it was."""
    path = Path(path)
    if create:
        is_new = not path.exists()
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        if is_new and os.name == "posix":
            os.chmod(path, 0o600)
    else:
        check_file(path)
        conn = _open_existing(path)
    db = StoreDatabase(conn, path, execute_plugins=False)
    try:
        for pragma in PRAGMAS:
            db.execute(pragma)
        migrate(db)
    except sqlite3.Error as exc:
        conn.close()
        raise classify(exc, path=path) or exc from None
    except BaseException:
        conn.close()
        raise
    return db


def check_file(path: Path) -> None:
    """Raise StoreDamaged (path only) unless `path` looks like a whole SQLite database: not
    empty, the SQLite header, whole pages and at least as many as the header says. Read only.

    A writer's checkpoint writes page 1 (with the new page count) before the pages after it,
    so a file may look short for a moment while another process extends it: a short file is
    only refused when no WAL holds pages for it and it stays short."""
    for attempt in range(3):
        problem = _file_problem(path)
        if problem is None:
            return
        if problem == "short":
            if _wal_has_frames(path):
                return  # SQLite reads it with the WAL and reports real damage itself
            if attempt < 2:
                time.sleep(0.1)
                continue
        raise StoreDamaged(path=str(path))


def _file_problem(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(100)
    except FileNotFoundError:
        raise StoreNotFound(path=str(path)) from None
    except OSError as exc:
        raise classify(exc, path=path) or exc from None
    if size == 0 or len(head) < 100 or not head.startswith(SQLITE_HEADER):
        return "not a database"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "not a database"
    pages = int.from_bytes(head[28:32], "big")
    count_is_valid = head[24:28] == head[92:96]  # SQLite's rule for trusting the page count
    if size % page_size or (count_is_valid and size < pages * page_size):
        return "short"
    return None


def _wal_has_frames(path: Path) -> bool:
    try:
        return path.with_name(path.name + "-wal").stat().st_size > 32  # more than its header
    except OSError:
        return False


def _open_existing(path: Path) -> sqlite3.Connection:
    """Open read-write without creating, and check it is a KHBS store before anything is
    written (a journal-mode pragma would change a foreign file's header).

    A WAL database needs its shared-memory file (-shm) to be 32 KiB; on a full disk SQLite
    cannot grow it and even reading fails. Then the connection is opened again in exclusive
    locking mode, where SQLite keeps that index in its own memory: reading works, and this
    connection holds the file until it closes (another process waits or is told it is busy)."""
    uri = path.resolve().as_uri() + "?mode=rw"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        tables = _tables(conn)
    except sqlite3.OperationalError as exc:
        conn.close()
        if not out_of_space(path.parent):
            raise _open_failure(exc, path) from None
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            tables = _tables(conn)
        except sqlite3.Error as again:
            conn.close()
            raise _open_failure(again, path) from None
    except sqlite3.Error as exc:
        conn.close()
        raise _open_failure(exc, path) from None
    if not KHBS_TABLES <= tables:
        conn.close()
        raise StoreDamaged(path=str(path))
    return conn


def _open_failure(exc: sqlite3.Error, path: Path) -> BaseException:
    found = classify(exc, path=path)
    if isinstance(found, StoreDamaged):
        return StoreDamaged(path=str(path))  # refused at opening: nothing was written to it
    return found or exc


def _tables(conn: sqlite3.Connection) -> set[str]:
    conn.execute("PRAGMA busy_timeout = 10000")
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
