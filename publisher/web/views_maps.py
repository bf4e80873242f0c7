"""Map and chart data for the review page and the public release page (thin: reads, never writes).

* review page: the choropleth of the artifact (the releasable table the DPO approves) at its level;
* release page: the choropleth of the PUBLISHED table (the bytes in the download area, hash-checked) and,
  when the series has several published versions the reader may see, a time series of their totals.

Geometries: the boundary set the release manifest binds (issue 17, ``publisher.services.boundaries``); without
one, ``<STORAGE_DIR>/geometries/<hierarchy file sha256>.geojson`` (``publisher.svg``, generated rectangles).
Any problem reading them leaves the page without a map (logged), never without its table.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def _lang() -> str:
    from publisher.i18n import current_lang

    return current_lang()


def _map(c, version, artifact: bytes | None, id_prefix: str, boundaries: str | None = None):
    """The choropleth of ``artifact`` at the version's level: over the boundary set ``boundaries`` (sha256, the
    one the manifest binds; issue 17) or, without one, over the hierarchy's generated geometry file."""
    from publisher import svg
    from publisher.publication import parse_artifact

    if not artifact or version is None or not version.level or version.hierarchy is None:
        return None
    try:
        if boundaries:
            from publisher import geo_render
            from publisher.services.boundaries import document

            return geo_render.choropleth(document(c, boundaries), parse_artifact(artifact), version.level,
                                         lang=_lang(), id_prefix=id_prefix)
        geojson = svg.load_geometries(c.settings.get("STORAGE_DIR"), version.hierarchy.file_sha256)
        if geojson is None:
            return None
        return svg.map_for_table(geojson, parse_artifact(artifact), version.level, lang=_lang(),
                                 id_prefix=id_prefix)
    except Exception:  # a broken geometry file must not take the page down
        log.exception("map for version %s could not be drawn", getattr(version, "id", None))
        return None


def review_map(c, user, data: dict):
    """The choropleth of the version under review (its artifact), or None."""
    from publisher.services import queries

    v = data.get("version")
    if v is None or not data.get("artifact_sha256"):
        return None
    try:
        artifact, _name = queries.artifact_bytes(c, user, v.id)
    except Exception:
        return None
    from publisher.services.boundaries import for_review

    try:
        boundaries = for_review(c, data.get("submission"))
    except Exception:
        log.exception("boundaries of the version under review could not be read")
        boundaries = None
    return _map(c, v, artifact, "karte-pruefung", boundaries)


def _published_csv(c, rel) -> bytes | None:
    from publisher.services.geo_downloads import published_csv

    return published_csv(c, rel)


def release_map(c, rel, version):
    """The published table's map, drawn once per published file, level, boundary set (or geometry file) and
    language (:func:`publisher.web.release_cache.part`)."""
    key = release_map_key(c, rel, version)
    if key is None:
        return None
    from publisher.web.release_cache import part

    return part("map", key, lambda: _map(c, version, _published_csv(c, rel), "karte-veroeffentlichung", key[2]))


def release_map_key(c, rel, version) -> tuple | None:
    """(published CSV sha256, level, boundary-set sha256 or None, geometry file, language) or None (no map)."""
    import os

    from publisher import svg
    from publisher.services.boundaries import for_release

    sha = rel.files.get(f"{rel.series}.csv")
    if sha is None or rel.withdrawn or version is None or version.hierarchy is None:
        return None
    boundaries = for_release(c, rel.submission_id)
    geometry: tuple = (None,)
    if boundaries is None:
        geo = version.hierarchy.file_sha256
        try:
            path = svg.geometry_path(c.settings.get("STORAGE_DIR"), geo)
            st = os.stat(path)
            geometry = (str(path), st.st_mtime_ns, st.st_size)
        except (OSError, TypeError, ValueError):
            geometry = (geo, None)
    return (sha, version.level, boundaries, geometry, _lang())


def release_chart(c, user, rel):
    """Time series of the totals of the series' published versions visible to ``user`` (≥ 2), or None."""
    from publisher import svg
    from publisher.models import Submission
    from publisher.publication import parse_artifact
    from publisher.services import downloads

    series = next((s for s in downloads.list_series(c, user).get(rel.topic, []) if s.series == rel.series), None)
    if series is None:
        return None
    from publisher.web.release_cache import part

    shown = []  # (label, sha256 of the published CSV, is this release): what the chart is drawn from
    for r in series.versions:
        sha = r.files.get(f"{r.series}.csv")
        if r.withdrawn or sha is None:
            continue
        sub = c.session.get(Submission, r.submission_id)
        meta = (sub.current_version.meta or {}) if sub and sub.current_version else {}
        shown.append((r, meta.get("reference_period") or r.version, sha, r.submission_id == rel.submission_id))
    if len(shown) < 2:
        return None

    def draw():
        rows = []
        for r, label, _sha, current in shown:
            data = _published_csv(c, r)
            if data is None:
                continue
            try:
                frame = parse_artifact(data)
            except Exception:
                continue
            rows.append((label, frame, current))
        if len(rows) < 2:
            return None
        return svg.timeseries(svg.series_points(rows), lang=_lang(), id_prefix="zeitreihe")

    return part("chart", (tuple((label, sha, cur) for _r, label, sha, cur in shown), _lang()), draw)
