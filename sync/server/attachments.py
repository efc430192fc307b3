"""Photos and signatures at the province (docs/evidence.md): the resumable upload, the one
storage layer their bytes live in, and the queries export and console read them with.

Upload (docs/sync.md, "Attachments"): a laptop sends an attachment sealed to the province key
(protocol.seal_attachment) in chunks, each a signed request. The server keeps the bytes received
so far as a part in the storage and their count in `attachment_uploads`; a chunk that starts
where the count is extends it, one already held is answered with the count again (idempotent),
one beyond it is answered with the count (the laptop goes on from there). With the last byte
the upload is opened, its image checked against the hash, sealed with the data key (AAD:
household, attachment id, hash) and kept; from then on the attachment id answers "complete".

Storage: `Storage` is four methods on names. `DirectoryStorage` (the default) keeps each name
as a file under one folder. PostgreSQL or an S3-compatible store plug in as another class with
the same methods (a table of (name, bytes), or put_object/get_object on a bucket with parts as
separate objects), chosen in `storage_for`; what they hold is already sealed either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import Engine

from sync.protocol import (
    ChunkHeader,
    ProtocolError,
    open_attachment,
    pack_attachment,
    unpack_attachment,
)
from sync.server import repo
from sync.server.db import attachment_uploads, attachments, households, utc_now
from sync.server.keys import ServerKeys
from sync.server.settings import Settings, default_data_dir

Clock = Callable[[], datetime]


class Storage(Protocol):
    """Where attachment bytes live; every value it holds is sealed already."""

    def write(self, name: str, offset: int, data: bytes) -> None:
        """Write `data` at `offset` of `name` (made when missing): a part being uploaded."""

    def put(self, name: str, data: bytes) -> None:
        """Keep `data` as `name`, whole or not at all."""

    def read(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...


class DirectoryStorage:
    """One file per name under `root` (two-character fan-out), owner-only permissions."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError("bad storage name")
        return self.root / name[:2] / name

    def _folder(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    def write(self, name: str, offset: int, data: bytes) -> None:
        path = self._path(name)
        self._folder(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, data, offset)
            os.fsync(fd)
        finally:
            os.close(fd)

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        self._folder(path)
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def storage_for(settings: Settings) -> Storage:
    """The configured storage: the directory `settings.attachments`, else a folder beside the
    SQLite database (`<file>.attachments`), else `attachments` in the server's data folder."""
    if settings.attachments:
        return DirectoryStorage(settings.attachments)
    if settings.db_url.startswith("sqlite:///"):
        return DirectoryStorage(settings.db_url.removeprefix("sqlite:///") + ".attachments")
    return DirectoryStorage(default_data_dir() / "attachments")


def _part(attachment_id: str) -> str:
    return f"{attachment_id}.part"


def _kept(attachment_id: str) -> str:
    return f"{attachment_id}.att"


# -- upload -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    received: int  # bytes of the sealed upload the province holds
    complete: bool

    def reply(self) -> dict:
        return {"received": self.received, "complete": self.complete}


def status(conn: Connection, device: repo.Device, attachment_id: str) -> Received:
    """How much of an attachment the province holds (for resuming after a cut)."""
    if conn.scalar(select(attachments.c.id).where(attachments.c.id == attachment_id)):
        return Received(0, True)
    got = conn.execute(
        select(attachment_uploads.c.received).where(
            attachment_uploads.c.id == attachment_id,
            attachment_uploads.c.device_id == device.id,
        )
    ).scalar()
    return Received(got or 0, False)


def receive_chunk(
    engine: Engine,
    keys: ServerKeys,
    storage: Storage,
    device: repo.Device,
    header: ChunkHeader,
    data: bytes,
    clock: Clock = utc_now,
) -> Received:
    """Take one chunk (checked by protocol.read_chunk). ProtocolError: unknown_household (not
    this officer's, or not received yet: records go first), attachment_conflict (the id is
    taken by other bytes), unknown_key, bad_seal / bad_attachment (the whole did not open)."""
    aid = header.attachment_id
    with engine.begin() as conn:
        done = conn.execute(select(attachments.c.sha256).where(attachments.c.id == aid)).scalar()
        if done is not None:
            if done != header.sha256:
                raise ProtocolError("attachment_conflict")
            return Received(header.total, True)
        owner = conn.scalar(
            select(households.c.officer_id).where(households.c.id == header.household_id)
        )
        if owner is None or owner != device.officer_id:
            raise ProtocolError("unknown_household")
        now = clock()
        row = conn.execute(
            select(
                attachment_uploads.c.device_id,
                attachment_uploads.c.sha256,
                attachment_uploads.c.total,
                attachment_uploads.c.received,
            )
            .where(attachment_uploads.c.id == aid)
            .with_for_update()  # PostgreSQL: two processes never extend one upload at once
        ).first()
        if row is None or tuple(row[:3]) != (device.id, header.sha256, header.total):
            if row is not None:  # another upload of this id (sealed afresh): start over
                conn.execute(delete(attachment_uploads).where(attachment_uploads.c.id == aid))
                storage.delete(_part(aid))
            conn.execute(
                insert(attachment_uploads).values(
                    id=aid,
                    household_id=header.household_id,
                    device_id=device.id,
                    sha256=header.sha256,
                    total=header.total,
                    received=0,
                    started_at=now,
                    updated_at=now,
                )
            )
            held = 0
        else:
            held = row.received
        end = header.offset + len(data)
        if header.offset > held or end <= held:
            return Received(held, False)  # a gap, or bytes already held: say where we are
        storage.write(_part(aid), header.offset, data)
        conn.execute(
            update(attachment_uploads)
            .where(attachment_uploads.c.id == aid)
            .values(received=end, updated_at=now)
        )
        if end < header.total:
            return Received(end, False)
        _complete(conn, keys, storage, device, header, now)
    return Received(header.total, True)


def _complete(
    conn: Connection,
    keys: ServerKeys,
    storage: Storage,
    device: repo.Device,
    header: ChunkHeader,
    now: datetime,
) -> None:
    aid = header.attachment_id
    sealed = storage.read(_part(aid))[: header.total]
    try:
        province = keys.province_key(header.key_id)
    except KeyError:
        raise ProtocolError("unknown_key") from None
    try:
        info, content = open_attachment(province, device.id, aid, header.sha256, sealed)
    except ProtocolError:
        # Nothing of it is usable: the laptop seals it afresh and starts again.
        conn.execute(delete(attachment_uploads).where(attachment_uploads.c.id == aid))
        storage.delete(_part(aid))
        raise
    key_id, at_rest = keys.seal_attachment(
        header.household_id, aid, header.sha256, pack_attachment(info, content)
    )
    storage.put(_kept(aid), at_rest)
    conn.execute(
        insert(attachments).values(
            id=aid,
            household_id=header.household_id,
            kind=header.kind,
            sha256=header.sha256,
            size=len(content),
            key_id=key_id,
            device_id=device.id,
            received_at=now,
        )
    )
    conn.execute(delete(attachment_uploads).where(attachment_uploads.c.id == aid))
    storage.delete(_part(aid))


def forget_files(storage: Storage, kept: list[str], parts: list[str]) -> None:
    """Remove the sealed files of erased attachments and unfinished uploads (privacy.erase)."""
    for aid in kept:
        storage.delete(_kept(aid))
    for aid in parts:
        storage.delete(_part(aid))


# -- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAttachment:
    id: str
    household_id: str
    kind: str
    sha256: str
    size: int
    key_id: str
    received_at: datetime

    @property
    def file_name(self) -> str:
        """The name it is exported under: the id and the image type, nothing personal."""
        return f"{self.id}.{'png' if self.kind == 'signature' else 'jpg'}"


def listed(conn: Connection, household_ids=None) -> list[StoredAttachment]:
    """Attachments of the given households (a list of ids, or a select of them: the export's
    own query; all when None), by household and time."""
    query = select(
        attachments.c.id,
        attachments.c.household_id,
        attachments.c.kind,
        attachments.c.sha256,
        attachments.c.size,
        attachments.c.key_id,
        attachments.c.received_at,
    ).order_by(attachments.c.household_id, attachments.c.received_at, attachments.c.id)
    if household_ids is not None:
        query = query.where(attachments.c.household_id.in_(household_ids))
    return [StoredAttachment(*row) for row in conn.execute(query)]


def read(keys: ServerKeys, storage: Storage, found: StoredAttachment) -> tuple[dict, bytes]:
    """(details, image) of a stored attachment, opened with the data key and checked."""
    plaintext = keys.open_attachment(
        found.key_id,
        found.household_id,
        found.id,
        found.sha256,
        storage.read(_kept(found.id)),
    )
    return unpack_attachment(plaintext, found.sha256)
