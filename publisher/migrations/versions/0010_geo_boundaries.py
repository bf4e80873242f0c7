"""boundary sets (GeoJSON Gebietsgrenzen) per hierarchy version (issue 17 item 3)

Revision ID: 0010_geo_boundaries
Revises: 0009_xrel_reference
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0010_geo_boundaries'
down_revision = '0009_xrel_reference'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'boundary_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hierarchy_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('upload_sha256', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('features', sa.JSON(), nullable=False),
        sa.Column('dissolved', sa.JSON(), nullable=False),
        sa.Column('warnings', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['hierarchy_id'], ['hierarchies.id'],
                                name=op.f('fk_boundary_sets_hierarchy_id_hierarchies')),
        sa.ForeignKeyConstraint(['sha256'], ['stored_files.sha256'],
                                name=op.f('fk_boundary_sets_sha256_stored_files')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_boundary_sets_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_boundary_sets')),
        sa.UniqueConstraint('hierarchy_id', 'revision', name='uq_boundary_sets_hierarchy_revision'),
    )
    op.create_index(op.f('ix_boundary_sets_hierarchy_id'), 'boundary_sets', ['hierarchy_id'], unique=False)
    op.create_index(op.f('ix_boundary_sets_sha256'), 'boundary_sets', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_boundary_sets_sha256'), table_name='boundary_sets')
    op.drop_index(op.f('ix_boundary_sets_hierarchy_id'), table_name='boundary_sets')
    op.drop_table('boundary_sets')
