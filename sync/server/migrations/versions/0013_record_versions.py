"""record versions (issue 13): a questionnaire receipt remembers the change event it was sent
as, so a device counts as having received a version once its pull cursor is past that event
(it applied the page), not merely when a reply carried it.

Revision ID: 0013
Revises: 0012
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    published: dict[int, int] = {}
    for seq, detail in conn.execute(
        sa.text("SELECT seq, detail FROM changes WHERE kind = 'questionnaire'")
    ):
        version = json.loads(detail or "{}").get("version")
        if isinstance(version, int):
            published.setdefault(version, seq)
    for version, seq in published.items():
        conn.execute(
            sa.text("UPDATE questionnaire_receipts SET seq = :seq WHERE version = :version"),
            {"seq": seq, "version": version},
        )


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_receipts", schema=None) as batch_op:
        batch_op.drop_column("seq")
