"""Publication jobs (the outbox written by :func:`publisher.services.review.approve`).

The worker (:mod:`publisher.worker`) claims a job, performs the side effect outside any transaction, and
settles the job here.  Every change is one transaction with its audit row.

Claiming is safe with concurrent workers on both backends: the candidate is selected with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and taken with a conditional UPDATE on its current state and
``attempts`` (a compare-and-set), so two workers can never both hold a job.  A job whose worker died
(``running`` with a lease older than ``WORKER_LEASE_SECONDS``) is taken over.

Every state change follows the jobs' one transition table (:mod:`publisher.job_states`).  A job that fails
for good notifies the submitter and the DPOs in the same transaction (:func:`publisher.services.job_retry.
notify_failed`); the DPO or an admin retries it (:func:`publisher.services.job_retry.retry`).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_, select

from publisher import audit
from publisher.job_states import JobState, check_job_transition
from publisher.models import PublicationJob, Submission
from publisher.services import leases
from publisher.workflow import State

DEFAULT_LEASE_S = 600


def _lease(c) -> dt.timedelta:
    return dt.timedelta(seconds=int(c.settings.get("WORKER_LEASE_SECONDS") or DEFAULT_LEASE_S))


def backoff(attempts: int, base_s: float = 5.0, cap_s: float = 3600.0) -> dt.timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s, ... capped at one hour."""
    return dt.timedelta(seconds=min(cap_s, base_s * (2 ** max(0, attempts - 1))))


def claim(c, worker_id: str) -> PublicationJob | None:
    """Take the next due job (or a job whose worker's lease ran out); None when there is none."""
    now = c.now()
    due = or_(
        and_(PublicationJob.state == JobState.PENDING.value, PublicationJob.next_attempt_at <= now),
        and_(PublicationJob.state == JobState.RUNNING.value, PublicationJob.locked_at < now - _lease(c)),
    )

    def transition(state: str):
        return check_job_transition("claim" if state == JobState.PENDING.value else "take_over", state)

    def audit_take_over(job: PublicationJob, state: str, attempts: int) -> None:
        event = transition(state).audit_event
        if event is not None:
            audit.record(c.session, "system", event, job, {"job": job.id, "worker": worker_id,
                                                           "attempt": attempts + 1})

    return leases.claim_due(c.session, PublicationJob, due, worker_id=worker_id, now=now,
                            target_of=lambda state: transition(state).target.value, extra={"updated_at": now},
                            on_claimed=audit_take_over)


def _settle(c, job_id: int, worker_id: str, change) -> PublicationJob | None:
    def go(job: PublicationJob) -> None:
        job.updated_at = c.now()
        change(job)
    return leases.settle(c.session, PublicationJob, job_id, worker_id, JobState.RUNNING.value, go)


def succeed(c, job_id: int, worker_id: str, result: dict[str, Any]) -> PublicationJob | None:
    def go(job: PublicationJob) -> None:
        t = check_job_transition("succeed", job.state)
        job.state, job.result, job.done_at, job.last_error = t.target.value, audit.json_safe(result), c.now(), None
        audit.record(c.session, "system", f"publication.{job.purpose}_done", job,
                     {"job": job.id, "target": job.target, "submission": job.submission_id,
                      "artifact_sha256": job.artifact_sha256, "result": audit.json_safe(result)})
    return _settle(c, job_id, worker_id, go)


def retry_later(c, job_id: int, worker_id: str, error: dict[str, Any]) -> PublicationJob | None:
    """A passing failure (CKAN down, timeout, 5xx): back to pending with backoff, or failed after the limit."""
    limit = int(c.settings.get("WORKER_MAX_ATTEMPTS") or 8)

    def go(job: PublicationJob) -> None:
        job.last_error = audit.canonical_json(audit.json_safe(error))
        if job.attempts >= limit:
            t = check_job_transition("give_up", job.state)
            job.state = t.target.value
            audit.record(c.session, "system", t.audit_event, job,
                         {"job": job.id, "target": job.target, "attempts": job.attempts, "error": error})
            _notify(c, job, error)
        else:
            job.state = check_job_transition("retry_later", job.state).target.value
            job.next_attempt_at = c.now() + backoff(job.attempts)
            audit.record(c.session, "system", "publication.job_retry", job,
                         {"job": job.id, "target": job.target, "attempts": job.attempts,
                          "next_attempt_at": job.next_attempt_at.isoformat(), "error": error})
    return _settle(c, job_id, worker_id, go)


def fail(c, job_id: int, worker_id: str, error: dict[str, Any], *, alert: bool = False) -> PublicationJob | None:
    """A permanent failure (hash mismatch, rules fail, invalid package, CKAN validation): no retry."""
    def go(job: PublicationJob) -> None:
        t = check_job_transition("fail", job.state)
        job.state, job.last_error = t.target.value, audit.canonical_json(audit.json_safe(error))
        audit.record(c.session, "system", "publication.alert" if alert else t.audit_event, job,
                     {"job": job.id, "target": job.target, "submission": job.submission_id, "error": error})
        _notify(c, job, error)
    return _settle(c, job_id, worker_id, go)


def _notify(c, job: PublicationJob, error: dict[str, Any]) -> None:
    from publisher.services import job_retry

    job_retry.notify_failed(c, job, error)


def skip(c, job_id: int, worker_id: str, reason: str) -> PublicationJob | None:
    """The release is no longer to be published (e.g. withdrawn meanwhile): the job ends without effect."""
    return succeed(c, job_id, worker_id, {"skipped": reason})


def jobs_for(c, submission_id: int, purpose: str = "publish") -> list[PublicationJob]:
    return list(c.session.execute(select(PublicationJob).where(
        PublicationJob.submission_id == submission_id, PublicationJob.purpose == purpose)
        .order_by(PublicationJob.id)).scalars())


def settle_submission(c, submission_id: int) -> Submission | None:
    """Move the submission along once its jobs are settled (PUBLISHING → PUBLISHED, or publication failed)."""
    from publisher.services import review

    sub = c.session.get(Submission, submission_id)
    c.session.rollback()
    if sub is None:
        return None
    jobs = jobs_for(c, submission_id)
    c.session.rollback()
    if not jobs or any(j.state in (JobState.PENDING.value, JobState.RUNNING.value) for j in jobs):
        return None
    state = State(sub.state)
    if state == State.APPROVED:
        sub = review.start_publishing(c, submission_id)
        state = State(sub.state)
    if state != State.PUBLISHING:
        return sub
    failed = [j for j in jobs if j.state == JobState.FAILED.value]
    if failed:
        return review.publication_failed(c, submission_id, "; ".join(
            f"{j.target}: {(j.last_error or '')[:300]}" for j in failed))
    return review.complete_publication(c, submission_id, {j.target: j.result for j in jobs})
