"""API endpoints.  Each view: parse → one service call → JSON."""
from __future__ import annotations

import json
from typing import Any

from flask import current_app, jsonify, request, url_for

from publisher.api.blueprint import api_user, bp, ctx, json_body, operation
from publisher.api.conventions import paginate
from publisher.i18n import current_lang
from publisher.services.errors import InvalidInput, invalid_field

SUBMISSION_ID = [{"name": "submission_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
COMMENT_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Comment"}}}
ERR = {403: "Nicht erlaubt / forbidden", 404: "Unbekannte Einreichung / unknown submission",
       409: "Falscher Zustand / wrong state", 422: "Ungültige Eingabe / invalid input"}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def check_dict(obj, redact=None) -> dict[str, Any]:
    """The check result of a version or a ``CheckResult`` (what would be released, and why)."""
    return {
        "outcome": obj.outcome,
        "level": obj.level,
        "artifact_sha256": obj.artifact_sha256,
        "public_statement": obj.public_statement,
        "public_report": obj.public_report,
        "findings": redact(obj.findings) if redact else obj.findings,
    }


def _redactor():
    """Issue 14: reports and findings name only releases the caller may read."""
    from publisher.services.audience import redact

    c, user = ctx(), api_user(required=False)
    return lambda obj: redact(c, user, obj)


def submission_dict(sub, *, with_report: bool = False) -> dict[str, Any]:
    v = sub.current_version
    out = {
        "id": sub.id,
        "state": sub.state,
        "state_label": sub.state_label(current_lang()),
        "waiting_for": sub.owner_role.value,
        "series": sub.series.slug,
        "submitter": sub.submitter.username,
        "created_at": _iso(sub.created_at),
        "updated_at": _iso(sub.updated_at),
        "version": v.number if v else None,
        "metadata": dict(v.meta) if v else {},
        "file": {"name": v.raw_filename, "sha256": v.raw_sha256} if v else None,
        "hierarchy": v.hierarchy.label if v else None,
        "rule_set": v.rule_set.label if v else None,
        "mapping": dict(v.mapping) if v else {},
        "check": check_dict(v, _redactor()) if v else None,
        "decisions": [{"action": d.action, "actor": d.actor.username if d.actor else None, "comment": d.comment,
                       "artifact_sha256": d.artifact_sha256, "manifest_sha256": d.manifest_sha256,
                       "at": _iso(d.created_at),
                       "invalidated": d.invalidated_at is not None} for d in sub.decisions],
        "links": {"self": url_for("api.get_submission", submission_id=sub.id)},
    }
    if with_report and v is not None:
        out["check"]["report"] = _redactor()(v.report)
    if v is not None:  # issue 14: what an approval binds
        from publisher import manifest

        m = manifest.current(ctx(), sub)
        out["manifest"] = {"sha256": m.sha256, "document": m.document}
    return out


def _json_field(name: str, required: bool) -> dict | None:
    raw = request.form.get(name)
    if raw is None and name in request.files:
        raw = request.files[name].read().decode("utf-8", errors="replace")
    if raw is None or raw.strip() == "":
        if required:
            raise InvalidInput(invalid_field(name, "Pflichtfeld fehlt (JSON-Objekt).",
                                             "required field missing (JSON object)."))
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(invalid_field(name, f"kein gültiges JSON ({exc.msg}, Zeichen {exc.pos}).",
                                         f"not valid JSON ({exc.msg}, char {exc.pos}).")) from None
    if not isinstance(value, dict):
        raise InvalidInput(invalid_field(name, "muss ein JSON-Objekt sein.", "must be a JSON object."))
    return value


@bp.route("/submissions", methods=["POST"])
@operation(
    "Tabelle hochladen: Regeln laufen sofort; Ergebnis ist ein Entwurf / upload a table; creates a draft",
    request_body={"multipart/form-data": {"schema": {"$ref": "#/components/schemas/Upload"}}},
    responses={201: "Entwurf angelegt mit Prüfergebnis / draft created with check result", 403: ERR[403],
               413: "Datei zu groß / file too large", 422: ERR[422]}, schema="Submission")
def create_submission():
    from publisher.services import intake

    user = api_user()
    f = request.files.get("file")
    if f is None or not f.filename:
        raise InvalidInput(invalid_field("file", "Datei fehlt (multipart-Feld „file“).",
                                         "file missing (multipart field 'file')."))
    metadata = _json_field("metadata", required=True)
    mapping = _json_field("mapping", required=False)
    options = {k: request.form.get(k) or None for k in ("series", "hierarchy", "rule_set")}
    for key in ("series", "hierarchy", "rule_set"):  # also accepted inside the metadata object
        if options[key] is None and isinstance(metadata.get(key), (str, int)):
            options[key] = metadata.pop(key)
        else:
            metadata.pop(key, None)
    if mapping is None and isinstance(metadata.get("mapping"), dict):
        mapping = metadata.pop("mapping")
    sub = intake.create_draft(ctx(), user, data=f.read(), filename=f.filename, metadata=metadata,
                              mapping=mapping, **options)
    resp = jsonify(submission_dict(sub))
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.get_submission", submission_id=sub.id)
    return resp


@bp.route("/submissions", methods=["GET"])
@operation("Einreichungen auflisten (eigene bzw. alle für DPO/Admin), neueste zuerst / list submissions",
           responses={200: "Liste / list", 403: ERR[403], 422: ERR[422]}, schema="SubmissionList", paginated=True,
           parameters=[{"name": "state", "in": "query", "required": False, "schema": {"type": "string"}}])
def list_submissions():
    from publisher.services import queries

    state = request.args.get("state") or None
    from publisher.workflow import State

    if state is not None and state not in {s.value for s in State}:
        raise InvalidInput(invalid_field("state", "unbekannter Zustand.", "unknown state."))
    items = queries.list_submissions(ctx(), api_user(), state=state)
    return paginate(items, "submissions", submission_dict)


@bp.route("/submissions/<int:submission_id>", methods=["GET"])
@operation("Eine Einreichung mit Prüfergebnis / one submission with its check result",
           parameters=SUBMISSION_ID, responses={200: "Einreichung / submission", 403: ERR[403], 404: ERR[404]},
           schema="Submission")
def get_submission(submission_id):
    from publisher.services import queries

    sub = queries.get_submission(ctx(), api_user(), submission_id)
    return jsonify(submission_dict(sub, with_report=True))


def _transition(action: str, submission_id: int):
    from publisher.services import review

    body = json_body()
    comment = body.get("comment", "")
    c, user = ctx(), api_user()
    if action == "submit":
        sub = review.submit(c, user, submission_id, comment)
    elif action == "approve":
        sha = body.get("manifest_sha256")  # required: the service refuses it missing (422) after the checks
        sha = sha if isinstance(sha, str) and sha else None  # of role and state (403/409 come first)
        art = body.get("artifact_sha256")
        sub = review.approve(c, user, submission_id, sha, comment,
                             embargo_until=body["embargo_until"] if "embargo_until" in body else review.UNCHANGED,
                             artifact_sha256=art if isinstance(art, str) and art else None,
                             out_of_order=body.get("out_of_order") is True)
    elif action == "return":
        sub = review.return_submission(c, user, submission_id, comment)
    elif action == "reject":
        sub = review.reject(c, user, submission_id, comment)
    elif action == "withdraw":
        sub = review.withdraw(c, user, submission_id, comment)
    else:  # pragma: no cover
        raise ValueError(action)
    return jsonify(submission_dict(sub))


def _transition_op(summary: str, body_schema: str = "Comment"):
    return operation(summary, parameters=SUBMISSION_ID,
                     request_body={"application/json": {"schema": {"$ref": f"#/components/schemas/{body_schema}"}}},
                     responses={200: "Neuer Zustand / new state", **ERR}, schema="Submission")


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
@_transition_op("Entwurf zur Prüfung einreichen / submit a draft for review")
def submit(submission_id):
    return _transition("submit", submission_id)


@bp.route("/submissions/<int:submission_id>/approve", methods=["POST"])
@_transition_op("Freigeben (an die sha256 der Veröffentlichungstabelle gebunden; nie die eigene) / approve",
                "Approve")
def approve(submission_id):
    return _transition("approve", submission_id)


@bp.route("/submissions/<int:submission_id>/return", methods=["POST"])
@_transition_op("Zur Überarbeitung zurückgeben (Kommentar Pflicht) / return for revision (comment required)")
def return_(submission_id):
    return _transition("return", submission_id)


@bp.route("/submissions/<int:submission_id>/reject", methods=["POST"])
@_transition_op("Ablehnen (Kommentar Pflicht) / reject (comment required)")
def reject(submission_id):
    return _transition("reject", submission_id)


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
@_transition_op("Entwurf oder zurückgegebene Einreichung zurückziehen / withdraw")
def withdraw(submission_id):
    return _transition("withdraw", submission_id)


@bp.route("/submissions/<int:submission_id>/resubmit", methods=["POST"])
@operation("Zurückgegebene Einreichung überarbeitet erneut einreichen (neue Version) / resubmit a returned "
           "submission as a new version",
           parameters=SUBMISSION_ID,
           request_body={"multipart/form-data": {"schema": {"$ref": "#/components/schemas/Resubmit"}}},
           responses={200: "Neue Version, Zustand submitted / new version, state submitted", **ERR,
                      413: "Datei zu groß / file too large"}, schema="Submission")
def resubmit(submission_id):
    from publisher.services import review

    f = request.files.get("file")
    data, filename = (f.read(), f.filename) if f is not None and f.filename else (None, None)
    sub = review.resubmit(ctx(), api_user(), submission_id, data=data, filename=filename,
                          metadata=_json_field("metadata", required=False),
                          mapping=_json_field("mapping", required=False),
                          comment=request.form.get("comment", ""))
    return jsonify(submission_dict(sub))


def release_dict(c, sub, area: dict) -> dict[str, Any]:
    """A published release with links to its files, data package, ZIP, CKAN dataset and WebDAV folder."""
    from publisher.services import dav, downloads

    v = sub.current_version
    meta = dict(v.meta)
    rel = area.get(sub.id)
    files, package, zip_, latest, dav_url = [], None, None, None, None
    if rel is not None:
        for name, sha in sorted(rel.files.items()):
            href = url_for("downloads.file", topic=rel.topic, series=rel.series, version=rel.version, filename=name)
            files.append({"name": name, "href": href, "sha256": sha, "media_type": dav.media_type(name)})
            if name == "datapackage.json":
                package = href
            elif name.endswith(".zip"):
                zip_ = href
        if f"{rel.series}.csv" in rel.files:
            latest = url_for("downloads.file", topic=rel.topic, series=rel.series, version="latest",
                             filename=f"{rel.series}.csv")
        if c.settings.get("DAV_ENABLED", True):
            dav_url = "/".join(["/" + str(c.settings.get("DAV_PATH") or "/dav").strip("/"), rel.topic, rel.series,
                                rel.version, ""])
    return {"id": sub.id, "title": meta.get("title"), "description": meta.get("description", ""),
            "keywords": meta.get("keywords", []), "reference_period": meta.get("reference_period"),
            "licence": meta.get("licence"), "source": meta.get("source", ""),
            "audience": meta.get("audience", "public"), "series": sub.series.slug, "level": v.level,
            "artifact_sha256": v.artifact_sha256, "public_statement": v.public_statement,
            "published_at": _iso(sub.state_changed_at), "version": rel.version if rel is not None else None,
            "links": {"self": url_for("api.release", submission_id=sub.id),
                      "html": url_for("downloads.release", submission_id=sub.id),
                      "files": files, "package": package, "zip": zip_, "latest": latest,
                      "ckan": downloads.portal_url(c, rel) if rel is not None else None, "dav": dav_url}}


def _download_area(c, user) -> dict:
    """submission id -> its release in the download area, as ``user`` sees it."""
    from publisher.services import downloads

    return {r.submission_id: r for series in downloads.list_series(c, user).values() for sv in series
            for r in sv.versions}


@bp.route("/releases", methods=["GET"])
@operation("Veröffentlichte Tabellen (öffentlich; mit Token auch eingeschränkte der eigenen Gruppen), neueste "
           "zuerst, mit Links zu Dateien, Datenpaket und CKAN / releases with links",
           auth=False, tags=("releases",), schema="ReleaseList", paginated=True,
           responses={200: "Liste / list", 401: "Token ungültig / invalid token", 422: ERR[422]})
def releases():
    from publisher.services import queries

    c, user = ctx(), api_user(required=False)
    area = _download_area(c, user)
    return paginate(queries.list_releases(c, user), "releases", lambda s: release_dict(c, s, area))


@bp.route("/releases/<int:submission_id>", methods=["GET"])
@operation("Eine Veröffentlichung mit Links zu Dateien, Datenpaket, ZIP, CKAN und WebDAV / one release with links "
           "(404 auch, wenn sie für Sie nicht sichtbar ist)", auth=False, tags=("releases",), schema="Release",
           parameters=SUBMISSION_ID, responses={200: "Veröffentlichung / release", 401: "Token ungültig / invalid "
                                                "token", 404: "Unbekannt oder nicht sichtbar / unknown or not visible"})
def release(submission_id):
    from publisher.services import queries
    from publisher.services.errors import not_found

    c, user = ctx(), api_user(required=False)
    sub = next((s for s in queries.list_releases(c, user) if s.id == submission_id), None)
    if sub is None:  # unpublished, withdrawn or another group's: the same 404, nothing leaks
        raise not_found("Veröffentlichung", submission_id)
    return jsonify(release_dict(c, sub, _download_area(c, user)))


def _problem_types() -> list[dict[str, Any]]:
    from disclosure_rules.findings import CATALOGUE
    from publisher.api.errors import CSRF, HTTP_CODES, TITLES, type_uri

    out = [{"type": type_uri(code), "code": code, "status": status, "title": dict(zip(("de", "en"), TITLES[status])),
            "message": {"de": de, "en": en}} for status, (code, de, en) in sorted(HTTP_CODES.items())]
    out.append({"type": type_uri(CSRF[0]), "code": CSRF[0], "status": 400, "title": dict(zip(("de", "en"), TITLES[400])),
                "message": {"de": CSRF[1], "en": CSRF[2]}})
    for code, tpl in sorted(CATALOGUE.items()):
        out.append({"type": type_uri(code), "code": code, "status": None,
                    "title": {"de": code, "en": code}, "message": {"de": tpl.de, "en": tpl.en}})
    return out


@bp.route("/problems", methods=["GET"])
@operation("Alle Fehlercodes (Problemarten) mit ihren Meldungen / every error code with its messages",
           auth=False, tags=("meta",), schema="ProblemTypeList", paginated=True,
           responses={200: "Liste / list", 422: ERR[422]})
def problem_types():
    return paginate(_problem_types(), "problems", lambda x: x)


@bp.route("/problems/<code>", methods=["GET"])
@operation("Was ein Fehlercode bedeutet (das „type“ eines Fehlers) / what an error code means (a problem's type)",
           auth=False, tags=("meta",), schema="ProblemType",
           parameters=[{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
           responses={200: "Problemart / problem type", 404: "Unbekannter Code / unknown code"})
def problem_type(code):
    from publisher.services.errors import not_found

    found = next((p for p in _problem_types() if p["code"] == code), None)
    if found is None:
        raise not_found("Fehlercode", code)
    return jsonify(found)


@bp.route("/openapi.json", methods=["GET"])
@operation("Dieses Dokument / this document", auth=False, tags=("meta",), responses={200: "OpenAPI 3.1"},
           schema="OpenAPIDocument")
def openapi():
    from publisher.api.openapi import build_openapi

    return jsonify(build_openapi(current_app))
