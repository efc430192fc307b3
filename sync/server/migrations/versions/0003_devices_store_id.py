"""devices: the store id a laptop registered at enrollment (escrow bound to its owner,
docs/security.md). Devices enrolled before keep NULL: legacy devices, bound on first claim.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("store_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_devices_store_id"), ["store_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_store_id"))
        batch_op.drop_column("store_id")
