"""Escrow bound to its owner (issue 10, "escrow poisoning"): any enrolled laptop can seal a key
of its choosing to the province key under another laptop's store id. The server keeps a
device's escrow only for the store that device registered, recovery refuses to choose between
different keys, and `khbs-server device check-escrow` removes foreign blobs kept before. Real
laptop stores, the real server on loopback, the real `khbs-server` command; SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from app.province_key import seal_to
from app.recovery import format_code, parse_code
from app.store import Store
from sync.client import ESCROW_SENT, Device, SyncClient
from sync.protocol import b64, escrow_info, seal_batch, unb64
from sync.server.db import audit_log, devices
from sync.server.recovery import AmbiguousEscrow, recovery_code
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.server.conftest import new_code
from tests.server.test_cli import Server
from tests.test_cli import NEW_PASSPHRASE

FORGED_KEY = b"\x07" * 32  # the attacker's key of choice


@pytest.fixture
def laptops(live, engine, officer, tmp_path):
    """Factory: a new laptop store in tmp_path/<name>, enrolled with the live server."""
    opened: list[Store] = []

    def make(name: str) -> tuple[Store, SyncClient]:
        store = Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF)
        opened.append(store)
        client = SyncClient(store, sleep=lambda _s: None, max_attempts=2)
        client.enroll(live.url, new_code(engine, officer))
        return store, client

    yield make
    for store in opened:
        store.close()


def forged(client: SyncClient, store_id: str) -> tuple[str, bytes]:
    """What a hostile laptop can make with the province public key alone: FORGED_KEY sealed
    for someone else's store id."""
    device = client.device()
    return device.province_key_id, seal_to(device.province_key, FORGED_KEY, escrow_info(store_id))


def push(client: SyncClient, device: Device, n: int, escrow, store_id: str | None) -> dict:
    """One household and an escrow, as a push signed by `device`; the reply."""
    record = numbered(n)
    body = seal_batch(
        device.province_key,
        device.province_key_id,
        device.device_id,
        str(uuid.uuid4()),
        [{"id": record["id"], "revision": 1, "record": record}],
        escrow,
        store_id,
    )
    return client._signed(device, "POST", device.server, "/v1/push", body).json()


def audited(engine, action: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.detail).where(audit_log.c.action == action).order_by(audit_log.c.id)
        ).scalars()
        return [json.loads(d) for d in rows]


def escrow_of(engine, device_id: str) -> tuple[str | None, bytes | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(devices.c.escrow_key_id, devices.c.escrow_blob).where(devices.c.id == device_id)
        ).one()
    return row.escrow_key_id, (bytes(row.escrow_blob) if row.escrow_blob is not None else None)


def make_legacy(engine, client: SyncClient) -> None:
    """The device as it was enrolled before store ids were registered: none on its row, and the
    laptop remembers sending its escrow the old way (no store id with it)."""
    with engine.begin() as conn:
        conn.execute(
            update(devices).where(devices.c.id == client.device().device_id).values(store_id=None)
        )
    key_id, blob = client.store.escrow()
    client.store.set_meta(ESCROW_SENT, key_id + ":" + hashlib.sha256(blob).hexdigest()[:16])


def enroll_claiming(live, engine, officer: str, store_id: str) -> Device:
    """One more device, enrolled with a fresh code by an officer who names `store_id` as the
    laptop's store (an enrollment request is just JSON: nothing proves the store is theirs)."""
    key = Ed25519PrivateKey.generate()
    enrolled = requests.post(
        live.url + "/v1/enroll",
        timeout=10,
        json={
            "code": new_code(engine, officer),
            "device_key": b64(key.public_key().public_bytes_raw()),
            "store_id": store_id,
        },
    ).json()
    return Device(
        enrolled["device_id"],
        officer,
        live.url,
        key,
        unb64(enrolled["province_key"]),
        enrolled["province_key_id"],
    )


def recover_laptop(server: Server, data_dir, store_id: str, *extra: str) -> str:
    """`khbs-server device recover` for the store id, then `Store.recover` on the laptop with
    the code; the device id the code came from."""
    out = json.loads(server.ok("device", "recover", "--store", store_id, *extra, "--json").stdout)
    with Store.recover(data_dir, parse_code(out["recovery_code"]), NEW_PASSPHRASE):
        pass
    with Store.open(data_dir, NEW_PASSPHRASE) as back:
        assert back.store_id == store_id
    return out["device_id"]


def test_forged_escrow_under_another_laptops_store_id_is_refused_and_audited(
    laptops, live, engine, officer, initialised, db_url, tmp_path
):
    b_store, b = laptops("b")  # enrolled first: a server that tries rows in order meets B's
    assert b.push().sent == 0  # B's own escrow, for its own store
    b_id = b.device().device_id
    a_store, a = laptops("a")
    a_store.save(numbered(1))
    assert a.sync().synced == 1
    b_own = escrow_of(engine, b_id)
    assert b_own == b_store.escrow()

    # B seals a key of its choosing under A's store id: without a store id (as before), naming
    # A's, or naming its own. Its households still go through; the escrow is not kept.
    bad = forged(b, a_store.store_id)
    for n, claim in ((2, None), (3, a_store.store_id), (4, b_store.store_id)):
        reply = push(b, b.device(), n, bad, claim)
        assert reply["escrow"] == "refused"
        assert [r["outcome"] for r in reply["results"]] == ["accepted"]
    assert escrow_of(engine, b_id) == b_own
    assert audited(engine, "escrow.refused") == [
        {"device_id": b_id, "reason": "foreign"},
        {"device_id": b_id, "reason": "store_mismatch"},
        {"device_id": b_id, "reason": "foreign"},
    ]

    # An officer enrolls one more device claiming A's store id (a laptop enrolled again may do
    # that): its blob opens under A's store id, but to another key than A's, so it is refused.
    rogue = enroll_claiming(live, engine, officer, a_store.store_id)
    reply = push(b, rogue, 5, bad, a_store.store_id)
    assert reply["escrow"] == "refused"
    assert audited(engine, "escrow.refused")[-1] == {
        "device_id": rogue.device_id,
        "reason": "key_mismatch",
    }
    assert escrow_of(engine, rogue.device_id) == (None, None)
    # Audit entries carry ids and codes: no store id, no blob, no key.
    details = " ".join(json.dumps(d) for d in audited(engine, "escrow.refused"))
    assert a_store.store_id not in details and b_store.store_id not in details

    # The province still reads A's own key to A, and A's laptop opens with it.
    a_dir, a_id = tmp_path / "a", a.device().device_id
    a_store.close()
    server = Server(db_url, tmp_path / "home")
    assert recover_laptop(server, a_dir, Store.id_of(a_dir)) == a_id
    with Store.open(a_dir, NEW_PASSPHRASE) as back:
        assert back.get(numbered(1)["id"])[0]["id"] == numbered(1)["id"]


def test_a_later_device_escrowing_first_does_not_lock_the_laptop_out(
    laptops, live, engine, officer, initialised
):
    v_store, victim = laptops("victim")  # enrolled, not synced yet
    rogue = enroll_claiming(live, engine, officer, v_store.store_id)
    reply = push(victim, rogue, 1, forged(victim, v_store.store_id), v_store.store_id)
    assert reply["escrow"] == "kept"  # nothing held for that store yet to compare with
    # The laptop that registered the store first is not refused: both blobs stay, and
    # recovery names both instead of reading the rogue's key to the victim.
    assert victim.push().sent == 0
    v_id = victim.device().device_id
    assert escrow_of(engine, v_id) == v_store.escrow()
    assert audited(engine, "escrow.conflict") == [
        {"device_id": v_id, "other_device_ids": [rogue.device_id]}
    ]
    with engine.connect() as conn, pytest.raises(AmbiguousEscrow) as ambiguous:
        recovery_code(conn, initialised, v_store.store_id)
    assert sorted(ambiguous.value.holders) == sorted([(v_id, officer), (rogue.device_id, officer)])
    with engine.connect() as conn:
        assert recovery_code(conn, initialised, v_store.store_id, device_id=v_id)[1] == format_code(
            v_store._data_key
        )


def test_legacy_device_binds_its_store_with_its_first_claim(laptops, engine, db_url, tmp_path):
    l_store, legacy = laptops("legacy")
    l_id = legacy.device().device_id
    make_legacy(engine, legacy)
    m_store, mallory = laptops("mallory")
    m_id = mallory.device().device_id
    make_legacy(engine, mallory)

    # A laptop from before this change sends its escrow without a store id: nothing to check it
    # against, so it is not kept.
    reply = push(mallory, mallory.device(), 1, m_store.escrow(), None)
    assert reply["escrow"] == "refused"
    assert audited(engine, "escrow.refused") == [{"device_id": m_id, "reason": "no_store_id"}]

    # Updated, the legacy laptop sends its escrow again, with its store id: that binds it.
    assert legacy._escrow_to_send() == l_store.escrow()
    assert legacy.push().sent == 0
    with engine.connect() as conn:
        assert (
            conn.execute(select(devices.c.store_id).where(devices.c.id == l_id)).scalar()
            == l_store.store_id
        )
    assert audited(engine, "escrow.bind") == [{"device_id": l_id}]
    assert escrow_of(engine, l_id) == l_store.escrow()
    assert legacy._escrow_to_send() is None

    # Another legacy device claiming that store id now comes too late: refused, not bound.
    reply = push(mallory, mallory.device(), 2, forged(mallory, l_store.store_id), l_store.store_id)
    assert reply["escrow"] == "refused"
    assert audited(engine, "escrow.refused")[-1] == {"device_id": m_id, "reason": "store_taken"}
    with engine.connect() as conn:
        assert conn.execute(select(devices.c.store_id).where(devices.c.id == m_id)).scalar() is None
    # Its own store id it may still claim, with its own key.
    assert mallory.push().sent == 0
    assert escrow_of(engine, m_id) == m_store.escrow()

    l_store.close()
    server = Server(db_url, tmp_path / "home")
    assert recover_laptop(server, tmp_path / "legacy", Store.id_of(tmp_path / "legacy")) == l_id


def test_recovery_refuses_different_keys_for_one_store(
    laptops, engine, initialised, db_url, tmp_path
):
    # The same laptop enrolled twice: two devices, one store, one key. That is fine.
    v_store, victim = laptops("victim")
    first = victim.device().device_id
    assert victim.push().sent == 0
    victim.enroll(victim.device().server, new_code(engine, victim.device().officer_id))
    assert victim.push().sent == 0
    with engine.connect() as conn:
        assert recovery_code(conn, initialised, v_store.store_id)[0] in (
            first,
            victim.device().device_id,
        )
    # Trust on first use: a legacy device claims the store id of a legacy laptop (which had
    # sent its escrow before the upgrade) before that laptop claims it.
    with engine.begin() as conn:
        conn.execute(
            update(devices).where(devices.c.store_id == v_store.store_id).values(store_id=None)
        )
    _, mallory = laptops("mallory")
    make_legacy(engine, mallory)
    reply = push(mallory, mallory.device(), 1, forged(mallory, v_store.store_id), v_store.store_id)
    assert reply["escrow"] == "kept"  # the residual risk of docs/security.md

    # The blobs for the victim's store id now open to two keys: no code, and the devices named.
    m_id, v_id = mallory.device().device_id, victim.device().device_id
    with engine.connect() as conn, pytest.raises(AmbiguousEscrow) as ambiguous:
        recovery_code(conn, initialised, v_store.store_id)
    assert {d for d, _ in ambiguous.value.holders} == {m_id, v_id, first}
    server = Server(db_url, tmp_path / "home")
    message = server.fails("device", "recover", "--store", v_store.store_id)
    assert m_id in message and v_id in message and first in message and "--device" in message
    (refused,) = audited(engine, "device.recover_refused")
    assert set(refused["device_ids"]) == {m_id, v_id, first}
    assert audited(engine, "device.recover") == []

    # The operator, having checked who is calling, names the victim's device.
    v_store.close()
    v_dir = tmp_path / "victim"
    assert recover_laptop(server, v_dir, Store.id_of(v_dir), "--device", v_id) == v_id
    assert audited(engine, "device.recover") == [{"device_id": v_id, "chosen": True}]
    assert "00000000" in server.fails(
        "device",
        "recover",
        "--store",
        Store.id_of(v_dir),
        "--device",
        "00000000-0000-0000-0000-000000000000",
    )


def test_check_escrow_removes_a_foreign_blob_kept_before(
    laptops, engine, initialised, db_url, tmp_path
):
    a_store, a = laptops("a")
    assert a.push().sent == 0
    _, b = laptops("b")
    b_id = b.device().device_id
    c_store, c = laptops("c")
    assert c.push().sent == 0
    make_legacy(engine, c)  # a legacy laptop's escrow: nothing to check it against yet
    # What a server before this change kept from B: a key of B's choosing for A's store id.
    key_id, blob = forged(b, a_store.store_id)
    with engine.begin() as conn:
        conn.execute(
            update(devices)
            .where(devices.c.id == b_id)
            .values(escrow_key_id=key_id, escrow_blob=blob)
        )

    server = Server(db_url, tmp_path / "home")
    result = json.loads(server.ok("device", "check-escrow", "--json").stdout)
    assert result == {"kept": 1, "removed": [b_id], "legacy": [c.device().device_id]}
    assert escrow_of(engine, b_id) == (None, None)
    assert escrow_of(engine, a.device().device_id) == a_store.escrow()
    assert escrow_of(engine, c.device().device_id) == c_store.escrow()
    assert audited(engine, "escrow.removed") == [{"device_id": b_id, "reason": "foreign"}]
    assert audited(engine, "escrow.check") == [{"kept": 1, "removed": 1, "legacy": 1}]
    # Run again: nothing more to remove. The text form names what it counted.
    text = server.ok("device", "check-escrow").stdout
    assert "1 sah, 0 dihapus" in text
    a_id = a.device().device_id
    a_store.close()
    assert recover_laptop(server, tmp_path / "a", Store.id_of(tmp_path / "a")) == a_id


def test_enrollment_with_a_malformed_store_id_is_refused_before_the_code_is_spent(
    live, engine, officer, store
):
    code = new_code(engine, officer)
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    reply = requests.post(
        live.url + "/v1/enroll",
        timeout=10,
        json={"code": code, "device_key": b64(key), "store_id": "../../etc"},
    )
    assert reply.status_code == 400 and reply.json()["error"] == "bad_store_id"
    device = SyncClient(store).enroll(live.url, code)  # the code still works
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(devices.c.store_id).where(devices.c.id == device.device_id)
            ).scalar()
            == store.store_id
        )
