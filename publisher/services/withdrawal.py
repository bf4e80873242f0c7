"""Stop and withdraw (issue 14 item 5).

* :func:`stop_release` - APPROVED or PUBLISHING → WITHDRAWN (DPO or admin, reason required): pending
  publication jobs end without effect at once (``{"skipped": "stopped"}``); every target of the approved
  manifest gets a ``purpose=JobPurpose.WITHDRAW.value`` job, so a target a running job still reaches is taken back too.
* :func:`withdraw_release` - PUBLISHED → WITHDRAWN (:func:`publisher.services.review.withdraw_release`).
* :func:`info` - what the public sees: "zurückgezogen" with date and reason (never who).
* :func:`perform` - the worker's side of a withdraw job (one call from :mod:`publisher.worker`), through the
  Target protocol (:meth:`catalog.targets.Target.withdraw` of the registry's target): the download area serves
  nothing of a withdrawn release (access is checked against the submission's state, files are not cached
  long); CKAN deletes exactly this version's resources (per-version history, issue 15: the dataset's latest
  becomes the newest version left; private only when no version is left). A withdraw job waits while a
  publish job of the same target is still running.

Every change is one transaction with its audit row (the workflow transitions' events ``release.stopped`` /
``release.withdrawn`` plus ``publication.withdraw_queued`` per target).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from publisher import audit
from publisher.job_states import JobPurpose, JobState, check_job_transition
from publisher.models import Decision, PublicationJob, Submission
from publisher.services import review
from publisher.workflow import Role, State, check_user_can


def _queue(c, actor, sub: Submission, targets, text: str) -> None:
    v = sub.current_version
    for target in sorted(set(targets)):
        exists = c.session.execute(select(PublicationJob).where(
            PublicationJob.version_id == v.id, PublicationJob.target == target,
            PublicationJob.purpose == JobPurpose.WITHDRAW.value)).scalar_one_or_none()
        if exists is None:
            queue_withdrawal(c, actor, sub, target, text)


def queue_withdrawal(c, actor, sub: Submission, target: str, text: str) -> PublicationJob:
    """One withdrawal job of the current version for ``target``, audited, in the caller's transaction."""
    v = sub.current_version
    job = PublicationJob(submission_id=sub.id, version_id=v.id, artifact_sha256=v.artifact_sha256 or "",
                         target=target, purpose=JobPurpose.WITHDRAW.value, state=JobState.PENDING.value,
                         next_attempt_at=c.now(), created_at=c.now(), updated_at=c.now())
    c.session.add(job)
    c.session.flush()
    audit.record(c.session, actor, "publication.withdraw_queued", job,
                 {"submission": sub.id, "target": target, "comment": text})
    return job


def stop_release(c, actor, submission_id, reason: str) -> Submission:
    """Stop an approved release before (or while) it is published; nothing more leaves Freigabe."""
    def go():
        sub = review._load(c, submission_id)
        check_user_can("stop_release", actor, sub, c.settings)  # permission before the comment (403, not 422)
        text = review._comment("stop_release", reason, True)
        stop_release_in(c, actor, sub, text)
        return review._finish(c, sub)
    return review._run(c, go)


def stop_release_in(c, actor, sub: Submission, text: str) -> None:
    """The body of :func:`stop_release` in the caller's transaction (also used by a report's withdrawal)."""
    t = check_user_can("stop_release", actor, sub, c.settings)
    v = sub.current_version
    review._apply(c, actor, sub, t, comment=text, artifact_sha256=v.artifact_sha256)
    jobs = c.session.execute(select(PublicationJob).where(
        PublicationJob.version_id == v.id, PublicationJob.purpose == JobPurpose.PUBLISH.value)).scalars().all()
    for job in jobs:
        if job.state == JobState.PENDING.value:
            jt = check_job_transition("cancel", job.state, Role(actor.role))
            job.state, job.result, job.done_at, job.updated_at = jt.target.value, {"skipped": "stopped"}, c.now(), c.now()
            audit.record(c.session, actor, jt.audit_event, job,
                         {"job": job.id, "target": job.target, "submission": sub.id})
    reached = [j.target for j in jobs if j.state in ("running", "failed") or (
        j.state == "done" and not (j.result or {}).get("skipped"))]
    _queue(c, actor, sub, reached, text)


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


def _published_result(c, version, target_key: str) -> dict[str, Any]:
    """What the done publish job of ``version`` at this target returned (empty: never published there)."""
    job = c.session.execute(select(PublicationJob).where(
        PublicationJob.version_id == version.id, PublicationJob.target == target_key,
        PublicationJob.purpose == JobPurpose.PUBLISH.value, PublicationJob.state == "done")
        .order_by(PublicationJob.id.desc())).scalars().first()
    return dict((job.result or {}) if job is not None else {})


def perform(c, job, sub: Submission, version, target) -> dict[str, Any]:
    """Take exactly the published version back at ``target`` (a :class:`catalog.targets.Target` from the
    registry; CKAN deletes only this version's resources, the download area serves it no more).  Raises
    :class:`WithdrawWaits` while a publish job of the same version and target is still running (so the
    withdrawal cannot overtake it)."""
    from catalog.targets import ReleaseRef
    from publisher.publication import package_name

    running = c.session.execute(select(PublicationJob.id).where(
        PublicationJob.version_id == version.id, PublicationJob.target == job.target,
        PublicationJob.purpose == JobPurpose.PUBLISH.value, PublicationJob.state == "running")).first()
    if running is not None:
        raise WithdrawWaits(job.target)
    result = _published_result(c, version, job.target)
    if result.get("skipped"):
        return {"withdrawn": True, "changed": False, "skipped": "never published to this target"}
    if not result.get("version"):
        attempted = c.session.execute(select(PublicationJob.id).where(
            PublicationJob.version_id == version.id, PublicationJob.target == job.target,
            PublicationJob.purpose == JobPurpose.PUBLISH.value, PublicationJob.attempts > 0)).first()
        if attempted is None:
            return {"withdrawn": True, "changed": False, "skipped": "never published to this target"}
        # a publish job that failed may have reached the target part-way: take back what carries its version
        from publisher.services import audience

        result = {"version": audience.release_version(c, sub, version)}
    what = info(c, sub) or {}
    when = what.get("at")
    notice = (f"Zurückgezogen am {when.date().isoformat() if when else ''}: {what.get('reason') or ''}").strip()
    ref = ReleaseRef(name=result.get("series") or result.get("dataset_name") or package_name(sub.series.slug),
                     version=str(result["version"]), topic=result.get("topic") or "statistik", notice=notice,
                     result=result)
    return {**target.withdraw(ref), "notice": notice}


__all__ = ["stop_release", "withdraw_release", "info", "perform", "WithdrawWaits"]
