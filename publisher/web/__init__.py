"""Web UI blueprints (thin views over publisher.services).

``init_app(app)`` wires i18n (Flask-Babel), security (CSRF, headers, cookies), the blueprint ``web`` with
all pages (modules ``auth``, ``submissions``, ``review``, ``admin``, ``public``) and the error pages.
Errors under ``/api/`` are answered with the API's JSON envelope, everything else with an HTML page.
"""
from __future__ import annotations


def init_app(app):
    from publisher import i18n
    from publisher.web import admin, auth, errors, public, review, security, series_views, submissions  # noqa: F401,E501
    from publisher.web import account, withdrawal_views  # noqa: F401  (issue 14)
    from publisher.web import job_views  # noqa: F401  (issue 14 item 10: failed publications)
    from publisher.web import help_views, weekly_views  # noqa: F401  (issue 17)
    from publisher.web import timeseries_views  # noqa: F401  (issue 17 item 4: time series per series)
    from publisher.web import report_views  # noqa: F401  (issue 17 item 4: reports)
    from publisher.web.blueprint import bp
    from publisher.web import issue18_views  # noqa: F401  (directory, invitations, requests, notifications, help)
    from publisher.web import geo_views  # noqa: F401  (issue 17: boundaries, map and GeoJSON downloads)
    from publisher.web.presenters import label as report_label
    from publisher.web.presenters import job_error, report_levels, report_lines, target_label, waiting_text
    from publisher.web.report_view import report_view
    from publisher.web.release_downloads import size_text
    from publisher.web.release_view import level_label

    i18n.init_app(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(report_levels=report_levels, report_lines=report_lines,
                                 report_label=report_label, job_error=job_error,
                                 target_label=target_label, wartezeit=waiting_text, report_view=report_view,
                                 level_label=level_label, size_text=size_text)  # issue 17: release page
    app.jinja_env.filters["zip_self"] = lambda xs: [(x, x) for x in xs]  # options whose value is their text
    security.init_app(app)
    if "web" not in app.blueprints:
        app.register_blueprint(bp)
    from publisher.web import downloads as downloads_views

    if "downloads" not in app.blueprints:
        app.register_blueprint(downloads_views.bp)
    errors.init_app(app)
    security.collect_access(app)
