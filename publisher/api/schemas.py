"""OpenAPI components of the API's answers (issue 15 item 6): response schemas, shared parameters and headers.

Every operation names the schema of its success answer (``@operation(schema="Submission")``); errors are
``Problem``.  ``tests/api/test_conventions.py`` validates real answers of every route against these schemas
(jsonschema, draft 2020-12 as OpenAPI 3.1 uses it), so a schema that drifts from the code fails there.
Objects allow further members (a later field is not a breaking change); the members listed are promised.
"""
from __future__ import annotations

from publisher.api.conventions import PER_PAGE_DEFAULT, PER_PAGE_MAX

STR_OR_NULL = {"type": ["string", "null"]}
DATE_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _obj(required: list[str], **props) -> dict:
    return {"type": "object", "required": required, "properties": props}


FINDING = _obj(["code", "severity", "message_de", "message_en"],
               code={"type": "string"}, severity={"enum": ["error", "warning", "info"]},
               file=STR_OR_NULL, row={"type": ["integer", "null"]}, column=STR_OR_NULL,
               params={"type": "object"}, message_de={"type": "string"}, message_en={"type": "string"})

RESPONSE_SCHEMAS: dict[str, dict] = {
    "Problem": {
        **_obj(["type", "title", "status", "detail", "code", "details"],
               type={"type": "string", "description": "URL der Problemart (GET: Beschreibung des Codes)"},
               title={"type": "string", "description": "kurz, je Status gleich"},
               status={"type": "integer"},
               detail={"type": "string", "description": "Meldung (Deutsch; ?lang=en: Englisch)"},
               instance=STR_OR_NULL,
               code={"type": "string", "description": "stabiler Code, z. B. publisher.wrong_state"},
               details={"type": "array", "items": {"$ref": "#/components/schemas/Finding"},
                        "description": "Befunde mit code, file, row, column, params, message_de, message_en"},
               error={**_obj(["code", "message", "details"], code={"type": "string"}, message={"type": "string"},
                             details={"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}),
                      "deprecated": True, "description": "dasselbe in der Form von API v1 / the v1 envelope"}),
        "description": "RFC 9457 problem details (application/problem+json)",
    },
    "Finding": FINDING,
    "Check": _obj(["outcome", "level", "artifact_sha256", "public_statement", "findings"],
                  outcome={"type": "string"}, level=STR_OR_NULL, artifact_sha256=STR_OR_NULL,
                  public_statement={"type": "object"}, public_report={"type": "object"},
                  findings={"type": "array"},
                  report={"type": "object", "description": "interner Prüfbericht (nur GET einer Einreichung)"}),
    "Decision": _obj(["action", "actor", "at", "invalidated"],
                     action={"type": "string"}, actor=STR_OR_NULL, comment=STR_OR_NULL,
                     artifact_sha256=STR_OR_NULL, at={"type": "string", "format": "date-time"},
                     invalidated={"type": "boolean"}),
    "Submission": _obj(
        ["id", "state", "state_label", "waiting_for", "series", "submitter", "created_at", "version", "metadata",
         "check", "decisions", "links"],
        id={"type": "integer"}, state={"type": "string"}, state_label={"type": "string"},
        waiting_for={"type": "string"}, series={"type": "string"}, submitter={"type": "string"},
        created_at={"type": "string", "format": "date-time"}, updated_at=DATE_TIME_OR_NULL,
        version={"type": ["integer", "null"]}, metadata={"type": "object"},
        file={"type": ["object", "null"], "properties": {"name": {"type": "string"}, "sha256": SHA256}},
        hierarchy=STR_OR_NULL, rule_set=STR_OR_NULL, mapping={"type": "object"},
        check={"oneOf": [{"$ref": "#/components/schemas/Check"}, {"type": "null"}]},
        decisions={"type": "array", "items": {"$ref": "#/components/schemas/Decision"}},
        links=_obj(["self"], self={"type": "string"})),
    "SubmissionList": _obj(["submissions"], submissions={"type": "array",
                                                         "items": {"$ref": "#/components/schemas/Submission"}}),
    "ReleaseFile": _obj(["name", "href", "sha256", "media_type"], name={"type": "string"},
                        href={"type": "string", "description": "Download (Berechtigung und Protokoll wie im Web)"},
                        sha256=SHA256, media_type={"type": "string"}),
    "ReleaseLinks": _obj(
        ["self", "html", "files", "package", "zip", "ckan"],
        self={"type": "string"}, html={"type": "string", "description": "öffentliche Seite der Veröffentlichung"},
        files={"type": "array", "items": {"$ref": "#/components/schemas/ReleaseFile"}},
        package={**STR_OR_NULL, "description": "datapackage.json (Frictionless) dieser Version"},
        zip={**STR_OR_NULL, "description": "ZIP-Paket dieser Version"},
        latest={**STR_OR_NULL, "description": "CSV der jeweils neuesten Version der Reihe"},
        ckan={**STR_OR_NULL, "description": "Datensatz im Open-Data-Portal (CKAN), sobald dort veröffentlicht"},
        dav={**STR_OR_NULL, "description": "Ordner dieser Version im WebDAV-Laufwerk"},
        targets={"type": "object", "additionalProperties": {"type": "string"},
                 "description": "Ziel → Adresse dieser Version bei jedem weiteren Veröffentlichungsziel"}),
    "Release": _obj(
        ["id", "title", "reference_period", "audience", "series", "artifact_sha256", "published_at", "links"],
        id={"type": "integer"}, title=STR_OR_NULL, description={"type": "string"},
        keywords={"type": "array", "items": {"type": "string"}}, reference_period=STR_OR_NULL,
        licence=STR_OR_NULL, source={"type": "string"}, audience={"enum": ["public", "restricted"]},
        series={"type": "string"}, level=STR_OR_NULL, artifact_sha256=SHA256,
        public_statement={"type": "object"}, published_at=DATE_TIME_OR_NULL,
        version={**STR_OR_NULL, "description": "Version im Download-Bereich, z. B. 1.2.0"},
        links={"$ref": "#/components/schemas/ReleaseLinks"}),
    "ReleaseList": _obj(["releases"], releases={"type": "array", "items": {"$ref": "#/components/schemas/Release"}}),
    "ProblemType": _obj(["type", "code", "status", "title", "message"],
                        type={"type": "string"}, code={"type": "string"}, status={"type": ["integer", "null"]},
                        title=_obj(["de", "en"], de={"type": "string"}, en={"type": "string"}),
                        message=_obj(["de", "en"], de={"type": "string"}, en={"type": "string"})),
    "ProblemTypeList": _obj(["problems"], problems={"type": "array",
                                                    "items": {"$ref": "#/components/schemas/ProblemType"}}),
    "OpenAPIDocument": _obj(["openapi", "info", "paths", "components"], openapi={"type": "string"},
                            info={"type": "object"}, paths={"type": "object"}, components={"type": "object"}),
    # issue 14 item 10: failed publication jobs and their typed errors
    "PublicationJob": _obj(
        ["id", "submission_id", "target", "purpose", "state", "attempts", "error"],
        id={"type": "integer"}, submission_id={"type": "integer"}, version_id={"type": "integer"},
        target={"type": "string"}, purpose={"enum": ["publish", "withdraw"]},
        state={"enum": ["pending", "running", "done", "failed"]}, attempts={"type": "integer"},
        updated_at=DATE_TIME_OR_NULL,
        error={"oneOf": [{"type": "null"}, _obj(
            ["code", "message_de", "message_en", "retryable"], code={"type": "string"},
            message_de={"type": "string"}, message_en={"type": "string"},
            problems={"type": "array", "items": {"type": "string"}},
            retryable={"type": "boolean", "description": "false: the cause is the release itself (new version)"})]}),
    "PublicationJobList": _obj(["items"], items={"type": "array",
                                                 "items": {"$ref": "#/components/schemas/PublicationJob"}}),
}

PARAMETERS = {
    "lang": {"name": "lang", "in": "query", "required": False, "schema": {"enum": ["de", "en"], "default": "de"},
             "description": "Sprache der Meldungen (detail, state_label) / language of messages"},
    "page": {"name": "page", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "default": 1}, "description": "Seite (ab 1) / page"},
    "per_page": {"name": "per_page", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX, "default": PER_PAGE_DEFAULT},
                 "description": f"Einträge je Seite (höchstens {PER_PAGE_MAX}) / items per page"},
    "IdempotencyKey": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": "Gleicher Schlüssel und gleiche Anfrage: dieselbe Antwort noch einmal (kein zweiter "
                       "Entwurf); gleicher Schlüssel, andere Anfrage: 409. Je Konto, 24 Stunden gültig. / "
                       "same key and request: the same answer again; different request: 409"},
    "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                    "description": "ETag einer früheren Antwort: unverändert → 304 / unchanged → 304"},
}

HEADERS = {
    "ETag": {"description": "Versionskennung der Antwort (für If-None-Match)", "schema": {"type": "string"}},
    "Link": {"description": "RFC 8288: first, prev, next, last", "schema": {"type": "string"}},
    "X-Total-Count": {"description": "Anzahl aller Einträge", "schema": {"type": "integer"}},
    "Retry-After": {"description": "Sekunden bis zum nächsten Versuch", "schema": {"type": "integer"}},
    "Idempotent-Replayed": {"description": "true: Wiederholung der gespeicherten Antwort zum Idempotency-Key",
                            "schema": {"type": "string", "enum": ["true"]}},
    "Location": {"description": "Adresse der angelegten Ressource", "schema": {"type": "string"}},
}

# issue 17 item 4: reports (several tables of one period under one title, published when all are approved)
RESPONSE_SCHEMAS["Report"] = _obj(
    ["id", "title", "period", "full_title", "state", "state_label", "audience", "groups", "owner", "members",
     "links"],
    id={"type": "integer"}, title={"type": "string"}, period={"type": "string"}, full_title={"type": "string"},
    state={"enum": ["collecting", "complete", "released", "published", "withdrawn"]},
    state_label={"type": "string"}, audience={"enum": ["public", "restricted"]},
    groups={"type": "array", "items": {"type": "string"}}, owner={"type": "string"},
    published_at=DATE_TIME_OR_NULL, workbook_sha256={"oneOf": [SHA256, {"type": "null"}]},
    members={"type": "array", "items": _obj(
        ["submission_id", "position", "state", "title", "approved"], submission_id={"type": "integer"},
        position={"type": "integer"}, state={"type": "string"}, title={"type": "string"},
        approved={"type": "boolean", "description": "freigegeben mit einem Manifest, das den Bericht nennt"},
        reason={"type": "string", "description": "warum nicht: not_approved, report_not_bound, audience_mixed"})},
    links=_obj(["self", "html", "workbook"], self={"type": "string"},
               html={"type": "string", "description": "öffentliche Seite (404, bis der Bericht erschienen ist)"},
               workbook={"type": "string", "description": "Excel-Mappe (404, bis der Bericht erschienen ist)"}))
