"""Models of issue 18: directory sign-on, invited external readers, individual requests, e-mail outbox.

* ``mail_outbox``: one e-mail to one address, written in the transaction of the event it tells about
  (:mod:`publisher.services.notify`) and sent after commit by the worker (:mod:`publisher.mailer`), retried
  with backoff.  ``digest`` rows wait for the recipient's daily digest.  A body that carries a secret link
  (invitation, delivery) is replaced by its sha256 once sent (``secret``).
* ``notification_prefs``: per user ``immediate`` (default) / ``digest`` / ``off`` (failures always go out).
* ``directory_accounts``: a local account that belongs to the city's directory (LDAP/AD): its DN, the
  directory groups seen at the last sign-on or sync, why the directory disabled it.  Users without a row are
  local accounts (externals, break-glass admin).
* ``group_owners``: who may invite external readers into a download-area group (besides admins).
* ``invitations``: an e-mail invited into a group; only the sha256 of the single-use link is stored.
* ``individual_requests`` + ``delivery_links``: Einzelanfragen (who asks, what, why, legal basis), the
  submission prepared for exactly that requester, and the expiring single-person download link (sha256 only).
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publisher.db import UTCDateTime, utcnow
from publisher.models import Base


class MailState(str, enum.Enum):
    """States of an outbox mail (:mod:`publisher.services.mailbox`, :mod:`publisher.services.notify`)."""
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a sender (lease)
    SENT = "sent"
    FAILED = "failed"  # for good (attempts used up or refused by the server)
    DIGEST = "digest"  # waits for the daily digest
    BUNDLED = "bundled"  # went out inside a digest (bundled_into)
    DROPPED = "dropped"  # not sent: no longer relevant or no address


class MailMessage(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(50), index=True)  # event, e.g. submission.waiting
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")
    submission_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)  # body holds a secret link: scrub once sent
    state: Mapped[str] = mapped_column(String(20), default=MailState.PENDING.value)  # a MailState
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bundled_into: Mapped[int | None] = mapped_column(Integer, nullable=True)  # digest message id


class NotificationPreference(Base):
    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(20), default="immediate")  # immediate | digest | off
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DirectoryAccount(Base):
    __tablename__ = "directory_accounts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    dn: Mapped[str] = mapped_column(String(500))
    groups: Mapped[list] = mapped_column(JSON, default=list)  # directory group DNs (last sign-on or sync)
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)  # set while disabled by it


class GroupOwner(Base):
    __tablename__ = "group_owners"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the link
    account_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the account it creates
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # account created
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IndividualRequest(Base):
    __tablename__ = "individual_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text)  # what is asked for
    purpose: Mapped[str] = mapped_column(Text)  # why
    legal_basis: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | delivered | closed
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), nullable=True, unique=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeliveryLink(Base):
    __tablename__ = "delivery_links"
    __table_args__ = (UniqueConstraint("request_id", name="uq_delivery_links_request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("individual_requests.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # unused link dies then
    first_download_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    window_ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
