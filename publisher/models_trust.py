"""Models of issue 14 (the approval covers the whole release): release manifests.

* ``release_manifests``: the canonical document of one submission version that determines what leaves,
  where, for whom and when (:mod:`publisher.manifest`).  One row per distinct document (revision) of a
  version; approvals (``decisions.manifest_sha256``) and publication jobs (``publication_jobs.manifest_sha256``)
  name the sha256 of exactly one of them.  Rows are never changed: a change is a new revision.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publisher.db import UTCDateTime, utcnow
from publisher.models import Base


class ReleaseManifest(Base):
    __tablename__ = "release_manifests"
    __table_args__ = (UniqueConstraint("version_id", "sha256", name="uq_release_manifests_version_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per version
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON text (the bytes the sha256 is taken of)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSession(Base):
    """A server-side web session (issue 14 item 6): the cookie holds a random token, this row its sha256.

    Ends at logout, password change, deactivation or reset (every session of the account), after
    ``SESSION_IDLE_MINUTES`` without a request and ``SESSION_MAX_HOURS`` after login.  A copied cookie of an
    ended session opens nothing."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(40), default="")


class LoginBackoff(Base):
    """Failed logins of one client (address) for one user name (issue 14 item 6): after
    ``LOCKOUT_THRESHOLD`` failures that client waits (doubling, at most ``LOCKOUT_MINUTES``); other clients -
    the account's owner - are not affected, and unknown user names are counted the same way."""

    __tablename__ = "login_backoff"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of address + lower-cased name
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RoleGrant(Base):
    """A request to give an account the approver or admin role (issue 14 item 7): it takes effect only when a
    second person - an approver or admin other than the requester and the account itself - confirms it."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
