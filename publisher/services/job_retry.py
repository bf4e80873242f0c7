"""Failed publications: visible, announced, retryable (issue 14 item 10).

* :func:`failure` - a job's stored error as a typed failure (stable code, German and English message, the
  validation problems, whether a retry can help).
* :func:`notify_failed` - called by :mod:`publisher.services.publication` in the transaction that marks a job
  failed: one :class:`~publisher.models_ledger.Notification` for the submitter and one for the DPOs (kind
  ``publication_failed``; shown on their dashboards).
* :func:`failed_jobs` - the list "Veröffentlichung fehlgeschlagen" (DPO and admins: all; a submitter: their
  own submissions').
* :func:`retry` - FAILED → PENDING (:data:`publisher.job_states.JOB_TRANSITIONS`, action ``retry``), DPO or
  admin only, one transaction with its audit row ``publication.job_retried``; the worker then runs the job
  again with every check (approval, manifest, bytes, rules).  A failure whose cause is the release itself
  (:data:`~publisher.job_states.NOT_RETRYABLE`) is refused (409): that needs a new version and a new approval.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from disclosure_rules.findings import Severity, register
from sqlalchemy import select

from publisher import audit
from publisher.i18n import N_
from publisher.job_states import NOT_RETRYABLE, JobPurpose, JobState, check_job_transition
from publisher.models import PublicationJob, Submission
from publisher.services import errors as E
from publisher.workflow import Role, State

NOT_RETRYABLE_CODE = register(
    "publisher.job_not_retryable", Severity.ERROR,
    "Der Auftrag {job} ist mit {code} an der Freigabe selbst gescheitert; ein neuer Versuch hilft nicht. "
    "Reichen Sie eine neue Version ein; sie braucht eine neue Freigabe.",
    "Job {job} failed with {code}, caused by the approved release itself; retrying cannot help. Submit a new "
    "version; it needs a new approval.")

#: messages of the worker's own failure codes (the others carry message_de/message_en themselves)
WORKER_MESSAGES = {
    "FG-PUB-UNEXPECTED": (N_("Unerwarteter Fehler bei der Veröffentlichung (Details im Protokoll des Workers)."),
                          "Unexpected error while publishing (details in the worker's log)."),
    "FG-PUB-WITHDRAW-WAITS": (N_("Das Zurücknehmen wartet, bis die laufende Veröffentlichung fertig ist."),
                              "The withdrawal waits until the running publication has finished."),
    "FG-PUB-PACKAGE-INVALID": (N_("Das Datenpaket ist nicht gültig (Frictionless-Prüfung); siehe die Probleme."),
                               "The data package is not valid (Frictionless validation); see the problems."),
}
JOB_NOT_FAILED = register(
    "publisher.job_not_failed", Severity.ERROR,
    "Der Auftrag {job} ist nicht fehlgeschlagen (Stand „{state}“); nur fehlgeschlagene Aufträge werden neu versucht.",
    "Job {job} has not failed (state '{state}'); only failed jobs are retried.")
JOB = N_("Veröffentlichungsauftrag")
JOBS = N_("Veröffentlichungsaufträge")
RETRY_ROLES = frozenset({Role.APPROVER, Role.ADMIN})


@dataclass(frozen=True)
class JobFailure:
    code: str
    message_de: str
    message_en: str
    problems: list[str] = field(default_factory=list)
    retryable: bool = True

    def message(self, lang: str = "de") -> str:
        return self.message_en if lang == "en" else self.message_de

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_de": self.message_de, "message_en": self.message_en,
                "problems": self.problems, "retryable": self.retryable}


def failure(last_error: str | None) -> JobFailure | None:
    """The typed failure of a job's stored error (None: no error)."""
    if not last_error:
        return None
    try:
        err = json.loads(last_error)
    except ValueError:
        err = {"message": str(last_error)}
    if not isinstance(err, dict):
        err = {"message": str(err)}
    code = str(err.get("code") or "FG-PUB-UNEXPECTED")
    de, en = err.get("message_de"), err.get("message_en")
    if not (de and en):
        known = WORKER_MESSAGES.get(code)
        de = de or (known[0] if known else str(err.get("message") or code))
        en = en or (known[1] if known else str(err.get("message") or code))
    problems = [str(e.get("message") or e.get("note") or e.get("type") or e) if isinstance(e, dict) else str(e)
                for e in (err.get("report") or {}).get("errors", [])][:20]
    return JobFailure(code, str(de), str(en), problems, code not in NOT_RETRYABLE)


# --- notification (inside the transaction that fails the job) ---------------------------------------------

def notify_failed(c, job: PublicationJob, error: dict[str, Any]) -> None:
    """Tell the submitter and the DPOs; one row each (the dashboards show them)."""
    from publisher.models_ledger import Notification

    sub = c.session.get(Submission, job.submission_id)
    f = failure(audit.canonical_json(audit.json_safe(error))) or JobFailure("FG-PUB-UNEXPECTED", "", "")
    details = {"job": job.id, "target": job.target, "purpose": job.purpose, "code": f.code,
               "message_de": f.message_de, "message_en": f.message_en, "retryable": f.retryable}
    rows = [Notification(created_at=c.now(), role=Role.APPROVER.value, user_id=None, kind="publication_failed",
                         submission_id=job.submission_id, details=details)]
    if sub is not None and sub.submitter_id is not None:
        rows.append(Notification(created_at=c.now(), role=Role.SUBMITTER.value, user_id=sub.submitter_id,
                                 kind="publication_failed", submission_id=job.submission_id, details=details))
    c.session.add_all(rows)


def notifications_for(c, user) -> list:
    """The notifications a user reads: DPOs/admins the approver-role ones, anyone those addressed to them."""
    from publisher.models_ledger import Notification

    q = select(Notification).order_by(Notification.id.desc()).limit(50)
    if Role(user.role) in (Role.APPROVER, Role.ADMIN):
        q = q.where((Notification.user_id == user.id) | (Notification.user_id.is_(None)))
    else:
        q = q.where(Notification.user_id == user.id)
    return list(c.session.execute(q).scalars())


# --- read side ------------------------------------------------------------------------------------------

def failed_jobs(c, actor) -> list[dict[str, Any]]:
    """Failed jobs the actor may see, newest first, with their typed failure (``actor=None``: the operator
    on the command line, all of them)."""
    if actor is not None and Role(actor.role) not in (Role.SUBMITTER, Role.APPROVER, Role.ADMIN):
        raise E.forbidden_view(JOBS)
    q = (select(PublicationJob, Submission).join(Submission, Submission.id == PublicationJob.submission_id)
         .where(PublicationJob.state == JobState.FAILED.value).order_by(PublicationJob.updated_at.desc(),
                                                                        PublicationJob.id.desc()))
    if actor is not None and Role(actor.role) == Role.SUBMITTER:
        q = q.where(Submission.submitter_id == actor.id)
    return [{"job": job, "submission": sub, "failure": failure(job.last_error)}
            for job, sub in c.session.execute(q).all()]


def job_dict(job: PublicationJob) -> dict[str, Any]:
    f = failure(job.last_error)
    return {"id": job.id, "submission_id": job.submission_id, "version_id": job.version_id, "target": job.target,
            "purpose": job.purpose, "state": job.state, "attempts": job.attempts,
            "updated_at": job.updated_at.isoformat() if job.updated_at else None,
            "error": f.to_dict() if f is not None else None}


# --- retry ------------------------------------------------------------------------------------------------

def _load(c, job_id) -> PublicationJob:
    try:
        jid = int(job_id)
    except (TypeError, ValueError):
        raise E.not_found(JOB, job_id) from None
    job = c.session.get(PublicationJob, jid, with_for_update=True)
    if job is None:
        raise E.not_found(JOB, job_id)
    return job


def retry(c, actor, job_id, comment: str = "") -> PublicationJob:
    """Run a failed job again (DPO or admin).  403 for other roles, 409 unless the job is failed, its
    submission still to be published (or, for a withdraw job, withdrawn) and its cause retryable."""
    s = c.session
    try:
        role = Role(actor.role) if actor is not None else Role.SYSTEM
        if actor is not None and not actor.active:
            raise E.Forbidden(E.FORBIDDEN_INACTIVE, user=actor.username)
        if role not in RETRY_ROLES:
            raise E.forbidden_role("retry_publication", role, RETRY_ROLES)
        job = _load(c, job_id)
        if job.state != JobState.FAILED.value:
            raise E.WrongState(JOB_NOT_FAILED, job=job.id, state=job.state)
        sub = s.get(Submission, job.submission_id)
        wanted = (State.WITHDRAWN.value,) if job.purpose == JobPurpose.WITHDRAW.value else (
            State.APPROVED.value, State.PUBLISHING.value)
        if sub.state not in wanted or job.version_id != sub.current_version_id:
            raise E.wrong_state("retry_publication", sub.state)
        f = failure(job.last_error)
        if f is not None and not f.retryable:
            raise E.WrongState(NOT_RETRYABLE_CODE, job=job.id, code=f.code)
        t = check_job_transition("retry", job.state, role)
        now = c.now()
        job.state, job.attempts, job.next_attempt_at, job.updated_at = t.target.value, 0, now, now
        job.locked_by = job.locked_at = None
        job.last_error = None  # the failure stays in the audit (previous_error) and in the job_failed event
        audit.record(s, actor, t.audit_event, job,
                     {"job": job.id, "submission": job.submission_id, "target": job.target, "purpose": job.purpose,
                      "previous_error": f.to_dict() if f is not None else None,
                      "comment": str(comment or "")[:2000]})
        s.commit()
        return job
    except BaseException:
        s.rollback()
        raise


__all__ = ["JobFailure", "failure", "notify_failed", "notifications_for", "failed_jobs", "job_dict", "retry",
           "NOT_RETRYABLE_CODE"]
