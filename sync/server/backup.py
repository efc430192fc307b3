"""Backups (docs/operations.md, "Backup and restore"): `khbs-server backup` writes one file,
a consistent snapshot of every table (but the progress counts, which the restore rebuilds from
the rows), encrypted to the backup key's public half; `khbs-server
restore` reads it into an empty database with the private half.

Why a key pair of its own, not the server passphrase: the nightly backup runs unattended (a
systemd timer) and so holds no secret at all, only the public key; a stolen backup, or a
stolen backup machine, opens nothing without the private half, which lives offline (a USB key
in the office safe) wrapped by its own passphrase. The suite is the province key's (ML-KEM-768
+ X25519 HPKE, app/province_key.py), as the snapshot holds data that stays sensitive for
decades. The snapshot holds the server keys only as the database does, wrapped by the server
passphrase: a restored server still needs that passphrase to start.

File:  "KHBSBAK1" | u32 header length | header JSON | chunks
header {"format": 1, "key_id", "file_key" (HPKE-sealed, base64), "revision", "created_at",
        "source"}: `file_key` is a random AES-256-GCM key; every chunk is
        u32 length | AES-256-GCM(file_key, nonce = 11-byte counter | last flag, AAD = SHA-256 of
        magic and header) of up to CHUNK bytes of the zlib stream of JSON lines
lines  {"table", "columns", "kinds"} then one JSON array per row, for each table; at the end
       {"end": {table: rows}}. Kinds: "b" bytes as base64, "t" UTC time as ISO 8601, "" as is.
A reordered, dropped or truncated chunk, or a changed header, fails authentication.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, LargeBinary, Table, delete, func, insert, select, text, update

from app.crypto import DecryptError, KdfParams, derive_kek, open_sealed, seal
from app.errors import WrongPassphrase
from app.province_key import ProvinceKeyPair, key_id, seal_to
from sync.server import ServerError
from sync.server import counts as progress  # `counts` below: rows per table
from sync.server.db import UtcDateTime, counters, display, metadata, read_snapshot, utc_now

MAGIC = b"KHBSBAK1"
FORMAT = 1
CHUNK = 1 << 20  # plaintext bytes per sealed chunk
BATCH = 1000  # rows read, or inserted, at a time
FILE_KEY_INFO = b"khbs/backup/v1"
KEY_AAD = b"khbs/backup-key/v1|"
SEEDED = ("counters",)  # tables the migrations fill in a new database (0001)
# Change-feed numbers skipped after a restore: laptops may hold a pull cursor past the backup's
# last event (they pulled events the restore lost), and would never see new events numbered
# at or below it. A billion is decades of a province's events; the feed is 64-bit.
FEED_GAP = 10**9
PRIVATE_KIND, PUBLIC_KIND = "khbs-backup-key/v1", "khbs-backup-public-key/v1"


class BackupKeyBad(ServerError):
    key = "server.backup_key_bad"


class BackupBad(ServerError):
    key = "server.backup_bad"


class BackupWrongKey(ServerError):
    key = "server.backup_wrong_key"


class BackupRevision(ServerError):
    key = "server.backup_revision"


class RestoreNotEmpty(ServerError):
    key = "server.restore_not_empty"


# -- the backup key -----------------------------------------------------------------------------


def new_key(passphrase: str, kdf: KdfParams | None = None) -> tuple[str, bytes, bytes]:
    """A new backup key pair: (key id, private file, public file). The private file is the key
    wrapped by `passphrase` (Argon2id, AES-256-GCM)."""
    kdf = kdf or KdfParams()
    pair = ProvinceKeyPair.generate()
    salt = os.urandom(16)
    wrapped = seal(derive_kek(passphrase, salt, kdf), pair.private_bytes(), KEY_AAD + b"private")
    public = {"khbs": PUBLIC_KIND, "key_id": pair.key_id, "public": _b64(pair.public_bytes())}
    private = public | {
        "khbs": PRIVATE_KIND,
        "kdf": json.loads(kdf.to_json()),
        "salt": _b64(salt),
        "wrapped": _b64(wrapped),
    }
    return pair.key_id, _json_file(private), _json_file(public)


def read_public(path: Path) -> bytes:
    found = _read_key_file(path, (PUBLIC_KIND, PRIVATE_KIND))
    return base64.b64decode(found["public"])


def read_private(path: Path, passphrase: str) -> ProvinceKeyPair:
    found = _read_key_file(path, (PRIVATE_KIND,))
    try:
        kdf = KdfParams.from_json(json.dumps(found["kdf"]))
        salt, wrapped = base64.b64decode(found["salt"]), base64.b64decode(found["wrapped"])
        kek = derive_kek(passphrase, salt, kdf)
    except (KeyError, ValueError):
        raise BackupKeyBad(path=str(path)) from None
    try:
        private = open_sealed(kek, wrapped, KEY_AAD + b"private")
    except DecryptError:
        raise WrongPassphrase() from None
    return ProvinceKeyPair.from_private_bytes(private)


def _read_key_file(path: Path, kinds: tuple[str, ...]) -> dict:
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
        if (
            found["khbs"] not in kinds
            or key_id(base64.b64decode(found["public"])) != found["key_id"]
        ):
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupKeyBad(path=str(path)) from None
    return found


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Created, never overwritten; `mode` from the start (0600 for a private key)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


# -- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    rows: dict[str, int]
    revision: str
    created_at: str
    key_id: str

    @property
    def households(self) -> int:
        return self.rows.get("households", 0)


def write_backup(engine: Engine, public: bytes, out: BinaryIO) -> Summary:
    """Every table, read in one snapshot (PostgreSQL REPEATABLE READ, SQLite a WAL read
    transaction), written sealed to `out`. Writers carry on meanwhile."""
    from sync.server.migrations import current

    file_key = AESGCM.generate_key(bit_length=256)
    counts: dict[str, int] = {}
    with read_snapshot(engine) as conn:
        header = {
            "format": FORMAT,
            "key_id": key_id(public),
            "file_key": _b64(seal_to(public, file_key, FILE_KEY_INFO)),
            "revision": current(conn),
            "created_at": utc_now().isoformat(timespec="seconds"),
            "source": conn.dialect.name,
        }
        sink = _SealedSink(out, file_key, _write_header(out, header))
        for table in _stored_tables():
            kinds = [_kind(c.type) for c in table.columns]
            sink.line({"table": table.name, "columns": list(table.columns.keys()), "kinds": kinds})
            n = 0
            rows = conn.execution_options(yield_per=BATCH).execute(select(table))
            for row in rows:
                sink.line([_encode(kind, value) for kind, value in zip(kinds, row, strict=True)])
                n += 1
            counts[table.name] = n
        sink.line({"end": counts})
        sink.close()
    return Summary(counts, str(header["revision"]), str(header["created_at"]), key_id(public))


def _stored_tables() -> list[Table]:
    """Every table but the progress counts: the database's triggers keep those from the rows
    (a restore counts the rows it inserts), so a backup of them would count twice."""
    return [t for t in metadata.sorted_tables if t.name not in progress.DERIVED]


def _kind(column_type) -> str:
    if isinstance(column_type, LargeBinary):
        return "b"
    if isinstance(column_type, UtcDateTime):
        return "t"
    return ""


def _encode(kind: str, value):
    if value is None or not kind:
        return value
    return _b64(bytes(value)) if kind == "b" else value.isoformat()


def _decode(kind: str, value):
    if value is None or not kind:
        return value
    return base64.b64decode(value) if kind == "b" else datetime.fromisoformat(value)


def _write_header(out: BinaryIO, header: dict) -> bytes:
    raw = json.dumps(header, sort_keys=True).encode()
    out.write(MAGIC + struct.pack(">I", len(raw)) + raw)
    return hashlib.sha256(MAGIC + raw).digest()


class _SealedSink:
    def __init__(self, out: BinaryIO, file_key: bytes, aad: bytes):
        self.out, self.aead, self.aad = out, AESGCM(file_key), aad
        self.zip = zlib.compressobj(6)
        self.buffer = bytearray()
        self.counter = 0

    def line(self, obj) -> None:
        data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        self.buffer += self.zip.compress(data)
        while len(self.buffer) >= CHUNK:
            self._chunk(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]

    def close(self) -> None:
        self.buffer += self.zip.flush()
        while len(self.buffer) > CHUNK:
            self._chunk(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        self._chunk(bytes(self.buffer), last=True)

    def _chunk(self, data: bytes, *, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.counter, last), data, self.aad)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.counter += 1


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# -- reading and restoring ----------------------------------------------------------------------


def read_header(source: BinaryIO, path: str) -> tuple[dict, bytes]:
    try:
        if source.read(len(MAGIC)) != MAGIC:
            raise ValueError
        (size,) = struct.unpack(">I", source.read(4))
        if size > 64 * 1024:
            raise ValueError
        raw = source.read(size)
        header = json.loads(raw)
        if header.get("format") != FORMAT:
            raise ValueError
    except (ValueError, struct.error):
        raise BackupBad(path=path) from None
    return header, hashlib.sha256(MAGIC + raw).digest()


def lines(source: BinaryIO, pair: ProvinceKeyPair, path: str) -> Iterator[tuple[dict, object]]:
    """(header, then each JSON line) of a backup, opened with the backup key's private half.
    Raises BackupBad at the first chunk that does not open or at a missing end."""
    header, aad = read_header(source, path)
    if header.get("key_id") != pair.key_id:
        raise BackupWrongKey(key_id=str(header.get("key_id"))[:32], given=pair.key_id)
    try:
        file_key = pair.open(base64.b64decode(header["file_key"]), FILE_KEY_INFO)
    except Exception:  # noqa: BLE001 - any failure: the file was not made for this key
        raise BackupBad(path=path) from None
    aead, unzip = AESGCM(file_key), zlib.decompressobj()
    pending = b""
    counter, last = 0, False
    yield header, None
    while not last:
        try:
            size_bytes = source.read(4)
            (size,) = struct.unpack(">I", size_bytes)
            sealed = source.read(size)
            if len(sealed) != size:
                raise ValueError
            try:
                data = aead.decrypt(_nonce(counter, False), sealed, aad)
            except InvalidTag:
                data, last = aead.decrypt(_nonce(counter, True), sealed, aad), True
            pending += unzip.decompress(data)
        except (ValueError, struct.error, InvalidTag, zlib.error):
            raise BackupBad(path=path) from None
        counter += 1
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield header, json.loads(raw)
    if pending or source.read(1) or not unzip.eof:
        raise BackupBad(path=path)


def restore(engine: Engine, source: BinaryIO, pair: ProvinceKeyPair, path: str) -> Summary:
    """Every row of the backup into this (empty, migrated) database, in one transaction: all
    of it or nothing. Refuses a database that holds any row, and a backup of another schema
    revision."""
    from sync.server.migrations import current

    stream = lines(source, pair, path)
    header, _ = next(stream)
    with engine.begin() as conn:
        head = current(conn)
        if header.get("revision") != head:
            raise BackupRevision(revision=str(header.get("revision"))[:32], head=head)
        for each in metadata.sorted_tables:
            if each.name in SEEDED:
                conn.execute(delete(each))  # the backup holds their rows
            elif conn.execute(select(func.count()).select_from(each)).scalar_one():
                raise RestoreNotEmpty(db=display(engine.url), table=each.name)
        table: Table | None = None
        kinds: list[str] = []
        batch: list[dict] = []
        counts: dict[str, int] = {}
        for _, line in stream:
            if isinstance(line, dict):
                if batch and table is not None:
                    conn.execute(insert(table), batch)
                    batch = []
                if "end" in line:
                    counts = line["end"]
                    break
                table = metadata.tables.get(str(line.get("table")))
                if table is None or table.name in progress.DERIVED:
                    raise BackupBad(path=path)
                if line.get("columns") != list(table.columns.keys()):
                    raise BackupBad(path=path)
                kinds, counts[table.name] = line["kinds"], 0
                continue
            if table is None or not isinstance(line, list):
                raise BackupBad(path=path)
            try:
                values = [_decode(k, v) for k, v in zip(kinds, line, strict=True)]
            except (ValueError, TypeError):
                raise BackupBad(path=path) from None
            batch.append(dict(zip(table.columns.keys(), values, strict=True)))
            if len(batch) >= BATCH:
                conn.execute(insert(table), batch)
                batch = []
        for _ in stream:  # the end: checks that nothing follows and the stream is whole
            pass
        progress.rebuild(conn)  # the triggers counted the restored rows; this compacts them
        for name, n in counts.items():
            found = conn.execute(select(func.count()).select_from(metadata.tables[name]))
            if found.scalar_one() != n:
                raise BackupBad(path=path)
        conn.execute(
            update(counters)
            .where(counters.c.name == "changes")
            .values(value=counters.c.value + FEED_GAP)
        )
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)
    return Summary(counts, str(head), str(header.get("created_at", "")), pair.key_id)


def _advance_sequences(conn) -> None:
    """Rows came with their ids: the next id a sequence gives must follow the restored ones."""
    for table in metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"coalesce(max({column.name}), 1), max({column.name}) IS NOT NULL) "
                f"FROM {table.name}"
            )
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _json_file(obj: dict) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode()
