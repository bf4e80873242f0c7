"""populations (with nesting) and category groupings: reference data of the cross-release checks (issue 13)

Revision ID: 0009_xrel_reference
Revises: 0008_directory_mail
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0009_xrel_reference'
down_revision = '0008_directory_mail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'populations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('retired_at', publisher.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['parent_id'], ['populations.id'], name=op.f('fk_populations_parent_id_populations')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_populations_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_populations')),
        sa.UniqueConstraint('slug', name=op.f('uq_populations_slug')),
    )
    op.create_table(
        'category_groupings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=200), nullable=False),
        sa.Column('category', sa.String(length=300), nullable=False),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('retired_at', publisher.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_category_groupings_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_category_groupings')),
    )
    op.create_index(op.f('ix_category_groupings_dimension'), 'category_groupings', ['dimension'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_category_groupings_dimension'), table_name='category_groupings')
    op.drop_table('category_groupings')
    op.drop_table('populations')
