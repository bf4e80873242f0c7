"""Boundaries (issue 17 items 3-4), thin views:

* ``/admin/hierarchies/<id>/boundaries`` — admins upload a GeoJSON per hierarchy version and see its boundary
  sets (revision, sha256, features per level, dissolved levels, warnings);
* ``/releases/<id>/gebiete.geojson``, ``/releases/<id>/karte.svg``, ``/releases/<id>/karte.png`` — the release's
  geographic downloads: audience isolation as for the release page (404 for a release the visitor may not
  see), drawn once per published file and boundary set (``release_cache``), ``ETag`` = sha256 of the bytes.
"""
from __future__ import annotations

from flask import Response, render_template, request

from publisher.i18n import gettext as _
from publisher.services.errors import InvalidInput
from publisher.web.blueprint import bp, ctx, done, field_errors
from publisher.web.downloads import bp as downloads_bp  # release downloads live with the release page
from publisher.web.release_downloads import provider
from publisher.web.security import current_user, public, requires


@bp.route("/admin/hierarchies/<int:hierarchy_id>/boundaries", methods=["GET", "POST"])
@requires("admin")
def admin_boundaries(hierarchy_id: int):
    from publisher.services import boundaries, reference

    c = ctx()
    h = reference.get_hierarchy(c, hierarchy_id)
    errors, general, status = {}, [], 200
    if request.method == "POST":
        f = request.files.get("file")
        try:
            if f is None or not f.filename:
                from publisher.services.errors import invalid_field

                raise InvalidInput(invalid_field("file", "Bitte eine GeoJSON-Datei auswählen.",
                                                 "Please choose a GeoJSON file."))
            bs = boundaries.upload(c, current_user(), h.id, f.read(), f.filename)
        except InvalidInput as exc:
            errors, general = field_errors(exc)
            status = 422
        else:
            return done(_("Gebietsgrenzen Stand {revision} für {name} Version {version} gespeichert.",
                          revision=bs.revision, name=h.name, version=h.version),
                        "web.admin_boundaries", hierarchy_id=h.id)
    return render_template("admin_boundaries.html", h=h, sets=boundaries.list_for(c, h.id), errors=errors,
                           general=general, values={}), status


@provider
def _geo_downloads(c, rel, version):
    """The release page's entries (publisher.web.release_downloads): the map as SVG and PNG when the release
    has a map, the table with boundaries (GeoJSON) when its manifest binds a boundary set."""
    from flask import url_for

    from publisher.services.boundaries import for_release
    from publisher.web.release_downloads import Download
    from publisher.web.views_maps import release_map

    if rel.withdrawn or release_map(c, rel, version) is None:
        return
    sid = rel.submission_id
    yield Download(label=_("Karte als SVG"), href=url_for("downloads.release_map_svg", submission_id=sid), format="SVG",
                   purpose=_("Zum Einbinden in Berichte und Druck: verlustfrei skalierbar, auch in LibreOffice "
                             "und Word."), name=f"{rel.series}-{rel.version}-karte.svg", order=50)
    yield Download(label=_("Karte als PNG"), href=url_for("downloads.release_map_png", submission_id=sid), format="PNG",
                   purpose=_("Zum Zeigen in Präsentationen und auf Webseiten: die Karte als Bild."),
                   name=f"{rel.series}-{rel.version}-karte.png", order=55)
    if for_release(c, sid) is not None:
        yield Download(label=_("Tabelle mit Gebietsgrenzen (GeoJSON)"),
                       href=url_for("downloads.release_geojson", submission_id=sid), format="GeoJSON",
                       purpose=_("Maschinenlesbar für QGIS und Webkarten: je Tabellenzeile ein Gebiet mit seinen "
                                 "Werten; geheim gehaltene Werte sind leer (null) mit dem Status „geheim gehalten“."),
                       name=f"{rel.series}-{rel.version}-gebiete.geojson", order=60)


def _geo_response(submission_id: int, kind: str):
    from publisher.services import geo_downloads
    from publisher.web import release_cache

    c, user = ctx(), current_user()
    rel, version = geo_downloads.release(c, user, submission_id, kind)

    def cached(what, key, build):
        return release_cache.part(what, key, build)

    if kind == "geojson":
        data, _key = geo_downloads.geojson(c, rel, cached)
    else:
        from publisher import geo_render
        from publisher.services.errors import not_found
        from publisher.web.views_maps import release_map, release_map_key

        key = release_map_key(c, rel, version)
        markup = release_map(c, rel, version) if key is not None else None
        if markup is None:
            raise not_found("Datei", geo_downloads.KINDS[kind][0])
        data = cached(kind, key, (lambda: geo_render.standalone(markup)) if kind == "svg"
                      else (lambda: geo_render.png(markup)))
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    if not request.if_none_match.contains(digest):  # a revalidation (304) is no new download
        geo_downloads.record(c, user, rel, kind, data)
    resp = Response(data, mimetype=geo_downloads.KINDS[kind][1])
    resp.headers["Content-Disposition"] = f'attachment; filename="{geo_downloads.file_name(rel, kind)}"'
    resp.headers["X-Content-SHA256"] = digest
    resp.headers["Cache-Control"] = "no-cache" if rel.audience == "public" else "private, no-cache"
    resp.set_etag(digest)
    return resp.make_conditional(request)


@downloads_bp.route("/releases/<int:submission_id>/gebiete.geojson")
@public
def release_geojson(submission_id: int):
    return _geo_response(submission_id, "geojson")


@downloads_bp.route("/releases/<int:submission_id>/karte.svg")
@public
def release_map_svg(submission_id: int):
    return _geo_response(submission_id, "svg")


@downloads_bp.route("/releases/<int:submission_id>/karte.png")
@public
def release_map_png(submission_id: int):
    return _geo_response(submission_id, "png")
