"""The ONE error format of the API: RFC 9457 problem details (``application/problem+json``).

Used for every error under ``/api/`` - service errors (401/403/404/409/410/422), HTTP errors raised by
Flask/Werkzeug (400, 404 unknown URL, 405, 413 too large), CSRF failures, rate limits (429), a lost database
(503) and unexpected exceptions (500)::

    {"type": "https://host/api/v1/problems/publisher.wrong_state",   # GET it: what the code means
     "title": "Konflikt", "status": 409,
     "detail": "„approve“ ist im Zustand „Entwurf“ nicht möglich.",   # ?lang=en: English
     "instance": "/api/v1/submissions/7/approve",
     "code": "publisher.wrong_state",                                  # stable: scripts branch on it
     "details": [{"code", "severity", "file", "row", "column", "params", "message_de", "message_en"}],
     "error": {"code", "message", "details"}}                          # the same, as API v1 had it

``error`` repeats ``code``/``detail``/``details`` in the shape API v1 clients know; it stays for the whole of
``/api/v1`` (deprecated: read the top-level members).
"""
from __future__ import annotations

from flask import current_app, has_request_context, request
from werkzeug.exceptions import HTTPException

from publisher.i18n import current_lang

PROBLEM_JSON = "application/problem+json"

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
CSRF = ("csrf_failed", "CSRF-Prüfung fehlgeschlagen. Die API braucht kein Cookie und kein CSRF-Token: senden Sie "
        "„Authorization: Bearer <Token>“.", "CSRF check failed. The API needs no cookie and no CSRF token: send "
        "'Authorization: Bearer <token>'.")
# the problem's "title": short, the same for every occurrence of a status (RFC 9457 3.1.3)
TITLES = {
    400: ("Fehlerhafte Anfrage", "Bad Request"), 401: ("Nicht angemeldet", "Unauthorized"),
    403: ("Nicht erlaubt", "Forbidden"), 404: ("Nicht gefunden", "Not Found"),
    405: ("Methode nicht erlaubt", "Method Not Allowed"), 409: ("Konflikt", "Conflict"),
    410: ("Nicht mehr vorhanden", "Gone"), 413: ("Anfrage zu groß", "Content Too Large"),
    415: ("Format nicht unterstützt", "Unsupported Media Type"), 422: ("Ungültige Eingabe", "Unprocessable Content"),
    429: ("Zu viele Anfragen", "Too Many Requests"), 500: ("Interner Fehler", "Internal Server Error"),
    503: ("Vorübergehend nicht verfügbar", "Service Unavailable"),
}


def is_database_outage(exc: Exception) -> bool:
    """A lost or refused database connection (not a bug): answered 503 with Retry-After."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def title(status: int, lang: str) -> str:
    de, en = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    return en if lang == "en" else de


def type_uri(code: str) -> str:
    """The problem type: a URL that describes ``code`` (``GET /api/v1/problems/<code>``)."""
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for("api.problem_type", code=code, _external=True)
    except (BuildError, RuntimeError):
        return "about:blank"


def envelope(status: int, code: str, message: str, details=None, headers=None):
    """The problem details response (the one error format of the API)."""
    lang = current_lang()
    details = details if details is not None else []
    body = {"type": type_uri(code), "title": title(status, lang), "status": status, "detail": message,
            "instance": request.path if has_request_context() else None, "code": code, "details": details,
            "error": {"code": code, "message": message, "details": details}}
    resp = current_app.response_class(current_app.json.dumps(body) + "\n", status=status, mimetype=PROBLEM_JSON)
    resp.headers["Content-Language"] = lang
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


problem = envelope


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
    """Any exception under /api -> the problem details (HTTP errors keep their status; others are 500)."""
    from flask_wtf.csrf import CSRFError

    from publisher.services.errors import ServiceError

    if isinstance(exc, ServiceError):
        return service_error_response(exc)
    if isinstance(exc, CSRFError):
        code, de, en = CSRF
        return envelope(400, code, en if current_lang() == "en" else de)
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
