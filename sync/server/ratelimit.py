"""Token buckets in the database: one per device id (signed requests), per client address
(/v1/enroll) and per administrator (export). Every API process and every machine on the same
database spends from the same bucket, so N workers enforce one limit, not N (docs/sync.md).

One take is one statement: an upsert that refills the bucket for the time since its last take,
spends a token when there is one, and returns what it did. PostgreSQL runs it under the row's
lock and SQLite inside BEGIN IMMEDIATE, so concurrent takes never both spend the last token.
Buckets are keyed by the SHA-256 of kind and key: the table keeps no client address.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, Float, LargeBinary, bindparam, case, delete
from sqlalchemy.dialects import postgresql, sqlite

from sync.server.db import rate_buckets

FORGET_EVERY = 1000  # takes between two sweeps of full (idle) buckets


class RateLimiter:
    """`per_minute` tokens a minute, at most `burst` saved up. `take(key)` spends one token and
    returns None, or returns the whole seconds to wait when the bucket is empty. It reads the
    database: call it from a worker thread, not the event loop. The clock is Unix time, shared
    by machines that keep it with NTP (signed requests need that already)."""

    def __init__(
        self,
        engine: Engine,
        kind: str,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.time,
    ):
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute > 0 and burst >= 1")
        self.engine, self.kind = engine, kind
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._takes = 0
        self._statements: dict[str, Any] = {}  # by dialect name (_upsert)

    def take(self, key: str, conn: Connection | None = None) -> int | None:
        """`conn`: spend inside the caller's transaction (the signed-request check takes its
        device's token in the transaction that keeps the nonce); else in one of its own."""
        if conn is None:
            with self.engine.begin() as own:
                return self.take(key, own)
        now = self.clock()
        key_hash = hashlib.sha256(f"{self.kind}:{key}".encode()).digest()
        stmt = self._statements.get(conn.dialect.name)
        if stmt is None:
            stmt = self._statements[conn.dialect.name] = self._upsert(conn.dialect.name)
        tokens, granted = conn.execute(
            stmt, {"key_hash": key_hash, "now": now, "full_at": now + 1.0 / self.rate}
        ).one()
        self._takes += 1
        if self._takes % FORGET_EVERY == 0:
            self._forget_full(conn, now)
        if granted:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _upsert(self, dialect: str):
        """The take, built once per dialect with the key and the clock as bound parameters
        (key_hash, now, full_at), so SQLAlchemy compiles it once, not on every request."""
        b = rate_buckets.c
        now = bindparam("now", type_=Float)
        elapsed = case((b.at < now, now - b.at), else_=0.0)
        grown = b.tokens + elapsed * self.rate
        refill = case((grown > self.burst, self.burst), else_=grown)
        has_token = refill >= 1.0
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        tokens = case((has_token, refill - 1.0), else_=refill)
        at = case((b.at < now, now), else_=b.at)  # never backwards: clocks of machines differ
        stmt = insert(rate_buckets).values(
            key_hash=bindparam("key_hash", type_=LargeBinary),
            tokens=self.burst - 1.0,
            at=now,
            full_at=bindparam("full_at", type_=Float),
            granted=True,
        )
        return stmt.on_conflict_do_update(
            index_elements=[b.key_hash],
            set_={
                "tokens": tokens,
                "at": at,
                "full_at": at + (self.burst - tokens) / self.rate,
                "granted": has_token,
            },
        ).returning(b.tokens, b.granted)

    def _forget_full(self, conn, now: float) -> None:
        """A bucket idle long enough to be full again is the same as no bucket."""
        conn.execute(delete(rate_buckets).where(rate_buckets.c.full_at < now))
