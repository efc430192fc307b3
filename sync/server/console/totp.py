"""TOTP (RFC 6238) for console logins: HMAC-SHA1, 6 digits, 30-second steps, the codes any
authenticator app makes. HOTP (RFC 4226) is a few lines of hmac, so no library is needed.

A code is accepted for the step before, the current and the next (a phone's clock a little
off), and each step only once: the user row keeps the last step used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import datetime
from urllib.parse import quote

DIGITS = 6
STEP_SECONDS = 30
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommendation
ISSUER = "KHBS Console"


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    mac = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(key: bytes, now: datetime) -> str:
    return hotp(key, step(now))


def accepted_step(key: bytes, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step a typed code belongs to (one back to one ahead), if it is newer than the last
    step used; None otherwise."""
    code = "".join(str(code).split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step(now)
    for candidate in (current - 1, current, current + 1):
        if last_step is not None and candidate <= last_step:
            continue
        if hmac.compare_digest(hotp(key, candidate), code):
            return candidate
    return None


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def secret_text(secret: bytes) -> str:
    """Base32 without padding, in groups of four: what a person types into an app."""
    text = base64.b32encode(secret).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_secret(text: str) -> bytes | None:
    raw = "".join(str(text).split()).upper()
    if not raw or len(raw) > 64:
        return None
    try:
        secret = base64.b32decode(raw + "=" * (-len(raw) % 8))
    except ValueError:
        return None
    return secret if len(secret) == SECRET_BYTES else None


def uri(secret: bytes, account: str) -> str:
    """otpauth:// URI, for apps that take one pasted in."""
    raw = base64.b32encode(secret).decode().rstrip("=")
    label = quote(f"{ISSUER}:{account}", safe="")
    return f"otpauth://totp/{label}?secret={raw}&issuer={quote(ISSUER)}&digits={DIGITS}&period={STEP_SECONDS}"
