"""The OpenAPI 3.1 document, generated from the app's route map and each view's ``@operation``.

:func:`build_openapi` walks every URL rule of the ``api`` blueprint; a rule whose view has no
``@operation`` raises :class:`UndocumentedRoute` (so the document can never silently miss a route), and
:func:`routes_of` / :func:`paths_of` let the tests compare the two sides.
"""
from __future__ import annotations

import re

from publisher.api.errors import HTTP_CODES


class UndocumentedRoute(RuntimeError):
    pass


_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
            "code": {"type": "string", "description": "stabiler Code, z. B. publisher.wrong_state"},
            "message": {"type": "string", "description": "Meldung (Deutsch; ?lang=en: Englisch)"},
            "details": {"type": "array", "items": {"type": "object"},
                        "description": "Befunde mit code, file, row, column, params, message_de, message_en"}}}},
    },
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


def _response(status: int, description: str) -> dict:
    if status >= 400:
        return {"description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


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
            responses = {str(code): _response(code, text) for code, text in sorted(spec["responses"].items())}
            for code in (404, 405, 500) + ((413,) if method == "POST" else ()):
                responses.setdefault(str(code), _response(code, HTTP_CODES[code][2]))
            op = {"operationId": rule.endpoint.split(".", 1)[1], "summary": spec["summary"],
                  "tags": spec["tags"], "parameters": spec["parameters"], "responses": responses}
            op["security"] = [{"bearer": []}] if spec["auth"] else []
            if spec["request_body"]:
                op["requestBody"] = {"required": True, "content": spec["request_body"]}
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Freigabe API", "version": "1",
                 "description": "Einreichung, Prüfung und Freigabe kommunaler Statistiktabellen. "
                                "Fehler immer als {\"error\": {\"code\", \"message\", \"details\"}}. "
                                "Siehe docs/api.md."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "freigabe token create NAME"}}},
    }
