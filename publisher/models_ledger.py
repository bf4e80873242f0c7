"""Release ledger, standing approvals, DPO notifications and embargoes (issue 8).

* ``release_ledger``: append-only record of exactly what was published (one row per published release):
  series, period, version, audience, level, hierarchy version, every cell with its value or suppression
  symbol, the artifact's sha256.  Written only by :mod:`publisher.services.ledger`, in the same transaction
  as the publication's success.  There is no update or delete path: the ORM refuses both (see the
  listeners below) and on PostgreSQL a trigger (migration 0003) refuses them in SQL.
* ``series_standing_approvals``: a DPO approved a series definition once (structure fingerprint); later
  clean periods with the same structure are released automatically (:mod:`publisher.services.series`).
* ``notifications``: records for the DPO (e.g. "period released under standing approval").
* ``release_embargoes``: an approved release is published no earlier than ``embargo_until``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from publisher.db import UTCDateTime, utcnow
from publisher.models import Base


class LedgerEntry(Base):
    __tablename__ = "release_ledger"
    __table_args__ = (Index("ix_release_ledger_population_period", "population", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"))
    label: Mapped[str] = mapped_column(String(300))  # how findings name this release
    population: Mapped[str] = mapped_column(String(200))  # releases of one population are checked together
    period: Mapped[str] = mapped_column(String(100))
    release_version: Mapped[str] = mapped_column(String(50))  # semver of the series release
    audience: Mapped[str] = mapped_column(String(20))  # public | restricted
    level: Mapped[str] = mapped_column(String(50))
    finest_level: Mapped[str] = mapped_column(String(50))
    hierarchy_id: Mapped[int] = mapped_column(ForeignKey("hierarchies.id"))
    hierarchy_label: Mapped[str] = mapped_column(String(200))
    dimensions: Mapped[list] = mapped_column(JSON, default=list)
    membership: Mapped[dict] = mapped_column(JSON, default=dict)  # area -> finest codes (coarser levels only)
    cells: Mapped[list] = mapped_column(JSON, default=list)  # [{area, dims{}, count|None, symbol}]
    artifact_sha256: Mapped[str] = mapped_column(String(64))


class LedgerIsAppendOnly(Exception):
    """An attempt to change or delete a row of the release ledger."""


@event.listens_for(LedgerEntry, "before_update")
def _no_update(mapper, connection, target):  # pragma: no cover - raising is the behaviour
    raise LedgerIsAppendOnly("release_ledger is append-only: rows are never updated")


@event.listens_for(LedgerEntry, "before_delete")
def _no_delete(mapper, connection, target):
    raise LedgerIsAppendOnly("release_ledger is append-only: rows are never deleted")


class StandingApproval(Base):
    __tablename__ = "series_standing_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    structure: Mapped[dict] = mapped_column(JSON, default=dict)  # what must stay unchanged
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    role: Mapped[str] = mapped_column(String(20), default="approver")  # who is to read it
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(50))
    submission_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Embargo(Base):
    __tablename__ = "release_embargoes"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"), unique=True)
    embargo_until: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
