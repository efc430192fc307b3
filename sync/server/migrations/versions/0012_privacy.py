"""privacy (issue 18): the province's privacy settings (laptop retention days, its own retention
period), tombstones of erased households, and the families' rights requests (docs/privacy.md);
household_versions.device_id may be NULL: a revision the province made (a correction).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_settings",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_privacy_settings")),
    )
    op.create_table(
        "tombstones",
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=True),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kk_key_id", sa.String(length=32), nullable=True),
        sa.Column("kk_token", sa.LargeBinary(length=16), nullable=True),
        sa.CheckConstraint(
            "basis IN ('withdrawal', 'retention')", name=op.f("ck_tombstones_basis")
        ),
        sa.ForeignKeyConstraint(
            ["kk_key_id"], ["server_keys.key_id"], name=op.f("fk_tombstones_kk_key_id_server_keys")
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_tombstones")),
    )
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tombstones_kk_key_id_kk_token"), ["kk_key_id", "kk_token"]
        )
        batch_op.create_index(batch_op.f("ix_tombstones_kode_desa"), ["kode_desa"])
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('access', 'correction', 'withdrawal')", name=op.f("ck_rights_requests_kind")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'refused')", name=op.f("ck_rights_requests_status")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["server_keys.key_id"], name=op.f("fk_rights_requests_key_id_server_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
    )
    with op.batch_alter_table("rights_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rights_requests_household_id"), ["household_id"])
    with op.batch_alter_table("household_versions", schema=None) as batch_op:
        batch_op.alter_column("device_id", existing_type=sa.String(length=36), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM household_versions WHERE device_id IS NULL")
    with op.batch_alter_table("household_versions", schema=None) as batch_op:
        batch_op.alter_column("device_id", existing_type=sa.String(length=36), nullable=False)
    op.drop_table("rights_requests")
    op.drop_table("tombstones")
    op.drop_table("privacy_settings")
