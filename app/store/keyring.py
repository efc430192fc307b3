"""The keyring's pieces that need no store: how the data key's wrap and check are bound, how
long a wrong passphrase waits, and which Argon2id costs a keyring may hold (docs/security.md).
Store (app/store/store.py) unlocks, rewraps and escrows with them.
"""

from __future__ import annotations

from app.crypto import DecryptError, KdfOutOfBounds, KdfParams, open_sealed
from app.errors import StoreTampered
from sync.protocol import escrow_info  # noqa: F401 - re-exported: the wire info lives in sync.protocol


def unlock_delay(failures: int) -> float:
    """Seconds to wait after `failures` wrong passphrases in a row: 0, 0, 1, 2, 4 ... 300."""
    return 0.0 if failures < 3 else float(min(2 ** (failures - 3), 300))


def keywrap_aad(store_id: str, kdf: KdfParams, salt: bytes) -> bytes:
    """v2 binds the Argon2id cost and salt the wrap was made with (docs/security.md)."""
    return f"khbs/keywrap/v2|{store_id}|{kdf.to_json()}|{salt.hex()}".encode()


def unwrap(
    kek: bytes, wrapped: bytes, store_id: str, kdf: KdfParams, salt: bytes
) -> tuple[bytes, bool]:
    """The data key, and whether its wrap is the v1 one of stores made before v2 (rewrapped at
    unlock). Raises DecryptError for a wrong passphrase."""
    try:
        return open_sealed(kek, wrapped, keywrap_aad(store_id, kdf, salt)), False
    except DecryptError:
        return open_sealed(kek, wrapped, f"khbs/keywrap/v1|{store_id}".encode()), True


def stored_kdf(kdf_json: str, salt: bytes) -> KdfParams:
    """The keyring's Argon2id cost, refused before it runs when no version of the app could
    have written it (a raised cost would make unlock hang)."""
    try:
        kdf = KdfParams.from_json(kdf_json)
        kdf.check(salt)
    except KdfOutOfBounds:
        raise StoreTampered(part="keyring.kdf") from None
    return kdf


def key_check_aad(store_id: str) -> bytes:
    return f"khbs/key-check/v1|{store_id}".encode()
