"""release ledger, standing approvals, notifications, embargoes (issue 8)

Revision ID: 0003_release_ledger
Revises: 0002_download_records
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0003_release_ledger'
down_revision = '0002_download_records'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'release_ledger',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('published_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('series_id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=300), nullable=False),
        sa.Column('population', sa.String(length=200), nullable=False),
        sa.Column('period', sa.String(length=100), nullable=False),
        sa.Column('release_version', sa.String(length=50), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('level', sa.String(length=50), nullable=False),
        sa.Column('finest_level', sa.String(length=50), nullable=False),
        sa.Column('hierarchy_id', sa.Integer(), nullable=False),
        sa.Column('hierarchy_label', sa.String(length=200), nullable=False),
        sa.Column('dimensions', sa.JSON(), nullable=False),
        sa.Column('membership', sa.JSON(), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.Column('artifact_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['hierarchy_id'], ['hierarchies.id'],
                                name=op.f('fk_release_ledger_hierarchy_id_hierarchies')),
        sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_release_ledger_series_id_series')),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_release_ledger_submission_id_submissions')),
        sa.ForeignKeyConstraint(['version_id'], ['submission_versions.id'],
                                name=op.f('fk_release_ledger_version_id_submission_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_release_ledger')),
    )
    op.create_index('ix_release_ledger_population_period', 'release_ledger', ['population', 'period'], unique=False)
    op.create_index(op.f('ix_release_ledger_series_id'), 'release_ledger', ['series_id'], unique=False)
    op.create_index(op.f('ix_release_ledger_submission_id'), 'release_ledger', ['submission_id'], unique=False)

    op.create_table(
        'series_standing_approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('series_id', sa.Integer(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=False),
        sa.Column('structure', sa.JSON(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', publisher.db.UTCDateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'],
                                name=op.f('fk_series_standing_approvals_approved_by_id_users')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'],
                                name=op.f('fk_series_standing_approvals_revoked_by_id_users')),
        sa.ForeignKeyConstraint(['series_id'], ['series.id'],
                                name=op.f('fk_series_standing_approvals_series_id_series')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_series_standing_approvals')),
    )
    op.create_index(op.f('ix_series_standing_approvals_series_id'), 'series_standing_approvals', ['series_id'],
                    unique=False)

    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('read_at', publisher.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )

    op.create_table(
        'release_embargoes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('embargo_until', publisher.db.UTCDateTime(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_release_embargoes_set_by_id_users')),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_release_embargoes_submission_id_submissions')),
        sa.ForeignKeyConstraint(['version_id'], ['submission_versions.id'],
                                name=op.f('fk_release_embargoes_version_id_submission_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_release_embargoes')),
        sa.UniqueConstraint('version_id', name=op.f('uq_release_embargoes_version_id')),
    )
    op.create_index(op.f('ix_release_embargoes_submission_id'), 'release_embargoes', ['submission_id'], unique=False)
    op.create_index(op.f('ix_release_embargoes_embargo_until'), 'release_embargoes', ['embargo_until'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        # the ledger is append-only in SQL too: UPDATE and DELETE are refused
        op.execute("""
            CREATE FUNCTION release_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'release_ledger is append-only';
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER release_ledger_no_change BEFORE UPDATE OR DELETE ON release_ledger
            FOR EACH ROW EXECUTE FUNCTION release_ledger_append_only();
        """)
    else:
        op.execute("""
            CREATE TRIGGER release_ledger_no_update BEFORE UPDATE ON release_ledger
            BEGIN SELECT RAISE(ABORT, 'release_ledger is append-only'); END;
        """)
        op.execute("""
            CREATE TRIGGER release_ledger_no_delete BEFORE DELETE ON release_ledger
            BEGIN SELECT RAISE(ABORT, 'release_ledger is append-only'); END;
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS release_ledger_no_change ON release_ledger")
        op.execute("DROP FUNCTION IF EXISTS release_ledger_append_only()")
    op.drop_index(op.f('ix_release_embargoes_embargo_until'), table_name='release_embargoes')
    op.drop_index(op.f('ix_release_embargoes_submission_id'), table_name='release_embargoes')
    op.drop_table('release_embargoes')
    op.drop_table('notifications')
    op.drop_index(op.f('ix_series_standing_approvals_series_id'), table_name='series_standing_approvals')
    op.drop_table('series_standing_approvals')
    op.drop_index(op.f('ix_release_ledger_submission_id'), table_name='release_ledger')
    op.drop_index(op.f('ix_release_ledger_series_id'), table_name='release_ledger')
    op.drop_index('ix_release_ledger_population_period', table_name='release_ledger')
    op.drop_table('release_ledger')
