"""release manifests; approvals and publication jobs bind a manifest sha256 (issue 14 item 1)

Revision ID: 0004_trust_manifest
Revises: 0003_release_ledger
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0004_trust_manifest'
down_revision = '0003_release_ledger'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'release_manifests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_release_manifests_created_by_id_users')),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_release_manifests_submission_id_submissions')),
        sa.ForeignKeyConstraint(['version_id'], ['submission_versions.id'],
                                name=op.f('fk_release_manifests_version_id_submission_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_release_manifests')),
        sa.UniqueConstraint('version_id', 'sha256', name='uq_release_manifests_version_sha256'),
    )
    op.create_index(op.f('ix_release_manifests_sha256'), 'release_manifests', ['sha256'], unique=False)
    op.create_index(op.f('ix_release_manifests_submission_id'), 'release_manifests', ['submission_id'], unique=False)
    op.create_index(op.f('ix_release_manifests_version_id'), 'release_manifests', ['version_id'], unique=False)
    with op.batch_alter_table('decisions') as b:
        b.add_column(sa.Column('manifest_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('publication_jobs') as b:
        b.add_column(sa.Column('manifest_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('publication_jobs') as b:
        b.drop_column('manifest_sha256')
    with op.batch_alter_table('decisions') as b:
        b.drop_column('manifest_sha256')
    op.drop_index(op.f('ix_release_manifests_version_id'), table_name='release_manifests')
    op.drop_index(op.f('ix_release_manifests_submission_id'), table_name='release_manifests')
    op.drop_index(op.f('ix_release_manifests_sha256'), table_name='release_manifests')
    op.drop_table('release_manifests')
