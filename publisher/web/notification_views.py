"""Issue 18: the user's e-mail notification preference (immediately / daily digest / off; failures always)."""
from __future__ import annotations

from flask import render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.security import current_user, requires


@bp.route("/account/notifications", methods=["GET", "POST"])
@requires()
def notification_settings():
    from publisher.services import notify

    c, user = ctx(), current_user()
    errors, general, status = {}, [], 200
    if request.method == "POST":
        try:
            notify.set_preference(c, user, request.form.get("mode") or "")
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            return done(_("Gespeichert."), "web.notification_settings")
    return render_template("notifications.html", mode=notify.preference(c, user), errors=errors, general=general,
                           mail_on=notify.enabled(c)), status
