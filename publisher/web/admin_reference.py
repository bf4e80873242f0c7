"""Admin pages for the reference data of the cross-release checks: populations (with nesting) and category
groupings (issue 13 item 5, issue 14 item 2).  Thin: the services validate, write and audit."""
from __future__ import annotations

from flask import render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.security import current_user, requires


@bp.route("/admin/populations", methods=["GET", "POST"])
@requires("admin")
def admin_populations():
    from publisher.services import populations

    c = ctx()
    errors, general, status = {}, [], 200
    if request.method == "POST":
        try:
            if request.form.get("action") == "retire":
                p = populations.retire_population(c, current_user(), request.form.get("population") or "")
                return done(_("Population {name} ist nicht mehr wählbar.", name=p.name), "web.admin_populations")
            p = populations.create_population(c, current_user(), request.form.get("name") or "",
                                              slug=request.form.get("slug") or None,
                                              parent=request.form.get("parent") or None,
                                              description=request.form.get("description") or "")
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            return done(_("Population {name} angelegt.", name=p.name), "web.admin_populations")
    items = populations.list_populations(c)
    by_id = {p.id: p for p in items}
    return render_template("admin_populations.html", populations=items, by_id=by_id, errors=errors,
                           general=general, values=dict(request.form),
                           parent_options=[(p.slug, p.name) for p in items if p.current]), status


@bp.route("/admin/categories", methods=["GET", "POST"])
@requires("admin")
def admin_categories():
    from publisher.services import populations

    c = ctx()
    errors, general, status = {}, [], 200
    if request.method == "POST":
        try:
            if request.form.get("action") == "retire":
                populations.retire_grouping(c, current_user(), int(request.form.get("grouping") or 0))
                return done(_("Gespeichert."), "web.admin_categories")
            g = populations.create_grouping(c, current_user(), request.form.get("dimension") or "",
                                            request.form.get("category") or "", request.form.get("parts") or "")
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            return done(_("Kategorie {name} erklärt.", name=g.category), "web.admin_categories")
    return render_template("admin_categories.html", groupings=populations.list_groupings(c), errors=errors,
                           general=general, values=dict(request.form)), status
