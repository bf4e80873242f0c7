"""Failed publications through the API (issue 14 item 10): list them, retry one (DPO and admins)."""
from __future__ import annotations

from flask import jsonify

from publisher.api.blueprint import api_user, bp, ctx, json_body, operation
from publisher.api.views import ERR

JOB_ID = [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


@bp.route("/publication-jobs/failed", methods=["GET"])
@operation("Fehlgeschlagene Veröffentlichungsaufträge mit Fehler (Code, Meldung de/en, wiederholbar?) / failed "
           "publication jobs with their typed error (DSB, Admin: alle; Statistikstelle: eigene)",
           responses={200: "Liste / list", 403: ERR[403]}, tags=("publication",), schema="PublicationJobList")
def failed_jobs():
    from publisher.services import job_retry

    items = job_retry.failed_jobs(ctx(), api_user())
    return jsonify({"items": [job_retry.job_dict(it["job"]) for it in items]})


@bp.route("/publication-jobs/<int:job_id>/retry", methods=["POST"])
@operation("Fehlgeschlagenen Veröffentlichungsauftrag erneut versuchen (DSB, Admin; der Worker prüft alles neu) / "
           "retry a failed publication job", parameters=JOB_ID,
           request_body={"application/json": {"schema": {"$ref": "#/components/schemas/Comment"}}},
           responses={200: "Auftrag wartet wieder / job pending again", 403: ERR[403],
                      404: "Unbekannter Auftrag / unknown job", 409: ERR[409]}, tags=("publication",),
           schema="PublicationJob")
def retry_job(job_id):
    from publisher.services import job_retry

    body = json_body()
    job = job_retry.retry(ctx(), api_user(), job_id, body.get("comment", ""))
    return jsonify(job_retry.job_dict(job))
