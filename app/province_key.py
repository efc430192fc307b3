"""The province's HPKE key pair (RFC 9180), used to seal data to the province.

Suite: ML-KEM-768 + X25519 hybrid KEM, HKDF-SHA256, AES-256-GCM. NIK data stays sensitive for
decades, so the KEM resists a future quantum attacker on recorded ciphertexts while X25519 keeps
today's security if ML-KEM were broken.

The laptop uses the public half to escrow its data key (a forgotten passphrase never loses
unsynced households); the sync issue uses it to seal upload batches.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_MLKEM_PUB = 1184
_X25519 = 32
_MLKEM_SEED = 64
PUBLIC_BYTES = _MLKEM_PUB + _X25519


class InvalidPublicKey(ValueError):
    pass


def key_id(public_bytes: bytes) -> str:
    """Short stable id of a public key, so keys can be rotated and told apart."""
    return hashlib.sha256(public_bytes).hexdigest()[:16]


def load_public(public_bytes: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(public_bytes) != PUBLIC_BYTES:
        raise InvalidPublicKey(f"expected {PUBLIC_BYTES} bytes, got {len(public_bytes)}")
    try:
        return hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(public_bytes[:_MLKEM_PUB]),
            x25519.X25519PublicKey.from_public_bytes(public_bytes[_MLKEM_PUB:]),
        )
    except ValueError as exc:
        raise InvalidPublicKey(str(exc)) from exc


def seal_to(public_bytes: bytes, plaintext: bytes, info: bytes) -> bytes:
    return SUITE.encrypt(plaintext, load_public(public_bytes), info=info)


class ProvinceKeyPair:
    """Private half: lives only at the province (stored encrypted by the server issue)."""

    def __init__(self, mlkem_key: mlkem.MLKEM768PrivateKey, x_key: x25519.X25519PrivateKey):
        self._mlkem = mlkem_key
        self._x = x_key
        self._private = hpke.MLKEM768X25519PrivateKey(mlkem_key, x_key)

    @classmethod
    def generate(cls) -> ProvinceKeyPair:
        return cls(mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, data: bytes) -> ProvinceKeyPair:
        return cls(
            mlkem.MLKEM768PrivateKey.from_seed_bytes(data[:_MLKEM_SEED]),
            x25519.X25519PrivateKey.from_private_bytes(data[_MLKEM_SEED:]),
        )

    def private_bytes(self) -> bytes:
        return self._mlkem.private_bytes_raw() + self._x.private_bytes_raw()

    def public_bytes(self) -> bytes:
        return self._mlkem.public_key().public_bytes_raw() + self._x.public_key().public_bytes_raw()

    @property
    def key_id(self) -> str:
        return key_id(self.public_bytes())

    def open(self, ciphertext: bytes, info: bytes) -> bytes:
        return SUITE.decrypt(ciphertext, self._private, info=info)
