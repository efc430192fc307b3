"""console users: the browser console's users, their areas, one-time set-up codes, sessions
and failed-login counts (sync/server/console, docs/security.md "The console").

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_login_failures',
    sa.Column('key_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wait_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_console_login_failures'))
    )
    op.create_table('console_users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('login', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_kdf', sa.String(length=200), nullable=True),
    sa.Column('password_salt', sa.LargeBinary(), nullable=True),
    sa.Column('password_hash', sa.LargeBinary(length=32), nullable=True),
    sa.Column('totp_key_id', sa.String(length=32), nullable=True),
    sa.Column('totp_secret', sa.LargeBinary(), nullable=True),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('province', 'regency', 'supervisor')", name=op.f('ck_console_users_role')),
    sa.ForeignKeyConstraint(['totp_key_id'], ['server_keys.key_id'], name=op.f('fk_console_users_totp_key_id_server_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_users')),
    sa.UniqueConstraint('login', name=op.f('uq_console_users_login'))
    )
    op.create_table('console_sessions',
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_console_sessions_user_id_console_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_console_sessions'))
    )
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('console_setup_codes',
    sa.Column('code_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_console_setup_codes_user_id_console_users')),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_console_setup_codes'))
    )
    with op.batch_alter_table('console_setup_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_setup_codes_user_id'), ['user_id'], unique=False)

    op.create_table('console_user_areas',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('area_code', sa.String(length=13), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['console_users.id'], name=op.f('fk_console_user_areas_user_id_console_users')),
    sa.PrimaryKeyConstraint('user_id', 'area_code', name=op.f('pk_console_user_areas'))
    )


def downgrade() -> None:
    op.drop_table('console_user_areas')
    with op.batch_alter_table('console_setup_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_setup_codes_user_id'))

    op.drop_table('console_setup_codes')
    with op.batch_alter_table('console_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_sessions_user_id'))

    op.drop_table('console_sessions')
    op.drop_table('console_users')
    op.drop_table('console_login_failures')
