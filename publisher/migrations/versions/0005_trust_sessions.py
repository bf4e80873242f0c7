"""server-side web sessions, per-client login backoff, forced password change (issue 14 item 6)

Revision ID: 0005_trust_sessions
Revises: 0004_trust_manifest
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0005_trust_sessions'
down_revision = '0004_trust_manifest'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('ended_at', publisher.db.UTCDateTime(), nullable=True),
        sa.Column('end_reason', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    )
    op.create_index(op.f('ix_web_sessions_user_id'), 'web_sessions', ['user_id'], unique=False)
    op.create_table(
        'login_backoff',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('blocked_until', publisher.db.UTCDateTime(), nullable=True),
        sa.Column('updated_at', publisher.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_backoff')),
    )
    op.create_index(op.f('ix_login_backoff_updated_at'), 'login_backoff', ['updated_at'], unique=False)
    with op.batch_alter_table('users') as b:
        b.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('users') as b:
        b.drop_column('must_change_password')
    op.drop_index(op.f('ix_login_backoff_updated_at'), table_name='login_backoff')
    op.drop_table('login_backoff')
    op.drop_index(op.f('ix_web_sessions_user_id'), table_name='web_sessions')
    op.drop_table('web_sessions')
