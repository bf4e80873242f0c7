"""The release's geographic downloads (issue 17 item 4): the published table joined to the boundaries as
GeoJSON, and the map as SVG and PNG.

Audience isolation as for every release download (:func:`publisher.services.downloads.release_for_submission`:
a release the reader may not see is a 404 like one that does not exist; a withdrawn release has none).  The
data is the PUBLISHED CSV in the download area (hash-checked against what the worker recorded) and the
boundary set the release's approved manifest binds (:func:`publisher.services.boundaries.for_release`), so a
boundary upload after approval changes nothing that leaves.  Each download is recorded like a file download.

GeoJSON (RFC 7946, WGS84): one feature per row of the published table (a 1:n join: an area's geometry is
repeated for each category row); properties are the published CSV's columns under its own header names
(read through :mod:`catalog.releasetable`), the count as a number, ``null`` where suppressed, plus
``Status`` (``veröffentlicht`` / ``geheim gehalten`` for DIN 55301 ``.`` / ``nichts vorhanden`` for ``-``)
and ``Gebietsname`` from the boundary set.  A row whose area has no geometry keeps ``geometry: null``.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from publisher import audit
from publisher.models_downloads import DownloadRecord
from publisher.services import errors as E

KINDS = {"geojson": ("gebiete.geojson", "application/geo+json"),
         "svg": ("karte.svg", "image/svg+xml"),
         "png": ("karte.png", "image/png")}
STATUS_KEY, NAME_KEY = "Status", "Gebietsname"
STATUS_TEXT = {"ok": "veröffentlicht", "primary": "geheim gehalten", "secondary": "geheim gehalten",
               "zero": "veröffentlicht"}


def joined(document: dict, published_csv: bytes) -> dict:
    """The published table joined to the boundary set (see the module doc)."""
    from catalog.releasetable import NOTHING, PUB_COUNT, REVISION_COLUMN, read_rows, read_table

    rows = read_rows(published_csv)  # the published form: ebene, gebietsschluessel, gebietsname, ..., anzahl
    frame = read_table(published_csv)  # the releasable layout: "level", "area", "count" (NA = "."), "status"
    header = rows[0][:-1] if rows[0] and rows[0][-1] == REVISION_COLUMN else rows[0]  # without a revision column
    i_level, i_area = 0, 1
    i_count = header.index(PUB_COUNT) if PUB_COUNT in header else header.index("count")
    geoms, names = {}, {}
    for feat in document.get("features") or []:
        p = feat.get("properties") or {}
        geoms[(str(p.get("level")), str(p.get("code")))] = feat.get("geometry")
        names[(str(p.get("level")), str(p.get("code")))] = p.get("name")
    feats = []
    counts, statuses = frame["count"].tolist(), frame["status"].tolist()
    for n, row in enumerate(rows[1:]):
        key = (row[i_level], row[i_area])
        props: dict[str, Any] = {}
        for j, name in enumerate(header):
            props[name] = row[j] if j < len(row) else ""
        value = counts[n]
        props[header[i_count]] = None if value is None or str(value) == "<NA>" else int(value)
        status = "nichts vorhanden" if row[i_count] == NOTHING else STATUS_TEXT.get(statuses[n], statuses[n])
        props[STATUS_KEY] = status
        if NAME_KEY not in props:
            props[NAME_KEY] = names.get(key)
        feats.append({"type": "Feature", "properties": props, "geometry": geoms.get(key)})
    return {"type": "FeatureCollection", "features": feats}


def published_csv(c, rel) -> bytes | None:
    """The published CSV of ``rel`` from the download area, only if its sha256 is the one the worker recorded."""
    from catalog import LocalStorage
    from catalog.storage import version_key

    name = f"{rel.series}.csv"
    if rel.withdrawn or name not in rel.files:
        return None
    try:
        data = LocalStorage(c.settings["DOWNLOAD_DIR"]).get(version_key(rel.topic, rel.series, rel.version, name))
    except Exception:
        return None
    return data if hashlib.sha256(data).hexdigest() == rel.files[name] else None


def release(c, actor, submission_id: int, kind: str):
    """``(release, version)`` whose ``kind`` download ``actor`` may have: 404 for a release the actor may not
    see (like one that does not exist), a withdrawn one, or an unknown kind."""
    from publisher.models import Submission
    from publisher.services.downloads import release_for_submission

    if kind not in KINDS:
        raise E.not_found("Datei", kind)
    rel = release_for_submission(c, actor, submission_id)
    if rel.withdrawn:
        raise E.not_found("Datei", KINDS[kind][0])
    sub = c.session.get(Submission, submission_id)
    return rel, (sub.current_version if sub is not None else None)


def geojson(c, rel, cached: Callable[[str, tuple, Callable[[], Any]], Any] | None = None) -> tuple[bytes, tuple]:
    """The joined GeoJSON of a (visible) release and its cache key; 404 when its manifest binds no boundaries."""
    from publisher.services.boundaries import document, for_release

    sha = for_release(c, rel.submission_id)
    csv_sha = rel.files.get(f"{rel.series}.csv")
    if sha is None or csv_sha is None:
        raise E.not_found("Datei", KINDS["geojson"][0])
    key = (csv_sha, sha)

    def build():
        data = published_csv(c, rel)
        if data is None:
            return None
        return json.dumps(joined(document(c, sha), data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    out = (cached or (lambda _k, _key, b: b()))("geojson", key, build)
    if not out:
        raise E.not_found("Datei", KINDS["geojson"][0])
    return out, key


def file_name(rel, kind: str) -> str:
    return f"{rel.series}-{rel.version}-{KINDS[kind][0]}"


def record(c, actor, rel, kind: str, data: bytes) -> str:
    """Record the download (download record + audit row, one transaction); returns the file's sha256."""
    filename = file_name(rel, kind)
    digest = hashlib.sha256(data).hexdigest()
    try:
        rec = DownloadRecord(at=c.now(), user_id=getattr(actor, "id", None),
                             username=actor.username if actor is not None else "anonymous",
                             submission_id=rel.submission_id, topic=rel.topic, series=rel.series,
                             version=rel.version, requested=rel.version, filename=filename, sha256=digest,
                             size=len(data))
        c.session.add(rec)
        c.session.flush()
        audit.record(c.session, actor, "download.file", rec,
                     {"topic": rel.topic, "series": rel.series, "version": rel.version, "filename": filename,
                      "sha256": digest})
        c.session.commit()
    except Exception:
        c.session.rollback()
        raise
    return digest
