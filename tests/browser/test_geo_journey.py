"""Issue 17 (geo), in Chromium with the strict CSP on and axe-core (0 violations of any impact): an admin uploads boundaries on the
hierarchy page; a citizen sees the release's map drawn from them and downloads the map (PNG, SVG) and the
table with boundaries (GeoJSON)."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _no_violations(record):
    """Issue 17's acceptance: axe-core with 0 violations of any impact (not only serious/critical)."""
    assert record["violations"] == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
                                        for v in record["violations"]]


def test_admin_uploads_boundaries_and_citizen_downloads_map_and_geojson(
        make_page, live_server, make_submission, hierarchy, city, a11y, shots, tmp_path):
    from publisher.demo_geo import demo_boundaries

    good = tmp_path / "grenzen.geojson"
    good.write_text(json.dumps(demo_boundaries(city)), encoding="utf-8")
    bad_doc = demo_boundaries(city)
    bad_doc["features"][2]["geometry"] = {"type": "Point", "coordinates": [7.1, 51.5]}
    bad = tmp_path / "kaputt.geojson"
    bad.write_text(json.dumps(bad_doc), encoding="utf-8")

    admin = make_page()
    login(admin, "adele")
    admin.goto("/admin/hierarchies")
    admin.get_by_role("link", name=re.compile("Gebietsgrenzen")).first.click()
    admin.wait_for_url(re.compile(rf"/admin/hierarchies/{hierarchy.id}/boundaries$"))
    _no_violations(a11y.check(admin, "admin-boundaries"))
    admin.get_by_label("Datei").set_input_files(str(bad))
    admin.get_by_role("button", name="Gebietsgrenzen hochladen").click()
    expect(admin.get_by_text(re.compile(r"features\[2\]: Geometrietyp „Point“"))).to_be_visible()
    _no_violations(a11y.check(admin, "admin-boundaries-error"))
    admin.get_by_label("Datei").set_input_files(str(good))
    admin.get_by_role("button", name="Gebietsgrenzen hochladen").click()
    expect(admin.get_by_text(re.compile("Gebietsgrenzen Stand 1 .* gespeichert"))).to_be_visible()
    expect(admin.get_by_text("aus der feinsten Ebene zusammengefasst").first).to_be_visible()

    sub = make_submission("approved", title="Geflüchtete nach Stadtteilen", seed=11)
    assert live_server.publish() >= 1
    page = make_page()
    page.goto(f"/releases/{sub.id}")
    svg = page.locator("figure.map svg.choropleth[role=img]")
    expect(svg).to_be_visible()
    assert svg.locator("path[data-code]").count() == hierarchy.code_counts[sub.current_version.level]
    _no_violations(a11y.check(page, "release-geo"))
    shots.take(page, "release-geo")

    with page.expect_download() as dl:
        page.get_by_role("link", name="Karte als PNG").click()
    png = tmp_path / "karte.png"
    dl.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and dl.value.suggested_filename.endswith("karte.png")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Tabelle mit Gebietsgrenzen (GeoJSON)").click()
    geo = tmp_path / "gebiete.geojson"
    dl.value.save_as(geo)
    doc = json.loads(geo.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["features"]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in doc["features"])
    with page.expect_download() as dl:
        page.get_by_role("link", name="Karte als SVG").click()
    assert dl.value.suggested_filename.endswith("karte.svg")
