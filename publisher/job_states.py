"""THE transition table of a publication job (the outbox rows of :class:`publisher.models.PublicationJob`).

Every change of a job's state goes through :func:`check_job_transition` (called by
:mod:`publisher.services.publication`, :mod:`publisher.services.withdrawal` and
:mod:`publisher.services.job_retry`); a test asserts that every transition has an audit event with a label and
that every state is reachable.

    PENDING ──claim──▶ RUNNING ──succeed──▶ DONE
       ▲                 │ │ └──take_over (lease ran out)──▶ RUNNING
       │                 │ └──fail / give_up──▶ FAILED ──retry (DPO, admin)──▶ PENDING
       └──retry_later────┘
    PENDING ──cancel (the release was stopped)──▶ DONE  (result ``{"skipped": "stopped"}``)

``FAILED`` is where a job stays until a person acts: the DPO or an admin retries it (web, API, CLI) once the
cause is fixed; a failure whose cause is the release itself (its manifest, its bytes, its rules) is not
retryable: it needs a new version and a new approval (:data:`NOT_RETRYABLE`).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from publisher.i18n import N_
from publisher.workflow import Role, reachable_from


class JobState(str, enum.Enum):
    PENDING = "pending"  # queued: due at next_attempt_at
    RUNNING = "running"  # claimed by a worker (lease)
    DONE = "done"
    FAILED = "failed"  # for good, until the DPO or an admin retries


class JobPurpose(str, enum.Enum):
    PUBLISH = "publish"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class JobTransition:
    action: str
    source: JobState
    target: JobState
    roles: frozenset[Role]
    audit_event: str | None  # None: the claim itself (its effect is audited when the job settles)


def _t(action, source, target, roles, event) -> JobTransition:
    return JobTransition(action, source, target, frozenset(roles), event)


SYS = Role.SYSTEM
JOB_TRANSITIONS: tuple[JobTransition, ...] = (
    _t("claim", JobState.PENDING, JobState.RUNNING, {SYS}, None),
    _t("take_over", JobState.RUNNING, JobState.RUNNING, {SYS}, "publication.job_taken_over"),
    _t("succeed", JobState.RUNNING, JobState.DONE, {SYS}, "publication.publish_done"),  # or withdraw_done
    _t("retry_later", JobState.RUNNING, JobState.PENDING, {SYS}, "publication.job_retry"),
    _t("give_up", JobState.RUNNING, JobState.FAILED, {SYS}, "publication.job_failed"),  # retries used up
    _t("fail", JobState.RUNNING, JobState.FAILED, {SYS}, "publication.job_failed"),  # or publication.alert
    _t("cancel", JobState.PENDING, JobState.DONE, {Role.APPROVER, Role.ADMIN}, "publication.job_cancelled"),
    _t("retry", JobState.FAILED, JobState.PENDING, {Role.APPROVER, Role.ADMIN}, "publication.job_retried"),
)

JOB_STATE_LABELS = {JobState.PENDING: N_("wartet"), JobState.RUNNING: N_("läuft"), JobState.DONE: N_("erledigt"),
                    JobState.FAILED: N_("fehlgeschlagen")}

#: failure codes whose cause is the approved release itself: a retry cannot help (a new version and a new
#: approval can); everything else (a portal down or refusing, a target switched off, a bug) may be retried
NOT_RETRYABLE = frozenset({
    "FG-PUB-HASH-MISMATCH", "FG-PUB-NOT-APPROVED", "FG-PUB-RESTRICTED-TO-CKAN", "FG-PUB-RULES-FAIL",
    "FG-PUB-ARTIFACT-FORMAT", "FG-PUB-PACKAGE-DIFFERS", "FG-PUB-PACKAGE-INVALID", "FG-PUB-MANIFEST-MISSING",
    "FG-PUB-MANIFEST-SPLIT", "FG-PUB-MANIFEST-CHANGED", "FG-PUB-MANIFEST-TARGET", "FG-PUB-APPROVER-INVALID",
    "FG-PUB-TWO-APPROVALS",
})


def job_transition(action: str, source: JobState | str) -> JobTransition | None:
    source = JobState(source)
    for t in JOB_TRANSITIONS:
        if t.action == action and t.source == source:
            return t
    return None


def check_job_transition(action: str, source: JobState | str, role: Role = SYS) -> JobTransition:
    """The transition, or :class:`InvalidJobTransition` (a programming error for the system; the retry
    service checks role and state with typed service errors before it gets here)."""
    t = job_transition(action, source)
    if t is None or role not in t.roles:
        raise InvalidJobTransition(action, str(JobState(source).value), role.value)
    return t


class InvalidJobTransition(RuntimeError):
    def __init__(self, action: str, source: str, role: str):
        super().__init__(f"publication job: no transition {action!r} from {source!r} for {role!r}")


def reachable_job_states() -> set[JobState]:
    return reachable_from(JobState.PENDING, JOB_TRANSITIONS)
