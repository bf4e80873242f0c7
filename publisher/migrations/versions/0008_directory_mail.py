"""directory sign-on, invited external readers, individual requests, mail outbox (issue 18)

Revision ID: 0008_directory_mail
Revises: 0007_davapi_idempotency
"""
from alembic import op
import sqlalchemy as sa
import publisher.db


revision = '0008_directory_mail'
down_revision = '0007_davapi_idempotency'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_accounts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('dn', sa.String(length=500), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('synced_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_directory_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_directory_accounts'))
    )
    op.create_table('group_owners',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_owners_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_owners_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_owners'))
    )
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('account_expires_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', publisher.db.UTCDateTime(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', publisher.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_invitations_group_id_groups')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    op.create_index(op.f('ix_invitations_email'), 'invitations', ['email'], unique=False)
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('locked_at', publisher.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', publisher.db.UTCDateTime(), nullable=True),
    sa.Column('bundled_into', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_outbox_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_mail_outbox_dedupe_key'))
    )
    op.create_index('ix_mail_outbox_due', 'mail_outbox', ['state', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_mail_outbox_kind'), 'mail_outbox', ['kind'], unique=False)
    op.create_index(op.f('ix_mail_outbox_user_id'), 'mail_outbox', ['user_id'], unique=False)
    op.create_table('notification_prefs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('updated_at', publisher.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_prefs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_prefs'))
    )
    op.create_table('individual_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('requester_name', sa.String(length=200), nullable=False),
    sa.Column('requester_email', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', publisher.db.UTCDateTime(), nullable=True),
    sa.Column('closed_at', publisher.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_individual_requests_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_individual_requests_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_individual_requests')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_individual_requests_submission_id'))
    )
    op.create_table('delivery_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', publisher.db.UTCDateTime(), nullable=False),
    sa.Column('first_download_at', publisher.db.UTCDateTime(), nullable=True),
    sa.Column('window_ends_at', publisher.db.UTCDateTime(), nullable=True),
    sa.Column('downloads', sa.Integer(), nullable=False),
    sa.Column('revoked_at', publisher.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['individual_requests.id'], name=op.f('fk_delivery_links_request_id_individual_requests')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_delivery_links_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_links')),
    sa.UniqueConstraint('request_id', name='uq_delivery_links_request_id'),
    sa.UniqueConstraint('token_hash', name=op.f('uq_delivery_links_token_hash'))
    )
    with op.batch_alter_table('users') as b:
        b.add_column(sa.Column('expires_at', publisher.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as b:
        b.drop_column('expires_at')
    op.drop_table('delivery_links')
    op.drop_table('individual_requests')
    op.drop_table('notification_prefs')
    op.drop_index(op.f('ix_mail_outbox_user_id'), table_name='mail_outbox')
    op.drop_index(op.f('ix_mail_outbox_kind'), table_name='mail_outbox')
    op.drop_index('ix_mail_outbox_due', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    op.drop_index(op.f('ix_invitations_email'), table_name='invitations')
    op.drop_table('invitations')
    op.drop_table('group_owners')
    op.drop_table('directory_accounts')
