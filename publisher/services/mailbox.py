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

from sqlalchemy import and_, or_, select, update

from publisher import audit
from publisher.models_directory import MailMessage

LEASE = dt.timedelta(minutes=10)


def backoff(attempts: int) -> dt.timedelta:
    """1 min, 2 min, 4 min, ... at most one hour."""
    return dt.timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


def claim(c, worker_id: str) -> MailMessage | None:
    s, now = c.session, c.now()
    due = or_(and_(MailMessage.state == "pending", MailMessage.next_attempt_at <= now),
              and_(MailMessage.state == "sending", MailMessage.locked_at < now - LEASE))
    try:
        for _ in range(5):
            q = (select(MailMessage.id, MailMessage.state, MailMessage.attempts).where(due)
                 .order_by(MailMessage.next_attempt_at, MailMessage.id).limit(1))
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            row = s.execute(q).first()
            if row is None:
                s.rollback()
                return None
            mid, state, attempts = row
            res = s.execute(update(MailMessage).where(MailMessage.id == mid, MailMessage.state == state,
                                                      MailMessage.attempts == attempts)
                            .values(state="sending", locked_by=worker_id, locked_at=now, attempts=attempts + 1)
                            .execution_options(synchronize_session=False))
            if res.rowcount != 1:
                s.rollback()
                continue
            s.commit()
            msg = s.get(MailMessage, mid)
            s.refresh(msg)
            return msg
        return None
    except BaseException:
        s.rollback()
        raise


def _own(c, mid: int, worker_id: str) -> MailMessage | None:
    msg = c.session.get(MailMessage, mid, with_for_update=True)
    if msg is None or msg.state != "sending" or msg.locked_by != worker_id:
        return None
    return msg


def _settle(c, mid: int, worker_id: str, fn) -> MailMessage | None:
    try:
        msg = _own(c, mid, worker_id)
        if msg is None:
            c.session.rollback()
            return None
        fn(msg)
        msg.locked_by, msg.locked_at = None, None
        c.session.commit()
        return msg
    except BaseException:
        c.session.rollback()
        raise


def _info(msg: MailMessage) -> dict:
    return {"mail": msg.id, "kind": msg.kind, "to": msg.to_address, "subject": msg.subject,
            "submission": msg.submission_id, "attempts": msg.attempts}


def sent(c, mid: int, worker_id: str) -> MailMessage | None:
    def go(msg):
        msg.state, msg.sent_at, msg.last_error = "sent", c.now(), None
        if msg.secret:  # the link must not stay readable in the database
            msg.body = "sha256:" + hashlib.sha256(msg.body.encode("utf-8")).hexdigest()
        audit.record(c.session, "system", "mail.sent", None, _info(msg), object_type="mail_outbox",
                     object_id=msg.id)
    return _settle(c, mid, worker_id, go)


def dropped(c, mid: int, worker_id: str, reason: str) -> MailMessage | None:
    def go(msg):
        msg.state, msg.last_error = "dropped", reason[:500]
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
            msg.state = "failed"
            audit.record(c.session, "system", "mail.failed", None, {**_info(msg), "error": error[:500]},
                         object_type="mail_outbox", object_id=msg.id)
        else:
            msg.state, msg.next_attempt_at = "pending", c.now() + backoff(msg.attempts)
    return _settle(c, mid, worker_id, go)


def outbox(c, *, kind: str | None = None, state: str | None = None) -> list[MailMessage]:
    q = select(MailMessage).order_by(MailMessage.id)
    if kind is not None:
        q = q.where(MailMessage.kind == kind)
    if state is not None:
        q = q.where(MailMessage.state == state)
    return list(c.session.execute(q).scalars())
