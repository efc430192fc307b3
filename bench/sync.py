"""Sync benchmarks (issue 4), each beside a baseline measured in the same run.

    wire bytes per household   our push requests + replies (counted by the FaultProxy) vs an
                               OpenRosa submission of the same household (ODK Collect style)
    push over 32 kbit/s        SyncClient.push through FaultProxy(32 kbit/s, 300 ms each way)
                               vs the time the bytes alone need at that bandwidth
    server ingest              8 devices pushing at once, SQLite and PostgreSQL, vs a plain
                               SQLAlchemy executemany of (id, JSON) rows into the same database

The real server (uvicorn on 127.0.0.1, in a thread of this process) and real laptop stores and
SyncClients; nothing is simulated except the link, which the proxy paces for real.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, insert

from app import demo
from app.crypto import KdfParams
from app.store import Store
from sync.client import SyncClient
from sync.server import keys, repo
from sync.server.api.app import create_app
from sync.server.db import open_database
from sync.server.settings import Settings
from tests.faultproxy import FaultProxy
from tests.server.conftest import LiveServer

PASSPHRASE = "benchmark-passphrase"
TODAY = date(2026, 11, 29)
AREA = "62.71.03"  # the benchmark officer's kecamatan; demo households are drawn inside it
FAST_KDF = KdfParams(memory_kib=19 * 1024, iterations=2, lanes=1)  # many stores: cheap unlock
PG_BASE = os.environ.get("KHBS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LINK_BPS, LINK_LATENCY_S = 32_000, 0.3
DEVICES, PER_DEVICE = 8, 250


# -- server and laptops ---------------------------------------------------------------------


@contextmanager
def _server(url: str):
    """A fresh, initialised province server on `url`: (engine, officer id, base URL)."""
    engine = open_database(url, create=True)
    try:
        with engine.begin() as conn:
            server_keys = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
        with engine.begin() as conn:
            officer = repo.add_officer(conn, "Petugas Benchmark", [AREA])
        with LiveServer(create_app(Settings(db_url=url), server_keys)) as live:
            yield engine, officer, live.url
    finally:
        engine.dispose()


def _laptop(folder: Path, engine, officer: str, server: str, records: list[dict]) -> SyncClient:
    """An enrolled laptop store holding `records` (all final, so all in the outbox)."""
    store = Store.create(folder, PASSPHRASE, kdf=FAST_KDF)
    client = SyncClient(store)
    with engine.begin() as conn:
        code = repo.create_enroll_code(conn, officer).code
    client.enroll(server, code)
    with store.db.atomic():
        for rec in records:
            store.save(rec)
    assert store.status_counts()["pending_sync"] == len(records)
    return client


@contextmanager
def _pg_schema():
    """A fresh schema in the test database, dropped afterwards; None if PostgreSQL is down."""
    try:
        admin = create_engine(
            PG_BASE, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        admin.connect().close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        print(f"(PostgreSQL at 127.0.0.1:5432 not reachable: {type(exc).__name__}; skipped)")
        yield None
        return
    name = f"khbs_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    try:
        sep = "&" if "?" in PG_BASE else "?"
        yield f"{PG_BASE}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


# -- the OpenRosa baseline ------------------------------------------------------------------


def _xml_value(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # a yes/no select_one
    if isinstance(value, list):
        return " ".join(str(v) for v in value)  # select_multiple: space-separated choices
    return escape(str(value))


def _xml_fields(data: dict) -> str:
    """One element per answered question, a nested element per group, the repeat element
    once per member, as ODK Collect writes an instance."""
    out = []
    for name, value in data.items():
        if value is None or value == "" or name in ("id", "schema_version"):
            continue
        if isinstance(value, dict):
            out.append(f"<{name}>{_xml_fields(value)}</{name}>" if value else f"<{name}/>")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out += [f"<{name}>{_xml_fields(item)}</{name}>" for item in value]
        else:
            out.append(f"<{name}>{_xml_value(value)}</{name}>")
    return "".join(out)


def openrosa_submission(record: dict) -> bytes:
    """The HTTP request ODK Collect sends for one filled form: headers, multipart framing and
    the instance XML (no attachments). The HEAD request Collect sends first and the server's
    OpenRosaResponse reply are left out, so the baseline is on the small side."""
    xml = (
        "<?xml version='1.0' ?><data xmlns:jr=\"http://openrosa.org/javarosa\""
        ' xmlns:orx="http://openrosa.org/xforms" id="khbs_household" version="1">'
        + _xml_fields(record)
        + f"<meta><instanceID>uuid:{record['id']}</instanceID></meta></data>"
    ).encode()
    boundary = uuid.uuid4().hex + uuid.uuid4().hex[:4]
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file";'
        ' filename="submission.xml"\r\n'
        "Content-Type: text/xml; charset=utf-8\r\n\r\n"
    ).encode()
    body += xml + f"\r\n--{boundary}--\r\n".encode()
    headers = (
        "POST /submission?deviceID=collect%3AZK3xQm0aP1b2c3d4 HTTP/1.1\r\n"
        "X-OpenRosa-Version: 1.0\r\n"
        "Accept-Encoding: gzip,deflate\r\n"
        "Date: Sun, 29 Nov 2026 10:00:00 GMT+00:00\r\n"
        "User-Agent: org.odk.collect.android/v2024.3.1 okhttp/4.12.0\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Host: khbs.kalteng.go.id\r\n"
        "Connection: Keep-Alive\r\n\r\n"
    ).encode()
    return headers + body


# -- benchmarks -----------------------------------------------------------------------------


def bench_wire_and_link(report, work: Path, households: list[dict]) -> None:
    """Benchmarks 1 and 2 from one push of `households` through a 32 kbit/s, 600 ms RTT link:
    the proxy counts every byte both ways (HTTP headers and bodies) and the push is timed."""
    n = len(households)
    with _server(f"sqlite:///{work / 'link-server.db'}") as (engine, officer, url):
        client = _laptop(work / "link-laptop", engine, officer, url, households)
        port = int(url.rsplit(":", 1)[1])
        with FaultProxy(port, latency_s=LINK_LATENCY_S, bandwidth_bps=LINK_BPS) as proxy:
            print(
                f"  pushing {n} households through {LINK_BPS // 1000} kbit/s,"
                f" {2 * LINK_LATENCY_S * 1000:.0f} ms RTT ...",
                flush=True,
            )
            started = time.perf_counter()

            def progress(sent: int, total: int) -> None:
                print(
                    f"    {sent}/{total} sent after {time.perf_counter() - started:5.1f} s,"
                    f" {proxy.stats.bytes_up + proxy.stats.bytes_down} bytes on the wire",
                    flush=True,
                )

            result = client.push(proxy.url(), progress=progress)
            elapsed = time.perf_counter() - started
            stats = proxy.stats.snapshot()
        client.store.close()
    assert result.synced == n, f"only {result.synced} of {n} households synced"
    wire = stats["bytes_up"] + stats["bytes_down"]
    openrosa = sum(len(openrosa_submission(r)) for r in households)
    report(
        f"wire bytes per household ({n}, up+down)",
        wire / n,
        "B",
        openrosa / n,
        "ratio <= 0.15 (baseline: OpenRosa POST)",
    )
    print(
        f"  (ours: {stats['bytes_up']} B up, {stats['bytes_down']} B down in"
        f" {stats['connections']} connection(s); bodies {result.bytes_up} B up,"
        f" {result.bytes_down} B down; OpenRosa: {openrosa} B for {n} POSTs)"
    )
    payload_s = wire * 8 / LINK_BPS
    report(
        f"push {n} households, 32 kbit/s 600 ms RTT",
        elapsed,
        "s",
        payload_s,
        "ratio <= 1.3 (baseline: bytes / bandwidth)",
    )


def _plain_insert(url: str, households: list[dict]) -> float:
    """Seconds for one SQLAlchemy executemany of (id, JSON) rows into a new table there."""
    engine = create_engine(url)
    table = Table(
        "bench_plain",
        MetaData(),
        Column("id", String(36), primary_key=True),
        Column("record", Text, nullable=False),
    )
    try:
        table.create(engine)
        rows = [{"id": r["id"], "record": json.dumps(r, ensure_ascii=False)} for r in households]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(table), rows)
        elapsed = time.perf_counter() - started
        table.drop(engine)
    finally:
        engine.dispose()
    return elapsed


def _ingest(report, kind: str, url: str, work: Path, households: list[dict]) -> None:
    total = len(households)
    with _server(url) as (engine, officer, server):
        clients = [
            _laptop(
                work / f"{kind}-laptop-{i}",
                engine,
                officer,
                server,
                households[i * PER_DEVICE : (i + 1) * PER_DEVICE],
            )
            for i in range(DEVICES)
        ]
        results: list = [None] * DEVICES
        start = threading.Barrier(DEVICES + 1)

        def run(i: int) -> None:
            start.wait()
            try:
                results[i] = clients[i].push()
            except Exception as exc:  # noqa: BLE001 - reported below
                results[i] = exc

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(DEVICES)]
        for t in threads:
            t.start()
        start.wait()
        started = time.perf_counter()
        for t in threads:
            t.join(timeout=600)
        elapsed = time.perf_counter() - started
        for client in clients:
            client.store.close()
    failed = [r for r in results if not hasattr(r, "synced")]
    assert not failed, f"pushes failed: {failed}"
    synced = sum(r.synced for r in results)
    retries = sum(r.retries for r in results)
    assert synced == total, f"only {synced} of {total} households synced"
    baseline = _plain_insert(url, households)
    report(
        f"ingest, {DEVICES} devices at once, {kind}",
        total / elapsed,
        "hh/s",
        total / baseline,
        "none set (baseline: executemany (id, JSON))",
    )
    if retries:
        print(f"  ({retries} push retries on {kind})")


def bench_ingest(report, work: Path, households: list[dict]) -> None:
    _ingest(report, "sqlite", f"sqlite:///{work / 'ingest-server.db'}", work, households)
    with _pg_schema() as url:
        if url is not None:
            _ingest(report, "postgresql", url, work, households)


def run(report, work: Path) -> None:
    started = time.perf_counter()
    households = list(demo.generate(500 + DEVICES * PER_DEVICE, seed=44, areas=[AREA], today=TODAY))
    print(
        f"(sync: {len(households)} demo households in kecamatan {AREA},"
        f" {time.perf_counter() - started:.1f} s)"
    )
    bench_wire_and_link(report, work, households[:500])
    bench_ingest(report, work, households[500:])
