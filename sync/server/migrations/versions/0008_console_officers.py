"""console officers: TOTP recovery codes of console users (sync/server/console/users.py,
docs/security.md "The console"). The officer pages themselves need no table of their own.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_recovery_codes",
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["console_users.id"],
            name=op.f("fk_console_recovery_codes_user_id_console_users"),
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_console_recovery_codes")),
    )
    with op.batch_alter_table("console_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_recovery_codes_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("console_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_recovery_codes_user_id"))
    op.drop_table("console_recovery_codes")
