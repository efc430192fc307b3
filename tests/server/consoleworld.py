"""A small province for the console tests: two regencies with an officer each, households
pushed through the real ingest (sealed batches), a DTSEN list, the province's decisions, a
duplicate NIK, and console users of each role with passwords set through their set-up codes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app import questionnaire as q
from app import regions, rules
from sync.protocol import seal_batch
from sync.server import ingest, repo
from sync.server import keys as server_keys
from sync.server.assignments import import_candidates, read_candidates
from sync.server.console import users
from sync.server.db import utc_now
from tests.records import DESA, TODAY, numbered
from tests.server.test_assignments import rows_of, write

PASSWORD = "sungai kahayan pagi hari"
OTHER_KECAMATAN_DESA = regions.desa_in("62.71.01")[0]  # Pahandut, Palangka Raya
KOBAR_DESA = regions.desa_in("62.01")[0]  # Kotawaringin Barat: another regency
SAMPIT = "62.02"  # Kotawaringin Timur, whose seat is Sampit
SAMPIT_DESA = regions.desa_in("62.02.06")[:2]  # Mentawa Baru Ketapang, in the town
CARD_A, CARD_B = "KHBS-6271-000001", "KHBS-6201-000001"


@dataclass
class World:
    officers: dict[str, str] = field(default_factory=dict)  # "palangka" / "kobar" -> id
    households: dict[str, list[str]] = field(default_factory=dict)  # same keys -> ids
    records: dict[str, dict] = field(default_factory=dict)  # id -> record pushed
    users: dict[str, users.User] = field(default_factory=dict)  # "province", "regency", ...


def _device(conn, officer_id: str) -> repo.Device:
    code = repo.create_enroll_code(conn, officer_id).code
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return repo.redeem_enroll_code(conn, code, key)


def push(
    engine,
    keys: server_keys.ServerKeys,
    device: repo.Device,
    records: list[dict],
    outcome: str = "accepted",
) -> None:
    body = seal_batch(
        keys.province.public_bytes(),
        keys.active["province"],
        device.id,
        str(uuid.uuid4()),
        [{"id": r["id"], "revision": 1, "record": r} for r in records],
    )
    reply = ingest.ingest(engine, keys, device, body, today=TODAY)
    assert {r["outcome"] for r in reply["results"]} == {outcome}, reply


def acknowledged(record: dict) -> dict:
    """The record with every warning the rules give acknowledged, as an officer would."""
    found = rules.check(record, rules.Context(today=TODAY), final=True)
    assert not found.errors, found.errors
    record[q.ACKNOWLEDGED] = sorted(w.key for w in found.warnings)
    return record


def add_user(
    engine,
    name: str,
    role: str,
    areas: list[str],
    password: str = PASSWORD,
    now: datetime | None = None,
) -> users.User:
    now = now or utc_now()
    with engine.begin() as conn:
        user, code = users.add_user(conn, name, role, areas, now=now, actor="test")
        users.set_up(conn, code.code, password, password, now=now)
    return user


def build(engine, keys: server_keys.ServerKeys, tmp_path) -> World:
    world = World()
    with engine.begin() as conn:
        world.officers["palangka"] = repo.add_officer(conn, "Sari Petugas", ["62.71"])
        world.officers["kobar"] = repo.add_officer(conn, "Budi Petugas", ["62.01"])
        device_a = _device(conn, world.officers["palangka"])
        device_b = _device(conn, world.officers["kobar"])
    palangka = [numbered(n, id=str(uuid.uuid4())) for n in (1, 2, 3, 4)]
    palangka[3]["lokasi"]["kode_desa"] = OTHER_KECAMATAN_DESA
    palangka[2]["anggota"][1]["nik"] = palangka[1]["anggota"][1]["nik"]  # a duplicate NIK
    palangka[3]["anggota"][2]["tanggal_lahir"] = "2018-05-16"  # not the NIK's: a warning
    acknowledged(palangka[3])
    kobar = [numbered(n, id=str(uuid.uuid4())) for n in (5, 6)]
    for record in kobar:
        record["lokasi"]["kode_desa"] = KOBAR_DESA
    push(engine, keys, device_a, palangka)
    push(engine, keys, device_b, kobar)
    changed = dict(palangka[3], lokasi=dict(palangka[3]["lokasi"], rt="009"))
    push(engine, keys, device_a, [changed], outcome="conflict")  # same revision, other content
    world.households = {"palangka": [r["id"] for r in palangka], "kobar": [r["id"] for r in kobar]}
    world.records = {r["id"]: r for r in palangka + kobar}
    with engine.begin() as conn:
        repo.set_household_status(conn, palangka[1]["id"], "verified", card_number=CARD_A)
        repo.set_household_status(conn, palangka[0]["id"], "rejected", reason="document_missing")
        repo.set_household_status(conn, kobar[0]["id"], "verified", card_number=CARD_B)
        listed = rows_of(7) + rows_of(8) + [dict(r, kode_desa=KOBAR_DESA) for r in rows_of(9)]
        found = read_candidates(write(tmp_path / "dtsen.csv", listed), today=TODAY)
        import_candidates(conn, keys, found)
    world.users["province"] = add_user(engine, "Dewi Provinsi", "province", [])
    world.users["regency"] = add_user(engine, "Rahmat Kota", "regency", ["62.71"])
    world.users["supervisor"] = add_user(engine, "Lina Pengawas", "supervisor", ["62.71.03"])
    world.users["kobar"] = add_user(engine, "Agus Kobar", "regency", ["62.01"])
    return world


def add_sampit(engine, keys: server_keys.ServerKeys, world: World) -> None:
    """A third regency for the browser's walk as a new regency coordinator: an officer in
    Kotawaringin Timur and three households of Sampit, with the regency's own KK and NIK
    region codes."""
    with engine.begin() as conn:
        world.officers["sampit"] = repo.add_officer(conn, "Wati Petugas", [SAMPIT])
        device = _device(conn, world.officers["sampit"])
    records = [numbered(n, id=str(uuid.uuid4())) for n in (10, 11, 12)]
    for i, record in enumerate(records):
        record["lokasi"]["kode_desa"] = SAMPIT_DESA[i % 2]
        record["no_kk"] = "620206" + record["no_kk"][6:]
        for member in record["anggota"]:
            member["nik"] = "620206" + member["nik"][6:]
    push(engine, keys, device, records)
    world.households["sampit"] = [r["id"] for r in records]
    world.records.update({r["id"]: r for r in records})


def spread_over_days(engine, world: World) -> None:
    """Households received over the past days instead of all at once (a livelier chart)."""
    from sqlalchemy import update

    from sync.server.db import households

    now = utc_now()
    ids = world.households["palangka"] + world.households["kobar"]
    with engine.begin() as conn:
        for days, hid in zip((0, 1, 1, 3, 6, 9), ids, strict=False):
            conn.execute(
                update(households)
                .where(households.c.id == hid)
                .values(received_at=now - timedelta(days=days))
            )


class Clock:
    """The console's clock, moved by tests (idle and absolute session expiry)."""

    def __init__(self, start: datetime | None = None):
        self.now = start or utc_now()

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta) -> None:
        self.now += timedelta(**delta)


assert DESA.startswith("62.71.03")
