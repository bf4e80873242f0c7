"""Public time-series downloads per series (issue 17 item 4): ``/reihen/<id>/zeitreihe.csv`` and ``.xlsx``.

Thin: :mod:`publisher.services.timeseries` builds the files from the public, live releases only (a series
without one answers 404, whoever asks)."""
from __future__ import annotations

from publisher.web.blueprint import bp, ctx
from publisher.web.release_downloads import provider
from publisher.web.security import public
from publisher.web.submissions import _download as _send


@bp.route("/reihen/<int:series_id>/zeitreihe.csv")
@public
def time_series_csv(series_id):
    from publisher.services import timeseries

    data, name = timeseries.csv_file(ctx(), series_id)
    return _send(data, name, "text/csv; charset=utf-8")


@bp.route("/reihen/<int:series_id>/zeitreihe.xlsx")
@public
def time_series_xlsx(series_id):
    from publisher.services import timeseries

    data, name = timeseries.xlsx_file(ctx(), series_id)
    return _send(data, name, timeseries.XLSX_MEDIA)


def time_series_downloads(c, rel, version):
    """The release page's entries for the series' time series as ``(label, href, format, purpose, order)``
    (public releases only; issue 14: a restricted release page never links to a file about the series).
    Registered with the release page's download list below."""
    from flask import url_for

    from publisher.i18n import gettext as _
    from publisher.models import Submission

    if rel.audience != "public" or rel.withdrawn:
        return []
    sub = c.session.get(Submission, rel.submission_id)
    if sub is None or sub.series_id is None:
        return []
    return [(_("Zeitreihe (XLSX)"), url_for("web.time_series_xlsx", series_id=sub.series_id), "XLSX",
             _("Für Excel: alle veröffentlichten Zeiträume der Reihe in einer Arbeitsmappe, gesperrte Werte als „.“."),
             65),
            (_("Zeitreihe (CSV)"), url_for("web.time_series_csv", series_id=sub.series_id), "CSV",
             _("Maschinenlesbar: alle veröffentlichten Zeiträume der Reihe untereinander, mit der Spalte „zeitraum“."),
             66)]



@provider
def _time_series_entries(c, rel, version):
    """The time series on the release page's one download list (publisher.web.release_downloads)."""
    from publisher.web.release_downloads import Download

    return [Download(label=label, href=href, format=fmt, purpose=purpose, order=order)
            for label, href, fmt, purpose, order in time_series_downloads(c, rel, version)]
