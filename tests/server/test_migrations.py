"""Migrations: recorded in schema_migrations, idempotent, safe with several processes at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, insert, select

from sync.server import DatabaseTooNew, NotInitialised
from sync.server.db import (
    MIGRATIONS,
    counters,
    make_engine,
    metadata,
    migrate,
    open_database,
    schema_migrations,
    utc_now,
)


def applied(engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(schema_migrations.c.version, schema_migrations.c.name).order_by("version"))]


def test_migrating_twice_changes_nothing(engine):
    first = applied(engine)
    assert first == [(i, fn.__name__) for i, fn in enumerate(MIGRATIONS, start=1)]
    assert migrate(engine) == len(MIGRATIONS)
    assert applied(engine) == first
    with engine.connect() as conn:
        assert conn.execute(select(counters.c.name, counters.c.value)).all() == [("changes", 0)]


def test_migrated_schema_is_the_declared_one(engine):
    """Guards m001 creating tables from the live declarations: a table changed without freezing
    its version-1 shape in m001 shows up here (and a fresh database fails its migration)."""
    found = inspect(engine)
    assert set(found.get_table_names()) == set(metadata.tables)
    for name, table in metadata.tables.items():
        assert [c["name"] for c in found.get_columns(name)] == [c.name for c in table.columns], name


def test_a_newer_database_is_refused(engine):
    with engine.begin() as conn:
        conn.execute(
            insert(schema_migrations).values(version=99, name="m099", applied_at=utc_now())
        )
    with pytest.raises(DatabaseTooNew) as too_new:
        migrate(engine)
    assert too_new.value.params == {"version": 99, "supported": len(MIGRATIONS)}


def test_without_create_an_empty_database_is_not_initialised(new_url, db_kind):
    url = new_url()
    with pytest.raises(NotInitialised):
        open_database(url, create=False)
    if db_kind == "sqlite":
        assert not Path(url.removeprefix("sqlite:///")).exists()
    else:
        engine = make_engine(url)
        assert inspect(engine).get_table_names() == []
        engine.dispose()


def test_concurrent_migrators_do_not_collide(new_url):
    """Several processes starting at once on one new database: one migrates, the others wait
    for its lock and find nothing to do."""
    for _ in range(3):
        url = new_url()
        engines = [make_engine(url, create=True) for _ in range(4)]
        barrier = threading.Barrier(len(engines))
        results: list[object] = []

        def run(engine):
            barrier.wait()
            try:
                results.append(migrate(engine))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                results.append(exc)

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results == [len(MIGRATIONS)] * len(engines)
        assert [v for v, _ in applied(engines[0])] == list(range(1, len(MIGRATIONS) + 1))
        for e in engines:
            e.dispose()


def test_m004_registers_store_ids_on_a_database_made_before(engine, officer):
    """A database made before m004: its devices table has no store_id. Simulated by dropping
    the column from a fresh one and forgetting m004; migrating adds it back, with its index,
    and the devices already enrolled become legacy devices (NULL)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import delete

    from sync.server import repo
    from sync.server.db import devices
    from tests.server.conftest import new_code

    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    code = new_code(engine, officer)
    with engine.begin() as conn:
        device = repo.redeem_enroll_code(conn, code, key)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_devices_store_id")
        conn.exec_driver_sql("ALTER TABLE devices DROP COLUMN store_id")
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version == 4))
    assert "store_id" not in {c["name"] for c in inspect(engine).get_columns("devices")}

    assert migrate(engine) == len(MIGRATIONS)
    found = inspect(engine)
    assert [c["name"] for c in found.get_columns("devices")] == [c.name for c in devices.columns]
    assert "ix_devices_store_id" in {i["name"] for i in found.get_indexes("devices")}
    assert (4, "m004_device_store_id") in applied(engine)
    with engine.connect() as conn:
        assert repo.get_device(conn, device.id).store_id is None
