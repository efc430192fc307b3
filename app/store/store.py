"""The unlocked store: sealed households, blind indexes, outbox and audit in one SQLite file.

Every change is one transaction that writes the sealed household, its lookup tokens, its outbox
entry (when final) and its audit entry, so after a crash either all of it is there or none.
Each row's plaintext columns carry a MAC (app/store/integrity.py), so `verify` sees them
changed outside the app.
The store persists; it does not judge. Rules run before a save (app/households.py).

Only app/store touches the store's tables and keys; everyone else calls Store's public methods
(the list is in docs/architecture.md; tests/test_store_boundary.py holds the line). Pieces that
need no Store object live beside it: meta.py (settings), keyring.py (key wrap), rows.py (what
the list and export get), integrity.py (row MACs and verify's checks).
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app import questionnaire
from app.crypto import DecryptError, KdfParams, RecordCipher, derive_kek, record_aad, seal
from app.errors import (
    DiskFull,
    LockedOut,
    RecordDamaged,
    RecordNotFound,
    RecordPurged,
    StaleRevision,
    StoreBusy,
    StoreExists,
    StoreNotFound,
    StoreProblem,
    StoreReadOnly,
    WeakPassphrase,
    WrongPassphrase,
    WrongRecoveryCode,
)
from app.province_key import key_id as province_key_id
from app.province_key import seal_to
from app.store import FILENAME, MIN_PASSPHRASE, PENDING, PURGED, lock, meta
from app.store.audit import AuditLog, keep_unwritten, take_unwritten
from app.store.db import StoreDatabase, connect
from app.store.integrity import (
    ROW_COLUMNS,
    ROW_MACS,
    VerifyReport,
    check_plaintext,
    next_mac,
    orphan_attachments,
    rows_signed,
    signed_row,
)
from app.store.keyring import (
    escrow_info,
    key_check_aad,
    keywrap_aad,
    stored_kdf,
    unlock_delay,
    unwrap,
)
from app.store.rows import HouseholdRow, OpenedHousehold, card_aad, list_rows

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Failures that mean "cannot write now" (not a damaged file or a failing disk): an audit entry
# of a read waits in memory for the next write instead (Store.flush_audit, docs/security.md).
CANNOT_WRITE_NOW = (DiskFull, StoreBusy, StoreReadOnly)


def _texts(value: object) -> set[str]:
    """Every text in a record, at any depth (an attachment question's answer is its id)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_texts(v) for v in value)) if value else set()
    return set()


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Store:
    """One unlocked store. Public: opening (create, open, recover, id_of, exists, close),
    households (save, get, records, open_households, rows, rows_for, households_with,
    card_number, queued_revision, status_counts, verify), settings and secrets (get_meta,
    set_meta, set_meta_many, put_secret, get_secret, assigned_areas, set_officer), keys
    (change_passphrase, set_province_key, escrow), the clock (now) and the audit log
    (record_event, flush_audit, audit_unwritten). `db.atomic()` puts several calls into one
    transaction (app/households.py).

    For app/store modules only (outbox.py, assigned.py write the outbox and the province's
    versions): `db` for SQL on the store's tables, `audit.append` inside a transaction,
    `changing_row`, `seal_record` / `open_record`, `seal_blob` / `open_blob` (attachments.py),
    `set_card_number`, `add_province_duplicate`; retention.py: `keep_stub`, `stubs`."""

    def __init__(self, db: StoreDatabase, data_key: bytes, store_id: str, clock: Clock):
        self.db = db
        self.store_id = store_id
        self._data_key = data_key
        self._cipher = RecordCipher(data_key)
        self._clock = clock
        self.audit = AuditLog(db, self._cipher)
        self.actor = self.get_meta("officer_id") or "local"
        self.audit_failure: StoreProblem | None = None  # why deferred entries wait, if they do
        self._lock: lock.StoreLock | None = None  # the process write lock (app/store/lock.py)
        self._closed = False
        db.before_write = self.flush_audit

    # -- opening ---------------------------------------------------------------------------

    @staticmethod
    def path_in(data_dir: Path) -> Path:
        return Path(data_dir) / FILENAME

    @classmethod
    def exists(cls, data_dir: Path) -> bool:
        return cls.path_in(data_dir).exists()

    @classmethod
    def create(
        cls,
        data_dir: Path,
        passphrase: str,
        *,
        kdf: KdfParams = KdfParams(),
        clock: Clock = utc_now,
        owner: str = "khbs",
    ) -> Store:
        if len(passphrase) < MIN_PASSPHRASE:
            raise WeakPassphrase(minimum=MIN_PASSPHRASE)
        data_dir = Path(data_dir)
        final = cls.path_in(data_dir)
        if final.exists():
            raise StoreExists(path=str(final))
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        held = lock.acquire(final, owner)  # two `khbs init` at once: one builds, one is told
        try:
            if final.exists():
                raise StoreExists(path=str(final))
            return cls._build(data_dir, final, passphrase, kdf, clock, owner)
        finally:
            held.release()

    @classmethod
    def _build(
        cls, data_dir: Path, final: Path, passphrase: str, kdf: KdfParams, clock: Clock, owner: str
    ) -> Store:
        # Built under a temporary name and renamed: a crash during init leaves no half store.
        building = data_dir / (FILENAME + ".init")
        for leftover in data_dir.glob(FILENAME + ".init*"):
            leftover.unlink()
        db = connect(building, create=True)
        store_id = str(uuid.uuid4())
        data_key = os.urandom(32)
        salt = os.urandom(16)
        kek = derive_kek(passphrase, salt, kdf)
        now = iso(clock())
        cipher = RecordCipher(data_key)
        with db.atomic():
            meta.put(db, "store_id", store_id)
            meta.put(db, "created_at", now)
            db.execute(
                "INSERT INTO keyring (id, kdf, salt, wrapped_key, key_check, changed_at)"
                " VALUES (1, ?, ?, ?, ?, ?)",
                (
                    kdf.to_json(),
                    salt,
                    seal(kek, data_key, keywrap_aad(store_id, kdf, salt)),
                    cipher.seal(b"khbs", key_check_aad(store_id)),
                    now,
                ),
            )
            AuditLog(db, cipher).append(now, "local", "store.create")
            AuditLog(db, cipher).append(now, "local", ROW_MACS, detail="households=0,assigned=0")
            meta.put(db, ROW_MACS, "v1")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        os.replace(building, final)
        return cls.open(data_dir, passphrase, clock=clock, owner=owner)

    @classmethod
    def id_of(cls, data_dir: Path) -> str:
        """The store id (plaintext, not personal): what the province needs to find this
        laptop's escrow blob when the passphrase is forgotten."""
        db = cls._connect_existing(Path(data_dir))
        try:
            return db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
        finally:
            db.close()

    @classmethod
    def _connect_existing(cls, data_dir: Path, *, writer: bool = False) -> StoreDatabase:
        """An existing store (never created or re-initialised here: an empty or foreign file
        is refused, app/store/db.py). `writer=False`: only audit entries may be written."""
        path = cls.path_in(data_dir)
        if not path.exists():
            raise StoreNotFound(path=str(path))
        db = connect(path)
        db.writer = writer
        return db

    @classmethod
    def open(
        cls,
        data_dir: Path,
        passphrase: str,
        *,
        clock: Clock = utc_now,
        write: bool = True,
        owner: str = "khbs",
    ) -> Store:
        """Unlock the store. `write=True` takes the process write lock first (StoreInUse names
        the process holding it; nothing is written then); `owner` says what this process is
        ("khbs import", "khbs gui"). `write=False` is for reading (status, verify, dump,
        export): no lock, so it works beside the app; it writes only its audit entries, and
        when it cannot (disk full) they wait in memory (flush_audit)."""
        data_dir = Path(data_dir)
        path = cls.path_in(data_dir)
        if not path.exists():
            raise StoreNotFound(path=str(path))
        held = lock.acquire(path, owner) if write else None
        try:
            db = cls._connect_existing(data_dir, writer=write)
            try:
                store = cls._unlock(db, passphrase, clock)
            except BaseException:
                db.close()
                raise
        except BaseException:
            if held is not None:
                held.release()
            raise
        store._lock = held
        return store

    @classmethod
    def _unlock(cls, db: StoreDatabase, passphrase: str, clock: Clock) -> Store:
        settings = dict(db.execute("SELECT key, value FROM meta").fetchall())
        store_id = settings["store_id"]
        now = clock()
        retry_after = settings.get("retry_after")
        if retry_after and now < datetime.fromisoformat(retry_after):
            wait = (datetime.fromisoformat(retry_after) - now).total_seconds()
            raise LockedOut(seconds=math.ceil(wait))
        kdf_json, salt, wrapped = db.execute(
            "SELECT kdf, salt, wrapped_key FROM keyring WHERE id = 1"
        ).fetchone()
        kdf = stored_kdf(kdf_json, salt)  # bounded before Argon2id runs
        kek = derive_kek(passphrase, salt, kdf)
        try:
            data_key, old_wrap = unwrap(kek, wrapped, store_id, kdf, salt)
        except DecryptError:
            failures = int(settings.get("failed_unlocks", "0")) + 1
            delay = unlock_delay(failures)
            try:
                with db.atomic(reader_ok=True):
                    meta.put(db, "failed_unlocks", str(failures))
                    meta.put(db, "retry_after", (now + timedelta(seconds=delay)).isoformat())
            except CANNOT_WRITE_NOW:
                pass  # not counted (disk full, busy): still a wrong passphrase
            raise WrongPassphrase(attempts=failures, seconds=math.ceil(delay)) from None
        store = cls(db, data_key, store_id, clock)
        store._upgrade((kek, wrapped) if old_wrap else None)
        failures = int(settings.get("failed_unlocks", "0"))
        # Entries an earlier session of this process could not write come first. Unlocking
        # never fails for want of space: the entry then waits (flush_audit).
        store.audit.deferred.extend(take_unwritten(store_id))
        store.audit.defer(iso(now), store.actor, "store.unlock", detail=f"failed_before={failures}")
        store.flush_audit(
            then=lambda: db.execute(
                "DELETE FROM meta WHERE key IN ('failed_unlocks', 'retry_after')"
            )
        )
        from app.store import questionnaires  # it imports this module

        questionnaires.register_kept(store)  # every layer reads a record's own version
        return store

    @classmethod
    def recover(
        cls,
        data_dir: Path,
        data_key: bytes,
        new_passphrase: str,
        *,
        clock: Clock = utc_now,
        owner: str = "khbs",
    ) -> Store:
        """Set a new passphrase with the data key the province unsealed from the escrow blob."""
        if len(new_passphrase) < MIN_PASSPHRASE:
            raise WeakPassphrase(minimum=MIN_PASSPHRASE)
        path = cls.path_in(Path(data_dir))
        if not path.exists():
            raise StoreNotFound(path=str(path))
        held = lock.acquire(path, owner)
        try:
            db = cls._connect_existing(Path(data_dir), writer=True)
        except BaseException:
            held.release()
            raise
        try:
            store_id = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
            check = db.execute("SELECT key_check FROM keyring WHERE id = 1").fetchone()[0]
            try:
                RecordCipher(data_key).open(check, key_check_aad(store_id))
            except DecryptError:
                raise WrongRecoveryCode() from None
            store = cls(db, data_key, store_id, clock)
        except BaseException:
            db.close()
            held.release()
            raise
        store._lock = held
        try:
            # The default cost, not the stored one: a changed keyring may be why unlock failed.
            store.change_passphrase(new_passphrase, action="store.recover", kdf=KdfParams())
            store._sign_old_rows()
        except BaseException:
            store.close()
            raise
        from app.store import questionnaires  # it imports this module

        questionnaires.register_kept(store)
        return store

    def _upgrade(self, old_wrap: tuple[bytes, bytes] | None) -> None:
        """What a store made by an earlier version gets at its first unlock, each once and
        audited: `old_wrap` (the KEK and the v1 wrap it opened) rewrapped with the v2 AAD, and a
        MAC on every row. A store opened for reading upgrades too (short transactions, as its
        audit entries); when it cannot write now (disk full, busy) the upgrade waits for the
        next unlock: until its audit entry exists, a row without a MAC is not an alteration."""
        try:
            self._upgrade_now(old_wrap)
        except CANNOT_WRITE_NOW:
            pass

    def _upgrade_now(self, old_wrap: tuple[bytes, bytes] | None) -> None:
        if old_wrap is not None:
            kek, wrapped = old_wrap
            kdf_json, salt = self.db.execute(
                "SELECT kdf, salt FROM keyring WHERE id = 1"
            ).fetchone()
            rewrapped = seal(
                kek, self._data_key, keywrap_aad(self.store_id, KdfParams.from_json(kdf_json), salt)
            )
            with self.db.atomic(reader_ok=True):  # unless a passphrase change got there first
                if self.db.execute(
                    "UPDATE keyring SET wrapped_key = ? WHERE id = 1 AND wrapped_key = ?",
                    (rewrapped, wrapped),
                ).rowcount:
                    self.audit.append(self.now(), self.actor, "store.keywrap", detail="v2")
        self._sign_old_rows()

    def _sign_old_rows(self) -> None:
        """Rows written before row MACs existed get theirs, in one audited transaction. Only
        once (the audit entry says so): afterwards a row without a MAC is an alteration, and
        signing it would hide one. The meta hint only saves the audit lookup at each unlock."""
        if self.get_meta(ROW_MACS):
            return
        with self.db.atomic(reader_ok=True):
            if not rows_signed(self.db):
                counts = []
                for table, columns in ROW_COLUMNS.items():
                    rows = self.db.execute(
                        f"SELECT {', '.join(columns)} FROM {table} WHERE mac IS NULL"
                    ).fetchall()
                    self.db.conn.executemany(
                        f"UPDATE {table} SET mac = ? WHERE {columns[0]} = ?",
                        [(self._cipher.row_mac(table, tuple(r)), r[0]) for r in rows],
                    )
                    counts.append(f"{table}={len(rows)}")
                self.audit.append(self.now(), self.actor, ROW_MACS, detail=",".join(counts))
            meta.put(self.db, ROW_MACS, "v1")

    def close(self) -> None:
        """Write what audit entries wait (last try), close, release the write lock. Entries
        that still cannot be written stay counted in `audit_unwritten` (the CLI says so) and
        are handed to the next unlock of this store in this process."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush_audit()
        except Exception as exc:  # noqa: BLE001 - closing must not fail: the entries are kept
            self.audit_failure = exc if isinstance(exc, StoreProblem) else None
        keep_unwritten(self.store_id, self.audit.deferred)
        self.db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def audit_unwritten(self) -> int:
        """Audit entries not (yet) written: the disk is full or another process held the store."""
        return len(self.audit.deferred)

    def flush_audit(self, then: Callable[[], object] | None = None) -> bool:
        """Write the deferred audit entries (and `then`, e.g. clearing the unlock counters) in
        one transaction. Runs before every write transaction too (StoreDatabase.before_write).
        When the store cannot be written now (disk full, busy, read-only) the entries stay
        deferred and False is returned; a damaged file or a failing disk raises."""
        if (not self.audit.deferred and then is None) or self.db.conn.in_transaction:
            return not self.audit.deferred
        try:
            with self.db.atomic(reader_ok=True):
                self.audit.write_deferred()
                if then is not None:
                    then()
        except CANNOT_WRITE_NOW as exc:
            self.audit_failure = exc
            return False
        self.audit.deferred.clear()
        self.audit_failure = None
        return True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta and secrets -------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A plaintext setting of this store, never personal data (the pull cursor, when the
        last sync ran, which keys the province has): app/store/meta.py."""
        return meta.get(self.db, key)

    def set_meta(self, key: str, value: str) -> None:
        """Keep a setting: in its own transaction, or in the caller's when one is open."""
        self.set_meta_many({key: value})

    def set_meta_many(self, values: Mapping[str, str]) -> None:
        """Keep several settings in one transaction (or in the caller's)."""
        with self.db.atomic():
            for key, value in values.items():
                meta.put(self.db, key, value)

    def put_secret(self, name: str, value: bytes) -> None:
        """Device secrets and settings, sealed like records (device keys, officer areas)."""
        sealed = self._cipher.seal(value, f"khbs/secret/v1|{self.store_id}|{name}".encode())
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO secrets (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, sealed),
            )
            self.audit.append(self.now(), self.actor, "secret.put", detail=name)

    def get_secret(self, name: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return self._cipher.open(row[0], f"khbs/secret/v1|{self.store_id}|{name}".encode())

    def assigned_areas(self) -> list[str]:
        """Region codes the officer works in, once the device is enrolled (empty before)."""
        raw = self.get_secret("officer")
        return list(json.loads(raw)["areas"]) if raw else []

    def set_officer(self, officer_id: str, areas: list[str]) -> None:
        self.put_secret("officer", _dumps({"officer_id": officer_id, "areas": list(areas)}))
        self.set_meta("officer_id", officer_id)
        self.actor = officer_id

    # -- keys -------------------------------------------------------------------------------

    def change_passphrase(
        self, new_passphrase: str, *, action: str = "store.passwd", kdf: KdfParams | None = None
    ) -> None:
        """`kdf`: the Argon2id cost of the new wrap; by default the stored one."""
        if len(new_passphrase) < MIN_PASSPHRASE:
            raise WeakPassphrase(minimum=MIN_PASSPHRASE)
        if kdf is None:
            kdf_json = self.db.execute("SELECT kdf FROM keyring WHERE id = 1").fetchone()[0]
            kdf = KdfParams.from_json(kdf_json)
        salt = os.urandom(16)
        wrapped = seal(
            derive_kek(new_passphrase, salt, kdf),
            self._data_key,
            keywrap_aad(self.store_id, kdf, salt),
        )
        with self.db.atomic():  # the old wrap is replaced whole, or not at all
            self.db.execute(
                "UPDATE keyring SET kdf = ?, salt = ?, wrapped_key = ?, changed_at = ?"
                " WHERE id = 1",
                (kdf.to_json(), salt, wrapped, self.now()),
            )
            self.audit.append(self.now(), self.actor, action)

    def set_province_key(self, public_bytes: bytes) -> str:
        """Escrow the data key to the province, so a forgotten passphrase loses nothing."""
        kid = province_key_id(public_bytes)
        blob = seal_to(public_bytes, self._data_key, escrow_info(self.store_id))
        with self.db.atomic():
            self.db.execute(
                "UPDATE keyring SET escrow_key_id = ?, escrow_blob = ? WHERE id = 1", (kid, blob)
            )
            meta.put(self.db, "province_public_key", public_bytes.hex())
            self.audit.append(self.now(), self.actor, "store.escrow", detail=kid)
        return kid

    def escrow(self) -> tuple[str, bytes] | None:
        row = self.db.execute("SELECT escrow_key_id, escrow_blob FROM keyring").fetchone()
        return (row[0], row[1]) if row and row[1] else None

    # -- households -------------------------------------------------------------------------

    def now(self) -> str:
        """The store's clock as stored in the audit log and the rows (ISO 8601, UTC)."""
        return iso(self._clock())

    def save(
        self,
        record: dict,
        *,
        expected_revision: int | None = None,
        action: str | None = None,
        sync_state: str | None = None,
        min_revision: int = 0,
    ) -> int:
        """Seal and store one household; returns its new revision.

        The record is stored as given: app/households.py (every path of the app) hands it over
        in canonical form. `expected_revision` guards against overwriting a newer save (two
        editors of one record). A final record goes into the outbox; a draft leaves it.
        `min_revision`: the new revision is above it (a household handed over from another
        laptop).
        """
        hid = record["id"]
        status = record["status"]
        payload = _dumps(record)
        summary = questionnaire.summary(record).encode("utf-8")
        tokens = self._tokens(record)
        kode_desa = (record.get("lokasi") or {}).get("kode_desa")
        now = self.now()
        with self.db.atomic():
            row = signed_row(self.db, "households", hid)
            old = dict(zip(ROW_COLUMNS["households"], row[0], strict=True)) if row else {}
            current = old.get("revision", 0)
            if expected_revision is not None and current != expected_revision:
                raise StaleRevision(record_id=hid, expected=expected_revision, found=current)
            revision = max(current, min_revision) + 1
            state = sync_state or (PENDING if status == "final" else "local")
            created = old.get("created_at", now)
            # The province's marks (duplicates, card) outlive the save: signed as they stay.
            values = (
                hid,
                revision,
                status,
                kode_desa,
                state,
                None,
                old.get("province_duplicates"),
                created,
                now,
                old.get("card"),
            )
            self.db.execute(
                "INSERT INTO households (id, revision, status, kode_desa, sync_state,"
                " created_at, updated_at, record, summary, mac)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET revision = excluded.revision,"
                " status = excluded.status, kode_desa = excluded.kode_desa,"
                " sync_state = excluded.sync_state, sync_reason = NULL,"
                " updated_at = excluded.updated_at,"
                " record = excluded.record, summary = excluded.summary, mac = excluded.mac",
                (
                    hid,
                    revision,
                    status,
                    kode_desa,
                    state,
                    created,
                    now,
                    self._cipher.seal(payload, record_aad(hid, revision, "record")),
                    self._cipher.seal(summary, record_aad(hid, revision, "summary")),
                    next_mac(self._cipher, "households", row, values),
                ),
            )
            self.db.execute("DELETE FROM lookup WHERE household_id = ?", (hid,))
            self.db.conn.executemany(
                "INSERT INTO lookup (token, household_id) VALUES (?, ?)",
                [(t, hid) for t in tokens],
            )
            if state == PENDING:
                self.db.execute(
                    "INSERT INTO outbox (household_id, revision, queued_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (household_id) DO UPDATE SET revision = excluded.revision,"
                    " queued_at = excluded.queued_at",
                    (hid, revision, now),
                )
            else:
                self.db.execute("DELETE FROM outbox WHERE household_id = ?", (hid,))
            default_action = "household.finalise" if status == "final" else "household.draft"
            self.audit.append(now, self.actor, action or default_action, hid, revision)
        return revision

    def get(self, household_id: str) -> tuple[dict, int]:
        """The decrypted record and its revision; RecordPurged for a stub."""
        row = self.db.execute(
            "SELECT revision, record, sync_state FROM households WHERE id = ?", (household_id,)
        ).fetchone()
        if row is None:
            raise RecordNotFound(record_id=household_id)
        if row[2] == PURGED:
            raise RecordPurged(record_id=household_id)
        return self.open_record(household_id, row[0], row[1]), row[0]

    def open_record(
        self, household_id: str, revision: int, blob: bytes, part: str = "record"
    ) -> dict:
        """A sealed version of a household opened: its `record` at `revision`, or (`part`
        "origin") a version the province sent (app/store/assigned.py). Raises RecordDamaged
        when it does not open. For app/store modules."""
        try:
            return json.loads(self._cipher.open(blob, record_aad(household_id, revision, part)))
        except (DecryptError, ValueError):
            raise RecordDamaged(record_id=household_id) from None

    def seal_record(self, household_id: str, revision: int, record: dict, part: str) -> bytes:
        """`record` sealed as `part` of the household's `revision`: open_record's inverse. For
        app/store modules (save() seals the officer's record itself)."""
        return self._cipher.seal(_dumps(record), record_aad(household_id, revision, part))

    def seal_blob(self, plaintext: bytes, aad: bytes) -> bytes:
        """Bytes sealed with the record key under `aad` (attachments: crypto.attachment_aad).
        For app/store modules."""
        return self._cipher.seal(plaintext, aad)

    def open_blob(self, blob: bytes, aad: bytes) -> bytes:
        """seal_blob's inverse; raises DecryptError. For app/store modules."""
        return self._cipher.open(blob, aad)

    def records(self) -> Iterator[tuple[str, dict | RecordDamaged]]:
        """Every household held in full, in id order (stubs are not households to read out);
        a damaged one yields its error, the rest still open."""
        rows = self.db.execute(
            "SELECT id, revision, record FROM households WHERE sync_state <> ? ORDER BY id",
            (PURGED,),
        )
        for hid, revision, blob in rows:
            try:
                yield hid, self.open_record(hid, revision, blob)
            except RecordDamaged as exc:
                yield hid, exc

    def open_households(
        self, *, status: str | None = None, desa: str | None = None
    ) -> Iterator[tuple[str, OpenedHousehold | RecordDamaged]]:
        """Households in id order, opened with their card numbers, for reading them out
        (export). `status` ("draft", "final") and `desa` (a desa, kecamatan or regency code:
        everything inside it) filter on plaintext columns, so only the households asked for
        are decrypted. One whose record or card does not open yields its RecordDamaged. Stubs
        (app/store/retention.py) are left out."""
        where: list[str] = ["sync_state <> ?"]
        params: list[object] = [PURGED]
        if status:
            where.append("status = ?")
            params.append(status)
        if desa:
            where.append("(kode_desa = ? OR substr(kode_desa, 1, ?) = ?)")
            params += [desa, len(desa) + 1, desa + "."]
        rows = self.db.execute(
            "SELECT id, revision, record, status, kode_desa, sync_state, sync_reason, updated_at,"
            " card FROM households" + " WHERE " + " AND ".join(where) + " ORDER BY id",
            params,
        )
        for hid, revision, blob, status_, desa_, sync_state, reason, updated, card in rows:
            try:
                record = self.open_record(hid, revision, blob)
                number = None if card is None else self._open_card(hid, card)
            except RecordDamaged as exc:
                yield hid, exc
                continue
            yield (
                hid,
                OpenedHousehold(
                    hid, revision, record, status_, desa_, sync_state, reason, updated, number
                ),
            )

    def rows(self) -> list[HouseholdRow]:
        """All households for the list view, most recently changed first."""
        return list_rows(self.db, self._cipher, "", ())

    def rows_for(self, ids: list[str]) -> list[HouseholdRow]:
        marks = ",".join("?" * len(ids))
        return list_rows(self.db, self._cipher, f" WHERE h.id IN ({marks})", tuple(ids))

    # -- the province's word on a household ---------------------------------------------------

    def card_number(self, household_id: str) -> str | None:
        row = self.db.execute(
            "SELECT card FROM households WHERE id = ?", (household_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return self._open_card(household_id, row[0])

    def _open_card(self, household_id: str, blob: bytes) -> str:
        try:
            return self._cipher.open(blob, card_aad(household_id)).decode("utf-8")
        except (DecryptError, UnicodeDecodeError):
            raise RecordDamaged(record_id=household_id) from None

    def set_card_number(self, household_id: str, card: str) -> bool:
        """Seal the province's card number onto the household (inside the caller's transaction).
        True when it changed; an unknown household or the same card is a no-op."""
        try:
            if self.card_number(household_id) == card:
                return False
        except RecordDamaged:
            pass  # a damaged card is replaced by the province's
        sealed = self._cipher.seal(card.encode("utf-8"), card_aad(household_id))
        with self.changing_row("households", household_id):
            return bool(
                self.db.execute(
                    "UPDATE households SET card = ? WHERE id = ?", (sealed, household_id)
                ).rowcount
            )

    def add_province_duplicate(self, household_id: str, kind: str) -> bool:
        """Remember that the province found this household's NIK or KK elsewhere (kind only)."""
        row = self.db.execute(
            "SELECT province_duplicates FROM households WHERE id = ?", (household_id,)
        ).fetchone()
        if row is None:
            return False
        kinds = set(row[0].split(",")) if row[0] else set()
        if kind in kinds:
            return False
        with self.changing_row("households", household_id):
            self.db.execute(
                "UPDATE households SET province_duplicates = ? WHERE id = ?",
                (",".join(sorted(kinds | {kind})), household_id),
            )
        return True

    # -- retention (app/store/retention.py) ----------------------------------------------------

    def keep_stub(self, household_id: str, revision: int, stub: dict) -> bool:
        """Inside the caller's transaction: the household's record becomes `stub` (sealed), its
        summary empty and its sync state PURGED, only if it is still at `revision`; the
        blind-index tokens stay. secure_delete zeroes the old ciphertext's pages; the caller
        checkpoints the WAL after the commit. True when replaced."""
        with self.changing_row("households", household_id):
            return bool(
                self.db.execute(
                    "UPDATE households SET record = ?, summary = ?, sync_state = ?"
                    " WHERE id = ? AND revision = ?",
                    (
                        self.seal_record(household_id, revision, stub, "record"),
                        self._cipher.seal(b"", record_aad(household_id, revision, "summary")),
                        PURGED,
                        household_id,
                        revision,
                    ),
                ).rowcount
            )

    def stubs(self) -> Iterator[tuple[str, dict | RecordDamaged]]:
        """Every stub (id, its sealed stub record) in id order; a damaged one yields its error."""
        rows = self.db.execute(
            "SELECT id, revision, record FROM households WHERE sync_state = ? ORDER BY id",
            (PURGED,),
        )
        for hid, revision, blob in rows:
            try:
                yield hid, self.open_record(hid, revision, blob)
            except RecordDamaged as exc:
                yield hid, exc

    # -- row MACs ---------------------------------------------------------------------------

    @contextmanager
    def changing_row(self, table: str, household_id: str | None) -> Iterator[None]:
        """Wrap every write of a households or assigned row other than save(): the row's MAC
        follows the change in the same transaction. None (from a malformed event) is no row."""
        with self.db.atomic():
            before = signed_row(self.db, table, household_id)
            yield
            after = signed_row(self.db, table, household_id)
            if after is None or (before is not None and after[0] == before[0]):
                return  # deleted, or nothing changed
            mac = next_mac(self._cipher, table, before, after[0])
            self.db.execute(
                f"UPDATE {table} SET mac = ? WHERE {ROW_COLUMNS[table][0]} = ?",
                (mac, household_id),
            )

    def _tokens(self, record: dict) -> set[bytes]:
        return {self._cipher.blind_token(k, v) for k, v in questionnaire.identifiers(record)}

    def households_with(self, kind: str, value: str) -> set[str]:
        """Ids of households holding this NIK or KK number (keyed blind index lookup)."""
        token = self._cipher.blind_token(kind, value)
        rows = self.db.execute("SELECT household_id FROM lookup WHERE token = ?", (token,))
        return {r[0] for r in rows}

    def record_event(self, action: str, detail: str | None = None) -> None:
        """Audit an action that reads data out (dump, export) or otherwise matters. Written at
        once; when the store cannot be written now (disk full) it waits (flush_audit)."""
        self.audit.defer(self.now(), self.actor, action, detail=detail)
        self.flush_audit()

    # -- reporting --------------------------------------------------------------------------

    def status_counts(self) -> dict:
        total = self.db.execute("SELECT count(*) FROM households").fetchone()[0]
        pending = self.db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        by_status = dict(
            self.db.execute("SELECT status, count(*) FROM households GROUP BY status").fetchall()
        )
        by_sync = dict(
            self.db.execute(
                "SELECT sync_state, count(*) FROM households GROUP BY sync_state"
            ).fetchall()
        )
        stubs = self.db.execute(
            "SELECT count(*) FROM households WHERE sync_state = ?", (PURGED,)
        ).fetchone()[0]
        return {
            "households": total,
            "full": total - stubs,  # held in full; the rest are stubs (app/store/retention.py)
            "stubs": stubs,
            "pending_sync": pending,
            "by_status": by_status,
            "by_sync_state": by_sync,
        }

    def queued_revision(self, household_id: str | None) -> int | None:
        """The revision of the household waiting in the outbox; None when none waits (or the
        id is None, from a malformed answer)."""
        row = self.db.execute(
            "SELECT revision FROM outbox WHERE household_id = ?", (household_id,)
        ).fetchone()
        return row[0] if row else None

    def verify(self) -> VerifyReport:
        report = VerifyReport()
        report.integrity = self.db.execute("PRAGMA integrity_check").fetchone()[0]
        tokens: dict[str, set[bytes]] = {}  # the blind index each record that opens should have
        named: dict[str, set[str]] = {}  # the texts of each record that opens (attachment ids)
        for hid, rec in self.records():
            report.households += 1
            if isinstance(rec, RecordDamaged):
                report.damaged.append(hid)
            else:
                tokens[hid] = self._tokens(rec)
                named[hid] = _texts(rec)
        for hid, stub in self.stubs():  # a stub keeps the tokens it had (retention.py)
            report.households += 1
            if isinstance(stub, RecordDamaged):
                report.damaged.append(hid)
            else:
                tokens[hid] = {bytes.fromhex(t) for t in stub.get("lookup", [])}
        for row in self.rows():
            if row.damaged and row.id not in report.damaged:
                report.damaged.append(row.id)
        report.audit_entries = self.db.execute("SELECT count(*) FROM audit").fetchone()[0]
        report.audit_broken = self.audit.verify()
        report.unaudited = [
            r[0]
            for r in self.db.execute(
                "SELECT h.id FROM households h LEFT JOIN audit a"
                " ON a.record_id = h.id AND a.revision = h.revision WHERE a.seq IS NULL"
            )
        ]
        check_plaintext(self.db, self._cipher, report, tokens)
        report.orphans = [aid for aid, _ in orphan_attachments(self.db)]
        report.unreferenced = [
            aid
            for aid, hid in self.db.execute(
                "SELECT id, household_id FROM attachments ORDER BY created_at, id"
            )
            if hid in named and aid not in named[hid]
        ]
        return report
