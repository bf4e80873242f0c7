"""Download records of the download area (issue 4 item 3): who downloaded what, when, with its sha256.

Written only by :mod:`publisher.services.downloads`; purged after ``DOWNLOAD_LOG_RETENTION_DAYS``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from publisher.db import UTCDateTime, utcnow
from publisher.models import Base


class DownloadRecord(Base):
    __tablename__ = "download_records"
    __table_args__ = (Index("ix_download_records_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    username: Mapped[str] = mapped_column(String(100))  # "anonymous" without login
    submission_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    topic: Mapped[str] = mapped_column(String(200))
    series: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(50))  # the resolved version (never "latest")
    requested: Mapped[str] = mapped_column(String(50))  # what the link asked for ("latest" or a version)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
