"""role grants: approver/admin roles need a second person's confirmation (issue 14 item 7)

Revision ID: 0006_trust_roles
Revises: 0005_trust_sessions
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0006_trust_roles'
down_revision = '0005_trust_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'role_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', publisher.db.UTCDateTime(), nullable=True),
        sa.Column('cancelled_at', publisher.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_role_grants_confirmed_by_id_users')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_role_grants_requested_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_grants_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grants')),
    )
    op.create_index(op.f('ix_role_grants_user_id'), 'role_grants', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_role_grants_user_id'), table_name='role_grants')
    op.drop_table('role_grants')
