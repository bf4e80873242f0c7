"""Reports (Berichte, issue 17 item 4): thin views over :mod:`publisher.services.reports`.

* ``/berichte/verwaltung`` — staff: their reports (DPOs and admins: all) and the form to create one;
* ``/berichte/<id>/verwaltung`` — a report's staff page: tables with state and approval, add / remove a table,
  complete the set, withdraw;
* ``/berichte/<id>`` and ``/berichte/<id>.xlsx`` — public: the published report (404 for anything else: not
  every table published, restricted, withdrawn, unknown) and its workbook.
The review page (``templates/_review_report.html``) and the release page (``templates/_release_report.html``)
get the report through the template helpers ``review_report`` / ``release_report``.
"""
from __future__ import annotations

from flask import render_template, request

from publisher.i18n import gettext as _
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.security import STAFF, current_user, public, requires


@bp.app_context_processor
def _report_helpers():
    def review_report(sub):
        from publisher.services import reports

        return reports.for_review(ctx(), sub) if getattr(sub, "id", None) is not None else None

    def release_report(sub):
        from publisher.services import reports

        # (a page drawn without a stored submission, e.g. a preview, belongs to no report)
        return reports.for_release(ctx(), sub) if getattr(sub, "id", None) is not None else None

    def report_state_label(state):
        from publisher.i18n import gettext
        from publisher.report_states import REPORT_STATE_LABELS, ReportState

        return gettext(REPORT_STATE_LABELS[ReportState(state)])

    return {"review_report": review_report, "release_report": release_report,
            "report_state_label": report_state_label}


def _list_page(errors=None, general=None, values=None, status=200):
    from publisher.services import reports

    c, user = ctx(), current_user()
    return render_template("reports.html", reports=reports.list_for(c, user), errors=errors or {},
                           general=general or [], values=values or {},
                           can_create=user.role == "submitter"), status


@bp.route("/berichte/verwaltung")
@requires(*STAFF)
def reports_list():
    return _list_page()


@bp.route("/berichte/verwaltung", methods=["POST"])
@requires(*STAFF)
def report_create():
    from publisher.services import reports
    from publisher.services.errors import InvalidInput
    from publisher.web.blueprint import form_list

    f = request.form
    try:
        r = reports.create(ctx(), current_user(), f.get("title"), f.get("period"), f.get("audience") or "public",
                           form_list("groups"))
    except InvalidInput as exc:
        errors, general = field_errors(exc)
        return _list_page(errors, general, f, 422)
    return done(_("Der Bericht ist angelegt. Fügen Sie jetzt seine Tabellen hinzu."), "web.report_manage",
                report_id=r.id)


@bp.route("/berichte/<int:report_id>/verwaltung")
@requires(*STAFF)
def report_manage(report_id: int):
    from publisher.services import reports
    from publisher.report_states import user_can_add, user_can_complete, user_can_report, user_can_withdraw_report

    c, user = ctx(), current_user()
    report = reports.get(c, user, report_id)
    return render_template("report_manage.html", s=reports.summary(c, report),
                           candidates=reports.candidates(c, user, report) if user_can_add(user, report) else [],
                           can_add=user_can_add(user, report), can_complete=user_can_complete(user, report),
                           can_remove=user_can_report("remove", user, report),
                           can_withdraw=user_can_withdraw_report(user, report))


@bp.route("/berichte/<int:report_id>/tabellen", methods=["POST"])
@requires(*STAFF)
def report_add(report_id: int):
    from publisher.services import reports

    reports.add(ctx(), current_user(), report_id, request.form.get("submission_id"))
    return done(_("Die Tabelle gehört jetzt zum Bericht."), "web.report_manage", report_id=report_id)


@bp.route("/berichte/<int:report_id>/tabellen/<int:submission_id>/entfernen", methods=["POST"])
@requires(*STAFF)
def report_remove(report_id: int, submission_id: int):
    from publisher.services import reports

    reports.remove(ctx(), current_user(), report_id, submission_id)
    return done(_("Die Tabelle gehört nicht mehr zum Bericht."), "web.report_manage", report_id=report_id)


@bp.route("/berichte/<int:report_id>/abschliessen", methods=["POST"])
@requires(*STAFF)
def report_complete(report_id: int):
    from publisher.services import reports

    reports.complete(ctx(), current_user(), report_id)
    return done(_("Die Zusammenstellung ist abgeschlossen. Der Bericht erscheint, sobald jede Tabelle freigegeben ist."),
                "web.report_manage", report_id=report_id)


@bp.route("/berichte/<int:report_id>/zurueckziehen", methods=["POST"])
@requires(*STAFF)
def report_withdraw(report_id: int):
    from publisher.services import reports

    reports.withdraw(ctx(), current_user(), report_id, request.form.get("reason") or "")
    return done(_("Der Bericht ist zurückgezogen."), "web.report_manage", report_id=report_id)


@bp.route("/berichte/<int:report_id>")
@public
def report_page(report_id: int):
    from publisher.services import reports

    report, subs = reports.public_report(ctx(), report_id)
    return render_template("report.html", report=report, subs=subs)


@bp.route("/berichte/<int:report_id>.xlsx")
@public
def report_workbook(report_id: int):
    from publisher.services import reports
    from publisher.web.submissions import _download

    data, name = reports.public_workbook(ctx(), report_id)
    resp = _download(data, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


def _register_download() -> None:
    """The report's workbook as a download on the release page of each of its tables (ui's presenter)."""
    try:
        from publisher.web.release_downloads import Download, provider
    except ImportError:  # pragma: no cover - the presenter is not there yet
        return

    @provider
    def _report_workbook(c, rel, version):
        from flask import url_for

        from publisher.models import Submission
        from publisher.services import reports

        sub = c.session.get(Submission, version.submission_id)
        report = reports.for_release(c, sub) if sub is not None else None
        if report is not None:
            yield Download(label=_("Bericht „{title}“ als Excel-Mappe", title=report.full_title),
                           href=url_for("web.report_workbook", report_id=report.id), format="XLSX",
                           purpose=_("Für Excel: alle Tabellen des Berichts in einer Mappe, ein Blatt je Tabelle."),
                           order=65)


_register_download()
