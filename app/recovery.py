"""Recovery codes: the laptop's data key, unsealed by the province from the escrow blob, in a
form an officer can type after hearing it on the phone (docs/security.md, "Forgotten
passphrase").

A code is the 32-byte key in base32 plus a 2-character check, in groups of four: a typo is
caught before the slow key derivation runs. Base32 has no 0, 1 or 8, so those typed for O, I
and B are read as meant.
"""

from __future__ import annotations

import base64
import hashlib

from app.errors import WrongRecoveryCode

KEY_BYTES = 32
GROUP = 4
_LOOKALIKE = str.maketrans("018", "OIB")


def _check(key: bytes) -> str:
    return base64.b32encode(hashlib.sha256(b"khbs/recovery/v1" + key).digest())[:2].decode()


def format_code(key: bytes) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("not a data key")
    text = base64.b32encode(key).decode().rstrip("=") + _check(key)
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def parse_code(code: str) -> bytes:
    """The key in a typed code; WrongRecoveryCode when it is mistyped (spaces, dashes and case
    do not matter)."""
    text = "".join(c for c in code.upper() if c.isalnum()).translate(_LOOKALIKE)
    body, check = text[:-2], text[-2:]
    try:
        key = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        raise WrongRecoveryCode() from None
    if len(key) != KEY_BYTES or _check(key) != check:
        raise WrongRecoveryCode()
    return key
