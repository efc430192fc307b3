"""Errors a user may see. Each carries a message key and safe parameters (ids, counts, field
names), never personal data, so str(error) is fit for logs and tracebacks alike."""

from __future__ import annotations

from app.i18n import tr


class KhbsError(Exception):
    key = "error.generic"

    def __init__(self, **params: object):
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        return tr(self.key, lang, **self.params)


class StoreExists(KhbsError):
    key = "error.store_exists"


class StoreNotFound(KhbsError):
    key = "error.store_not_found"


class WrongPassphrase(KhbsError):
    key = "error.wrong_passphrase"

    def message(self, lang: str | None = None) -> str:
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


class StaleRevision(KhbsError):
    key = "error.stale_revision"


class NotFinalisable(KhbsError):
    key = "error.not_finalisable"


class StoreTooNew(KhbsError):
    key = "error.store_too_new"


class StoreTampered(KhbsError):
    """The keyring row is out of any value this app writes (e.g. an Argon2id cost raised to
    hang unlock): refused before the key derivation runs. `part` names the column."""

    key = "error.store_tampered"
