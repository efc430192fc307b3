"""ingest throughput (issue 17): household_versions.content stored out of line without
compression on PostgreSQL (STORAGE EXTERNAL). The content is AES-GCM ciphertext of about 3 KB,
incompressible: with the default (EXTENDED) PostgreSQL tries pglz on every version before
giving up and moving it to TOAST anyway. Measured: 0.050-0.068 to 0.035-0.042 ms of the
server's CPU a row (4,000 rows of 3,000 random bytes, COPY in batches of 50). Existing rows
are left as they are (the setting applies to rows written from now on). SQLite: nothing.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE household_versions ALTER COLUMN content SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE household_versions ALTER COLUMN content SET STORAGE EXTENDED")
