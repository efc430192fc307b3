"""The server's storage layer: one SQLAlchemy Core schema on an embedded SQLite file (the default)
or PostgreSQL (the province's production setup, several API processes on one database).

Plaintext columns are ids, area codes, revisions, statuses and reason codes, card numbers,
timestamps, hashes and blind-index tokens. Household content is stored sealed with the server
data key (keys.py); NIK and KK numbers exist only inside it and as keyed blind-index tokens.

SQLite: WAL, synchronous=FULL, foreign keys, secure_delete; every transaction starts with
BEGIN IMMEDIATE, so writers queue on the busy timeout instead of failing half-way (one writer
at a time: several processes are PostgreSQL's job). PostgreSQL: READ COMMITTED; writers that
must not interleave take a transaction-level advisory lock (`advisory_lock`).

The tables below are the schema the code expects; sync/server/migrations (Alembic) builds and
upgrades databases to it, and a test fails when the two differ.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
    func,
    select,
    text,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.types import TypeDecorator

from sync.server import BadDatabaseUrl, DatabaseUnreachable, NotInitialised

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout = 30000",
    "PRAGMA synchronous = FULL",  # with WAL: a commit that returned survives power loss
    "PRAGMA foreign_keys = ON",
    "PRAGMA secure_delete = ON",  # freed pages are zeroed: no old ciphertext lingers
    "PRAGMA temp_store = MEMORY",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


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
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


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


# Keys wrapped with Argon2id(passphrase) (keys.py). Several rows per kind; one active.
server_keys = Table(
    "server_keys",
    metadata,
    Column("key_id", KEY_ID, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("public_key", LargeBinary),  # province and signing keys only
    Column("kdf", String(200), nullable=False),
    Column("salt", LargeBinary, nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    _at("created_at"),
    _at("retired_at", nullable=True),
    CheckConstraint("kind IN ('province', 'data', 'blind_index', 'signing')", name="kind"),
)
Index(
    "ux_server_keys_active_kind",
    server_keys.c.kind,
    unique=True,
    sqlite_where=server_keys.c.active,
    postgresql_where=server_keys.c.active,
)

officers = Table(
    "officers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    _at("created_at"),
)

officer_areas = Table(
    "officer_areas",
    metadata,
    Column("officer_id", ID, ForeignKey("officers.id"), primary_key=True),
    Column("area_code", AREA, primary_key=True, index=True),
)

# Only the SHA-256 of a code is stored; the code itself is shown once.
enroll_codes = Table(
    "enroll_codes",
    metadata,
    Column("code_hash", LargeBinary(32), primary_key=True),
    Column("officer_id", ID, ForeignKey("officers.id"), nullable=False, index=True),
    _at("created_at"),
    _at("expires_at"),
    _at("used_at", nullable=True),
)

devices = Table(
    "devices",
    metadata,
    Column("id", ID, primary_key=True),
    Column("officer_id", ID, ForeignKey("officers.id"), nullable=False, index=True),
    Column("public_key", LargeBinary(32), nullable=False, unique=True),  # Ed25519
    Column(
        "enroll_code_hash",
        LargeBinary(32),
        ForeignKey("enroll_codes.code_hash"),
        nullable=False,
        unique=True,
    ),
    _at("enrolled_at"),
    _at("revoked_at", nullable=True),
    Column("pull_cursor", BigInteger, nullable=False, server_default="0"),  # last acknowledged
    Column("escrow_key_id", KEY_ID),  # the laptop's data key, HPKE-sealed to the province key
    Column("escrow_blob", LargeBinary),
    _at("escrow_at", nullable=True),
    # The laptop store this device belongs to (its escrow may seal only that store's key):
    # registered at enrollment, or on a legacy device's first escrow claim (docs/security.md).
    Column("store_id", ID, index=True),
)

# Signed-request nonces seen recently (docs/sync.md: replays are refused for 30 minutes).
request_nonces = Table(
    "request_nonces",
    metadata,
    Column("device_id", ID, ForeignKey("devices.id"), primary_key=True),
    Column("nonce", String(32), primary_key=True),
    _at("seen_at"),
    Index(None, "seen_at"),
)

# Rate-limit token buckets (sync/server/ratelimit.py), shared by every API process and
# machine on this database. The key is the SHA-256 of kind and device id, admin id or client
# address, so no address is kept. `at`: Unix seconds of the last take; `full_at`: when the
# bucket is full again, after which its row may be forgotten.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key_hash", LargeBinary(32), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("at", Float, nullable=False),
    Column("full_at", Float, nullable=False, index=True),
    Column("granted", Boolean, nullable=False),
)

households = Table(
    "households",
    metadata,
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
    # How the visit of the current version ended (app/visits.py, a code 1-8, not personal
    # data), copied from the record at ingest for the counts by outcome. NULL: received before
    # the column existed.
    Column("visit_outcome", Integer),
    _at("received_at"),
    _at("updated_at"),
    _at("status_at"),
    CheckConstraint("status IN ('received', 'verified', 'rejected')", name="status"),
    Index(None, "kode_kab", "status"),
)

# Every distinct content received for (id, revision): a conflict keeps both.
household_versions = Table(
    "household_versions",
    metadata,
    Column("household_id", ID, ForeignKey("households.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("content_hash", LargeBinary(32), primary_key=True),  # SHA-256 of the plaintext
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id"), nullable=False),
    Column("content", LargeBinary, nullable=False),  # AES-256-GCM, bound to the three above
    # NULL: a revision the province made itself (a family's correction, sync/server/rights.py).
    Column("device_id", ID, ForeignKey("devices.id"), index=True),
    Column("batch_id", String(64)),
    _at("received_at"),
)

# HMAC(blind-index key, "nik:<NIK>" / "kk:<KK>")[:16], for province-wide duplicate checks.
blind_index = Table(
    "blind_index",
    metadata,
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id"), primary_key=True),
    Column("token", LargeBinary(16), primary_key=True),
    Column("household_id", ID, ForeignKey("households.id"), primary_key=True, index=True),
    Column("kind", String(3), nullable=False),
    CheckConstraint("kind IN ('nik', 'kk')", name="kind"),
)

duplicates = Table(
    "duplicates",
    metadata,
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
    "changes",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("officer_id", ID, ForeignKey("officers.id")),
    Column("device_id", ID, ForeignKey("devices.id")),  # set: for that device only
    Column("household_id", ID, ForeignKey("households.id")),
    Column("revision", Integer),
    Column("detail", Text),  # JSON of ids and codes only
    _at("at"),
    # 'questionnaire': a published version, for every device (no officer, no device).
    # 'review', 'case': the supervision loop (sync/server/review.py, cases.py; revision 0009).
    CheckConstraint(
        "kind IN ('status', 'duplicate', 'assignment', 'questionnaire', 'review', 'case')",
        name="kind",
    ),
    Index(None, "officer_id", "seq"),
    Index(None, "device_id", "seq"),
    Index(None, "household_id", "seq"),
    Index(None, "kind", "seq"),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Processed upload batches: the same batch id again returns the stored result.
batches = Table(
    "batches",
    metadata,
    Column("device_id", ID, ForeignKey("devices.id"), primary_key=True),
    Column("batch_id", String(64), primary_key=True),
    Column("households", Integer, nullable=False),
    Column("result", Text),  # JSON: ids, revisions, outcomes, reason codes
    _at("received_at"),
)

# Province administrators (the export download): only the SHA-256 of a token is stored.
admins = Table(
    "admins",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    _at("created_at"),
    _at("revoked_at", nullable=True),
)

# Who did what on the server (exports, officers, devices, admin changes): ids, codes and
# counts, never content. Hash-chained and sealed with a key from the data key (audit.py).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # seq: the chain's order
    _at("at"),
    Column("actor", String(64), nullable=False),  # "server-cli", "admin:<id>", "device:<id>"
    Column("action", String(32), nullable=False),
    Column("detail", Text),  # JSON: counts, filters, options
    Column("officer_id", ID, index=True),  # what the entry is about (scopes it for the console)
    Column("household_id", ID, index=True),
    Column("hash", LargeBinary(32), nullable=False),  # SHA-256 chain over the entries
    Column("key_id", KEY_ID),  # the data key whose audit key sealed it; NULL: before the chain
    Column("mac", LargeBinary(32)),  # HMAC(audit key, hash)
    Index(None, "at"),
)

# DTSEN candidate families (issue 6): pre-filled households the province assigns to the officer
# whose areas hold their desa. Found again on re-import by the KK's blind-index token; content
# sealed with the data key like household versions. officer_id NULL: no officer covers the desa.
candidates = Table(
    "candidates",
    metadata,
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
    "handovers",
    metadata,
    Column("household_id", ID, primary_key=True),
    Column("from_officer_id", ID, ForeignKey("officers.id"), primary_key=True),
    _at("at"),
)

# The device's own HPKE public key: what the province seals candidate households to.
device_box_keys = Table(
    "device_box_keys",
    metadata,
    Column("device_id", ID, ForeignKey("devices.id"), primary_key=True),
    Column("public_key", LargeBinary, nullable=False),
    _at("set_at"),
)


# -- the console (sync/server/console): province, regency and supervisor users in a browser ------

# A person who reads the province's data in the console. The name is also what they log in with
# (`login`: the name folded to lower case and single spaces, unique). The password is Argon2id
# (cost JSON, salt, 32-byte output); NULL until the one-time set-up code is used. The TOTP
# secret is sealed with the data key (AAD khbs/console-totp/v1|<user id>); NULL: TOTP is off.
console_users = Table(
    "console_users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("login", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_kdf", String(200)),
    Column("password_salt", LargeBinary),
    Column("password_hash", LargeBinary(32)),
    Column("totp_key_id", KEY_ID, ForeignKey("server_keys.key_id")),
    Column("totp_secret", LargeBinary),
    Column("totp_last_step", BigInteger),  # each code is accepted once
    _at("created_at"),
    _at("password_at", nullable=True),
    _at("disabled_at", nullable=True),
    CheckConstraint("role IN ('province', 'regency', 'supervisor')", name="role"),
)

# A regency user's kabupaten/kota, a supervisor's kecamatan or desa; none for the province.
console_user_areas = Table(
    "console_user_areas",
    metadata,
    Column("user_id", ID, ForeignKey("console_users.id"), primary_key=True),
    Column("area_code", AREA, primary_key=True),
)

# One-time set-up codes (`khbs-server user add` / `user reset`): only the SHA-256 is stored.
console_setup_codes = Table(
    "console_setup_codes",
    metadata,
    Column("code_hash", LargeBinary(32), primary_key=True),
    Column("user_id", ID, ForeignKey("console_users.id"), nullable=False, index=True),
    _at("created_at"),
    _at("expires_at"),
    _at("used_at", nullable=True),
)

# Logged-in browsers: only the SHA-256 of the cookie's token, so every API process shares them
# and a copy of the database logs nobody in.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", LargeBinary(32), primary_key=True),
    Column("user_id", ID, ForeignKey("console_users.id"), nullable=False, index=True),
    _at("created_at"),
    _at("seen_at"),
)

# Failed logins per user name and per client address (both as SHA-256, so a password typed
# into the name field is not kept): the wait before the next attempt grows with each failure.
console_login_failures = Table(
    "console_login_failures",
    metadata,
    Column("key_hash", LargeBinary(32), primary_key=True),
    Column("failures", Integer, nullable=False),
    _at("last_at"),
    _at("wait_until"),
)

# TOTP recovery codes (issue 14): ten per user, shown once when TOTP is turned on; only their
# SHA-256 is kept (80 random bits each), and each works once instead of an authenticator code.
console_recovery_codes = Table(
    "console_recovery_codes",
    metadata,
    Column("code_hash", LargeBinary(32), primary_key=True),
    Column("user_id", ID, ForeignKey("console_users.id"), nullable=False, index=True),
    _at("created_at"),
    _at("used_at", nullable=True),
)

# Questionnaire versions the province published (sync/server/questionnaires.py): the document as
# signed (compact JSON, not personal data), the signature by the province signing key, and who
# has received it. Version 1 is built into the app and the server, never published.
questionnaires = Table(
    "questionnaires",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", LargeBinary, nullable=False),
    Column("sha256", LargeBinary(32), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id"), nullable=False),
    Column("notes", String(500)),
    _at("published_at"),
    _at("retired_at", nullable=True),
)

# A device that has been sent a version in a pull reply; `seq`, the event it was sent as: once
# the device's pull cursor is past it, the device has applied that page (received it).
questionnaire_receipts = Table(
    "questionnaire_receipts",
    metadata,
    Column("version", Integer, ForeignKey("questionnaires.version"), primary_key=True),
    Column("device_id", ID, ForeignKey("devices.id"), primary_key=True),
    _at("received_at"),
    Column("seq", BigInteger),  # 0013; NULL only for receipts from before it
)


# -- the supervision loop (issue 15: sync/server/review.py, cases.py, cards.py) -------------------

# Every decision on a household, one row per round: verified, returned for correction or
# rejected, on one revision. The note and the comments (free text: may name people) are sealed
# with the data key (AAD khbs/server-review/v1|<household>|<round>|<revision>); the reason is a
# code. decided_by: an audit actor ("user:<id>", "server-cli").
review_rounds = Table(
    "review_rounds",
    metadata,
    Column("household_id", ID, ForeignKey("households.id"), primary_key=True),
    Column("round", Integer, primary_key=True, autoincrement=False),
    Column("revision", Integer, nullable=False),
    Column("decision", String(16), nullable=False),
    Column("reason", String(64)),
    Column("comments", Integer, nullable=False, server_default="0"),
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id")),
    Column("sealed", LargeBinary),
    Column("decided_by", String(64), nullable=False),
    _at("decided_at"),
    CheckConstraint("decision IN ('verified', 'returned', 'rejected')", name="decision"),
    Index(None, "household_id", "revision"),
)

# A province-wide duplicate: two households sharing a NIK or a KK number (household_a sorts
# before household_b). `outcome` is seen from household_a (sync.protocol.CASE_OUTCOMES); every
# decision is kept in case_decisions, so a later one can reverse it. Nothing is deleted.
duplicate_cases = Table(
    "duplicate_cases",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(3), nullable=False),
    Column("household_a", ID, ForeignKey("households.id"), nullable=False, index=True),
    Column("household_b", ID, ForeignKey("households.id"), nullable=False, index=True),
    Column("outcome", String(16), nullable=False, server_default="open"),
    Column("reason", String(64)),
    _at("opened_at"),
    _at("decided_at", nullable=True),
    UniqueConstraint("household_a", "household_b", "kind"),
    CheckConstraint("kind IN ('nik', 'kk')", name="kind"),
    CheckConstraint(
        "outcome IN ('open', 'keep_this', 'keep_other', 'not_duplicate')", name="outcome"
    ),
)

case_decisions = Table(
    "case_decisions",
    metadata,
    Column("case_id", ID, ForeignKey("duplicate_cases.id"), primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(64)),
    Column("decided_by", String(64), nullable=False),
    _at("decided_at"),
)

# Every card number ever issued (households.card_number is the current one). A lost or damaged
# card is replaced: its row stays, with replaced_at and the reason code.
cards = Table(
    "cards",
    metadata,
    Column("card_number", String(32), primary_key=True),
    Column("household_id", ID, ForeignKey("households.id"), nullable=False, index=True),
    Column("kode_kab", String(5), nullable=False),
    Column("issued_by", String(64), nullable=False),
    _at("issued_at"),
    _at("replaced_at", nullable=True),
    Column("replaced_reason", String(64)),
)


# -- privacy (sync/server/privacy.py, docs/privacy.md) -------------------------------------------

# Settings the province sends every laptop with each pull (SettingsEvent), and its own periods:
# `laptop_retention_days`, `province_retention_days`. Numbers, never personal data.
privacy_settings = Table(
    "privacy_settings",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(200), nullable=False),
    _at("updated_at"),
)

# What is left of a household whose personal data was erased (a withdrawal of consent, or the
# province's retention period): its id, desa, the card number (aid already paid must stay
# accountable), when and why, and the KK's blind-index token, so a later DTSEN list naming that
# KK is flagged instead of enrolled again. No NIK, no name, no answers.
tombstones = Table(
    "tombstones",
    metadata,
    Column("household_id", ID, primary_key=True),
    Column("kode_desa", AREA, nullable=False, index=True),
    Column("kode_kab", String(5), nullable=False),
    Column("card_number", String(32)),
    Column("basis", String(16), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    _at("erased_at"),
    Column("kk_key_id", KEY_ID, ForeignKey("server_keys.key_id")),
    Column("kk_token", LargeBinary(16)),
    CheckConstraint("basis IN ('withdrawal', 'retention')", name="basis"),
    Index(None, "kk_key_id", "kk_token"),
)

# A family's request under UU PDP: access, correction, withdrawal. The request's text (what to
# correct, the family's words) may name people: sealed with the data key like household content
# (AAD khbs/rights/v1|<id>). `outcome`: what was done (a code), `revision` the province revision
# a correction made.
rights_requests = Table(
    "rights_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("household_id", ID, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("outcome", String(32)),
    Column("revision", Integer),
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id")),
    Column("content", LargeBinary),
    Column("recorded_by", String(64), nullable=False),
    _at("recorded_at"),
    _at("decided_at", nullable=True),
    CheckConstraint("kind IN ('access', 'correction', 'withdrawal')", name="kind"),
    CheckConstraint("status IN ('open', 'done', 'refused')", name="status"),
)
# Photos and signatures of households (sync/server/attachments.py). Their bytes live in the
# attachment storage (a directory by default), sealed with the data key (AAD: household,
# attachment id, hash); here only what they are. An upload in progress keeps its received
# byte count (its bytes, still sealed to the province key, are a part in the storage).
attachments = Table(
    "attachments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("household_id", ID, ForeignKey("households.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),  # hex SHA-256 of the image
    Column("size", Integer, nullable=False),  # bytes of the image
    Column("key_id", KEY_ID, ForeignKey("server_keys.key_id"), nullable=False),
    Column("device_id", ID, ForeignKey("devices.id"), nullable=False),
    _at("received_at"),
    CheckConstraint("kind IN ('photo', 'signature')", name="kind"),
)

attachment_uploads = Table(
    "attachment_uploads",
    metadata,
    Column("id", ID, primary_key=True),
    Column("household_id", ID, ForeignKey("households.id"), nullable=False),
    Column("device_id", ID, ForeignKey("devices.id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("total", Integer, nullable=False),  # bytes of the sealed upload
    Column("received", Integer, nullable=False),
    _at("started_at"),
    _at("updated_at"),
)


# -- progress counts (issue 14: sync/server/counts.py, revision 0014) ---------------------------

# What the console's dashboard and `stats` read instead of scanning every household: kept by
# database triggers on households and candidates, in the transaction of every change (writers
# do nothing). `slot`: 0 on SQLite (one writer at a time) and for folded rows; on PostgreSQL a
# writing transaction adds its changes in a row of its own (slot = its transaction id), so no
# two writers ever wait for the same count row; counts.fold merges those rows into slot 0.
# Readers always sum over slots.
desa_counts = Table(
    "desa_counts",
    metadata,
    Column("kode_desa", AREA, primary_key=True),
    Column("kode_kab", String(5), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("visit_outcome", Integer, primary_key=True, autoincrement=False),  # 0: unknown
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("households", Integer, nullable=False),
    Column("cards", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    Index(None, "slot"),
)

# Households per officer, desa and WIB day of first receipt (the 14-day chart, the week).
officer_day_counts = Table(
    "officer_day_counts",
    metadata,
    Column("officer_id", ID, primary_key=True),
    Column("kode_desa", AREA, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("households", Integer, nullable=False),
    Index(None, "slot"),
    Index(None, "day"),
)

# Households per officer and desa (each officer's total: as many rows as officers' desa, however
# long the campaign); last_at: the newest content received from the officer there (a max: kept
# through an erasure, as the upload did happen; counts.check allows it to be later).
officer_counts = Table(
    "officer_counts",
    metadata,
    Column("officer_id", ID, primary_key=True),
    Column("kode_desa", AREA, primary_key=True),
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("households", Integer, nullable=False),
    Column("last_at", UtcDateTime()),
    Index(None, "slot"),
)

# DTSEN candidate families listed per desa.
listed_counts = Table(
    "listed_counts",
    metadata,
    Column("kode_desa", AREA, primary_key=True),
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("listed", Integer, nullable=False),
    Index(None, "slot"),
)

# Households with at least one open duplicate warning, per desa (revision 0016). Triggers on
# `duplicates` and on a household's desa changing keep it; a distinct-household count, so every
# transaction that opens, clears or moves a warning's household takes one advisory lock first
# (counts.DUPLICATES_LOCK) and counts from a fresh snapshot (docs/architecture.md).
duplicate_counts = Table(
    "duplicate_counts",
    metadata,
    Column("kode_desa", AREA, primary_key=True),
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("households", Integer, nullable=False),
    Index(None, "slot"),
)


# -- engines ------------------------------------------------------------------------------------


def parse_url(text: str) -> URL:
    try:
        url = make_url(text)
    except ArgumentError:
        raise BadDatabaseUrl() from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    in_memory = url.database in (None, "", ":memory:")
    if url.drivername in ("sqlite", "sqlite+pysqlite") and not in_memory:
        return url
    raise BadDatabaseUrl()


def display(url: URL | str) -> str:
    """The URL without its password, for messages."""
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's begin event emits BEGIN itself
    for pragma in SQLITE_PRAGMAS:
        dbapi_connection.execute(pragma)
    _ensure_wal(dbapi_connection)


def _ensure_wal(dbapi_connection, wait: float = 30.0) -> None:
    """WAL is kept in the file, so this sets it once. Switching needs an exclusive lock, and
    SQLite answers "locked" at once (no busy wait) while another connection of a process that
    started at the same moment holds a transaction: retry until the deadline."""
    deadline = time.monotonic() + wait
    while True:
        try:
            mode = dbapi_connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError:
            mode = "locked"
        if mode.lower() == "wal":
            return
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(f"cannot switch to WAL (journal mode {mode})")
        time.sleep(0.02)


READ_SNAPSHOT = "khbs_read_snapshot"  # execution option: a read-only transaction


def _sqlite_begin(conn: Connection) -> None:
    # A long read (an export) takes a plain BEGIN: a WAL snapshot that does not block writers.
    deferred = conn.get_execution_options().get(READ_SNAPSHOT)
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def make_engine(text: str, *, create: bool = False) -> Engine:
    """An engine for the URL. A SQLite file that does not exist is created (0600, in a 0700
    folder) only when `create`; otherwise that is NotInitialised."""
    url = parse_url(text)
    if url.get_backend_name() == "sqlite" and url.database:  # parse_url refused in-memory ones
        path = Path(url.database)
        if not path.exists():
            if not create:
                raise NotInitialised(db=display(url))
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    event.listen(engine, "connect", _postgresql_connect)
    return engine


def _postgresql_connect(dbapi_connection, _record) -> None:
    """Plans made for each statement's own values. psycopg prepares a statement run five times
    on a connection, and PostgreSQL then keeps one generic plan for it, made without knowing
    the values: for `= ANY(:array)` over tables that were small when it was made (a new
    database, or one not analyzed yet), a sequential scan kept while the tables grow. The
    batch reads of ingest went from 10 to 250 ms a batch at 1,000 households that way.
    Planning each time costs well under a millisecond a statement; parsing stays prepared."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET plan_cache_mode = force_custom_plan")
    cursor.close()
    dbapi_connection.commit()


def open_database(text: str, *, create: bool = False) -> Engine:
    """Engine, reachable and migrated to the latest schema."""
    engine = make_engine(text, create=create)
    try:
        engine.connect().close()
    except OperationalError:
        engine.dispose()
        raise DatabaseUnreachable(db=display(engine.url)) from None
    from sync.server.migrations import migrate  # it imports this module

    try:
        migrate(engine, create=create)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """One consistent read-only view for a long read (an export) while writers carry on:
    SQLite a deferred WAL read transaction, PostgreSQL REPEATABLE READ, READ ONLY."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn.execution_options(**{READ_SNAPSHOT: True})
        with conn.begin():
            yield conn


def _lock_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def advisory_lock(conn: Connection, name: str) -> None:
    """Until this transaction ends, no other transaction gets the same lock. PostgreSQL:
    pg_advisory_xact_lock. SQLite needs nothing: every transaction began IMMEDIATE."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_lock_id(name))))


# advisory_locks spaces of ingest (sync/server/ingest.py `_lock`), taken in this order.
DEVICE_LOCKS, HOUSEHOLD_LOCKS, TOKEN_LOCKS = 1701, 1702, 1703


def lock_key(key: bytes) -> int:
    """A key of advisory_locks as PostgreSQL sees it: its CRC-32, as a signed 32-bit int (a
    lock key needs spread, not secrecy: two keys sharing one only make one wait for the other;
    the tokens hashed here are HMAC outputs already)."""
    return zlib.crc32(key) - 2**31


def advisory_locks(conn: Connection, keys: Iterable[tuple[int, bytes]]) -> None:
    """Many transaction locks at once, in ascending (space, key) order, so two transactions
    that each take what they need this way, in ascending order over their calls, can never
    deadlock. A key is hashed to 32 bits (lock_key): two keys sharing a hash only make one
    wait for the other. `space` (a small int) keeps kinds of keys apart. PostgreSQL's two-key
    advisory locks, a key space apart from advisory_lock's; SQLite: nothing (one writer)."""
    if conn.dialect.name != "postgresql":
        return
    pairs = sorted({(space, lock_key(key)) for space, key in keys})
    if pairs:
        # The sorted subquery feeds the aggregate row by row: the locks are taken in its order.
        conn.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(s, k)) FROM (SELECT s, k FROM"
                " unnest(CAST(:s AS integer[]), CAST(:k AS integer[])) AS u(s, k)"
                " ORDER BY s, k) AS o"
            ),
            {"s": [s for s, _ in pairs], "k": [k for _, k in pairs]},
        )


def try_advisory_lock(conn: Connection, name: str) -> bool:
    """advisory_lock without waiting: False when another transaction holds it (SQLite: True)."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(select(func.pg_try_advisory_xact_lock(_lock_id(name)))).scalar())
