"""The download area (issue 4 item 3): what a user may see and download, and the download records.

The publication worker writes released files into :class:`catalog.LocalStorage` and records each release in
``publication_jobs.result`` (target ``download``, purpose ``publish``, state ``done``).  This service reads
those jobs to know which topic/series/version belongs to which submission, its audience and groups, and
whether the submission is still published (``published``) or was withdrawn (``withdrawn``).

Access: audience ``public`` → everyone incl. anonymous; ``restricted`` → members of one of the release's
groups, admins and approvers.  Every successful download is recorded (:class:`DownloadRecord`) in ONE
transaction with its audit row; a refusal writes only a ``download.refused`` audit row.
This module is the only writer of download records.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select

from disclosure_rules.findings import Severity, register
from publisher import audit
from publisher.models import PublicationJob, Submission
from publisher.models_downloads import DownloadRecord
from publisher.services.errors import Forbidden, Gone, NotFound, ServiceError, not_found
from publisher.targets import DOWNLOAD_AREA
from publisher.workflow import State

DOWNLOAD_FORBIDDEN = register(
    "publisher.download.forbidden", Severity.ERROR,
    "Die Veröffentlichung {what} ist nur für die Gruppen {groups} freigegeben.",
    "The release {what} is only available to the groups {groups}.")
DOWNLOAD_WITHDRAWN = register(
    "publisher.download.withdrawn", Severity.ERROR,
    "Die Veröffentlichung {what} wurde zurückgezogen; ihre Dateien werden nicht mehr ausgeliefert.",
    "The release {what} was withdrawn; its files are no longer served.")

MEDIA_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".zip": "application/zip",
               ".ttl": "text/turtle; charset=utf-8",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DEFAULT_RETENTION_DAYS = 365


@dataclass
class Release:
    submission_id: int
    title: str
    topic: str
    series: str
    version: str
    files: dict[str, str]
    audience: str
    groups: list[str]
    withdrawn: bool
    published_at: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None  # issue 14: shown publicly with the reason
    withdrawn_reason: str = ""


@dataclass
class SeriesView:
    topic: str
    series: str
    title: str
    versions: list[Release] = field(default_factory=list)
    latest: str | None = None


def _releases(c) -> list[Release]:
    rows = c.session.execute(
        select(PublicationJob, Submission).join(Submission, Submission.id == PublicationJob.submission_id)
        .where(PublicationJob.target == DOWNLOAD_AREA, PublicationJob.purpose == "publish",
               PublicationJob.state == "done").order_by(PublicationJob.id)).all()
    out = []
    for job, sub in rows:
        r = job.result or {}
        if not r.get("version") or sub.state not in (State.PUBLISHED.value, State.WITHDRAWN.value):
            continue
        rel = Release(sub.id, sub.series.title if sub.series else r["series"], r["topic"], r["series"],
                      r["version"], dict(r.get("files") or {}), r.get("audience", "public"),
                      list(r.get("groups") or []), sub.state == State.WITHDRAWN.value, job.updated_at)
        if rel.withdrawn:
            from publisher.services.withdrawal import info

            w = info(c, sub) or {}
            rel.withdrawn_at, rel.withdrawn_reason = w.get("at"), str(w.get("reason") or "")
        out.append(rel)
    return out


def locations(c, rel: Release) -> list[tuple[str, dict, str]]:
    """Where else the exactly published version of a public release lives: (target key, label, URL) from the
    done publish jobs of its version, as the registry's targets report them (e.g. the portal's dataset)."""
    from publisher.targets import registry

    if rel.audience != "public" or rel.withdrawn:
        return []
    sub = c.session.get(Submission, rel.submission_id)
    jobs = c.session.execute(
        select(PublicationJob).where(PublicationJob.submission_id == rel.submission_id,
                                     PublicationJob.version_id == sub.current_version_id,
                                     PublicationJob.target != DOWNLOAD_AREA, PublicationJob.purpose == "publish",
                                     PublicationJob.state == "done").order_by(PublicationJob.id)).scalars().all()
    return registry(c.settings).locations({j.target: j.result or {} for j in jobs})


def may_see(actor, rel: Release) -> bool:
    if rel.audience == "public":
        return True
    if actor is None or not getattr(actor, "active", True):
        return False
    if actor.role in ("admin", "approver"):
        return True
    return bool({g.name for g in actor.groups} & set(rel.groups))


def list_series(c, actor) -> dict[str, list[SeriesView]]:
    """topic → series (with versions, newest last) visible to ``actor`` (None = anonymous)."""
    from catalog.storage import _version_sort_key

    topics: dict[str, dict[str, SeriesView]] = {}
    for rel in _releases(c):
        if not may_see(actor, rel):
            continue
        sv = topics.setdefault(rel.topic, {}).setdefault(rel.series, SeriesView(rel.topic, rel.series, rel.title))
        sv.versions.append(rel)
    for series in topics.values():
        for sv in series.values():
            sv.versions.sort(key=lambda r: _version_sort_key(r.version))
            live = [r for r in sv.versions if not r.withdrawn]
            sv.latest = live[-1].version if live else None
    return {t: sorted(s.values(), key=lambda x: x.series) for t, s in sorted(topics.items())}


def release_for_submission(c, actor, submission_id: int) -> Release:
    """Issue 14: a release the actor may not see answers 404 like one that does not exist (nothing about its
    version or groups)."""
    for rel in _releases(c):
        if rel.submission_id == submission_id and may_see(actor, rel):
            return rel
    raise not_found("Veröffentlichung", submission_id)


def _exists(c, topic: str, series: str) -> bool:
    return any(r.topic == topic and r.series == series for r in _releases(c))


def _forbidden(rel: Release) -> Forbidden:
    return Forbidden(DOWNLOAD_FORBIDDEN, what=f"{rel.topic}/{rel.series}/{rel.version}",
                     groups=", ".join(rel.groups) or "-")


def _find(c, actor, topic: str, series: str, version: str) -> tuple[Release | None, list[Release]]:
    """The release a link names, among the releases ``actor`` may see (issue 14: "latest" is the newest
    live version *this reader* may see; a restricted version is not found for anyone else)."""
    from catalog.storage import _version_sort_key

    cands = [r for r in _releases(c) if r.topic == topic and r.series == series and may_see(actor, r)]
    if version == "latest":
        live = sorted((r for r in cands if not r.withdrawn), key=lambda r: _version_sort_key(r.version))
        return (live[-1] if live else None), cands
    return next((r for r in cands if r.version == version), None), cands


def open_file(c, actor, topic: str, series: str, version_or_latest: str, filename: str) -> tuple[bytes, str, Release]:
    """Bytes + media type of a released file after the permission check; records the download."""
    from catalog import LocalStorage

    who = actor.username if actor is not None else "anonymous"
    what = f"{topic}/{series}/{version_or_latest}/{filename}"
    try:
        rel, cands = _find(c, actor, topic, series, version_or_latest)
        if rel is None:
            # "latest" of a series whose visible releases are all withdrawn
            if cands and version_or_latest == "latest":
                raise Gone(DOWNLOAD_WITHDRAWN, what=f"{topic}/{series}")
            raise not_found("Datei", what)
        if rel.withdrawn:
            raise Gone(DOWNLOAD_WITHDRAWN, what=f"{topic}/{series}/{rel.version}")
        if filename not in rel.files:
            raise not_found("Datei", what)
        from catalog.storage import version_key

        data = LocalStorage(c.settings["DOWNLOAD_DIR"]).get(version_key(topic, series, rel.version, filename))
    except (Forbidden, Gone, NotFound) as exc:
        c.session.rollback()
        # refusals of logged-in users are audited; anonymous requests never add audit rows (issue 14 item 8)
        if actor is not None and (not isinstance(exc, NotFound) or _exists(c, topic, series)):
            audit.record(c.session, actor, "download.refused", None,
                         {"what": what, "code": exc.code}, object_type="download", object_id=what)
            c.session.commit()
        raise
    except ServiceError:
        c.session.rollback()
        raise
    except Exception as exc:  # storage key invalid / file missing
        c.session.rollback()
        raise not_found("Datei", what) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != rel.files[filename]:
        raise NotFound(not_found("Datei", what).findings)
    try:
        rec = DownloadRecord(at=c.now(), user_id=actor.id if actor is not None else None, username=who,
                             submission_id=rel.submission_id, topic=topic, series=series, version=rel.version,
                             requested=version_or_latest, filename=filename, sha256=digest, size=len(data))
        c.session.add(rec)
        c.session.flush()
        audit.record(c.session, actor, "download.file", rec,
                     {"topic": topic, "series": series, "version": rel.version, "filename": filename,
                      "sha256": digest})
        c.session.commit()
    except Exception:
        c.session.rollback()
        raise
    ext = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
    return data, MEDIA_TYPES.get(ext, "application/octet-stream"), rel


def list_download_records(c) -> list[DownloadRecord]:
    return list(c.session.execute(select(DownloadRecord).order_by(DownloadRecord.id)).scalars())


def purge_download_log(c, now: dt.datetime | None = None, actor: Any = None) -> int:
    """Delete download records older than ``DOWNLOAD_LOG_RETENTION_DAYS`` (default 365); audited."""
    now = now or c.now()
    days = int(c.settings.get("DOWNLOAD_LOG_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
    cutoff = now - dt.timedelta(days=days)
    try:
        n = c.session.execute(delete(DownloadRecord).where(DownloadRecord.at < cutoff)).rowcount or 0
        audit.record(c.session, actor or "system", "download.log_purged", None,
                     {"deleted": n, "cutoff": cutoff.isoformat(), "days": days},
                     object_type="download_records", object_id="")
        c.session.commit()
    except Exception:
        c.session.rollback()
        raise
    return n
