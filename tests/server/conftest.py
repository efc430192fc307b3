"""Every storage test runs twice: on SQLite (a file in tmp_path) and on PostgreSQL (a fresh
schema per test in the `test` database at 127.0.0.1:5432, trust auth; KHBS_TEST_PG overrides
the URL). Without PostgreSQL its half is skipped, except in CI (CI=true), where it fails: a CI
run must not pass by skipping the province's production database."""

from __future__ import annotations

import os
import shutil
import uuid
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, make_url, select

from sync.server import keys, repo
from sync.server.api.app import create_app
from sync.server.db import display, metadata, open_database
from sync.server.settings import Settings
from tests.conftest import FAST_KDF, PASSPHRASE, in_ci

AREA = "62.71.03"  # kecamatan Jekan Raya: holds tests.records.DESA
PG_BASE = os.environ.get("KHBS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@cache
def _pg_problem() -> str | None:
    try:
        engine = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        try:
            engine.connect().close()
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


def require_postgresql() -> None:
    problem = _pg_problem()
    if problem is None:
        return
    message = f"PostgreSQL at {display(PG_BASE)} is not reachable ({problem})"
    if in_ci():
        pytest.fail(
            f"{message}; CI is set, so PostgreSQL tests fail instead of skipping", pytrace=False
        )
    pytest.skip(f"{message}; start it or set KHBS_TEST_PG (CI=true makes this a failure)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request) -> str:
    return request.param


@pytest.fixture
def new_url(db_kind, tmp_path):
    """Factory: the URL of a fresh, empty database of the test's kind; every call a new one.
    PostgreSQL schemas are dropped after the test."""
    kind = db_kind
    schemas: list[str] = []
    admin = None
    if kind == "postgresql":
        require_postgresql()
        admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")

    def make() -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'server-{uuid.uuid4().hex[:8]}.db'}"
        name = f"khbs_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        schemas.append(name)
        sep = "&" if "?" in PG_BASE else "?"
        return f"{PG_BASE}{sep}options=-csearch_path%3D{name}"

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in schemas:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


@pytest.fixture
def db_url(db_kind, new_url) -> str:
    return new_url()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database migrated once per test process. Running every migration costs about a
    second per test on a busy machine; `engine` starts each SQLite test from a copy, which
    open_database finds at the newest revision. The migrations themselves run from empty in
    test_migrations.py (on both databases) and in every PostgreSQL test."""
    path = tmp_path_factory.mktemp("template") / "server.db"
    open_database(f"sqlite:///{path}", create=True).dispose()
    assert not Path(f"{path}-wal").exists()  # everything is in the one file copied
    return path


@pytest.fixture
def engine(db_kind, db_url, sqlite_template):
    if db_kind == "sqlite":
        shutil.copyfile(sqlite_template, make_url(db_url).database)
    engine = open_database(db_url, create=True)
    yield engine
    engine.dispose()


@pytest.fixture
def initialised(engine):
    """An initialised server (cheap Argon2id): the unwrapped keys."""
    with engine.begin() as conn:
        return keys.create(conn, PASSPHRASE, kdf=FAST_KDF)


def stored_bytes(engine) -> bytes:
    """Everything the database holds, as bytes to search: every value of every row (raw bytes
    and text), and for SQLite also the database and WAL files themselves."""
    parts: list[bytes] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        parts += [bytes(value), bytes(value).hex().encode()]
                    elif value is not None:
                        parts.append(str(value).encode())
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        for f in (path, Path(f"{path}-wal")):
            if f.exists():
                parts.append(f.read_bytes())
    return b"\n".join(parts)


# -- a live API server (tests/server/test_api.py, test_faults.py, test_fuzz.py) ----------------

from tests.liveserver import LiveServer  # noqa: E402 - re-exported for the tests and bench


@pytest.fixture
def live(db_url, engine, initialised):
    with LiveServer(create_app(Settings(db_url=db_url), initialised)) as server:
        yield server


@pytest.fixture
def officer(engine) -> str:
    with engine.begin() as conn:
        return repo.add_officer(conn, "Sari Petugas", [AREA])


def new_code(engine, officer: str, **kw) -> str:
    with engine.begin() as conn:
        return repo.create_enroll_code(conn, officer, **kw).code


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
