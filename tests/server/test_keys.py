"""Server keys: made by init, wrapped by the passphrase, never stored in the clear."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.crypto import DecryptError
from app.errors import WeakPassphrase, WrongPassphrase
from app.province_key import key_id as province_key_id
from app.province_key import seal_to
from sync.server import AlreadyInitialised, NotInitialised, keys
from sync.server.db import server_keys
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.server.conftest import stored_bytes


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(server_keys).order_by(server_keys.c.kind)).all()


def test_init_makes_one_active_key_of_each_kind(engine, initialised):
    found = rows(engine)
    assert sorted(r.kind for r in found) == ["blind_index", "data", "province", "signing"]
    assert all(r.active and r.retired_at is None for r in found)
    province = next(r for r in found if r.kind == "province")
    pair = initialised.province
    assert bytes(province.public_key) == pair.public_bytes()
    assert province.key_id == province_key_id(pair.public_bytes()) == pair.key_id
    with engine.connect() as conn:
        assert keys.province_public(conn) == (pair.key_id, pair.public_bytes())


def test_private_keys_are_not_readable_without_the_passphrase(engine, initialised):
    everything = stored_bytes(engine)
    secrets = [s for kind in initialised.secrets.values() for s in kind.values()]
    assert len(secrets) == 4
    for secret in secrets:
        assert secret not in everything
        assert secret.hex().encode() not in everything
    with engine.connect() as conn, pytest.raises(WrongPassphrase) as wrong:
        keys.unlock(conn, "not-the-passphrase")
    assert wrong.value.message("id") == "Kata sandi salah."
    with engine.connect() as conn:
        again = keys.unlock(conn, PASSPHRASE)
    assert again.secrets == initialised.secrets
    assert again.active == initialised.active


def test_init_refuses_a_second_time_and_weak_passphrases(engine, initialised):
    with engine.begin() as conn, pytest.raises(AlreadyInitialised):
        keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
    with engine.begin() as conn, pytest.raises(WeakPassphrase):
        keys.create(conn, "short", kdf=FAST_KDF)
    assert len(rows(engine)) == 4


def test_unlock_before_init_is_not_initialised(engine):
    with engine.connect() as conn, pytest.raises(NotInitialised):
        keys.unlock(conn, PASSPHRASE)


def test_content_is_bound_to_its_version_and_tokens_are_stable(engine, initialised):
    content = b'{"kk":"6201010101010001"}'
    digest = hashlib.sha256(content).digest()
    key_id, blob = initialised.seal_content("h1", 2, digest, content)
    assert content not in blob
    with engine.connect() as conn:
        reopened = keys.unlock(conn, PASSPHRASE)
    assert reopened.open_content(key_id, "h1", 2, digest, blob) == content
    for moved in (("h2", 2, digest), ("h1", 3, digest), ("h1", 2, bytes(32))):
        with pytest.raises(DecryptError):
            reopened.open_content(key_id, *moved, blob)
    nik = "6201014101900001"
    assert reopened.blind_token("nik", nik) == initialised.blind_token("nik", nik)
    assert initialised.blind_token("nik", nik)[1] != initialised.blind_token("kk", nik)[1]
    assert len(initialised.blind_token("nik", nik)[1]) == 16


def test_objects_made_once_per_key_give_what_fresh_ones_give(engine, initialised):
    """seal_content, blind_token and province_key reuse an AESGCM, a keyed HMAC and a key pair
    made once per key (a push seals every household): the output is what the plain primitives
    give, every seal still draws its own nonce, and a key id whose secret changes (another
    server's keys in the same process) is not served the old key's object."""
    import hmac
    import os

    from app.crypto import NONCE_BYTES, open_sealed

    content, aad_args = b'{"nik":"6201014101900001"}', ("h1", 1, bytes(32))
    sealed = [initialised.seal_content(*aad_args, content)[1] for _ in range(50)]
    assert len({blob[:NONCE_BYTES] for blob in sealed}) == 50  # fresh random nonces
    data_key = initialised.secrets["data"][initialised.active["data"]]
    for blob in sealed:  # opened without the cache: plain AES-GCM under the data key
        assert open_sealed(data_key, blob, keys.content_aad(*aad_args)) == content
    index_key = initialised.secrets["blind_index"][initialised.active["blind_index"]]
    for kind, value in [("nik", "6201014101900001"), ("kk", "6201010101010001"), ("nik", "é")]:
        expected = hmac.new(index_key, f"{kind}:{value}".encode(), hashlib.sha256).digest()[:16]
        assert initialised.blind_token(kind, value)[1] == expected
        assert initialised.blind_token(kind, value)[1] == expected  # the keyed HMAC is unchanged
    pair_id = initialised.active["province"]
    assert initialised.province_key(pair_id) is initialised.province_key(pair_id)
    # The same key ids, other secrets: every cached object is made again.
    other = keys.ServerKeys(
        {kind: dict(found) for kind, found in initialised.secrets.items()}, initialised.active
    )
    other._made.update(initialised._made)
    other.secrets["data"][initialised.active["data"]] = os.urandom(32)
    other.secrets["blind_index"][initialised.active["blind_index"]] = os.urandom(32)
    with pytest.raises(DecryptError):
        other.open_content(initialised.active["data"], *aad_args, sealed[0])
    assert other.blind_token("nik", "6201014101900001") != initialised.blind_token(
        "nik", "6201014101900001"
    )
    with pytest.raises(KeyError):
        initialised.province_key("unknown")


def test_rotation_keeps_old_keys_usable(engine, initialised):
    old = initialised.province
    escrow = seal_to(old.public_bytes(), b"laptop data key", b"khbs/escrow/v1|store")
    with engine.begin() as conn:
        new_id = keys.rotate(conn, PASSPHRASE, "province")
    assert new_id != old.key_id
    found = [r for r in rows(engine) if r.kind == "province"]
    assert {r.key_id: r.active for r in found} == {old.key_id: False, new_id: True}
    with engine.connect() as conn:
        reopened = keys.unlock(conn, PASSPHRASE)
        assert keys.province_public(conn)[0] == new_id
    assert reopened.province.key_id == new_id
    opened = reopened.province_key(old.key_id).open(escrow, b"khbs/escrow/v1|store")
    assert opened == b"laptop data key"
    with engine.begin() as conn, pytest.raises(WrongPassphrase):
        keys.rotate(conn, "not-the-passphrase", "data")


def test_a_server_from_before_signing_keys_gets_one_wrapped_like_the_others(engine, initialised):
    """Servers initialised before questionnaire versions have no signing key: the first
    `questionnaire publish` adds one with the same passphrase, cost and salt."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import delete

    with engine.begin() as conn:
        conn.execute(delete(server_keys).where(server_keys.c.kind == "signing"))
        assert keys.signing_public(conn) is None
        assert "signing" not in keys.unlock(conn, PASSPHRASE).active
        with pytest.raises(WrongPassphrase):
            keys.ensure_signing(conn, "not-the-passphrase")
    with engine.begin() as conn:
        made = keys.ensure_signing(conn, PASSPHRASE)
    with engine.begin() as conn:
        again = keys.ensure_signing(conn, PASSPHRASE)  # once only
    assert again.active["signing"] == made.active["signing"]
    found = {r.kind: r for r in rows(engine)}
    assert found["signing"].salt == found["province"].salt
    assert found["signing"].kdf == found["province"].kdf
    with engine.connect() as conn:
        key_id, public = keys.signing_public(conn)
    assert key_id == made.active["signing"] == keys.signing_key_id(public)
    signed_by, signature = made.sign(b"khbs/questionnaire/v1|2|{}")
    assert signed_by == key_id
    Ed25519PublicKey.from_public_bytes(public).verify(signature, b"khbs/questionnaire/v1|2|{}")
    assert made.secrets["signing"][key_id] not in stored_bytes(engine)
