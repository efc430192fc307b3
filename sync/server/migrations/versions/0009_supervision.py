"""supervision loop (issue 15): review rounds, duplicate cases and their decisions, issued cards,
and the `review` and `case` change events.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

EVENT_KINDS = ("status", "duplicate", "assignment", "questionnaire")


def _in(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _check(kinds: tuple[str, ...]) -> None:
    """Replace the CHECK on changes.kind (SQLite: the batch copy rebuilds the table with it)."""
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_changes_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_changes_kind"), _in(kinds))


def upgrade() -> None:
    op.create_table(
        "review_rounds",
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("round", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("comments", sa.Integer(), server_default="0", nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('verified', 'returned', 'rejected')",
            name=op.f("ck_review_rounds_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_review_rounds_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["server_keys.key_id"], name=op.f("fk_review_rounds_key_id_server_keys")
        ),
        sa.PrimaryKeyConstraint("household_id", "round", name=op.f("pk_review_rounds")),
    )
    op.create_index(
        op.f("ix_review_rounds_household_id_revision"),
        "review_rounds",
        ["household_id", "revision"],
        unique=False,
    )
    op.create_table(
        "duplicate_cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("household_a", sa.String(length=36), nullable=False),
        sa.Column("household_b", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('nik', 'kk')", name=op.f("ck_duplicate_cases_kind")),
        sa.CheckConstraint(
            "outcome IN ('open', 'keep_this', 'keep_other', 'not_duplicate')",
            name=op.f("ck_duplicate_cases_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["household_a"], ["households.id"], name=op.f("fk_duplicate_cases_household_a_households")
        ),
        sa.ForeignKeyConstraint(
            ["household_b"], ["households.id"], name=op.f("fk_duplicate_cases_household_b_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_cases")),
        sa.UniqueConstraint(
            "household_a", "household_b", "kind",
            name=op.f("uq_duplicate_cases_household_a_household_b_kind"),
        ),
    )
    op.create_index(
        op.f("ix_duplicate_cases_household_a"), "duplicate_cases", ["household_a"], unique=False
    )
    op.create_index(
        op.f("ix_duplicate_cases_household_b"), "duplicate_cases", ["household_b"], unique=False
    )
    op.create_table(
        "case_decisions",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["duplicate_cases.id"], name=op.f("fk_case_decisions_case_id_duplicate_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", "n", name=op.f("pk_case_decisions")),
    )
    op.create_table(
        "cards",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_cards_household_id_households")
        ),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_cards")),
    )
    op.create_index(op.f("ix_cards_household_id"), "cards", ["household_id"], unique=False)
    _check(EVENT_KINDS + ("review", "case"))


def downgrade() -> None:
    op.execute("DELETE FROM changes WHERE kind IN ('review', 'case')")
    _check(EVENT_KINDS)
    op.drop_index(op.f("ix_cards_household_id"), table_name="cards")
    op.drop_table("cards")
    op.drop_table("case_decisions")
    op.drop_index(op.f("ix_duplicate_cases_household_b"), table_name="duplicate_cases")
    op.drop_index(op.f("ix_duplicate_cases_household_a"), table_name="duplicate_cases")
    op.drop_table("duplicate_cases")
    op.drop_index(op.f("ix_review_rounds_household_id_revision"), table_name="review_rounds")
    op.drop_table("review_rounds")
