"""Separation of duties (issue 14 item 7).

* Giving an account the role **approver** or **admin** - at creation or later - is a *request*
  (:func:`request_role`): the account keeps a role without rights to release anything (a new account starts as
  ``reader`` without groups) until a second person confirms it (:func:`confirm_role`): an active approver or
  admin who is neither the requester nor the account itself.  So one admin alone cannot create a submitter
  and an approver and publish.
* Admins never approve (the workflow table gives ``approve`` to approvers only).
* Every request, confirmation and cancellation is audited and notified (notifications for approvers and
  admins, and for the account concerned).
* The operator on the machine (CLI, ``actor=None``) sets roles directly: that is how the first accounts of an
  installation come into being.
"""
from __future__ import annotations

from sqlalchemy import select

from disclosure_rules.findings import Severity, register
from publisher import audit
from publisher.models import User
from publisher.models_ledger import Notification
from publisher.models_trust import RoleGrant
from publisher.services import errors as E
from publisher.workflow import Role

PRIVILEGED = (Role.APPROVER.value, Role.ADMIN.value)

CONFIRM_SELF = register(
    "publisher.roles.confirm_self", Severity.ERROR,
    "Die Rolle „{role}“ für {user} muss eine zweite Person bestätigen - nicht, wer sie beantragt hat, und nicht "
    "das Konto selbst.",
    "The role '{role}' for {user} must be confirmed by a second person - not the requester and not the account "
    "itself.")
CONFIRM_ROLE = register(
    "publisher.roles.confirm_role", Severity.ERROR,
    "Nur Datenschutzbeauftragte oder Administration dürfen eine Rollenvergabe bestätigen.",
    "Only data-protection officers or administrators may confirm a role grant.")
GRANT_DONE = register(
    "publisher.roles.grant_done", Severity.ERROR,
    "Diese Rollenvergabe ist schon bestätigt oder aufgehoben.", "This role grant was already confirmed or cancelled.")


def _notify(c, kind: str, details: dict, user_id: int | None = None) -> None:
    for role in (Role.APPROVER.value, Role.ADMIN.value):
        c.session.add(Notification(created_at=c.now(), role=role, user_id=None, kind=kind, submission_id=None,
                                   details=audit.json_safe(details)))
    if user_id is not None:
        c.session.add(Notification(created_at=c.now(), role="user", user_id=user_id, kind=kind, submission_id=None,
                                   details=audit.json_safe(details)))
    c.session.flush()


def request_role(c, actor, user: User, role: str) -> RoleGrant:
    """Caller's transaction: a pending grant of ``role`` (approver/admin) for ``user``; audited, notified."""
    old = c.session.execute(select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.confirmed_at.is_(None),
                                                    RoleGrant.cancelled_at.is_(None))).scalars().all()
    for g in old:
        g.cancelled_at = c.now()
    grant = RoleGrant(user_id=user.id, role=role, requested_by_id=getattr(actor, "id", None), created_at=c.now())
    c.session.add(grant)
    c.session.flush()
    details = {"grant": grant.id, "user": user.username, "role": role,
               "requested_by": getattr(actor, "username", "cli")}
    audit.record(c.session, actor or "cli", "user.role_requested", user, details)
    _notify(c, "role_requested", details, user.id)
    return grant


def confirm_role(c, actor, grant_id: int) -> User:
    try:
        if actor is None or not actor.active or actor.role not in PRIVILEGED:
            raise E.Forbidden(CONFIRM_ROLE)
        grant = c.session.get(RoleGrant, int(grant_id))
        if grant is None:
            raise E.not_found("Rollenvergabe", grant_id)
        if grant.confirmed_at is not None or grant.cancelled_at is not None:
            raise E.WrongState(GRANT_DONE)
        user = c.session.get(User, grant.user_id)
        if actor.id in (grant.requested_by_id, grant.user_id):
            raise E.Forbidden(CONFIRM_SELF, role=grant.role, user=user.username)
        old, user.role = user.role, grant.role
        grant.confirmed_by_id, grant.confirmed_at = actor.id, c.now()
        details = {"grant": grant.id, "user": user.username, "from": old, "to": grant.role,
                   "requested_by_id": grant.requested_by_id, "confirmed_by": actor.username}
        audit.record(c.session, actor, "user.role_changed", user, details)
        _notify(c, "role_changed", details, user.id)
        c.session.commit()
        return user
    except BaseException:
        c.session.rollback()
        raise


def cancel_role(c, actor, grant_id: int) -> RoleGrant:
    try:
        if actor is None or not actor.active or actor.role not in PRIVILEGED:
            raise E.Forbidden(CONFIRM_ROLE)
        grant = c.session.get(RoleGrant, int(grant_id))
        if grant is None:
            raise E.not_found("Rollenvergabe", grant_id)
        if grant.confirmed_at is not None or grant.cancelled_at is not None:
            raise E.WrongState(GRANT_DONE)
        grant.cancelled_at = c.now()
        audit.record(c.session, actor, "user.role_request_cancelled", c.session.get(User, grant.user_id),
                     {"grant": grant.id, "role": grant.role})
        c.session.commit()
        return grant
    except BaseException:
        c.session.rollback()
        raise


def pending(c) -> list[RoleGrant]:
    return list(c.session.execute(select(RoleGrant).where(RoleGrant.confirmed_at.is_(None),
                                                          RoleGrant.cancelled_at.is_(None))
                                  .order_by(RoleGrant.id)).scalars())


__all__ = ["request_role", "confirm_role", "cancel_role", "pending", "PRIVILEGED"]
