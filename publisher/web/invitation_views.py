"""Issue 18 item 2: invitations of external readers (admins and group owners) and the acceptance page."""
from __future__ import annotations

from flask import abort, render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.security import current_user, login_user, public, requires


def _page(c, user, errors=None, general=None, values=None, created_link=None, status=200):
    from publisher.services import invitations, notify

    groups = invitations.owned_groups(c, user)
    if not groups:
        abort(403)
    return render_template("invitations.html", group_options=[(g.name, g.name) for g in groups],
                           groups_by_id={g.id: g.name for g in groups},
                           config_invitation_days=int(c.settings.get("INVITATION_DAYS") or 14),
                           invitations=invitations.list_invitations(c, user),
                           accounts=invitations.external_accounts(c, user), errors=errors or {},
                           general=general or [], values=values or {}, created_link=created_link,
                           mail_on=notify.enabled(c), now=c.now()), status


@bp.route("/invitations", methods=["GET", "POST"])
@requires()
def invitations_page():
    from publisher.services import invitations

    c, user = ctx(), current_user()
    if request.method == "POST":
        if not invitations.may_invite(c, user):
            abort(403)
        try:
            inv, link = invitations.invite(c, user, request.form.get("email") or "", request.form.get("group") or "",
                                           request.form.get("account_expires") or "")
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            return _page(c, user, errors, general, dict(request.form), status=422)
        from publisher.services import notify

        if not notify.enabled(c):  # no e-mail: the inviter passes the link on (shown once)
            return _page(c, user, created_link=link, status=201)
        return done(_("Einladung an {email} verschickt.", email=inv.email), "web.invitations_page")
    return _page(c, user)


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires()
def invitation_revoke(invitation_id: int):
    from publisher.services import invitations

    invitations.revoke(ctx(), current_user(), invitation_id)
    return done(_("Einladung zurückgezogen."), "web.invitations_page")


@bp.route("/invitations/accounts/<int:user_id>/expiry", methods=["POST"])
@requires()
def invitation_account_expiry(user_id: int):
    from publisher.services import invitations

    c, user = ctx(), current_user()
    try:
        invitations.set_expiry(c, user, user_id, request.form.get("account_expires") or "")
    except InvalidInput as exc:
        errors, general = field_errors(exc)
        return _page(c, user, errors, general, status=422)
    return done(_("Gespeichert."), "web.invitations_page")


@bp.route("/invitations/owners", methods=["POST"])
@requires("admin")
def invitation_owner_add():
    from publisher.services import invitations

    c, user = ctx(), current_user()
    try:
        invitations.add_owner(c, user, request.form.get("owner_group") or "", request.form.get("owner_username") or "")
    except InvalidInput as exc:
        errors, general = field_errors(exc)
        return _page(c, user, errors, general, status=422)
    return done(_("Gespeichert."), "web.invitations_page")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def invitation_accept(token: str):
    from publisher.models import Group
    from publisher.services import invitations

    c = ctx()
    inv = invitations.open_invitation(c, token)
    group = c.session.get(Group, inv.group_id)
    errors, general, status = {}, [], 200
    if request.method == "POST":
        try:
            user = invitations.accept(c, token, username=request.form.get("username") or "",
                                      password=request.form.get("password") or "",
                                      display_name=request.form.get("display_name") or "")
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            login_user(user)
            return done(_("Willkommen! Ihr Konto ist angelegt."), "downloads.index")
    return render_template("invitation_accept.html", inv=inv, group=group, errors=errors, general=general,
                           values=dict(request.form) if request.method == "POST" else {}), status
