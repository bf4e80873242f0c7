"""Stop and withdraw (issue 14 item 5).

* :func:`stop_release` - APPROVED or PUBLISHING → WITHDRAWN (DPO or admin, reason required): pending
  publication jobs end without effect at once (``{"skipped": "stopped"}``); every target of the approved
  manifest gets a ``purpose="withdraw"`` job, so a target a running job still reaches is taken back too.
* :func:`withdraw_release` - PUBLISHED → WITHDRAWN (:func:`publisher.services.review.withdraw_release`).
* :func:`info` - what the public sees: "zurückgezogen" with date and reason (never who).
* :func:`perform` - the worker's side of a withdraw job (one call from :mod:`publisher.worker`): the download
  area serves nothing of a withdrawn release (access is checked against the submission's state, files are
  not cached long); CKAN: the dataset of the series is made private only when it shows exactly this version
  (one dataset per series is overwritten by each release today; an older withdrawn version is no longer on
  the portal). A withdraw job waits while a publish job of the same target is still running.

Every change is one transaction with its audit row (the workflow transitions' events ``release.stopped`` /
``release.withdrawn`` plus ``publication.withdraw_queued`` per target).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from publisher import audit
from publisher.models import Decision, PublicationJob, Submission
from publisher.services import review
from publisher.workflow import State, check_user_can


def _queue(c, actor, sub: Submission, targets, text: str) -> None:
    v = sub.current_version
    for target in sorted(set(targets)):
        exists = c.session.execute(select(PublicationJob).where(
            PublicationJob.version_id == v.id, PublicationJob.target == target,
            PublicationJob.purpose == "withdraw")).scalar_one_or_none()
        if exists is not None:
            continue
        job = PublicationJob(submission_id=sub.id, version_id=v.id, artifact_sha256=v.artifact_sha256 or "",
                             target=target, purpose="withdraw", state="pending", next_attempt_at=c.now(),
                             created_at=c.now(), updated_at=c.now())
        c.session.add(job)
        c.session.flush()
        audit.record(c.session, actor, "publication.withdraw_queued", job,
                     {"submission": sub.id, "target": target, "comment": text})


def stop_release(c, actor, submission_id, reason: str) -> Submission:
    """Stop an approved release before (or while) it is published; nothing more leaves Freigabe."""
    def go():
        sub = review._load(c, submission_id)
        t = check_user_can("stop_release", actor, sub, c.settings)
        text = review._comment("stop_release", reason, True)
        v = sub.current_version
        review._apply(c, actor, sub, t, comment=text, artifact_sha256=v.artifact_sha256)
        jobs = c.session.execute(select(PublicationJob).where(
            PublicationJob.version_id == v.id, PublicationJob.purpose == "publish")).scalars().all()
        for job in jobs:
            if job.state == "pending":
                job.state, job.result, job.done_at, job.updated_at = "done", {"skipped": "stopped"}, c.now(), c.now()
                audit.record(c.session, actor, "publication.job_cancelled", job,
                             {"job": job.id, "target": job.target, "submission": sub.id})
        reached = [j.target for j in jobs if j.state in ("running", "failed") or (
            j.state == "done" and not (j.result or {}).get("skipped"))]
        _queue(c, actor, sub, reached, text)
        return review._finish(c, sub)
    return review._run(c, go)


def withdraw_release(c, actor, submission_id, reason: str) -> Submission:
    return review.withdraw_release(c, actor, submission_id, reason)


def info(c, sub: Submission) -> dict[str, Any] | None:
    """``{"kind": "withdrawn"|"stopped", "at": datetime, "reason": str}`` of a taken-back release, else None."""
    if sub.state != State.WITHDRAWN.value:
        return None
    d = c.session.execute(select(Decision).where(
        Decision.submission_id == sub.id, Decision.action.in_(["withdraw_release", "stop_release"]))
        .order_by(Decision.id.desc())).scalars().first()
    if d is None:
        return None
    return {"kind": "withdrawn" if d.action == "withdraw_release" else "stopped", "at": d.created_at,
            "reason": d.comment}


# --- the worker's side -------------------------------------------------------------------------------------

class WithdrawWaits(Exception):
    """A publish job of the same target is still running: retry the withdraw job later."""


def _released_version(c, sub: Submission, version) -> str | None:
    for job in c.session.execute(select(PublicationJob).where(
            PublicationJob.version_id == version.id, PublicationJob.purpose == "publish",
            PublicationJob.state == "done")).scalars():
        v = (job.result or {}).get("version")
        if v:
            return str(v)
    return None


def perform(c, job, sub: Submission, version, ckan_target=None) -> dict[str, Any]:
    """Take the release back at ``job.target``.  Raises :class:`WithdrawWaits` while a publish job of the same
    version and target is still running (so the withdrawal cannot overtake it)."""
    running = c.session.execute(select(PublicationJob.id).where(
        PublicationJob.version_id == version.id, PublicationJob.target == job.target,
        PublicationJob.purpose == "publish", PublicationJob.state == "running")).first()
    if running is not None:
        raise WithdrawWaits(job.target)
    what = info(c, sub) or {}
    when = what.get("at")
    notice = (f"Zurückgezogen am {when.date().isoformat() if when else ''}: {what.get('reason') or ''}").strip()
    if job.target == "ckan":
        from publisher.publication import package_name

        if ckan_target is None:
            return {"skipped": "ckan off"}
        name = package_name(sub.series.slug)
        mine = _released_version(c, sub, version)
        current = ckan_target.dataset(name)
        if current is None:
            return {"withdrawn": True, "changed": False, "ckan": "not on the portal"}
        if mine is not None and str(current.get("version") or "") not in ("", mine):
            # the portal shows another (later) version of the series: this one is not there any more
            return {"withdrawn": True, "changed": False, "ckan": f"portal shows {current.get('version')}"}
        changed = ckan_target.withdraw(name, notice)
        return {"withdrawn": True, "changed": bool(changed), "ckan": "dataset private"}
    return {"withdrawn": True, "notice": notice}  # download area: access follows the submission's state


__all__ = ["stop_release", "withdraw_release", "info", "perform", "WithdrawWaits"]
