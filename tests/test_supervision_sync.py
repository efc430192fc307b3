"""Province-wide duplicates reach both laptops (issue 15): two officers' laptops send the same
NIK in different households to the real server; the case opens at ingest, a regency user
decides it (`khbs-server cases decide`), both laptops see the outcome from their side after
their next sync, and a later decision reverses it on both."""

from __future__ import annotations

import json

from app.store import Store
from app.store import supervision as sup
from sync.client import SyncClient
from sync.server import repo
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.server.test_cli import Server
from tests.test_gui_sync import AREA, province  # noqa: F401 - `province` is a fixture

MIRROR = {"keep_this": "keep_other", "keep_other": "keep_this", "not_duplicate": "not_duplicate"}


def laptop(path, province, officer: str, record: dict) -> Store:
    store = Store.create(path, PASSPHRASE, kdf=FAST_KDF)
    with province.engine.begin() as conn:
        code = repo.create_enroll_code(conn, officer).code
    SyncClient(store).enroll(province.url, code)
    store.save(record)
    return store


def outcome(store: Store, hid: str) -> list[tuple[str, str]]:
    """(kind, outcome) of each case the laptop holds for the household, from the list's row and
    from the household's supervision record alike."""
    row = next(r for r in store.rows() if r.id == hid)
    assert list(row.cases) == [(c.kind, c.outcome) for c in sup.of(store, hid).cases]
    return list(row.cases)


def test_both_laptops_see_a_duplicate_case_decided_and_reversed(province, tmp_path):
    with province.engine.begin() as conn:
        other_officer = repo.add_officer(conn, "Budi Petugas", [AREA])
    mine = numbered(1)
    theirs = numbered(2)
    theirs["anggota"][2] = dict(theirs["anggota"][2], nik=mine["anggota"][2]["nik"])  # one child
    a = laptop(tmp_path / "a", province, province.officer, mine)
    b = laptop(tmp_path / "b", province, other_officer, theirs)
    server = Server(province.db_url, tmp_path / "server-home")
    try:
        for store in (a, b, a):  # the second push finds the first; the first laptop pulls after
            report = SyncClient(store).sync()
            assert report.synced <= 1 and report.attention == 0
        assert outcome(a, mine["id"]) == [("nik", "open")]
        assert outcome(b, theirs["id"]) == [("nik", "open")]

        (case,) = json.loads(server.ok("cases", "list", "--json").stdout)["cases"]
        assert {case["household_a"], case["household_b"]} == {mine["id"], theirs["id"]}
        here = {case["household_a"]: lambda o: o, case["household_b"]: lambda o: MIRROR[o]}
        for decided in ("keep_this", "not_duplicate", "keep_other"):  # decided, then reversed
            server.ok("cases", "decide", "--case", case["case_id"], "--outcome", decided)
            for store, rec in ((a, mine), (b, theirs)):
                pulled = SyncClient(store).pull()
                assert pulled.events >= 1
                assert outcome(store, rec["id"]) == [("nik", here[rec["id"]](decided))]
        for store in (a, b):
            assert store.verify().ok
    finally:
        a.close()
        b.close()
