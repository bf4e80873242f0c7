"""reports (Berichte): several tables of one period under one title, published only when every table is
approved (issue 17 item 4)

Revision ID: 0011_reports
Revises: 0010_geo_boundaries
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0011_reports'
down_revision = '0010_geo_boundaries'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('period', sa.String(length=100), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('groups', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('workbook_sha256', sa.String(length=64), nullable=True),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('state_changed_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('published_at', publisher.db.UTCDateTime(), nullable=True),
        sa.Column('lock_version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_reports_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    )
    op.create_index(op.f('ix_reports_owner_id'), 'reports', ['owner_id'], unique=False)
    op.create_index(op.f('ix_reports_state'), 'reports', ['state'], unique=False)
    op.create_table(
        'report_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('added_at', publisher.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_members_report_id_reports'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_report_members_submission_id_submissions')),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_report_members_added_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_members')),
        sa.UniqueConstraint('submission_id', name='uq_report_members_submission_id'),
    )
    op.create_index(op.f('ix_report_members_report_id'), 'report_members', ['report_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_report_members_report_id'), table_name='report_members')
    op.drop_table('report_members')
    op.drop_index(op.f('ix_reports_state'), table_name='reports')
    op.drop_index(op.f('ix_reports_owner_id'), table_name='reports')
    op.drop_table('reports')
