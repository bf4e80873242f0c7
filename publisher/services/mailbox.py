"""The mail outbox's bookkeeping (issue 18 item 3): claim a due mail, settle it as sent / retry / failed.

Used by the sender loop (:mod:`publisher.mailer`) like :mod:`publisher.services.publication` is used by the
publication worker: a mail is claimed with a compare-and-set on ``state``/``attempts`` (plus
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two workers never send the same mail; a mail whose sender died
(``sending`` for longer than the lease) is taken over.  Delivery is at least once: a sender killed between the
SMTP server's acceptance and :func:`sent` sends that one mail again.  Every final state is audited
(``mail.sent``, ``mail.failed``, ``mail.dropped``) without the body; a body with a secret link is replaced by
its sha256 once sent.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import and_, or_, select

from publisher import audit
from publisher.models_directory import MailMessage, MailState
from publisher.services import leases

LEASE = dt.timedelta(minutes=10)


def backoff(attempts: int) -> dt.timedelta:
    """1 min, 2 min, 4 min, ... at most one hour."""
    return dt.timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


def claim(c, worker_id: str) -> MailMessage | None:
    now = c.now()
    due = or_(and_(MailMessage.state == MailState.PENDING.value, MailMessage.next_attempt_at <= now),
              and_(MailMessage.state == MailState.SENDING.value, MailMessage.locked_at < now - LEASE))
    return leases.claim_due(c.session, MailMessage, due, worker_id=worker_id, now=now,
                            target_of=lambda _state: MailState.SENDING.value)


def _settle(c, mid: int, worker_id: str, change) -> MailMessage | None:
    return leases.settle(c.session, MailMessage, mid, worker_id, MailState.SENDING.value, change)


def _info(msg: MailMessage) -> dict:
    return {"mail": msg.id, "kind": msg.kind, "to": msg.to_address, "subject": msg.subject,
            "submission": msg.submission_id, "attempts": msg.attempts}


def sent(c, mid: int, worker_id: str) -> MailMessage | None:
    def go(msg):
        msg.state, msg.sent_at, msg.last_error = MailState.SENT.value, c.now(), None
        if msg.secret:  # the link must not stay readable in the database
            msg.body = "sha256:" + hashlib.sha256(msg.body.encode("utf-8")).hexdigest()
        audit.record(c.session, "system", "mail.sent", None, _info(msg), object_type="mail_outbox",
                     object_id=msg.id)
    return _settle(c, mid, worker_id, go)


def dropped(c, mid: int, worker_id: str, reason: str) -> MailMessage | None:
    def go(msg):
        msg.state, msg.last_error = MailState.DROPPED.value, reason[:500]
        audit.record(c.session, "system", "mail.dropped", None, {**_info(msg), "reason": reason[:200]},
                     object_type="mail_outbox", object_id=msg.id)
    return _settle(c, mid, worker_id, go)


def failed(c, mid: int, worker_id: str, error: str, *, permanent: bool = False) -> MailMessage | None:
    """A failed attempt: back to pending with backoff, or ``failed`` (audited) after ``MAIL_MAX_ATTEMPTS``
    or at once when the server refused for good (5xx)."""
    limit = int(c.settings.get("MAIL_MAX_ATTEMPTS") or 10)

    def go(msg):
        msg.last_error = error[:2000]
        if permanent or msg.attempts >= limit:
            msg.state = MailState.FAILED.value
            audit.record(c.session, "system", "mail.failed", None, {**_info(msg), "error": error[:500]},
                         object_type="mail_outbox", object_id=msg.id)
        else:
            msg.state, msg.next_attempt_at = MailState.PENDING.value, c.now() + backoff(msg.attempts)
    return _settle(c, mid, worker_id, go)


def outbox(c, *, kind: str | None = None, state: str | None = None) -> list[MailMessage]:
    q = select(MailMessage).order_by(MailMessage.id)
    if kind is not None:
        q = q.where(MailMessage.kind == kind)
    if state is not None:
        q = q.where(MailMessage.state == state)
    return list(c.session.execute(q).scalars())
