"""Boundaries (Gebietsgrenzen) per hierarchy version (issue 17 item 3): admin reference data.

A ``BoundarySet`` is one validated GeoJSON upload for one hierarchy version, normalised (every feature has
``properties.level``, ``properties.code``, ``properties.name``; coarser levels not given are dissolved from
the finest) and kept content-addressed in the file store under ``sha256``.  Rows are never changed or
deleted: a new upload is a new revision, and the newest revision of a hierarchy is what a release manifest
binds at check/approval time (:mod:`publisher.manifest`); an approved release keeps the set it bound.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publisher.db import UTCDateTime, utcnow
from publisher.models import Base


class BoundarySet(Base):
    __tablename__ = "boundary_sets"
    __table_args__ = (UniqueConstraint("hierarchy_id", "revision", name="uq_boundary_sets_hierarchy_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hierarchy_id: Mapped[int] = mapped_column(ForeignKey("hierarchies.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per hierarchy version
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"), index=True)  # normalised GeoJSON
    upload_sha256: Mapped[str] = mapped_column(String(64))  # the bytes the admin uploaded
    filename: Mapped[str] = mapped_column(String(255))
    features: Mapped[dict] = mapped_column(JSON)  # level -> number of geometries ({"baublock": 120, ...})
    dissolved: Mapped[list] = mapped_column(JSON)  # levels dissolved from the finest level
    warnings: Mapped[list] = mapped_column(JSON)  # warning findings as dicts (code, params, column)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
