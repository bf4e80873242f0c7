"""download records of the download area

Revision ID: 0002_download_records
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0002_download_records'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'download_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=True),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('series', sa.String(length=200), nullable=False),
        sa.Column('version', sa.String(length=50), nullable=False),
        sa.Column('requested', sa.String(length=50), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_download_records_at', 'download_records', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_download_records_at', table_name='download_records')
    op.drop_table('download_records')
