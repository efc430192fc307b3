"""Officers and devices as a scoped province user manages them (sync/server/officers.py), on
SQLite and PostgreSQL: a regency user lists, changes, makes enrollment codes, revokes and
recovers only for its own regency's officers; another regency's officer or device is "not
found", exactly like an id that does not exist, and nothing changes. Every change is audited."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select, update

from app.province_key import seal_to
from app.recovery import format_code
from app.store.store import escrow_info
from sync.server import UnknownArea, UnknownDevice, UnknownOfficer, audit, officers, repo
from sync.server.db import (
    audit_log,
    devices,
    enroll_codes,
    households,
    officer_areas,
    request_nonces,
    utc_now,
)
from sync.server.officers import AreaOutsideScope, BadRecoveryReason, OfficerOutsideScope
from sync.server.recovery import NoEscrow
from sync.server.scope import Scope
from tests.server.test_cli import Server

PALANGKA = Scope.of("regency", ["62.71"])  # Kota Palangka Raya
KOBAR = Scope.of("regency", ["62.01"])  # Kotawaringin Barat
JEKAN_RAYA = Scope.of("supervisor", ["62.71.03"])
PROVINCE = Scope.province()
ACTOR = "user:7"
NOBODY = "00000000-0000-0000-0000-000000000000"


def device_key() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes_raw()


@pytest.fixture
def people(engine, initialised):
    """Ani works in Palangka Raya (kecamatan Jekan Raya), Budi in Kotawaringin Barat, Citra in
    both regencies; each has one laptop."""
    with engine.begin() as conn:
        ids = {
            "ani": repo.add_officer(conn, "Ani Palangka", ["62.71.03"]),
            "budi": repo.add_officer(conn, "Budi Kobar", ["62.01"]),
            "citra": repo.add_officer(conn, "Citra Dua", ["62.71.01", "62.01.01"]),
        }
        laptops = {
            name: repo.redeem_enroll_code(
                conn, repo.create_enroll_code(conn, o).code, device_key()
            ).id
            for name, o in ids.items()
        }
    return SimpleNamespace(**ids, laptop=laptops)


def escrow(engine, keys, device_id: str, store_id: str, data_key: bytes) -> None:
    """The device has sent its laptop's data key, sealed to the province key, for store_id."""
    blob = seal_to(keys.province.public_bytes(), data_key, escrow_info(store_id))
    with engine.begin() as conn:
        conn.execute(
            update(devices)
            .where(devices.c.id == device_id)
            .values(
                store_id=store_id,
                escrow_key_id=keys.active["province"],
                escrow_blob=blob,
                escrow_at=utc_now(),
            )
        )


def refusal(call) -> tuple[type, str]:
    """The error a call raises, as the console would show it: its type and message."""
    with pytest.raises(Exception) as raised:
        call()
    exc = raised.value
    return type(exc), exc.message("en") if hasattr(exc, "message") else str(exc)


def snapshot(engine) -> dict:
    """What a refused change must leave as it was."""
    with engine.connect() as conn:
        return {
            "areas": sorted(tuple(r) for r in conn.execute(select(officer_areas))),
            "codes": conn.execute(select(func.count()).select_from(enroll_codes)).scalar_one(),
            "revoked": sorted(
                conn.scalars(select(devices.c.id).where(devices.c.revoked_at.is_not(None)))
            ),
            "audit": conn.execute(select(func.count()).select_from(audit_log)).scalar_one(),
        }


# -- seeing ---------------------------------------------------------------------------------------


def test_each_scope_sees_the_officers_working_in_it(engine, people):
    now = utc_now()
    with engine.begin() as conn:
        conn.execute(
            insert(households),
            [
                {
                    "id": f"h{i}",
                    "officer_id": officer,
                    "kode_desa": desa,
                    "kode_kab": desa[:5],
                    "revision": 1,
                    "content_hash": bytes(32),
                    "received_at": at,
                    "updated_at": at,
                    "status_at": at,
                }
                for i, (officer, desa, at) in enumerate(
                    [
                        (people.ani, "62.71.03.1001", now),
                        (people.ani, "62.71.03.1002", now),
                        (people.ani, "62.71.03.1003", now - timedelta(days=10)),  # not this week
                        (people.citra, "62.71.01.1001", now),
                        (people.citra, "62.01.01.1011", now),
                    ]
                )
            ],
        )
        conn.execute(
            insert(request_nonces),
            [
                {
                    "device_id": people.laptop["ani"],
                    "nonce": "n1",
                    "seen_at": now - timedelta(hours=3),
                },
                {
                    "device_id": people.laptop["ani"],
                    "nonce": "n2",
                    "seen_at": now - timedelta(hours=1),
                },
            ],
        )
        repo.revoke_device(conn, people.laptop["budi"])

    def seen(scope) -> dict:
        with engine.connect() as conn:
            return {o.name: o for o in officers.list_officers(conn, scope)}

    everyone = seen(PROVINCE)
    assert list(everyone) == ["Ani Palangka", "Budi Kobar", "Citra Dua"]  # by name
    assert all(o.manageable for o in everyone.values())
    assert {n: o.households_week for n, o in everyone.items()} == {
        "Ani Palangka": 2,
        "Budi Kobar": 0,
        "Citra Dua": 2,
    }
    ani = everyone["Ani Palangka"]
    assert ani.areas == ("62.71.03",) and [d.id for d in ani.devices] == [people.laptop["ani"]]
    assert abs(ani.last_sync_at - (now - timedelta(hours=1))) < timedelta(seconds=1)
    assert everyone["Citra Dua"].areas == ("62.01.01", "62.71.01")
    assert everyone["Budi Kobar"].last_sync_at is None
    assert everyone["Budi Kobar"].devices[0].revoked_at is not None

    palangka = seen(PALANGKA)
    assert list(palangka) == ["Ani Palangka", "Citra Dua"]
    assert palangka["Ani Palangka"].manageable and not palangka["Citra Dua"].manageable
    # Only households in the scope's desa are counted.
    assert palangka["Citra Dua"].households_week == 1
    assert list(seen(KOBAR)) == ["Budi Kobar", "Citra Dua"]
    assert list(seen(JEKAN_RAYA)) == ["Ani Palangka"]
    assert list(seen(Scope.of("supervisor", ["62.71.01.1001"]))) == ["Citra Dua"]
    with engine.connect() as conn:
        assert officers.get_officer(conn, PALANGKA, people.ani).name == "Ani Palangka"


def test_an_officer_above_the_scope_is_seen_but_not_changed(engine, initialised):
    with engine.begin() as conn:
        whole = repo.add_officer(conn, "Dewi Provinsi", ["62"])
    with engine.connect() as conn:
        (found,) = officers.list_officers(conn, JEKAN_RAYA)
    assert (found.id, found.manageable) == (whole, False)
    with engine.begin() as conn:
        with pytest.raises(OfficerOutsideScope):
            officers.make_enroll_code(conn, JEKAN_RAYA, ACTOR, whole)


# -- another regency: not found ------------------------------------------------------------------


def test_another_regencys_officer_and_device_are_not_found(engine, initialised, people):
    keys = initialised
    escrow(
        engine, keys, people.laptop["budi"], "5f1b4a3e-0000-4000-8000-00000000b0d1", os.urandom(32)
    )
    before = snapshot(engine)
    budi, budi_laptop = people.budi, people.laptop["budi"]

    def as_palangka(action, *args, **kw):
        def call():
            with engine.begin() as conn:
                return action(conn, *args, **kw)

        return call

    cases = [
        (
            as_palangka(officers.get_officer, PALANGKA, budi),
            as_palangka(officers.get_officer, PALANGKA, NOBODY),
        ),
        (
            as_palangka(officers.set_areas, PALANGKA, ACTOR, budi, ["62.71.03"]),
            as_palangka(officers.set_areas, PALANGKA, ACTOR, NOBODY, ["62.71.03"]),
        ),
        (
            as_palangka(officers.make_enroll_code, PALANGKA, ACTOR, budi),
            as_palangka(officers.make_enroll_code, PALANGKA, ACTOR, NOBODY),
        ),
        (
            as_palangka(officers.revoke_device, PALANGKA, ACTOR, budi_laptop),
            as_palangka(officers.revoke_device, PALANGKA, ACTOR, NOBODY),
        ),
        (
            as_palangka(
                officers.give_recovery_code,
                keys,
                PALANGKA,
                ACTOR,
                budi_laptop,
                reason="lupa_kata_sandi",
                device_id=budi_laptop,
            ),
            as_palangka(
                officers.give_recovery_code,
                keys,
                PALANGKA,
                ACTOR,
                budi_laptop,
                reason="lupa_kata_sandi",
                device_id=NOBODY,
            ),
        ),
        (
            as_palangka(
                officers.give_recovery_code,
                keys,
                PALANGKA,
                ACTOR,
                "5f1b4a3e-0000-4000-8000-00000000b0d1",
                reason="lupa_kata_sandi",
            ),
            as_palangka(
                officers.give_recovery_code, keys, PALANGKA, ACTOR, NOBODY, reason="lupa_kata_sandi"
            ),
        ),
    ]
    for theirs, missing in cases:
        kind, message = refusal(theirs)
        assert kind in (UnknownOfficer, UnknownDevice, NoEscrow)
        # The same answer as for an id that does not exist, apart from the id it names.
        other_kind, other_message = refusal(missing)
        assert kind is other_kind
        if kind is not NoEscrow:  # (which names the store id asked about: a LookupError)
            assert message.replace(budi, "?").replace(budi_laptop, "?") == other_message.replace(
                NOBODY, "?"
            )
    assert snapshot(engine) == before  # nothing changed, nothing audited
    with engine.connect() as conn:
        assert officers.list_officers(conn, PALANGKA, officer_id=budi) == []

    # The province, and Budi's own regency, can.
    with engine.begin() as conn:
        assert officers.make_enroll_code(conn, KOBAR, ACTOR, budi).officer_id == budi
        given = officers.give_recovery_code(
            conn,
            keys,
            PROVINCE,
            ACTOR,
            "5f1b4a3e-0000-4000-8000-00000000b0d1",
            reason="lupa_kata_sandi",
        )
        assert given.device_id == budi_laptop and given.code
        assert officers.revoke_device(conn, KOBAR, ACTOR, budi_laptop)[1] is True


def test_an_officer_who_also_works_elsewhere_is_the_provinces_to_change(
    engine, initialised, people
):
    before = snapshot(engine)
    for call in (
        lambda conn: officers.set_areas(conn, PALANGKA, ACTOR, people.citra, ["62.71.01"]),
        lambda conn: officers.make_enroll_code(conn, PALANGKA, ACTOR, people.citra),
        lambda conn: officers.revoke_device(conn, PALANGKA, ACTOR, people.laptop["citra"]),
    ):
        with pytest.raises(OfficerOutsideScope) as refused, engine.begin() as conn:
            call(conn)
        assert people.citra in refused.value.message("id")
    assert snapshot(engine) == before
    with engine.begin() as conn:
        assert officers.set_areas(conn, PROVINCE, ACTOR, people.citra, ["62.71.01"]) == (
            "62.71.01",
        )
    with engine.begin() as conn:  # now wholly inside Palangka Raya
        assert officers.make_enroll_code(conn, PALANGKA, ACTOR, people.citra)


def test_areas_must_lie_inside_the_scope(engine, initialised, people):
    before = snapshot(engine)
    refused = [
        lambda conn: officers.add_officer(conn, PALANGKA, ACTOR, "Eka", ["62.01"]),
        lambda conn: officers.add_officer(conn, PALANGKA, ACTOR, "Eka", ["62.71.03", "6201"]),
        lambda conn: officers.add_officer(conn, JEKAN_RAYA, ACTOR, "Eka", ["62.71"]),
        lambda conn: officers.set_areas(conn, PALANGKA, ACTOR, people.ani, ["62.01.01"]),
        lambda conn: officers.set_areas(conn, JEKAN_RAYA, ACTOR, people.ani, ["62.71.01"]),
    ]
    for call in refused:
        with pytest.raises(AreaOutsideScope) as outside, engine.begin() as conn:
            call(conn)
        assert "62." in outside.value.message("id")
    with pytest.raises(UnknownArea), engine.begin() as conn:
        officers.add_officer(conn, PALANGKA, ACTOR, "Eka", ["62.71.99"])
    assert snapshot(engine) == before
    with engine.begin() as conn:
        eka, areas = officers.add_officer(conn, PALANGKA, ACTOR, "Eka", ["627101", "62.71.02"])
        assert areas == ("62.71.01", "62.71.02")
        assert officers.set_areas(conn, JEKAN_RAYA, ACTOR, people.ani, ["62.71.03.1001"]) == (
            "62.71.03.1001",
        )
    with engine.connect() as conn:
        assert repo.areas_of(conn, eka) == ("62.71.01", "62.71.02")


# -- recovery -------------------------------------------------------------------------------------


def test_recovery_needs_a_reason_and_keeps_to_the_scope(engine, initialised, people):
    keys, store = initialised, "3c2d1e0f-0000-4000-8000-0000000a0111"
    laptop_key, intruder_key = os.urandom(32), os.urandom(32)
    escrow(engine, keys, people.laptop["ani"], store, laptop_key)
    for reason in ("", "Budi menelepon", "A" * 10, "x" * 65, None):
        with pytest.raises(BadRecoveryReason), engine.begin() as conn:
            officers.give_recovery_code(conn, keys, PALANGKA, ACTOR, store, reason=reason)
    with engine.begin() as conn:
        given = officers.give_recovery_code(
            conn, keys, PALANGKA, ACTOR, store, reason="tiket-2026-0042"
        )
    assert (given.device_id, given.code) == (people.laptop["ani"], format_code(laptop_key))

    # A device of another regency escrows another key under the same store id: the laptop's
    # own regency is not given a code until it chooses the device it checked.
    escrow(engine, keys, people.laptop["budi"], store, intruder_key)
    with engine.begin() as conn:
        refused = officers.give_recovery_code(
            conn, keys, PALANGKA, ACTOR, store, reason="tiket-2026-0042"
        ).refused
    assert refused.holders == [(people.laptop["ani"], people.ani)] and refused.others == 1
    with engine.begin() as conn:
        chosen = officers.give_recovery_code(
            conn,
            keys,
            PALANGKA,
            ACTOR,
            store,
            reason="tiket-2026-0042",
            device_id=people.laptop["ani"],
        )
    assert chosen.code == format_code(laptop_key)
    with pytest.raises(UnknownDevice), engine.begin() as conn:
        officers.give_recovery_code(
            conn, keys, KOBAR, ACTOR, store, reason="tiket-1", device_id=people.laptop["ani"]
        )

    with engine.connect() as conn:
        logged = [(e.action, e.detail) for e in audit.entries(conn, PROVINCE)][::-1]
    assert logged == [
        (
            "device.recover",
            {
                "device_id": people.laptop["ani"],
                "officer_id": people.ani,
                "reason": "tiket-2026-0042",
                "chosen": False,
            },
        ),
        (
            "device.recover_refused",
            {"device_ids": [people.laptop["ani"]], "others": 1, "reason": "tiket-2026-0042"},
        ),
        (
            "device.recover",
            {
                "device_id": people.laptop["ani"],
                "officer_id": people.ani,
                "reason": "tiket-2026-0042",
                "chosen": True,
            },
        ),
    ]
    assert format_code(laptop_key) not in json.dumps(logged) and store not in json.dumps(logged)


# -- the audit trail ------------------------------------------------------------------------------


def test_every_change_is_audited_without_names_or_codes(engine, initialised, people):
    with engine.begin() as conn:
        eka, _ = officers.add_officer(conn, PALANGKA, ACTOR, "Eka Baru", ["62.71.02"])
        officers.set_areas(conn, PALANGKA, ACTOR, eka, ["62.71.02", "62.71.04"])
        code = officers.make_enroll_code(conn, PALANGKA, ACTOR, eka).code
        device = repo.redeem_enroll_code(conn, code, device_key())
        officers.revoke_device(conn, PALANGKA, ACTOR, device.id)
        officers.revoke_device(conn, PALANGKA, ACTOR, device.id)  # already: nothing new
        officers.make_enroll_code(conn, KOBAR, "user:8", people.budi)
    with engine.connect() as conn:
        palangka = audit.entries(conn, PALANGKA)
        kobar = audit.entries(conn, KOBAR)
        check = audit.verify(conn, initialised)
    assert [(e.actor, e.action, e.officer_id) for e in palangka] == [
        (ACTOR, "device.revoke", eka),
        (ACTOR, "enroll_code.create", eka),
        (ACTOR, "officer.areas", eka),
        (ACTOR, "officer.add", eka),
    ]
    assert palangka[0].detail == {"device_id": device.id, "officer_id": eka}
    assert palangka[2].detail == {
        "officer_id": eka,
        "areas": ["62.71.02", "62.71.04"],
        "before": ["62.71.02"],
        "moved": 0,
    }
    assert [(e.actor, e.action) for e in kobar] == [("user:8", "enroll_code.create")]
    text = json.dumps([e.detail for e in palangka + kobar])
    assert "Eka" not in text and code not in text and code.replace("-", "") not in text
    assert check.ok and check.sealed == 5


def test_cli_officer_commands_act_for_the_province_and_are_audited(
    db_url, engine, initialised, people, tmp_path
):
    cli = Server(db_url, tmp_path / "home")
    listed = json.loads(cli.ok("officer", "list", "--regency", "6271", "--json").stdout)
    assert [o["name"] for o in listed["officers"]] == ["Ani Palangka", "Citra Dua"]
    assert [o["manageable"] for o in listed["officers"]] == [True, False]
    assert listed["officers"][0]["devices"][0]["device_id"] == people.laptop["ani"]
    everyone = cli.ok("officer", "list").stdout
    assert "Budi Kobar" in everyone and people.budi in everyone
    added = json.loads(
        cli.ok("officer", "add", "--name", "Fajar", "--area", "62.01.02", "--json").stdout
    )["officer_id"]
    cli.ok("enroll-code", "--officer", added)
    cli.ok("device", "revoke", "--device", people.laptop["citra"])
    assert "--regency" in cli.fails("officer", "list", "--regency", "62.71.03")
    # Without the passphrase these commands write nothing: their audit entry could not be sealed.
    assert "KHBS_SERVER_PASSPHRASE" in cli.fails(
        "officer", "add", "--name", "G", "--area", "62.01", passphrase=None
    )
    with engine.connect() as conn:
        logged = [(e.actor, e.action, e.officer_id) for e in audit.entries(conn, PROVINCE)]
    assert logged == [
        ("server-cli", "device.revoke", people.citra),
        ("server-cli", "enroll_code.create", added),
        ("server-cli", "officer.add", added),
    ]
    shown = json.loads(
        cli.ok("audit", "--regency", "62.01", "--action", "officer.add", "--json").stdout
    )
    assert [e["officer_id"] for e in shown["entries"]] == [added]
    palangka = json.loads(cli.ok("audit", "--regency", "62.71", "--json").stdout)["entries"]
    assert [(e["action"], e["officer_id"]) for e in palangka] == [("device.revoke", people.citra)]
