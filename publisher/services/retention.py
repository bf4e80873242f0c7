"""Retention (DSGVO data minimisation): raw uploads are deleted ``RETENTION_DAYS`` after publication or
rejection (also after withdrawal).  Releasable artifacts and reports stay.  Each deletion is audited.

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
    return report
