"""Dashboard, upload with mapping and immediate check, metadata, submit/withdraw/resubmit, file downloads."""
from __future__ import annotations

from flask import Response, render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.forms import form_values, mapping_from_form, metadata_from_form, upload_from_form
from publisher.web.security import STAFF, current_user, requires
from publisher.web import views_checks  # noqa: F401,E402  (background check routes on bp, issue 6)


@bp.route("/dashboard")
@requires()
def dashboard():
    from publisher.services import queries

    from publisher.services import listing

    user = current_user()
    page = listing.submissions_page(ctx(), user, q=request.args.get("q", ""), state=request.args.get("state", ""),
                                    series=request.args.get("series"), period=request.args.get("period", ""),
                                    page=request.args.get("page")) if user.role in STAFF else None
    waiting = len(queries.list_submissions(ctx(), user, state="submitted")) if user.role in ("approver", "admin") \
        else 0
    notes = []
    if user.role in ("approver", "admin"):
        from publisher.services import series

        notes = list(reversed(series.notifications(ctx(), user)))[:20]
    elif user.role == "submitter":  # issue 14 item 10: e.g. "Veröffentlichung fehlgeschlagen"
        from publisher.services import job_retry

        notes = job_retry.notifications_for(ctx(), user)[:20]
    from publisher.web.account import role_grants_view  # issue 14: roles waiting for a second person

    return render_template("dashboard.html", page=page, submissions=page.items if page else [], waiting=waiting,
                           list_args={k: v for k, v in (page.filters if page else {}).items() if v},
                           state_options=_state_options(), series_options=listing.series_options(ctx())
                           if page else [], notifications=notes,
                           role_grants=role_grants_view() if user.role in ("approver", "admin") else [])


def _state_options() -> list[tuple[str, str]]:
    from publisher.i18n import current_lang, translate
    from publisher.workflow import STATE_LABELS

    return [(st.value, translate(label, current_lang())) for st, label in STATE_LABELS.items()]


def _choices():
    from publisher.services import reference

    c = ctx()
    hs, rs = reference.list_hierarchies(c), reference.list_current_rule_sets(c)  # issue 14: current ones only
    from publisher.services import populations

    pops = populations.list_populations(c, current_only=True)
    return {"hierarchies": hs, "rule_sets": rs, "hierarchy_options": [(h.id, h.label) for h in hs],
            "population_options": [(p.slug, p.name) for p in pops],
            "rule_set_options": [(r.id, r.label) for r in rs],
            "licence_options": _licence_options(),
            "level_options": list(dict.fromkeys(lv for h in hs for lv in (h.levels or [])))}


def _licence_options() -> list[tuple[str, str]]:
    """The licences a public release can carry (issue 17: a choice, required up front)."""
    from catalog.licences import LICENCES

    return [(key, lic.title) for key, lic in LICENCES.items()]


@bp.route("/submissions/new", methods=["GET", "POST"])
@requires("submitter")
def new_submission():
    from publisher.services import intake

    from publisher.services import weekly

    c = ctx()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    check = None
    status = 200
    columns: list[str] = []
    # issue 17 item 1: "Reihe" is a choice; an existing series pre-fills metadata and its remembered mapping
    chosen = request.values.get("series") or ""
    series_info = weekly.series_defaults(c, current_user(), chosen) if chosen.isdigit() else None
    staged = None  # issue 17: the uploaded file kept for the next step of this form (token, file name)
    if request.method == "POST":
        from publisher.web import staged_uploads

        data, filename = upload_from_form()
        token = (request.form.get("staged") or "").strip()
        if data is None and token:  # the file chosen in an earlier step of this form
            data, filename = staged_uploads.load(token, current_user().id) or (None, None)
        meta = metadata_from_form()
        mapping = mapping_from_form()
        hierarchy = request.form.get("hierarchy") or None
        rule_set = request.form.get("rule_set") or None
        action = request.form.get("action")
        from publisher.web.tables import file_columns

        columns = file_columns(data, filename, mapping)
        try:
            if data is None:
                raise InvalidInput(_file_missing())
            if action == "check" or (action == "columns" and not columns):  # unreadable: the check says why
                check = intake.check_upload(c, data, filename, mapping, hierarchy=hierarchy, rule_set=rule_set)
            elif action != "columns":
                sub = intake.create_draft(c, current_user(), data=data, filename=filename, metadata=meta,
                                          mapping=mapping, series=request.form.get("series") or None,
                                          hierarchy=hierarchy, rule_set=rule_set)
                staged_uploads.drop(token)
                return done(_("Einreichung gespeichert."), "web.submission", submission_id=sub.id)
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            general.append(_("Es wurde nichts gespeichert."))
            status = 422
            if any(str(f.code).startswith("FG-READ") for f in exc.findings):
                columns = []  # the file itself is refused: nothing of it is kept for a next step
        if data is not None and columns:  # only a readable file is kept for the next step (never a refused one)
            staged = (staged_uploads.stage(data, filename or "tabelle.csv", current_user().id, token), filename)
        elif token:
            staged_uploads.drop(token)
    if series_info and not columns:
        columns = weekly.mapping_columns(series_info["mapping"])
    values = form_values(meta={**_default_meta(), **(series_info["meta"] if series_info else {})}
                         if request.method == "GET" else None,
                         mapping=series_info["mapping"] if series_info and request.method == "GET" else None)
    return render_template("upload.html", errors=errors, general=general, values=values, check=check,
                           columns=columns, staged=staged, series=series_info["series"] if series_info else None,
                           series_options=[(s.id, s.title) for s in weekly.series_choices(c, current_user())],
                           **_choices()), status


def _default_meta() -> dict:
    from flask import current_app

    return {"licence": current_app.config.get("DEFAULT_LICENCE", "dl-de/by-2-0"), "audience": "public",
            "layout": "long"}


def _file_missing():
    from publisher.services.errors import invalid_field

    return invalid_field("file", "Bitte eine Datei auswählen.", "Please choose a file.")


def _submission_page(submission_id, errors=None, general=None, status=200):
    from publisher.services import queries
    from publisher.web.tables import approve_refusal

    c, user = ctx(), current_user()
    data = queries.review_data(c, user, submission_id)
    values = form_values(mapping=data["version"].mapping, meta=data["metadata"])
    return render_template("submission.html", d=data, errors=errors or {}, general=general or [],
                           values=values, raw_table=_raw_table(data),
                           approve_refusal=approve_refusal(c, user, data["submission"]), **_choices()), status


def _raw_table(data):
    from publisher.web.tables import raw_table_view

    return raw_table_view(ctx(), current_user(), data)


@bp.route("/submissions/<int:submission_id>")
@requires(*STAFF)
def submission(submission_id):
    return _submission_page(submission_id)


@bp.route("/submissions/<int:submission_id>/edit", methods=["POST"])
@requires("submitter")
def edit_submission(submission_id):
    from publisher.services import intake

    data, filename = upload_from_form()
    try:
        intake.update_draft(ctx(), current_user(), submission_id, data=data, filename=filename,
                            metadata=metadata_from_form(partial=True), mapping=mapping_from_form(),
                            hierarchy=request.form.get("hierarchy") or None,
                            rule_set=request.form.get("rule_set") or None)
    except InvalidInput as exc:
        errors, general = field_errors(exc)
        return _submission_page(submission_id, errors, general + [_("Es wurde nichts gespeichert.")], 422)
    return done(_("Einreichung gespeichert."), "web.submission", submission_id=submission_id)


@bp.route("/submissions/<int:submission_id>/resubmit", methods=["POST"])
@requires("submitter")
def resubmit_submission(submission_id):
    from publisher.services import review

    data, filename = upload_from_form()
    try:
        review.resubmit(ctx(), current_user(), submission_id, data=data, filename=filename,
                        metadata=metadata_from_form(partial=True), mapping=mapping_from_form(),
                        hierarchy=request.form.get("hierarchy") or None,
                        rule_set=request.form.get("rule_set") or None,
                        comment=request.form.get("comment", ""))
    except InvalidInput as exc:
        errors, general = field_errors(exc)
        return _submission_page(submission_id, errors, general + [_("Es wurde nichts gespeichert.")], 422)
    from publisher.i18n import action_label

    return done(_("Aktion ausgeführt: {action}.", action=action_label("resubmit")), "web.submission",
                submission_id=submission_id)


def _transition(submission_id, action: str, endpoint: str = "web.submission"):
    from publisher.services import review

    c, user, comment = ctx(), current_user(), request.form.get("comment", "")
    try:
        if action == "submit":
            review.submit(c, user, submission_id, comment)
        elif action == "withdraw":
            review.withdraw(c, user, submission_id, comment)
        elif action == "approve":
            from publisher.web.series_views import local_datetime

            # the form shows the reviewed manifest's embargo: what is posted is what is approved
            review.approve(c, user, submission_id, request.form.get("manifest_sha256") or None, comment,
                           embargo_until=local_datetime(request.form.get("embargo_until")),
                           artifact_sha256=request.form.get("artifact_sha256") or None,
                           out_of_order=request.form.get("out_of_order") == "1")
        elif action == "return":
            review.return_submission(c, user, submission_id, comment)
        elif action == "reject":
            review.reject(c, user, submission_id, comment)
        else:  # pragma: no cover - routes only pass known actions
            raise ValueError(action)
    except InvalidInput as exc:
        errors, general = field_errors(exc)
        if exc.code == "publisher.comment_required":  # shown at the one comment field of the decision form
            errors.setdefault("comment", []).extend(general)
            general = []
        if endpoint == "web.review_page":
            from publisher.web.review import review_page_response

            return review_page_response(submission_id, errors, general, 422)
        return _submission_page(submission_id, errors, general, 422)
    from publisher.i18n import action_label

    return done(_("Aktion ausgeführt: {action}.", action=action_label(action)), endpoint,
                submission_id=submission_id)


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
@requires("submitter")
def submit_submission(submission_id):
    return _transition(submission_id, "submit")


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
@requires("submitter")
def withdraw_submission(submission_id):
    return _transition(submission_id, "withdraw")


def _download(data: bytes, filename: str, media_type: str) -> Response:
    from urllib.parse import quote

    resp = Response(data, mimetype=media_type)
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in filename)
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                           f"filename*=UTF-8''{quote(filename)}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/versions/<int:version_id>/raw")
@requires(*STAFF)
def raw_file(version_id):
    from publisher.services import queries

    data, filename = queries.raw_bytes(ctx(), current_user(), version_id)
    return _download(data, filename, "application/octet-stream")


@bp.route("/versions/<int:version_id>/releasable.csv")
@requires(*STAFF)
def artifact_file(version_id):
    from publisher.services import queries

    data, filename = queries.artifact_bytes(ctx(), current_user(), version_id)
    return _download(data, filename, "text/csv")

