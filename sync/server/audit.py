"""The server's audit log: who did what on the server, tamper-evident (docs/security.md,
"The server's audit log"). Ids, codes and counts only, never personal data.

Each entry is chained and sealed:

    hash_n = SHA-256("khbs/server-audit/v1|" || hash_(n-1) || entry_n)       (hash_0 = 32 zeros)
    mac_n  = HMAC-SHA256(audit key, "khbs/server-audit/v1|" || hash_n)
    audit key = HKDF-SHA256(the active data key, "khbs/server-audit/v1"); key_id names the data key

entry_n is the canonical JSON of [seq, at, actor, action, officer_id, household_id, detail]. The
hash alone links every entry to all before it; the seal is what someone who can write the
database but does not have the passphrase cannot make. A valid seal on entry n vouches for
entries 1..n.

Every process that writes the log holds the keys: `keys.unlock` / `keys.create` register the
audit keys here, and `audit()` refuses (AuditKeyMissing) in a process that did not unlock.
Entries from before the chain existed (revision 0004 hashed them, it had no key) are unsealed;
`verify` accepts unsealed entries only before the first sealed one.

Appends are serialised: PostgreSQL takes a transaction advisory lock, SQLite's transactions
begin IMMEDIATE. The lock is held until the transaction ends, so call `audit()` last in a
transaction (after repo.append_change and other locks), and keep such transactions short.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from app.crypto import subkey
from app.i18n import catalogue, tr
from sync.server import ServerError
from sync.server.db import (
    advisory_lock,
    audit_log,
    devices,
    households,
    officer_areas,
    server_keys,
    utc_now,
)

if TYPE_CHECKING:
    from sync.server.keys import ServerKeys
    from sync.server.scope import Scope

LABEL = b"khbs/server-audit/v1|"
GENESIS = bytes(32)
LOCK = "khbs/audit"
MAX_ACTION = 32
MAX_ENTRIES = 1000  # one page of entries()
MAX_REPORTED = 1000  # broken entries verify() lists (it counts them all)

_audit_keys: dict[str, bytes] = {}  # data key id -> audit key, in processes that unlocked


class AuditKeyMissing(ServerError):
    """This process did not unlock the server's keys, so it cannot seal an audit entry."""

    key = "server.audit_key_missing"


def register(keys: ServerKeys) -> None:
    """Called by keys.unlock / create / rotate: this process may seal audit entries."""
    for key_id, secret in keys.secrets.get("data", {}).items():
        _audit_keys[key_id] = subkey(secret, "server-audit")


# -- the chain ----------------------------------------------------------------------------------


def moment_text(at: datetime) -> str:
    """The entry's time as hashed: UTC to the microsecond, as both databases give it back."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_bytes(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    officer_id: str | None,
    household_id: str | None,
    detail: str | None,
) -> bytes:
    fields = [seq, moment_text(at), actor, action, officer_id, household_id, detail]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode()


def chain_hash(prev: bytes, entry: bytes) -> bytes:
    return hashlib.sha256(LABEL + prev + entry).digest()


def seal(audit_key: bytes, entry_hash: bytes) -> bytes:
    return hmac.new(audit_key, LABEL + entry_hash, hashlib.sha256).digest()


def _active_data_key(conn: Connection) -> str | None:
    return conn.execute(
        select(server_keys.c.key_id).where(server_keys.c.kind == "data", server_keys.c.active)
    ).scalar()


def _subject(conn: Connection, detail: dict) -> tuple[str | None, str | None]:
    """(officer id, household id) the entry is about, from its detail: what scopes it."""
    officer = detail.get("officer_id")
    if not isinstance(officer, str) and isinstance(detail.get("device_id"), str):
        officer = conn.execute(
            select(devices.c.officer_id).where(devices.c.id == detail["device_id"])
        ).scalar()
    household = detail.get("household_id")
    return (
        officer if isinstance(officer, str) else None,
        household if isinstance(household, str) else None,
    )


def audit(conn: Connection, actor: str, action: str, detail: dict) -> int:
    """Append an entry, chained and sealed; returns its seq. `detail`: ids, codes, counts and
    options only. An `officer_id`, `device_id` or `household_id` in it names what the entry is
    about (the console shows a regency user the entries about its officers and households).
    Call it last in the transaction: the chain stays locked until the transaction ends."""
    if not 0 < len(action) <= MAX_ACTION:
        raise ValueError(f"audit action of {len(action)} characters")
    key_id = _active_data_key(conn)
    key = _audit_keys.get(key_id) if key_id else None
    if key is None:
        raise AuditKeyMissing()
    officer_id, household_id = _subject(conn, detail)
    text = json.dumps(detail, sort_keys=True)
    advisory_lock(conn, LOCK)
    last = conn.execute(
        select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
    ).first()
    seq, prev = (last.id + 1, bytes(last.hash)) if last else (1, GENESIS)
    at, actor = utc_now(), actor[:64]
    digest = chain_hash(prev, entry_bytes(seq, at, actor, action, officer_id, household_id, text))
    conn.execute(
        insert(audit_log).values(
            id=seq,
            at=at,
            actor=actor,
            action=action,
            detail=text,
            officer_id=officer_id,
            household_id=household_id,
            hash=digest,
            key_id=key_id,
            mac=seal(key, digest),
        )
    )
    return seq


# -- verify -------------------------------------------------------------------------------------

# Why an entry is broken (codes for --json; the CLI says them in words).
CHANGED = "changed"  # does not follow from the entry before it: it or an earlier one was edited,
#                      removed or moved
BAD_SEAL = "bad_seal"  # its seal is not the server key's for its hash
UNKNOWN_KEY = "unknown_key"  # sealed with a key this server does not hold
UNSEALED = "unsealed"  # no seal, after the chain began: written by someone without the key


@dataclass
class ChainCheck:
    entries: int = 0
    sealed: int = 0
    before_chain: int = 0  # unsealed entries before the first sealed one (from before 0004)
    head_seq: int = 0
    head_hash: bytes = GENESIS
    broken: list[tuple[int, str]] = field(default_factory=list)  # (seq, reason): the first ones
    broken_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.broken_count

    def as_dict(self) -> dict:
        first = self.broken[0] if self.broken else None
        return {
            "ok": self.ok,
            "entries": self.entries,
            "sealed": self.sealed,
            "before_chain": self.before_chain,
            "head": {"seq": self.head_seq, "hash": self.head_hash.hex()},
            "broken": self.broken_count,
            "first_broken": {"seq": first[0], "reason": first[1]} if first else None,
        }


def verify(conn: Connection, keys: ServerKeys) -> ChainCheck:
    """Check every entry in order: its hash follows from the one before, and from the first
    sealed entry on, each has a valid seal. Read it in one snapshot (db.read_snapshot)."""
    audit_keys = {
        key_id: subkey(secret, "server-audit")
        for key_id, secret in keys.secrets.get("data", {}).items()
    }
    check, prev, began = ChainCheck(), GENESIS, False
    rows = conn.execute(
        select(audit_log).order_by(audit_log.c.id).execution_options(yield_per=1000)
    )
    for row in rows:
        check.entries += 1
        expected = chain_hash(
            prev,
            entry_bytes(
                row.id, row.at, row.actor, row.action, row.officer_id, row.household_id, row.detail
            ),
        )
        stored = bytes(row.hash) if row.hash is not None else None
        has_seal = row.key_id is not None or row.mac is not None
        reason = None
        if stored is None or not hmac.compare_digest(stored, expected):
            reason = CHANGED
        elif not has_seal:
            if began:
                reason = UNSEALED
            else:
                check.before_chain += 1
        elif row.key_id not in audit_keys:
            reason = UNKNOWN_KEY
        elif row.mac is None or not hmac.compare_digest(
            bytes(row.mac), seal(audit_keys[row.key_id], stored)
        ):
            reason = BAD_SEAL
        else:
            check.sealed += 1
        if reason is not None:
            check.broken_count += 1
            if len(check.broken) < MAX_REPORTED:
                check.broken.append((row.id, reason))
        began = began or has_seal
        prev = stored if stored is not None else expected
        check.head_seq, check.head_hash = row.id, prev
    return check


# -- reading, for the console -------------------------------------------------------------------

ACTION_LABELS = "audit.action."  # resources/messages.json: one readable label per action code


def action_labels(lang: str) -> dict[str, str]:
    """Every action code that has a label -> the label, in the labels' order (the viewer's
    list of actions)."""
    codes = [k.removeprefix(ACTION_LABELS) for k in catalogue() if k.startswith(ACTION_LABELS)]
    found = {code: tr(ACTION_LABELS + code, lang) for code in codes}
    return dict(sorted(found.items(), key=lambda item: item[1].casefold()))


def action_label(action: str, lang: str) -> str:
    """The action's readable label, or its code when it has none yet (a new action)."""
    key = ACTION_LABELS + action
    return tr(key, lang) if key in catalogue() else action


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    officer_id: str | None
    household_id: str | None
    detail: dict


def entries(
    conn: Connection,
    scope: Scope,
    *,
    actor: str | None = None,
    action: str | None = None,
    officer_id: str | None = None,
    household_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first, filtered, at most `limit` (1-1000); `before`: entries with a seq
    below it (the next page). The province scope sees every entry. Any other scope sees only
    entries about an officer whose current areas overlap it or a household whose desa lies in
    it; entries about neither (exports, administrators, keys) are the province's only."""
    stmt = select(
        audit_log.c.id,
        audit_log.c.at,
        audit_log.c.actor,
        audit_log.c.action,
        audit_log.c.officer_id,
        audit_log.c.household_id,
        audit_log.c.detail,
    )
    if not scope.is_province:
        stmt = stmt.where(
            audit_log.c.officer_id.in_(
                select(officer_areas.c.officer_id).where(
                    scope.where_overlaps(officer_areas.c.area_code)
                )
            )
            | audit_log.c.household_id.in_(
                select(households.c.id).where(scope.where(households.c.kode_desa))
            )
        )
    for column, value in (
        (audit_log.c.actor, actor),
        (audit_log.c.action, action),
        (audit_log.c.officer_id, officer_id),
        (audit_log.c.household_id, household_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(audit_log.c.at >= since)
    if until is not None:
        stmt = stmt.where(audit_log.c.at < until)
    if before is not None:
        stmt = stmt.where(audit_log.c.id < before)
    limit = max(1, min(int(limit), MAX_ENTRIES))
    rows = conn.execute(stmt.order_by(audit_log.c.id.desc()).limit(limit))
    return [
        AuditEntry(
            r.id,
            r.at,
            r.actor,
            r.action,
            r.officer_id,
            r.household_id,
            json.loads(r.detail) if r.detail else {},
        )
        for r in rows
    ]
