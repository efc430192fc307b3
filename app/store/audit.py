"""Tamper-evident audit log: who did what to which record, when. Never the personal data.

Each entry's MAC is HMAC(audit key, previous MAC || entry). The audit key derives from the data
key, so someone holding the file but not the passphrase cannot rewrite or insert entries without
`khbs verify` noticing. Cutting entries off the end is caught when a household's current
revision has no entry (see Store.verify); full protection against truncation comes from
shipping the log to the province (sync issue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from app.crypto import RecordCipher

GENESIS = b"\x00" * 32

# Entries a store could not write before it was closed (disk still full), by store id: the next
# unlock of that store in this process writes them first (the app locks and unlocks again).
_unwritten: dict[str, list[tuple]] = {}


def keep_unwritten(store_id: str, entries: list[tuple]) -> None:
    if entries:
        _unwritten.setdefault(store_id, []).extend(entries)


def take_unwritten(store_id: str) -> list[tuple]:
    return _unwritten.pop(store_id, [])


def unwritten_count() -> int:
    """Entries still unwritten in this process (the app reports them when it exits)."""
    return sum(len(v) for v in _unwritten.values())


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    record_id: str | None
    revision: int | None
    detail: str | None


def _entry_bytes(e: AuditEntry) -> bytes:
    fields = [e.seq, e.at, e.actor, e.action, e.record_id, e.revision, e.detail]
    return json.dumps(fields, separators=(",", ":")).encode()


class AuditLog:
    def __init__(self, db: Database, cipher: RecordCipher):
        self._db = db
        self._cipher = cipher
        # Entries that could not be written when they happened (disk full, store busy), oldest
        # first, with the time they happened: Store.flush_audit writes them.
        self.deferred: list[tuple] = []

    def append(
        self,
        at: str,
        actor: str,
        action: str,
        record_id: str | None = None,
        revision: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Call inside the transaction that makes the change being recorded."""
        last = self._db.execute("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        entry = AuditEntry(seq, at, actor, action, record_id, revision, detail)
        mac = self._cipher.audit_mac(prev, _entry_bytes(entry))
        self._db.execute(
            "INSERT INTO audit (seq, at, actor, action, record_id, revision, detail, mac)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, action, record_id, revision, detail, mac),
        )

    def defer(
        self,
        at: str,
        actor: str,
        action: str,
        record_id: str | None = None,
        revision: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.deferred.append((at, actor, action, record_id, revision, detail))

    def write_deferred(self) -> None:
        """Inside a transaction: append the deferred entries in order. The caller empties
        `deferred` once that transaction has committed."""
        for entry in self.deferred:
            self.append(*entry)

    def verify(self) -> list[int]:
        """Sequence numbers whose MAC does not follow from the chain (empty when intact)."""
        broken: list[int] = []
        prev, expected_seq = GENESIS, 1
        rows = self._db.execute(
            "SELECT seq, at, actor, action, record_id, revision, detail, mac"
            " FROM audit ORDER BY seq"
        )
        for seq, at, actor, action, record_id, revision, detail, mac in rows:
            entry = AuditEntry(seq, at, actor, action, record_id, revision, detail)
            if seq != expected_seq or mac != self._cipher.audit_mac(prev, _entry_bytes(entry)):
                broken.append(seq)
            prev, expected_seq = mac, seq + 1
        return broken

    def entries(self) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT seq, at, actor, action, record_id, revision, detail FROM audit ORDER BY seq"
        )
        return [AuditEntry(*row) for row in rows]
