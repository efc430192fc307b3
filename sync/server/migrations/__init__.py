"""The server schema's migrations, with Alembic: revisions in versions/, one file each.

`migrate` brings a database to the newest revision. It is configured in code from the engine
(no alembic.ini at run time) and runs everything in one transaction that holds a lock, so
several processes starting at once on one database take turns and the later ones find nothing
to do: a PostgreSQL advisory lock; on SQLite the transaction begins IMMEDIATE. SQLite changes a
table by copying it ("batch" operations), which needs foreign keys off: they are checked with
PRAGMA foreign_key_check before the commit instead.

Databases made before Alembic recorded their version in a `schema_migrations` table (versions
1-3). Revision 0001 is exactly that schema, so such a database is stamped 0001 and upgraded
from there; 0002 then adds version 100 to `schema_migrations`, which releases before Alembic
refuse as too new instead of using a schema they do not know.

Adding a revision: docs/architecture.md, "Changing the server schema".
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from sync.server import DatabaseNotUpgradable, DatabaseTooNew, NotInitialised
from sync.server.db import UtcDateTime, advisory_lock, display

HERE = Path(__file__).resolve().parent
LOCK = "khbs/migrate"
LEGACY_TABLE = "schema_migrations"  # the version record before Alembic
LEGACY_VERSIONS = {1, 2, 3}  # what the last release before Alembic wrote there
LEGACY_REVISION = "0001"  # the revision whose schema equals those three versions


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    return _head(scripts())


def _head(script: ScriptDirectory) -> str:
    found = script.get_current_head()
    if found is None:  # versions/ holds no revision: a broken install, not a database problem
        raise RuntimeError("no Alembic revision in sync/server/migrations/versions")
    return found


def current(conn: Connection) -> str | None:
    """The revision the database is at; None without one."""
    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, *, create: bool = True) -> str:
    """Bring the database to the newest revision, in one transaction; returns it. Without
    `create`, a database without the schema is NotInitialised."""
    script = scripts()
    with engine.connect() as conn, _sqlite_foreign_keys_off(conn), conn.begin():
        advisory_lock(conn, LOCK)
        _adopt(conn, script, create=create, db=display(engine.url))
        command.upgrade(config(conn), "head")
        _check_foreign_keys(conn)
    return _head(script)


def _adopt(conn: Connection, script: ScriptDirectory, *, create: bool, db: str) -> None:
    """Check where the database stands before upgrading: new, made before Alembic (stamped
    LEGACY_REVISION), or at a revision this code knows."""
    context = MigrationContext.configure(conn)
    tables = set(inspect(conn).get_table_names())
    if context.version_table in tables:
        known = {s.revision for s in script.walk_revisions()}
        for revision in context.get_current_heads():
            if revision not in known:
                raise DatabaseTooNew(version=revision, supported=script.get_current_head())
    elif LEGACY_TABLE in tables:
        versions = set(conn.scalars(text(f"SELECT version FROM {LEGACY_TABLE}")))
        if versions != LEGACY_VERSIONS:
            raise DatabaseNotUpgradable(db=db, version=max(versions, default=0))
        context.stamp(script, LEGACY_REVISION)
    elif not create:
        raise NotInitialised(db=db)


@contextmanager
def _sqlite_foreign_keys_off(conn: Connection):
    """SQLite: foreign keys off for the migration's transaction (a batch operation drops and
    renames tables other tables point at); the pragma only works outside a transaction."""
    if conn.dialect.name != "sqlite":
        yield
        return
    sqlite = conn.connection.driver_connection
    assert sqlite is not None  # the connection is open: its sqlite3 connection is there
    sqlite.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        sqlite.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
        if broken is not None:
            raise RuntimeError(f"a migration broke a foreign key of table {broken[0]}")


def render_item(type_: str, obj, autogen_context):
    """Autogenerate writes the server's own column type as the plain SQLAlchemy type it stands
    for, so revision files never import the live code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False
