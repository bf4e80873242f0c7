"""Accounts: users (argon2 hashes, lockout), groups, API tokens (only the sha256 is stored)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from disclosure_rules.findings import Finding
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from publisher import audit
from publisher.models import ApiToken, Group, User
from publisher.services import errors as E
from publisher.workflow import Role

_hasher = PasswordHasher()
# a valid hash of a random password: verifying against it costs the same time as a real check
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{2,100}$")
MIN_PASSWORD = 12
TOKEN_PREFIX = "fgb_"


def expired(user, now) -> bool:
    """Issue 18: an invited external reader's account past its end date is refused like a deactivated one."""
    return user is not None and user.expires_at is not None and user.expires_at <= now


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, ~120 bits


# a small deny list of passwords that are long enough but guessed first (lower-case comparison)
COMMON_PASSWORDS = frozenset({
    "passwort1234", "password1234", "passwort12345", "password12345", "123456789012", "1234567890123",
    "qwertzuiop12", "qwertyuiop12", "qwertzuiopü", "hallo1234567", "sommer2024!!", "sommer2025!!",
    "sommer2026!!", "winter2025!!", "winter2026!!", "willkommen12", "willkommen123", "willkommen1234",
    "administrator", "administrator1", "passwortpasswort", "passwordpassword", "letmein12345",
    "iloveyou1234", "abc123456789", "aaaaaaaaaaaa", "111111111111", "000000000000", "freigabe1234",
    "freigabe12345", "statistik123", "statistik1234", "geheimgeheim", "geheim123456", "changeme1234",
})


def password_problems(password: str, username: str = "") -> list[Finding]:
    """Policy findings for ``password`` (empty = acceptable): length ≥ 12, not the username, not common."""
    problems: list[Finding] = []
    if len(password or "") < MIN_PASSWORD:
        problems.append(E.invalid_field(
            "password", f"mindestens {MIN_PASSWORD} Zeichen nötig.", f"at least {MIN_PASSWORD} characters needed."))
    low = (password or "").strip().lower()
    if username and low in {username.lower(), username.lower() * 2}:
        problems.append(E.invalid_field(
            "password", "darf nicht der Benutzername sein.", "must not be the username."))
    if low in COMMON_PASSWORDS or (len(set(low)) <= 2 and low):
        problems.append(E.invalid_field(
            "password", "ist zu verbreitet und leicht zu erraten; bitte ein anderes wählen.",
            "is too common and easy to guess; please choose another."))
    return problems


def _check_password_policy(password: str, username: str = "") -> None:
    problems = password_problems(password, username)
    if problems:
        raise E.InvalidInput(problems)


def record_security_event(c, event: str, details: dict | None = None, actor=None) -> None:
    """Audit a security event that changes no other state (e.g. ``ratelimit.login``), committed on its own."""
    try:
        audit.record(c.session, actor, event, None, {k: (str(v)[:200] if isinstance(v, str) else v)
                                                      for k, v in (details or {}).items()},
                     object_type="security", object_id="", anonymous=actor is None)
        E.commit(c)
    except BaseException:
        c.session.rollback()
        raise


def _require_admin(actor) -> None:
    if actor is not None and Role(actor.role) != Role.ADMIN:
        raise E.forbidden_role("manage accounts", actor.role, ["admin"])


def ensure_group(c, actor, name: str, *, commit: bool = True) -> Group:
    g = c.session.execute(select(Group).where(Group.name == name)).scalar_one_or_none()
    if g is None:
        if not re.match(r"^[\w .@-]{1,100}$", name):
            raise E.InvalidInput(E.invalid_field("group", "ungültiger Gruppenname.", "invalid group name."))
        g = Group(name=name)
        c.session.add(g)
        c.session.flush()
        audit.record(c.session, actor or "cli", "group.created", g, {"name": name})
        if commit:
            E.commit(c)
    return g


def create_user(c, actor, username: str, role: str, *, password: str | None = None, groups=(),
                display_name: str = "", email: str = "") -> tuple[User, str]:
    """Create an account; returns ``(user, password)``.  ``actor=None`` = CLI (operator on the machine)."""
    try:
        _require_admin(actor)
        if not USERNAME_RE.match(username or ""):
            raise E.InvalidInput(E.invalid_field(
                "username", "2–100 Zeichen aus Buchstaben, Ziffern und . _ @ -.",
                "2-100 characters of letters, digits and . _ @ -."))
        try:
            role_enum = Role(role)
        except ValueError:
            role_enum = None
        if role_enum not in Role.login_roles():
            raise E.InvalidInput(E.invalid_field(
                "role", f"unbekannte Rolle „{role}“ (submitter, approver, admin, reader).",
                f"unknown role '{role}' (submitter, approver, admin, reader)."))
        if c.session.execute(select(User).where(User.username == username)).scalar_one_or_none():
            raise E.InvalidInput(Finding(E.DUPLICATE, {**E.what("Benutzer"), "name": username}, column="username"))
        if password is None:
            password = generate_password()
        else:
            _check_password_policy(password, username)
        # issue 14: approver/admin given by a person needs a second person's confirmation (services.roles)
        needs_second = actor is not None and role_enum.value in ("approver", "admin")
        user = User(username=username, role=Role.READER.value if needs_second else role_enum.value,
                    password_hash=hash_password(password), display_name=display_name or username, email=email)
        user.groups = [ensure_group(c, actor, g, commit=False) for g in groups]
        c.session.add(user)
        c.session.flush()
        audit.record(c.session, actor or "cli", "user.created", user,
                     {"username": username, "role": user.role, "groups": sorted(groups),
                      **({"requested_role": role_enum.value} if needs_second else {})})
        if needs_second:
            from publisher.services import roles

            roles.request_role(c, actor, user, role_enum.value)
        E.commit(c)
    except IntegrityError as exc:
        c.session.rollback()
        if "username" not in str(exc.orig):
            raise
        raise E.InvalidInput(Finding(E.DUPLICATE, {**E.what("Benutzer"), "name": username}, column="username")) from None
    except BaseException:
        c.session.rollback()
        raise
    return user, password


def get_user(c, user_id: int) -> User:
    u = c.session.get(User, user_id)
    if u is None:
        raise E.not_found("Benutzer", user_id)
    return u


def get_user_by_name(c, username: str) -> User:
    u = c.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if u is None:
        raise E.not_found("Benutzer", username)
    return u


def list_users(c, actor) -> list[User]:
    _require_admin(actor)
    return list(c.session.execute(select(User).order_by(User.username)).scalars())


def authenticate(c, username: str, password: str, client: str = "-") -> User:
    """Check a login from ``client`` (the client address).

    Issue 14: no account-wide lockout (a stranger could lock the DPO out with a few requests).  Failures are
    counted per client *and* user name (:mod:`publisher.services.credentials`); from ``LOCKOUT_THRESHOLD`` on
    that client waits (doubling, at most ``LOCKOUT_MINUTES``) - with the same answer for known and unknown
    names, so nothing tells which accounts exist.  Failed logins are audited (committed although the login
    fails); the rate limits bound how many a client can cause.
    """
    from publisher.services import credentials

    s = c.session
    now = c.now()
    credentials.check_backoff(c, client, username)
    user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    from publisher.services import directory  # issue 18: directory accounts sign on against LDAP/AD

    verdict = directory.sign_on(c, username, password, user)  # None: a local account (externals, break-glass)
    ok = False
    if verdict is not None:
        user, ok = verdict
        ok = ok and user is not None and user.active and not expired(user, now)
    elif user is None or not user.active or not user.password_hash or expired(user, now):
        try:
            _hasher.verify(_DUMMY_HASH, password or "-")
        except VerificationError:
            pass
    else:
        try:
            _hasher.verify(user.password_hash, password or "")
            ok = True
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok:
        row = credentials.record_failure(c, client, username)
        if user is not None and user.active and user.password_hash:
            user.failed_logins = (user.failed_logins or 0) + 1
        audit.record(s, None, "login.failed", user if user is not None else None,
                     {"username": username[:100], "client": client[:64], "failures": row.failures},
                     object_type="users", object_id=str(user.id) if user else "", anonymous=True)
        if row.blocked_until is not None and row.failures == int(c.settings.get("LOCKOUT_THRESHOLD") or 5):
            audit.record(s, None, "login.backoff", None, {"username": username[:100], "client": client[:64],
                                                          "until": row.blocked_until.isoformat()},
                         object_type="users", object_id=str(user.id) if user else "", anonymous=True)
        E.commit(c)
        raise E.AuthenticationFailed(E.LOGIN_FAILED)
    credentials.clear_backoff(c, client, username)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(s, user, "login.succeeded", user)
    E.commit(c)
    return user


def set_password(c, actor, user_id: int, password: str) -> User:
    user = get_user(c, user_id)
    if actor is not None and actor.id != user.id:
        _require_admin(actor)
        if user.role in ("approver", "admin"):  # nobody sets a privileged account's password for it
            from publisher.services.credentials import RESET_NEEDS_MAIL

            raise E.Forbidden(RESET_NEEDS_MAIL, user=user.username)
    from publisher.services.directory import refuse_local_password

    refuse_local_password(c, user)  # issue 18: the directory keeps a directory account's password
    _check_password_policy(password, user.username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    from publisher.services.credentials import end_all  # issue 14: every session and token ends

    ended = end_all(c, user.id, "password_changed", tokens=True)
    audit.record(c.session, actor or "cli", "user.password_changed", user, ended)
    E.commit(c)
    return user


def unlock_user(c, actor, user_id: int) -> User:
    _require_admin(actor)
    user = get_user(c, user_id)
    user.failed_logins, user.locked_until = 0, None
    audit.record(c.session, actor or "cli", "user.unlocked", user)
    E.commit(c)
    return user


def set_active(c, actor, user_id: int, active: bool) -> User:
    _require_admin(actor)
    user = get_user(c, user_id)
    user.active = bool(active)
    details = {}
    if not active:  # issue 14: sessions and tokens end, pending approvals no longer count
        from publisher.services.credentials import on_deactivated

        details = on_deactivated(c, user)
    audit.record(c.session, actor or "cli", "user.activated" if active else "user.deactivated", user, details)
    E.commit(c)
    return user


def set_role(c, actor, user_id: int, role: str) -> User:
    _require_admin(actor)
    user = get_user(c, user_id)
    try:
        new = Role(role)
    except ValueError:
        new = None
    if new not in Role.login_roles():
        raise E.InvalidInput(E.invalid_field("role", f"unbekannte Rolle „{role}“.", f"unknown role '{role}'."))
    if actor is not None and new.value in ("approver", "admin"):  # issue 14: a second person confirms
        from publisher.services import roles

        roles.request_role(c, actor, user, new.value)
        E.commit(c)
        return user
    old, user.role = user.role, new.value
    audit.record(c.session, actor or "cli", "user.role_changed", user, {"from": old, "to": new.value})
    from publisher.services.roles import _notify

    _notify(c, "role_changed", {"user": user.username, "from": old, "to": new.value,
                                "by": getattr(actor, "username", "cli")}, user.id)
    E.commit(c)
    return user


def _token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(c, actor, username: str, name: str = "") -> tuple[ApiToken, str]:
    """New API token for ``username``; returns ``(token_row, plaintext)``.  Plaintext is never stored."""
    user = get_user_by_name(c, username)
    if actor is not None and actor.id != user.id:
        _require_admin(actor)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=user.id, name=name or "api", token_hash=_token_hash(plaintext),
                   prefix=plaintext[:10])
    c.session.add(tok)
    c.session.flush()
    audit.record(c.session, actor or "cli", "token.created", tok, {"user": user.username, "name": tok.name,
                                                                   "prefix": tok.prefix})
    E.commit(c)
    return tok, plaintext


def user_for_token(c, plaintext: str) -> User:
    if not plaintext:
        raise E.AuthenticationFailed(E.TOKEN_INVALID)
    tok = c.session.execute(select(ApiToken).where(ApiToken.token_hash == _token_hash(plaintext))
                            ).scalar_one_or_none()
    if tok is None or tok.revoked_at is not None or not tok.user.active or expired(tok.user, c.now()):
        raise E.AuthenticationFailed(E.TOKEN_INVALID)
    now = c.now()
    if tok.last_used_at is None or (now - tok.last_used_at) > dt.timedelta(minutes=5):
        tok.last_used_at = now  # bookkeeping only; not audited
        E.commit(c)
    return tok.user


def revoke_token(c, actor, token_id: int) -> ApiToken:
    tok = c.session.get(ApiToken, token_id)
    if tok is None:
        raise E.not_found("API-Token", token_id)
    if actor is not None and actor.id != tok.user_id:
        _require_admin(actor)
    tok.revoked_at = c.now()
    audit.record(c.session, actor or "cli", "token.revoked", tok, {"prefix": tok.prefix})
    E.commit(c)
    return tok


def list_tokens(c, actor, user_id: int | None = None) -> list[ApiToken]:
    q = select(ApiToken).order_by(ApiToken.id)
    if actor is not None and Role(actor.role) != Role.ADMIN:
        user_id = actor.id
    if user_id is not None:
        q = q.where(ApiToken.user_id == user_id)
    return list(c.session.execute(q).scalars())
