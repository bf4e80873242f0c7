"""DPO queue and review page: approve (bound to the artifact's sha256) / return / reject with comment."""
from __future__ import annotations

from flask import render_template, request

from publisher.web.blueprint import bp, ctx
from publisher.web.security import current_user, requires


@bp.route("/review")
@requires("approver", "admin")
def review_queue():
    from publisher.services import queries

    from publisher.services.review_summary import queue_page

    del queries  # the list comes with outcome, level, findings and waiting time (issue 17 items 2 and 5)
    sort = request.args.get("sort", "waiting")
    descending = request.args.get("dir", "desc") != "asc"
    page = queue_page(ctx(), current_user(), q=request.args.get("q", ""), sort=sort, descending=descending,
                      page=request.args.get("page"))
    args = {k: v for k, v in {"q": page.filters["q"], "sort": sort, "dir": "desc" if descending else "asc"}.items()
            if v}
    return render_template("queue.html", rows=page.items, page=page, args=args, sort=sort, descending=descending)


def review_page_response(submission_id, errors=None, general=None, status=200):
    from publisher.services import queries
    from publisher.web.tables import approve_refusal, raw_table_view

    c, user = ctx(), current_user()
    data = queries.review_data(c, user, submission_id)
    from publisher.web.views_maps import review_map

    from publisher.services import series

    sub = data["submission"]
    standing = series.active_standing_approval(c, sub.series_id) if sub.series_id else None
    embargo = series.embargo_for(c, data["version"].id) if data["version"] is not None else None
    from publisher import manifest as M
    from publisher.i18n import current_lang

    m = M.current(c, sub) if data["version"] is not None and user is not None and user.role in (
        "approver", "admin", "submitter") else None
    emb = m.embargo_until if m is not None else None
    from publisher.web.series_views import LOCAL_TZ

    from publisher.services.review_summary import summary

    return render_template("review.html", d=data, s=summary(c, data, m, current_lang()), errors=errors or {}, general=general or [],
                           manifest=m, manifest_rows=M.describe(m, current_lang()) if m else [],
                           withdrawal=_withdrawal_info(c, sub),
                           earlier_embargo=series.earlier_embargo(c, sub, data["version"])
                           if data["version"] is not None and sub.state == "submitted" else None,
                           embargo_local=emb.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if emb else None,
                           raw_table=raw_table_view(c, user, data), map_svg=review_map(c, user, data),
                           standing=standing, embargo=embargo,
                           approve_refusal=approve_refusal(c, user, data["submission"])), status


def _withdrawal_info(c, sub):
    from publisher.services import withdrawal

    return withdrawal.info(c, sub)


@bp.route("/review/<int:submission_id>")
@requires("approver", "admin", "submitter")
def review_page(submission_id):
    return review_page_response(submission_id)


@bp.route("/review/<int:submission_id>/approve", methods=["POST"])
@requires("approver", "admin", "submitter")
def approve(submission_id):
    from publisher.web.submissions import _transition

    return _transition(submission_id, "approve", "web.review_page")


@bp.route("/review/<int:submission_id>/return", methods=["POST"])
@requires("approver", "admin", "submitter")
def return_(submission_id):
    from publisher.web.submissions import _transition

    return _transition(submission_id, "return", "web.review_page")


@bp.route("/review/<int:submission_id>/reject", methods=["POST"])
@requires("approver", "admin", "submitter")
def reject(submission_id):
    from publisher.web.submissions import _transition

    return _transition(submission_id, "reject", "web.review_page")
