"""Console benchmark (issue 14), beside baselines measured in the same run.

    dashboard      GET /console for a province user (the whole of Kalteng: counts by regency,
                   officers with their last upload and week, households per day, from the
                   progress counts of sync/server/counts.py), server time:
                   the real application in this process (FastAPI TestClient, a logged-in
                   session), median of 7 - beside the plain `GROUP BY kode_desa` over households
                   that its table summarises
    NIK search     POST /console/households/search with a member's NIK (blind-index tokens, the
                   scope, opening the rows found, the audit entry), median over 30 NIKs - beside
                   the plain blind-index lookup of the same token

PostgreSQL only. Households are copied in (sealed with the server's data key, with their
blind-index tokens, as ingest would store them; bench/province_export.py's templates, about 3.1
members each), spread evenly over Kalteng's 1,571 desa, one officer (and laptop) per group of
three desa, received over the last 30 days, with a DTSEN list row per household and an open
duplicate for one household in a hundred (the triggers count them; the counts are folded as the
first page view would); then VACUUM (ANALYZE), as autovacuum would. Measured
at each size on the way up (default 30,000, 100,000 and 300,000), so the figures show how the
pages scale.

    python -m bench --only console [--console-sizes 30000,100000,300000]
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import timedelta

import psycopg
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from app import questionnaire as q
from app import regions
from bench.province_export import COLUMNS_H, COLUMNS_V, _pg_dsn, _templates, _varied
from sync.protocol import content_hash
from sync.server import counts, keys, repo
from sync.server.db import duplicates, open_database, utc_now

PASSPHRASE = "benchmark-passphrase"
PASSWORD = "benchmark sungai kahayan"
DESA_PER_OFFICER = 3
RUNS = 7
SEARCHES = 30
GROUP_BY = (
    "SELECT kode_desa, count(*),"
    " sum(CASE WHEN status = 'verified' THEN 1 ELSE 0 END),"
    " sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END),"
    " sum(CASE WHEN card_number IS NOT NULL THEN 1 ELSE 0 END),"
    " sum(CASE WHEN conflict THEN 1 ELSE 0 END)"
    " FROM households GROUP BY kode_desa"
)
# What the dashboard counted live before revision 0016 (now it reads duplicate_counts, timed
# beside it): households with an open duplicate warning, by regency, for the whole province.
OPEN_DUPLICATES = (
    "SELECT substr(h.kode_desa, 1, 5), count(DISTINCT d.household_id)"
    " FROM duplicates d JOIN households h ON h.id = d.household_id"
    " WHERE d.cleared_at IS NULL GROUP BY 1"
)
LOOKUP = "SELECT household_id FROM blind_index WHERE key_id = %s AND token = ANY(%s)"


def _setup(url: str) -> tuple[keys.ServerKeys, dict[str, tuple[str, str]]]:
    """An initialised server: keys, and per desa (officer id, device id)."""
    from bench.sync import FAST_KDF

    engine = open_database(url, create=True)
    desa = regions.desa_in()
    by_desa: dict[str, tuple[str, str]] = {}
    with engine.begin() as conn:
        server_keys = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
        for i in range(0, len(desa), DESA_PER_OFFICER):
            group = desa[i : i + DESA_PER_OFFICER]
            officer = repo.add_officer(conn, f"Petugas {i // DESA_PER_OFFICER + 1:04d}", group)
            code = repo.create_enroll_code(conn, officer).code
            public = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
            device = repo.redeem_enroll_code(conn, code, public).id
            by_desa |= {d: (officer, device) for d in group}
    engine.dispose()
    return server_keys, by_desa


def seed(
    url: str,
    server_keys: keys.ServerKeys,
    by_desa: dict[str, tuple[str, str]],
    start: int,
    stop: int,
    templates: list[dict],
    niks: list[str],
    chunk: int = 10_000,
) -> None:
    """Households start..stop-1 with their versions, blind-index tokens, a DTSEN list row, and
    a duplicate warning for one in a hundred."""
    now = utc_now()
    desa = sorted(by_desa)
    data_key = server_keys.active["data"]
    with psycopg.connect(_pg_dsn(url)) as conn, conn.cursor() as cur:
        for first in range(start, stop, chunk):
            versions, tokens, listed, dupes = [], [], [], []
            with cur.copy(f"COPY households ({', '.join(COLUMNS_H)}) FROM STDIN") as copy:
                for n in range(first, min(stop, first + chunk)):
                    record = _varied(templates[n % len(templates)], n)
                    code = desa[(n * 7919) % len(desa)]
                    record["lokasi"] = dict(record["lokasi"], kode_desa=code)
                    officer, device = by_desa[code]
                    plaintext, digest = content_hash(record)
                    key_id, sealed = server_keys.seal_content(record["id"], 1, digest, plaintext)
                    status = ("received", "verified", "rejected")[n % 3]
                    at = now - timedelta(days=n % 30, minutes=n % 600)
                    copy.write_row(
                        (
                            record["id"],
                            officer,
                            code,
                            code[:5],
                            1,
                            digest,
                            status,
                            "document_missing" if status == "rejected" else None,
                            f"KHBS-{n:08d}" if status == "verified" else None,
                            n % 500 == 0,
                            at,
                            at,
                            at,
                        )
                    )
                    versions.append((record["id"], 1, digest, key_id, sealed, device, at))
                    for kind, value in q.identifiers(record):
                        index_key, token = server_keys.blind_token(kind, value)
                        tokens.append((index_key, token, record["id"], kind))
                    if n % 997 == 0:
                        niks.append(record["anggota"][0]["nik"])
                    listed.append(
                        (str(uuid.uuid4()), index_key, os.urandom(16), code, code[:5], officer)
                        + (1, os.urandom(32), data_key, os.urandom(300), os.urandom(32), at, at)
                    )
                    if n % 100 == 1:
                        dupes.append((record["id"], versions[-2][0] if len(versions) > 1 else None))
            with cur.copy(f"COPY household_versions ({', '.join(COLUMNS_V)}) FROM STDIN") as copy:
                for row in versions:
                    copy.write_row(row)
            with cur.copy("COPY blind_index (key_id, token, household_id, kind) FROM STDIN") as c:
                for row in tokens:
                    c.write_row(row)
            with cur.copy(
                "COPY candidates (id, kk_key_id, kk_token, kode_desa, kode_kab, officer_id,"
                " revision, content_hash, key_id, content, dtsen_hash, imported_at, updated_at)"
                " FROM STDIN"
            ) as copy:
                for row in listed:
                    copy.write_row(row)
            with cur.copy(
                "COPY duplicates (household_id, other_household_id, kind, matches, found_at)"
                " FROM STDIN"
            ) as copy:
                for mine, other in dupes:
                    if other is not None:
                        copy.write_row((mine, other, "nik", 1, now))
    # The progress counts the COPYs' triggers wrote, folded as the first page view would
    # (counts.py); then what autovacuum does soon after a load: statistics, and the visibility
    # map that lets a count by desa read only the index.
    engine = open_database(url)
    with engine.begin() as conn:
        counts.fold(conn)
    engine.dispose()
    with psycopg.connect(_pg_dsn(url), autocommit=True) as conn:
        for table in ("households", "household_versions", "blind_index", "candidates"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        for table in counts.TABLES + (duplicates,):
            conn.execute(f"VACUUM (ANALYZE) {table.name}")


class _Console:
    """The real application served on 127.0.0.1 (uvicorn in a thread, tests/liveserver.py),
    and a browser (requests) logged in as a province user."""

    def __init__(self, url: str, server_keys: keys.ServerKeys):
        from sync.server.api.app import create_app
        from sync.server.settings import Settings
        from tests.liveserver import LiveServer

        self.app = create_app(Settings(db_url=url), server_keys)
        self.engine = self.app.state.engine
        self.live = LiveServer(self.app).__enter__()
        self.http = requests.Session()
        name = f"Bench Provinsi {uuid.uuid4().hex[:6]}"
        from sync.server.console import users

        with self.engine.begin() as conn:
            _, code = users.add_user(conn, name, "province", [], now=utc_now(), actor="bench")
            users.set_up(conn, code.code, PASSWORD, PASSWORD, now=utc_now())
        token = _hidden(self.get("/console/login").text, "form_token")
        moved = self.post(
            "/console/login", {"name": name, "password": PASSWORD, "form_token": token}
        )
        assert moved.status_code == 303, moved.text[:300]
        self.csrf = _hidden(self.get("/console/account").text, "csrf")

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.live.url + path, allow_redirects=False, timeout=120)

    def post(self, path: str, data: dict) -> requests.Response:
        return self.http.post(self.live.url + path, data=data, allow_redirects=False, timeout=120)

    def close(self) -> None:
        self.live.__exit__(None, None, None)
        self.engine.dispose()


def _hidden(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="', 1)[1].split('"', 1)[0]


def _median_ms(call, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(report, url: str, server_keys: keys.ServerKeys, size: int, niks: list[str]) -> None:
    client = _Console(url, server_keys)
    engine = client.engine

    def dashboard() -> None:
        reply = client.get("/console")
        assert reply.status_code == 200 and "total-received" in reply.text

    def group_by() -> None:
        with engine.connect() as conn:
            conn.execute(text(GROUP_BY)).all()

    dashboard()  # warm: templates compiled, caches filled, both ways
    group_by()
    page_ms = _median_ms(dashboard)
    base_ms = _median_ms(group_by)
    report(f"console dashboard, province, {size} hh", page_ms, "ms", base_ms, "<= 300 ms")
    regency_ms = _median_ms(lambda: client.get("/console?area=62.03"))
    report("  one regency (62.03), info", regency_ms, "ms", base_ms, "(info)")

    def officers_page() -> None:
        reply = client.get("/console/officers")
        assert reply.status_code == 200 and "officers-table" in reply.text

    with engine.connect() as conn:
        officer_id = conn.execute(text("SELECT min(id) FROM officers")).scalar_one()

    def officer_page() -> None:
        reply = client.get(f"/console/officers/{officer_id}")
        assert reply.status_code == 200, reply.status_code

    officers_page()
    officer_page()
    report(
        f"console officers list, province, {size} hh",
        _median_ms(officers_page),
        "ms",
        base_ms,
        "(info)",
    )
    report("  one officer's page, info", _median_ms(officer_page), "ms", base_ms, "(info)")

    def open_duplicates() -> None:
        with engine.connect() as conn:
            conn.execute(text(OPEN_DUPLICATES)).all()

    open_duplicates()
    report(
        "  open duplicates by regency (live join), info",
        _median_ms(open_duplicates),
        "ms",
        base_ms,
        "(info)",
    )
    if "duplicate_counts" in counts.DERIVED:  # revision 0016: what the dashboard reads now

        def open_duplicate_counts() -> None:
            with engine.begin() as conn:
                counts.fold(conn)
                counts.open_duplicates(conn, text("true"), 5)

        open_duplicate_counts()
        report(
            "  open duplicates by regency (counts), info",
            _median_ms(open_duplicate_counts),
            "ms",
            base_ms,
            "(info)",
        )

    search_times, lookup_times = [], []
    sample = niks[:: max(1, len(niks) // SEARCHES)][:SEARCHES]  # spread over all seeded so far
    with psycopg.connect(_pg_dsn(url)) as raw, raw.cursor() as cur:
        for nik in sample:
            t = time.perf_counter()
            reply = client.post("/console/households/search", {"number": nik, "csrf": client.csrf})
            search_times.append((time.perf_counter() - t) * 1000)
            assert reply.status_code == 200 and "Hasil pencarian: 1" in reply.text, nik
            index_key, token = server_keys.blind_token("nik", nik)
            kk_key, kk_token = server_keys.blind_token("kk", nik)
            t = time.perf_counter()
            cur.execute(LOOKUP, (index_key, [token, kk_token]))
            cur.fetchall()
            lookup_times.append((time.perf_counter() - t) * 1000)
    report(
        f"console NIK search, {size} hh (median of {len(sample)})",
        statistics.median(search_times),
        "ms",
        statistics.median(lookup_times),
        "<= 50 ms",
    )
    client.close()


def run(report, sizes: tuple[int, ...] = (30_000, 100_000, 300_000)) -> None:
    from bench.sync import _pg_schema

    with _pg_schema() as url:
        if url is None:
            return
        server_keys, by_desa = _setup(url)
        templates = _templates()
        niks: list[str] = []
        done = 0
        for size in sizes:
            t = time.perf_counter()
            seed(url, server_keys, by_desa, done, size, templates, niks)
            print(
                f"  (seeded {size - done} households in {time.perf_counter() - t:.0f} s;"
                f" {size} in all, {len(by_desa) // DESA_PER_OFFICER} officers)",
                flush=True,
            )
            done = size
            measure(report, url, server_keys, size, niks)
