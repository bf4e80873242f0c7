"""The mail sender (issue 18 item 3): sends the mail outbox over SMTP, after commit, never in a request.

:func:`tick` is the ONE hook the worker loop calls (``publisher.worker.run``): it runs the periodic duties of
issue 18 (daily reminders and digests, account expiry, directory sync; each at most every ``PERIODIC_SECONDS``
per process) and then sends what is due.  ``freigabe mail send`` does the same once from the command line.

SMTP: ``SMTP_TLS=starttls`` (default) refuses a server that offers no STARTTLS, ``implicit`` speaks TLS from
the first byte, ``none`` is for a relay on the same host only; the certificate is checked (``SMTP_CA_FILE``
or the system's CAs, host name included); AUTH happens only over TLS.  A failed attempt is retried with
backoff (:mod:`publisher.services.mailbox`), a 5xx refusal of the recipient fails the mail at once.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from publisher.services import open_ctx

log = logging.getLogger("freigabe.mailer")
PERIODIC_SECONDS = 60.0
_last_periodic: dict[int, float] = {}
_lock = threading.Lock()


class MailError(Exception):
    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def _tls_context(settings) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=settings.get("SMTP_CA_FILE") or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def build(settings, msg) -> EmailMessage:
    em = EmailMessage()
    sender = settings.get("MAIL_FROM") or "freigabe@localhost"
    em["From"] = sender
    em["To"] = msg.to_address
    em["Subject"] = msg.subject
    em["Date"] = format_datetime(msg.created_at)
    em["Message-ID"] = make_msgid(idstring=f"freigabe.{msg.id}", domain=sender.rpartition("@")[2] or None)
    em["Auto-Submitted"] = "auto-generated"
    em["X-Freigabe-Kind"] = msg.kind
    em.set_content(msg.body, charset="utf-8")
    return em


def smtp_send(settings, em: EmailMessage) -> None:
    """Deliver one message to the configured SMTP server; raises :class:`MailError`."""
    host, port = settings.get("SMTP_HOST"), int(settings.get("SMTP_PORT") or 587)
    mode = (settings.get("SMTP_TLS") or "starttls").lower()
    timeout = float(settings.get("SMTP_TIMEOUT") or 30)
    user, password = settings.get("SMTP_USERNAME") or "", settings.get("SMTP_PASSWORD") or ""
    if mode not in ("starttls", "implicit", "none"):
        raise MailError(f"FREIGABE_SMTP_TLS={mode!r}: starttls, implicit or none", permanent=True)
    try:
        if mode == "implicit":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context(settings))
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if mode == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailError(f"{host}:{port} offers no STARTTLS; refusing to send in clear text")
                smtp.starttls(context=_tls_context(settings))
                smtp.ehlo()
            if user:
                if mode == "none":
                    raise MailError("SMTP AUTH without TLS is refused (FREIGABE_SMTP_TLS=none)", permanent=True)
                smtp.login(user, password)
            smtp.send_message(em)
    except MailError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                        permanent=exc.smtp_code >= 500 and exc.smtp_code not in (530, 535)) from None
    except (OSError, smtplib.SMTPException) as exc:  # refused, timeout, TLS/certificate errors
        raise MailError(f"{type(exc).__name__}: {exc}") from None


def send_one(app, wid: str) -> bool:
    """Claim and send one due mail; False when nothing was due."""
    from publisher.services import mailbox, notify

    with open_ctx(app) as c:
        if not notify.enabled(c):
            return False
        msg = mailbox.claim(c, wid)
        if msg is None:
            return False
        mid = msg.id
        if notify.is_stale(c, msg):
            mailbox.dropped(c, mid, wid, "submission no longer waiting")
            return True
        em = build(c.settings, msg)
        c.session.rollback()  # no transaction open while talking to the server
        try:
            smtp_send(c.settings, em)
        except MailError as exc:
            log.warning("mail %s: %s", mid, exc)
            mailbox.failed(c, mid, wid, str(exc), permanent=exc.permanent)
        else:
            mailbox.sent(c, mid, wid)
        return True


def periodic(app) -> int:
    """Daily reminders and digests, account expiry, directory sync (each duty decides itself whether it is due)."""
    done = 0
    with open_ctx(app) as c:
        for duty in _duties():
            try:
                done += int(duty(c) or 0)
            except Exception:  # one broken duty must not stop the mail (or the publication worker)
                log.exception("periodic duty %s", getattr(duty, "__name__", duty))
                c.session.rollback()
    return done


def _duties():
    from publisher.services import notify

    duties = [notify.daily]
    try:
        from publisher.services import invitations

        duties.append(invitations.sweep)
    except ImportError:  # pragma: no cover
        pass
    try:
        from publisher.services import directory

        duties.append(directory.periodic_sync)
    except ImportError:  # pragma: no cover
        pass
    return duties


def tick(app, wid: str | None = None, *, force: bool = False) -> bool:
    """The worker's hook: periodic duties (at most every ``PERIODIC_SECONDS``), then send up to 20 due mails.
    True when a mail was handled (the worker loop then polls again at once)."""
    from publisher.worker import worker_id

    wid = wid or worker_id()
    now = time.monotonic()
    with _lock:
        due = force or now - _last_periodic.get(id(app), -1e9) >= PERIODIC_SECONDS
        if due:
            _last_periodic[id(app)] = now
    if due:
        periodic(app)
    worked = False
    for _ in range(20):
        if not send_one(app, wid):
            break
        worked = True
    return worked


def run_until_idle(app, limit: int = 1000) -> int:
    """Send every due mail (tests, ``freigabe mail send``); returns how many were handled."""
    from publisher.worker import worker_id

    wid, n = worker_id(), 0
    periodic(app)
    while n < limit and send_one(app, wid):
        n += 1
    return n
