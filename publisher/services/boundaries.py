"""Boundaries (Gebietsgrenzen) per hierarchy version: upload, lookup, and what a release bound (issue 17).

* :func:`upload` validates a GeoJSON FeatureCollection against the hierarchy version
  (:mod:`publisher.geo_validate`), stores the normalised collection content-addressed and adds a
  :class:`~publisher.models_geo.BoundarySet` row with its audit row in ONE transaction; on any failure
  nothing is stored (files written by the failed transaction are removed again).
* The newest boundary set of a hierarchy version is what a release manifest binds at check/approval time
  (:func:`manifest_entry`, used by :func:`publisher.manifest.build`); a published release's map and GeoJSON
  are drawn from the set its approved manifest names (:func:`for_release`), never from a later upload.
"""
from __future__ import annotations

import functools
import json
import os

from sqlalchemy import func, select

from publisher import audit
from publisher.models import Hierarchy
from publisher.models_geo import BoundarySet
from publisher.services import errors as E
from publisher.services.reference import _require_admin, cleanup_files, engine_hierarchy, store_file

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def upload(c, actor, hierarchy_id: int, data: bytes, filename: str = "grenzen.geojson") -> BoundarySet:
    """Validate and store a boundary GeoJSON for hierarchy version ``hierarchy_id`` (admins; CLI: actor None)."""
    from publisher.geo_validate import GeoInputError, canonical_bytes, validate
    from publisher.storage import sha256_bytes

    _require_admin(actor)
    h = c.session.get(Hierarchy, hierarchy_id)
    if h is None:
        raise E.not_found("Hierarchie", hierarchy_id)
    filename = os.path.basename(filename or "grenzen.geojson")[:255] or "grenzen.geojson"
    try:
        checked = validate(data, engine_hierarchy(c, h), filename=filename,
                           max_bytes=int(c.settings.get("MAX_BOUNDARY_BYTES") or DEFAULT_MAX_BYTES))
    except GeoInputError as exc:
        raise E.InvalidInput(exc.findings) from None
    body = canonical_bytes(checked.document)
    created: list[str] = []
    try:
        row = store_file(c, body, "boundaries", "application/geo+json", created)
        revision = (c.session.execute(select(func.max(BoundarySet.revision))
                                      .where(BoundarySet.hierarchy_id == h.id)).scalar() or 0) + 1
        bs = BoundarySet(hierarchy_id=h.id, revision=revision, sha256=row.sha256, upload_sha256=sha256_bytes(data),
                         filename=filename, features=dict(checked.features), dissolved=list(checked.dissolved),
                         warnings=[f.to_dict() for f in checked.warnings],
                         created_by_id=getattr(actor, "id", None), created_at=c.now())
        c.session.add(bs)
        c.session.flush()
        audit.record(c.session, actor or "cli", "boundaries.uploaded", bs,
                     {"hierarchy": h.id, "name": h.name, "version": h.version, "revision": revision,
                      "sha256": row.sha256, "upload_sha256": bs.upload_sha256, "features": bs.features,
                      "dissolved": bs.dissolved, "warnings": [w["code"] for w in bs.warnings]})
        c.session.commit()
    except BaseException:
        c.session.rollback()
        cleanup_files(c, created)
        raise
    return bs


def list_for(c, hierarchy_id: int) -> list[BoundarySet]:
    return list(c.session.execute(select(BoundarySet).where(BoundarySet.hierarchy_id == hierarchy_id)
                                  .order_by(BoundarySet.revision.desc())).scalars())


def newest(c, hierarchy_id: int | None) -> BoundarySet | None:
    if hierarchy_id is None:
        return None
    return c.session.execute(select(BoundarySet).where(BoundarySet.hierarchy_id == hierarchy_id)
                             .order_by(BoundarySet.revision.desc()).limit(1)).scalar_one_or_none()


def manifest_entry(c, hierarchy) -> dict | None:
    """What a manifest binds: the newest boundary set of ``hierarchy`` (None: there is none)."""
    bs = newest(c, getattr(hierarchy, "id", None))
    if bs is None:
        return None
    return {"id": bs.id, "revision": bs.revision, "sha256": bs.sha256}


@functools.lru_cache(maxsize=8)
def _parsed(sha: str, data: bytes) -> dict:
    return json.loads(data.decode("utf-8"))


def document(c, sha256: str) -> dict:
    """The normalised FeatureCollection stored under ``sha256`` (checked against its hash on reading)."""
    from publisher.storage import sha256_bytes

    data = c.store.get(sha256)
    if sha256_bytes(data) != sha256:
        raise ValueError(f"boundary file {sha256} does not match its hash")
    return _parsed(sha256, data)


def for_release(c, submission_id: int) -> str | None:
    """sha256 of the boundary set the published release of ``submission_id`` bound: the manifest of its done
    download-area publish job (what was approved and left); None when that manifest binds none."""
    from publisher.manifest import stored
    from publisher.models import PublicationJob
    from publisher.targets import DOWNLOAD_AREA

    job = c.session.execute(select(PublicationJob).where(
        PublicationJob.submission_id == submission_id, PublicationJob.target == DOWNLOAD_AREA,
        PublicationJob.purpose == "publish", PublicationJob.state == "done")
        .order_by(PublicationJob.id.desc()).limit(1)).scalar_one_or_none()
    if job is None or not job.manifest_sha256:
        return None
    row = stored(c, job.version_id, job.manifest_sha256)
    if row is None:
        return None
    entry = json.loads(row.document).get("boundaries") or {}
    return entry.get("sha256")


def for_review(c, sub) -> str | None:
    """sha256 of the boundary set the version under review would bind (its current manifest)."""
    from publisher.manifest import current

    if sub is None or sub.current_version is None:
        return None
    return ((current(c, sub).document.get("boundaries")) or {}).get("sha256")
