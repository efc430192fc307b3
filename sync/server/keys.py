"""The server's keys, each wrapped by the passphrase like the laptop's data key (app/crypto.py):

    passphrase --Argon2id(salt, cost stored per row)--> KEK (never stored)
    KEK --AES-256-GCM, AAD "khbs/server-key/v1|<kind>|<key id>"--> each key in `server_keys`

    province     HPKE private key (ML-KEM-768 + X25519); id = province_key.key_id(public key)
    data         32 random bytes: AES-256-GCM for household content at rest
    blind_index  32 random bytes: HMAC-SHA256 tokens of NIK and KK for duplicate checks
    signing      Ed25519 private key: signs the questionnaire versions the province publishes
                 (HPKE cannot sign); id = signing_key_id(public key). Servers initialised
                 before it get one from `ensure_signing` (the first `questionnaire publish`).

Rotation keeps old rows (retired, still unwrapped, so old ciphertexts and escrow blobs open)
and marks one row per kind active; a partial unique index allows only one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, insert, select, update

from app.crypto import DecryptError, KdfParams, derive_kek, open_sealed, seal
from app.errors import WeakPassphrase, WrongPassphrase
from app.policy import MIN_PASSPHRASE
from app.province_key import ProvinceKeyPair
from sync.server import AlreadyInitialised, NotInitialised, audit
from sync.server.db import advisory_lock, display, server_keys, utc_now

KINDS = ("province", "data", "blind_index", "signing")
SALT_BYTES = 16
Clock = Callable[[], datetime]


def signing_key_id(public: bytes) -> str:
    return hashlib.sha256(b"khbs/signing-key/v1|" + public).hexdigest()[:16]


def wrap_aad(kind: str, key_id: str) -> bytes:
    return f"khbs/server-key/v1|{kind}|{key_id}".encode()


def content_aad(household_id: str, revision: int, content_hash: bytes) -> bytes:
    """Binds sealed content to its version row: copied to another row, it does not open."""
    return f"khbs/server-household/v1|{household_id}|{revision}|{content_hash.hex()}".encode()


def candidate_aad(candidate_id: str, revision: int, content_hash: bytes) -> bytes:
    return f"khbs/server-candidate/v1|{candidate_id}|{revision}|{content_hash.hex()}".encode()


def review_aad(household_id: str, round_no: int, revision: int) -> bytes:
    return f"khbs/server-review/v1|{household_id}|{round_no}|{revision}".encode()


def attachment_aad(household_id: str, attachment_id: str, sha256: str) -> bytes:
    """Binds a stored photo or signature to its household, its id and its image's hash."""
    return f"khbs/server-attachment/v1|{household_id}|{attachment_id}|{sha256}".encode()


@dataclass
class ServerKeys:
    """The unwrapped keys, by kind and key id, and which id of each kind is active."""

    secrets: dict[str, dict[str, bytes]] = field(repr=False)  # never in logs or tracebacks
    active: dict[str, str] = field(default_factory=dict)
    # Made once per key and reused: an AESGCM per data key (an export opens hundreds of
    # thousands, a push seals every household), the province key pair per key id (one per
    # push), an HMAC keyed with each blind-index key (copied per token). Each entry keeps the
    # secret it was made from and is used only while that is still the key id's secret.
    _made: dict[tuple[str, str], tuple[bytes, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _cached(self, kind: str, key_id: str, make: Callable[[bytes], Any]) -> Any:
        secret = self.secrets[kind][key_id]  # KeyError for an unknown key, as before
        hit = self._made.get((kind, key_id))
        if hit is None or hit[0] is not secret:
            hit = self._made[(kind, key_id)] = (secret, make(secret))
        return hit[1]

    def _aead(self, key_id: str) -> AESGCM:
        return self._cached("data", key_id, AESGCM)

    @property
    def province(self) -> ProvinceKeyPair:
        return self.province_key(self.active["province"])

    def province_key(self, key_id: str) -> ProvinceKeyPair:
        return self._cached("province", key_id, ProvinceKeyPair.from_private_bytes)

    def seal_content(
        self, household_id: str, revision: int, content_hash: bytes, plaintext: bytes
    ) -> tuple[str, bytes]:
        return self.seal_data(plaintext, content_aad(household_id, revision, content_hash))

    def open_content(
        self, key_id: str, household_id: str, revision: int, content_hash: bytes, blob: bytes
    ) -> bytes:
        return self.open_data(key_id, blob, content_aad(household_id, revision, content_hash))

    def seal_data(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        """(key id, blob) sealed with the active data key, bound to `aad`: AES-256-GCM with a
        fresh random nonce each time (app/crypto.seal), the AESGCM object made once per key."""
        key_id = self.active["data"]
        key = self.secrets["data"][key_id]
        return key_id, seal(key, plaintext, aad, self._aead(key_id))

    def open_data(self, key_id: str, blob: bytes, aad: bytes) -> bytes:
        key = self.secrets["data"].get(key_id)
        if key is None:
            raise DecryptError("unknown data key")
        return open_sealed(key, blob, aad, self._aead(key_id))

    def seal_candidate(
        self, candidate_id: str, revision: int, content_hash: bytes, plaintext: bytes
    ) -> tuple[str, bytes]:
        return self.seal_data(plaintext, candidate_aad(candidate_id, revision, content_hash))

    def open_candidate(
        self, key_id: str, candidate_id: str, revision: int, content_hash: bytes, blob: bytes
    ) -> bytes:
        return self.open_data(key_id, blob, candidate_aad(candidate_id, revision, content_hash))

    def seal_review(
        self, household_id: str, round_no: int, revision: int, plaintext: bytes
    ) -> tuple[str, bytes]:
        """A supervisor's note and comments (review.py), bound to the round's row."""
        return self.seal_data(plaintext, review_aad(household_id, round_no, revision))

    def open_review(
        self, key_id: str, household_id: str, round_no: int, revision: int, blob: bytes
    ) -> bytes:
        return self.open_data(key_id, blob, review_aad(household_id, round_no, revision))

    def seal_attachment(
        self, household_id: str, attachment_id: str, sha256: str, plaintext: bytes
    ) -> tuple[str, bytes]:
        return self.seal_data(plaintext, attachment_aad(household_id, attachment_id, sha256))

    def open_attachment(
        self, key_id: str, household_id: str, attachment_id: str, sha256: str, blob: bytes
    ) -> bytes:
        return self.open_data(key_id, blob, attachment_aad(household_id, attachment_id, sha256))

    def sign(self, message: bytes) -> tuple[str, bytes]:
        """(key id, Ed25519 signature) with the active signing key."""
        key_id = self.active["signing"]
        return key_id, Ed25519PrivateKey.from_private_bytes(self.secrets["signing"][key_id]).sign(
            message
        )

    def blind_token(self, kind: str, value: str) -> tuple[str, bytes]:
        """(key id, token) for a NIK ("nik") or KK ("kk") number, with the active index key."""
        key_id = self.active["blind_index"]
        mac = self._cached("blind_index", key_id, _keyed_hmac).copy()
        mac.update(f"{kind}:{value}".encode())
        return key_id, mac.digest()[:16]


def _keyed_hmac(key: bytes) -> hmac.HMAC:
    """HMAC-SHA256 with `key` and no message yet: `.copy()` then `.update(msg)` gives the same
    digest as hmac.new(key, msg, sha256) without deriving the padded key again."""
    return hmac.new(key, digestmod=hashlib.sha256)


def is_initialised(conn: Connection) -> bool:
    return conn.execute(select(server_keys.c.key_id).limit(1)).first() is not None


def province_public(conn: Connection) -> tuple[str, bytes]:
    """The active province public key (given to devices at enrollment); no passphrase needed."""
    row = conn.execute(
        select(server_keys.c.key_id, server_keys.c.public_key).where(
            server_keys.c.kind == "province", server_keys.c.active
        )
    ).first()
    if row is None:
        raise NotInitialised(db=display(conn.engine.url))
    return row.key_id, row.public_key


def signing_public(conn: Connection) -> tuple[str, bytes] | None:
    """The active signing key's (id, raw Ed25519 public key), given to devices at enrollment and
    on pull; None on a server initialised before signing keys and not given one yet."""
    row = conn.execute(
        select(server_keys.c.key_id, server_keys.c.public_key).where(
            server_keys.c.kind == "signing", server_keys.c.active
        )
    ).first()
    return (row.key_id, bytes(row.public_key)) if row is not None else None


def _new_secret(kind: str) -> tuple[str, bytes, bytes | None]:
    """(key id, secret bytes, public key or None) for a fresh key of this kind."""
    if kind == "province":
        pair = ProvinceKeyPair.generate()
        return pair.key_id, pair.private_bytes(), pair.public_bytes()
    if kind == "signing":
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes_raw()
        return signing_key_id(public), key.private_bytes_raw(), public
    return os.urandom(8).hex(), os.urandom(32), None


def _store(conn, kind, kek, salt, kdf, now) -> tuple[str, bytes]:
    key_id, secret, public = _new_secret(kind)
    conn.execute(
        insert(server_keys).values(
            key_id=key_id,
            kind=kind,
            active=True,
            public_key=public,
            kdf=kdf.to_json(),
            salt=salt,
            wrapped=seal(kek, secret, wrap_aad(kind, key_id)),
            created_at=now,
        )
    )
    return key_id, secret


def create(
    conn: Connection, passphrase: str, *, kdf: KdfParams = KdfParams(), clock: Clock = utc_now
) -> ServerKeys:
    """`khbs-server init`: one key of each kind. Refuses when keys exist already."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(minimum=MIN_PASSPHRASE)
    advisory_lock(conn, "khbs/keys")
    if is_initialised(conn):
        raise AlreadyInitialised(db=display(conn.engine.url))
    salt = os.urandom(SALT_BYTES)
    kek = derive_kek(passphrase, salt, kdf)
    keys = ServerKeys({kind: {} for kind in KINDS}, {})
    for kind in KINDS:
        key_id, secret = _store(conn, kind, kek, salt, kdf, clock())
        keys.secrets[kind][key_id] = secret
        keys.active[kind] = key_id
    audit.register(keys)  # this process may now seal audit entries
    return keys


def unlock(conn: Connection, passphrase: str) -> ServerKeys:
    """Every key, unwrapped. Argon2id runs once per distinct (cost, salt), normally once.
    From then on this process seals the audit entries it writes (sync/server/audit.py)."""
    keys = _unwrap(conn, passphrase)[0]
    audit.register(keys)
    return keys


def _unwrap(conn: Connection, passphrase: str) -> tuple[ServerKeys, dict[tuple[str, bytes], bytes]]:
    rows = conn.execute(select(server_keys).order_by(server_keys.c.created_at)).all()
    if not rows:
        raise NotInitialised(db=display(conn.engine.url))
    keks: dict[tuple[str, bytes], bytes] = {}
    keys = ServerKeys({kind: {} for kind in KINDS}, {})
    for row in rows:
        salt = bytes(row.salt)
        kek = keks.get((row.kdf, salt))
        if kek is None:
            kek = keks[(row.kdf, salt)] = derive_kek(passphrase, salt, KdfParams.from_json(row.kdf))
        try:
            secret = open_sealed(kek, bytes(row.wrapped), wrap_aad(row.kind, row.key_id))
        except DecryptError:
            raise WrongPassphrase() from None
        keys.secrets[row.kind][row.key_id] = secret
        if row.active:
            keys.active[row.kind] = row.key_id
    return keys, keks


def ensure_signing(conn: Connection, passphrase: str, *, clock: Clock = utc_now) -> ServerKeys:
    """Every key, unwrapped, with a signing key: a server initialised before signing keys gets
    one now, wrapped with the same passphrase, cost and salt as its province key."""
    advisory_lock(conn, "khbs/keys")
    keys, keks = _unwrap(conn, passphrase)
    audit.register(keys)  # publishing writes a sealed audit entry
    if "signing" in keys.active:
        return keys
    row = conn.execute(
        select(server_keys.c.kdf, server_keys.c.salt).where(
            server_keys.c.kind == "province", server_keys.c.active
        )
    ).one()
    salt = bytes(row.salt)
    key_id, secret = _store(
        conn, "signing", keks[(row.kdf, salt)], salt, KdfParams.from_json(row.kdf), clock()
    )
    keys.secrets["signing"][key_id] = secret
    keys.active["signing"] = key_id
    return keys


def rotate(conn: Connection, passphrase: str, kind: str, *, clock: Clock = utc_now) -> str:
    """A new active key of `kind`; the old one is retired but kept. Returns the new key id."""
    advisory_lock(conn, "khbs/keys")
    _, keks = _unwrap(conn, passphrase)  # checks the passphrase
    active = server_keys.c.kind == kind, server_keys.c.active
    row = conn.execute(select(server_keys.c.kdf, server_keys.c.salt).where(*active)).one()
    salt = bytes(row.salt)
    now = clock()
    conn.execute(update(server_keys).where(*active).values(active=False, retired_at=now))
    key_id, secret = _store(
        conn, kind, keks[(row.kdf, salt)], salt, KdfParams.from_json(row.kdf), now
    )
    if kind == "data":  # entries from now on are sealed with the new data key's audit key
        audit.register(ServerKeys({"data": {key_id: secret}}))
    return key_id
