"""rate_buckets: the API's rate limits in the database, so several worker processes and
machines enforce one limit (issue 17; nonces and console sessions were already shared).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_rate_buckets")),
    )
    op.create_index(op.f("ix_rate_buckets_full_at"), "rate_buckets", ["full_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_buckets_full_at"), table_name="rate_buckets")
    op.drop_table("rate_buckets")
