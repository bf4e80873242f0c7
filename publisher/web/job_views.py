"""Failed publications (issue 14 item 10; thin views over :mod:`publisher.services.job_retry`).

* ``/publications/failed`` — the list "Veröffentlichung fehlgeschlagen" (DPO and admins: all; a submitter:
  their own submissions'), each with its typed failure in the UI language.
* ``POST /publications/jobs/<id>/retry`` — DPO and admins: run a failed job again through the worker.
"""
from __future__ import annotations

from flask import render_template, request

from publisher.i18n import gettext as _
from publisher.web.blueprint import bp, ctx, done
from publisher.web.security import current_user, requires


@bp.route("/publications/failed")
@requires("submitter", "approver", "admin")
def failed_publications():
    from publisher.services import job_retry

    return render_template("failed_jobs.html", items=job_retry.failed_jobs(ctx(), current_user()))


@bp.route("/publications/jobs/<int:job_id>/retry", methods=["POST"])
@requires("approver", "admin")
def retry_publication(job_id: int):
    from publisher.services import job_retry

    job = job_retry.retry(ctx(), current_user(), job_id, request.form.get("comment") or "")
    if request.form.get("back") == "list":
        return done(_("Die Veröffentlichung wird erneut versucht."), "web.failed_publications")
    return done(_("Die Veröffentlichung wird erneut versucht."), "web.review_page", submission_id=job.submission_id)
