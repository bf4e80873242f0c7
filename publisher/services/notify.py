"""E-mail notifications (issue 18 item 3): who is told what, written to the mail outbox.

:func:`enqueue` is called with the audit event of a workflow transition *inside its transaction*
(``review._apply`` and the standing-approval release call it with one line each), so a notification exists
exactly when the event committed; the worker sends it afterwards (:mod:`publisher.mailer`).  Nothing is sent
in a request.  Without ``SMTP_HOST`` nothing is written.

=================================  ==================================================  ====================
event                              recipients                                          kind
=================================  ==================================================  ====================
submission.submitted / resubmitted active approvers (never an author)                  submission.waiting
submission.first_approval          the other active approvers                          submission.first_approval
submission.returned / rejected     the submitter                                       same name
submission.approved                the submitter                                       submission.approved
publication.completed              the submitter; the DPO who set an embargo           publication.completed,
                                                                                       embargo.ended
publication.failed                 the submitter and every active approver (always)    publication.failed
series.standing_release            the DPO whose standing approval released it         series.standing_release
daily (:func:`daily`)              approvers of submissions waiting ≥ N days           submission.reminder
=================================  ==================================================  ====================

Preferences per user (:func:`set_preference`): ``immediate`` (default), ``digest`` (collected into one mail a
day, :func:`daily`) or ``off`` - except failures, which always go out at once.  A "waiting" mail whose
submission was decided meanwhile is dropped, not sent (:func:`is_stale`).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from publisher import audit, mailtexts
from publisher.models import Submission, User
from publisher.models_directory import MailMessage, MailState, NotificationPreference
from publisher.services import errors as E
from publisher.workflow import Role, State

MODES = ("immediate", "digest", "off")
ALWAYS = frozenset({"publication.failed"})  # failures: whatever the preference, at once
WAITING_KINDS = frozenset({"submission.waiting", "submission.reminder", "submission.first_approval"})
BERLIN = ZoneInfo("Europe/Berlin")
PREFS_PATH = "/account/notifications"


def enabled(c) -> bool:
    return bool(c.settings.get("SMTP_HOST"))


def link(c, path: str) -> str:
    return (c.settings.get("APP_URL") or "").rstrip("/") + path


def preference(c, user: User) -> str:
    row = c.session.get(NotificationPreference, user.id)
    return row.mode if row is not None and row.mode in MODES else "immediate"


def set_preference(c, actor: User, mode: str, user_id: int | None = None) -> str:
    """Set the notification mode of ``actor`` (or, for an admin, of ``user_id``); audited."""
    try:
        if mode not in MODES:
            raise E.InvalidInput(E.invalid_field("mode", "„sofort“, „täglich“ oder „aus“.",
                                                 "'immediate', 'digest' or 'off'."))
        target = actor.id if user_id is None else int(user_id)
        if target != actor.id and Role(actor.role) != Role.ADMIN:
            raise E.forbidden_role("manage accounts", actor.role, ["admin"])
        row = c.session.get(NotificationPreference, target)
        old = row.mode if row is not None else "immediate"
        if row is None:
            row = NotificationPreference(user_id=target, mode=mode, updated_at=c.now())
            c.session.add(row)
        row.mode, row.updated_at = mode, c.now()
        c.session.flush()
        audit.record(c.session, actor, "notifications.preference_changed", None, {"from": old, "to": mode},
                     object_type="users", object_id=target)
        c.session.commit()
        return mode
    except BaseException:
        c.session.rollback()
        raise


# --- what a mail says ------------------------------------------------------------------------------------

def _fields(c, sub: Submission, actor: Any = None) -> dict[str, Any]:
    v = sub.current_version
    meta = (v.meta if v is not None else None) or {}
    return {"id": sub.id, "title": meta.get("title") or "-", "period": meta.get("reference_period") or "-",
            "series": sub.series.slug if sub.series is not None else "-",
            "submitter": sub.submitter.display_name or sub.submitter.username,
            "actor": (actor.display_name or actor.username) if isinstance(actor, User) else "Freigabe",
            "audience": {"public": "öffentlich", "restricted": "eingeschränkt"}.get(
                meta.get("audience") or "public", "für eine einzelne Anfrage"),
            "embargo": ""}


def message(c, user: User | None, kind: str, fields: dict, path: str, *, submission_id: int | None = None,
            address: str | None = None, always: bool = False, secret: bool = False,
            dedupe_key: str | None = None) -> MailMessage | None:
    """One outbox row for ``user`` (or a bare ``address``) in the caller's transaction; None when the user has
    no address, is inactive or turned this off."""
    to = address if address is not None else (user.email if user is not None else "")
    if not to or "@" not in to or (user is not None and not user.active):
        return None
    if dedupe_key and c.session.execute(select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key)
                                        ).first() is not None:
        return None
    mode = "immediate" if (always or user is None or kind in ALWAYS) else preference(c, user)
    if mode == "off":
        return None
    url = link(c, path)
    subject, body = mailtexts.render(kind, {**fields, "link": url},
                                     name=(user.display_name or user.username) if user is not None else "",
                                     prefs=link(c, PREFS_PATH) if user is not None else "")
    msg = MailMessage(created_at=c.now(), kind=kind, user_id=user.id if user is not None else None,
                      to_address=to[:200], subject=subject, body=body, link=url[:500], submission_id=submission_id,
                      secret=secret, state=(MailState.DIGEST if mode == "digest" else MailState.PENDING).value,
                      dedupe_key=dedupe_key,
                      attempts=0, next_attempt_at=c.now())
    c.session.add(msg)
    return msg


def _approvers(c, sub: Submission | None, exclude: set[int] = frozenset()) -> list[User]:
    from publisher.workflow import _is_author

    rows = c.session.execute(select(User).where(User.role == Role.APPROVER.value, User.active.is_(True))
                             .order_by(User.id)).scalars()
    return [u for u in rows if u.id not in exclude and (sub is None or not _is_author(u, sub))]


def _waiting(c, sub, actor, details):
    return [message(c, u, "submission.waiting", _fields(c, sub, actor), f"/review/{sub.id}", submission_id=sub.id)
            for u in _approvers(c, sub)]


def _first_approval(c, sub, actor, details):
    skip = {actor.id} if isinstance(actor, User) else set()
    return [message(c, u, "submission.first_approval", _fields(c, sub, actor), f"/review/{sub.id}",
                    submission_id=sub.id) for u in _approvers(c, sub, skip)]


def _to_submitter(kind: str) -> Callable:
    def go(c, sub, actor, details):
        return [message(c, sub.submitter, kind, _fields(c, sub, actor), f"/submissions/{sub.id}",
                        submission_id=sub.id)]
    return go


def _published(c, sub, actor, details):
    from publisher.models_ledger import Embargo

    out = [message(c, sub.submitter, "publication.completed", _fields(c, sub, actor), f"/submissions/{sub.id}",
                   submission_id=sub.id)]
    emb = c.session.execute(select(Embargo).where(Embargo.version_id == sub.current_version_id)
                            ).scalar_one_or_none()
    if emb is not None:
        dpo = c.session.get(User, emb.set_by_id) if emb.set_by_id else None
        from publisher.i18n import format_datetime

        fields = {**_fields(c, sub, actor), "embargo": format_datetime(emb.embargo_until, "de")}
        for u in ([dpo] if dpo is not None and dpo.active else _approvers(c, sub)):
            out.append(message(c, u, "embargo.ended", fields, f"/review/{sub.id}", submission_id=sub.id))
    return out


def _failed(c, sub, actor, details):
    fields = _fields(c, sub, actor)
    out = [message(c, sub.submitter, "publication.failed", fields, f"/submissions/{sub.id}",
                   submission_id=sub.id, always=True)]
    out += [message(c, u, "publication.failed", fields, f"/review/{sub.id}", submission_id=sub.id, always=True)
            for u in _approvers(c, None) if u.id != sub.submitter_id]
    return out


def _standing(c, sub, actor, details):
    dpo = actor if isinstance(actor, User) else None
    return [message(c, u, "series.standing_release", _fields(c, sub, actor), f"/review/{sub.id}",
                    submission_id=sub.id) for u in ([dpo] if dpo is not None else _approvers(c, sub))]


EVENTS: dict[str, Callable] = {
    "submission.submitted": _waiting,
    "submission.resubmitted": _waiting,
    "submission.first_approval": _first_approval,
    "submission.returned": _to_submitter("submission.returned"),
    "submission.rejected": _to_submitter("submission.rejected"),
    "submission.approved": _to_submitter("submission.approved"),
    "publication.completed": _published,
    "publication.failed": _failed,
    "series.standing_release": _standing,
}


def enqueue(c, event: str, sub: Submission | None = None, *, actor: Any = None,
            details: dict | None = None) -> list[MailMessage]:
    """The mails of ``event`` about ``sub`` (caller's transaction, no commit); [] for events nobody is told of."""
    if event == "publication.completed" and sub is not None:
        from publisher.services import requests as individual  # item 4: a delivery gets its link (and mail) now

        individual.on_published(c, sub)
    handler = EVENTS.get(event)
    if handler is None or sub is None or not enabled(c):
        return []
    return [m for m in handler(c, sub, actor if isinstance(actor, User) else None, details or {}) if m is not None]


def is_stale(c, msg: MailMessage) -> bool:
    """A 'waiting' mail about a submission that is no longer waiting is not sent any more."""
    if msg.kind not in WAITING_KINDS or msg.submission_id is None:
        return False
    sub = c.session.get(Submission, msg.submission_id)
    return sub is None or sub.state != State.SUBMITTED.value


# --- daily: reminders and digests ----------------------------------------------------------------------------

def _local_day(c) -> tuple[dt.datetime, str] | None:
    now = c.now()
    local = now.astimezone(BERLIN)
    if local.hour < int(c.settings.get("MAIL_DAILY_HOUR") or 0):
        return None
    return now, local.date().isoformat()


def _reminders(c, now: dt.datetime, day: str) -> int:
    days = int(c.settings.get("MAIL_REMINDER_DAYS") or 0)
    if days <= 0:
        return 0
    subs = c.session.execute(select(Submission).where(
        Submission.state == State.SUBMITTED.value,
        Submission.state_changed_at <= now - dt.timedelta(days=days)).order_by(Submission.id)).scalars().all()
    n = 0
    from publisher.i18n import format_datetime

    for sub in subs:
        fields = {**_fields(c, sub), "days": (now - sub.state_changed_at).days,
                  "since": format_datetime(sub.state_changed_at, "de")}
        for u in _approvers(c, sub):
            n += message(c, u, "submission.reminder", fields, f"/review/{sub.id}", submission_id=sub.id,
                         dedupe_key=f"reminder:{sub.id}:{u.id}:{day}") is not None
    return n


def _digests(c, now: dt.datetime, day: str) -> int:
    """One digest per user and day with everything collected before today's digest hour (later events wait
    for tomorrow's)."""
    local = now.astimezone(BERLIN)
    cutoff = dt.datetime.combine(local.date(), dt.time(int(c.settings.get("MAIL_DAILY_HOUR") or 0)), BERLIN)
    rows = c.session.execute(select(MailMessage).where(MailMessage.state == MailState.DIGEST.value,
                                                       MailMessage.created_at < cutoff)
                             .order_by(MailMessage.user_id, MailMessage.id)).scalars().all()
    by_user: dict[int, list[MailMessage]] = {}
    for m in rows:
        if m.user_id is not None:
            by_user.setdefault(m.user_id, []).append(m)
    n = 0
    for uid, msgs in by_user.items():
        key = f"digest:{uid}:{day}"
        if c.session.execute(select(MailMessage.id).where(MailMessage.dedupe_key == key)).first() is not None:
            continue
        live = []
        for m in msgs:
            if is_stale(c, m):
                m.state = MailState.DROPPED.value
            else:
                live.append(m)
        user = c.session.get(User, uid)
        if not live or user is None:
            continue
        items = "\n".join(f"- {m.subject.removeprefix('[Freigabe] ')}\n  {m.link}" for m in live)
        d = message(c, user, "digest", {"n": len(live), "items": items}, "/dashboard", always=True,
                    dedupe_key=key)
        if d is None:
            continue
        c.session.flush()
        for m in live:
            m.state, m.bundled_into = MailState.BUNDLED.value, d.id
        n += 1
    return n


def daily(c) -> int:
    """Reminders and digests of the day (from ``MAIL_DAILY_HOUR`` Berlin time on; once per day, deduplicated);
    returns the mails written."""
    if not enabled(c):
        return 0
    when = _local_day(c)
    if when is None:
        return 0
    try:
        n = _reminders(c, *when) + _digests(c, *when)
        c.session.commit()
        return n
    except BaseException:
        c.session.rollback()
        raise


__all__ = ["enqueue", "message", "daily", "preference", "set_preference", "is_stale", "link", "MODES", "ALWAYS"]
