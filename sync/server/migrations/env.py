"""Alembic's environment for the server schema. sync.server.migrations runs it, always on a
connection it passes in (config.attributes["connection"]); to upgrade, inside the transaction
that holds the migration lock. There is no alembic.ini and no offline (--sql) mode."""

from alembic import context

from sync.server.db import metadata
from sync.server.migrations import LEGACY_TABLE, render_item

if context.is_offline_mode():
    raise RuntimeError("the server schema migrates on a live connection only")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    # The old mechanism's table stays as a marker for releases before Alembic (revision 0002);
    # the code does not use it, so the table objects in db.py leave it out.
    return not (type_ == "table" and name == LEGACY_TABLE)


context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    render_as_batch=True,  # SQLite changes a table by copying it (ALTER can do little there)
    include_object=include_object,
    render_item=render_item,
    compare_type=True,
    compare_server_default=True,
)
with context.begin_transaction():
    context.run_migrations()
