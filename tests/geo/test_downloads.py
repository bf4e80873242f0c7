"""The release's geographic downloads (issue 17 items 3-4): the map over real boundaries (SVG paths, hatching,
PNG), the published table joined to the boundaries as GeoJSON (keys of the published CSV, suppressed values
null with a status, escaping), caching with ETag, audience isolation."""
from __future__ import annotations

import csv
import io
import json
import re
import struct

from sqlalchemy import func, select

from publisher import worker
from publisher.models_downloads import DownloadRecord
from publisher.services import downloads, review
from publisher.web import release_cache

NASTY = 'Block "A" </script><b>&amp; ü'


def published_rows(ctx, client, sub_id) -> list[list[str]]:
    ctx.session.expire_all()
    rel = downloads.release_for_submission(ctx, None, sub_id)
    got = client.get(f"/downloads/{rel.topic}/{rel.series}/{rel.version}/{rel.series}.csv")
    assert got.status_code == 200
    return list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"), newline="")))


def test_geojson_is_the_published_table_joined_to_the_bound_boundaries(app, client, ctx, publish,
                                                                       upload_boundaries, geo_doc):
    geo_doc["features"][0]["properties"]["name"] = NASTY
    upload_boundaries(geo_doc)
    sub = publish()
    rows = published_rows(ctx, client, sub.id)
    header, body = rows[0], rows[1:]
    got = client.get(f"/releases/{sub.id}/gebiete.geojson")
    assert got.status_code == 200 and got.mimetype == "application/geo+json"
    assert got.headers["ETag"] and "attachment" in got.headers["Content-Disposition"]
    doc = json.loads(got.data)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(body)
    i_count = len(header) - 1
    for feat, row in zip(doc["features"], body):
        props = feat["properties"]
        assert list(props) == [*header, "Status", "Gebietsname"]  # the CSV's own keys, in its order
        for j, key in enumerate(header[:-1]):
            assert props[key] == row[j]
        if row[i_count] == ".":
            assert props[header[i_count]] is None and props["Status"] == "geheim gehalten"
        else:
            assert props[header[i_count]] == int(row[i_count]) and props["Status"] == "veröffentlicht"
        assert feat["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_join_keeps_the_csv_keys_and_marks_suppressed_and_zero_values():
    from publisher.services.geo_downloads import joined

    poly = {"type": "Polygon", "coordinates": [[[7.0, 51.0], [7.1, 51.0], [7.1, 51.1], [7.0, 51.0]]]}
    boundaries = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"level": "stadtteil", "code": "0101", "name": NASTY}, "geometry": poly}]}
    table = ("level,area,aufenthaltsstatus,count\r\n"
             "stadtteil,0101,Duldung,.\r\nstadtteil,0101,\"Gestattung, \"\"neu\"\"\",-\r\n"
             "stadtteil,0101,Sonstige,17\r\nstadtteil,0999,Sonstige,4\r\n").encode("utf-8")
    out = json.loads(json.dumps(joined(boundaries, table), ensure_ascii=False))
    props = [f["properties"] for f in out["features"]]
    assert [p["count"] for p in props] == [None, 0, 17, 4]
    assert [p["Status"] for p in props] == ["geheim gehalten", "nichts vorhanden", "veröffentlicht", "veröffentlicht"]
    assert props[1]["aufenthaltsstatus"] == 'Gestattung, "neu"' and props[0]["Gebietsname"] == NASTY
    assert [f["geometry"] for f in out["features"]] == [poly, poly, poly, None]  # 0999: no geometry, row kept


def test_names_are_escaped_in_svg_and_exact_in_geojson(app, client, ctx, city, publish, upload_boundaries, geo_doc):
    from disclosure_rules import load_hierarchy

    h = load_hierarchy(city.hierarchy_csv(), filename="stadt.csv")
    # name every Stadtteil (given completely, so not dissolved) with markup
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    parent, parts = h.parent_map("baublock"), {}
    for f in geo_doc["features"]:
        parts.setdefault(parent[f["properties"]["code"]], []).append(shape(f["geometry"]))
    geo_doc["features"] += [{"type": "Feature", "properties": {"level": "stadtteil", "code": c, "name": NASTY + c},
                             "geometry": mapping(unary_union(g))} for c, g in sorted(parts.items())]
    upload_boundaries(geo_doc)
    sub = publish()
    level = sub.current_version.level
    svg = client.get(f"/releases/{sub.id}/karte.svg").get_data(as_text=True)
    assert "</script>" not in svg and "<b>" not in svg
    if level == "stadtteil":
        assert "Block &quot;A&quot; &lt;/script&gt;&lt;b&gt;&amp;amp; ü" in svg or "Block &#34;A&#34;" in svg
        names = {f["properties"]["Gebietsname"] for f in json.loads(
            client.get(f"/releases/{sub.id}/gebiete.geojson").data)["features"]}
        assert any(n.startswith(NASTY) for n in names)


def test_map_svg_has_one_path_per_area_and_hatches_suppressed_areas(app, client, ctx, city, publish,
                                                                      upload_boundaries, geo_doc):
    from disclosure_rules import load_hierarchy

    upload_boundaries(geo_doc)
    sub = publish()
    level = sub.current_version.level
    codes = {str(c) for c in load_hierarchy(city.hierarchy_csv(), filename="s.csv").codes(level)}
    rows = published_rows(ctx, client, sub.id)
    secret = {r[1] for r in rows[1:] if r[-1] == "."}
    got = client.get(f"/releases/{sub.id}/karte.svg")
    assert got.status_code == 200 and got.mimetype == "image/svg+xml"
    svg = got.get_data(as_text=True)
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    paths = re.findall(r'<path d="[^"]+" fill="([^"]+)" data-code="([^"]+)"', svg)
    assert {c for _f, c in paths} == codes and len(paths) == len(codes)
    assert {c for f, c in paths if f.startswith("url(#")} == secret
    assert "<script" not in svg and "style=" not in svg
    # the release page shows the same map and offers the three downloads
    page = client.get(f"/releases/{sub.id}").get_data(as_text=True)
    assert len(re.findall(r'<path d="[^"]+" fill="[^"]+" data-code=', page)) == len(codes)
    for name in ("karte.svg", "karte.png", "gebiete.geojson"):
        assert f'href="/releases/{sub.id}/{name}"' in page


def test_png_is_a_valid_png_twice_the_svg_size(app, client, ctx, publish, upload_boundaries, geo_doc):
    upload_boundaries(geo_doc)
    sub = publish()
    svg = client.get(f"/releases/{sub.id}/karte.svg").get_data(as_text=True)
    w, h = (int(x) for x in re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', svg).groups())
    got = client.get(f"/releases/{sub.id}/karte.png")
    assert got.status_code == 200 and got.mimetype == "image/png"
    png = got.data
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (2 * w, 2 * h)
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    img.verify()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert len(img.getcolors(maxcolors=1 << 20)) > 5  # coloured areas, hatching, legend: not a blank image


def test_downloads_are_cached_by_artifact_with_etag_and_recorded(app, client, ctx, publish, upload_boundaries,
                                                                 geo_doc):
    upload_boundaries(geo_doc)
    sub = publish()

    def records():
        return ctx.session.execute(select(func.count()).select_from(DownloadRecord)).scalar_one()

    for name in ("gebiete.geojson", "karte.svg", "karte.png"):
        url = f"/releases/{sub.id}/{name}"
        n = records()
        first = client.get(url)
        misses = release_cache.PARTS.misses
        second = client.get(url)
        assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
        assert release_cache.PARTS.misses == misses  # drawn once
        assert records() == n + 2
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        assert records() == n + 2  # a revalidation is no new download
        assert first.headers["Cache-Control"] == "no-cache"


def test_restricted_release_geo_downloads_only_for_its_group(app, client, ctx, users, publish,
                                                             upload_boundaries, geo_doc):
    upload_boundaries(geo_doc)
    sub = publish(audience="restricted", groups=["sozialplanung"])
    urls = [f"/releases/{sub.id}/{n}" for n in ("gebiete.geojson", "karte.svg", "karte.png")]
    for url in urls:
        got = client.get(url)
        assert got.status_code == 404 and b"sozialplanung" not in got.data
    from tests.conftest import AuthActions

    def client_of(name):
        cl = app.test_client()
        assert AuthActions(cl, app).login(name).status_code == 303
        return cl

    for who in ("rolf", "otto"):
        cl = client_of(who)
        assert [cl.get(u).status_code for u in urls] == [404, 404, 404]
    cl = client_of("rita")
    assert cl.get(f"/releases/{sub.id}").status_code == 200
    got = [cl.get(u) for u in urls]
    assert [g.status_code for g in got] == [200, 200, 200]
    assert all(g.headers["Cache-Control"] == "no-store" for g in got)  # logged-in answers are never stored


def test_withdrawn_release_has_no_geo_downloads(app, client, ctx, users, publish, upload_boundaries, geo_doc):
    upload_boundaries(geo_doc)
    sub = publish()
    assert client.get(f"/releases/{sub.id}/karte.svg").status_code == 200
    review.withdraw_release(ctx, users["approver"], sub.id, "Fehler in den Daten.")
    worker.run(app, once=True)
    for n in ("gebiete.geojson", "karte.svg", "karte.png"):
        assert client.get(f"/releases/{sub.id}/{n}").status_code == 404
