"""Sessions and credentials (issue 14 item 6).

* Server-side web sessions (:class:`publisher.models_trust.WebSession`): :func:`start_session` at login (the
  cookie carries a random token, the database its sha256), :func:`session_user` on every request (absolute
  lifetime ``SESSION_MAX_HOURS``, idle timeout ``SESSION_IDLE_MINUTES``), :func:`end_all` ends every session
  of an account - at logout, password change, admin reset and deactivation (the last three also revoke every
  API token).  A copied cookie of an ended session opens nothing.
* Per-client login backoff (:class:`publisher.models_trust.LoginBackoff`): failures are counted per client
  address *and* user name, so a stranger's failures never lock the owner out; an unknown user name is
  counted and answered exactly like a known one (nothing tells which accounts exist).
* :func:`reset_password` (admin): a new one-time password, shown once - for approver and admin accounts
  only by mail to the account itself; the user must change it at the next login (:func:`change_own_password`).
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select

from disclosure_rules.findings import Severity, register
from publisher import audit
from publisher.models import ApiToken, Decision, Submission, User
from publisher.models_trust import LoginBackoff, WebSession
from publisher.services import errors as E
from publisher.storage import sha256_text
from publisher.workflow import Role, State

LOGIN_WAIT = register(
    "publisher.login_wait", Severity.ERROR,
    "Zu viele Fehlversuche von diesem Gerät für diesen Benutzernamen. Bitte {seconds} Sekunden warten.",
    "Too many failed attempts from this device for this user name. Please wait {seconds} seconds.")
RESET_NEEDS_MAIL = register(
    "publisher.reset_needs_mail", Severity.ERROR,
    "Das Passwort von {user} (Datenschutz oder Administration) wird nur per E-Mail an die Adresse des Kontos "
    "zurückgesetzt, nie auf dem Bildschirm einer anderen Person. Das Konto hat keine Adresse oder es ist kein "
    "Mailserver eingerichtet: bitte den Betrieb bitten (`freigabe user reset-password` auf dem Server).",
    "The password of {user} (data protection or administration) is reset only by mail to the account's own "
    "address, never on another person's screen. The account has no address or no mail server is configured: "
    "ask operations (`freigabe user reset-password` on the server).")
PASSWORD_CURRENT_WRONG = register(
    "publisher.password_current_wrong", Severity.ERROR,
    "Das bisherige Passwort stimmt nicht.", "The current password is wrong.")

DEFAULT_MAX_HOURS = 8
DEFAULT_IDLE_MINUTES = 30
TOUCH_EVERY = dt.timedelta(seconds=60)


# --- sessions ---------------------------------------------------------------------------------------------

def _limits(c) -> tuple[dt.timedelta, dt.timedelta]:
    hours = float(c.settings.get("SESSION_MAX_HOURS") or DEFAULT_MAX_HOURS)
    idle = float(c.settings.get("SESSION_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES)
    return dt.timedelta(hours=hours), dt.timedelta(minutes=idle)


def start_session(c, user: User) -> str:
    """A new session for ``user``; returns the token for the cookie (only its sha256 is stored)."""
    token = secrets.token_urlsafe(32)
    now = c.now()
    max_age, _ = _limits(c)
    # sessions that ended or ran out long ago are removed (the table does not grow without limit)
    c.session.execute(delete(WebSession).where(WebSession.user_id == user.id,
                                               WebSession.created_at < now - max_age - dt.timedelta(days=1)))
    c.session.add(WebSession(id=sha256_text(token), user_id=user.id, created_at=now, last_seen_at=now))
    E.commit(c)
    return token


def session_user(c, token: str | None) -> User | None:
    """The user of a live session, or None (unknown, ended, too old, idle too long, account disabled)."""
    if not token or not isinstance(token, str):
        return None
    row = c.session.get(WebSession, sha256_text(token))
    if row is None or row.ended_at is not None:
        return None
    now = c.now()
    max_age, idle = _limits(c)
    reason = "max_age" if now - row.created_at > max_age else ("idle" if now - row.last_seen_at > idle else "")
    user = c.session.get(User, row.user_id)
    if not reason and (user is None or not user.active):
        reason = "inactive"
    if reason:
        row.ended_at, row.end_reason = now, reason
        E.commit(c)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:  # bookkeeping for the idle timeout; not audited
        row.last_seen_at = now
        E.commit(c)
    return user


def end_all(c, user_id: int, reason: str, *, tokens: bool = False) -> dict[str, int]:
    """End every live session of the account (and with ``tokens`` revoke every API token); no commit."""
    now = c.now()
    n = 0
    for row in c.session.execute(select(WebSession).where(WebSession.user_id == user_id,
                                                          WebSession.ended_at.is_(None))).scalars():
        row.ended_at, row.end_reason = now, reason
        n += 1
    t = 0
    if tokens:
        for tok in c.session.execute(select(ApiToken).where(ApiToken.user_id == user_id,
                                                            ApiToken.revoked_at.is_(None))).scalars():
            tok.revoked_at = now
            t += 1
    return {"sessions": n, "tokens": t}


def logout(c, user: User) -> None:
    ended = end_all(c, user.id, "logout")
    audit.record(c.session, user, "session.logout", user, ended)
    E.commit(c)


def list_sessions(c, user_id: int) -> list[WebSession]:
    return list(c.session.execute(select(WebSession).where(WebSession.user_id == user_id,
                                                           WebSession.ended_at.is_(None))
                                  .order_by(WebSession.created_at)).scalars())


# --- login backoff ----------------------------------------------------------------------------------------

def _backoff_key(client: str, username: str) -> str:
    return sha256_text(f"{client}|{(username or '').strip().lower()}")


def check_backoff(c, client: str, username: str) -> None:
    """Raise (401, the same text for every user name) while this client must wait for this user name."""
    row = c.session.get(LoginBackoff, _backoff_key(client, username))
    now = c.now()
    if row is not None and row.blocked_until is not None and row.blocked_until > now:
        seconds = max(1, int((row.blocked_until - now).total_seconds()))
        raise E.AuthenticationFailed(LOGIN_WAIT, seconds=seconds)


def record_failure(c, client: str, username: str) -> LoginBackoff:
    """Count a failed login of ``client`` for ``username`` (no commit).  From the threshold on the client waits
    30 s, doubling with each further failure, at most ``LOCKOUT_MINUTES``."""
    now = c.now()
    key = _backoff_key(client, username)
    row = c.session.get(LoginBackoff, key)
    if row is None:
        c.session.execute(delete(LoginBackoff).where(LoginBackoff.updated_at < now - dt.timedelta(days=1)))
        row = LoginBackoff(key=key, failures=0, updated_at=now)
        c.session.add(row)
    row.failures = (row.failures or 0) + 1
    row.updated_at = now
    threshold = int(c.settings.get("LOCKOUT_THRESHOLD") or 5)
    if row.failures >= threshold:
        cap = dt.timedelta(minutes=int(c.settings.get("LOCKOUT_MINUTES") or 15))
        wait = min(cap, dt.timedelta(seconds=30 * 2 ** (row.failures - threshold)))
        row.blocked_until = now + wait
    c.session.flush()
    return row


def clear_backoff(c, client: str, username: str) -> None:
    c.session.execute(delete(LoginBackoff).where(LoginBackoff.key == _backoff_key(client, username)))


# --- passwords, deactivation -----------------------------------------------------------------------------

def reset_password(c, actor: User, user_id: int, *, operator: bool = False) -> tuple[User, str | None]:
    """Admin: a new one-time password; every session and token of the account ends; the user must choose a
    new password at the next login.

    The password is returned (shown once) for ordinary accounts.  For an **approver or admin** account reset
    by another person it is never shown: it goes by mail to the account's own address (scrubbed from the
    outbox once sent), so an administrator cannot sign on as the approver and release data.  Without an
    address or a mail server such a reset is refused; the operator on the machine (CLI, ``operator=True``)
    may still reset and see it - whoever runs the CLI holds the database anyway.
    """
    from publisher.services import accounts, notify
    from publisher.services.roles import PRIVILEGED

    if actor is None or Role(actor.role) != Role.ADMIN or not actor.active:
        raise E.forbidden_role("reset_password", getattr(actor, "role", "-"), ["admin"])
    user = accounts.get_user(c, user_id)
    by_mail = user.role in PRIVILEGED and user.id != actor.id and not operator
    if by_mail and not (notify.enabled(c) and user.email and "@" in user.email and user.active):
        raise E.Forbidden(RESET_NEEDS_MAIL, user=user.username)
    password = accounts.generate_password()
    user.password_hash = accounts.hash_password(password)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    ended = end_all(c, user.id, "password_reset", tokens=True)
    if by_mail:
        notify.message(c, user, "account.password_reset", {"username": user.username, "password": password,
                                                           "admin": actor.display_name or actor.username},
                       "/login", always=True, secret=True)
    audit.record(c.session, actor, "user.password_reset", user,
                 {**ended, "delivery": "mail" if by_mail else ("operator" if operator else "shown")})
    E.commit(c)
    return user, (None if by_mail else password)


def change_own_password(c, user: User, current: str, new: str) -> User:
    """The user's own change (also the forced one after a reset): every session and token ends."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    from publisher.services import accounts

    user = accounts.get_user(c, user.id)
    try:
        accounts._hasher.verify(user.password_hash or "", current or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise E.InvalidInput(E.Finding(PASSWORD_CURRENT_WRONG, {}, column="current_password")) from None
    accounts._check_password_policy(new, user.username)
    user.password_hash = accounts.hash_password(new)
    user.must_change_password = False
    ended = end_all(c, user.id, "password_changed", tokens=True)
    audit.record(c.session, user, "user.password_changed", user, ended)
    E.commit(c)
    return user


def on_deactivated(c, user: User) -> dict:
    """Deactivation (caller's transaction): sessions and tokens end; the user's approvals of releases not
    yet published no longer count (a pending first approval is void; the worker refuses an approved one)."""
    ended = end_all(c, user.id, "deactivated", tokens=True)
    voided = 0
    for d in c.session.execute(select(Decision).join(Submission, Submission.id == Decision.submission_id).where(
            Decision.actor_id == user.id, Decision.action.in_(["approve", "approve_first"]),
            Decision.invalidated_at.is_(None), Submission.state == State.SUBMITTED.value)).scalars():
        d.invalidated_at = c.now()
        voided += 1
    return {**ended, "approvals_voided": voided}


__all__ = ["start_session", "session_user", "end_all", "logout", "list_sessions", "check_backoff",
           "record_failure", "clear_backoff", "reset_password", "change_own_password", "on_deactivated",
           "LOGIN_WAIT", "PASSWORD_CURRENT_WRONG", "RESET_NEEDS_MAIL"]
