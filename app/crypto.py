"""Key derivation, record sealing and blind indexes for the local store.

Key hierarchy (docs/security.md):
    passphrase --Argon2id--> KEK --AES-256-GCM wraps--> data key (DK, 32 random bytes)
    DK --HKDF--> record key (AES-256-GCM), index key (HMAC blind indexes), audit key (HMAC chain),
                 row key (HMAC over each row's plaintext columns)
    DK --HPKE sealed to the province public key--> escrow blob (forgotten-passphrase recovery)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptError(Exception):
    """A ciphertext did not open: wrong key, damaged bytes or moved to another row."""


class KdfOutOfBounds(ValueError):
    """Stored Argon2id cost or salt outside KDF_BOUNDS: damaged or changed on purpose."""


# The cost is read from a plaintext row before anything is unlocked, so it is bounded before
# Argon2id runs: a raised value must not make unlock hang or exhaust memory. From the OWASP
# minimum (19 MiB) to 1 GiB, which a field laptop can still afford.
KDF_BOUNDS = {"memory_kib": (19 * 1024, 1024 * 1024), "iterations": (1, 10), "lanes": (1, 8)}
SALT_BYTES = (16, 64)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Stored beside the wrapped key so it can be raised later (within
    KDF_BOUNDS)."""

    memory_kib: int = 64 * 1024  # RFC 9106 second recommendation; OWASP minimum is 19 MiB
    iterations: int = 3
    lanes: int = 4

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> KdfParams:
        """Strict: exactly the three fields, integers within KDF_BOUNDS."""
        try:
            fields = json.loads(text)
        except (TypeError, ValueError):
            raise KdfOutOfBounds("kdf") from None
        if not isinstance(fields, dict) or set(fields) != set(KDF_BOUNDS):
            raise KdfOutOfBounds("kdf")
        params = cls(**fields)
        params.check()
        return params

    def check(self, salt: bytes | None = None) -> None:
        for name, (low, high) in KDF_BOUNDS.items():
            value = getattr(self, name)
            if type(value) is not int or not low <= value <= high:
                raise KdfOutOfBounds(name)
        if salt is not None and (
            not isinstance(salt, bytes) or not SALT_BYTES[0] <= len(salt) <= SALT_BYTES[1]
        ):
            raise KdfOutOfBounds("salt")


def derive_kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    params.check(salt)  # never run Argon2id with a cost nobody chose
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(passphrase.encode("utf-8"))


def seal(key: bytes, plaintext: bytes, aad: bytes, aead: AESGCM | None = None) -> bytes:
    """AES-256-GCM with a fresh random nonce; returns nonce || ciphertext || tag. `aead`:
    AESGCM(key) made once by a caller that seals many blobs with the same key (the nonce is
    still drawn here, per call)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + (aead or AESGCM(key)).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes, aead: AESGCM | None = None) -> bytes:
    """`aead`: AESGCM(key) made once by a caller that opens many blobs with the same key."""
    if blob is None or len(blob) < NONCE_BYTES + 16:
        raise DecryptError("ciphertext too short")
    try:
        return (aead or AESGCM(key)).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise DecryptError("authentication failed") from exc


def _hkdf(dk: bytes, label: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"khbs/{label}/v1".encode()
    ).derive(dk)


def subkey(key: bytes, label: str) -> bytes:
    """A 32-byte key for one purpose, HKDF-SHA256 with info "khbs/<label>/v1" (the server
    derives its audit key from its data key this way, as the laptop does)."""
    return _hkdf(key, label)


class RecordCipher:
    """Everything the unlocked store does with the data key, in one place."""

    def __init__(self, data_key: bytes):
        self._record = AESGCM(_hkdf(data_key, "record"))
        self._index_key = _hkdf(data_key, "blind-index")
        self._audit_key = _hkdf(data_key, "audit")
        self._row_key = _hkdf(data_key, "row")

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._record.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        if blob is None or len(blob) < NONCE_BYTES + 16:
            raise DecryptError("ciphertext too short")
        try:
            return self._record.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise DecryptError("authentication failed") from exc

    def blind_token(self, kind: str, value: str) -> bytes:
        """Keyed, deterministic token for equality lookups of NIK/KK without storing them."""
        msg = f"{kind}:{value}".encode()
        return hmac.new(self._index_key, msg, hashlib.sha256).digest()[:16]

    def audit_mac(self, prev: bytes, entry: bytes) -> bytes:
        return hmac.new(self._audit_key, prev + entry, hashlib.sha256).digest()

    def row_mac(self, table: str, values: tuple) -> bytes:
        """HMAC over a row's columns (None, int, str or bytes), each typed and length-prefixed
        so no two rows encode alike; the table name keeps a households MAC off an assigned row."""
        mac = hmac.new(self._row_key, table.encode() + b"\x00", hashlib.sha256)
        for value in values:
            if value is None:
                tag, raw = b"n", b""
            elif isinstance(value, int) and not isinstance(value, bool):
                tag, raw = b"i", str(value).encode()
            elif isinstance(value, str):
                tag, raw = b"s", value.encode("utf-8")
            elif isinstance(value, (bytes, bytearray, memoryview)):
                tag, raw = b"b", bytes(value)
            else:
                raise TypeError(f"row_mac: {type(value).__name__}")
            mac.update(tag + len(raw).to_bytes(4, "big") + raw)
        return mac.digest()

    def row_mac_ok(self, table: str, values: tuple, mac: bytes | None) -> bool:
        return mac is not None and hmac.compare_digest(bytes(mac), self.row_mac(table, values))


def record_aad(record_id: str, revision: int, part: str) -> bytes:
    """Binds a ciphertext to its row and revision: copied elsewhere, it fails to open."""
    return f"khbs/household/v1|{record_id}|{revision}|{part}".encode()


def attachment_aad(household_id: str, attachment_id: str, sha256: str, part: str) -> bytes:
    """Binds a sealed attachment (its image, thumbnail or details) to its household, its own id
    and the SHA-256 of its content: moved to another row or swapped for other bytes, it fails."""
    return f"khbs/attachment/v1|{household_id}|{attachment_id}|{sha256}|{part}".encode()
