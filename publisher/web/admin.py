"""Admin pages: users, hierarchies, rule sets; the audit log (read, verify, CSV/JSON export) for admin and DPO."""
from __future__ import annotations

import datetime as dt

from flask import Response, render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput
from publisher.web.blueprint import bp, ctx, done, field_errors, form_list
from publisher.web.security import current_user, requires



@bp.route("/admin/users", methods=["GET", "POST"])
@requires("admin")
def admin_users():
    from publisher.services import accounts

    c, user = ctx(), current_user()
    errors, general, status = {}, [], 200
    if request.method == "POST":
        password = request.form.get("password") or None
        try:
            new, pw = accounts.create_user(
                c, user, (request.form.get("username") or "").strip(), request.form.get("role") or "",
                password=password, groups=form_list("groups"),
                display_name=(request.form.get("display_name") or "").strip(),
                email=(request.form.get("email") or "").strip())
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            if password is None:  # generated: show it once, on this response only (never stored in the session)
                return render_template("admin_users.html", users=accounts.list_users(c, user), errors={},
                                       general=[], values={}, created=new, created_password=pw,
                                       role_grants=_grants()), 201
            return done(_("Benutzer {name} angelegt.", name=new.username), "web.admin_users")
    return render_template("admin_users.html", users=accounts.list_users(c, user), errors=errors,
                           general=general, values=dict(request.form), created=None,
                           created_password=None, role_grants=_grants()), status


def _grants():
    from publisher.web.account import role_grants_view  # issue 14: roles waiting for a second person

    return role_grants_view()


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@requires("admin")
def admin_unlock(user_id):
    from publisher.services import accounts

    accounts.unlock_user(ctx(), current_user(), user_id)
    return done(_("Gespeichert."), "web.admin_users")


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@requires("admin")
def admin_set_active(user_id):
    from publisher.services import accounts

    accounts.set_active(ctx(), current_user(), user_id, request.form.get("active") == "1")
    return done(_("Gespeichert."), "web.admin_users")


@bp.route("/admin/hierarchies", methods=["GET", "POST"])
@requires("admin")
def admin_hierarchies():
    from publisher.services import reference

    c = ctx()
    errors, general, status = {}, [], 200
    if request.method == "POST":
        f = request.files.get("file")
        try:
            valid_from = None
            if request.form.get("valid_from"):
                try:
                    valid_from = dt.date.fromisoformat(request.form["valid_from"])
                except ValueError:
                    from publisher.services.errors import invalid_field

                    raise InvalidInput(invalid_field("valid_from", "Datum im Format JJJJ-MM-TT.",
                                                     "date as YYYY-MM-DD.")) from None
            if f is None or not f.filename:
                from publisher.services.errors import invalid_field

                raise InvalidInput(invalid_field("file", "Bitte eine Datei auswählen.", "Please choose a file."))
            h = reference.import_hierarchy(c, current_user(), f.read(), f.filename,
                                           request.form.get("name") or "", valid_from)
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            return done(_("Hierarchie {name} Version {version} importiert.", name=h.name, version=h.version),
                        "web.admin_hierarchies")
    return render_template("admin_hierarchies.html", hierarchies=reference.list_hierarchies(c), errors=errors,
                           general=general, values=dict(request.form)), status


@bp.route("/admin/rule-sets", methods=["GET", "POST"])
@requires("admin")
def admin_rule_sets():
    from publisher.services import reference

    c = ctx()
    errors, general, status = {}, [], 200
    if request.method == "POST":
        overrides = {}
        if request.form.get("min_count"):
            try:
                overrides["min_count"] = int(request.form["min_count"])
            except ValueError:

                errors = {"min_count": [_("Pflichtfeld fehlt.")]}
        if request.form.get("zeros_are_disclosive"):
            overrides["zeros_are_disclosive"] = True
        if not errors:
            try:
                rs = reference.create_rule_set(c, current_user(), request.form.get("name") or "",
                                               source_toml=request.form.get("source_toml") or None,
                                               overrides=overrides or None)
            except InvalidInput as exc:
                errors, general = field_errors(exc)
            else:
                return done(_("Regelwerk {name} Version {version} angelegt.", name=rs.name, version=rs.version),
                            "web.admin_rule_sets")
        status = 422
    return render_template("admin_rule_sets.html", rule_sets=reference.list_rule_sets(c), errors=errors,
                           general=general, values=dict(request.form)), status


@bp.route("/audit")
@requires("admin", "approver")
def audit_log():
    from publisher.services import listing, queries

    c, user = ctx(), current_user()
    errors: dict = {}
    status = 200
    try:
        filters = listing.audit_filters(request.args)
    except InvalidInput as exc:
        errors, _general = field_errors(exc)
        filters, status = {"actor": "", "event": "", "from": None, "to": None}, 422
    page = listing.audit_page(c, user, filters, request.args.get("page"))
    verify = queries.audit_verify(c, user) if request.args.get("verify") else None
    return render_template("audit.html", page=page, rows=page.items, verify=verify, errors=errors,
                           args=_audit_args(filters), events=listing.audit_event_names(c, user)), status


def _audit_args(filters: dict) -> dict:
    """The filters as URL arguments (for the pages and the export of the filtered view)."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in filters.items() if v}


@bp.route("/audit/export.<fmt>")
@requires("admin", "approver")
def audit_export(fmt):
    from publisher import audit
    from publisher.services import listing, queries

    if fmt not in ("csv", "json"):
        from flask import abort

        abort(404)
    c, user = ctx(), current_user()
    queries.audit_rows(c, user, limit=1)  # permission check of the service layer
    filters = listing.audit_filters(request.args)
    if any(filters.values()):  # issue 17: the filtered view, in the same format
        body, media = listing.audit_export(c, user, filters, fmt)
    elif fmt == "csv":
        body, media = audit.export_csv(c.session), "text/csv"
    else:
        body, media = audit.export_json(c.session), "application/json"
    resp = Response(body, mimetype=media)
    resp.headers["Content-Disposition"] = f'attachment; filename="audit-{dt.date.today().isoformat()}.{fmt}"'
    return resp


from publisher.web import admin_reference  # noqa: E402,F401  (populations and category groupings, issue 13)
