"""The sync wire format: signed requests and sealed batches (docs/sync.md)."""

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.province_key import ProvinceKeyPair
from sync.protocol import (
    H_NONCE,
    H_SIGNATURE,
    H_TIME,
    MAGIC,
    ProtocolError,
    open_batch,
    read_header,
    seal_batch,
    sign_request,
    verify_request,
)
from tests.records import household

NOW = 1_796_000_000


@pytest.fixture(scope="module")
def province():
    return ProvinceKeyPair.generate()


def test_signed_request_verifies_and_detects_changes():
    key = Ed25519PrivateKey.generate()
    body = b'{"x": 1}'
    headers = sign_request(key, "dev-1", "POST", "/v1/push", body, NOW)
    public = key.public_key()
    assert verify_request(public, headers, "POST", "/v1/push", body, NOW + 60) == headers[H_NONCE]
    for method, path, changed in (("POST", "/v1/push", b'{"x": 2}'), ("GET", "/v1/push", body),
                                  ("POST", "/v1/pull", body)):
        with pytest.raises(ProtocolError) as exc:
            verify_request(public, headers, method, path, changed, NOW)
        assert exc.value.code == "bad_signature"
    with pytest.raises(ProtocolError) as exc:
        verify_request(public, headers, "POST", "/v1/push", body, NOW + 16 * 60)
    assert exc.value.code == "clock_skew"
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(ProtocolError):
        verify_request(other, headers, "POST", "/v1/push", body, NOW)
    with pytest.raises(ProtocolError) as exc:
        verify_request(public, {H_TIME: str(NOW)}, "POST", "/v1/push", body, NOW)
    assert exc.value.code == "missing_auth"
    assert sign_request(key, "dev-1", "POST", "/v1/push", body, NOW)[H_NONCE] != headers[H_NONCE]
    assert H_SIGNATURE in headers


def test_batch_round_trip_and_binding(province):
    rec = household()
    items = [{"id": rec["id"], "revision": 3, "record": rec}]
    batch_id = str(uuid.uuid4())
    body = seal_batch(province.public_bytes(), province.key_id, "dev-1", batch_id, items)
    assert body.startswith(MAGIC)
    assert rec["anggota"][0]["nama"].encode() not in body and rec["no_kk"].encode() not in body
    header, opened = open_batch(province, "dev-1", body)
    assert (header.batch_id, header.key_id, header.count) == (batch_id, province.key_id, 1)
    assert opened == items
    # Bound to device and batch id: replayed as another device, it does not open.
    with pytest.raises(ProtocolError) as exc:
        open_batch(province, "dev-2", body)
    assert exc.value.code == "bad_seal"
    # A header edited to another batch id does not open either.
    forged = body.replace(batch_id.encode(), str(uuid.uuid4()).encode())
    with pytest.raises(ProtocolError):
        open_batch(province, "dev-1", forged)
    with pytest.raises(ProtocolError):
        open_batch(ProvinceKeyPair.generate(), "dev-1", body)
    with pytest.raises(ProtocolError):
        read_header(b"not a batch")


def test_compression_happens_before_sealing(province):
    recs = [household(id=str(uuid.uuid4())) for _ in range(20)]
    items = [{"id": r["id"], "revision": 1, "record": r} for r in recs]
    body = seal_batch(province.public_bytes(), province.key_id, "d", "b", items)
    import json

    plain = len(json.dumps(items).encode())
    assert len(body) < plain / 4, (len(body), plain)  # repetitive JSON compresses well


def test_escrow_travels_in_the_header(province):
    rec = household()
    items = [{"id": rec["id"], "revision": 1, "record": rec}]
    body = seal_batch(province.public_bytes(), province.key_id, "d", "b", items,
                      escrow=("kid", b"\x00sealed\xff"))
    header, opened = open_batch(province, "d", body)
    assert header.escrow == ("kid", b"\x00sealed\xff") and opened == items
    assert read_header(seal_batch(province.public_bytes(), province.key_id, "d", "b", items))[0].escrow is None


def test_store_id_travels_with_the_escrow(province):
    from sync.protocol import normal_store_id

    store_id = str(uuid.uuid4())
    body = seal_batch(province.public_bytes(), province.key_id, "d", "b", [],
                      escrow=("kid", b"blob"), store_id=store_id.upper())
    assert read_header(body)[0].store_id == store_id  # one written form: lower case
    old = seal_batch(province.public_bytes(), province.key_id, "d", "b", [], escrow=("kid", b"b"))
    assert read_header(old)[0].store_id is None  # a laptop from before store ids
    assert normal_store_id(store_id.upper()) == store_id
    for bad in ("", "not-a-store", store_id.replace("-", "") + "abcd", "{" + store_id[1:-1] + "}",
                None, 7, store_id + " "):
        with pytest.raises(ProtocolError) as exc:
            normal_store_id(bad)
        assert exc.value.code == "bad_store_id"
    bad = seal_batch(province.public_bytes(), province.key_id, "d", "b", [],
                     escrow=("kid", b"blob"), store_id="../../x")
    with pytest.raises(ProtocolError) as exc:
        read_header(bad)
    assert exc.value.code == "bad_batch"
