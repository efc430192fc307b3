"""The sync wire format: signed requests, sealed batches, info strings, push results and pull
events (docs/sync.md)."""

import json
import uuid

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.province_key import ProvinceKeyPair, seal_to
from sync.protocol import (
    H_NONCE,
    H_SIGNATURE,
    H_TIME,
    MAGIC,
    AssignmentEvent,
    CandidateEvent,
    DuplicateEvent,
    ProtocolError,
    PushResult,
    QuestionnaireEvent,
    ReleaseEvent,
    StatusEvent,
    candidate_info,
    content_hash,
    escrow_info,
    open_batch,
    read_event,
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
    for method, path, changed in (
        ("POST", "/v1/push", b'{"x": 2}'),
        ("GET", "/v1/push", body),
        ("POST", "/v1/pull", body),
    ):
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
    body = seal_batch(
        province.public_bytes(), province.key_id, "d", "b", items, escrow=("kid", b"\x00sealed\xff")
    )
    header, opened = open_batch(province, "d", body)
    assert header.escrow == ("kid", b"\x00sealed\xff") and opened == items
    assert (
        read_header(seal_batch(province.public_bytes(), province.key_id, "d", "b", items))[0].escrow
        is None
    )


def test_store_id_travels_with_the_escrow(province):
    from sync.protocol import normal_store_id

    store_id = str(uuid.uuid4())
    body = seal_batch(
        province.public_bytes(),
        province.key_id,
        "d",
        "b",
        [],
        escrow=("kid", b"blob"),
        store_id=store_id.upper(),
    )
    assert read_header(body)[0].store_id == store_id  # one written form: lower case
    old = seal_batch(province.public_bytes(), province.key_id, "d", "b", [], escrow=("kid", b"b"))
    assert read_header(old)[0].store_id is None  # a laptop from before store ids
    assert normal_store_id(store_id.upper()) == store_id
    for bad in (
        "",
        "not-a-store",
        store_id.replace("-", "") + "abcd",
        "{" + store_id[1:-1] + "}",
        None,
        7,
        store_id + " ",
    ):
        with pytest.raises(ProtocolError) as exc:
            normal_store_id(bad)
        assert exc.value.code == "bad_store_id"
    bad = seal_batch(
        province.public_bytes(),
        province.key_id,
        "d",
        "b",
        [],
        escrow=("kid", b"blob"),
        store_id="../../x",
    )
    with pytest.raises(ProtocolError) as exc:
        read_header(bad)
    assert exc.value.code == "bad_batch"


def test_info_strings_bind_what_was_sealed(province):
    """The laptop and the province build these from one function each: sealed for one store,
    device, household or revision, a message does not open for another."""
    sealed = seal_to(province.public_bytes(), b"data key", escrow_info("store-a"))
    assert province.open(sealed, escrow_info("store-a")) == b"data key"
    with pytest.raises(InvalidTag):
        province.open(sealed, escrow_info("store-b"))
    info = candidate_info("dev-1", "hid", 2)
    assert info == b"khbs/candidate/v1|dev-1|hid|2"
    assert (
        len(
            {
                info,
                candidate_info("dev-2", "hid", 2),
                candidate_info("dev-1", "other", 2),
                candidate_info("dev-1", "hid", 3),
            }
        )
        == 4
    )


def test_content_hash_ignores_key_order():
    rec = household()
    text, digest = content_hash(rec)
    assert content_hash(dict(reversed(list(rec.items())))) == (text, digest)
    assert content_hash(dict(rec, no_kk="6271030101000000"))[1] != digest


EVENTS = [
    StatusEvent(1, "h1", 2, "verified", None, "KHBS-62-0001"),
    DuplicateEvent(2, "h1", "nik", "h2"),
    AssignmentEvent(3, ("62.71.01", "62.71.02")),
    CandidateEvent(4, "h3", 5, 2, "c2VhbGVk"),
    ReleaseEvent(5, "h4"),
    QuestionnaireEvent(6, 2, "eJyrrgUAAXUA-Q", "c2lnbmVk", "0123456789abcdef"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.TYPE)
def test_pull_events_round_trip_through_json(event):
    wire = json.loads(json.dumps(event.to_json()))
    assert wire["seq"] == event.seq and wire["type"] == event.TYPE
    assert read_event(wire) == event


def test_odd_pull_events_read_leniently():
    assert read_event({"seq": 9, "type": "newer-kind", "x": 1}) is None  # counted and skipped
    assert read_event("status") is None and read_event({"type": ["status"]}) is None
    odd = read_event({"type": "candidate", "household_id": 7, "revision": True, "sealed": 3})
    assert odd == CandidateEvent(None, None, None, None, None)
    assert read_event({"type": "assignment", "areas": "62.01"}).areas == ()
    assert read_event({"type": "assignment", "areas": ["62.01", 5, ""]}).areas == ("62.01",)
    # A version that is not an integer is not kept (app/store/questionnaires.py counts it).
    assert read_event(
        {"type": "questionnaire", "version": "2", "document": 1}
    ) == QuestionnaireEvent(None, None, None, None, None)


def test_push_results_round_trip_and_read_leniently():
    result = PushResult("h1", 3, "rejected", "outside_area")
    assert result.to_json() == {
        "id": "h1",
        "revision": 3,
        "outcome": "rejected",
        "reason": "outside_area",
    }
    assert PushResult.from_json(json.loads(json.dumps(result.to_json()))) == result
    assert PushResult.from_json("x") == PushResult(None, None, "", None)
    assert PushResult.from_json({"id": 1, "revision": "3", "outcome": "accepted"}) == PushResult(
        None, None, "accepted", None
    )
