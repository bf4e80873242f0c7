"""Login and logout (session id rotated on login; failed logins and lockouts are audited by the service)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from publisher.i18n import gettext as _
from publisher.web.blueprint import bp, ctx
from publisher.web.security import current_user, login_user, logout_user, public, requires


def _safe_next(target: str | None) -> str:
    """A local path to go to after login, or the dashboard.  Issue 14: the PARSED URL is checked (no scheme,
    no host, a path of this site); any whitespace or control character (``%09``, ``%0A``: browsers drop tabs
    and newlines, so ``/%09/evil.example`` would become ``//evil.example``) or backslash is refused."""
    from urllib.parse import urlsplit

    default = url_for("web.dashboard")
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return default
    try:
        parts = urlsplit(target)
    except ValueError:
        return default
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//") \
            or target.startswith("/api/"):
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    from publisher.services import accounts
    from publisher.services.errors import AuthenticationFailed

    errors: dict[str, list[str]] = {}
    general: list[str] = []
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        if not username:
            errors["username"] = [_("Pflichtfeld fehlt.")]
        if not password:
            errors["password"] = [_("Pflichtfeld fehlt.")]
        if not errors:
            try:
                user = accounts.authenticate(ctx(), username, password, client=request.remote_addr or "-")
            except AuthenticationFailed as exc:
                from publisher.i18n import current_lang

                general = [exc.message(current_lang())]
            else:
                login_user(user)
                flash(_("Sie sind angemeldet."), "success")
                return redirect(_safe_next(request.args.get("next")), code=303)
    elif current_user() is not None:
        return redirect(url_for("web.dashboard"))
    status = 401 if general else (422 if errors else 200)
    return render_template("login.html", errors=errors, general=general, username=username), status


@bp.route("/logout", methods=["POST"])
@requires()
def logout():
    logout_user()
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("web.login"), code=303)
