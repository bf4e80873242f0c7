"""THE workflow table of a submission: states, their owners, transitions with actor role and audit event.

Everything that changes a submission's state goes through :func:`transition_for` / the checks below
(called by :mod:`publisher.services.workflow`).  Tests assert that every state has an owner and every
transition an audit event, and that each state is reachable through real transitions.

    DRAFT ──submit──▶ SUBMITTED ──approve──▶ APPROVED ──start_publishing──▶ PUBLISHING ──publish──▶ PUBLISHED
      │                  │  │                                   ▲                │
      │                  │  └─reject──▶ REJECTED                └─publication_failed┘
      │                  └─return──▶ RETURNED ──resubmit (new version)──▶ SUBMITTED
      └─withdraw──▶ WITHDRAWN ◀──withdraw── RETURNED          PUBLISHED ──withdraw_release──▶ WITHDRAWN
                                           APPROVED, PUBLISHING ──stop_release──▶ WITHDRAWN

With ``TWO_APPROVALS`` the first approval is the transition ``approve_first`` (SUBMITTED → SUBMITTED);
the second, by a different approver, is ``approve``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from publisher.i18n import N_


class Role(str, enum.Enum):
    SUBMITTER = "submitter"  # statistics staff
    APPROVER = "approver"  # data-protection officer (DPO)
    ADMIN = "admin"
    READER = "reader"  # download area; member of groups, may be external
    SYSTEM = "system"  # the publication worker and scheduled jobs (never a login)

    @classmethod
    def login_roles(cls) -> tuple["Role", ...]:
        return (cls.SUBMITTER, cls.APPROVER, cls.ADMIN, cls.READER)


class State(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    PUBLISHING = "publishing"
    PUBLISHED = "published"


# Who has to act next in each state (shown in the UI as "waiting for ...").
STATE_OWNER: dict[State, Role] = {
    State.DRAFT: Role.SUBMITTER,
    State.SUBMITTED: Role.APPROVER,
    State.RETURNED: Role.SUBMITTER,
    State.APPROVED: Role.SYSTEM,  # the publication worker picks up the queued job
    State.PUBLISHING: Role.SYSTEM,
    State.PUBLISHED: Role.APPROVER,  # may withdraw a release later (publication issue)
    State.REJECTED: Role.ADMIN,  # terminal; admin runs retention
    State.WITHDRAWN: Role.ADMIN,  # terminal; admin runs retention
}

TERMINAL_STATES = frozenset({State.REJECTED, State.WITHDRAWN})

# state -> German label (a message id of the UI catalogue, publisher.i18n; the English comes from there)
STATE_LABELS: dict[State, str] = {
    State.DRAFT: N_("Entwurf"),
    State.SUBMITTED: N_("Eingereicht"),
    State.RETURNED: N_("Zurückgegeben"),
    State.APPROVED: N_("Freigegeben"),
    State.REJECTED: N_("Abgelehnt"),
    State.WITHDRAWN: N_("Zurückgezogen"),
    State.PUBLISHING: N_("Wird veröffentlicht"),
    State.PUBLISHED: N_("Veröffentlicht"),
}


@dataclass(frozen=True)
class Transition:
    action: str  # service verb, e.g. "approve"
    source: State
    target: State
    roles: frozenset[Role]  # roles allowed to perform it
    audit_event: str  # event name written to the audit log
    needs_comment: bool = False
    author_only: bool = False  # only the submission's submitter
    not_author: bool = False  # never the submission's submitter (four-eyes)
    new_version: bool = False  # creates a new submission version


def _t(action, source, target, roles, event, **kw) -> Transition:
    return Transition(action, source, target, frozenset(roles), event, **kw)


S, A, SYS = Role.SUBMITTER, Role.APPROVER, Role.SYSTEM

TRANSITIONS: tuple[Transition, ...] = (
    _t("submit", State.DRAFT, State.SUBMITTED, {S}, "submission.submitted", author_only=True),
    _t("withdraw", State.DRAFT, State.WITHDRAWN, {S}, "submission.withdrawn", author_only=True),
    _t("approve_first", State.SUBMITTED, State.SUBMITTED, {A}, "submission.first_approval", not_author=True),
    _t("approve", State.SUBMITTED, State.APPROVED, {A}, "submission.approved", not_author=True),
    _t("return", State.SUBMITTED, State.RETURNED, {A}, "submission.returned", needs_comment=True,
       not_author=True),
    _t("reject", State.SUBMITTED, State.REJECTED, {A}, "submission.rejected", needs_comment=True,
       not_author=True),
    _t("resubmit", State.RETURNED, State.SUBMITTED, {S}, "submission.resubmitted", author_only=True,
       new_version=True),
    _t("withdraw", State.RETURNED, State.WITHDRAWN, {S}, "submission.withdrawn", author_only=True),
    _t("start_publishing", State.APPROVED, State.PUBLISHING, {SYS}, "publication.started"),
    _t("publish", State.PUBLISHING, State.PUBLISHED, {SYS}, "publication.completed"),
    _t("publication_failed", State.PUBLISHING, State.APPROVED, {SYS}, "publication.failed"),
    # a published release is taken back: private on CKAN, marked withdrawn in the download area (worker)
    _t("withdraw_release", State.PUBLISHED, State.WITHDRAWN, {A, Role.ADMIN}, "release.withdrawn",
       needs_comment=True),
    # issue 14: an approved release is stopped before it is published (also while its jobs run; targets a
    # job already reached get withdraw jobs)
    _t("stop_release", State.APPROVED, State.WITHDRAWN, {A, Role.ADMIN}, "release.stopped", needs_comment=True),
    _t("stop_release", State.PUBLISHING, State.WITHDRAWN, {A, Role.ADMIN}, "release.stopped", needs_comment=True),
)

ACTIONS = frozenset(t.action for t in TRANSITIONS)


def transition_for(action: str, source: State | str) -> Transition | None:
    source = State(source)
    for t in TRANSITIONS:
        if t.action == action and t.source == source:
            return t
    return None


def transitions_from(source: State | str) -> tuple[Transition, ...]:
    source = State(source)
    return tuple(t for t in TRANSITIONS if t.source == source)


def reachable_from(start, transitions) -> set:
    """The states reachable from ``start`` over ``transitions`` (anything with ``source`` and ``target``):
    the check every transition table of the project (submissions, jobs, reports) is tested with."""
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for t in transitions:
            if t.source == s and t.target not in seen:
                seen.add(t.target)
                todo.append(t.target)
    return seen


def reachable_states() -> set[State]:
    return reachable_from(State.DRAFT, TRANSITIONS)


# --- permission predicates ------------------------------------------------------------------------------
# ``check_user_can(action, user, submission, settings)`` raises a typed service error whose message is a
# readable sentence (German/English); ``user_can(...)`` returns a bool.  ``user=None`` is the system
# (publication worker).  The checks look at the role, the state, authorship (four-eyes) and, for
# approvals, the earlier approvals of the same artifact.

def _valid_approvals(submission) -> list:
    version_id = submission.current_version_id
    return [d for d in submission.decisions
            if d.action in ("approve", "approve_first") and d.invalidated_at is None
            and d.version_id == version_id]


def _is_author(user, submission) -> bool:
    if user is None:
        return False
    if submission.submitter_id == user.id:
        return True
    return any(v.created_by_id == user.id for v in submission.versions)


def resolve_action(action: str, submission, settings=None) -> str:
    """``approve`` becomes ``approve_first`` when two approvals are required and none is there yet."""
    if action == "approve" and (settings or {}).get("TWO_APPROVALS") and not _valid_approvals(submission):
        return "approve_first"
    return action


def check_user_can(action: str, user, submission, settings=None) -> Transition:
    from publisher.services import errors as E

    if action not in ACTIONS:
        raise ValueError(f"unknown workflow action {action!r}")
    action = resolve_action(action, submission, settings)
    role = Role.SYSTEM if user is None else Role(user.role)
    if user is not None and not user.active:
        raise E.Forbidden(E.FORBIDDEN_INACTIVE, user=user.username)
    allowed = set().union(*(t.roles for t in TRANSITIONS if t.action == action))
    if role not in allowed:
        raise E.forbidden_role(action, role, allowed)
    # authorship before state: someone else's submission must not tell its state through a 409
    candidates = [t for t in TRANSITIONS if t.action == action and role in t.roles]
    if candidates and all(t.author_only for t in candidates) and (
            user is None or submission.submitter_id != user.id):
        raise E.not_author(action, submission.submitter.username)
    t = transition_for(action, submission.state)
    if t is None:
        raise E.wrong_state(action, submission.state)
    if t.author_only and (user is None or submission.submitter_id != user.id):
        raise E.not_author(action, submission.submitter.username)
    if t.not_author and _is_author(user, submission):
        raise E.Forbidden(E.FORBIDDEN_OWN)
    if action == "approve" and user is not None and any(
            d.actor_id == user.id for d in _valid_approvals(submission)):
        raise E.Forbidden(E.FORBIDDEN_SECOND_APPROVAL)
    return t


def user_can(action: str, user, submission, settings=None) -> bool:
    from publisher.services.errors import ServiceError

    try:
        check_user_can(action, user, submission, settings)
    except ServiceError:
        return False
    return True


def check_user_can_submit(user, submission, settings=None):
    return check_user_can("submit", user, submission, settings)


def check_user_can_approve(user, submission, settings=None):
    return check_user_can("approve", user, submission, settings)


def check_user_can_return(user, submission, settings=None):
    return check_user_can("return", user, submission, settings)


def check_user_can_reject(user, submission, settings=None):
    return check_user_can("reject", user, submission, settings)


def check_user_can_withdraw(user, submission, settings=None):
    return check_user_can("withdraw", user, submission, settings)


def check_user_can_resubmit(user, submission, settings=None):
    return check_user_can("resubmit", user, submission, settings)


def user_can_submit(user, submission, settings=None) -> bool:
    return user_can("submit", user, submission, settings)


def user_can_approve(user, submission, settings=None) -> bool:
    return user_can("approve", user, submission, settings)


def user_can_return(user, submission, settings=None) -> bool:
    return user_can("return", user, submission, settings)


def user_can_reject(user, submission, settings=None) -> bool:
    return user_can("reject", user, submission, settings)


def user_can_withdraw(user, submission, settings=None) -> bool:
    return user_can("withdraw", user, submission, settings)


def user_can_resubmit(user, submission, settings=None) -> bool:
    return user_can("resubmit", user, submission, settings)


def check_user_can_stop_release(user, submission, settings=None):
    return check_user_can("stop_release", user, submission, settings)


def user_can_stop_release(user, submission, settings=None) -> bool:
    return user_can("stop_release", user, submission, settings)


def check_user_can_withdraw_release(user, submission, settings=None):
    return check_user_can("withdraw_release", user, submission, settings)


def user_can_withdraw_release(user, submission, settings=None) -> bool:
    return user_can("withdraw_release", user, submission, settings)


def check_user_can_view(user, submission) -> None:
    """Submission details incl. the raw table: its submitter, approvers and admins; never readers."""
    from publisher.services import errors as E

    if user is None or not user.active:
        raise E.forbidden_view("Einreichung", submission.id)
    role = Role(user.role)
    if role in (Role.APPROVER, Role.ADMIN) or (role == Role.SUBMITTER and _is_author(user, submission)):
        return
    raise E.forbidden_view("Einreichung", submission.id)


def user_can_view(user, submission) -> bool:
    from publisher.services.errors import ServiceError

    try:
        check_user_can_view(user, submission)
    except ServiceError:
        return False
    return True


check_user_can_view_raw = check_user_can_view
user_can_view_raw = user_can_view
