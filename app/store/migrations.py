"""Versioned migrations of the local database. Each is a function run once, in its own
transaction, in the order declared; PRAGMA user_version records how many have run."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from app.errors import StoreTooNew

Migration = Callable[[Database], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: Database) -> None:
    # Plaintext here is limited to ids, desa code, status, revision, timestamps and sync state
    # (docs/security.md). Personal data lives only in the sealed `record` and `summary` blobs.
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE keyring (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            kdf TEXT NOT NULL,
            salt BLOB NOT NULL,
            wrapped_key BLOB NOT NULL,
            key_check BLOB NOT NULL,
            escrow_key_id TEXT,
            escrow_blob BLOB,
            changed_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE households (
            id TEXT PRIMARY KEY,
            revision INTEGER NOT NULL,
            status TEXT NOT NULL,
            kode_desa TEXT,
            sync_state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            record BLOB NOT NULL,
            summary BLOB NOT NULL
        )"""
    )
    db.execute("CREATE INDEX households_status ON households (status)")
    db.execute("CREATE INDEX households_desa ON households (kode_desa)")
    db.execute(
        """CREATE TABLE lookup (
            token BLOB NOT NULL,
            household_id TEXT NOT NULL,
            PRIMARY KEY (token, household_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX lookup_household ON lookup (household_id)")
    db.execute(
        """CREATE TABLE outbox (
            household_id TEXT PRIMARY KEY,
            revision INTEGER NOT NULL,
            queued_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            record_id TEXT,
            revision INTEGER,
            detail TEXT,
            mac BLOB NOT NULL
        )"""
    )
    db.execute("CREATE INDEX audit_record ON audit (record_id, revision)")
    db.execute("CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)")


@migration
def m002_sync_outcome(db: Database) -> None:
    # Why the province did not take a household ("outside_area", "conflict", ...): a code,
    # never personal data, shown beside "needs attention" in the list.
    db.execute("ALTER TABLE households ADD COLUMN sync_reason TEXT")
    db.execute("CREATE INDEX households_sync ON households (sync_state)")


@migration
def m003_province_card_and_duplicates(db: Database) -> None:
    # The card number the province issued identifies a family: sealed (rows.card_aad), NULL
    # until issued. Province-found duplicates keep only their kinds ("kk,nik"), never the
    # numbers or the other household; both outlive later saves (store.save does not list them).
    db.execute("ALTER TABLE households ADD COLUMN card BLOB")
    db.execute("ALTER TABLE households ADD COLUMN province_duplicates TEXT")


@migration
def m004_assigned(db: Database) -> None:
    # Households the province pre-filled from the DTSEN list (app/store/assigned.py). Its
    # versions are sealed (AAD: id, "origin", the province's revision); in plaintext only the
    # revisions, whether a newer version waits for the officer, and whether it was released.
    db.execute(
        """CREATE TABLE assigned (
            household_id TEXT PRIMARY KEY,
            revision INTEGER NOT NULL,
            origin BLOB,
            pending_revision INTEGER,
            pending BLOB,
            released INTEGER NOT NULL DEFAULT 0
        )"""
    )


@migration
def m005_row_macs(db: Database) -> None:
    # HMAC (row key, from the data key) over each row's plaintext columns, so `khbs verify`
    # sees them edited outside the app (integrity.ROW_COLUMNS). A migration runs without the key:
    # rows written before stay NULL until the first unlock signs them (Store._sign_old_rows).
    db.execute("ALTER TABLE households ADD COLUMN mac BLOB")
    db.execute("ALTER TABLE assigned ADD COLUMN mac BLOB")


@migration
def m006_questionnaires(db: Database) -> None:
    # Questionnaire versions the province published (app/store/questionnaires.py), as received:
    # not personal data, so plain, but kept with the province's signature and checked again on
    # every load against the signing key sealed in `secrets`.
    db.execute(
        """CREATE TABLE questionnaires (
            version INTEGER PRIMARY KEY,
            document BLOB NOT NULL,
            signature BLOB NOT NULL,
            key_id TEXT NOT NULL,
            received_at TEXT NOT NULL
        )"""
    )


# Reserved, one per open issue, so parallel changes keep one numbering; each is filled by the
# change that builds it (a laptop never runs an empty one in a release).
@migration
def m007_supervision(db: Database) -> None:
    # The supervision loop (app/store/supervision.py). Per household: the revision a supervisor
    # returned for correction while the return is open, how many decisions the history holds,
    # and the province-wide duplicate cases (ids and codes, JSON); all under the row MAC. Each
    # decision (a return with its comments, a verification, a rejection) is sealed with the
    # record key (AAD: id, revision, "review.<decision>"): comments may name people.
    db.execute(
        """CREATE TABLE supervision (
            household_id TEXT PRIMARY KEY,
            returned_revision INTEGER,
            rounds INTEGER NOT NULL DEFAULT 0,
            cases TEXT,
            mac BLOB
        )"""
    )
    db.execute(
        """CREATE TABLE supervision_rounds (
            household_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            decision TEXT NOT NULL,
            received_at TEXT NOT NULL,
            sealed BLOB NOT NULL,
            PRIMARY KEY (household_id, revision, decision)
        )"""
    )


@migration
def m008_attachments(db: Database) -> None:
    # Photos and signatures (app/store/attachments.py). Image, thumbnail and details (capture
    # time, position, notice version) are sealed, AAD binding household, attachment id and the
    # content's SHA-256; in plaintext only ids, kind, hash, size, times and the upload state.
    # `upload` is the content sealed to the province key while it is being sent (resumable).
    # IF NOT EXISTS: a store set back to an earlier user_version by hand (tests make old
    # formats that way) keeps the table it already has.
    db.execute(
        """CREATE TABLE IF NOT EXISTS attachments (
            id TEXT PRIMARY KEY,
            household_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            sync_state TEXT NOT NULL,
            content BLOB NOT NULL,
            thumbnail BLOB NOT NULL,
            info BLOB NOT NULL,
            upload BLOB,
            mac BLOB
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS attachments_household ON attachments (household_id)")
    db.execute("CREATE INDEX IF NOT EXISTS attachments_sync ON attachments (sync_state)")


@migration
def m009_retention(db: Database) -> None:
    pass  # issue 18


@migration
def m010_record_versions(db: Database) -> None:
    pass  # issue 13


@migration
def m011_field_list(db: Database) -> None:
    pass  # issue 12


def migrate(db: Database) -> int:
    """Bring the database to the latest version; returns the version it is at."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise StoreTooNew(version=current, supported=len(MIGRATIONS))
    for version, fn in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.atomic():
            fn(db)
            db.execute(f"PRAGMA user_version = {version}")
    return len(MIGRATIONS)
