"""Boundary GeoJSON validation (issue 17 item 3): every finding pinned by code, feature index, property and
both languages; a valid upload is normalised (coarser levels dissolved from the finest)."""
from __future__ import annotations

import copy
import json

import pytest

from disclosure_rules import load_hierarchy
from publisher.demo import small_city
from publisher.demo_geo import demo_boundaries
from publisher.geo_validate import GeoInputError, validate


@pytest.fixture(scope="module")
def city():
    return small_city()


@pytest.fixture(scope="module")
def hier(city):
    return load_hierarchy(city.hierarchy_csv(), filename="stadt.csv")


@pytest.fixture(scope="module")
def good(city):
    return demo_boundaries(city)


def raw(doc) -> bytes:
    return json.dumps(doc).encode("utf-8")


def findings(data: bytes, hier, **kw):
    with pytest.raises(GeoInputError) as exc:
        validate(data, hier, filename="grenzen.geojson", **kw)
    return exc.value.findings


def one(found, code):
    hits = [f for f in found if f.code == code]
    assert len(hits) == 1, [f.code for f in found]
    return hits[0]


def test_valid_upload_is_normalised_and_coarser_levels_are_dissolved(good, hier):
    checked = validate(raw(good), hier)
    blocks = sorted(hier.codes("baublock"))
    assert checked.features == {"baublock": len(blocks), "stadtteil": len(hier.codes("stadtteil")),
                                "stadtbezirk": len(hier.codes("stadtbezirk")), "stadt": 1}
    assert checked.dissolved == ("stadtteil", "stadtbezirk", "stadt")
    assert checked.warnings == ()
    feats = checked.document["features"]
    assert {(f["properties"]["level"], f["properties"]["code"]) for f in feats} == {
        (lvl, str(c)) for lvl in hier.levels for c in hier.codes(lvl)}
    # a dissolved Stadtteil covers exactly its blocks (area equal up to float noise)
    from shapely.geometry import shape

    geo = {(f["properties"]["level"], f["properties"]["code"]): shape(f["geometry"]) for f in feats}
    st = sorted(hier.codes("stadtteil"))[0]
    kids = [b for b, p in hier.parent_map("baublock").items() if p == st]
    blocks_area = sum(geo[("baublock", k)].area for k in kids)
    assert abs(geo[("stadtteil", st)].area - blocks_area) < 1e-5 * blocks_area  # edges move by < 1 cm
    from shapely.ops import unary_union as union

    assert geo[("stadtteil", st)].symmetric_difference(union([geo[("baublock", k)] for k in kids])).area \
        < 1e-5 * blocks_area
    # one piece without holes: the blocks tile it (no slivers along shared edges)
    assert all(g.geom_type == "Polygon" and not list(g.interiors) for (lvl, _c), g in geo.items() if lvl != "baublock")
    # names from the upload, else from the hierarchy
    assert feats[0]["properties"]["name"]


def test_coarser_level_given_completely_is_kept_and_partly_is_refused(good, hier):
    from shapely.geometry import mapping
    from shapely.ops import unary_union

    doc = copy.deepcopy(good)
    from shapely.geometry import shape

    parent = hier.parent_map("baublock")
    parts = {}
    for f in good["features"]:
        parts.setdefault(parent[f["properties"]["code"]], []).append(shape(f["geometry"]))
    extra = [{"type": "Feature", "properties": {"code": c, "level": "stadtteil", "name": f"Teil {c}"},
              "geometry": mapping(unary_union(g))} for c, g in sorted(parts.items())]
    doc["features"] += extra
    checked = validate(raw(doc), hier)
    assert "stadtteil" not in checked.dissolved and checked.dissolved == ("stadtbezirk", "stadt")
    assert any(f["properties"]["name"] == f"Teil {extra[0]['properties']['code']}"
               for f in checked.document["features"])
    doc["features"] = doc["features"][:-1]  # one Stadtteil missing
    f = one(findings(raw(doc), hier), "geo.missing")
    assert f.params["level"] == "stadtteil" and f.params["count"] == 1
    assert extra[-1]["properties"]["code"] in f.message("de") and "without a geometry" in f.message("en")


def test_missing_unknown_and_duplicate_codes(good, hier):
    doc = copy.deepcopy(good)
    gone = doc["features"].pop(3)["properties"]["code"]
    doc["features"][5]["properties"]["code"] = "9999999"
    doc["features"][7]["properties"]["code"] = doc["features"][6]["properties"]["code"]
    found = findings(raw(doc), hier)
    unknown = one(found, "geo.unknown_code")
    assert unknown.params["feature"] == 5 and unknown.column == "properties.code" and unknown.file == "grenzen.geojson"
    assert "features[5]" in unknown.message("de") and "„9999999“" in unknown.message("de")
    assert "'9999999' is not in the hierarchy" in unknown.message("en")
    dup = one(found, "geo.duplicate")
    assert (dup.params["feature"], dup.params["first"]) == (7, 6)
    missing = one(found, "geo.missing")
    # the unknown, the duplicated-away and the removed feature's codes have no geometry
    assert missing.params["count"] == 3 and gone in missing.params["codes"]


def test_feature_without_code_and_unknown_level(good, hier):
    doc = copy.deepcopy(good)
    del doc["features"][2]["properties"]["code"]
    doc["features"][4]["properties"]["level"] = "ortsteil"
    found = findings(raw(doc), hier)
    f = one(found, "geo.no_code")
    assert f.params["feature"] == 2 and f.column == "properties.code"
    assert f.message("de").endswith("features[2]: die Eigenschaft „code“ (Gebietsschlüssel) fehlt.")
    assert f.message("en").endswith("features[2]: the property 'code' (area code) is missing.")
    lv = one(found, "geo.unknown_level")
    assert lv.params["feature"] == 4 and lv.column == "properties.level" and "ortsteil" in lv.message("en")


@pytest.mark.parametrize("geometry,code,column", [
    ({"type": "Point", "coordinates": [7.1, 51.5]}, "geo.geometry_type", "geometry.type"),
    ({"type": "LineString", "coordinates": [[7.1, 51.5], [7.2, 51.5]]}, "geo.geometry_type", "geometry.type"),
    (None, "geo.geometry_type", "geometry"),
    ({"type": "Polygon", "coordinates": [[["7.1", 51.5], [7.2, 51.5], [7.2, 51.6], ["7.1", 51.5]]]},
     "geo.coordinates", "geometry.coordinates"),
    ({"type": "Polygon", "coordinates": [[[7.1, 51.5], [7.2, 51.5], [7.1, 51.5]]]}, "geo.coordinates",
     "geometry.coordinates"),
    ({"type": "Polygon", "coordinates": [[[7.1, 51.5], [7.2, 51.5], [7.2, 51.6], [7.1, 51.6]]]}, "geo.ring_open",
     "geometry.coordinates"),
    # a bow tie: the ring crosses itself
    ({"type": "Polygon", "coordinates": [[[7.1, 51.5], [7.2, 51.6], [7.2, 51.5], [7.1, 51.6], [7.1, 51.5]]]},
     "geo.invalid_polygon", "geometry"),
    # UTM coordinates (EPSG:25832) instead of degrees
    ({"type": "Polygon", "coordinates": [[[360000, 5700000], [361000, 5700000], [361000, 5701000],
                                          [360000, 5700000]]]}, "geo.out_of_range", "geometry.coordinates"),
])
def test_geometry_findings_name_the_feature(good, hier, geometry, code, column):
    doc = copy.deepcopy(good)
    doc["features"][9]["geometry"] = geometry
    f = one(findings(raw(doc), hier), code)
    assert f.params["feature"] == 9 and f.column == column
    # the message names the file, the property and the feature index
    assert f.message("de").startswith(f"Datei grenzen.geojson, Spalte '{column}': features[9]: ")
    assert f"features[9]: " in f.message("en") and "grenzen.geojson" in f.message("en")
    if code == "geo.invalid_polygon":
        assert "Self-intersection" in f.params["reason"]


def test_file_level_findings(good, hier):
    assert findings(b"\xff\xfe not json", hier)[0].code == "geo.not_json"
    assert findings(b'{"type": "Feature"}', hier)[0].code == "geo.not_collection"
    assert findings(b"[" * 200_000 + b"]" * 200_000, hier)[0].code == "geo.not_json"  # hostile nesting
    nan = raw(good).replace(b"[7.", b"[NaN, 7.", 1)  # a NaN position (Python's json reads the literal)
    assert {f.code for f in findings(nan, hier)} == {"geo.coordinates"}
    assert findings(b'{"type": "FeatureCollection", "features": {}}', hier)[0].code == "geo.not_collection"
    doc = dict(good, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}})
    f = one(findings(raw(doc), hier), "geo.crs")
    assert "EPSG::25832" in f.message("de") and f.column == "crs"
    for ok in ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"):
        validate(raw(dict(good, crs={"type": "name", "properties": {"name": ok}})), hier)
    data = raw(good)
    f = one(findings(data, hier, max_bytes=len(data) - 1), "geo.too_large")
    assert f.params == {"size": len(data), "limit": len(data) - 1}
    validate(data, hier, max_bytes=len(data))


def test_outside_germany_is_only_a_warning(good, hier):
    doc = copy.deepcopy(good)

    def shift(x):
        return [shift(v) for v in x] if isinstance(x[0], list) else [x[0] + 30.0, x[1]]

    for f in doc["features"][:4]:
        f["geometry"]["coordinates"] = shift(f["geometry"]["coordinates"])
    # shifted blocks overlap nothing but still cover their codes; the set is stored with one warning
    checked = validate(raw(doc), hier)
    (w,) = checked.warnings
    assert w.code == "geo.outside_germany" and w.params == {"count": 4, "feature": 0}
    assert "außerhalb Deutschlands" in w.message("de") and "outside Germany" in w.message("en")


def test_every_problem_is_listed_at_once(good, hier):
    doc = copy.deepcopy(good)
    doc["features"][1]["geometry"] = {"type": "Point", "coordinates": [7, 51]}
    doc["features"][2]["properties"]["code"] = "x"
    codes = sorted(f.code for f in findings(raw(doc), hier))
    assert codes == ["geo.geometry_type", "geo.missing", "geo.unknown_code"]
