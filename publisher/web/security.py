"""Web security: CSRF on every form, strict CSP and other headers, session cookies, login state, access rules.

* CSRF: Flask-WTF ``CSRFProtect`` on every state-changing request of the web UI.  The JSON API
  (``/api/...``) is exempt because it authenticates with bearer tokens only and never reads the session
  cookie, so a browser cannot be tricked into sending its credentials.
* Headers on every response: CSP without inline scripts or styles (static files only), HSTS,
  ``X-Content-Type-Options``, ``Referrer-Policy``, ``frame-ancestors 'none'`` (+ ``X-Frame-Options``),
  ``Permissions-Policy``, COOP; pages of logged-in users are ``Cache-Control: no-store``.
* Session cookie: ``Secure`` (setting ``FREIGABE_SESSION_COOKIE_SECURE``), ``HttpOnly``, ``SameSite=Lax``;
  on login the session is cleared and gets a fresh random id (no session fixation); the session also carries
  a fingerprint of the password hash, so changing a password ends all other sessions.
* Access: every web view declares who may use it with :func:`requires` (roles) or :func:`public`;
  :data:`ACCESS` maps endpoint → allowed roles (``None`` = anyone) and ``tests/web`` checks that every
  route has an entry (the authorization matrix of issue 7 builds on it).
"""
from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

ROLES = ("submitter", "approver", "admin", "reader")
STAFF = ("submitter", "approver", "admin")

# endpoint name ("web.login") -> allowed roles; None = everyone incl. anonymous
ACCESS: dict[str, frozenset[str] | None] = {}
_PENDING: dict[int, frozenset[str] | None] = {}


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone (also anonymous)."""
    view._freigabe_access = None
    return view


def requires(*roles: str) -> Callable:
    """Only logged-in users with one of ``roles`` (no roles given: any logged-in user)."""
    allowed = frozenset(roles or ROLES)
    unknown = allowed - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def deco(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.method == "GET":
                    return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
                abort(401)
            if user.role not in allowed:
                abort(403)
            if getattr(user, "must_change_password", False) and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
                # issue 14: after an admin reset nothing but choosing a new password
                if request.method == "GET":
                    return redirect(url_for("web.change_password"))
                abort(403)
            return view(*args, **kwargs)

        wrapper._freigabe_access = allowed
        return wrapper

    return deco


def collect_access(app) -> None:
    """Fill :data:`ACCESS` from the registered view functions (called after the blueprints are added)."""
    for endpoint, fn in app.view_functions.items():
        if hasattr(fn, "_freigabe_access"):
            ACCESS[endpoint] = fn._freigabe_access


def missing_access(app, prefixes: Iterable[str] = ("web.",)) -> list[str]:
    """Endpoints of the web UI without an access declaration (must be empty)."""
    return sorted(e for e in app.view_functions if e.startswith(tuple(prefixes))
                  and not hasattr(app.view_functions[e], "_freigabe_access"))


# --- login state -----------------------------------------------------------------------------------------

def _pw_fingerprint(user) -> str:
    return hashlib.sha256((user.password_hash or "").encode("utf-8")).hexdigest()[:16]


def login_user(user) -> None:
    """Start a fresh server-side session for ``user`` (old session data dropped, new random token; issue 14:
    the database row decides whether the cookie still opens anything)."""
    from publisher.services import credentials, ctx_for_request

    lang = session.get("lang")
    session.clear()
    session["sid"] = credentials.start_session(ctx_for_request(), user)
    session["uid"] = user.id
    session["pwf"] = _pw_fingerprint(user)
    if lang:
        session["lang"] = lang
    session.permanent = True
    g.freigabe_user = user


def logout_user() -> None:
    """End every session of the account (a copied cookie of this or another session opens nothing)."""
    from publisher.services import credentials, ctx_for_request

    user = g.get("freigabe_user")
    if user is not None:
        credentials.logout(ctx_for_request(), user)
    session.clear()
    g.freigabe_user = None


def current_user():
    """The logged-in user of this request (None when anonymous, the session ended, ran out or was idle too
    long, the account is disabled or the password changed)."""
    if "freigabe_user" in g:
        return g.freigabe_user
    user = None
    uid = session.get("uid")
    if uid is not None:
        from publisher.services import credentials, ctx_for_request

        user = credentials.session_user(ctx_for_request(), session.get("sid"))
        from publisher.services.accounts import expired  # issue 18: invited readers' accounts end

        if user is None or user.id != uid or session.get("pwf") != _pw_fingerprint(user) or \
                expired(user, ctx_for_request().now()):
            session.clear()
            user = None
    g.freigabe_user = user
    return user


PASSWORD_CHANGE_ENDPOINTS = ("web.change_password", "web.logout", "web.login", "static")


# --- app wiring -------------------------------------------------------------------------------------------

def init_app(app) -> None:
    import datetime as dt

    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    app.config["SESSION_COOKIE_NAME"] = app.config.get("SESSION_COOKIE_NAME_FREIGABE", "freigabe_session")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("SESSION_COOKIE_SECURE", True)
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=float(app.config.get("SESSION_MAX_HOURS") or 8))
    # the API authenticates with bearer tokens only; csrf protects cookie-authenticated forms
    app.config.setdefault("WTF_CSRF_SSL_STRICT", True)
    csrf.init_app(app)
    _init_rate_limits(app)

    @app.after_request
    def _security_headers(response):
        present = {name.lower() for name in response.headers.keys()}  # one pass (setdefault scans per name)
        response.headers.extend([(n, v) for n, v in SECURITY_HEADERS.items() if n.lower() not in present])
        if g.get("freigabe_user") is not None or request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
        return response

    @app.context_processor
    def _inject_user():
        try:
            user = current_user()
        except Exception:  # database unreachable: error pages must still render  # noqa: BLE001
            app.logger.exception("could not load the logged-in user")
            g.freigabe_user = user = None
        return {"current_user": user, "csrf_field_name": "csrf_token",
                "cookie_secure": current_app.config.get("SESSION_COOKIE_SECURE")}


# --- rate limits (publisher.ratelimit) --------------------------------------------------------------------



def _audit_rate_limit(event: str, details: dict) -> None:
    from publisher.services import accounts, ctx_for_request

    try:
        accounts.record_security_event(ctx_for_request(), event, details)
    except Exception:  # noqa: BLE001 - the refusal itself must not fail because the audit store is down
        current_app.logger.exception("could not audit %s", event)


def _too_many(decision, *, api: bool):
    from flask import render_template

    from publisher.i18n import gettext as _
    from publisher.i18n import ngettext

    if api:
        from publisher.api.errors import http_error

        resp = http_error(429)
    else:
        msg = ngettext("Zu viele Versuche. Bitte warten Sie {n} Sekunde und versuchen Sie es dann erneut.",
                       "Zu viele Versuche. Bitte warten Sie {n} Sekunden und versuchen Sie es dann erneut.",
                       decision.retry_after)
        title = _("Zu viele Anfragen")
        resp = current_app.make_response(
            (render_template("error.html", status=429, title=title, messages=[msg]), 429))
    resp.headers["Retry-After"] = str(decision.retry_after)
    return resp


def _init_rate_limits(app) -> None:
    from publisher.ratelimit import RateLimits

    import time

    # RATE_LIMIT_CLOCK: tests freeze the window clock (a fixed window can roll over mid-test otherwise)
    limits = RateLimits(app.config.get("RATE_LIMIT_LOGIN"), app.config.get("RATE_LIMIT_API"),
                        clock=app.config.get("RATE_LIMIT_CLOCK") or time.monotonic)
    app.extensions["freigabe_ratelimit"] = limits

    @app.before_request
    def _rate_limit():
        if request.method == "POST" and request.endpoint == "web.login":
            username = (request.form.get("username") or "").strip()[:100]
            address = request.remote_addr or "-"
            d = limits.check_login(username, address)
            if d is not None:
                if d.first_refusal:
                    _audit_rate_limit("ratelimit.login", {"username": username, "address": address,
                                                          "retry_after": d.retry_after})
                return _too_many(d, api=False)
        elif request.path.startswith("/api/"):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                d = limits.check_api(token.strip())
                if d is not None:
                    if d.first_refusal:
                        _audit_rate_limit("ratelimit.api", {"token_prefix": token.strip()[:10],
                                                            "address": request.remote_addr or "-",
                                                            "retry_after": d.retry_after})
                    return _too_many(d, api=True)
        return None
