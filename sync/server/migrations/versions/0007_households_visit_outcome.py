"""households: the visit outcome of the current version (a code, not personal data), filled at
ingest for `khbs-server stats` (docs/security.md, what stays plaintext). Households received
before keep NULL: counted as "unknown" until their next version arrives.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_outcome", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_column("visit_outcome")
