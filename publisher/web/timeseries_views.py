"""Public time-series downloads per series (issue 17 item 4): ``/reihen/<id>/zeitreihe.csv`` and ``.xlsx``.

Thin: :mod:`publisher.services.timeseries` builds the files from the public, live releases only (a series
without one answers 404, whoever asks)."""
from __future__ import annotations

from publisher.web.blueprint import bp, ctx
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
