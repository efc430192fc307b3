"""Dependencies: a database connection per request, the unlocked keys, and `AuthDevice`, the
signed-request check of docs/sync.md (device known and not revoked, signature, clock, nonce).
The device is checked from the headers before the body is read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
from sqlalchemy import Connection
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from sync.protocol import H_DEVICE, MAX_SKEW_S, ProtocolError, verify_request
from sync.server import repo
from sync.server.api.errors import ApiError
from sync.server.keys import ServerKeys
from sync.server.ratelimit import RateLimiter
from sync.server.settings import Settings

NONCE_TTL = timedelta(seconds=2 * MAX_SKEW_S)  # replays are refused for 30 minutes


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_keys(request: Request) -> ServerKeys:
    return request.app.state.keys


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_conn(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


def single_read(engine: Engine) -> Connection:
    """A connection for one SELECT. On PostgreSQL it runs outside a transaction: no BEGIN and
    no ROLLBACK at checkin, two round trips fewer for a read that sees one row anyway. (SQLite
    keeps its transactions: its `begin` hook takes the write lock, db._sqlite_begin.)"""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


EngineDep = Annotated[Engine, Depends(get_engine)]
KeysDep = Annotated[ServerKeys, Depends(get_keys)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Conn = Annotated[Connection, Depends(get_conn)]


@dataclass(frozen=True)
class Authed:
    """The device a verified request came from, and the body the signature covered."""

    device: repo.Device
    body: bytes


def _device_id(headers) -> str:
    device_id = headers.get(H_DEVICE, "")
    if not device_id or len(device_id) > 36:
        raise ProtocolError("missing_auth")
    return device_id


def known_device(conn: Connection, headers) -> bytes:
    """The check that needs only the headers: a device id that is known and not revoked.
    Returns its public key; raises ProtocolError with a code safe to send back."""
    device_id = _device_id(headers)
    found = repo.device_key(conn, device_id)
    if found is None:
        raise ProtocolError("unknown_device")
    public_key, revoked_at = found
    if revoked_at is not None:
        raise ProtocolError("revoked")
    return public_key


def authenticate(
    conn: Connection,
    headers,
    method: str,
    path: str,
    body: bytes,
    now: int,
    limiter: RateLimiter,
) -> tuple[repo.Device, int | None]:
    """(device, None), or (device, seconds to wait) when its rate-limit bucket is empty.
    Raises ProtocolError with a code safe to send back. On success the nonce is remembered and
    the device's token taken in one transaction, the token after the signature and nonce
    checks, so nobody can spend another device's bucket."""
    device_id = _device_id(headers)
    with conn.begin():
        try:  # one read for the key, the revocation and the device itself
            device = repo.get_device(conn, device_id)
        except repo.UnknownDevice:
            raise ProtocolError("unknown_device") from None
        if device.revoked_at is not None:
            raise ProtocolError("revoked")
        public = Ed25519PublicKey.from_public_bytes(device.public_key)
        nonce = verify_request(public, headers, method, path, body, now)
        if not 16 <= len(nonce) <= 32:
            raise ProtocolError("missing_auth")
        if not repo.remember_nonce(conn, device_id, nonce, NONCE_TTL):
            raise ProtocolError("replay")
        return device, limiter.take(device.id, conn)


async def auth_device(request: Request, engine: EngineDep) -> Authed:
    def headers_only() -> None:
        with single_read(engine) as conn:
            known_device(conn, request.headers)

    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    try:
        if has_body:  # checked before any body byte is read: a stranger's is never read
            await run_in_threadpool(headers_only)
    except ProtocolError as exc:
        raise ApiError(401, exc.code) from None
    # Its size and the time it may take are limited by sync/server/api/limits.py.
    body = await request.body()
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    limiter = request.app.state.device_limiter

    def check() -> tuple[repo.Device, int | None]:
        with engine.connect() as conn:
            return authenticate(
                conn, request.headers, request.method, path, body, int(time.time()), limiter
            )

    try:
        device, wait = await run_in_threadpool(check)
    except ProtocolError as exc:
        raise ApiError(401, exc.code) from None
    if wait is not None:
        raise ApiError(429, "rate_limited", retry_after=wait)
    return Authed(device, body)


async def limit(limiter, key: str) -> None:
    """429 when `key`'s bucket (shared in the database, ratelimit.py) is empty."""
    wait = await run_in_threadpool(limiter.take, key)
    if wait is not None:
        raise ApiError(429, "rate_limited", retry_after=wait)


async def limit_enroll(request: Request) -> None:
    """Per client IP (behind a proxy this is the proxy's address: see docs/sync.md)."""
    ip = request.client.host if request.client else "unknown"
    await limit(request.app.state.enroll_limiter, ip)


AuthDevice = Annotated[Authed, Depends(auth_device)]
