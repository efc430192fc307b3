"""Logs, metrics and readiness (sync/server/api/observe.py): `khbs-server serve --workers 2` as
a real process takes a push from a real laptop and a console search by NIK; its log is JSON
lines that name no family member and hold no NIK; /metrics counts what the workers did
together; /v1/ready knows the schema."""

from __future__ import annotations

import json
import os

import pytest
import requests

from app.store import Store
from sync.client import SyncClient
from sync.server.api.app import create_app
from sync.server.console import passwords
from sync.server.migrations import head
from sync.server.settings import Settings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.server import consoleworld
from tests.server.conftest import LiveServer, new_code
from tests.server.test_console import Browser
from tests.server.test_workers import Served, wait_ready


@pytest.fixture
def world(engine, initialised, tmp_path, monkeypatch):
    monkeypatch.setattr(passwords, "COST", FAST_KDF)
    return consoleworld.build(engine, initialised, tmp_path)


def secrets_of(records) -> set[str]:
    found = set()
    for record in records:
        found.add(record["no_kk"])
        for member in record["anggota"]:
            found |= {member["nik"], member["nama"]}
    return found


@pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers needs os.fork")
def test_logs_hold_no_personal_data_and_metrics_add_up(world, engine, db_url, tmp_path):
    served = Served(db_url, tmp_path, "--workers", "2")
    url = f"http://127.0.0.1:{served.port}"
    pushed = [numbered(n) for n in (21, 22)]
    try:
        wait_ready(served.port)
        with Store.create(tmp_path / "laptop", PASSPHRASE, kdf=FAST_KDF) as store:
            client = SyncClient(store, sleep=lambda _s: None)
            client.enroll(url, new_code(engine, world.officers["palangka"]))
            for record in pushed:
                store.save(record)
            assert client.push().synced == 2
        browser = Browser(url)
        assert browser.login(world.users["province"].name).status_code == 303
        record = next(iter(world.records.values()))
        nik, name = record["anggota"][0]["nik"], record["anggota"][0]["nama"]
        found = browser.post("/console/households/search", {"number": nik, "csrf": browser.csrf()})
        assert found.status_code in (200, 303)
        browser.get(f"/console/households?officer={name}")  # a name in a query string
        browser.get(f"/console/households/{nik}")  # and in a path
        browser.get(f"/console/{name}")  # a path no route knows
        requests.get(f"{url}/v1/pull?after={nik}", timeout=10)

        ready = requests.get(url + "/v1/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["schema"] == head()
        text = requests.get(url + "/metrics", timeout=10).text
        assert 'khbs_households_ingested_total{outcome="accepted"} 2.0' in text
        assert 'khbs_queue_depth{queue="households_to_verify"}' in text
        assert 'route="/console/households/search"' in text
        assert "khbs_sync_errors_total" in text  # the unsigned pull
    finally:
        log = served.stop()

    for secret in secrets_of([*pushed, *world.records.values()]):
        assert secret not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line.get("msg") == "request"]
    assert {"route": "/console/households/search", "method": "POST"}.items() <= next(
        line for line in requests_logged if line["route"] == "/console/households/search"
    ).items()
    routes = {(line["route"], line["status"]) for line in requests_logged}
    assert ("/console/households/{household_id}", 404) in routes  # the template, not the NIK
    assert len({line["pid"] for line in requests_logged}) >= 1
    plain = [line for line in log.splitlines() if line and not line.startswith("{")]
    assert all(line.startswith(("Serving the API", "khbs-server")) for line in plain), plain


def test_metrics_need_the_token_when_one_is_set(db_url, initialised, monkeypatch):
    with LiveServer(create_app(Settings(db_url=db_url), initialised)) as live:
        assert requests.get(live.url + "/metrics", timeout=10).status_code == 200  # loopback
        monkeypatch.setenv("KHBS_METRICS_TOKEN", "rahasia-metrik-123")
        assert requests.get(live.url + "/metrics", timeout=10).status_code == 404
        wrong = {"Authorization": "Bearer salah"}
        assert requests.get(live.url + "/metrics", headers=wrong, timeout=10).status_code == 404
        right = {"Authorization": "Bearer rahasia-metrik-123"}
        reply = requests.get(live.url + "/metrics", headers=right, timeout=10)
        assert reply.status_code == 200 and "khbs_queue_depth" in reply.text
