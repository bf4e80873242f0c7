"""The own account (issue 14 item 6): API tokens (list, revoke), open sessions, password change (also the
forced one after an admin reset); the admin's password reset.  Thin views over
:mod:`publisher.services.credentials` and :mod:`publisher.services.accounts`."""
from __future__ import annotations

from flask import render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.security import current_user, login_user, requires


def _page(errors=None, general=None, status=200):
    from publisher.services import accounts, credentials

    c, user = ctx(), current_user()
    return render_template("account.html", tokens=accounts.list_tokens(c, user, user.id),
                           sessions=credentials.list_sessions(c, user.id), errors=errors or {},
                           general=general or []), status


@bp.route("/account")
@requires()
def account():
    return _page()


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@requires()
def revoke_token(token_id: int):
    from publisher.services import accounts
    from publisher.services.errors import Forbidden, not_found

    c, user = ctx(), current_user()
    try:
        accounts.revoke_token(c, user, token_id)
    except Forbidden:  # someone else's token: as if it did not exist
        raise not_found("API-Token", token_id) from None
    return done(_("Das Token ist widerrufen."), "web.account")


@bp.route("/account/password", methods=["GET", "POST"])
@requires()
def change_password():
    from publisher.services import credentials

    user = current_user()
    if request.method == "POST":
        try:
            user = credentials.change_own_password(ctx(), user, request.form.get("current_password") or "",
                                                   request.form.get("new_password") or "")
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            return render_template("password.html", errors=errors, general=general), 422
        login_user(user)  # every session ended with the change: this one starts afresh
        return done(_("Das Passwort ist geändert; alle anderen Sitzungen und alle API-Tokens sind beendet."),
                    "web.account")
    return render_template("password.html", errors={}, general=[])


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@requires("admin")
def admin_reset_password(user_id: int):
    from publisher.services import accounts, credentials

    c, admin = ctx(), current_user()
    user, password = credentials.reset_password(c, admin, user_id)
    # shown once, on this response only (never stored in the session)
    return render_template("admin_users.html", users=accounts.list_users(c, admin), errors={}, general=[],
                           values={}, created=user, created_password=password, reset=True), 200
