"""Public pages: the start page and the list of published releases."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from publisher.web.blueprint import bp, ctx
from publisher.web.security import current_user, public


@bp.route("/")
@public
def index():
    if current_user() is not None:
        return redirect(url_for("web.dashboard"))
    return redirect(url_for("web.releases"))


@bp.route("/releases")
@public
def releases():
    from publisher.services import queries

    search = (request.args.get("q") or "").strip()[:200]
    items = queries.list_releases(ctx(), current_user(), search=search)
    return render_template("releases.html", releases=items, search=search)
