"""Where the database is, how URLs are read, and the SQLite settings durability rests on."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from sync.server import BadDatabaseUrl
from sync.server.db import display, enroll_codes, open_database, parse_url
from sync.server.settings import Settings, default_data_dir


def test_db_url_from_flag_then_environment_then_data_folder():
    assert Settings.load("sqlite:///a.db", {"KHBS_DB": "sqlite:///b.db"}).db_url == "sqlite:///a.db"
    assert Settings.load(None, {"KHBS_DB": "sqlite:///b.db"}).db_url == "sqlite:///b.db"
    default = Settings.load(None, {"KHBS_DB": ""}).db_url
    assert default == f"sqlite:///{default_data_dir() / 'khbs-server.db'}"
    assert default_data_dir().name == "KHBS Server"


def test_urls():
    assert parse_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("sqlite:////srv/khbs.db").database == "/srv/khbs.db"
    for bad in ("mysql://u@h/db", "sqlite://", "sqlite:///:memory:", "not a url"):
        with pytest.raises(BadDatabaseUrl):
            parse_url(bad)
    assert display("postgresql+psycopg://u:secret@h/db") == "postgresql+psycopg://u:***@h/db"


def test_sqlite_settings(tmp_path):
    path = tmp_path / "new" / "server.db"
    engine = open_database(f"sqlite:///{path}", create=True)
    try:
        with engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == pragma("secure_delete") == 1
    finally:
        engine.dispose()
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_foreign_keys_are_enforced(engine):
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(enroll_codes).values(
                code_hash=bytes(32), officer_id="nobody", created_at=now, expires_at=now
            )
        )
