"""Photos and signatures from laptop to province (docs/sync.md, "Attachments"), end to end: a
real laptop store, the real SyncClient, the real server (SQLite and PostgreSQL) and, for the
poor link, tests.faultproxy cutting connections at random byte offsets.

"N households with two photos each: every attachment arrives once, byte-identical, the records
arrived before any photo, and resuming re-sends at most one chunk per cut." 20 households in
the default run; 100 with `make soak` (-m slow)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from app import demo
from app.store import attachments as laptop
from sync.client import SyncClient, SyncError, photo_wait
from sync.protocol import CHUNK_BYTES, ChunkHeader, pack_chunk, sign_request
from sync.server import attachments as province
from sync.server.api.app import create_app
from sync.server.db import attachment_uploads, attachments, households
from sync.server.settings import Settings
from tests import photos
from tests.conftest import PASSPHRASE
from tests.faultproxy import FaultProxy
from tests.server.conftest import AREA, LiveServer, count, new_code
from tests.server.test_faults import TODAY, closing_session

CUT_PROBABILITY = 0.4
CUT_AFTER_BYTES = (200, 60_000)


@pytest.fixture
def roomy(db_url, engine, initialised, tmp_path):
    """The live server with limits no test run reaches (hundreds of chunks in seconds) and its
    attachment folder in tmp_path."""
    settings = Settings(
        db_url=db_url,
        device_per_minute=1e6,
        device_burst=10**6,
        attachments=str(tmp_path / "province-attachments"),
    )
    with LiveServer(create_app(settings, initialised)) as server:
        server.storage = province.DirectoryStorage(settings.attachments)
        yield server


def photo_bytes(rng: random.Random) -> bytes:
    """Opaque to sync: ~100 KB like a prepared photo (JPEG start, random body)."""
    return b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(60_000, 110_000))


def households_with_photos(store, n: int, seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    records = list(demo.generate(n, seed=seed, areas=[AREA], today=TODAY))
    sent: dict[str, bytes] = {}
    with store.db.atomic():
        for record in records:
            store.save(record)
            for _ in range(2):
                content = photo_bytes(rng)
                found = laptop.add(
                    store, record["id"], "photo", content, b"thumb", {"taken_at": None}
                )
                sent[found.id] = content
    return sent


def sync_through_cuts(store, client, proxy_url: str, rounds: int = 200):
    reports = []
    for _ in range(rounds):
        try:
            reports.append(client.sync(proxy_url))
        except SyncError as exc:
            assert exc.code == "network"
            continue
        if not store.status_counts()["pending_sync"] and not laptop.to_send(store):
            break
    return reports


def check_arrived(store, roomy, engine, initialised, sent: dict[str, bytes]) -> None:
    with engine.connect() as conn:
        stored = province.listed(conn)
        first_photo = conn.scalar(select(func.min(attachments.c.received_at)))
        last_record = conn.scalar(select(func.max(households.c.received_at)))
    assert Counter(a.id for a in stored) == Counter({aid: 1 for aid in sent})
    for found in stored:
        info, content = province.read(initialised, roomy.storage, found)
        assert content == sent[found.id] and found.size == len(content)
    assert last_record <= first_photo  # every record was at the province before any photo
    assert count(engine, attachment_uploads) == 0
    assert {
        a.sync_state for hid in {a.household_id for a in stored} for a in laptop.listed(store, hid)
    } == {"sent"}  # noqa: E501
    assert not laptop.to_send(store)


def run_cuts(n: int, store, roomy, engine, officer, initialised, seed: int) -> None:
    sent = households_with_photos(store, n, seed)
    client = SyncClient(
        store, session=closing_session(), sleep=lambda _s: None, max_attempts=10_000
    )
    client.enroll(roomy.url, new_code(engine, officer))  # not through the proxy
    port = int(roomy.url.rsplit(":", 1)[1])
    with FaultProxy(
        port, cut_probability=CUT_PROBABILITY, cut_after_bytes=CUT_AFTER_BYTES, seed=seed
    ) as proxy:
        reports = sync_through_cuts(store, client, proxy.url())
        stats = proxy.stats.snapshot()
    check_arrived(store, roomy, engine, initialised, sent)
    cuts = stats["cut_connections"]
    resent = sum(r.chunks_resent for r in reports)
    resumed = sum(r.attachment_cuts for r in reports)
    assert cuts > 0 and resumed > 0, stats
    # Each cut costs at most the chunk that was on the wire (re-sent chunks of an upload that
    # a failed sync left behind count too: the next sync resumes it from what the province has).
    assert resent <= cuts, (resent, cuts)
    photo_size = sum(len(c) for c in sent.values())
    wire = sum(r.attachment_bytes for r in reports)
    print(
        f"\n{engine.dialect.name}: {n} households, {len(sent)} photos ({photo_size} B),"
        f" {cuts}/{stats['connections']} connections cut, {resumed} chunk sends cut,"
        f" {resent} chunks re-sent, {wire} B of chunk bodies ({wire / photo_size:.3f} x)"
    )


def test_households_with_two_photos_through_cuts(store, roomy, engine, officer, initialised):
    run_cuts(20, store, roomy, engine, officer, initialised, seed=5)


@pytest.mark.slow
def test_100_households_with_two_photos_through_cuts(store, roomy, engine, officer, initialised):
    run_cuts(100, store, roomy, engine, officer, initialised, seed=6)


def test_photos_wait_when_the_officer_says_so_and_records_go_first(store, roomy, engine, officer):
    sent = households_with_photos(store, 3, seed=2)
    client = SyncClient(store)
    client.enroll(roomy.url, new_code(engine, officer))
    count_before, size, _ = photo_wait(store)
    assert (count_before, size) == (6, sum(len(c) for c in sent.values()))
    report = client.sync(photos=False)
    assert report.synced == 3 and report.attachments_sent == 0
    assert count(engine, attachments) == 0 and count(engine, households) == 3
    waiting, _, seconds = photo_wait(store)
    assert waiting == 6 and seconds is not None and seconds > 0  # the link was measured
    report = client.sync()
    assert report.attachments_sent == 6 and count(engine, attachments) == 6
    assert photo_wait(store)[0] == 0
    assert client.sync().attachments_sent == 0  # nothing twice


def test_stored_encrypted_at_rest(store, roomy, engine, officer, tmp_path):
    sent = households_with_photos(store, 2, seed=3)
    client = SyncClient(store)
    client.enroll(roomy.url, new_code(engine, officer))
    client.sync()
    files = [p for p in (tmp_path / "province-attachments").rglob("*") if p.is_file()]
    assert len(files) == 4 and all(p.suffix == ".att" for p in files)
    on_disk = b"".join(p.read_bytes() for p in files)
    for content in sent.values():
        assert content[:4] not in on_disk and content[100:164] not in on_disk


def _post(live_url, device_key, device_id, path, body=b"", method="POST"):
    import time

    headers = sign_request(device_key, device_id, method, path, body, int(time.time()))
    return requests.request(method, live_url + path, data=body, headers=headers, timeout=10)


def test_a_chunk_for_a_household_the_province_lacks_is_refused(store, roomy, engine, officer):
    """Records go first: the province takes no photo of a household it has not received (nor
    one of another officer's); a malformed chunk is a clear code, never a traceback."""
    client = SyncClient(store)
    device = client.enroll(roomy.url, new_code(engine, officer))
    header = ChunkHeader(
        "6f1f0a53-0000-4000-8000-000000000001",
        "6f1f0a53-0000-4000-8000-000000000002",
        "photo",
        "0" * 64,
        device.province_key_id,
        10,
        0,
    )
    body = pack_chunk(header, b"0123456789")
    reply = _post(roomy.url, device.key, device.device_id, "/v1/attachments/chunk", body)
    assert (reply.status_code, reply.json()["error"]) == (404, "unknown_household")
    bad = _post(roomy.url, device.key, device.device_id, "/v1/attachments/chunk", b"junk")
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_chunk")
    big = pack_chunk(header, b"0" * (CHUNK_BYTES * 9))
    too_big = _post(roomy.url, device.key, device.device_id, "/v1/attachments/chunk", big)
    assert too_big.status_code in (400, 413)
    unsigned = requests.post(roomy.url + "/v1/attachments/chunk", data=body, timeout=10)
    assert unsigned.status_code == 401


def test_export_writes_attachments_beside_the_csv(
    store, roomy, engine, officer, initialised, tmp_path
):
    import csv
    import hashlib

    from sync.server.export import export_to_dir

    sent = households_with_photos(store, 2, seed=4)
    client = SyncClient(store)
    client.enroll(roomy.url, new_code(engine, officer))
    client.sync()
    out = tmp_path / "export"
    result = export_to_dir(engine, initialised, out, actor="test", attachment_files=roomy.storage)
    assert (result.attachments, result.attachment_files) == (4, 4)
    rows = list(csv.DictReader((out / "attachments.csv").open(encoding="utf-8")))
    assert {r["attachment_id"] for r in rows} == set(sent)
    for r in rows:
        data = (out / "attachments" / r["file_name"]).read_bytes()
        assert data == sent[r["attachment_id"]]
        assert hashlib.sha256(data).hexdigest() == r["sha256"] and int(r["size"]) == len(data)
    listed_only = export_to_dir(engine, initialised, tmp_path / "plain", actor="test")
    assert listed_only.attachments == 4 and not (tmp_path / "plain" / "attachments").exists()


def test_console_shows_photos_only_after_the_reason_and_only_in_scope(
    db_url, engine, initialised, tmp_path, monkeypatch
):
    import hashlib

    from sync.protocol import seal_attachment
    from sync.server.console import passwords
    from tests.conftest import FAST_KDF
    from tests.server import consoleworld
    from tests.server.test_console import Browser, hidden

    monkeypatch.setattr(passwords, "COST", FAST_KDF)
    world = consoleworld.build(engine, initialised, tmp_path)
    hid = world.households["palangka"][0]
    with engine.begin() as conn:
        device = consoleworld._device(conn, world.officers["palangka"])
    storage = province.DirectoryStorage(tmp_path / "att")
    image = photos.signature_png()
    aid = "5e0c8b52-0000-4000-8000-00000000a001"
    sealed = seal_attachment(
        initialised.province.public_bytes(),
        device.id,
        aid,
        image,
        {"field": "tanda_tangan", "notice_version": "2026.1"},
    )
    header = ChunkHeader(
        aid,
        hid,
        "signature",
        hashlib.sha256(image).hexdigest(),
        initialised.active["province"],
        len(sealed),
        0,
    )
    assert province.receive_chunk(engine, initialised, storage, device, header, sealed).complete
    settings = Settings(db_url=db_url, attachments=str(tmp_path / "att"))
    with LiveServer(create_app(settings, initialised)) as server:
        regency = Browser(server.url)
        regency.login(world.users["regency"].name)
        form = regency.get(f"/console/households/{hid}")
        assert "data:image" not in form.text  # nothing before the reason
        page = regency.post(
            f"/console/households/{hid}",
            {"reason": "verification", "csrf": hidden(form.text, "csrf")},
        )
        assert page.status_code == 200 and "data:image/png;base64," in page.text
        assert "tanda_tangan" in page.text and "2026.1" in page.text
        assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]
        kobar = Browser(server.url)
        kobar.login(world.users["kobar"].name)
        assert kobar.get(f"/console/households/{hid}").status_code == 404


def test_cli_sync_sends_photos_unless_told_not_to(
    store, roomy, engine, officer, data_dir, monkeypatch, capsys
):
    import json

    from app import cli

    households_with_photos(store, 2, seed=8)
    SyncClient(store).enroll(roomy.url, new_code(engine, officer))
    store.close()
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    base = ["--data-dir", str(data_dir)]
    assert cli.main(base + ["sync", "--json", "--no-photos"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["synced"] == 2 and out["attachments_sent"] == 0
    assert cli.main(base + ["sync"]) == 0
    assert "4 lampiran terkirim" in capsys.readouterr().out
    assert count(engine, attachments) == 4
