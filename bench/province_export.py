"""Province export benchmark (issue 5), beside baselines measured in the same run.

    export time     `khbs-server export` of every household (open, decode, two CSV files with
                    SHA-256, manifest) vs `COPY (SELECT the same rows) TO STDOUT` into a file
    peak memory     the export's peak RSS at N/10 households vs at N (flat: ratio ~1)
    ZIP download    the endpoint's stream (export_zip) into a file, for information

PostgreSQL only. Households are seeded straight into the tables with COPY (sealed with the
server's data key, as ingest would), not pushed through the API: pushing 300,000 would take
the whole run. Each is a demo household (app/demo.py) from a pool of templates with its own id,
KK and NIK numbers. Exports run in fresh child processes so their RSS is their own.

    python -m bench --only province_export [--households 300000]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app import demo
from sync.protocol import content_hash
from sync.server import keys, repo
from sync.server.db import open_database, utc_now

PASSPHRASE = "benchmark-passphrase"
TEMPLATES = 500
MEMBER_CAPS = (2, 3, 4, 4, 5, 3)  # trims demo households (4.5 members) to ~3.3: ~1M per 300k
COLUMNS_H = (
    "id",
    "officer_id",
    "kode_desa",
    "kode_kab",
    "revision",
    "content_hash",
    "status",
    "status_reason",
    "card_number",
    "conflict",
    "received_at",
    "updated_at",
    "status_at",
)
COLUMNS_V = (
    "household_id",
    "revision",
    "content_hash",
    "key_id",
    "content",
    "device_id",
    "received_at",
)
SAME_ROWS = (
    "SELECT h.id, h.officer_id, h.revision, h.status, h.status_reason, h.card_number,"
    " h.conflict, h.received_at, h.updated_at, h.status_at, v.content"
    " FROM households h JOIN household_versions v ON v.household_id = h.id"
    " AND v.revision = h.revision AND v.content_hash = h.content_hash ORDER BY h.id"
)


def _templates() -> list[dict]:
    out = []
    for i, record in enumerate(demo.generate(TEMPLATES, seed=5)):
        record["anggota"] = record["anggota"][: MEMBER_CAPS[i % len(MEMBER_CAPS)]]
        out.append(record)
    return out


def _varied(template: dict, n: int) -> dict:
    """The template as household n: its own id, and KK and NIK numbers ending in n."""
    tail = f"{n:06d}"[-6:]
    record = dict(template, id=str(uuid.uuid4()), no_kk=template["no_kk"][:10] + tail)
    record["anggota"] = [
        dict(m, nik=m["nik"][:9] + str(j) + tail) for j, m in enumerate(template["anggota"])
    ]
    return record


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _setup(url: str) -> tuple[keys.ServerKeys, str, str]:
    """An initialised server with one officer and one enrolled device: (keys, officer, device)."""
    from bench.sync import FAST_KDF

    engine = open_database(url, create=True)
    with engine.begin() as conn:
        server_keys = keys.create(conn, PASSPHRASE, kdf=FAST_KDF)
        officer = repo.add_officer(conn, "Petugas Benchmark", ["62"])
        code = repo.create_enroll_code(conn, officer).code
        public = (
            Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        device = repo.redeem_enroll_code(conn, code, public).id
    engine.dispose()
    return server_keys, officer, device


def seed(
    url: str,
    server_keys: keys.ServerKeys,
    officer: str,
    device: str,
    start: int,
    stop: int,
    templates: list[dict],
    chunk: int = 10_000,
) -> None:
    """Households start..stop-1, sealed and copied in, a chunk at a time; one transaction."""
    now = utc_now()
    with psycopg.connect(_pg_dsn(url)) as conn, conn.cursor() as cur:
        for first in range(start, stop, chunk):
            versions: list[tuple] = []
            with cur.copy(f"COPY households ({', '.join(COLUMNS_H)}) FROM STDIN") as copy:
                for n in range(first, min(stop, first + chunk)):
                    record = _varied(templates[n % len(templates)], n)
                    plaintext, digest = content_hash(record)
                    key_id, sealed = server_keys.seal_content(record["id"], 1, digest, plaintext)
                    desa = record["lokasi"]["kode_desa"]
                    status = ("received", "verified", "rejected")[n % 3]
                    copy.write_row(
                        (
                            record["id"],
                            officer,
                            desa,
                            desa[:5],
                            1,
                            digest,
                            status,
                            "document_missing" if status == "rejected" else None,
                            f"KHBS-{n:08d}" if status == "verified" else None,
                            False,
                            now,
                            now,
                            now,
                        )
                    )
                    versions.append((record["id"], 1, digest, key_id, sealed, device, now))
            with cur.copy(f"COPY household_versions ({', '.join(COLUMNS_V)}) FROM STDIN") as copy:
                for row in versions:
                    copy.write_row(row)
        cur.execute("ANALYZE households")
        cur.execute("ANALYZE household_versions")


def copy_baseline(url: str, out: Path) -> float:
    """COPY of the same rows (the sealed content as it is stored) into a file."""
    started = time.perf_counter()
    with psycopg.connect(_pg_dsn(url)) as conn, conn.cursor() as cur, open(out, "wb") as f:
        with cur.copy(f"COPY ({SAME_ROWS}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                f.write(block)
        f.flush()
        os.fsync(f.fileno())
    return time.perf_counter() - started


def _child(mode: str, url: str, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.province_export", mode, url, str(out)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "KHBS_SERVER_PASSPHRASE": PASSPHRASE},
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_main(mode: str, url: str, out: str) -> None:
    """In a fresh process: unlock, export (timed), print seconds, CPU seconds, counts and the
    peak RSS during the export."""
    from app.export.layout import Options
    from sync.server.export import Filters, export_to_dir
    from sync.server.export_zip import zip_export

    engine = open_database(url)
    with engine.connect() as conn:
        unlocked = keys.unlock(conn, os.environ["KHBS_SERVER_PASSPHRASE"])
    # The peak from here on is the export's own (Linux: "5" resets VmHWM to the current RSS).
    Path("/proc/self/clear_refs").write_text("5")
    cpu_before = _cpu()
    started = time.perf_counter()
    if mode in ("dir", "parallel"):
        workers = os.cpu_count() if mode == "parallel" else 1
        result = export_to_dir(
            engine,
            unlocked,
            Path(out),
            Options(),
            Filters(),
            actor="bench",
            workers=workers,
            parallel_from=0,
        )
        counts = {"households": result.households, "members": result.members}
    else:
        size = 0
        with open(out, "wb") as f:
            for piece in zip_export(
                engine, unlocked, Options(), Filters(), actor="bench", created_by="bench"
            ):
                f.write(piece)
                size += len(piece)
        counts = {"bytes": size}
    seconds = time.perf_counter() - started
    peak = next(
        line
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    rss_mb = int(peak.split()[1]) / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "cpu": _cpu() - cpu_before, **counts}))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the worker processes)."""
    import resource

    mine, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def run(report, work: Path, households: int = 300_000) -> None:
    from bench.sync import _pg_schema

    small = max(1, households // 10)
    with _pg_schema() as url:
        if url is None:
            return
        server_keys, officer, device = _setup(url)
        templates = _templates()
        t = time.perf_counter()
        seed(url, server_keys, officer, device, 0, small, templates)
        at_small = _child("dir", url, work / "export-small")
        seed(url, server_keys, officer, device, small, households, templates)
        print(
            f"  (seeded {households} households in {time.perf_counter() - t:.0f} s,"
            f" exports included)",
            flush=True,
        )
        copy_s = copy_baseline(url, work / "copy.csv")
        big = _child("dir", url, work / "export-big")
        par = _child("parallel", url, work / "export-parallel")
        copy_again = copy_baseline(url, work / "copy.csv")  # after too: warm cache both ways
        baseline = min(copy_s, copy_again)
        report(
            f"province export {par['households']} hh / {par['members']} members",
            par["seconds"],
            "s",
            baseline,
            f"<= 3x COPY TO of the same rows ({os.cpu_count()} worker processes,"
            f" {par['cpu']:.0f} CPU s)",
        )
        report(
            "  the same in one process",
            big["seconds"],
            "s",
            baseline,
            f"(info; {big['cpu']:.0f} CPU s)",
        )
        report(
            f"  peak RSS in export, {big['households']} hh (baseline: {at_small['households']})",
            big["rss_mb"],
            "MB",
            at_small["rss_mb"],
            "flat (ratio ~1)",
        )
        report(
            "  peak RSS, parallel (main process)",
            par["rss_mb"],
            "MB",
            at_small["rss_mb"],
            "flat (ratio ~1)",
        )
        zipped = _child("zip", url, work / "export.zip")
        report(
            "  ZIP download stream (info)",
            zipped["seconds"],
            "s",
            baseline,
            f"(info; {zipped['bytes'] / 1e6:.0f} MB, RSS {zipped['rss_mb']:.0f} MB)",
        )


if __name__ == "__main__":
    child_main(*sys.argv[1:4])
