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
    if password is None:  # approver/admin account: the one-time password went to the account's own address
        return done(_("Das Einmal-Passwort ist an die E-Mail-Adresse des Kontos gesendet; es wird hier nicht "
                      "angezeigt."), "web.admin_users")
    # shown once, on this response only (never stored in the session)
    return render_template("admin_users.html", users=accounts.list_users(c, admin), errors={}, general=[],
                           values={}, created=user, created_password=password, reset=True,
                           role_grants=role_grants_view()), 200


# --- separation of duties (issue 14 item 7) ---------------------------------------------------------------

@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@requires("admin")
def admin_set_role(user_id: int):
    from publisher.services import accounts

    user = accounts.set_role(ctx(), current_user(), user_id, request.form.get("role") or "")
    if (request.form.get("role") or "") in ("approver", "admin") and user.role != request.form.get("role"):
        return done(_("Die Rolle wird wirksam, sobald eine zweite Person sie bestätigt."), "web.admin_users")
    return done(_("Gespeichert."), "web.admin_users")


@bp.route("/role-grants/<int:grant_id>/confirm", methods=["POST"])
@requires("approver", "admin")
def confirm_role(grant_id: int):
    from publisher.services import roles

    user = roles.confirm_role(ctx(), current_user(), grant_id)
    return done(_("Rolle von {name} bestätigt.", name=user.username), "web.dashboard")


@bp.route("/role-grants/<int:grant_id>/cancel", methods=["POST"])
@requires("approver", "admin")
def cancel_role(grant_id: int):
    from publisher.services import roles

    roles.cancel_role(ctx(), current_user(), grant_id)
    return done(_("Rollenvergabe aufgehoben."), "web.dashboard")


def role_grants_view() -> list[dict]:
    from publisher.models import User
    from publisher.services import roles

    c = ctx()
    out = []
    for g in roles.pending(c):
        u, by = c.session.get(User, g.user_id), c.session.get(User, g.requested_by_id) if g.requested_by_id else None
        out.append({"id": g.id, "role": g.role, "user_id": g.user_id, "requested_by_id": g.requested_by_id,
                    "user_name": u.username if u else "?", "by_name": by.username if by else "cli"})
    return out
