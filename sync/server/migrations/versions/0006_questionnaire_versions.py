"""questionnaire versions (issue 13): the versions the province publishes, who has received
them, a `questionnaire` change event for every device, and the province signing key's kind.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEY_KINDS = ("province", "data", "blind_index")
EVENT_KINDS = ("status", "duplicate", "assignment")


def _in(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _check(table: str, kinds: tuple[str, ...]) -> None:
    """Replace the table's CHECK on kind (SQLite: the batch copy rebuilds the table with it)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_kind"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_kind"), _in(kinds))


def upgrade() -> None:
    op.create_table(
        "questionnaires",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["server_keys.key_id"],
                                name=op.f("fk_questionnaires_key_id_server_keys")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_questionnaires")),
    )
    op.create_table(
        "questionnaire_receipts",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_questionnaire_receipts_device_id_devices")),
        sa.ForeignKeyConstraint(["version"], ["questionnaires.version"],
                                name=op.f("fk_questionnaire_receipts_version_questionnaires")),
        sa.PrimaryKeyConstraint("version", "device_id", name=op.f("pk_questionnaire_receipts")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_kind_seq"), ["kind", "seq"], unique=False)
    _check("changes", EVENT_KINDS + ("questionnaire",))
    _check("server_keys", KEY_KINDS + ("signing",))


def downgrade() -> None:
    op.execute("DELETE FROM changes WHERE kind = 'questionnaire'")
    _check("changes", EVENT_KINDS)
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_changes_kind_seq"))
    op.drop_table("questionnaire_receipts")
    op.drop_table("questionnaires")
    _check("server_keys", KEY_KINDS)  # refused while a signing key exists: it signed versions
