"""The city's directory (LDAP / Active Directory) as an authentication backend (issue 18 item 1), via ldap3.

This module only talks to the directory; it stores nothing.  :mod:`publisher.services.directory` turns what
it finds into local accounts (create, update, deactivate) inside the login transaction.

* Transport: ``ldaps://`` or ``ldap://`` with StartTLS - never plain LDAP; the server certificate is checked
  against ``LDAP_CA_FILE`` (or the system's CAs), host name included.
* Look-up: the service account (``LDAP_BIND_DN``; empty = anonymous) searches ``LDAP_USER_BASE`` with
  ``LDAP_USER_FILTER`` (``{username}`` escaped), checks ``LDAP_ACTIVE_FILTER`` on the entry and reads its
  groups from ``LDAP_GROUP_BASE`` with ``LDAP_GROUP_FILTER`` (``{dn}`` escaped).
* Password: a simple bind as the user's DN.  An empty password is refused before any bind (an LDAP bind with
  an empty password is an *unauthenticated* bind that many servers accept).
* Mapping (:func:`role_for`, :func:`download_groups_for`): ``LDAP_ROLE_GROUPS`` / ``LDAP_DOWNLOAD_GROUPS``
  name directory groups by DN or by cn.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass, field

ROLE_ORDER = ("admin", "approver", "submitter", "reader")


class DirectoryError(Exception):
    """The directory cannot be asked (unreachable, TLS or configuration problem): nobody is deactivated."""


def configured(settings) -> bool:
    return bool(settings.get("LDAP_URL"))


def norm_dn(dn: str) -> str:
    return ",".join(part.strip() for part in (dn or "").split(",")).lower()


def _mapping(text: str, allowed: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """``'key=group; key=group'`` → [(key, group)] in order (group = normalised DN or lower-case cn)."""
    out = []
    for item in (text or "").split(";"):
        key, sep, group = item.strip().partition("=")
        if not item.strip():
            continue
        if not sep or not key.strip() or not group.strip():
            raise DirectoryError(f"mapping entry {item.strip()!r}: expected 'name=group'")
        key = key.strip()
        if allowed is not None and key not in allowed:
            raise DirectoryError(f"mapping entry {item.strip()!r}: unknown role {key!r} ({', '.join(allowed)})")
        group = group.strip()
        out.append((key, norm_dn(group) if "=" in group else group.lower()))
    return out


@dataclass(frozen=True)
class DirectoryUser:
    dn: str
    username: str
    display_name: str
    email: str
    enabled: bool
    groups: tuple[str, ...] = field(default_factory=tuple)  # normalised DNs
    group_cns: tuple[str, ...] = field(default_factory=tuple)  # lower-case cn values

    def member_of(self, group: str) -> bool:
        return group in self.groups if "=" in group else group in self.group_cns


def role_for(settings, user: DirectoryUser) -> str | None:
    """The first role of ``LDAP_ROLE_GROUPS`` whose group the user is in; ``reader`` for a member of a mapped
    download group only; None: no access."""
    for role, group in _mapping(settings.get("LDAP_ROLE_GROUPS") or "", ROLE_ORDER):
        if user.member_of(group):
            return role
    return "reader" if download_groups_for(settings, user) else None


def download_groups_for(settings, user: DirectoryUser) -> list[str]:
    return sorted({name for name, group in _mapping(settings.get("LDAP_DOWNLOAD_GROUPS") or "")
                   if user.member_of(group)})


def managed_download_groups(settings) -> set[str]:
    """Download-area groups whose membership the directory decides (the others stay as admins set them)."""
    return {name for name, _ in _mapping(settings.get("LDAP_DOWNLOAD_GROUPS") or "")}


class Directory:
    def __init__(self, settings):
        self.s = settings
        self.url = settings.get("LDAP_URL") or ""
        self.timeout = float(settings.get("LDAP_TIMEOUT") or 10)
        if not self.url.startswith(("ldaps://", "ldap://")):
            raise DirectoryError(f"FREIGABE_LDAP_URL {self.url!r}: ldaps://host or ldap://host")
        if self.url.startswith("ldap://") and not settings.get("LDAP_STARTTLS"):
            raise DirectoryError("plain LDAP is refused: use ldaps:// or set FREIGABE_LDAP_STARTTLS")

    def _connect(self, user: str | None, password: str | None):
        from ldap3 import Connection, Server, Tls
        from ldap3.core.exceptions import LDAPException

        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.s.get("LDAP_CA_FILE") or None)
        server = Server(self.url, use_ssl=self.url.startswith("ldaps://"), tls=tls, connect_timeout=self.timeout,
                        get_info="NO_INFO")
        conn = Connection(server, user=user or None, password=password or None,
                          receive_timeout=max(1, int(round(self.timeout))),
                          read_only=True, raise_exceptions=False)
        try:
            conn.open()
            if conn.closed:
                raise DirectoryError(f"{self.url}: connection failed")
            if self.url.startswith("ldap://") and not conn.start_tls():
                raise DirectoryError(f"{self.url}: StartTLS failed ({conn.result})")
        except LDAPException as exc:
            conn.unbind()
            raise DirectoryError(f"{self.url}: {type(exc).__name__}: {exc}") from None
        return conn

    def _service(self):
        from ldap3.core.exceptions import LDAPException

        conn = self._connect(self.s.get("LDAP_BIND_DN"), self.s.get("LDAP_BIND_PASSWORD"))
        try:
            ok = conn.bind()
        except LDAPException as exc:
            conn.unbind()
            raise DirectoryError(f"service bind: {type(exc).__name__}: {exc}") from None
        if not ok:
            conn.unbind()
            raise DirectoryError(f"service bind refused: {conn.result.get('description')}")
        return conn

    def _search(self, conn, base: str, flt: str, attrs: list[str]) -> list:
        from ldap3 import SUBTREE

        if not conn.search(base, flt, search_scope=SUBTREE, attributes=attrs, size_limit=1000):
            if conn.result.get("result") not in (0, 32):  # 32 = no such object: nothing found
                raise DirectoryError(f"search {flt!r} in {base!r}: {conn.result.get('description')}")
            return []
        return [e for e in conn.response if e.get("type") == "searchResEntry"]

    def lookup(self, username: str) -> DirectoryUser | None:
        """The directory's view of ``username`` (None: not there); raises DirectoryError when it cannot tell."""
        from ldap3.utils.conv import escape_filter_chars

        name_attr = self.s.get("LDAP_NAME_ATTRIBUTE") or "displayName"
        mail_attr = self.s.get("LDAP_MAIL_ATTRIBUTE") or "mail"
        base = self.s.get("LDAP_USER_BASE") or ""
        flt = (self.s.get("LDAP_USER_FILTER") or "").format(username=escape_filter_chars(username))
        conn = self._service()
        try:
            found = self._search(conn, base, flt, [name_attr, mail_attr, "cn"])
            if len(found) != 1:  # none, or ambiguous: nobody signs on as "somebody"
                return None
            entry = found[0]
            dn = entry["dn"]
            active = self.s.get("LDAP_ACTIVE_FILTER") or ""
            enabled = True
            if active:
                enabled = bool(self._search(conn, base, f"(&{flt}{active})", ["cn"]))
            gflt = (self.s.get("LDAP_GROUP_FILTER") or "").format(dn=escape_filter_chars(dn))
            groups = self._search(conn, self.s.get("LDAP_GROUP_BASE") or "", gflt, ["cn"])
        finally:
            conn.unbind()
        attrs = entry.get("attributes") or {}

        def first(name):
            v = attrs.get(name)
            if isinstance(v, list):
                v = v[0] if v else ""
            return str(v or "")

        cns = []
        for g in groups:
            cn = (g.get("attributes") or {}).get("cn")
            cns.extend(str(x).lower() for x in (cn if isinstance(cn, list) else [cn]) if x)
        return DirectoryUser(dn=dn, username=username, display_name=first(name_attr) or first("cn") or username,
                             email=first(mail_attr), enabled=enabled,
                             groups=tuple(sorted(norm_dn(g["dn"]) for g in groups)), group_cns=tuple(sorted(cns)))

    def check_password(self, dn: str, password: str) -> bool:
        """A simple bind as ``dn``; False for a wrong (or empty) password, DirectoryError when unreachable."""
        from ldap3.core.exceptions import LDAPException

        if not password or not dn:
            return False
        conn = self._connect(dn, password)
        try:
            return bool(conn.bind())
        except LDAPException as exc:
            raise DirectoryError(f"bind: {type(exc).__name__}: {exc}") from None
        finally:
            conn.unbind()
