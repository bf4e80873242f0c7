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
