"""The OpenAPI 3.1 document, generated from the app's route map and each view's ``@operation``.

:func:`build_openapi` walks every URL rule of the ``api`` blueprint; a rule whose view has no
``@operation`` raises :class:`UndocumentedRoute` (so the document can never silently miss a route), and
:func:`routes_of` / :func:`paths_of` let the tests compare the two sides.
"""
from __future__ import annotations

import re

from publisher.api.errors import HTTP_CODES, PROBLEM_JSON
from publisher.api.schemas import HEADERS, PARAMETERS, RESPONSE_SCHEMAS


class UndocumentedRoute(RuntimeError):
    pass


_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")

SCHEMAS = {
    "Comment": {"type": "object", "properties": {"comment": {"type": "string"}}},
    "Reason": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "description": "Grund (öffentlich sichtbar bei zurückgezogenen Versionen)"}}},
    "Approve": {"type": "object", "required": ["manifest_sha256"], "properties": {
        "manifest_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                            "description": "sha256 des geprüften Freigabe-Manifests (manifest.sha256 der Einreichung): "
                                           "Tabelle, Metadaten, Zielgruppe, Ziele, Reihe, Regelwerk, Sperrfrist"},
        "artifact_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                            "description": "optional: sha256 der Veröffentlichungstabelle (zusätzliche Prüfung)"},
        "out_of_order": {"type": "boolean",
                         "description": "true: ausdrücklich vor einem früheren, noch gesperrten Zeitraum der Reihe "
                                        "veröffentlichen / publish before an earlier period under embargo"},
        "comment": {"type": "string"},
        "embargo_until": {"type": ["string", "null"], "format": "date-time",
                          "description": "Sperrfrist (ISO 8601 mit Zeitzone): vorher wird nichts veröffentlicht. "
                                         "Fehlt das Feld, gilt die Sperrfrist des geprüften Manifests; ein anderer "
                                         "Wert (auch null) gibt ein neues Manifest frei / embargo: absent = the "
                                         "reviewed manifest's embargo; another value approves a new manifest"}}},
    "Upload": {"type": "object", "required": ["file", "metadata"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "CSV/TXT/XLSX"},
        "metadata": {"type": "string", "description": "JSON-Objekt: title*, reference_period*, description, "
                     "keywords[], source, licence (dl-de/by-2-0), contact, audience (public|restricted), groups[], "
                     "correction_reason (Pflicht bei einer Korrektur eines veröffentlichten Zeitraums)"},
        "mapping": {"type": "string", "description": "JSON-Objekt: geo_column, count_columns[], dimensions[], "
                    "layout (long|wide), wide_dimension, additive, sheet, header_row, geo_level"},
        "series": {"type": "string"}, "hierarchy": {"type": "string"}, "rule_set": {"type": "string"}}},
    "Resubmit": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": "neue Datei (leer: die bisherige)"},
        "metadata": {"type": "string", "description": "JSON-Objekt mit den geänderten Metadaten"},
        "mapping": {"type": "string", "description": "JSON-Objekt (leer: die bisherige Zuordnung)"},
        "comment": {"type": "string"}}},
}


def openapi_path(rule: str) -> str:
    return _CONVERTER.sub(r"{\1}", rule)


def routes_of(app, blueprint: str = "api") -> set[tuple[str, str]]:
    """(path, method) of every route of the blueprint (HEAD/OPTIONS left out)."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(blueprint + "."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out.add((openapi_path(rule.rule), method.lower()))
    return out


def paths_of(doc: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in doc.get("paths", {}).items() for method in ops}


def _error(description: str, *headers: str) -> dict:
    out = {"description": description,
           "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    if headers:
        out["headers"] = {h: {"$ref": f"#/components/headers/{h}"} for h in headers}
    return out


def _success(description: str, schema: str, headers: list[str]) -> dict:
    out = {"description": description,
           "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    if headers:
        out["headers"] = {h: {"$ref": f"#/components/headers/{h}"} for h in headers}
    return out


# documented on every operation (RFC 9457 problem details); 413 on POST, 401 with auth (see @operation)
COMMON_ERRORS = {
    400: "Fehlerhafte Anfrage (auch CSRF) / bad request (also CSRF)",
    404: HTTP_CODES[404][2],
    405: HTTP_CODES[405][2],
    429: "Zu viele Anfragen je Token (FREIGABE_RATE_LIMIT_API); Retry-After / too many requests",
    500: HTTP_CODES[500][2],
    503: "Datenbank nicht erreichbar; Retry-After / database unavailable",
}
RETRY_AFTER = (429, 503)


def _operation(rule, spec: dict, method: str) -> dict:
    if not spec.get("schema"):
        raise UndocumentedRoute(f"{rule.rule} ({rule.endpoint}) has no response schema (@operation(schema=...))")
    if spec["schema"] not in RESPONSE_SCHEMAS:
        raise UndocumentedRoute(f"{rule.rule} ({rule.endpoint}): unknown response schema {spec['schema']!r}")
    get = method == "GET"
    params = list(spec["parameters"]) + [{"$ref": "#/components/parameters/lang"}]
    ok_headers = []
    if get:
        params.append({"$ref": "#/components/parameters/IfNoneMatch"})
        ok_headers.append("ETag")
    if spec.get("paginated"):
        params += [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]
        ok_headers += ["Link", "X-Total-Count"]
    if method == "POST":
        params.append({"$ref": "#/components/parameters/IdempotencyKey"})
    responses: dict[str, dict] = {}
    for code, text in sorted(spec["responses"].items()):
        if code < 400:
            headers = ok_headers + (["Location"] if code == 201 else []) + (
                ["Idempotent-Replayed"] if method == "POST" else [])
            responses[str(code)] = _success(text, spec["schema"], headers)
        else:
            responses[str(code)] = _error(text, *(["Retry-After"] if code in RETRY_AFTER else []))
    if get:
        responses["304"] = {"description": "Nicht geändert (If-None-Match passt zum ETag) / not modified",
                            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}
    errors = dict(COMMON_ERRORS)
    if method == "POST":
        errors[409] = "Idempotency-Key schon für eine andere Anfrage benutzt oder Anfrage läuft noch / key reused"
        errors[413] = HTTP_CODES[413][2].format(limit="FREIGABE_MAX_UPLOAD_BYTES")
        errors[422] = "Ungültige Eingabe (auch ein ungültiger Idempotency-Key) / invalid input"
    for code, text in errors.items():
        responses.setdefault(str(code), _error(text, *(["Retry-After"] if code in RETRY_AFTER else [])))
    op = {"operationId": rule.endpoint.split(".", 1)[1], "summary": spec["summary"], "tags": spec["tags"],
          "parameters": params, "responses": dict(sorted(responses.items()))}
    op["security"] = [{"bearer": []}] if spec["auth"] else []
    if spec["request_body"]:
        op["requestBody"] = {"required": True, "content": spec["request_body"]}
    return op


def build_openapi(app) -> dict:
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        spec = getattr(view, "_openapi", None)
        if spec is None:
            raise UndocumentedRoute(f"{rule.rule} ({rule.endpoint}) has no @operation description")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation(rule, spec, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Freigabe API", "version": "1",
                 "description": "Einreichung, Prüfung und Freigabe kommunaler Statistiktabellen. Fehler immer als "
                                "RFC 9457 application/problem+json mit stabilem code; ?lang=en für englische "
                                "Meldungen; 429/503 mit Retry-After; Idempotency-Key auf POST; ETag/If-None-Match "
                                "auf GET; Listen seitenweise mit Link-Header. Siehe docs/api.md."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": {**SCHEMAS, **RESPONSE_SCHEMAS}, "parameters": PARAMETERS, "headers": HEADERS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "freigabe token create NAME"}}},
    }
