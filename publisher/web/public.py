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
    from publisher.services import listing

    c, user = ctx(), current_user()
    search = (request.args.get("q") or "").strip()[:200]
    page = listing.releases_page(c, user, q=search, series=request.args.get("series"),
                                 period=request.args.get("period", ""), page=request.args.get("page"))
    return render_template("releases.html", releases=page.items, search=search, page=page,
                           list_args={k: v for k, v in page.filters.items() if v},
                           series_options=listing.series_options(c, releases_only=True, actor=user))
