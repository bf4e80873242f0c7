"""Invited external readers (issue 18 item 2).

An admin, or an owner of a download-area group (:func:`add_owner`), invites an e-mail address into that group
(:func:`invite`): the invitation link is single-use and dies after ``INVITATION_DAYS``; only its sha256 is
stored (the e-mail's body is scrubbed once sent).  Accepting (:func:`accept`) creates a local ``reader``
account in that group whose ``expires_at`` is the date the inviter set (at most ``ACCOUNT_MAX_DAYS`` ahead).
:func:`sweep` (the worker's periodic duty) reminds the reader and the inviter ``ACCOUNT_REMIND_DAYS`` before
the end and deactivates expired accounts; expired accounts are refused at once at login, for the session and
for API tokens (``accounts.expired``).  Invitation, acceptance, refusal, expiry changes and expiry are audited.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from disclosure_rules.findings import Finding, Severity, register
from sqlalchemy import select, update

from publisher import audit
from publisher.models import Group, User
from publisher.models_directory import GroupOwner, Invitation
from publisher.services import errors as E
from publisher.storage import sha256_text
from publisher.workflow import Role

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,185}\.[A-Za-z]{2,}$")

INVITATION_GONE = register(
    "publisher.invitation.gone", Severity.ERROR,
    "Diese Einladung ist nicht mehr gültig ({reason}). Bitten Sie die einladende Stelle um eine neue.",
    "This invitation is no longer valid ({reason_en}). Please ask whoever invited you for a new one.")
INVITATION_NOT_OWNER = register(
    "publisher.invitation.not_owner", Severity.ERROR,
    "Einladen dürfen nur die Administration und die Verantwortlichen der Gruppe „{group}“.",
    "Only admins and the owners of the group '{group}' may invite into it.")
ACCOUNT_EXPIRY_RANGE = register(
    "publisher.invitation.expiry_range", Severity.ERROR,
    "Das Ablaufdatum muss nach heute und höchstens {days} Tage entfernt liegen.",
    "The expiry date must be after today and at most {days} days ahead.")
_REASONS = {"used": ("bereits verwendet", "already used"), "expired": ("abgelaufen", "expired"),
            "revoked": ("zurückgezogen", "revoked")}


Gone = E.Gone


def owned_groups(c, user: User | None) -> list[Group]:
    if user is None or not user.active:
        return []
    if Role(user.role) == Role.ADMIN:
        return list(c.session.execute(select(Group).order_by(Group.name)).scalars())
    return list(c.session.execute(select(Group).join(GroupOwner, GroupOwner.group_id == Group.id)
                                  .where(GroupOwner.user_id == user.id).order_by(Group.name)).scalars())


def may_invite(c, user: User | None) -> bool:
    return bool(owned_groups(c, user))


def _group(c, actor: User, name: str) -> Group:
    g = c.session.execute(select(Group).where(Group.name == (name or "").strip())).scalar_one_or_none()
    if g is None:
        raise E.InvalidInput(E.invalid_field("group", "unbekannte Gruppe.", "unknown group."))
    if g.id not in {x.id for x in owned_groups(c, actor)}:
        raise E.Forbidden(INVITATION_NOT_OWNER, group=g.name)
    return g


def _expiry(c, value: Any) -> dt.datetime:
    """A date (or ISO text) → the end of that day in Europe/Berlin, as UTC; within ACCOUNT_MAX_DAYS."""
    from zoneinfo import ZoneInfo

    days = int(c.settings.get("ACCOUNT_MAX_DAYS") or 365)
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise E.InvalidInput(E.invalid_field("account_expires", "Datum im Format JJJJ-MM-TT.",
                                             "date as YYYY-MM-DD.")) from None
    if isinstance(day, dt.datetime):
        day = day.date()
    when = dt.datetime.combine(day, dt.time(23, 59, 59), ZoneInfo("Europe/Berlin")).astimezone(dt.timezone.utc)
    if when <= c.now() or when > c.now() + dt.timedelta(days=days + 1):
        raise E.InvalidInput(Finding(ACCOUNT_EXPIRY_RANGE, {"days": days}, column="account_expires"))
    return when


def invite(c, actor: User, email: str, group: str, account_expires: Any) -> tuple[Invitation, str]:
    """Invite ``email`` into ``group``; returns ``(invitation, link)`` (the link is shown/sent once)."""
    from publisher.services import notify

    try:
        if actor is None or not actor.active:
            raise E.forbidden_role("manage accounts", getattr(actor, "role", "-"), ["admin"])
        email = (email or "").strip()
        if not EMAIL_RE.match(email):
            raise E.InvalidInput(E.invalid_field("email", "keine gültige E-Mail-Adresse.", "not a valid e-mail address."))
        g = _group(c, actor, group)
        until = _expiry(c, account_expires)
        token = secrets.token_urlsafe(32)
        inv = Invitation(token_hash=sha256_text(token), email=email.lower(), group_id=g.id, invited_by_id=actor.id,
                         created_at=c.now(), account_expires_at=until,
                         expires_at=c.now() + dt.timedelta(days=int(c.settings.get("INVITATION_DAYS") or 14)))
        c.session.add(inv)
        c.session.flush()
        audit.record(c.session, actor, "invitation.created", inv,
                     {"email": inv.email, "group": g.name, "account_expires": until.isoformat(),
                      "link_expires": inv.expires_at.isoformat()})
        path = f"/invitation/{token}"
        from publisher.i18n import format_datetime

        if notify.enabled(c):
            notify.message(c, None, "invitation",
                           {"group": g.name, "inviter": actor.display_name or actor.username,
                            "publisher": c.settings.get("PUBLISHER_NAME") or "Statistikstelle",
                            "link_expires": format_datetime(inv.expires_at, "de"),
                            "account_expires": format_datetime(until, "de")},
                           path, address=inv.email, secret=True)
        c.session.commit()
        return inv, notify.link(c, path) if c.settings.get("APP_URL") else path
    except BaseException:
        c.session.rollback()
        raise


def _usable(c, token: str, *, for_update: bool = False) -> Invitation:
    q = select(Invitation).where(Invitation.token_hash == sha256_text(token or ""))
    inv = c.session.execute(q.with_for_update() if for_update else q).scalar_one_or_none()
    if inv is None:
        raise E.not_found("Einladung", "-")
    reason = ("revoked" if inv.revoked_at else "used" if inv.accepted_at
              else "expired" if inv.expires_at <= c.now() else None)
    if reason:
        de, en = _REASONS[reason]
        raise Gone(INVITATION_GONE, reason=de, reason_en=en)
    return inv


def open_invitation(c, token: str) -> Invitation:
    """The invitation behind a link (404 unknown, 410 used/expired/revoked; a refusal is audited)."""
    try:
        return _usable(c, token)
    except Gone as exc:
        c.session.rollback()
        audit.record(c.session, None, "invitation.refused", None, {"reason": exc.findings[0].params["reason_en"]},
                     object_type="invitations", object_id="", anonymous=True)
        E.commit(c)
        raise


def accept(c, token: str, *, username: str, password: str, display_name: str = "") -> User:
    """Create the invited reader's account (single use: a second accept with the same link is 410)."""
    from publisher.services import accounts

    try:
        inv = _usable(c, token, for_update=True)
        username = (username or "").strip()
        problems = []
        if not accounts.USERNAME_RE.match(username):
            problems.append(E.invalid_field("username", "2–100 Zeichen aus Buchstaben, Ziffern und . _ @ -.",
                                            "2-100 characters of letters, digits and . _ @ -."))
        elif c.session.execute(select(User.id).where(User.username == username)).first() is not None:
            problems.append(Finding(E.DUPLICATE, {**E.what("Benutzer"), "name": username}, column="username"))
        problems += accounts.password_problems(password, username)
        if problems:
            raise E.InvalidInput(problems)
        group = c.session.get(Group, inv.group_id)
        user = User(username=username, role=Role.READER.value, password_hash=accounts.hash_password(password),
                    display_name=(display_name or "").strip()[:200] or username, email=inv.email, active=True,
                    created_at=c.now(), expires_at=inv.account_expires_at)
        user.groups = [group]
        c.session.add(user)
        c.session.flush()
        done = c.session.execute(update(Invitation).where(Invitation.id == inv.id, Invitation.accepted_at.is_(None))
                                 .values(accepted_at=c.now(), user_id=user.id)
                                 .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # accepted by a concurrent request first
            raise Gone(INVITATION_GONE, reason=_REASONS["used"][0], reason_en=_REASONS["used"][1])
        audit.record(c.session, user, "invitation.accepted", inv,
                     {"email": inv.email, "group": group.name, "username": username,
                      "account_expires": inv.account_expires_at.isoformat()})
        c.session.commit()
        return user
    except BaseException:
        c.session.rollback()
        raise


def revoke(c, actor: User, invitation_id: int) -> Invitation:
    try:
        if not may_invite(c, actor):
            raise E.Forbidden(INVITATION_NOT_OWNER, group="-")
        inv = c.session.get(Invitation, int(invitation_id))
        if inv is None:
            raise E.not_found("Einladung", invitation_id)
        _group(c, actor, c.session.get(Group, inv.group_id).name)
        if inv.revoked_at is None and inv.accepted_at is None:
            inv.revoked_at = c.now()
            audit.record(c.session, actor, "invitation.revoked", inv, {"email": inv.email})
        c.session.commit()
        return inv
    except BaseException:
        c.session.rollback()
        raise


def list_invitations(c, actor: User) -> list[Invitation]:
    groups = {g.id for g in owned_groups(c, actor)}
    if not groups:
        raise E.Forbidden(INVITATION_NOT_OWNER, group="-")
    rows = c.session.execute(select(Invitation).order_by(Invitation.id.desc())).scalars()
    return [i for i in rows if i.group_id in groups]


def external_accounts(c, actor: User) -> list[User]:
    """Accounts with an expiry date in the actor's groups (all for admins)."""
    groups = {g.id for g in owned_groups(c, actor)}
    rows = c.session.execute(select(User).where(User.expires_at.is_not(None)).order_by(User.username)).scalars()
    return [u for u in rows if Role(actor.role) == Role.ADMIN or {g.id for g in u.groups} & groups]


def set_expiry(c, actor: User, user_id: int, account_expires: Any) -> User:
    """A new end date for an external account (admin, or an owner of one of its groups); audited."""
    try:
        if not may_invite(c, actor):
            raise E.Forbidden(INVITATION_NOT_OWNER, group="-")
        user = c.session.get(User, int(user_id))
        if user is None or user.expires_at is None:
            raise E.not_found("Benutzer", user_id)
        if not any(g.id in {x.id for x in owned_groups(c, actor)} for g in user.groups) and \
                Role(actor.role) != Role.ADMIN:
            raise E.Forbidden(INVITATION_NOT_OWNER, group=", ".join(sorted(user.group_names)) or "-")
        old, user.expires_at = user.expires_at, _expiry(c, account_expires)
        if not user.active and old <= c.now():
            user.active = True  # extended after it ran out: usable again
        audit.record(c.session, actor, "account.expiry_changed", user,
                     {"from": old.isoformat(), "to": user.expires_at.isoformat()})
        c.session.commit()
        return user
    except BaseException:
        c.session.rollback()
        raise


def add_owner(c, actor: User, group: str, username: str) -> GroupOwner:
    from publisher.services import accounts

    try:
        if actor is None or Role(actor.role) != Role.ADMIN:
            raise E.forbidden_role("manage accounts", getattr(actor, "role", "-"), ["admin"])
        g = accounts.ensure_group(c, actor, (group or "").strip(), commit=False)
        u = accounts.get_user_by_name(c, (username or "").strip())
        row = c.session.get(GroupOwner, (g.id, u.id))
        if row is None:
            row = GroupOwner(group_id=g.id, user_id=u.id, created_at=c.now())
            c.session.add(row)
            c.session.flush()
            audit.record(c.session, actor, "group.owner_added", g, {"group": g.name, "owner": u.username})
        c.session.commit()
        return row
    except BaseException:
        c.session.rollback()
        raise


def sweep(c) -> int:
    """Remind before expiry (reader and inviter, once per expiry date) and deactivate expired accounts."""
    from publisher.i18n import format_datetime
    from publisher.services import notify

    now, n = c.now(), 0
    remind = dt.timedelta(days=int(c.settings.get("ACCOUNT_REMIND_DAYS") or 14))
    try:
        rows = c.session.execute(select(User).where(User.expires_at.is_not(None), User.active.is_(True))).scalars()
        for u in list(rows):
            if u.expires_at <= now:
                from publisher.services.credentials import on_deactivated

                u.active = False
                ended = on_deactivated(c, u)  # issue 14: sessions and tokens end
                audit.record(c.session, "system", "account.expired", u,
                             {"username": u.username, "expired_at": u.expires_at.isoformat(), **ended})
                n += 1
            elif u.expires_at - remind <= now and notify.enabled(c):
                key = f"expiry:{u.id}:{u.expires_at.date().isoformat()}"
                inv = c.session.execute(select(Invitation).where(Invitation.user_id == u.id)
                                        .order_by(Invitation.id.desc())).scalars().first()
                inviter = c.session.get(User, inv.invited_by_id) if inv and inv.invited_by_id else None
                fields = {"expires": format_datetime(u.expires_at, "de"), "username": u.username, "email": u.email,
                          "inviter": (inviter.display_name or inviter.username) if inviter else "der Statistikstelle"}
                if notify.message(c, u, "account.expiry_reminder", fields, "/login", always=True,
                                  dedupe_key=key) is not None:
                    n += 1
                    if inviter is not None:
                        notify.message(c, inviter, "account.expiry_reminder_inviter", fields, "/invitations",
                                       always=True, dedupe_key=key + f":inviter:{inviter.id}")
        c.session.commit()
        return n
    except BaseException:
        c.session.rollback()
        raise
