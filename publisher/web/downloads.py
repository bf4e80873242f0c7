"""Blueprint ``downloads``: the download area and the public release pages (thin views).

* ``/downloads`` — topics → series → versions visible to the user, immutable version links + "latest".
* ``/downloads/<topic>/<series>/<version>/<filename>`` — a released file (``version`` may be ``latest``);
  permission check, download record and audit in :func:`publisher.services.downloads.open_file`.
* ``/releases/<id>`` — the public release page: metadata, public statement, preview, downloads.

Only files the publication worker wrote to the download area are served; the raw submitted table is never
reachable from here.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from publisher.web.blueprint import ctx
from publisher.web.security import current_user, public

bp = Blueprint("downloads", __name__)

PREVIEW_ROWS = 50


@bp.route("/downloads")
@public
def index():
    from publisher.services import downloads

    topics = downloads.list_series(ctx(), current_user())
    return render_template("downloads.html", topics=topics)


@bp.route("/downloads/<topic>/<series>/<version>/<filename>")
@public
def file(topic: str, series: str, version: str, filename: str):
    from publisher.services import downloads

    data, media_type, rel = downloads.open_file(ctx(), current_user(), topic, series, version, filename)
    resp = Response(data, mimetype=media_type.split(";")[0], content_type=media_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["X-Content-SHA256"] = rel.files[filename]
    # issue 14: every release can be withdrawn, so no file is cached as immutable: caches revalidate each time
    # (ETag = the file's sha256, a 304 costs no bytes); restricted files never sit in a shared cache
    resp.headers["Cache-Control"] = "no-cache" if rel.audience == "public" else "private, no-cache"
    resp.set_etag(rel.files[filename])
    return resp.make_conditional(request)


def _locations(c, rel) -> list[tuple[str, str, str]]:
    """(label, link text, URL) of every other place the version lives; the texts are German message ids
    (marked in publisher/targets.py), translated by the template."""
    from publisher.services import downloads

    return [(label.get("name", key), label.get("link", url), url) for key, label, url in downloads.locations(c, rel)]


def _preview(c, rel) -> tuple[list[str], list[list[str]], int]:
    """Header and the first rows of the PUBLISHED table (the released CSV in the download area); drawn once
    per published file (its sha256; publisher.web.release_cache)."""
    from catalog.targets import file_names
    from publisher.web.release_cache import part

    name = file_names(rel.series, rel.version)["daten"]
    if name not in rel.files:
        return [], [], 0
    return part("preview", (rel.files[name], PREVIEW_ROWS), lambda: _read_preview(c, rel, name))


def _published_bytes(c, rel, name: str) -> bytes | None:
    """A file of the version as published (None when missing or not the published bytes)."""
    import hashlib

    from catalog import LocalStorage
    from catalog.storage import version_key

    if name not in rel.files:
        return None
    try:
        data = LocalStorage(c.settings["DOWNLOAD_DIR"]).get(version_key(rel.topic, rel.series, rel.version, name))
    except (OSError, KeyError):
        return None
    return data if hashlib.sha256(data).hexdigest() == rel.files[name] else None


def _wide(c, rel):
    """The published table as areas x categories with area names (publisher.web.release_view), drawn once per
    published data file and code list (their sha256) and language."""
    from catalog.targets import file_names
    from publisher.i18n import current_lang
    from publisher.web.release_cache import part
    from publisher.web.release_view import wide_preview

    names = file_names(rel.series, rel.version)
    data, codes = names["daten"], names["gebiete"]
    if data not in rel.files:
        return None
    return part("wide", (rel.files[data], rel.files.get(codes), current_lang()),
                lambda: wide_preview(_published_bytes(c, rel, data), _published_bytes(c, rel, codes)))


def _read_preview(c, rel, name: str) -> tuple[list[str], list[list[str]], int]:
    from catalog import LocalStorage
    from catalog.releasetable import read_rows
    from catalog.storage import version_key

    import hashlib

    text = LocalStorage(c.settings["DOWNLOAD_DIR"]).get(version_key(rel.topic, rel.series, rel.version, name))
    if hashlib.sha256(text).hexdigest() != rel.files[name]:  # only the published bytes are previewed
        return [], [], 0
    rows = read_rows(text)
    if not rows:
        return [], [], 0
    return rows[0], rows[1:PREVIEW_ROWS + 1], len(rows) - 1


@bp.route("/releases/<int:submission_id>")
@public
def release(submission_id: int):
    from publisher.models import Submission
    from publisher.services import downloads

    from publisher.web import release_cache

    key = release_cache.anonymous_page_key(submission_id)  # anonymous visitors: the page drawn once per state
    if key is not None:
        cached = release_cache.cached_response(key)
        if cached is not None:
            return cached
    c = ctx()
    rel = downloads.release_for_submission(c, current_user(), submission_id)
    sub = c.session.get(Submission, submission_id)
    version = sub.current_version
    header, rows, total = ([], [], 0) if rel.withdrawn else _preview(c, rel)
    from publisher.web.views_maps import release_chart, release_map

    graphics = {} if rel.withdrawn else {"map_svg": release_map(c, rel, version),
                                         "chart_svg": release_chart(c, current_user(), rel)}
    from publisher.i18n import gettext as _
    from publisher.web.release_downloads import release_downloads
    from publisher.web.release_view import licence_label, version_history

    wide = None if rel.withdrawn else _wide(c, rel)
    html = render_template("release.html", rel=rel, sub=sub, version=version, meta=(version.meta or {}),
                           locations=_locations(c, rel), header=header, rows=rows, total=total, preview_rows=PREVIEW_ROWS,
                           wide=wide, wide_dims=", ".join(wide["dimensions"]) if wide and wide["dimensions"] else _("Anzahl"),
                           downloads=release_downloads(c, rel, version),
                           history=version_history(c, current_user(), rel),
                           licence=licence_label((version.meta or {}).get("licence")), **graphics)
    return release_cache.store_response(key, html) if key is not None else html
