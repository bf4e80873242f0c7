"""Series pages (issue 8, thin views over :mod:`publisher.services.series`).

* ``/calendar`` — the public release calendar: approved public releases under embargo (title, series,
  period, date; never a number of the table).
* ``POST /series/<id>/standing-approval`` — the DPO approves the series definition once (reference: the
  submission on whose review page the button is); later clean periods are released automatically.
* ``POST /series/<id>/standing-approval/revoke`` — back to manual review for every period.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import redirect, render_template, request, url_for

from publisher.i18n import gettext as _
from publisher.web.blueprint import bp, ctx, done
from publisher.web.security import current_user, public, requires

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def local_datetime(text: str | None):
    """``<input type="datetime-local">`` text (office time, Europe/Berlin) → aware datetime; ISO text with an
    offset is taken as is; empty → None.  Invalid text is passed on for the service's typed error."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return when if when.tzinfo else when.replace(tzinfo=LOCAL_TZ)


@bp.route("/calendar")
@public
def calendar():
    from publisher.services import series

    items = series.upcoming_releases(ctx())  # times shown in Europe/Berlin by the |datumzeit filter
    return render_template("calendar.html", items=items)


@bp.route("/series/<int:series_id>/standing-approval", methods=["POST"])
@requires("approver")
def grant_standing(series_id: int):
    from publisher.services import series

    sub_id = request.form.get("submission_id", type=int)
    series.grant_standing_approval(ctx(), current_user(), series_id, sub_id or 0, request.form.get("comment", ""))
    return done(_("Die Reihe ist dauerhaft freigegeben."), "web.review_page", submission_id=sub_id)


@bp.route("/series/<int:series_id>/standing-approval/revoke", methods=["POST"])
@requires("approver", "admin")
def revoke_standing(series_id: int):
    from publisher.services import series

    series.revoke_standing_approval(ctx(), current_user(), series_id, request.form.get("comment", ""))
    sub_id = request.form.get("submission_id", type=int)
    if sub_id:
        return done(_("Die Daueranfreigabe der Reihe ist aufgehoben."), "web.review_page", submission_id=sub_id)
    return redirect(url_for("web.dashboard"))
