"""One writing process per store: an operating-system lock on a file beside the database.

`khbs.db.lock` holds the owner's pid and what it is ("khbs import", "khbs gui"), so a second
writer is told who has the store. The lock itself is the OS's (flock on POSIX, msvcrt.locking on
Windows): it goes with the process, so a crash or a kill never leaves a stale lock; the file's
text only names the holder. One process may open its own store more than once (tests, create
then open): the lock is counted per process.

On POSIX the file is removed when the last holder releases it. A process that opened the old
file just before it was removed could lock a file nobody else sees, so after locking, the path
must still name the file locked, else it tries again. On Windows an open file cannot be removed:
it stays, and its text is read only while someone holds the lock.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from app.errors import StoreInUse, classify

SUFFIX = ".lock"
_WINDOWS_OFFSET = 1 << 30  # msvcrt locks a byte range: far past the text, which stays readable

_held: dict[str, list] = {}  # lock path -> [fd, count] for this process
_mutex = threading.Lock()


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + SUFFIX)


def acquire(db_path: Path, command: str) -> StoreLock:
    """Take the write lock of the store at `db_path`, or raise StoreInUse naming the holder
    (before anything is written)."""
    path = lock_path(Path(db_path))
    key = os.path.abspath(path)
    with _mutex:
        if key in _held:
            _held[key][1] += 1
            return StoreLock(key)
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise classify(exc) or exc from None
            if not _try_lock(fd):
                pid, what = _read_owner(fd)
                for _ in range(10):  # the holder writes its name just after locking
                    if pid:
                        break
                    time.sleep(0.02)
                    pid, what = _read_owner(fd)
                os.close(fd)
                raise StoreInUse(pid=pid, command=what)
            if _still_there(fd, path):
                break
            os.close(fd)  # removed by its last holder meanwhile: lock the new one
        _write_owner(fd, f"{os.getpid()}\n{command}\n")
        _held[key] = [fd, 1]
        return StoreLock(key)


class StoreLock:
    def __init__(self, key: str) -> None:
        self._key: str | None = key

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        with _mutex:
            entry = _held.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _held[key]
            fd = entry[0]
            if sys.platform != "win32":
                try:
                    os.unlink(key)  # while still locked: nobody can be holding it
                except OSError:
                    pass
            _unlock(fd)
            os.close(fd)


def _read_owner(fd: int) -> tuple[int, str]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace")
    except OSError:
        return 0, ""
    pid, _, command = text.partition("\n")
    return (int(pid) if pid.strip().isdigit() else 0), command.strip()


def _write_owner(fd: int, text: str) -> None:
    """Best effort: on a full disk the lock still holds, only its holder's name is missing.
    Overwritten in place, then cut: a file that had text keeps its block on a full disk."""
    data = text.encode("utf-8")
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    except OSError:
        pass


def _still_there(fd: int, path: Path) -> bool:
    if sys.platform == "win32":
        return True
    try:
        now, mine = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
