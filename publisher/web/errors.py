"""Error pages for the web UI and the JSON envelope under /api (one handler for both, chosen by path)."""
from __future__ import annotations

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from publisher.i18n import N_
from publisher.i18n import gettext as _

TITLES = {
    400: N_("Sitzung abgelaufen oder Formular ungültig"),
    401: N_("Nicht angemeldet"),
    403: N_("Zugriff verweigert"),
    404: N_("Seite nicht gefunden"),
    405: N_("Methode nicht erlaubt"),
    409: N_("Falscher Zustand"),
    413: N_("Datei zu groß"),
    422: N_("Ungültige Eingabe"),
    500: N_("Interner Fehler"),
    503: N_("Vorübergehend nicht verfügbar"),
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def page(status: int, messages: list[str] | None = None):
    from flask import current_app

    defaults = {
        400: _("Das Formular ist abgelaufen oder ungültig (CSRF-Schutz). Bitte laden Sie die Seite neu."),
        401: _("Bitte melden Sie sich an."),
        403: _("Sie dürfen diese Seite oder Aktion nicht nutzen."),
        404: _("Die Seite gibt es nicht."),
        413: _("Die hochgeladene Datei ist größer als erlaubt ({limit} Bytes).",
               limit=current_app.config.get("MAX_CONTENT_LENGTH")),
        500: _("Ein interner Fehler ist aufgetreten; es wurde nichts gespeichert."),
        503: _("Die Datenbank ist gerade nicht erreichbar; es wurde nichts gespeichert. Bitte versuchen Sie es gleich noch einmal."),  # noqa: E501
    }
    msgs = messages or [defaults.get(status, _(TITLES.get(status, "Fehler")))]
    title = _(TITLES.get(status, "Fehler"))
    return render_template("error.html", status=status, title=title, messages=msgs), status


def init_app(app) -> None:
    from publisher.api.errors import exception_response
    from publisher.services.errors import ServiceError

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if _is_api():
            return exception_response(exc)
        return page(400)

    @app.errorhandler(ServiceError)
    def _service(exc):
        if _is_api():
            return exception_response(exc)
        from publisher.i18n import current_lang

        return page(exc.http_status, [f.message(current_lang()) for f in exc.findings])

    @app.errorhandler(HTTPException)
    def _http(exc):
        if _is_api():
            return exception_response(exc)
        if exc.code in (None,) or exc.code < 400:
            return exc
        return page(exc.code)

    @app.errorhandler(Exception)
    def _any(exc):
        if isinstance(exc, HTTPException):
            return _http(exc)
        app.logger.exception("unhandled error")
        try:
            from publisher.db import get_session

            get_session().rollback()
        except Exception:  # pragma: no cover
            pass
        if _is_api():
            return exception_response(exc)
        from publisher.api.errors import is_database_outage

        if is_database_outage(exc):
            resp = page(503)
            resp = app.make_response(resp)
            resp.headers["Retry-After"] = "30"
            return resp
        return page(500)
