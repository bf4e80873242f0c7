"""Stop / withdraw a release through the API (issue 14 item 5): DPO and admins, reason required."""
from __future__ import annotations

from flask import jsonify

from publisher.api.blueprint import api_user, bp, ctx, json_body, operation
from publisher.api.views import ERR, SUBMISSION_ID, submission_dict

REASON_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}}


def _act(fn, submission_id: int):
    body = json_body()
    reason = body.get("reason", body.get("comment", ""))
    sub = fn(ctx(), api_user(), submission_id, reason)
    return jsonify(submission_dict(sub))


@bp.route("/submissions/<int:submission_id>/stop", methods=["POST"])
@operation("Freigegebene Veröffentlichung stoppen, bevor sie erscheint (DSB, Admin; Grund Pflicht) / stop an "
           "approved release", parameters=SUBMISSION_ID, request_body=REASON_BODY,
           responses={200: "Zustand withdrawn / state withdrawn", **ERR}, schema="Submission")
def stop_release(submission_id):
    from publisher.services import withdrawal

    return _act(withdrawal.stop_release, submission_id)


@bp.route("/submissions/<int:submission_id>/withdraw-release", methods=["POST"])
@operation("Veröffentlichte Version zurückziehen (DSB, Admin; Grund Pflicht, öffentlich sichtbar) / withdraw a "
           "published release", parameters=SUBMISSION_ID, request_body=REASON_BODY,
           responses={200: "Zustand withdrawn / state withdrawn", **ERR}, schema="Submission")
def withdraw_release(submission_id):
    from publisher.services import withdrawal

    return _act(withdrawal.withdraw_release, submission_id)
