"""The provincial server: storage (SQLite by default, PostgreSQL by URL), keys, the
`khbs-server` CLI and the HTTP API (docs/sync.md).

    settings.py  where the database is (--db, KHBS_DB, or a SQLite file in the data folder)
    db.py        engines and tables (SQLAlchemy Core)
    migrations/  the schema's history as Alembic revisions; migrate() brings a database to head
    keys.py      province key pair, data key and blind-index key, wrapped by the passphrase
    repo.py      officers, enrollment codes, devices, change events, stats
    ingest.py    push: a sealed batch opened, checked and applied in one transaction
    review.py    the supervision loop's queue and decisions; cases.py duplicate cases;
                 cards.py card numbers (docs/supervision.md); review_cli.py their commands
    api/         FastAPI routers (enroll, push, pull, health) and create_app()

The errors below are what a province operator may see: a message key and safe parameters
(ids, codes, counts), never personal data.
"""

from __future__ import annotations

from app.errors import KhbsError


class ServerError(KhbsError):
    key = "server.error"


class BadDatabaseUrl(ServerError):
    key = "server.bad_db_url"


class DatabaseUnreachable(ServerError):
    key = "server.db_unreachable"


class DatabaseTooNew(ServerError):
    key = "server.db_too_new"


class DatabaseNotUpgradable(ServerError):
    key = "server.db_not_upgradable"


class NotInitialised(ServerError):
    key = "server.not_initialised"


class AlreadyInitialised(ServerError):
    key = "server.already_initialised"


class UnknownArea(ServerError):
    key = "server.area_unknown"


class NoArea(ServerError):
    key = "server.area_none"


class AreaOutsideProvince(ServerError):
    key = "server.area_outside"


class BadOfficerName(ServerError):
    key = "server.officer_name"


class UnknownOfficer(ServerError):
    key = "server.officer_unknown"


class UnknownDevice(ServerError):
    key = "server.device_unknown"


class BadDeviceKey(ServerError):
    key = "server.device_key_bad"


class DeviceKeyTaken(ServerError):
    key = "server.device_key_taken"


class EnrollCodeUnknown(ServerError):
    key = "server.code_unknown"


class EnrollCodeExpired(ServerError):
    key = "server.code_expired"


class EnrollCodeUsed(ServerError):
    key = "server.code_used"


class UnknownHousehold(ServerError):
    key = "server.household_unknown"


class BadStatus(ServerError):
    key = "server.status_bad"


class BadReasonCode(ServerError):
    key = "server.reason_bad"


class BadCardNumber(ServerError):
    key = "server.card_bad"


class CardNumberTaken(ServerError):
    key = "server.card_taken"
