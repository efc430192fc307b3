"""Officers, enrollment codes, devices, change events and stats on both databases."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select

from sync.server import (
    AreaOutsideProvince,
    BadDeviceKey,
    BadOfficerName,
    DeviceKeyTaken,
    EnrollCodeExpired,
    EnrollCodeUnknown,
    EnrollCodeUsed,
    NoArea,
    UnknownArea,
    UnknownDevice,
    UnknownOfficer,
    repo,
)
from sync.server.db import devices, duplicates, enroll_codes, households, officer_areas, officers
from sync.server.scope import Scope
from tests.server.conftest import stored_bytes

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(moment: datetime):
    return lambda: moment


def device_key() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes_raw()


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def officer(engine):
    with engine.begin() as conn:
        return repo.add_officer(conn, "Siti Rahmah", ["62.12", "62.71.01"])


def test_officer_areas_are_real_codes_in_central_kalimantan(engine):
    with engine.begin() as conn:
        oid = repo.add_officer(
            conn,
            "  Budi   Santoso ",
            ["62", "6201", "62.01", "62.01.01", "62.01.01.2001", " 62.71 "],
        )
        assert repo.areas_of(conn, oid) == ("62", "62.01", "62.01.01", "62.01.01.2001", "62.71")
        assert conn.execute(select(officers.c.name)).scalar_one() == "Budi Santoso"


@pytest.mark.parametrize(
    "area, error",
    [
        ("63.01", AreaOutsideProvince),
        ("31", AreaOutsideProvince),
        ("62.99", UnknownArea),
        ("99", UnknownArea),
        ("62.01.01.9999", UnknownArea),
        ("abc", UnknownArea),
        ("", UnknownArea),
        ("62.01.01.2001.1", UnknownArea),
    ],
)
def test_officer_area_codes_are_validated(engine, area, error):
    with pytest.raises(error) as refused, engine.begin() as conn:
        repo.add_officer(conn, "Siti Rahmah", ["62.12", area])
    assert "\n" not in refused.value.message("id")
    assert count(engine, officers) == count(engine, officer_areas) == 0


def test_officer_needs_a_name_and_an_area(engine):
    with pytest.raises(BadOfficerName), engine.begin() as conn:
        repo.add_officer(conn, "   ", ["62.12"])
    with pytest.raises(NoArea), engine.begin() as conn:
        repo.add_officer(conn, "Siti", [])


def test_a_nonce_is_kept_per_device_until_its_time_is_up(engine, officer):
    """remember_nonce: the same nonce again is a replay (False) within the TTL, for that device
    only; after the TTL it is forgotten and accepted; a rolled-back request keeps nothing."""
    from sync.server.db import request_nonces

    ttl = timedelta(minutes=30)
    with engine.begin() as conn:
        one = repo.redeem_enroll_code(
            conn, repo.create_enroll_code(conn, officer).code, device_key()
        )
        two = repo.redeem_enroll_code(
            conn, repo.create_enroll_code(conn, officer).code, device_key()
        )
    nonce = "n" * 22

    def remember(device, moment) -> bool:
        with engine.begin() as conn:
            return repo.remember_nonce(conn, device.id, nonce, ttl, clock=at(moment))

    assert remember(one, T0) is True
    assert remember(one, T0 + timedelta(minutes=29)) is False  # a replay
    assert remember(two, T0 + timedelta(minutes=29)) is True  # another device's own nonce
    assert remember(one, T0 + timedelta(minutes=31)) is True  # forgotten, then kept again
    assert remember(one, T0 + timedelta(minutes=32)) is False
    with pytest.raises(RuntimeError), engine.begin() as conn:
        assert repo.remember_nonce(conn, one.id, "m" * 22, ttl, clock=at(T0)) is True
        raise RuntimeError("the request failed after its nonce")
    assert remember(one, T0 + timedelta(minutes=33)) is False
    with engine.begin() as conn:
        assert repo.remember_nonce(conn, one.id, "m" * 22, ttl, clock=at(T0)) is True
    assert count(engine, request_nonces) == 3


def test_enroll_code_enrolls_one_device_once(engine, officer):
    with engine.begin() as conn:
        made = repo.create_enroll_code(conn, officer, clock=at(T0))
    assert made.expires_at == T0 + timedelta(hours=72)
    key = device_key()
    with engine.begin() as conn:
        device = repo.redeem_enroll_code(conn, made.code, key, clock=at(T0 + timedelta(hours=1)))
    assert (device.officer_id, device.public_key, device.revoked_at) == (officer, key, None)
    assert device.areas == ("62.12", "62.71.01")
    assert device.enrolled_at == T0 + timedelta(hours=1)
    with pytest.raises(EnrollCodeUsed), engine.begin() as conn:
        repo.redeem_enroll_code(conn, made.code, device_key(), clock=at(T0 + timedelta(hours=2)))
    assert count(engine, devices) == 1


def test_enroll_code_expires_after_72_hours(engine, officer):
    with engine.begin() as conn:
        early = repo.create_enroll_code(conn, officer, clock=at(T0))
        late = repo.create_enroll_code(conn, officer, clock=at(T0))
    with engine.begin() as conn:
        repo.redeem_enroll_code(
            conn,
            early.code,
            device_key(),
            clock=at(T0 + timedelta(hours=72) - timedelta(seconds=1)),
        )
    with pytest.raises(EnrollCodeExpired), engine.begin() as conn:
        repo.redeem_enroll_code(conn, late.code, device_key(), clock=at(T0 + timedelta(hours=72)))
    spent = select(enroll_codes.c.used_at).where(
        enroll_codes.c.code_hash == repo.code_hash(late.code)
    )
    with engine.connect() as conn:
        assert conn.execute(spent).scalar_one() is None


def test_unknown_code_is_refused_and_typing_is_forgiving(engine, officer):
    with pytest.raises(EnrollCodeUnknown), engine.begin() as conn:
        repo.redeem_enroll_code(conn, "AAAAA-BBBBB-CCCCC-DDDDD", device_key())
    with engine.begin() as conn:
        made = repo.create_enroll_code(conn, officer)
    typed = made.code.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    with engine.begin() as conn:
        assert repo.redeem_enroll_code(conn, typed, device_key()).officer_id == officer


def test_codes_are_stored_hashed(engine, officer):
    with engine.begin() as conn:
        made = repo.create_enroll_code(conn, officer)
    everything = stored_bytes(engine)
    for form in (made.code, made.code.replace("-", ""), made.code.lower()):
        assert form.encode() not in everything
    with engine.connect() as conn:
        stored = conn.execute(select(enroll_codes.c.code_hash)).scalar_one()
    assert bytes(stored) == hashlib.sha256(made.code.replace("-", "").encode()).digest()


def test_bad_or_reused_device_keys_and_unknown_officers(engine, officer):
    with engine.begin() as conn:
        first, second = (repo.create_enroll_code(conn, officer) for _ in range(2))
    with pytest.raises(BadDeviceKey), engine.begin() as conn:
        repo.redeem_enroll_code(conn, first.code, b"short")
    key = device_key()
    with engine.begin() as conn:
        repo.redeem_enroll_code(conn, first.code, key)
    with pytest.raises(DeviceKeyTaken), engine.begin() as conn:
        repo.redeem_enroll_code(conn, second.code, key)
    with engine.begin() as conn:  # the refused attempt did not spend the code
        repo.redeem_enroll_code(conn, second.code, device_key())
    with pytest.raises(UnknownOfficer), engine.begin() as conn:
        repo.create_enroll_code(conn, str(uuid.uuid4()))


def test_revoking_a_device(engine, officer):
    with engine.begin() as conn:
        code = repo.create_enroll_code(conn, officer).code
        device = repo.redeem_enroll_code(conn, code, device_key())
    with engine.begin() as conn:
        revoked, now = repo.revoke_device(conn, device.id, clock=at(T0))
    assert now and revoked.revoked_at == T0
    with engine.begin() as conn:
        again, now = repo.revoke_device(conn, device.id, clock=at(T0 + timedelta(days=1)))
    assert not now and again.revoked_at == T0
    with pytest.raises(UnknownDevice), engine.begin() as conn:
        repo.revoke_device(conn, "no-such-device")


def test_stats_counts(engine, officer):
    rows = [  # (kode_desa, status, card, conflict, visit outcome)
        ("62.12.01.2001", "received", None, False, 1),
        ("62.12.01.2001", "verified", "KHBS-0001", False, 1),
        ("62.12.02.2002", "verified", None, True, 3),
        ("62.71.01.1001", "rejected", None, False, None),
        ("62.71.01.1002", "received", None, False, 4),
    ]
    ids = [str(uuid.uuid4()) for _ in rows]
    with engine.begin() as conn:
        conn.execute(
            insert(households),
            [
                {
                    "id": hid,
                    "officer_id": officer,
                    "kode_desa": desa,
                    "kode_kab": desa[:5],
                    "revision": 1,
                    "content_hash": bytes(32),
                    "status": status,
                    "status_reason": "duplicate" if status == "rejected" else None,
                    "card_number": card,
                    "conflict": conflict,
                    "received_at": T0,
                    "updated_at": T0,
                    "status_at": T0,
                    "visit_outcome": outcome,
                }
                for hid, (desa, status, card, conflict, outcome) in zip(ids, rows, strict=True)
            ],
        )
        conn.execute(
            insert(duplicates),
            [
                {
                    "household_id": ids[0],
                    "other_household_id": ids[3],
                    "kind": "nik",
                    "found_at": T0,
                },
                {
                    "household_id": ids[0],
                    "other_household_id": ids[4],
                    "kind": "kk",
                    "found_at": T0,
                },
            ],
        )
        for _ in range(2):
            code = repo.create_enroll_code(conn, officer).code
            device = repo.redeem_enroll_code(conn, code, device_key())
        repo.revoke_device(conn, device.id)
    with engine.connect() as conn:
        assert repo.stats(conn) == {
            "areas": ["62"],
            "households": 5,
            "by_regency": {"62.12": 3, "62.71": 2},
            "by_outcome": {"1": 2, "3": 1, "4": 1, "unknown": 1},
            "by_regency_outcome": {"62.12": {"1": 2, "3": 1}, "62.71": {"4": 1, "unknown": 1}},
            "by_status": {"received": 2, "verified": 2, "rejected": 1},
            "cards_issued": 1,
            "conflicts": 1,
            "duplicate_warnings": 1,
            "candidates": 0,
            "officers": 1,
            "devices": {"active": 1, "revoked": 1},
        }
        # One regency: its households, and the officer whose areas overlap it (62.71.01).
        city = repo.stats(conn, Scope.of("regency", ["62.71"]))
        assert (city["households"], city["by_regency"], city["duplicate_warnings"]) == (
            2,
            {"62.71": 2},
            0,
        )
        assert city["by_status"] == {"received": 1, "verified": 0, "rejected": 1}
        # The outcomes too: only this regency's households.
        assert city["by_outcome"] == {"4": 1, "unknown": 1}
        assert city["by_regency_outcome"] == {"62.71": {"4": 1, "unknown": 1}}
        assert (city["officers"], city["devices"]) == (1, {"active": 1, "revoked": 1})
        other = repo.stats(conn, Scope.of("regency", ["62.12"]))
        assert (other["households"], other["cards_issued"], other["conflicts"]) == (3, 1, 1)
        assert (other["duplicate_warnings"], other["officers"]) == (1, 1)
        assert repo.stats(conn, Scope.of("regency", ["62.01"]))["officers"] == 0


def test_change_seqs_become_visible_in_order(engine, officer):
    """A second writer waits for the first one's commit, so seqs are committed in order."""
    with engine.begin() as conn:
        assert repo.append_change(conn, "assignment", officer_id=officer) == 1
    second: list[int] = []

    def writer():
        with engine.begin() as conn:
            second.append(repo.append_change(conn, "assignment", officer_id=officer))

    with engine.begin() as conn:
        assert repo.append_change(conn, "status", officer_id=officer, detail={"x": 1}) == 2
        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.3)
        assert second == []  # waiting on the counter row until this transaction ends
    thread.join(30)
    assert second == [3]


# -- province decisions -----------------------------------------------------------------------


def _household(conn, officer: str, desa: str = "62.12.01.2001", revision: int = 2) -> str:
    hid = str(uuid.uuid4())
    conn.execute(
        insert(households).values(
            id=hid,
            officer_id=officer,
            kode_desa=desa,
            kode_kab=desa[:5],
            revision=revision,
            content_hash=bytes(32),
            received_at=T0,
            updated_at=T0,
            status_at=T0,
        )
    )
    return hid


def _events(conn) -> list:
    from sync.server.db import changes

    return conn.execute(select(changes).order_by(changes.c.seq)).all()


def test_household_status_updates_the_row_and_appends_an_event(engine, officer):
    from sync.server import (
        BadCardNumber,
        BadReasonCode,
        BadStatus,
        CardNumberTaken,
        UnknownHousehold,
    )

    with engine.begin() as conn:
        a, b = _household(conn, officer), _household(conn, officer)
    later = T0 + timedelta(days=1)
    with engine.begin() as conn:
        done = repo.set_household_status(
            conn, a, "verified", card_number="KHBS-62-0001", clock=at(later)
        )
    assert done == {
        "household_id": a,
        "revision": 2,
        "seq": done["seq"],
        "status": "verified",
        "reason": None,
        "card_number": "KHBS-62-0001",
    }
    with engine.connect() as conn:
        row = conn.execute(select(households).where(households.c.id == a)).one()
        assert (row.status, row.status_reason, row.card_number, row.status_at) == (
            "verified",
            None,
            "KHBS-62-0001",
            later,
        )
        (event,) = _events(conn)
        assert (event.kind, event.officer_id, event.household_id, event.revision) == (
            "status",
            officer,
            a,
            2,
        )
        assert event.detail == '{"card_number":"KHBS-62-0001","status":"verified"}'
    for kwargs, error in [
        ({"status": "approved"}, BadStatus),
        ({"status": "rejected", "reason": "Bad Reason"}, BadReasonCode),
        ({"status": "rejected", "reason": "x" * 65}, BadReasonCode),
        ({"status": "verified", "card_number": "khbs-1"}, BadCardNumber),
        ({"status": "verified", "card_number": "A" * 33}, BadCardNumber),
        ({"status": "verified", "card_number": "KHBS-62-0001"}, CardNumberTaken),
    ]:
        with pytest.raises(error), engine.begin() as conn:
            repo.set_household_status(conn, b, **kwargs)
    with pytest.raises(UnknownHousehold), engine.begin() as conn:
        repo.set_household_status(conn, str(uuid.uuid4()), "verified")
    # Rejected later: the reason is stored, the card number is kept.
    with engine.begin() as conn:
        repo.set_household_status(conn, a, "rejected", reason="document_missing")
        row = conn.execute(select(households).where(households.c.id == a)).one()
        assert (row.status, row.status_reason, row.card_number) == (
            "rejected",
            "document_missing",
            "KHBS-62-0001",
        )
        assert len(_events(conn)) == 2  # the refused calls left nothing behind
        assert repo.stats(conn)["by_status"] == {"received": 1, "verified": 0, "rejected": 1}


def test_officer_areas_are_replaced_with_an_assignment_event(engine, officer):
    with engine.begin() as conn:
        assert repo.set_officer_areas(conn, officer, ["6213", "62.13", "62.71.01.1001"]) == (
            "62.13",
            "62.71.01.1001",
        )
    with engine.connect() as conn:
        assert repo.areas_of(conn, officer) == ("62.13", "62.71.01.1001")
        (event,) = _events(conn)
        assert (event.kind, event.officer_id, event.household_id) == ("assignment", officer, None)
        assert event.detail == '{"areas":["62.13","62.71.01.1001"]}'
    for areas, error in [([], NoArea), (["62.99"], UnknownArea), (["63.01"], AreaOutsideProvince)]:
        with pytest.raises(error), engine.begin() as conn:
            repo.set_officer_areas(conn, officer, areas)
    with pytest.raises(UnknownOfficer), engine.begin() as conn:
        repo.set_officer_areas(conn, str(uuid.uuid4()), ["62.12"])
    with engine.connect() as conn:
        assert repo.areas_of(conn, officer) == ("62.13", "62.71.01.1001")
        assert len(_events(conn)) == 1
