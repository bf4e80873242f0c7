"""Reference data for the cross-release checks (issue 13 item 5, issue 14 item 2), kept by admins.

* ``populations``: who a table counts ("Geflüchtete", "Geflüchtete ohne Ukraine").  A population may be
  declared part of another (``parent``): tables of nested populations of one period are audited together.
  A submission picks a current (not retired) population; nothing is free text.  Rows are never deleted: a
  population that is no longer to be chosen is retired (``retired_at``); its nesting never changes (the
  ledger's earlier checks stay reproducible) - to change it, retire it and declare a new one.
* ``category_groupings``: what a category of a dimension stands for: ``Duldung oder Sonstige`` =
  ``Duldung`` + ``Sonstige`` (``parts``), or a category of its own (``parts`` empty).  Declared groupings
  enter the union audit; a different breakdown that is not declared blocks approval.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from publisher.db import UTCDateTime, utcnow
from publisher.models import Base


class Population(Base):
    __tablename__ = "populations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)  # the key releases and the ledger carry
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("populations.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def current(self) -> bool:
        return self.retired_at is None


class CategoryGrouping(Base):
    __tablename__ = "category_groupings"

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str] = mapped_column(String(300))
    parts: Mapped[list] = mapped_column(JSON, default=list)  # [] = a category of its own
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
