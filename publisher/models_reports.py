"""Reports (Berichte, issue 17 item 4): several tables (submissions) of one period under one title, with one
public page and one workbook; published only when every table in it is approved (:mod:`publisher.services.
reports` is the only writer; states: :mod:`publisher.report_states`)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.db import UTCDateTime, utcnow
from publisher.models import Base, Submission, User
from publisher.report_states import Audience, ReportState


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))  # "Bevölkerung aktuell"
    period: Mapped[str] = mapped_column(String(100))  # "KW 47/2026"
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    audience: Mapped[str] = mapped_column(String(20), default=Audience.PUBLIC.value)
    groups: Mapped[list] = mapped_column(JSON, default=list)  # restricted: the download groups of every table
    state: Mapped[str] = mapped_column(String(20), index=True, default=ReportState.COLLECTING.value)
    workbook_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # stored by the worker
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[User] = relationship(lazy="joined")
    members: Mapped[list["ReportMember"]] = relationship(
        back_populates="report", order_by="ReportMember.position", lazy="selectin", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def full_title(self) -> str:
        """ "Bevölkerung aktuell, KW 47/2026" """
        return f"{self.title}, {self.period}" if self.period else self.title

    @property
    def state_enum(self) -> ReportState:
        return ReportState(self.state)


class ReportMember(Base):
    __tablename__ = "report_members"
    __table_args__ = (UniqueConstraint("submission_id", name="uq_report_members_submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))  # a table is in one report at most
    position: Mapped[int] = mapped_column(Integer)  # order of the sheets and of the list on the page
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report] = relationship(back_populates="members")
    submission: Mapped[Submission] = relationship(lazy="joined")
