"""Frozen copy of the server schema as the last release before Alembic made it: the tables and
the three migrations of sync/server/db.py at commit 147f35e, unchanged. Tests build a database
with it to check that an existing province database upgrades in place. Never edit it: it is
what is out there, not what the code wants now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

from sync.server import DatabaseTooNew, NotInitialised


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on both databases (timestamptz on PostgreSQL; sortable
    text on SQLite, so comparisons in SQL work there too)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC time")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# -- tables -------------------------------------------------------------------------------------

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
ID = String(36)  # random UUIDs
AREA = String(13)  # Kemendagri dotted code, up to desa: 62.01.01.2001
KEY_ID = String(32)


def _at(name: str, nullable: bool = False) -> Column:
    return Column(name, UtcDateTime(), nullable=nullable)


schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    _at("applied_at"),
)

# Keys wrapped with Argon2id(passphrase) (keys.py). Several rows per kind; one active.
server_keys = Table(
    "server_keys", metadata,
    Column("key_id", KEY_ID, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("public_key", LargeBinary),  # province keys only
    Column("kdf", String(200), nullable=False),
    Column("salt", LargeBinary, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    _at("created_at"),
    _at("retired_at", nullable=True),
    CheckConstraint("kind IN ('province', 'data', 'blind_index')", name="kind"),
)
Index(
    "ux_server_keys_active_kind", server_keys.c.kind, unique=True,
    sqlite_where=server_keys.c.active, postgresql_where=server_keys.c.active,
)

officers = Table(
    "officers", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    _at("created_at"),
)

officer_areas = Table(
    "officer_areas", metadata,
    Column("officer_id", ID, ForeignKey("officers.id"), primary_key=True),
    Column("area_code", AREA, primary_key=True, index=True),
)

# Only the SHA-256 of a code is stored; the code itself is shown once.
enroll_codes = Table(
    "enroll_codes", metadata,
    Column("code_hash", LargeBinary(32), primary_key=True),
    Column("officer_id", ID, ForeignKey("officers.id"), nullable=False, index=True),
    _at("created_at"),
    _at("expires_at"),
    _at("used_at", nullable=True),
)

devices = Table(
    "devices", metadata,
    Column("id", ID, primary_key=True),
    Column("officer_id", ID, ForeignKey("officers.id"), nullable=False, index=True),
    Column("public_key", LargeBinary(32), nullable=False, unique=True),  # Ed25519
    Column("enroll_code_hash", LargeBinary(32), ForeignKey("enroll_codes.code_hash"),
           nullable=False, unique=True),
    _at("enrolled_at"),
    _at("revoked_at", nullable=True),
    Column("pull_cursor", BigInteger, nullable=False, server_default="0"),  # last acknowledged
    Column("escrow_key_id", KEY_ID),  # the laptop's data key, HPKE-sealed to the province key
    Column("escrow_blob", LargeBinary),
    _at("escrow_at", nullable=True),
)

# Signed-request nonces seen recently (docs/sync.md: replays are refused for 30 minutes).
request_nonces = Table(
    "request_nonces", metadata,
    Column("device_id", ID, ForeignKey("devices.id"), primary_key=True),
    Column("nonce", String(32), primary_key=True),
    _at("seen_at"),
    Index(None, "seen_at"),
)

households = Table(
    "households", metadata,
    Column("id", ID, primary_key=True),
    Column("officer_id", ID, ForeignKey("officers.id"), nullable=False, index=True),
    Column("kode_desa", AREA, nullable=False, index=True),
    Column("kode_kab", String(5), nullable=False),  # regency (kabupaten/kota)
    Column("revision", Integer, nullable=False),  # the current version
    Column("content_hash", LargeBinary(32), nullable=False),
    Column("status", String(16), nullable=False, server_default="received"),
    Column("status_reason", String(64)),  # a reason code, never free text
    Column("card_number", String(32), unique=True),
    Column("conflict", Boolean, nullable=False, server_default=false()),
    _at("received_at"),
    _at("updated_at"),
    _at("status_at"),
    CheckConstraint("status IN ('received', 'verified', 'rejected')", name="status"),
    Index(None, "kode_kab", "status"),
)

# Every distinct content received for (id, revision): a conflict keeps both.
household_versions = Table(
    "household_versions", metadata,
    Column("household_id", ID, ForeignKey("households.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("content_hash", LargeBinary(32), primary_key=True),  # SHA-256 of the plaintext
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id"), nullable=False),
    Column("content", LargeBinary, nullable=False),  # AES-256-GCM, bound to the three above
    Column("device_id", ID, ForeignKey("devices.id"), nullable=False, index=True),
    Column("batch_id", String(64)),
    _at("received_at"),
)

# HMAC(blind-index key, "nik:<NIK>" / "kk:<KK>")[:16], for province-wide duplicate checks.
blind_index = Table(
    "blind_index", metadata,
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id"), primary_key=True),
    Column("token", LargeBinary(16), primary_key=True),
    Column("household_id", ID, ForeignKey("households.id"), primary_key=True, index=True),
    Column("kind", String(3), nullable=False),
    CheckConstraint("kind IN ('nik', 'kk')", name="kind"),
)

duplicates = Table(
    "duplicates", metadata,
    Column("household_id", ID, ForeignKey("households.id"), primary_key=True),
    Column("other_household_id", ID, ForeignKey("households.id"), primary_key=True),
    Column("kind", String(3), primary_key=True),
    Column("matches", Integer, nullable=False, server_default="1"),
    _at("found_at"),
    _at("cleared_at", nullable=True),
    CheckConstraint("kind IN ('nik', 'kk')", name="kind"),
)

# What devices pull: seq comes from `counters`, so it grows in commit order (repo.append_change).
changes = Table(
    "changes", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("officer_id", ID, ForeignKey("officers.id")),
    Column("device_id", ID, ForeignKey("devices.id")),  # set: for that device only
    Column("household_id", ID, ForeignKey("households.id")),
    Column("revision", Integer),
    Column("detail", Text),  # JSON of ids and codes only
    _at("at"),
    CheckConstraint("kind IN ('status', 'duplicate', 'assignment')", name="kind"),
    Index(None, "officer_id", "seq"),
    Index(None, "device_id", "seq"),
    Index(None, "household_id", "seq"),
)

counters = Table(
    "counters", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Processed upload batches: the same batch id again returns the stored result.
batches = Table(
    "batches", metadata,
    Column("device_id", ID, ForeignKey("devices.id"), primary_key=True),
    Column("batch_id", String(64), primary_key=True),
    Column("households", Integer, nullable=False),
    Column("result", Text),  # JSON: ids, revisions, outcomes, reason codes
    _at("received_at"),
)

# Province administrators (the export download): only the SHA-256 of a token is stored.
admins = Table(
    "admins", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    _at("created_at"),
    _at("revoked_at", nullable=True),
)

# Who did what on the server (exports, admin changes): ids, codes and counts, never content.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _at("at"),
    Column("actor", String(64), nullable=False),  # "server-cli" or "admin:<id>"
    Column("action", String(32), nullable=False),
    Column("detail", Text),  # JSON: counts, filters, options
    Index(None, "at"),
)

# DTSEN candidate families (issue 6): pre-filled households the province assigns to the officer
# whose areas hold their desa. Found again on re-import by the KK's blind-index token; content
# sealed with the data key like household versions. officer_id NULL: no officer covers the desa.
candidates = Table(
    "candidates", metadata,
    Column("id", ID, primary_key=True),
    Column("kk_key_id", KEY_ID, ForeignKey("server_keys.key_id"), nullable=False),
    Column("kk_token", LargeBinary(16), nullable=False),
    Column("kode_desa", AREA, nullable=False, index=True),
    Column("kode_kab", String(5), nullable=False),
    Column("officer_id", ID, ForeignKey("officers.id"), index=True),
    Column("revision", Integer, nullable=False),  # grows with each change the province makes
    Column("content_hash", LargeBinary(32), nullable=False),
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id"), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("dtsen_hash", LargeBinary(32), nullable=False),  # of the list's own rows: re-import
    _at("imported_at"),
    _at("updated_at"),
    UniqueConstraint("kk_key_id", "kk_token"),
)

# A household whose desa moved to another officer: the previous officer's laptop may still
# push its unsent edits for it (docs/sync.md, "Reassignment").
handovers = Table(
    "handovers", metadata,
    Column("household_id", ID, primary_key=True),
    Column("from_officer_id", ID, ForeignKey("officers.id"), primary_key=True),
    _at("at"),
)

# The device's own HPKE public key: what the province seals candidate households to.
device_box_keys = Table(
    "device_box_keys", metadata,
    Column("device_id", ID, ForeignKey("devices.id"), primary_key=True),
    Column("public_key", LargeBinary, nullable=False),
    _at("set_at"),
)


# -- migrations (as 147f35e ran them) -------------------------------------------------------------

Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(conn: Connection) -> None:
    # Created from the table objects above. Before changing one of these tables later, copy its
    # version-1 definition into this function; otherwise a fresh database would get the new
    # shape here and the new migration would fail on it (tests/server/test_migrations.py).
    names = (
        "server_keys", "officers", "officer_areas", "enroll_codes", "devices", "request_nonces",
        "households", "household_versions", "blind_index", "duplicates", "changes", "counters",
        "batches",
    )
    metadata.create_all(conn, tables=[metadata.tables[n] for n in names], checkfirst=False)
    conn.execute(insert(counters).values(name="changes", value=0))


@migration
def m002_admins_audit(conn: Connection) -> None:
    metadata.create_all(conn, tables=[admins, audit_log], checkfirst=False)


@migration
def m003_candidates(conn: Connection) -> None:
    metadata.create_all(conn, tables=[candidates, handovers, device_box_keys], checkfirst=False)


def migrate(engine: Engine, *, create: bool = True) -> int:
    """147f35e's migrate(), less the advisory lock: how that release opened a database."""
    with engine.begin() as conn:
        if not inspect(conn).has_table("schema_migrations"):
            if not create:
                raise NotInitialised(db=str(engine.url))
            schema_migrations.create(conn)
        done = set(conn.scalars(select(schema_migrations.c.version)))
        if max(done, default=0) > len(MIGRATIONS):
            raise DatabaseTooNew(version=max(done), supported=len(MIGRATIONS))
        for version, fn in enumerate(MIGRATIONS, start=1):
            if version not in done:
                fn(conn)
                conn.execute(
                    insert(schema_migrations).values(
                        version=version, name=fn.__name__, applied_at=utc_now()
                    )
                )
    return len(MIGRATIONS)
