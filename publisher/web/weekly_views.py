"""Staff downloads of the weekly routine (issue 17 item 1): area code lists per hierarchy (CSV/XLSX) and an
upload template per series.  Thin: the files come from :mod:`publisher.services.weekly`."""
from __future__ import annotations

from flask import render_template

from publisher.web.blueprint import bp, ctx
from publisher.web.security import STAFF, current_user, requires


@bp.route("/gebiete")
@requires(*STAFF)
def area_codes():
    from publisher.services import reference, weekly

    c = ctx()
    series = weekly.series_choices(c, current_user())
    return render_template("area_codes.html", hierarchies=reference.list_hierarchies(c),
                           series=[s for s in series if weekly.mapping_columns(s.mapping or {})])


@bp.route("/gebiete/<int:hierarchy_id>.<fmt>")
@requires(*STAFF)
def area_codes_file(hierarchy_id, fmt):
    from publisher.services import weekly
    from publisher.web.submissions import _download

    data, name, media = weekly.area_codes_file(ctx(), current_user(), hierarchy_id, fmt)
    return _download(data, name, media)


@bp.route("/reihen/<int:series_id>/vorlage.csv")
@requires(*STAFF)
def series_template(series_id):
    from publisher.services import weekly
    from publisher.web.submissions import _download

    data, name = weekly.upload_template(ctx(), current_user(), series_id)
    return _download(data, name, "text/csv")
