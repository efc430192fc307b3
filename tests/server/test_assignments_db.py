"""Candidate lists into the province's database, on SQLite and PostgreSQL: assigned by desa,
the same file twice changes nothing, a changed family gets a new version for its officer, a
moved desa releases its households (the old officer may still send its edits), and what a
device pulls is sealed to that device's own key."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import func, select

from app.province_key import ProvinceKeyPair
from sync.protocol import candidate_info, unb64
from sync.server import repo
from sync.server.api.pull import BoxKeyMissing, events_for
from sync.server.assignments import import_candidates, read_candidates, reassign
from sync.server.db import candidates, changes, device_box_keys, devices, handovers, utc_now
from tests.server.test_assignments import rows_of, write

OTHER = "62.71.01"  # kecamatan Pahandut


@pytest.fixture
def two_officers(engine):
    with engine.begin() as conn:
        return (
            repo.add_officer(conn, "Sari", ["62.71.03"]),
            repo.add_officer(conn, "Budi", [OTHER]),
        )


def listed(tmp_path, *, moved_to: str | None = None, renamed: bool = False):
    rows = rows_of(1) + rows_of(2)
    if moved_to:
        for r in rows[3:]:
            r["kode_desa"] = moved_to
    if renamed:
        rows[0]["nama"] = "Yohanes Ilas Baru"
    return read_candidates(write(tmp_path / "list.csv", rows))


def do_import(engine, keys, found):
    with engine.begin() as conn:
        return import_candidates(conn, keys, found)


def n_changes(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(changes)).scalar_one()


def device_for(engine, officer: str, box: ProvinceKeyPair | None) -> str:
    """A device row for the officer (as enrollment makes it) with its box key."""
    with engine.begin() as conn:
        code = repo.create_enroll_code(conn, officer)
        device = repo.redeem_enroll_code(conn, code.code, os.urandom(32))
        if box is not None:
            conn.execute(
                device_box_keys.insert().values(
                    device_id=device.id, public_key=box.public_bytes(), set_at=utc_now()
                )
            )
        return device.id


def pulled(engine, keys, device_id, officer):
    with engine.connect() as conn:
        return events_for(conn, device_id, officer, 0, 500, keys)["events"]


def test_import_assigns_by_desa_and_twice_changes_nothing(
    engine, initialised, two_officers, tmp_path
):
    sari, budi = two_officers
    first = do_import(engine, initialised, listed(tmp_path))
    assert (first.new, first.changed, first.unchanged, first.members) == (2, 0, 0, 6)
    events = n_changes(engine)
    again = do_import(engine, initialised, listed(tmp_path))
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    assert n_changes(engine) == events  # nothing for the laptops either
    with engine.connect() as conn:
        owners = set(conn.scalars(select(candidates.c.officer_id)))
        stored = b"".join(bytes(c) for c in conn.scalars(select(candidates.c.content)))
    assert owners == {sari}
    assert b"Yohanes" not in stored and rows_of(1)[0]["nik"].encode() not in stored

    changed = do_import(engine, initialised, listed(tmp_path, renamed=True))
    assert (changed.new, changed.changed, changed.unchanged) == (0, 1, 1)


def test_a_device_pulls_its_households_sealed_to_its_own_key(
    engine, initialised, two_officers, tmp_path
):
    sari, budi = two_officers
    do_import(engine, initialised, listed(tmp_path))
    box = ProvinceKeyPair.generate()
    mine = device_for(engine, sari, box)
    events = [e for e in pulled(engine, initialised, mine, sari) if e["type"] == "candidate"]
    assert len(events) == 2
    e = events[0]
    record = json.loads(
        box.open(unb64(e["sealed"]), candidate_info(mine, e["household_id"], e["revision"]))
    )
    assert record["id"] == e["household_id"] and record["status"] == "draft"
    assert record["verifikasi"] == {"sumber": 1}
    assert [m["nik"] for m in record["anggota"]] == [r["nik"] for r in rows_of(1)]
    assert "Yohanes" not in json.dumps(e)  # nothing readable outside the seal

    other = device_for(engine, budi, ProvinceKeyPair.generate())
    assert [e for e in pulled(engine, initialised, other, budi) if e["type"] == "candidate"] == []

    keyless = device_for(engine, sari, None)
    with pytest.raises(BoxKeyMissing):
        pulled(engine, initialised, keyless, sari)
    with engine.connect() as conn:  # the refused pull moved no cursor
        assert (
            conn.execute(select(devices.c.pull_cursor).where(devices.c.id == keyless)).scalar() == 0
        )


def test_a_moved_desa_releases_its_households_to_the_new_officer(
    engine, initialised, two_officers, tmp_path
):
    sari, budi = two_officers
    do_import(engine, initialised, listed(tmp_path))
    sari_box, budi_box = ProvinceKeyPair.generate(), ProvinceKeyPair.generate()
    sari_dev, budi_dev = device_for(engine, sari, sari_box), device_for(engine, budi, budi_box)
    before = {
        e["household_id"]
        for e in pulled(engine, initialised, sari_dev, sari)
        if e["type"] == "candidate"
    }
    with engine.begin() as conn:
        repo.set_officer_areas(conn, budi, [OTHER, "62.71.03"])  # both cover it: nobody wins
        assert reassign(conn) == {"moved": 2, "unassigned": 2}
        repo.set_officer_areas(conn, sari, ["62.71.02"])
        repo.set_officer_areas(conn, budi, [OTHER, "62.71.03"])
        assert reassign(conn) == {"moved": 2, "unassigned": 0}
        assert set(conn.scalars(select(handovers.c.from_officer_id))) == {sari}
    sari_events = pulled(engine, initialised, sari_dev, sari)
    assert {e["household_id"] for e in sari_events if e["type"] == "release"} == before
    assert [e for e in sari_events if e["type"] == "candidate"] == []  # no longer hers to read
    got = {
        e["household_id"]
        for e in pulled(engine, initialised, budi_dev, budi)
        if e["type"] == "candidate"
    }
    assert got == before
