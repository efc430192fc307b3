"""Alembic keeps the schema's version from here on (table alembic_version). Version 100 in the
old mechanism's schema_migrations makes releases before Alembic refuse this database as made by
a newer server (DatabaseTooNew) instead of running on a schema they do not know; 100, not 4, so
that a build with a fourth old-style migration refuses it too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TAKEN_OVER = 100

schema_migrations = sa.table(
    "schema_migrations",
    sa.column("version", sa.Integer()),
    sa.column("name", sa.String(100)),
    sa.column("applied_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.bulk_insert(schema_migrations, [
        {"version": TAKEN_OVER, "name": "alembic", "applied_at": datetime.now(timezone.utc)},
    ])


def downgrade() -> None:
    op.execute(schema_migrations.delete().where(schema_migrations.c.version == TAKEN_OVER))
