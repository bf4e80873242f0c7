"""Directory accounts (issue 18 item 1): sign-on against LDAP/AD and keeping local accounts in step with it.

:func:`sign_on` is the hook of :func:`publisher.services.accounts.authenticate`: it returns ``None`` for local
accounts (externals, break-glass admin: their password is checked by Freigabe as before) and ``(user, ok)``
for directory accounts and unknown names, so the rest of the login - lockout, failure count, audit, session -
is the same code for both kinds.  On a successful bind the local account is created or updated in the login
transaction (role and download groups from the directory groups, name, e-mail); the directory disabling or
removing a person, or taking them out of every mapped group, deactivates the account (``directory_accounts.
disabled_reason``), and a later enabled sign-on re-activates only an account the *directory* had disabled
(an admin's deactivation stays).  :func:`periodic_sync` does the same without a password, for every
directory account, every ``LDAP_SYNC_MINUTES`` (worker) - so a disabled person's API tokens die too.

Roles from the directory are granted by the directory's own administration (group membership), not by a
Freigabe admin; the four-eyes rule of the workflow still applies to every account.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from publisher import audit
from publisher.directory import (
    Directory, DirectoryError, DirectoryUser, configured, download_groups_for, managed_download_groups, role_for,
)
from publisher.models import User
from publisher.models_directory import DirectoryAccount
from publisher.services import errors as E

log = logging.getLogger("freigabe.directory")


def account_of(c, user: User | None) -> DirectoryAccount | None:
    return c.session.get(DirectoryAccount, user.id) if user is not None and user.id is not None else None


def is_directory_account(c, user: User | None) -> bool:
    return account_of(c, user) is not None


def _deactivate(c, user: User, acc: DirectoryAccount, reason: str, du: DirectoryUser | None) -> None:
    acc.disabled_reason, acc.synced_at = reason, c.now()
    if du is not None:
        acc.groups = list(du.groups)
    if user.active:
        from publisher.services.credentials import on_deactivated

        user.active = False
        ended = on_deactivated(c, user)  # issue 14: sessions and tokens end, pending approvals void
        audit.record(c.session, "directory", "directory.account_disabled", user,
                     {"username": user.username, "reason": reason, "dn": acc.dn, **ended})


def _apply(c, user: User | None, du: DirectoryUser, role: str) -> tuple[User, dict]:
    """Create or update the local account from the directory entry (caller's transaction)."""
    from publisher.services.accounts import ensure_group

    acc = c.session.execute(select(DirectoryAccount).where(DirectoryAccount.dn == du.dn)).scalar_one_or_none()
    if acc is not None and (user is None or user.id != acc.user_id):
        user = c.session.get(User, acc.user_id)
    changes: dict = {}
    if user is None:
        user = User(username=du.username, role=role, password_hash=None, display_name=du.display_name,
                    email=du.email, active=True, created_at=c.now())
        c.session.add(user)
        c.session.flush()
        acc = DirectoryAccount(user_id=user.id, dn=du.dn, groups=list(du.groups), synced_at=c.now())
        c.session.add(acc)
        changes["created"] = True
    if acc is None:
        acc = DirectoryAccount(user_id=user.id, dn=du.dn, groups=list(du.groups), synced_at=c.now())
        c.session.add(acc)
    if user.role != role:
        changes["role_changed"] = {"from": user.role, "to": role}
        user.role = role
    if acc.disabled_reason and not user.active:
        user.active = True
        changes["reactivated"] = acc.disabled_reason
    for attr in ("display_name", "email"):
        new = getattr(du, attr)
        if new and getattr(user, attr) != new:
            changes[attr] = new
            setattr(user, attr, new)
    managed = managed_download_groups(c.settings)
    wanted = set(download_groups_for(c.settings, du))
    have = {g.name for g in user.groups}
    if (have & managed) != wanted:
        changes["groups"] = {"from": sorted(have & managed), "to": sorted(wanted)}
        keep = [g for g in user.groups if g.name not in managed]
        user.groups = keep + [ensure_group(c, "directory", name, commit=False) for name in sorted(wanted)]
    acc.dn, acc.groups, acc.synced_at, acc.disabled_reason = du.dn, list(du.groups), c.now(), None
    c.session.flush()
    if changes:
        event = "directory.account_created" if changes.get("created") else "directory.account_updated"
        audit.record(c.session, "directory", event, user,
                     {"username": user.username, "dn": du.dn, "role": role, "directory_groups": list(du.groups),
                      **{k: v for k, v in changes.items() if k != "created"}})
    return user, changes


def _refuse(c, user: User | None, username: str, reason: str) -> None:
    """Audit the refusal, commit (deactivation included) and raise the same answer as a wrong password."""
    audit.record(c.session, None, "login.failed", user, {"username": username[:100], "reason": reason},
                 object_type="users", object_id=str(user.id) if user is not None else "", anonymous=True)
    c.session.commit()
    raise E.AuthenticationFailed(E.LOGIN_FAILED)


def sign_on(c, username: str, password: str, user: User | None):
    """The login hook: None for a local account; otherwise ``(user or None, password_ok)``.

    Raises ``AuthenticationFailed`` itself (after committing its audit rows) when the directory disabled,
    removed or ungrouped the person, or cannot be reached (code ``publisher.directory.unavailable``)."""
    if not configured(c.settings):
        return None
    name = (username or "").strip().lower()  # the directory matches names case-insensitively
    if user is None and name != username:
        user = c.session.execute(select(User).where(User.username == name)).scalar_one_or_none()
    acc = account_of(c, user)
    if user is not None and acc is None:
        return None  # a local account: Freigabe checks its password
    if user is not None and user.locked_until and user.locked_until > c.now():
        return user, False  # locked: the directory is not even asked
    from publisher.services.accounts import USERNAME_RE

    if not USERNAME_RE.match(name):
        return user, False
    try:
        d = Directory(c.settings)
        du = d.lookup(name)
        if du is None:
            if acc is None:
                return user, False  # unknown to Freigabe and to the directory: the usual answer
            _deactivate(c, user, acc, "removed", None)
            _refuse(c, user, name, "directory_unknown")
        if not du.enabled:
            if acc is None:  # a person the directory disabled never gets an account
                _refuse(c, user, name, "directory_disabled")
            _deactivate(c, user, acc, "disabled", du)
            _refuse(c, user, name, "directory_disabled")
        if not d.check_password(du.dn, password):
            return user, False
    except DirectoryError as exc:
        log.warning("directory sign-on of %s: %s", name, exc)
        audit.record(c.session, None, "login.failed", user, {"username": name, "reason": "directory_unavailable"},
                     object_type="users", object_id=str(user.id) if user is not None else "", anonymous=True)
        c.session.commit()
        raise E.AuthenticationFailed(DIRECTORY_UNAVAILABLE) from None
    role = role_for(c.settings, du)
    if role is None:
        if acc is not None:
            _deactivate(c, user, acc, "no_group", du)
        _refuse(c, user, name, "directory_no_group")
    if user is not None and not user.active and (acc is None or not acc.disabled_reason):
        return user, False  # deactivated in Freigabe by an admin: stays so
    user, _ = _apply(c, user, du, role)
    return user, True


def sync_account(c, user: User, d: Directory | None = None) -> str:
    """Bring one directory account in line with the directory (no password); returns what happened
    (``unchanged``, ``updated``, ``disabled``, ``removed``, ``no_group``).  Caller commits."""
    acc = account_of(c, user)
    if acc is None:
        return "local"
    du = (d or Directory(c.settings)).lookup(user.username)
    if du is None:
        _deactivate(c, user, acc, "removed", None)
        return "removed"
    if not du.enabled:
        _deactivate(c, user, acc, "disabled", du)
        return "disabled"
    role = role_for(c.settings, du)
    if role is None:
        _deactivate(c, user, acc, "no_group", du)
        return "no_group"
    if not user.active and not acc.disabled_reason:
        acc.synced_at = c.now()
        return "unchanged"  # an admin's deactivation stays
    _, changes = _apply(c, user, du, role)
    return "updated" if changes else "unchanged"


def sync_all(c, *, older_than: dt.timedelta | None = None) -> dict[str, int]:
    """Check directory accounts (all, or those not synced for ``older_than``); stops without deactivating
    anyone when the directory cannot be asked."""
    if not configured(c.settings):
        return {}
    q = select(DirectoryAccount).order_by(DirectoryAccount.synced_at)
    if older_than is not None:
        q = q.where(DirectoryAccount.synced_at <= c.now() - older_than)
    ids = [a.user_id for a in c.session.execute(q).scalars()]
    c.session.rollback()
    counts: dict[str, int] = {}
    d = Directory(c.settings)
    for uid in ids:
        try:
            user = c.session.get(User, uid)
            result = sync_account(c, user, d)
            c.session.commit()
        except DirectoryError as exc:
            c.session.rollback()
            log.warning("directory sync stopped: %s", exc)
            counts["unavailable"] = counts.get("unavailable", 0) + 1
            break
        except BaseException:
            c.session.rollback()
            raise
        counts[result] = counts.get(result, 0) + 1
    return counts


def periodic_sync(c) -> int:
    """The worker's duty: accounts not synced for ``LDAP_SYNC_MINUTES`` (0: never)."""
    minutes = int(c.settings.get("LDAP_SYNC_MINUTES") or 0)
    if minutes <= 0 or not configured(c.settings):
        return 0
    return sum(v for k, v in sync_all(c, older_than=dt.timedelta(minutes=minutes)).items() if k != "unavailable")


def refuse_local_password(c, user: User) -> None:
    """A directory account's password lives in the directory: Freigabe never sets one."""
    if is_directory_account(c, user):
        raise E.InvalidInput(E.invalid_field(
            "password", "das Passwort dieses Kontos verwaltet der Verzeichnisdienst der Stadt.",
            "the password of this account is managed by the city's directory."))


from disclosure_rules.findings import Severity, register  # noqa: E402

DIRECTORY_UNAVAILABLE = register(
    "publisher.directory.unavailable", Severity.ERROR,
    "Der Verzeichnisdienst ist gerade nicht erreichbar; bitte versuchen Sie es später erneut.",
    "The directory service cannot be reached right now; please try again later.")
