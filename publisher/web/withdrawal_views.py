"""Stop an approved release / withdraw a published one (issue 14 item 5; thin views over
:mod:`publisher.services.withdrawal`).  DPO and admins, reason required; shown on the review page."""
from __future__ import annotations

from flask import request

from publisher.i18n import gettext as _
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.security import current_user, requires


def _act(submission_id: int, fn, message: str):
    from publisher.services.errors import InvalidInput
    from publisher.web.review import review_page_response

    try:
        fn(ctx(), current_user(), submission_id, request.form.get("reason") or request.form.get("comment") or "")
    except InvalidInput as exc:
        errors, general = field_errors(exc)
        return review_page_response(submission_id, errors, general + [_("Bitte einen Grund angeben.")], 422)
    return done(message, "web.review_page", submission_id=submission_id)


@bp.route("/review/<int:submission_id>/stop", methods=["POST"])
@requires("approver", "admin")
def stop_release(submission_id: int):
    from publisher.services import withdrawal

    return _act(submission_id, withdrawal.stop_release, _("Die Veröffentlichung ist gestoppt."))


@bp.route("/review/<int:submission_id>/withdraw-release", methods=["POST"])
@requires("approver", "admin")
def withdraw_release(submission_id: int):
    from publisher.services import withdrawal

    return _act(submission_id, withdrawal.withdraw_release, _("Die Veröffentlichung wird zurückgezogen."))
