"""THE transition table of a report (Bericht, issue 17 item 4): several tables of one period under one title,
published only when every table in it is approved.

    COLLECTING ──complete (owner)──▶ COMPLETE ──release (system: the last member approved)──▶ RELEASED
        │  add / remove members         │  remove members                                        │
        │                               │                                 publish (system: every member published)
        │                               │                                                        ▼
        └────────── withdraw ───────────┴──────────── withdraw (DPO, admin) ─────────────── PUBLISHED

Every member is a submission that goes through its own workflow (:mod:`publisher.workflow`: rules, review
by someone other than the submitter).  The holding rule (:mod:`publisher.services.reports`): an approved
member queues no publication job while its report is COLLECTING or COMPLETE; the approval that makes the
last member of a COMPLETE report approved releases the report and queues the jobs of every member in the
same transaction; the worker publishes them and marks the report PUBLISHED once every member is published.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from publisher.i18n import N_
from publisher.workflow import Role, reachable_from


class ReportState(str, enum.Enum):
    COLLECTING = "collecting"  # the owner adds and removes tables
    COMPLETE = "complete"  # the set of tables is fixed; waiting for every approval
    RELEASED = "released"  # every table approved: publication jobs queued
    PUBLISHED = "published"  # every table published: the report page and workbook are public
    WITHDRAWN = "withdrawn"


class Audience(str, enum.Enum):
    PUBLIC = "public"
    RESTRICTED = "restricted"


REPORT_STATE_LABELS: dict[ReportState, str] = {
    ReportState.COLLECTING: N_("In Zusammenstellung"),
    ReportState.COMPLETE: N_("Vollständig, wartet auf Freigaben"),
    ReportState.RELEASED: N_("Freigegeben, wird veröffentlicht"),
    ReportState.PUBLISHED: N_("Veröffentlicht"),
    ReportState.WITHDRAWN: N_("Zurückgezogen"),
}

#: report states in which an approved member is held (no publication job is queued)
HOLDING = frozenset({ReportState.COLLECTING, ReportState.COMPLETE})
#: report states in which members may be added (only COLLECTING) or removed
ADDING = frozenset({ReportState.COLLECTING})
REMOVING = frozenset({ReportState.COLLECTING, ReportState.COMPLETE})


@dataclass(frozen=True)
class ReportTransition:
    action: str
    source: ReportState
    target: ReportState
    roles: frozenset[Role]
    audit_event: str
    owner_only: bool = False  # submitters: only the report's owner
    needs_comment: bool = False


def _t(action, source, target, roles, event, **kw) -> ReportTransition:
    return ReportTransition(action, source, target, frozenset(roles), event, **kw)


S, A, AD, SYS = Role.SUBMITTER, Role.APPROVER, Role.ADMIN, Role.SYSTEM
C, CO, R, P, W = (ReportState.COLLECTING, ReportState.COMPLETE, ReportState.RELEASED, ReportState.PUBLISHED,
                  ReportState.WITHDRAWN)

REPORT_TRANSITIONS: tuple[ReportTransition, ...] = (
    _t("add", C, C, {S}, "report.member_added", owner_only=True),
    _t("remove", C, C, {S}, "report.member_removed", owner_only=True),
    _t("remove", CO, CO, {S}, "report.member_removed", owner_only=True),
    _t("complete", C, CO, {S}, "report.completed", owner_only=True),
    _t("release", CO, R, {SYS}, "report.released"),
    _t("publish", R, P, {SYS}, "report.published"),
    _t("withdraw", C, W, {S, A, AD}, "report.withdrawn", owner_only=True, needs_comment=True),
    _t("withdraw", CO, W, {S, A, AD}, "report.withdrawn", owner_only=True, needs_comment=True),
    _t("withdraw", R, W, {A, AD}, "report.withdrawn", needs_comment=True),
    _t("withdraw", P, W, {A, AD}, "report.withdrawn", needs_comment=True),
)
#: events written besides the transitions' (creation; an approved member held back)
OTHER_EVENTS = ("report.created", "report.member_held")
REPORT_ACTIONS = frozenset(t.action for t in REPORT_TRANSITIONS)


def report_transition(action: str, source: ReportState | str, role: Role | str) -> ReportTransition | None:
    source, role = ReportState(source), Role(role)
    for t in REPORT_TRANSITIONS:
        if t.action == action and t.source == source and role in t.roles:
            return t
    return None


def reachable() -> set[ReportState]:
    return reachable_from(C, REPORT_TRANSITIONS)


#: German message ids of the report actions (typed errors name them in both languages)
REPORT_ACTION_LABELS = {"create": N_("Bericht anlegen"), "add": N_("Tabelle hinzufügen"), "remove": N_("Tabelle entfernen"),
                        "complete": N_("Zusammenstellung abschließen"), "release": N_("Bericht freigeben"),
                        "publish": N_("Bericht veröffentlichen"), "withdraw": N_("Bericht zurückziehen"),
                        "view": N_("Bericht ansehen")}


# --- permission predicates (check_user_can_X raises a typed error, user_can_X returns a bool) -------------

def check_user_can_report(action: str, user, report) -> ReportTransition:
    """Role, ownership (submitters act only on their own reports), then state (a 409 names the state only to
    someone who may act)."""
    from publisher.services import errors as E
    from publisher.services.reports import report_wrong_state

    if action not in REPORT_ACTIONS:
        raise ValueError(f"unknown report action {action!r}")
    role = Role.SYSTEM if user is None else Role(user.role)
    if user is not None and not user.active:
        raise E.Forbidden(E.FORBIDDEN_INACTIVE, user=user.username)
    allowed = set().union(*(t.roles for t in REPORT_TRANSITIONS if t.action == action))
    if role not in allowed:
        raise E.Forbidden(E.FORBIDDEN_ROLE, **_labels(action, role, allowed))
    if role == Role.SUBMITTER and report.owner_id != user.id:
        raise E.forbidden_view("Bericht", report.id)
    t = report_transition(action, report.state, role)
    if t is None:
        here = {r for x in REPORT_TRANSITIONS if x.action == action and x.source == ReportState(report.state)
                for r in x.roles}
        if here:  # others may do it in this state (e.g. only the DPO withdraws a released report)
            raise E.Forbidden(E.FORBIDDEN_ROLE, **_labels(action, role, here))
        raise report_wrong_state(action, report.state)
    return t


def _labels(action: str, role: Role, allowed) -> dict[str, str]:
    from publisher.i18n import role_label, translate

    allowed = sorted(r.value for r in allowed)
    label = REPORT_ACTION_LABELS[action]
    return {"action": action, "action_de": translate(label, "de"), "action_en": translate(label, "en"),
            "role": role.value, "role_de": role_label(role.value, "de"), "role_en": role_label(role.value, "en"),
            "roles": ", ".join(allowed), "roles_de": " oder ".join(f"„{role_label(r, 'de')}“" for r in allowed),
            "roles_en": " or ".join(f"'{role_label(r, 'en')}'" for r in allowed)}


def user_can_report(action: str, user, report) -> bool:
    from publisher.services.errors import ServiceError

    try:
        check_user_can_report(action, user, report)
    except ServiceError:
        return False
    return True


def check_user_can_add(user, report):
    return check_user_can_report("add", user, report)


def check_user_can_remove(user, report):
    return check_user_can_report("remove", user, report)


def check_user_can_complete(user, report):
    return check_user_can_report("complete", user, report)


def check_user_can_withdraw_report(user, report):
    return check_user_can_report("withdraw", user, report)


def user_can_add(user, report) -> bool:
    return user_can_report("add", user, report)


def user_can_complete(user, report) -> bool:
    return user_can_report("complete", user, report)


def user_can_withdraw_report(user, report) -> bool:
    return user_can_report("withdraw", user, report)


def check_user_can_view_report(user, report) -> None:
    """The staff page of a report (its tables in every state): the owner, DPOs and admins; never readers or
    other submitters (the public page shows a published report to everyone)."""
    from publisher.services import errors as E

    if user is None or not user.active:
        raise E.forbidden_view("Bericht", report.id)
    role = Role(user.role)
    if role in (Role.APPROVER, Role.ADMIN) or (role == Role.SUBMITTER and report.owner_id == user.id):
        return
    raise E.forbidden_view("Bericht", report.id)


def user_can_view_report(user, report) -> bool:
    from publisher.services.errors import ServiceError

    try:
        check_user_can_view_report(user, report)
    except ServiceError:
        return False
    return True
