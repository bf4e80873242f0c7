"""Read-only WebDAV over the download area (issue 15 item 5), mounted in the app at ``/dav/`` (WsgiDAV).

How the SharePoint library is used today: mapped as a network drive.  This module is the thin adapter between
WsgiDAV and :mod:`publisher.services.dav` (what an account sees, sign-in) and
:func:`publisher.services.downloads.open_file` (every read is a download with its record and audit row).

:class:`DavGate` sits in front of WsgiDAV and decides before any resource is looked at:

* only ``OPTIONS``, ``GET``, ``HEAD`` and ``PROPFIND``; every other method (``PUT``, ``DELETE``, ``MKCOL``,
  ``COPY``, ``MOVE``, ``PROPPATCH``, ``LOCK``, ...) is ``405`` with ``Allow``;
* ``OPTIONS`` is answered here, the same for every path and without sign-in (Windows' WebDAV client asks
  before it authenticates), so it reveals nothing;
* with ``FREIGABE_DAV_REQUIRE_HTTPS`` (default on) a plain-HTTP request is ``403`` before any ``401``, so a
  client is never asked to send its credentials in clear text;
* HTTP Basic with user name + API token (:func:`publisher.services.dav.authenticate`); failures are counted
  per client address (``FREIGABE_RATE_LIMIT_LOGIN`` x 5 per window, as the web login) and answered ``429``
  beyond that; a lost database is ``503`` with ``Retry-After``.

Paths the account may not see (another group's release, a withdrawn version) are ``404`` exactly like paths
that never existed; a ``GET`` of such a file still goes through ``open_file`` so the refusal is audited as on
the web (``download.refused``).  Ranges are not offered: every ``GET`` is one whole download, one record.
"""
from __future__ import annotations

import base64
import binascii
import io
import logging
from typing import Any

from wsgidav.dav_provider import DAVCollection, DAVNonCollection, DAVProvider
from wsgidav.error_printer import ErrorPrinter
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

log = logging.getLogger(__name__)

READ_METHODS = ("OPTIONS", "GET", "HEAD", "PROPFIND")
ALLOW = ", ".join(READ_METHODS)
REALM = "Freigabe WebDAV"
HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "private, no-cache"),
]
TEXTS = {
    401: "Anmeldung nötig: Benutzername und App-Passwort (API-Token), nie das Login-Passwort. / "
         "Sign in with your user name and an app password (API token), never your login password.",
    403: "WebDAV nur über HTTPS. / WebDAV over HTTPS only.",
    405: "Der Download-Bereich ist schreibgeschützt. / The download area is read-only.",
    429: "Zu viele fehlgeschlagene Anmeldungen; bitte später erneut versuchen. / "
         "Too many failed sign-ins; please try again later.",
    503: "Die Datenbank ist gerade nicht erreichbar. Bitte gleich erneut versuchen. / "
         "The database is unavailable right now. Please retry shortly.",
}
REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 405: "Method Not Allowed", 429: "Too Many Requests",
           503: "Service Unavailable"}


def _ts(value) -> float | None:
    return value.timestamp() if value is not None else None


# --- resources --------------------------------------------------------------------------------------------

class _Folder(DAVCollection):
    def __init__(self, path: str, environ: dict, node):
        super().__init__(path, environ)
        self.node = node

    def get_member_names(self) -> list[str]:
        return self.node.names()

    def get_member(self, name: str):
        return self.provider.get_resource_inst(self.path.rstrip("/") + "/" + name, self.environ)

    def get_display_info(self) -> dict:
        return {"type": "Directory"}

    def get_last_modified(self):
        return _ts(self.node.modified)

    def get_creation_date(self):
        return _ts(self.node.modified)


class _File(DAVNonCollection):
    def __init__(self, path: str, environ: dict, f, data: bytes | None = None):
        super().__init__(path, environ)
        self.f, self._data = f, data

    def get_content_length(self) -> int:
        return self.f.size

    def get_content_type(self) -> str:
        from publisher.services.dav import media_type

        return media_type(self.f.filename)

    def get_etag(self) -> str:
        return self.f.sha256  # versions are immutable; the sha256 is also the file's checksum

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return False  # one GET = one whole download = one download record

    def get_last_modified(self):
        return _ts(self.f.modified)

    def get_creation_date(self):
        return _ts(self.f.modified)

    def get_display_info(self) -> dict:
        return {"type": "File"}

    def get_content(self):
        if self._data is None:
            from publisher.services import dav

            # the permission check, download record and audit row happen here, as for a web download
            self._data, _ = dav.read(self.environ["freigabe.ctx"], self.environ["freigabe.user"], self.f.topic,
                                     self.f.series, self.f.requested, self.f.filename)
        return io.BytesIO(self._data)


class DownloadAreaProvider(DAVProvider):
    """The download area of the signed-in account (:func:`publisher.services.dav.tree`), read-only."""

    def is_readonly(self) -> bool:
        return True

    def _tree(self, environ):
        from publisher.services import dav

        if "freigabe.tree" not in environ:
            environ["freigabe.tree"] = dav.tree(environ["freigabe.ctx"], environ["freigabe.user"])
        return environ["freigabe.tree"]

    def get_resource_inst(self, path: str, environ: dict):
        from publisher.services import dav

        parts = [p for p in path.split("/") if p]
        node = dav.lookup(self._tree(environ), parts)
        if node is None:
            if environ.get("REQUEST_METHOD") == "GET" and len(parts) == 4:
                return self._hidden_get(path, environ, parts)
            return None
        if isinstance(node, dav.DavFile):
            return _File(path, environ, node)
        return _Folder(path, environ, node)

    def _hidden_get(self, path: str, environ: dict, parts: list[str]):
        """GET of a file that is not listed: ``open_file`` decides and audits a refusal as on the web; any
        refusal (403 another group, 410 withdrawn, 404) is answered 404 so nothing about it leaks."""
        from publisher.services import dav
        from publisher.services.errors import ServiceError

        cache = environ.setdefault("freigabe.hidden", {})
        if path not in cache:
            try:
                data, f = dav.read(environ["freigabe.ctx"], environ["freigabe.user"], *parts)
                cache[path] = _File(path, environ, f, data)  # it became visible since the listing was built
            except ServiceError:
                cache[path] = None
        return cache[path]


# --- the gate in front of WsgiDAV -------------------------------------------------------------------------

def _plain(start_response, status: int, extra: list[tuple[str, str]] = (), body: bool = True):
    text = (TEXTS.get(status, "") + "\n").encode("utf-8") if body else b""
    start_response(f"{status} {REASONS.get(status, '')}",
                   [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(text))),
                    *extra])
    return [text]


def _basic(environ) -> tuple[str, str] | None:
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, secret = raw.partition(":")
    return (user, secret) if sep else None


class DavGate:
    def __init__(self, flask_app, dav_app):
        from publisher.ratelimit import ADDRESS_FACTOR, FixedWindowLimiter, Limit, parse_limit

        import time

        self.flask_app, self.dav_app = flask_app, dav_app
        cfg = flask_app.config
        self.require_https = bool(cfg.get("DAV_REQUIRE_HTTPS", True))
        limit = parse_limit(cfg.get("RATE_LIMIT_LOGIN"))
        self.failures = FixedWindowLimiter(Limit(limit.count * ADDRESS_FACTOR, limit.seconds),
                                           cfg.get("RATE_LIMIT_CLOCK") or time.monotonic) if limit else None

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        https = environ.get("wsgi.url_scheme") == "https"

        def respond(status, headers, exc_info=None):
            names = {k.lower() for k, _ in headers}
            headers = list(headers) + [(k, v) for k, v in HEADERS if k.lower() not in names]
            if https:
                headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        if method not in READ_METHODS:
            return _plain(respond, 405, [("Allow", ALLOW)])
        if method == "OPTIONS":
            return _plain(respond, 200, [("Allow", ALLOW), ("DAV", "1"), ("MS-Author-Via", "DAV")], body=False)
        if self.require_https and not https:
            return _plain(respond, 403)
        creds = _basic(environ)
        challenge = [("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"')]
        if creds is None:
            return _plain(respond, 401, challenge)
        from publisher.api.errors import is_database_outage
        from publisher.services import Ctx, dav
        from publisher.services.errors import AuthenticationFailed

        c = Ctx.for_app(self.flask_app)
        try:
            environ["freigabe.user"] = dav.authenticate(c, *creds)
        except AuthenticationFailed:
            refused = self._count_failure(c, environ, creds[0])
            c.session.close()
            if refused is not None:
                return _plain(respond, 429, [("Retry-After", str(refused))])
            return _plain(respond, 401, challenge)
        except Exception as exc:
            c.session.close()
            if is_database_outage(exc):
                log.error("WebDAV: database unavailable: %s", str(exc).splitlines()[0][:200])
                return _plain(respond, 503, [("Retry-After", "30")])
            raise
        environ["freigabe.ctx"] = c
        environ["wsgidav.auth.user_name"] = environ["freigabe.user"].username
        try:
            return _ReleasingBody(self.dav_app(environ, respond), c.session.close)
        except BaseException:
            c.session.close()
            raise

    def _count_failure(self, c, environ, username: str) -> int | None:
        """Count a failed sign-in of this address; the seconds to wait once over the limit (else None)."""
        if self.failures is None:
            return None
        address = environ.get("REMOTE_ADDR") or "-"
        d = self.failures.hit("dav:" + address)
        if d.allowed:
            return None
        if d.first_refusal:
            from publisher.services import accounts

            try:
                accounts.record_security_event(c, "ratelimit.dav", {"username": username[:100], "address": address,
                                                                    "retry_after": d.retry_after})
            except Exception:  # noqa: BLE001 - the refusal must not fail because the audit store is down
                log.exception("could not audit ratelimit.dav")
        return d.retry_after


class _ReleasingBody:
    """The WebDAV answer's body.  The provider does all its database work (sign-in, listing, the file's bytes
    into memory, the download's audit row) before the first chunk, so the request's session is released as
    soon as that chunk exists, and again (harmlessly) at the end and on ``close()``: a WSGI server always
    calls ``close()``, a client that never does (Werkzeug's test client reading only the status) must not keep
    a connection checked out.  A closed session still works if used again; it checks out anew."""

    def __init__(self, body, release):
        self._body, self._it, self._release, self._first = body, iter(body), release, True

    def __iter__(self):
        return self

    def __next__(self):
        try:
            chunk = next(self._it)
        except StopIteration:
            self._release()
            raise
        if self._first:
            self._first = False
            self._release()
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._release()


def make_dav_app(flask_app, mount_path: str = "/dav"):
    """The WSGI application of ``mount_path`` (WsgiDAV with :class:`DownloadAreaProvider` behind :class:`DavGate`)."""
    config: dict[str, Any] = {
        "provider_mapping": {"/": DownloadAreaProvider()},
        "mount_path": mount_path,
        "middleware_stack": [ErrorPrinter, RequestResolver],  # sign-in is DavGate's; no HTML directory browser
        "lock_storage": False,  # read-only: DAV class 1, no LOCK
        "property_manager": None,
        "verbose": 1,
        "logging": {"enable": False},
        "suppress_version_info": True,
        "add_header_MS_Author_Via": True,
        "http_authenticator": {"domain_controller": None, "accept_basic": False, "accept_digest": False,
                               "default_to_digest": False},  # unused: DavGate signs in (Basic, HTTPS only)
        "dir_browser": {"enable": False},
    }
    wsgidav_log = logging.getLogger("wsgidav")
    if wsgidav_log.level == logging.NOTSET:  # its start-up banner is INFO; our own log says what matters
        wsgidav_log.setLevel(logging.WARNING)
    return DavGate(flask_app, WsgiDAVApp(config))


def mount(flask_app) -> None:
    """Serve WebDAV at ``FREIGABE_DAV_PATH`` (default ``/dav``) of the app, unless ``FREIGABE_DAV_ENABLED`` is off."""
    if not flask_app.config.get("DAV_ENABLED", True):
        return
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    path = "/" + str(flask_app.config.get("DAV_PATH") or "/dav").strip("/")
    flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {path: make_dav_app(flask_app, path)})
