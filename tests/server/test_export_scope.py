"""The province export within a Scope (sync/server/export.py, export_zip.py), on SQLite and
PostgreSQL: a regency user's export holds only that regency's households, in the folder and
the ZIP, in one process and in worker processes; the scope is a condition of the export's
query (its count agrees), and the CLI's --regency is such a scope."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert

from app import questionnaire as q
from app.export.layout import Options
from sync.server import audit, repo
from sync.server.db import household_versions, households, read_snapshot, utc_now
from sync.server.export import count, export_to_dir, parse_filters
from sync.server.export_zip import zip_export
from sync.server.ingest import content_hash
from sync.server.scope import Scope
from tests.records import household, numbered

PALANGKA_DESA, KOBAR_DESA = "62.71.03.1001", "62.01.01.1011"


def in_desa(n: int, desa: str) -> dict:
    return numbered(n, lokasi={**household()["lokasi"], "kode_desa": desa})


def seed(engine, keys, officer: str, records: list[dict]) -> None:
    """Households as ingest stores them: the row, and its content sealed with the data key."""
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    now = utc_now()
    with engine.begin() as conn:
        device = repo.redeem_enroll_code(conn, repo.create_enroll_code(conn, officer).code, key)
        for record in records:
            plaintext, digest = content_hash(q.canonical(record))
            key_id, sealed = keys.seal_content(record["id"], 1, digest, plaintext)
            desa = record["lokasi"]["kode_desa"]
            conn.execute(
                insert(households).values(
                    id=record["id"],
                    officer_id=officer,
                    kode_desa=desa,
                    kode_kab=desa[:5],
                    revision=1,
                    content_hash=digest,
                    received_at=now,
                    updated_at=now,
                    status_at=now,
                )
            )
            conn.execute(
                insert(household_versions).values(
                    household_id=record["id"],
                    revision=1,
                    content_hash=digest,
                    key_id=key_id,
                    content=sealed,
                    device_id=device.id,
                    received_at=now,
                )
            )


@pytest.fixture
def two_regencies(engine, initialised) -> dict[str, set[str]]:
    palangka = [in_desa(1, PALANGKA_DESA), in_desa(2, "62.71.03.1002")]
    kobar = [in_desa(3, KOBAR_DESA), in_desa(4, KOBAR_DESA)]
    with engine.begin() as conn:
        ani = repo.add_officer(conn, "Ani", ["62.71.03"])
        budi = repo.add_officer(conn, "Budi", ["62.01.01"])
    seed(engine, initialised, ani, palangka)
    seed(engine, initialised, budi, kobar)
    return {"62.71": {r["id"] for r in palangka}, "62.01": {r["id"] for r in kobar}}


def ids_in(text: str) -> set[str]:
    return {row["household_id"] for row in csv.DictReader(io.StringIO(text))}


def folder_ids(engine, keys, out, filters, **kw) -> set[str]:
    export_to_dir(engine, keys, out, Options(), filters, actor="user:7", **kw)
    return ids_in((out / "households.csv").read_text("utf-8"))


def test_a_regency_users_export_holds_only_its_regency(
    engine, initialised, two_regencies, tmp_path
):
    keys = initialised
    palangka = Scope.of("regency", ["62.71"])
    kobar = Scope.of("regency", ["62.01"])
    assert (
        folder_ids(engine, keys, tmp_path / "a", parse_filters(scope=palangka))
        == (two_regencies["62.71"])
    )
    assert (
        folder_ids(engine, keys, tmp_path / "b", parse_filters(scope=kobar))
        == (two_regencies["62.01"])
    )
    # Formatted in worker processes: the same rows.
    assert (
        folder_ids(
            engine, keys, tmp_path / "c", parse_filters(scope=palangka), workers=2, parallel_from=1
        )
        == two_regencies["62.71"]
    )
    # The scope is part of the query: the database counts only the scope's households.
    with read_snapshot(engine) as conn:
        assert count(conn, parse_filters(scope=palangka)) == 2
        assert count(conn, parse_filters()) == 4
    # The ZIP download, same scope.
    stream = zip_export(
        engine, keys, Options(), parse_filters(scope=kobar), actor="user:8", created_by="Budi"
    )
    with zipfile.ZipFile(io.BytesIO(b"".join(stream))) as archive:
        assert ids_in(archive.read("households.csv").decode("utf-8")) == two_regencies["62.01"]
        members = archive.read("members.csv").decode("utf-8")
        manifest = json.loads(archive.read("manifest.json"))
    assert {r["household_id"] for r in csv.DictReader(io.StringIO(members))} == (
        two_regencies["62.01"]
    )
    assert manifest["filters"] == {"scope": ["62.01"]}


def test_filters_narrow_the_scope_and_never_widen_it(engine, initialised, two_regencies, tmp_path):
    keys = initialised
    palangka = Scope.of("regency", ["62.71"])
    # Another regency asked for within one's own: nothing, not that regency.
    assert (
        folder_ids(engine, keys, tmp_path / "a", parse_filters(regency="62.01", scope=palangka))
        == set()
    )
    assert (
        folder_ids(engine, keys, tmp_path / "b", parse_filters(regency="6271", scope=palangka))
        == two_regencies["62.71"]
    )
    # A supervisor of one desa.
    desa = Scope.of("supervisor", [PALANGKA_DESA])
    assert folder_ids(engine, keys, tmp_path / "c", parse_filters(regency="62.71", scope=desa)) == {
        in_desa(1, "")["id"]
    }
    # The province (the CLI, the admin download): --regency picks one regency as before.
    assert (
        folder_ids(engine, keys, tmp_path / "d", parse_filters(regency="62.01"))
        == (two_regencies["62.01"])
    )
    assert folder_ids(engine, keys, tmp_path / "e", parse_filters()) == (
        two_regencies["62.71"] | two_regencies["62.01"]
    )
    # Each export is audited with what it covered.
    with engine.connect() as conn:
        logged = [
            e.detail["filters"] for e in audit.entries(conn, Scope.province(), action="export")
        ][::-1]
    assert logged == [
        {"regency": "62.01", "scope": []},
        {"regency": "62.71"},
        {"regency": "62.71", "scope": ["62.71.03.1001"]},
        {"regency": "62.01"},
        {},
    ]
