"""SQLAlchemy 2 models.  Only :mod:`publisher.services` (and the worker) write them.

Tables: users, groups (+ user_groups), api_tokens, stored_files, hierarchies, rule_sets, series,
submissions, submission_versions, decisions (approve/return/reject/withdraw with comment, bound to the
artifact sha256), audit_events (+ audit_head), publication_jobs (outbox for the worker, issue 4).
Schema changes go through Alembic (``publisher/migrations``); tests check the migrations match these models.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.db import Base, UTCDateTime, utcnow
from publisher.workflow import STATE_LABELS, STATE_OWNER, Role, State

user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)  # issue 14: after an admin reset
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, lazy="selectin")
    # issue 18: invited external readers' accounts end then (None: no end); see services.invitations
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def group_names(self) -> set[str]:
        return {g.name for g in self.groups}

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, to recognise a token in lists
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user: Mapped[User] = relationship(lazy="joined")


class StoredFile(Base):
    """Bytes in the content-addressed storage (``publisher.storage``), named by sha256."""

    __tablename__ = "stored_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # raw | artifact | hierarchy | report
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # retention


class Hierarchy(Base):
    __tablename__ = "hierarchies"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_hierarchies_name_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    file_sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    levels: Mapped[list] = mapped_column(JSON)  # finest -> coarsest
    code_counts: Mapped[dict] = mapped_column(JSON)  # level -> number of codes
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version} (ab {self.valid_from.isoformat()})"


class RuleSet(Base):
    __tablename__ = "rule_sets"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_rule_sets_name_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source_toml: Mapped[str | None] = mapped_column(Text, nullable=True)  # None = built-in default
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)  # keyword overrides for load_rules
    fingerprint: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


class Series(Base):
    """A recurring publication (e.g. 'Geflüchtete nach Aufenthaltsstatus, monatlich'); remembers the mapping."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # last used mapping (prepare_table kwargs)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True, default=State.DRAFT.value)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission_versions.id", use_alter=True, name="fk_submissions_current_version"),
        nullable=True)
    state_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic locking: concurrent transitions on the same submission cannot both win.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": lock_version}

    series: Mapped[Series] = relationship(lazy="joined")
    submitter: Mapped[User] = relationship(lazy="joined", foreign_keys=[submitter_id])
    current_version: Mapped["SubmissionVersion | None"] = relationship(
        foreign_keys=[current_version_id], lazy="joined", post_update=True)
    versions: Mapped[list["SubmissionVersion"]] = relationship(
        foreign_keys="SubmissionVersion.submission_id", order_by="SubmissionVersion.number",
        back_populates="submission", lazy="selectin")
    decisions: Mapped[list["Decision"]] = relationship(order_by="Decision.id", lazy="selectin",
                                                       back_populates="submission")

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def owner_role(self) -> Role:
        return STATE_OWNER[self.state_enum]

    def state_label(self, lang: str = "de") -> str:
        from publisher.i18n import translate

        return translate(STATE_LABELS[self.state_enum], lang)

    @property
    def title(self) -> str:
        v = self.current_version
        return (v.meta or {}).get("title", "") if v else ""


class SubmissionVersion(Base):
    """One uploaded table + metadata + the engine's result.  Immutable once the submission left DRAFT."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "number", name="uq_submission_versions_submission_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # metadata: title, description, keywords[], reference_period, source, licence, contact,
    # audience ("public" | "restricted"), groups[]
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    hierarchy_id: Mapped[int] = mapped_column(ForeignKey("hierarchies.id"))
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id"))
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))
    raw_filename: Mapped[str] = mapped_column(String(255))
    raw_sheet: Mapped[str | None] = mapped_column(String(100), nullable=True)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    # engine result
    outcome: Mapped[str] = mapped_column(String(20))  # publishable | withheld
    level: Mapped[str | None] = mapped_column(String(50), nullable=True)
    canonical_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # PreparedTable.sha256()
    artifact_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_files.sha256"), nullable=True)
    report_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_files.sha256"), nullable=True)
    report: Mapped[dict] = mapped_column(JSON, default=dict)  # internal report (DPO only)
    public_report: Mapped[dict] = mapped_column(JSON, default=dict)
    public_statement: Mapped[dict] = mapped_column(JSON, default=dict)  # {"de":..., "en":...}
    findings: Mapped[list] = mapped_column(JSON, default=list)  # Finding.to_dict() of warnings/info
    rule_fingerprint: Mapped[dict] = mapped_column(JSON, default=dict)

    submission: Mapped[Submission] = relationship(foreign_keys=[submission_id], back_populates="versions")
    hierarchy: Mapped[Hierarchy] = relationship(lazy="joined")
    rule_set: Mapped[RuleSet] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")


class Decision(Base):
    """approve / approve_first / return / reject / withdraw / submit: who, when, on which bytes, why."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str] = mapped_column(Text, default="")
    artifact_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # issue 14: the manifest
    invalidated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    submission: Mapped[Submission] = relationship(back_populates="decisions")
    actor: Mapped[User] = relationship(lazy="joined")


class AuditEvent(Base):
    """Append-only, hash-chained: hash = sha256(prev_hash + canonical row).  See publisher.audit."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)  # 1, 2, 3, ... without gaps
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no FK: survives user removal
    actor_name: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON text
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def details_dict(self) -> dict[str, Any]:
        return json.loads(self.details)


class AuditHead(Base):
    """One row: the last seq/hash.  Locked (FOR UPDATE) while appending, so the chain never forks."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class PublicationJob(Base):
    """Outbox: one job per (approved version, target); consumed by the publication worker (issue 4)."""

    __tablename__ = "publication_jobs"
    __table_args__ = (
        UniqueConstraint("version_id", "target", "purpose", name="uq_publication_jobs_version_target_purpose"),
        Index("ix_publication_jobs_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"))
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(30))  # ckan | download
    purpose: Mapped[str] = mapped_column(String(20), default="publish")  # publish | withdraw
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. CKAN package id, download path
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # issue 14: approved manifest


# registered in Base.metadata together with the core models (defined in its own module)
from publisher.models_downloads import DownloadRecord  # noqa: E402,F401
from publisher.models_ledger import Embargo, LedgerEntry, Notification, StandingApproval  # noqa: E402,F401
from publisher.models_trust import LoginBackoff, ReleaseManifest, RoleGrant, WebSession  # noqa: E402,F401
from publisher.models_reference import CategoryGrouping, Population  # noqa: E402,F401
from publisher.models_idempotency import IdempotencyKey  # noqa: E402,F401
from publisher.models_directory import (  # noqa: E402,F401  (issue 18)
    DeliveryLink, DirectoryAccount, GroupOwner, IndividualRequest, Invitation, MailMessage, NotificationPreference,
)
from publisher.models_geo import BoundarySet  # noqa: E402,F401  (issue 17: boundaries per hierarchy version)
from publisher.models_reports import Report, ReportMember  # noqa: E402,F401  (issue 17 item 4: reports)
