"""Errors a user may see. Each carries a message key and safe parameters (ids, counts, field
names), never personal data, so str(error) is fit for logs and tracebacks alike."""

from __future__ import annotations

from typing import Any

from app.i18n import catalogue, tr


class KhbsError(Exception):
    key = "error.generic"

    def __init__(self, **params: object):
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None, *, app: bool = False) -> str:
        return tr(for_app(self.key, app), lang, **self.params)


def for_app(key: str, app: bool) -> str:
    """The message the desktop app shows: `<key>.app` where the command line's sentence names
    a command or an option (`khbs verify`, `--ca-bundle`) the officer has no use for."""
    return f"{key}.app" if app and f"{key}.app" in catalogue() else key


class StoreExists(KhbsError):
    key = "error.store_exists"


class StoreNotFound(KhbsError):
    key = "error.store_not_found"


class WrongPassphrase(KhbsError):
    key = "error.wrong_passphrase"

    def message(self, lang: str | None = None, *, app: bool = False) -> str:
        if self.params.get("seconds"):
            return tr("error.wrong_passphrase_wait", lang, **self.params)
        return tr(self.key, lang, **self.params)


class WrongRecoveryCode(KhbsError):
    """A mistyped recovery code, or one made for another laptop."""

    key = "error.recovery_code"


class LockedOut(KhbsError):
    key = "error.locked_out"


class WeakPassphrase(KhbsError):
    key = "error.weak_passphrase"


class RecordDamaged(KhbsError):
    key = "error.record_damaged"


class RecordNotFound(KhbsError):
    key = "error.record_not_found"


class RecordPurged(RecordNotFound):
    """Only the household's stub is on this laptop: its retention period ended."""

    key = "error.record_purged"


class StaleRevision(KhbsError):
    key = "error.stale_revision"


class NotFinalisable(KhbsError):
    key = "error.not_finalisable"
    result: Any = None  # the rules.Result, attached for the form to show every issue


class QuestionnaireDamaged(KhbsError):
    """A questionnaire version kept on the laptop whose province signature no longer holds
    (changed outside the app), or that cannot be read."""

    key = "error.questionnaire_damaged"


class StoreTooNew(KhbsError):
    key = "error.store_too_new"


class StoreTampered(KhbsError):
    """The keyring row is out of any value this app writes (e.g. an Argon2id cost raised to
    hang unlock): refused before the key derivation runs. `part` names the column."""

    key = "error.store_tampered"


# -- the store's file and disk ------------------------------------------------------------------
# What SQLite or the operating system reported, said so the officer knows what happened and what
# is safe. `saving=True` means it happened inside a write transaction that SQLite rolled back:
# the change is not saved and what was saved before is intact. Only then does a message say so.


class StoreProblem(KhbsError):
    read_key = ""  # the message when nothing was being saved (opening or reading)
    reason_key = "reason.store"  # a short phrase, for "could not write the audit entry: ..."

    def __init__(self, *, saving: bool = False, **params: object):
        self.saving = saving
        super().__init__(**params)

    def message(self, lang: str | None = None, *, app: bool = False) -> str:
        key = self.key if self.saving or not self.read_key else self.read_key
        return tr(for_app(key, app), lang, **self.params)


class DiskFull(StoreProblem):
    key = "error.disk_full"
    read_key = "error.disk_full_read"
    reason_key = "reason.disk_full"


class StoreDamaged(StoreProblem):
    """With `path`: refused when opened (empty, cut short, not SQLite, not a KHBS store), so not
    changed. Without: found damaged while in use (SQLITE_CORRUPT / NOTADB). Neither message
    claims that nothing was lost."""

    key = "error.store_corrupt"

    def message(self, lang: str | None = None, *, app: bool = False) -> str:
        key = "error.store_damaged" if self.params.get("path") else self.key
        return tr(for_app(key, app), lang, **self.params)


class StoreInUse(StoreProblem):
    """Another process holds the store's write lock (app/store/lock.py): nothing was written."""

    key = "error.store_in_use"
    reason_key = "reason.in_use"

    def message(self, lang: str | None = None, *, app: bool = False) -> str:
        if self.params.get("pid"):
            return tr(for_app(self.key, app), lang, **self.params)
        return tr(for_app("error.store_in_use_unknown", app), lang)


class StoreBusy(StoreProblem):
    """SQLite's own lock (SQLITE_BUSY / LOCKED) held longer than the busy timeout."""

    key = "error.store_busy"
    read_key = "error.store_busy_read"
    reason_key = "reason.in_use"


class StoreReadOnly(StoreProblem):
    key = "error.store_readonly"
    read_key = "error.store_readonly_read"
    reason_key = "reason.read_only"


class StoreIOError(StoreProblem):
    """A disk error that is not lack of space: the disk or its cable may be failing."""

    key = "error.store_io"
    read_key = "error.store_io_read"


# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_FULL, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_NOTADB = 13, 10, 11, 26
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_PERM, _SQLITE_CANTOPEN = 5, 6, 8, 3, 14
LOW_SPACE = 1 << 20  # below this much free space a disk I/O error is taken as "disk full"


def out_of_space(folder: object) -> bool:
    """True when the file system holding `folder` has (almost) no space left for this user."""
    import shutil

    try:
        return shutil.disk_usage(str(folder)).free < LOW_SPACE
    except OSError:
        return False


def classify(exc: BaseException, *, path: object = None, saving: bool = False) -> KhbsError | None:
    """The KhbsError for a failure SQLite or the OS reported about the store, or None when it is
    not one. `path`: the database file, to tell a disk I/O error on a full disk from a failing
    disk; `saving`: the failure rolled back a write transaction (see StoreProblem)."""
    import errno
    import sqlite3
    from pathlib import Path

    if isinstance(exc, KhbsError):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None:  # not from the library itself (e.g. a closed connection)
            return None
        primary = code & 0xFF
        if primary == _SQLITE_FULL:
            return DiskFull(saving=saving)
        if primary == _SQLITE_IOERR:
            if path is not None and out_of_space(Path(str(path)).parent):
                return DiskFull(saving=saving)
            return StoreIOError(saving=saving)
        if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            return StoreDamaged(saving=saving)
        if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return StoreBusy(saving=saving)
        if primary in (_SQLITE_READONLY, _SQLITE_PERM, _SQLITE_CANTOPEN):
            return StoreReadOnly(saving=saving)
        return None
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFull(saving=saving)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return StoreReadOnly(saving=saving)
    return None


def user_message(exc: BaseException, lang: str | None = None, *, app: bool = False) -> str:
    """Any exception as one sentence for the officer: its own message for a KhbsError, the
    store failure it stands for (disk full, damaged file, in use, read-only), or a generic line
    naming only the exception's type. Never the exception's text: it could hold a value from a
    record. `app`: the desktop app's wording, with no command-line instructions."""
    known = classify(exc)
    if known is not None:
        return known.message(lang, app=app)
    return tr("cli.unexpected", lang, kind=type(exc).__name__)
