"""The server schema as it was before Alembic: the old mechanism's versions 1-3 (initial tables;
admins and audit log; DTSEN candidates, handovers and device box keys) in one revision, written
out so it never changes with the table objects in sync/server/db.py. A database made before
Alembic is exactly this and is stamped 0001 (sync/server/migrations/__init__.py).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(36)
AREA = sa.String(13)
KEY_ID = sa.String(32)


def at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # How releases before Alembic recorded their version; kept (with those rows) so that they
    # refuse a database that has moved on (0002).
    schema_migrations = op.create_table(
        "schema_migrations",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        at("applied_at"),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_schema_migrations")),
    )
    op.create_table(
        "server_keys",
        sa.Column("key_id", KEY_ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("kdf", sa.String(200), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        at("created_at"),
        at("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_server_keys")),
        sa.CheckConstraint("kind IN ('province', 'data', 'blind_index')",
                           name=op.f("ck_server_keys_kind")),
    )
    op.create_index("ux_server_keys_active_kind", "server_keys", ["kind"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))
    op.create_table(
        "officers",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        at("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
    )
    op.create_table(
        "officer_areas",
        sa.Column("officer_id", ID, nullable=False),
        sa.Column("area_code", AREA, nullable=False),
        sa.PrimaryKeyConstraint("officer_id", "area_code", name=op.f("pk_officer_areas")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"],
                                name=op.f("fk_officer_areas_officer_id_officers")),
    )
    op.create_index(op.f("ix_officer_areas_area_code"), "officer_areas", ["area_code"])
    op.create_table(
        "enroll_codes",
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("officer_id", ID, nullable=False),
        at("created_at"),
        at("expires_at"),
        at("used_at", nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_enroll_codes")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"],
                                name=op.f("fk_enroll_codes_officer_id_officers")),
    )
    op.create_index(op.f("ix_enroll_codes_officer_id"), "enroll_codes", ["officer_id"])
    op.create_table(
        "devices",
        sa.Column("id", ID, nullable=False),
        sa.Column("officer_id", ID, nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("enroll_code_hash", sa.LargeBinary(32), nullable=False),
        at("enrolled_at"),
        at("revoked_at", nullable=True),
        sa.Column("pull_cursor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("escrow_key_id", KEY_ID, nullable=True),
        sa.Column("escrow_blob", sa.LargeBinary(), nullable=True),
        at("escrow_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"],
                                name=op.f("fk_devices_officer_id_officers")),
        sa.UniqueConstraint("public_key", name=op.f("uq_devices_public_key")),
        sa.UniqueConstraint("enroll_code_hash", name=op.f("uq_devices_enroll_code_hash")),
        sa.ForeignKeyConstraint(["enroll_code_hash"], ["enroll_codes.code_hash"],
                                name=op.f("fk_devices_enroll_code_hash_enroll_codes")),
    )
    op.create_index(op.f("ix_devices_officer_id"), "devices", ["officer_id"])
    op.create_table(
        "request_nonces",
        sa.Column("device_id", ID, nullable=False),
        sa.Column("nonce", sa.String(32), nullable=False),
        at("seen_at"),
        sa.PrimaryKeyConstraint("device_id", "nonce", name=op.f("pk_request_nonces")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_request_nonces_device_id_devices")),
    )
    op.create_index(op.f("ix_request_nonces_seen_at"), "request_nonces", ["seen_at"])
    op.create_table(
        "households",
        sa.Column("id", ID, nullable=False),
        sa.Column("officer_id", ID, nullable=False),
        sa.Column("kode_desa", AREA, nullable=False),
        sa.Column("kode_kab", sa.String(5), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("status", sa.String(16), server_default="received", nullable=False),
        sa.Column("status_reason", sa.String(64), nullable=True),
        sa.Column("card_number", sa.String(32), nullable=True),
        sa.Column("conflict", sa.Boolean(), server_default=sa.false(), nullable=False),
        at("received_at"),
        at("updated_at"),
        at("status_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.CheckConstraint("status IN ('received', 'verified', 'rejected')",
                           name=op.f("ck_households_status")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"],
                                name=op.f("fk_households_officer_id_officers")),
        sa.UniqueConstraint("card_number", name=op.f("uq_households_card_number")),
    )
    op.create_index(op.f("ix_households_officer_id"), "households", ["officer_id"])
    op.create_index(op.f("ix_households_kode_desa"), "households", ["kode_desa"])
    op.create_index(op.f("ix_households_kode_kab_status"), "households", ["kode_kab", "status"])
    op.create_table(
        "household_versions",
        sa.Column("household_id", ID, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("key_id", KEY_ID, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("batch_id", sa.String(64), nullable=True),
        at("received_at"),
        sa.PrimaryKeyConstraint("household_id", "revision", "content_hash",
                                name=op.f("pk_household_versions")),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"],
                                name=op.f("fk_household_versions_household_id_households")),
        sa.ForeignKeyConstraint(["key_id"], ["server_keys.key_id"],
                                name=op.f("fk_household_versions_key_id_server_keys")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_household_versions_device_id_devices")),
    )
    op.create_index(op.f("ix_household_versions_device_id"), "household_versions", ["device_id"])
    op.create_table(
        "blind_index",
        sa.Column("key_id", KEY_ID, nullable=False),
        sa.Column("token", sa.LargeBinary(16), nullable=False),
        sa.Column("household_id", ID, nullable=False),
        sa.Column("kind", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "token", "household_id", name=op.f("pk_blind_index")),
        sa.CheckConstraint("kind IN ('nik', 'kk')", name=op.f("ck_blind_index_kind")),
        sa.ForeignKeyConstraint(["key_id"], ["server_keys.key_id"],
                                name=op.f("fk_blind_index_key_id_server_keys")),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"],
                                name=op.f("fk_blind_index_household_id_households")),
    )
    op.create_index(op.f("ix_blind_index_household_id"), "blind_index", ["household_id"])
    op.create_table(
        "duplicates",
        sa.Column("household_id", ID, nullable=False),
        sa.Column("other_household_id", ID, nullable=False),
        sa.Column("kind", sa.String(3), nullable=False),
        sa.Column("matches", sa.Integer(), server_default="1", nullable=False),
        at("found_at"),
        at("cleared_at", nullable=True),
        sa.PrimaryKeyConstraint("household_id", "other_household_id", "kind",
                                name=op.f("pk_duplicates")),
        sa.CheckConstraint("kind IN ('nik', 'kk')", name=op.f("ck_duplicates_kind")),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"],
                                name=op.f("fk_duplicates_household_id_households")),
        sa.ForeignKeyConstraint(["other_household_id"], ["households.id"],
                                name=op.f("fk_duplicates_other_household_id_households")),
    )
    op.create_table(
        "changes",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("officer_id", ID, nullable=True),
        sa.Column("device_id", ID, nullable=True),
        sa.Column("household_id", ID, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        at("at"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
        sa.CheckConstraint("kind IN ('status', 'duplicate', 'assignment')",
                           name=op.f("ck_changes_kind")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"],
                                name=op.f("fk_changes_officer_id_officers")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_changes_device_id_devices")),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"],
                                name=op.f("fk_changes_household_id_households")),
    )
    op.create_index(op.f("ix_changes_officer_id_seq"), "changes", ["officer_id", "seq"])
    op.create_index(op.f("ix_changes_device_id_seq"), "changes", ["device_id", "seq"])
    op.create_index(op.f("ix_changes_household_id_seq"), "changes", ["household_id", "seq"])
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "batches",
        sa.Column("device_id", ID, nullable=False),
        sa.Column("batch_id", sa.String(64), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        at("received_at"),
        sa.PrimaryKeyConstraint("device_id", "batch_id", name=op.f("pk_batches")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_batches_device_id_devices")),
    )
    # Old version 2.
    op.create_table(
        "admins",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        at("created_at"),
        at("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admins_token_hash")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        at("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    # Old version 3.
    op.create_table(
        "candidates",
        sa.Column("id", ID, nullable=False),
        sa.Column("kk_key_id", KEY_ID, nullable=False),
        sa.Column("kk_token", sa.LargeBinary(16), nullable=False),
        sa.Column("kode_desa", AREA, nullable=False),
        sa.Column("kode_kab", sa.String(5), nullable=False),
        sa.Column("officer_id", ID, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("key_id", KEY_ID, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("dtsen_hash", sa.LargeBinary(32), nullable=False),
        at("imported_at"),
        at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint("kk_key_id", "kk_token", name=op.f("uq_candidates_kk_key_id_kk_token")),
        sa.ForeignKeyConstraint(["kk_key_id"], ["server_keys.key_id"],
                                name=op.f("fk_candidates_kk_key_id_server_keys")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"],
                                name=op.f("fk_candidates_officer_id_officers")),
        sa.ForeignKeyConstraint(["key_id"], ["server_keys.key_id"],
                                name=op.f("fk_candidates_key_id_server_keys")),
    )
    op.create_index(op.f("ix_candidates_kode_desa"), "candidates", ["kode_desa"])
    op.create_index(op.f("ix_candidates_officer_id"), "candidates", ["officer_id"])
    op.create_table(
        "handovers",
        sa.Column("household_id", ID, nullable=False),
        sa.Column("from_officer_id", ID, nullable=False),
        at("at"),
        sa.PrimaryKeyConstraint("household_id", "from_officer_id", name=op.f("pk_handovers")),
        sa.ForeignKeyConstraint(["from_officer_id"], ["officers.id"],
                                name=op.f("fk_handovers_from_officer_id_officers")),
    )
    op.create_table(
        "device_box_keys",
        sa.Column("device_id", ID, nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        at("set_at"),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_box_keys")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_device_box_keys_device_id_devices")),
    )

    op.bulk_insert(counters, [{"name": "changes", "value": 0}])
    now = datetime.now(timezone.utc)
    op.bulk_insert(schema_migrations, [
        {"version": 1, "name": "m001_initial", "applied_at": now},
        {"version": 2, "name": "m002_admins_audit", "applied_at": now},
        {"version": 3, "name": "m003_candidates", "applied_at": now},
    ])


def downgrade() -> None:
    for table in (
        "device_box_keys", "handovers", "candidates", "audit_log", "admins", "batches",
        "counters", "changes", "duplicates", "blind_index", "household_versions", "households",
        "request_nonces", "devices", "enroll_codes", "officer_areas", "officers", "server_keys",
        "schema_migrations",
    ):
        op.drop_table(table)  # its indexes go with it
