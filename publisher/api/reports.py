"""Reports through the API (issue 17 item 4; thin views over :mod:`publisher.services.reports`): create a report,
add a table, show a report (with each table's state and whether it is approved for the report)."""
from __future__ import annotations

from flask import jsonify, url_for

from publisher.api.blueprint import api_user, bp, ctx, json_body, operation

REPORT_ID = [{"name": "report_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
ERR = {403: "Nicht erlaubt / forbidden", 404: "Unbekannter Bericht / unknown report",
       409: "Falscher Zustand / wrong state", 422: "Ungültige Eingabe / invalid input"}
REPORT_BODY = {"application/json": {"schema": {"type": "object", "required": ["title", "period"], "properties": {
    "title": {"type": "string"}, "period": {"type": "string"}, "audience": {"enum": ["public", "restricted"]},
    "groups": {"type": "array", "items": {"type": "string"}}}}}}
MEMBER_BODY = {"application/json": {"schema": {"type": "object", "required": ["submission_id"], "properties": {
    "submission_id": {"type": "integer"}}}}}


def report_dict(c, report) -> dict:
    from publisher.i18n import current_lang, translate
    from publisher.report_states import REPORT_STATE_LABELS, ReportState
    from publisher.services import reports

    s = reports.summary(c, report)
    return {
        "id": report.id, "title": report.title, "period": report.period, "full_title": report.full_title,
        "state": report.state, "state_label": translate(REPORT_STATE_LABELS[ReportState(report.state)], current_lang()),
        "audience": report.audience, "groups": list(report.groups or []), "owner": report.owner.username,
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "workbook_sha256": report.workbook_sha256,
        "members": [{"submission_id": m["id"], "position": m["position"], "state": m["state"], "title": m["title"],
                     "approved": m["approved"], "reason": m["reason"]} for m in s["members"]],
        "links": {"self": url_for("api.get_report", report_id=report.id),
                  "html": url_for("web.report_page", report_id=report.id),
                  "workbook": url_for("web.report_workbook", report_id=report.id)},
    }


@bp.route("/reports", methods=["POST"])
@operation("Bericht anlegen (Statistikstelle): Titel, Zeitraum, Zugang / create a report", request_body=REPORT_BODY,
           responses={201: "Bericht angelegt / report created", 403: ERR[403], 422: ERR[422]}, tags=("reports",),
           schema="Report")
def create_report():
    from publisher.services import reports

    body, c = json_body(), ctx()
    r = reports.create(c, api_user(), body.get("title"), body.get("period"), body.get("audience") or "public",
                       body.get("groups") or [])
    resp = jsonify(report_dict(c, r))
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.get_report", report_id=r.id)
    return resp


@bp.route("/reports/<int:report_id>/members", methods=["POST"])
@operation("Eigene Einreichung einem Bericht hinzufügen (Eigentümer; Entwurf, eingereicht oder zurückgegeben; "
           "gleiche Zielgruppe) / add a table to a report", parameters=REPORT_ID, request_body=MEMBER_BODY,
           responses={200: "Bericht mit der Tabelle / the report with the table", **ERR}, tags=("reports",),
           schema="Report")
def add_report_member(report_id):
    from publisher.services import reports

    c = ctx()
    r = reports.add(c, api_user(), report_id, json_body().get("submission_id"))
    return jsonify(report_dict(c, r))


@bp.route("/reports/<int:report_id>/complete", methods=["POST"])
@operation("Zusammenstellung abschließen (Eigentümer); der Bericht erscheint, sobald jede Tabelle freigegeben ist / "
           "complete a report", parameters=REPORT_ID,
           responses={200: "Bericht / the report", **ERR}, tags=("reports",), schema="Report")
def complete_report(report_id):
    from publisher.services import reports

    c = ctx()
    return jsonify(report_dict(c, reports.complete(c, api_user(), report_id)))


@bp.route("/reports/<int:report_id>", methods=["GET"])
@operation("Bericht mit Tabellen, Zustand und Freigabe je Tabelle (Eigentümer, DSB, Admin) / a report",
           parameters=REPORT_ID, responses={200: "Bericht / the report", 403: ERR[403], 404: ERR[404]},
           tags=("reports",), schema="Report")
def get_report(report_id):
    from publisher.services import reports

    c = ctx()
    return jsonify(report_dict(c, reports.get(c, api_user(), report_id)))
