"""Issue 18 item 4: individual requests (staff record and prepare; DPO/admin read) and the delivery link."""
from __future__ import annotations

from flask import Response, render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput, WrongState
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.security import STAFF, current_user, public, requires

FIELDS = ("requester_name", "requester_email", "organisation", "subject", "purpose", "legal_basis")


@bp.route("/requests", methods=["GET", "POST"])
@requires(*STAFF)
def requests_page():
    from publisher.services import requests as rq

    c, user = ctx(), current_user()
    errors, general, status = {}, [], 200
    if request.method == "POST":
        try:
            req = rq.record(c, user, **{k: request.form.get(k) or "" for k in FIELDS})
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            return done(_("Anfrage Nr. {id} erfasst.", id=req.id), "web.request_detail", request_id=req.id)
    return render_template("requests.html", requests=rq.list_requests(c, user), errors=errors, general=general,
                           values=dict(request.form)), status


def _detail(c, user, req, errors=None, general=None, values=None, link=None, status=200):
    from publisher.models import Submission
    from publisher.web.submissions import _choices

    sub = c.session.get(Submission, req.submission_id) if req.submission_id else None
    return render_template("request.html", req=req, sub=sub, errors=errors or {}, general=general or [],
                           values=values or {"layout": "long", "additive": True}, columns=None, new_link=link,
                           **_choices()), status


@bp.route("/requests/<int:request_id>")
@requires(*STAFF)
def request_detail(request_id: int):
    from publisher.services import requests as rq

    c, user = ctx(), current_user()
    return _detail(c, user, rq.get(c, user, request_id))


@bp.route("/requests/<int:request_id>/prepare", methods=["POST"])
@requires("submitter")
def request_prepare(request_id: int):
    from publisher.services import requests as rq
    from publisher.web.forms import form_values, mapping_from_form, metadata_from_form, upload_from_form

    c, user = ctx(), current_user()
    req = rq.get(c, user, request_id)
    data, filename = upload_from_form()
    try:
        if data is None:
            from publisher.services.errors import invalid_field

            raise InvalidInput(invalid_field("file", "Bitte eine Datei auswählen.", "Please choose a file."))
        meta = {k: v for k, v in metadata_from_form(partial=True).items() if v and k not in ("audience", "groups")}
        sub = rq.prepare(c, user, req.id, data=data, filename=filename, metadata=meta,
                         mapping=mapping_from_form() or {}, population=request.form.get("population") or "",
                         hierarchy=request.form.get("hierarchy") or None, rule_set=request.form.get("rule_set") or None)
    except (InvalidInput, WrongState) as exc:
        errors, general = field_errors(exc)
        return _detail(c, user, rq.get(c, user, request_id), errors, general + [_("Es wurde nichts gespeichert.")],
                       form_values(), status=exc.http_status)
    return done(_("Tabelle zur Anfrage als Entwurf gespeichert; bitte prüfen und einreichen."), "web.submission",
                submission_id=sub.id)


@bp.route("/requests/<int:request_id>/link", methods=["POST"])
@requires("submitter")
def request_reissue(request_id: int):
    from publisher.services import notify
    from publisher.services import requests as rq

    c, user = ctx(), current_user()
    link = rq.reissue_link(c, user, request_id)
    if notify.enabled(c):
        return done(_("Ein neuer Link wurde verschickt; der alte ist erloschen."), "web.request_detail",
                    request_id=request_id)
    return _detail(c, user, rq.get(c, user, request_id), link=link)


@bp.route("/requests/<int:request_id>/close", methods=["POST"])
@requires("submitter")
def request_close(request_id: int):
    from publisher.services import requests as rq

    rq.close(ctx(), current_user(), request_id, request.form.get("comment") or "")
    return done(_("Anfrage abgeschlossen."), "web.request_detail", request_id=request_id)


@bp.route("/delivery/<token>")
@public
def delivery(token: str):
    from publisher.services import requests as rq

    c = ctx()
    link, req, sub = rq.open_link(c, token)
    rel = rq.delivery_files(c, sub)
    return render_template("delivery.html", token=token, link=link, req=req, sub=sub, rel=rel,
                           window=int(c.settings.get("REQUEST_WINDOW_MINUTES") or 30))


@bp.route("/delivery/<token>/<filename>")
@public
def delivery_file(token: str, filename: str):
    from publisher.services import requests as rq

    data, media_type, digest = rq.download(ctx(), token, filename)
    resp = Response(data, mimetype=media_type.split(";")[0], content_type=media_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["X-Content-SHA256"] = digest
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp
