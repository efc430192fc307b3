"""The HTTP API against a real uvicorn server on 127.0.0.1 (a free port, in a background
thread), on SQLite and PostgreSQL, with a real laptop store and sync.client.SyncClient."""

from __future__ import annotations

import copy
import json
import time
import uuid
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app import regions
from app.store import Store
from sync.client import SyncClient, SyncError
from sync.protocol import escrow_info, seal_batch
from sync.server import repo
from sync.server.db import changes, devices, household_versions, households, utc_now
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import head, numbered
from tests.server.conftest import AREA, count, new_code

PERSONAL = ("Yohanes", "Rosmiati", "Dimas", "Ilas", head(serial=3)["nik"][:12])


@pytest.fixture
def laptop(store, live, engine, officer) -> SyncClient:
    client = SyncClient(store, sleep=lambda _s: None, max_attempts=2)
    client.enroll(live.url, new_code(engine, officer))
    return client


def outside_desa() -> str:
    return regions.desa_in("62.01")[0]  # Kotawaringin Barat: not the officer's area


def personal_free(text: str) -> bool:
    return not any(p in text for p in PERSONAL)


# -- enrollment -------------------------------------------------------------------------------


def test_enroll_then_code_is_spent_and_expired_codes_are_refused(
    live, engine, officer, store, tmp_path
):
    client = SyncClient(store)
    code = new_code(engine, officer)
    device = client.enroll(live.url, code)
    assert store.assigned_areas() == [AREA]
    assert store.escrow() is not None and store.escrow()[0] == device.province_key_id
    assert client.device().device_id == device.device_id
    with engine.connect() as conn:
        assert repo.get_device(conn, device.device_id).officer_id == officer

    with Store.create(tmp_path / "other", PASSPHRASE, kdf=FAST_KDF) as other:
        with pytest.raises(SyncError) as used:
            SyncClient(other).enroll(live.url, code)
        assert used.value.code == "code_used"
        old = new_code(engine, officer, clock=lambda: utc_now() - timedelta(hours=73))
        with pytest.raises(SyncError) as expired:
            SyncClient(other).enroll(live.url, old)
        assert expired.value.code == "code_expired"
        assert other.get_secret("device") is None
    reply = requests.post(live.url + "/v1/enroll", json={"code": "nope"}, timeout=10)
    assert reply.status_code == 400 and reply.json()["error"] == "bad_request"
    assert "nope" not in reply.text  # the input is never echoed


def test_health_and_openapi(live):
    assert requests.get(live.url + "/v1/health", timeout=10).json()["status"] == "ok"
    paths = requests.get(live.url + "/openapi.json", timeout=10).json()["paths"]
    assert {"/v1/enroll", "/v1/push", "/v1/pull", "/v1/health"} <= set(paths)


# -- push -------------------------------------------------------------------------------------


def test_push_sync_pull(laptop, store, engine, officer, initialised):
    records = [numbered(n) for n in (1, 2, 3)]
    for r in records:
        store.save(r)
    report = laptop.push()
    assert (report.sent, report.synced, report.attention) == (3, 3, 0)
    # The escrow of the laptop's data key travelled with the push; the province key opens it.
    with engine.connect() as conn:
        row = conn.execute(
            select(devices.c.escrow_key_id, devices.c.escrow_blob).where(
                devices.c.id == laptop.device().device_id
            )
        ).one()
    assert (row.escrow_key_id, bytes(row.escrow_blob)) == store.escrow()
    opened = initialised.province_key(row.escrow_key_id).open(
        bytes(row.escrow_blob), escrow_info(store.store_id)
    )
    assert opened == store._data_key
    assert laptop._escrow_to_send() is None  # sent once
    assert {r.sync_state for r in store.rows()} == {"synced"}
    assert store.status_counts()["pending_sync"] == 0
    assert count(engine, households) == 3
    assert count(engine, households, households.c.officer_id == officer) == 3
    assert laptop.push().sent == 0  # nothing left

    # Pull: a "received" event per household; the cursor advances and is kept in the store.
    pulled = laptop.pull()
    assert pulled.events == 3
    cursor = int(store.get_meta("pull_cursor"))
    assert cursor >= 3
    assert laptop.pull().events == 0 and int(store.get_meta("pull_cursor")) == cursor
    # A province decision arrives: rejected with a reason code.
    hid = records[1]["id"]
    with engine.begin() as conn:
        repo.append_change(
            conn,
            "status",
            officer_id=officer,
            household_id=hid,
            revision=1,
            detail={"status": "rejected", "reason": "document_missing"},
        )
    assert laptop.pull().events == 1
    row = store.db.execute(
        "SELECT sync_state, sync_reason FROM households WHERE id = ?", (hid,)
    ).fetchone()
    assert row == ("rejected", "document_missing")
    assert int(store.get_meta("pull_cursor")) > cursor
    # New areas for the officer reach the laptop.
    with engine.begin() as conn:
        repo.append_change(conn, "assignment", officer_id=officer, detail={"areas": ["62.71"]})
    assert laptop.pull().events == 1
    assert store.assigned_areas() == ["62.71"]
    assert store.verify().ok


def test_same_batch_again_returns_stored_results(laptop, store, engine):
    device = laptop.device()
    items = [{"id": r["id"], "revision": 1, "record": r} for r in (numbered(4), numbered(5))]
    body = seal_batch(
        device.province_key, device.province_key_id, device.device_id, str(uuid.uuid4()), items
    )
    first = laptop._signed(device, "POST", device.server, "/v1/push", body).json()
    assert [r["outcome"] for r in first["results"]] == ["accepted", "accepted"]
    counts = count(engine, households), count(engine, household_versions), count(engine, changes)
    again = laptop._signed(device, "POST", device.server, "/v1/push", body).json()
    assert again["results"] == first["results"] and again["batch_id"] == first["batch_id"]
    assert (
        count(engine, households),
        count(engine, household_versions),
        count(engine, changes),
    ) == counts
    # The same households in a new batch (a retry after a lost reply): duplicate.
    body2 = seal_batch(
        device.province_key, device.province_key_id, device.device_id, str(uuid.uuid4()), items
    )
    third = laptop._signed(device, "POST", device.server, "/v1/push", body2).json()
    assert [r["outcome"] for r in third["results"]] == ["duplicate", "duplicate"]
    assert count(engine, household_versions) == counts[1]


def test_conflict_keeps_both_versions(laptop, store, engine):
    rec = numbered(6)
    store.save(rec)
    assert laptop.push().synced == 1
    other = copy.deepcopy(rec)
    other["lokasi"]["rt"] = "009"  # same id and revision, other content (another laptop?)
    device = laptop.device()
    body = seal_batch(
        device.province_key,
        device.province_key_id,
        device.device_id,
        str(uuid.uuid4()),
        [{"id": rec["id"], "revision": 1, "record": other}],
    )
    results = laptop._signed(device, "POST", device.server, "/v1/push", body).json()["results"]
    assert results == [
        {"id": rec["id"], "revision": 1, "outcome": "conflict", "reason": "conflict"}
    ]
    where = household_versions.c.household_id == rec["id"], household_versions.c.revision == 1
    assert count(engine, household_versions, *where) == 2
    assert count(engine, households, households.c.conflict) == 1


def test_outside_area_rejected_others_accepted(laptop, store, engine):
    good = [numbered(7), numbered(8)]
    bad = numbered(9)
    bad["lokasi"]["kode_desa"] = outside_desa()
    for r in (good[0], bad, good[1]):
        store.save(r)
    report = laptop.push()
    assert (report.sent, report.synced, report.attention) == (3, 2, 1)
    states = {r.id: (r.sync_state) for r in store.rows()}
    assert states == {good[0]["id"]: "synced", good[1]["id"]: "synced", bad["id"]: "rejected"}
    reason = store.db.execute(
        "SELECT sync_reason FROM households WHERE id = ?", (bad["id"],)
    ).fetchone()[0]
    assert reason == "outside_area"
    assert count(engine, households) == 2
    # An invalid household (schema/rules) is rejected with the first error code.
    broken = numbered(10)
    del broken["anggota"][0]["nama"]
    store.save(broken)
    assert laptop.push().attention == 1
    reason = store.db.execute(
        "SELECT sync_reason FROM households WHERE id = ?", (broken["id"],)
    ).fetchone()[0]
    assert reason == "required"


def test_duplicate_identity_numbers_are_warned_without_personal_data(laptop, store, engine):
    a = numbered(11)
    b = numbered(12, no_kk=a["no_kk"])  # another household claiming the same KK
    store.save(a)
    store.save(b)
    assert laptop.push().synced == 2
    events = laptop._signed(
        laptop.device(), "GET", laptop.device().server, "/v1/pull?after=0&limit=50"
    ).json()["events"]
    dupes = [e for e in events if e["type"] == "duplicate"]
    assert {(e["household_id"], e["other_household_id"], e["kind"]) for e in dupes} == {
        (a["id"], b["id"], "kk"),
        (b["id"], a["id"], "kk"),
    }
    text = json.dumps(events)
    assert personal_free(text) and a["no_kk"] not in text
    # The laptop keeps the warning by kind and shows it (app/gui/models.py).
    assert laptop.sync().events == len(events)
    kinds = {r.id: r.province_duplicates for r in store.rows()}
    assert kinds == {a["id"]: ("kk",), b["id"]: ("kk",)}


# -- refusals ---------------------------------------------------------------------------------


def test_revoked_device_gets_401_without_personal_data(laptop, store, engine, caplog):
    store.save(numbered(13))
    with engine.begin() as conn:
        repo.revoke_device(conn, laptop.device().device_id)
    with pytest.raises(SyncError) as refused:
        laptop.push()
    assert refused.value.code == "revoked"
    assert store.status_counts()["pending_sync"] == 1  # still queued on the laptop
    device = laptop.device()
    from sync.protocol import sign_request

    body = seal_batch(
        device.province_key,
        device.province_key_id,
        device.device_id,
        str(uuid.uuid4()),
        [{"id": "x", "revision": 1, "record": numbered(13)}],
    )
    headers = sign_request(device.key, device.device_id, "POST", "/v1/push", body, int(time.time()))
    reply = requests.post(device.server + "/v1/push", data=body, headers=headers, timeout=10)
    assert reply.status_code == 401
    assert set(reply.json()) == {"error", "server_time"} and reply.json()["error"] == "revoked"
    assert personal_free(reply.text) and personal_free(caplog.text)
    assert count(engine, households) == 0


def test_bad_signature_replay_and_skew_are_refused(laptop, store):
    from sync.protocol import H_NONCE, H_TIME, sign_request

    device = laptop.device()
    path = "/v1/pull?after=0&limit=10"
    headers = sign_request(device.key, device.device_id, "GET", path, b"", int(time.time()))
    assert requests.get(device.server + path, headers=headers, timeout=10).status_code == 200
    replay = requests.get(device.server + path, headers=headers, timeout=10)
    assert replay.status_code == 401 and replay.json()["error"] == "replay"
    tampered = sign_request(device.key, device.device_id, "GET", path, b"", int(time.time()))
    reply = requests.get(device.server + "/v1/pull?after=5&limit=10", headers=tampered, timeout=10)
    assert reply.json()["error"] == "bad_signature"
    skewed = sign_request(device.key, device.device_id, "GET", path, b"", int(time.time()) - 3600)
    reply = requests.get(device.server + path, headers=skewed, timeout=10)
    assert reply.status_code == 401 and reply.json()["error"] == "clock_skew"
    assert abs(reply.json()["server_time"] - time.time()) < 60
    missing = {k: v for k, v in headers.items() if k not in (H_NONCE, H_TIME)}
    assert requests.get(device.server + path, headers=missing, timeout=10).status_code == 401
    # The client corrects its clock from the answer and retries once.
    laptop.clock = lambda: time.time() - 3600
    assert laptop.pull().events == 0


def test_batch_bound_to_another_device_does_not_open(
    laptop, store, engine, officer, tmp_path, live
):
    device = laptop.device()
    body = seal_batch(
        device.province_key,
        device.province_key_id,
        "someone-else",
        str(uuid.uuid4()),
        [{"id": "x", "revision": 1, "record": numbered(14)}],
    )
    with pytest.raises(SyncError) as refused:
        laptop._signed(device, "POST", device.server, "/v1/push", body)
    assert refused.value.code == "bad_seal"
    assert count(engine, households) == 0


# -- the laptop's command line ----------------------------------------------------------------


def test_khbs_enroll_and_sync_cli(live, engine, officer, tmp_path, monkeypatch, capsys):
    from app import cli

    data = tmp_path / "cli"
    with Store.create(data, PASSPHRASE, kdf=FAST_KDF) as store:
        for n in (21, 22):
            store.save(numbered(n))
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KHBS_LANG", "id")  # what the CLI reads at start (--lang en wins below)
    base = ["--data-dir", str(data)]
    assert cli.main(base + ["sync", "--json"]) == cli.EXIT_ERROR
    assert "belum terdaftar" in capsys.readouterr().err
    code = new_code(engine, officer)
    assert cli.main(base + ["enroll", "--server", live.url, "--code", code.lower()]) == 0
    assert AREA in capsys.readouterr().out
    assert cli.main(base + ["enroll", "--server", live.url, "--code", code]) == cli.EXIT_ERROR
    assert "sudah dipakai" in capsys.readouterr().err
    assert cli.main(base + ["enroll", "--server", "http://192.0.2.1", "--code", code]) == 1
    assert "https://" in capsys.readouterr().err
    # --ca-bundle is accepted and handed to SyncClient(verify=...); over plain http to this
    # machine requests does not use it (TLS against the province's own CA is not tested here).
    import certifi

    assert cli.main(base + ["sync", "--json", "--ca-bundle", certifi.where()]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sent"] == 2 and out["synced"] == 2 and out["attention"] == 0
    assert out["events"] == 2 and out["bytes_up"] > 0 and out["bytes_down"] > 0
    assert set(out) == {
        "sent",
        "synced",
        "attention",
        "events",
        "bytes_up",
        "bytes_down",
        "assigned",
        "province_changed",
        "released",
        "attachments_sent",
        "attachment_bytes",
        "clock_offset_s",
        "needs_attention",
        "warnings",
        "questionnaires",
        "questionnaires_refused",
        "purged",  # retention (docs/privacy.md)
        "erased",
        "returned",  # the supervision loop's returns pulled (docs/supervision.md)
    }
    assert out["needs_attention"] == [] and out["warnings"] == []
    assert out["questionnaires"] == out["questionnaires_refused"] == []
    assert cli.main(base + ["--lang", "en", "sync"]) == 0
    assert "0 sent" in capsys.readouterr().out
    assert count(engine, households) == 2


def test_damaged_households_at_the_head_do_not_block_the_rest(laptop, store, engine, monkeypatch):
    """Bug found: damaged households first in the queue filled every batch, so push stopped
    with nothing sent. They are now skipped like unanswered ones."""
    import sync.client

    monkeypatch.setattr(sync.client, "START_BATCH", 1)
    damaged, good = numbered(31), [numbered(32), numbered(33)]
    for r in (damaged, *good):
        store.save(r)
    store.db.execute("UPDATE households SET record = zeroblob(40) WHERE id = ?", (damaged["id"],))
    report = laptop.push()
    assert (report.sent, report.synced) == (2, 2)
    assert report.damaged == [damaged["id"]]
    assert store.status_counts()["pending_sync"] == 1  # the damaged one stays queued
    assert count(engine, households) == 2


def test_unexpected_errors_are_one_safe_line(live, caplog, capfd):
    """Anything unexpected is {"error": "internal"} and a log line with the type only."""
    app = live.server.config.app

    @app.get("/v1/boom")
    def boom():
        raise ValueError("Yohanes Ilas 6271031204800003")

    reply = requests.get(live.url + "/v1/boom", timeout=10)
    assert reply.status_code == 500 and reply.json()["error"] == "internal"
    assert personal_free(reply.text) and personal_free(caplog.text)
    assert "ValueError" in caplog.text
    err = capfd.readouterr().err  # uvicorn's own loggers write here, not to caplog
    assert personal_free(err) and "Traceback" not in err


# -- province decisions reach the laptop -------------------------------------------------------


def test_household_status_and_new_areas_reach_the_laptop(laptop, store, engine, officer):
    """repo.set_household_status / set_officer_areas (khbs-server household status, officer
    areas) through a real server to a real laptop store."""
    from app.gui.models import ATTENTION

    records = [numbered(41), numbered(42)]
    for r in records:
        store.save(r)
    assert laptop.sync().synced == 2
    ok, bad = (r["id"] for r in records)
    with engine.begin() as conn:
        repo.set_household_status(conn, ok, "verified", card_number="KHBS-62-0041")
        repo.set_household_status(conn, bad, "rejected", reason="document_missing")
    assert laptop.sync().events == 2

    def state(hid: str) -> tuple:
        return store.db.execute(
            "SELECT sync_state, sync_reason FROM households WHERE id = ?", (hid,)
        ).fetchone()

    # The laptop records "verified" as synced + reason "verified", and keeps the card (sealed).
    assert state(ok) == ("synced", "verified")
    assert state(bad) == ("rejected", "document_missing")
    cards = {r.id: r.card_number for r in store.rows()}
    assert cards == {ok: "KHBS-62-0041", bad: None}
    assert {r.id for r in store.rows() if r.sync_state in ATTENTION} == {bad}
    with engine.connect() as conn:
        events = (
            conn.execute(
                select(changes.c.detail).where(
                    changes.c.household_id == ok, changes.c.kind == "status"
                )
            )
            .scalars()
            .all()
        )
    assert '{"card_number":"KHBS-62-0041","status":"verified"}' in events

    # New areas for the officer: the laptop's assigned areas follow after the next sync.
    assert store.assigned_areas() == [AREA]
    with engine.begin() as conn:
        repo.set_officer_areas(conn, officer, ["6212", "62.71.03"])
    assert laptop.sync().events == 1
    assert store.assigned_areas() == ["62.12", "62.71.03"]
    assert store.verify().ok


def test_a_location_that_is_not_an_object_is_rejected_not_a_crash(laptop, store, engine):
    """A crafted push whose `lokasi` is a list: rejected as outside the officer's area (no desa
    to place it in), the rest of the batch applied, no 500."""
    good, crafted = numbered(11), numbered(12)
    store.save(good)
    crafted["lokasi"] = ["62.71.03.1001"]
    device = laptop.device()
    body = seal_batch(
        device.province_key,
        device.province_key_id,
        device.device_id,
        str(uuid.uuid4()),
        [
            {"id": good["id"], "revision": 1, "record": good},
            {"id": crafted["id"], "revision": 1, "record": crafted},
        ],
    )
    reply = laptop._signed(device, "POST", device.server, "/v1/push", body)
    assert reply.status_code == 200
    outcomes = {r["id"]: r["outcome"] for r in reply.json()["results"]}
    assert outcomes == {good["id"]: "accepted", crafted["id"]: "rejected"}
