"""Unit tests of publisher/svg.py (maps and charts as server-side SVG) and the demo geometries.  No browser."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from publisher import svg
from publisher.demo import counts_long, demo_geometries, german_csv, small_city

NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.fixture(scope="module")
def city():
    return small_city()


@pytest.fixture(scope="module")
def geo(city):
    return demo_geometries(city.hierarchy_csv())


def _area(ring):
    # shoelace on a lon/lat rectangle ring (planar is enough to compare shares)
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))) / 2


def _parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def _assert_safe(markup):
    text = str(markup)
    assert "style=" not in text and "<script" not in text.lower() and "href=\"http" not in text
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)


def test_demo_geometries_cover_every_code_and_children_tile_their_parent(city, geo):
    from disclosure_rules import load_hierarchy

    h = load_hierarchy(city.hierarchy_csv(), filename="h.csv")
    by_level = svg.features_by_level(geo)
    for level in h.levels:
        assert set(by_level[level]) == {str(c) for c in h.codes(level)}, level
    for child_level, parent_level in zip(h.levels, h.levels[1:]):
        sums: dict[str, float] = {}
        for child, parent in h.parent_map(child_level).items():
            sums[str(parent)] = sums.get(str(parent), 0.0) + _area(by_level[child_level][str(child)].rings[0])
        for parent, total in sums.items():
            assert total == pytest.approx(_area(by_level[parent_level][parent].rings[0]), rel=1e-4)
    assert demo_geometries(city.hierarchy_csv()) == geo  # deterministic


def test_choropleth_hatches_suppressed_areas_and_has_a_legend_and_text_alternative(geo):
    areas = svg.features_by_level(geo)["stadtteil"]
    codes = sorted(areas)
    totals = {c: 10 * (i + 1) for i, c in enumerate(codes)}
    secret = codes[2]
    totals[secret] = None
    missing = codes[5]
    del totals[missing]
    markup = svg.choropleth(areas, totals, level="stadtteil", id_prefix="k1")
    _assert_safe(markup)
    root = _parse(markup)
    assert root.get("role") == "img"
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert set(root.get("aria-labelledby").split()) <= ids
    assert "stadtteil" in root.find("s:title", NS).text
    desc = root.find("s:desc", NS).text
    assert "18 Gebiete" in desc and "1 geheim gehalten" in desc and "1 ohne Angabe" in desc
    paths = {p.get("data-code"): p for p in root.iter("{http://www.w3.org/2000/svg}path")}
    assert set(paths) == set(areas)
    assert paths[secret].get("fill") == "url(#k1-hatch)"
    assert ". geheim gehalten" in paths[secret].find("s:title", NS).text
    assert paths[missing].get("fill") == svg.NO_DATA
    # ordered classes: a larger total never gets a lighter colour
    shades = [svg.PALETTE.index(paths[c].get("fill")) for c in codes if c not in (secret, missing)]
    assert shades == sorted(shades) and shades[-1] == len(svg.PALETTE) - 1
    legend = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert ". = geheim gehalten" in legend and "keine Angabe" in legend and "Legende" in legend


def test_choropleth_in_english_and_without_suppression_has_no_hatch_entry(geo):
    areas = svg.features_by_level(geo)["stadtbezirk"]
    markup = svg.choropleth(areas, {c: 1000 + i for i, c in enumerate(sorted(areas))}, level="stadtbezirk",
                            lang="en")
    root = _parse(markup)
    assert root.find("s:title", NS).text.startswith("Map:")
    assert "suppressed" not in " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "1,004" in str(markup)


@pytest.mark.parametrize("values", [[5], [1, 1, 1], [0, 3, 9, 27, 81, 243, 729], list(range(100)), [7, 7, 8]])
def test_class_breaks_are_increasing_and_end_at_the_maximum(values):
    bounds = svg.class_breaks(values)
    assert bounds == sorted(set(bounds)) and bounds[-1] == max(values) and 1 <= len(bounds) <= 5
    assert all(0 <= svg._class_of(v, bounds) < len(bounds) for v in values)


def test_map_of_a_real_assessment_at_its_released_level(city, geo):
    from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table, read_table_file
    from publisher.publication import parse_artifact, render_artifact

    h = load_hierarchy(city.hierarchy_csv(), filename="h.csv")
    data = german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"],
                      counts_long(city, ["2026-07"], seed=3, small_cells=True), encoding="cp1252", total_row=True)
    raw = read_table_file(data, filename="t.csv")
    prepared = prepare_table(raw, h, geo_column="baublock", count_columns=["anzahl"],
                             dimensions=["monat", "aufenthaltsstatus"])
    a = assess(prepared, h, load_rules())
    assert a.outcome == "publishable"
    frame = parse_artifact(render_artifact(a.releasable))
    markup = svg.map_for_table(geo, frame, a.level)
    root = _parse(markup)
    paths = list(root.iter("{http://www.w3.org/2000/svg}path"))
    assert len(paths) == len(h.codes(a.level))
    totals = svg.area_totals(frame)
    first = paths[0]
    code = first.get("data-code")
    expected = svg.fmt_int(totals[code]) if totals[code] is not None else ". geheim gehalten"
    assert expected in first.find("s:title", NS).text
    assert svg.map_for_table(geo, frame, "gibt-es-nicht") is None
    assert svg.map_for_table(None, frame, a.level) is None


def test_area_totals_mark_an_area_with_any_suppressed_cell():
    import pandas as pd

    frame = pd.DataFrame({"area": ["01", "01", "02", "02"],
                          "count": pd.array([3, 4, pd.NA, 9], dtype="Int64")})
    assert svg.area_totals(frame) == {"01": 7, "02": None}


def test_geometry_store_round_trip_and_rejects_a_malformed_file(tmp_path, geo):
    path = svg.save_geometries(tmp_path, "ab" * 32, geo)
    assert path.exists() and svg.load_geometries(tmp_path, "ab" * 32) == geo
    assert svg.load_geometries(tmp_path, "cd" * 32) is None
    with pytest.raises(ValueError):
        svg.save_geometries(tmp_path, "ef" * 32, {"type": "FeatureCollection",
                                                  "features": [{"properties": {"code": "1"}}]})
    assert not svg.geometry_path(tmp_path, "ef" * 32).exists()


def test_timeseries_points_labels_and_partial_totals():
    pts = [svg.Point("2026-06", 1852), svg.Point("2026-07", 1894, partial=True),
           svg.Point("2026-08", 1700, current=True)]
    markup = svg.timeseries(pts, id_prefix="z")
    _assert_safe(markup)
    root = _parse(markup)
    assert root.get("role") == "img"
    circles = list(root.iter("{http://www.w3.org/2000/svg}circle"))
    assert len(circles) == 3
    assert circles[1].get("fill") == "#ffffff" and "geheim gehalten" in circles[1].find("s:title", NS).text
    assert float(circles[2].get("r")) > float(circles[0].get("r"))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"1.852", "1.894", "1.700", "2026-06", "2026-08", "2.000"} <= set(texts)
    assert "2026-06 bis 2026-08" in root.find("s:desc", NS).text
    # higher totals are drawn higher (smaller y)
    ys = [float(c.get("cy")) for c in circles]
    assert ys[1] < ys[0] < ys[2]


def test_series_points_are_sorted_and_flag_suppression():
    import pandas as pd

    a = pd.DataFrame({"area": ["1", "2"], "count": pd.array([5, 6], dtype="Int64")})
    b = pd.DataFrame({"area": ["1", "2"], "count": pd.array([5, pd.NA], dtype="Int64")})
    pts = svg.series_points([("2026-08", b, True), ("2026-07", a, False)])
    assert [(p.label, p.total, p.partial, p.current) for p in pts] == [("2026-07", 11, False, False),
                                                                       ("2026-08", 5, True, True)]


@pytest.mark.parametrize("value,expected", [(0, 1), (1, 1), (7, 10), (11, 20), (1894, 2000), (2100, 2500),
                                            (4999, 5000), (5001, 10000)])
def test_nice_ceiling(value, expected):
    assert svg.nice_ceiling(value) == expected


def test_demo_load_uploads_boundaries_that_the_review_map_uses(ctx):
    """Issue 17: the demo uploads synthetic boundaries through the admin service; its submissions' manifests
    bind them and the map is drawn from them (one path per area of the released level)."""
    from sqlalchemy import select

    from publisher import demo, geo_render, manifest
    from publisher.models import Hierarchy, Submission
    from publisher.services import boundaries

    demo.load(ctx)
    h = ctx.session.execute(select(Hierarchy)).scalars().one()
    bs = boundaries.newest(ctx, h.id)
    assert bs is not None and bs.features == h.code_counts and bs.warnings == []
    sub = ctx.session.execute(select(Submission).order_by(Submission.id)).scalars().first()
    assert manifest.current(ctx, sub).document["boundaries"]["sha256"] == bs.sha256
    v = sub.current_version
    from publisher.publication import parse_artifact

    frame = parse_artifact(ctx.store.get(v.artifact_sha256))
    markup = geo_render.choropleth(boundaries.document(ctx, bs.sha256), frame, v.level)
    assert markup is not None and markup.count("<path") == h.code_counts[v.level]
