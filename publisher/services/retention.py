"""Retention (DSGVO data minimisation): raw uploads are deleted ``RETENTION_DAYS`` after publication or
rejection (also after withdrawal).  Releasable artifacts stay.  Each deletion is audited.  Issue 14: the
internal report and the findings' parameters (exact small counts, audit intervals) are redacted together with
the raw data and the stored report file is deleted.

A raw file is deleted only when every submission version referencing the same bytes is past retention
(content-addressed storage: identical uploads share one file).  The row in ``stored_files`` stays with
``deleted_at`` set, so links answer 404 and the audit trail keeps the hash.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from publisher import audit
from publisher.models import StoredFile, Submission, SubmissionVersion
from publisher.services import errors as E
from publisher.workflow import Role, State

FINAL = (State.PUBLISHED.value, State.REJECTED.value, State.WITHDRAWN.value)


@dataclass
class RetentionReport:
    deleted: list[str] = field(default_factory=list)  # sha256 of deleted raw files
    kept: int = 0  # raw files still inside their retention period or in use

    def message(self, lang: str = "de") -> str:
        if lang == "en":
            return f"{len(self.deleted)} raw upload(s) deleted, {self.kept} kept."
        return f"{len(self.deleted)} Rohdatei(en) gelöscht, {self.kept} behalten."


def _eligible(sub: Submission, cutoff: dt.datetime) -> bool:
    return sub.state in FINAL and sub.state_changed_at <= cutoff


def run(c, actor=None, now: dt.datetime | None = None) -> RetentionReport:
    if actor is not None and Role(actor.role) != Role.ADMIN:
        raise E.forbidden_role("retention", actor.role, ["admin"])
    now = now or c.now()
    cutoff = now - dt.timedelta(days=int(c.settings.get("RETENTION_DAYS", 90)))
    report = RetentionReport()
    # files whose deletion was committed but not carried out (crash between commit and unlink)
    for f in c.session.execute(select(StoredFile).where(StoredFile.kind == "raw",
                                                        StoredFile.deleted_at.is_not(None))).scalars():
        c.store.delete(f.sha256)
    rows = c.session.execute(select(StoredFile).where(StoredFile.kind == "raw", StoredFile.deleted_at.is_(None))
                             ).scalars().all()
    for f in rows:
        versions = c.session.execute(select(SubmissionVersion).where(SubmissionVersion.raw_sha256 == f.sha256)
                                     ).scalars().all()
        subs = {v.submission_id: v.submission for v in versions}
        if not subs or not all(_eligible(s, cutoff) for s in subs.values()):
            report.kept += 1
            continue
        try:
            f.deleted_at = now
            audit.record(c.session, actor or "system", "retention.raw_deleted", f,
                         {"sha256": f.sha256, "size": f.size, "submissions": sorted(subs),
                          "states": sorted({s.state for s in subs.values()}),
                          "retention_days": int(c.settings.get("RETENTION_DAYS", 90))},
                         object_type="stored_file", object_id=f.sha256)
            c.session.commit()
        except BaseException:
            c.session.rollback()
            raise
        c.store.delete(f.sha256)  # after commit: a crash in between leaves a file nobody can reach
        report.deleted.append(f.sha256)
        for v in versions:  # issue 14: the exact small counts go with the raw data
            _redact(c, actor, v, now)
    return report


REDACTED_KEYS = ("outcome", "level", "rule_set", "scope")


def _redact(c, actor, v: SubmissionVersion, now: dt.datetime) -> None:
    """Issue 14 item 9: the internal report (cell values, audit intervals, cross-release details) and the
    findings' parameters hold exact small counts; with the raw data they are reduced to what the public
    may know (outcome, level, finding codes), and the stored report file is deleted."""
    if (v.report or {}).get("redacted_at"):
        return
    try:
        kept = {k: (v.report or {}).get(k) for k in REDACTED_KEYS if k in (v.report or {})}
        v.report = {**kept, "redacted_at": now.isoformat(),
                    "note": "Nach Ablauf der Aufbewahrungsfrist mit den Rohdaten gelöscht / deleted with the raw data"}
        v.findings = [{"code": f.get("code"), "severity": f.get("severity"), "message_de": "", "message_en": ""}
                      for f in (v.findings or []) if isinstance(f, dict)]
        stored = c.session.get(StoredFile, v.report_sha256) if v.report_sha256 else None
        other = c.session.execute(select(SubmissionVersion.id).where(
            SubmissionVersion.report_sha256 == v.report_sha256, SubmissionVersion.id != v.id)).first()
        if stored is not None and stored.deleted_at is None and other is None:
            stored.deleted_at = now
        audit.record(c.session, actor or "system", "retention.report_redacted", v.submission,
                     {"version": v.number, "version_id": v.id}, object_type="submissions", object_id=v.submission_id)
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise
    if stored is not None and other is None:
        c.store.delete(stored.sha256)
