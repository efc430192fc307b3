"""Issue 6 end to end, on SQLite and PostgreSQL: the province imports a DTSEN list with
`khbs-server assignments import`, the officer's laptop syncs and gets the families sealed to its
own key, verifies and finalises them, pushes, and the province sees what changed against the
list. Plus: a changed list after the officer started is resolved per answer, and a desa that
moves to another officer loses none of the first officer's unsent work."""

from __future__ import annotations

import json

import pytest

from app import households as hh
from app.store import Store
from app.store.assigned import listed, province_version, resolve, to_verify_counts
from app.verification import THEIRS, diff, merge
from sync.client import SyncClient
from sync.server import repo
from sync.server.assignments import changes_against_list, reassign
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import DESA, TODAY, numbered
from tests.server.conftest import new_code
from tests.server.test_assignments import rows_of, write
from tests.server.test_cli import Server

OTHER_AREA = "62.71.02"


@pytest.fixture
def server(db_url, live, tmp_path):
    return Server(db_url, tmp_path / "home")


def laptop(tmp_path, name: str, live, engine, officer: str) -> tuple[Store, SyncClient]:
    store = Store.create(tmp_path / name, PASSPHRASE, kdf=FAST_KDF)
    client = SyncClient(store, sleep=lambda _s: None, max_attempts=3)
    client.enroll(live.url, new_code(engine, officer))
    return store, client


def verified(store: Store, hid: str, n: int, **changes) -> dict:
    """What the officer ends with after a visit: the listed family, checked and completed
    (the dwelling and the rest asked in the field), then finalised through the rules."""
    record, revision = store.get(hid)
    full = numbered(n)
    full.update({k: v for k, v in record.items() if k in ("id", "no_kk", "verifikasi")})
    full["verifikasi"] = {"sumber": 1, "keberadaan_keluarga": 1}
    for name, value in changes.items():
        member, field = name.split("__")
        full["anggota"][int(member)][field] = value
    final, _ = hh.finalise(store, full, expected_revision=revision, today=TODAY)
    return final


def ids_by_kk(store: Store) -> dict[str, str]:
    return {store.get(r.id)[0]["no_kk"]: r.id for r in store.rows()}


def test_import_sync_verify_push_and_the_province_sees_the_changes(
    server, live, engine, officer, initialised, tmp_path
):
    listing = write(tmp_path / "dtsen.csv", rows_of(1) + rows_of(2))
    out = json.loads(server.ok("assignments", "import", str(listing), "--json").stdout)
    assert (out["new"], out["members"], out["unassigned"]) == (2, 6, {})
    again = json.loads(server.ok("assignments", "import", str(listing), "--json").stdout)
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 2)  # a no-op

    store, client = laptop(tmp_path, "sari", live, engine, officer)
    assert client.sync().assigned == 2
    rows = store.rows()
    assert {r.sync_state for r in rows} == {"to_verify"} and len(rows) == 2
    assert to_verify_counts(store) == {DESA: 2}
    hid = ids_by_kk(store)[numbered(1)["no_kk"]]
    verified(store, hid, 1, **{"1__nama": "Rosmiati Ilas Br. Sinaga"})
    assert to_verify_counts(store) == {DESA: 1}
    report = client.sync()
    assert report.synced == 1

    with engine.connect() as conn:
        found = {c.household_id: c for c in changes_against_list(conn, initialised)}
    assert set(found) == {hid}
    keys = [d.key for d in found[hid].changes]
    assert "anggota/1:1/nama" in keys and "verifikasi/keberadaan_keluarga" in keys
    assert not any(k.startswith("rumah") for k in keys)  # answers the list never had are new
    shown = json.loads(server.ok("assignments", "changes", "--id", hid, "--json").stdout)
    change = {c["key"]: c for c in shown["households"][0]["changes"]}["anggota/1:1/nama"]
    assert change == {
        "key": "anggota/1:1/nama",
        "list": "Rosmiati Ilas",
        "officer": "Rosmiati Ilas Br. Sinaga",
    }
    store.close()


def test_import_errors_name_line_and_column_and_import_nothing(server, engine, tmp_path):
    rows = rows_of(1) + rows_of(2)
    rows[4]["tanggal_lahir"] = "1985-13-40"
    proc = server("assignments", "import", str(write(tmp_path / "bad.csv", rows)))
    assert proc.returncode == 1
    assert "baris 6, kolom tanggal_lahir" in proc.stderr
    assert "Tidak ada yang diimpor" in proc.stderr
    assert rows[0]["nama"] not in proc.stderr  # values are never echoed
    out = json.loads(
        server.ok(
            "assignments", "import", str(tmp_path / "bad.csv"), "--skip-invalid", "--json"
        ).stdout
    )
    assert (out["new"], out["skipped"]) == (1, 1)


def test_a_list_changed_after_the_officer_started_is_resolved_per_answer(
    server, live, engine, officer, tmp_path
):
    server.ok("assignments", "import", str(write(tmp_path / "v1.csv", rows_of(1))))
    store, client = laptop(tmp_path, "sari", live, engine, officer)
    client.sync()
    hid = store.rows()[0].id
    mine = verified(store, hid, 1, **{"0__nama": "Yohanes Ilas Jr."})
    changed = rows_of(1)
    changed[1]["nama"] = "Rosmiati Ilas (ralat)"  # the province corrects another answer
    server.ok("assignments", "import", str(write(tmp_path / "v2.csv", changed)))
    client.pull()
    assert store.get(hid)[0] == mine  # nothing overwritten
    theirs, revision = province_version(store, hid)
    keys = {d.key for d in diff(mine, theirs)}
    assert {"anggota/0:0/nama", "anggota/1:1/nama"} <= keys
    merged = merge(mine, theirs, {"anggota/1:1/nama": THEIRS})  # keep mine, take one of theirs
    resolve(store, hid, merged, expected_revision=store.get(hid)[1], province_revision=revision)
    now = store.get(hid)[0]
    assert [m["nama"] for m in now["anggota"][:2]] == ["Yohanes Ilas Jr.", "Rosmiati Ilas (ralat)"]
    assert listed(store, hid).pending is None
    store.close()


def test_a_moved_desa_loses_none_of_the_first_officers_unsent_work(
    live, engine, officer, initialised, tmp_path
):
    from sync.server.assignments import import_candidates, read_candidates

    with engine.begin() as conn:
        budi = repo.add_officer(conn, "Budi", [OTHER_AREA])
        import_candidates(conn, initialised, read_candidates(write(tmp_path / "l.csv", rows_of(1))))
    sari_store, sari = laptop(tmp_path, "sari", live, engine, officer)
    budi_store, budi_client = laptop(tmp_path, "budi", live, engine, budi)
    sari.sync()
    hid = sari_store.rows()[0].id
    work = verified(sari_store, hid, 1, **{"2__nama": "Dimas Ilas Putra"})  # final, not sent

    with engine.begin() as conn:  # the desa moves to Budi before Sari's laptop has synced
        repo.set_officer_areas(conn, officer, ["62.71.04"])
        repo.set_officer_areas(conn, budi, [OTHER_AREA, DESA])
        reassign(conn)

    report = sari.sync()  # her edit goes out first (a handover), then the release
    assert report.synced == 1
    assert sari_store.rows() == []  # given up only now that the province has her version
    budi_client.sync()
    got, revision = budi_store.get(hid)
    assert [m["nama"] for m in got["anggota"]] == [m["nama"] for m in work["anggota"]]
    assert got["status"] == "draft"  # Budi's to check, starting from Sari's work
    final = dict(got, status="final")
    _, budi_revision = hh.finalise(budi_store, final, expected_revision=revision, today=TODAY)
    assert budi_client.sync().synced == 1
    with engine.connect() as conn:
        (change,) = changes_against_list(conn, initialised, household_id=hid)
        current = conn.execute(repo_current(hid)).one()
    assert current.officer_id == budi and current.revision == budi_revision
    assert "anggota/2:2/nama" in [d.key for d in change.changes]
    sari_store.close()
    budi_store.close()


def repo_current(hid: str):
    from sqlalchemy import select

    from sync.server.db import households

    return select(households.c.officer_id, households.c.revision).where(households.c.id == hid)
