"""The invariant (issue 17 item 2): the boundary set a release uses is bound by its release manifest at
approval time; what leaves (map SVG/PNG, GeoJSON) is drawn from exactly that set, and boundaries uploaded
later change nothing of an approved release."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from publisher import geo_render, manifest, worker
from publisher.models import PublicationJob
from publisher.publication import parse_artifact
from publisher.services import boundaries, downloads, geo_downloads, review
from publisher.services.errors import ServiceError

from publisher.demo_geo import demo_boundaries

from tests.geo.conftest import shifted


def geometry_of(doc: dict, level: str, code: str):
    return next(f["geometry"] for f in doc["features"]
                if f["properties"]["level"] == level and f["properties"]["code"] == code)


def test_manifest_without_boundaries_is_unchanged(ctx, make_submission):
    sub = make_submission("submitted")
    m = manifest.current(ctx, sub)
    assert "boundaries" not in m.document
    assert m.sha256 == manifest.build(ctx, sub, sub.current_version, None, None).sha256


def test_upload_after_approval_changes_nothing_that_leaves(app, client, ctx, users, make_submission,
                                                           upload_boundaries, geo_doc, city):
    b1 = upload_boundaries(geo_doc)
    sub = make_submission("submitted")
    m = manifest.current(ctx, sub)
    assert m.document["boundaries"] == {"id": b1.id, "revision": 1, "sha256": b1.sha256}
    rows = manifest.describe(m, "de", ctx.settings)
    assert any(r["label"].startswith("Gebietsgrenzen") and b1.sha256[:12] in r["value"] for r in rows)
    review.approve(ctx, users["approver"], sub.id, m.sha256)
    b2 = upload_boundaries(demo_boundaries(city, seed=99))  # after approval, before publication: other shapes
    assert manifest.current(ctx, sub).sha256 == m.sha256  # the pending approval keeps its set
    assert worker.run(app, once=True) >= 1
    jobs = ctx.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).scalars().all()
    assert jobs and all(j.state == "done" for j in jobs), [(j.state, j.last_error) for j in jobs]
    assert boundaries.for_release(ctx, sub.id) == b1.sha256

    # the GeoJSON carries b1's geometries, not b2's
    got = client.get(f"/releases/{sub.id}/gebiete.geojson")
    assert got.status_code == 200
    feats = json.loads(got.data)["features"]
    level, code = feats[0]["properties"]["ebene"], feats[0]["properties"]["gebietsschluessel"]  # published keys
    d1, d2 = boundaries.document(ctx, b1.sha256), boundaries.document(ctx, b2.sha256)
    assert feats[0]["geometry"] == geometry_of(d1, level, code) != geometry_of(d2, level, code)

    # the map is drawn from b1: byte for byte what b1 gives for the published table
    ctx.session.expire_all()
    rel = downloads.release_for_submission(ctx, None, sub.id)
    frame = parse_artifact(geo_downloads.published_csv(ctx, rel))
    with app.test_request_context("/?lang=de"):
        want = geo_render.standalone(geo_render.choropleth(d1, frame, sub.current_version.level,
                                                           id_prefix="karte-veroeffentlichung"))
        other = geo_render.standalone(geo_render.choropleth(d2, frame, sub.current_version.level,
                                                            id_prefix="karte-veroeffentlichung"))
    svg = client.get(f"/releases/{sub.id}/karte.svg?lang=de")
    assert svg.status_code == 200 and svg.data == want != other

    # a submission checked after the new upload binds the new set
    later = make_submission("submitted", seed=5)
    assert manifest.current(ctx, later).document["boundaries"]["sha256"] == b2.sha256


def test_upload_between_review_and_approval_refuses_the_stale_approval(ctx, users, make_submission,
                                                                       upload_boundaries, geo_doc):
    upload_boundaries(geo_doc)
    sub = make_submission("submitted")
    seen = manifest.current_sha(ctx, sub)
    upload_boundaries(shifted(geo_doc, 0.02))
    with pytest.raises(ServiceError) as exc:
        review.approve(ctx, users["approver"], sub.id, seen)
    assert exc.value.code == "publisher.manifest_changed"
    ctx.session.expire_all()
    now = ctx.session.get(type(sub), sub.id)
    assert now.state == "submitted" and not [d for d in now.decisions if d.action.startswith("approve")]
    review.approve(ctx, users["approver"], sub.id, manifest.current_sha(ctx, sub))  # reviewed again: fine


def test_release_approved_before_any_boundaries_offers_no_geojson(app, client, ctx, publish, upload_boundaries,
                                                                  geo_doc):
    sub = publish()
    upload_boundaries(geo_doc)  # later: does not attach itself to the published release
    assert boundaries.for_release(ctx, sub.id) is None
    assert client.get(f"/releases/{sub.id}/gebiete.geojson").status_code == 404
    assert client.get(f"/releases/{sub.id}/karte.svg").status_code == 404  # no geometries at all in this setup
    page = client.get(f"/releases/{sub.id}").get_data(as_text=True)
    assert "gebiete.geojson" not in page


def test_review_page_map_is_drawn_from_the_boundaries_the_approver_would_bind(client, auth, ctx, city, users,
                                                                              make_submission, upload_boundaries,
                                                                              geo_doc):
    import re

    from disclosure_rules import load_hierarchy

    upload_boundaries(geo_doc)
    sub = make_submission("submitted")
    level = sub.current_version.level
    n = len(load_hierarchy(city.hierarchy_csv(), filename="s.csv").codes(level))
    auth.login("dora")
    page = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert len(re.findall(r'<path d="[^"]+" fill="[^"]+" data-code=', page)) == n
    assert "Gebietsgrenzen (Karte, GeoJSON)" in page  # the manifest summary names the bound revision
