"""audit chain: audit_log entries hash-chained and sealed (sync/server/audit.py,
docs/security.md "The server's audit log"), and what each entry is about (officer_id,
household_id), so the console can show a regency user the entries of its scope.

The entries already there are chained here, in id order, with the same bytes audit.py hashes
(frozen below: revisions never import the live code). A migration has no passphrase, so they
stay unsealed (key_id and mac NULL): entries "before the chain". The first entry written
afterwards is sealed, and its seal vouches for them through the hash chain.

Revision ID: 0004
Revises: 0003
"""

import hashlib
import json
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LABEL = b"khbs/server-audit/v1|"


def _entry_bytes(seq, at, actor, action, detail) -> bytes:
    """audit.entry_bytes as of this revision (officer and household: none before it)."""
    if at.tzinfo is None:  # SQLite gives back naive UTC
        at = at.replace(tzinfo=timezone.utc)
    moment = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields = [seq, moment, actor, action, None, None, detail]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode()


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("officer_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("household_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("mac", sa.LargeBinary(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_household_id"), ["household_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_officer_id"), ["officer_id"],
                              unique=False)

    log = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime(True)),
                   sa.column("actor", sa.String), sa.column("action", sa.String),
                   sa.column("detail", sa.Text), sa.column("hash", sa.LargeBinary))
    bind = op.get_bind()
    prev = bytes(32)
    rows = bind.execute(sa.select(log.c.id, log.c.at, log.c.actor, log.c.action, log.c.detail)
                        .order_by(log.c.id)).all()
    for row in rows:
        prev = hashlib.sha256(LABEL + prev + _entry_bytes(row.id, row.at, row.actor, row.action,
                                                          row.detail)).digest()
        bind.execute(sa.update(log).where(log.c.id == row.id).values(hash=prev))

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("hash", existing_type=sa.LargeBinary(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_officer_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_household_id"))
        batch_op.drop_column("mac")
        batch_op.drop_column("key_id")
        batch_op.drop_column("hash")
        batch_op.drop_column("household_id")
        batch_op.drop_column("officer_id")
