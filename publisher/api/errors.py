"""The ONE JSON error envelope of the API: ``{"error": {"code", "message", "details"}}``.

Used for every error under ``/api/`` - service errors (401/403/404/409/422), HTTP errors raised by
Flask/Werkzeug (404 unknown URL, 405, 413 too large, 400 bad request) and unexpected exceptions (500).
"""
from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

from publisher.i18n import current_lang

# HTTP status -> (code, German, English) for errors that do not come from a service
HTTP_CODES = {
    400: ("bad_request", "Die Anfrage ist fehlerhaft.", "The request is malformed."),
    401: ("unauthorized", "Anmeldung nötig: Header „Authorization: Bearer <Token>“ fehlt oder ist ungültig.",
          "Authentication needed: header 'Authorization: Bearer <token>' missing or invalid."),
    403: ("forbidden", "Diese Aktion ist Ihnen nicht erlaubt.", "You are not allowed to do this."),
    404: ("not_found", "Diese Adresse gibt es nicht.", "This URL does not exist."),
    405: ("method_not_allowed", "Diese Methode ist hier nicht erlaubt.", "This method is not allowed here."),
    409: ("wrong_state", "Die Aktion passt nicht zum Zustand.", "The action does not fit the state."),
    413: ("payload_too_large", "Die Anfrage ist größer als erlaubt ({limit} Bytes).",
          "The request is larger than allowed ({limit} bytes)."),
    415: ("unsupported_media_type", "Dieses Format wird nicht unterstützt.", "This media type is not supported."),
    422: ("invalid_input", "Die Eingabe ist ungültig.", "The input is invalid."),
    429: ("too_many_requests", "Zu viele Anfragen; bitte später erneut versuchen.",
          "Too many requests; please try again later."),
    500: ("internal_error", "Interner Fehler; es wurde nichts gespeichert.",
          "Internal error; nothing was stored."),
    503: ("unavailable", "Die Datenbank ist gerade nicht erreichbar; es wurde nichts gespeichert. Bitte gleich "
          "erneut versuchen.", "The database is unavailable right now; nothing was stored. Please retry shortly."),
}


def is_database_outage(exc: Exception) -> bool:
    """A lost or refused database connection (not a bug): answered 503 with Retry-After."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def envelope(status: int, code: str, message: str, details=None, headers=None):
    resp = jsonify({"error": {"code": code, "message": message, "details": details if details is not None else []}})
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def http_error(status: int, details=None, **params):
    code, de, en = HTTP_CODES.get(status, HTTP_CODES[500] if status >= 500 else HTTP_CODES[400])
    msg = (en if current_lang() == "en" else de).format(**params)
    headers = {"WWW-Authenticate": 'Bearer realm="freigabe"'} if status == 401 else None
    return envelope(status, code, msg, details, headers)


def service_error_response(exc):
    d = exc.to_dict(current_lang())
    headers = {"WWW-Authenticate": 'Bearer realm="freigabe", error="invalid_token"'} \
        if exc.http_status == 401 else None
    return envelope(exc.http_status, d["code"], d["message"], d["details"], headers)


def exception_response(exc: Exception):
    """Any exception under /api -> the envelope (HTTP errors keep their status; others are 500)."""
    from flask import current_app

    from publisher.services.errors import ServiceError

    if isinstance(exc, ServiceError):
        return service_error_response(exc)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        params = {"limit": current_app.config.get("MAX_CONTENT_LENGTH")} if status == 413 else {}
        resp = http_error(status, **params)
        if status == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp
    if is_database_outage(exc):
        current_app.logger.error("database unavailable: %s", str(exc).splitlines()[0][:200])
        resp = http_error(503)
        resp.headers["Retry-After"] = "30"
        return resp
    current_app.logger.exception("unhandled error in API request")
    return http_error(500)
