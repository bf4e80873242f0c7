"""Validation of an uploaded boundary GeoJSON against a hierarchy version (issue 17 item 3).

:func:`validate` reads the bytes of a GeoJSON ``FeatureCollection`` and returns a :class:`Checked` (the
normalised collection and the warnings) or raises :class:`GeoInputError` listing EVERY problem found as a
typed finding (stable code, German and English message, the feature index ``features[i]`` and the property
in ``column``).  Rules:

* a ``FeatureCollection`` of at most ``max_bytes`` bytes, UTF-8 JSON; a ``crs`` member only if it names
  WGS84 (``OGC:CRS84`` / ``EPSG:4326``); every position ``[lon, lat]`` with lon in [-180, 180], lat in
  [-90, 90]; positions outside Germany's bounding box are a warning (a made-up demo city may lie anywhere);
* every feature has ``properties.code`` (an area code of the hierarchy) and optionally ``properties.level``
  (a level of the hierarchy; without it the finest level that has the code) and ``properties.name``;
* geometries are ``Polygon`` or ``MultiPolygon`` only, rings closed with at least 4 positions, valid
  (no self-intersection: shapely's ``is_valid`` with its reason);
* every code of the finest level has exactly one geometry; a coarser level, if given at all, has exactly
  one geometry per code; coarser levels not given are dissolved from the finest (union per parent);
* no code that the hierarchy does not have at that level.

Nothing is stored here; the service (:mod:`publisher.services.boundaries`) stores the result in one
transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from disclosure_rules.findings import Finding, InputError, Severity, register

E, W = Severity.ERROR, Severity.WARNING

TOO_LARGE = register("geo.too_large", E, "Die Datei ist {size} Bytes groß; erlaubt sind höchstens {limit} Bytes.",
                     "The file is {size} bytes; at most {limit} bytes are allowed.")
NOT_JSON = register("geo.not_json", E, "Kein gültiges GeoJSON (JSON in UTF-8): {reason}.",
                    "Not valid GeoJSON (JSON in UTF-8): {reason}.")
NOT_COLLECTION = register("geo.not_collection", E,
                          "Erwartet wird eine GeoJSON-„FeatureCollection“ mit einer Liste „features“.",
                          "Expected a GeoJSON 'FeatureCollection' with a list 'features'.")
CRS = register("geo.crs", E, "Koordinatenbezugssystem {crs} wird nicht angenommen: bitte WGS84 "
               "(OGC:CRS84 / EPSG:4326, Länge/Breite in Grad).",
               "Coordinate reference system {crs} is not accepted: please WGS84 (OGC:CRS84 / EPSG:4326, "
               "longitude/latitude in degrees).")
NO_CODE = register("geo.no_code", E, "features[{feature}]: die Eigenschaft „code“ (Gebietsschlüssel) fehlt.",
                   "features[{feature}]: the property 'code' (area code) is missing.")
UNKNOWN_LEVEL = register("geo.unknown_level", E,
                         "features[{feature}]: Ebene „{level}“ gibt es in der Hierarchie nicht (Ebenen: {levels}).",
                         "features[{feature}]: level '{level}' is not in the hierarchy (levels: {levels}).")
UNKNOWN_CODE = register("geo.unknown_code", E,
                        "features[{feature}]: Gebietsschlüssel „{code}“ gibt es auf der Ebene {level} der "
                        "Hierarchie nicht.",
                        "features[{feature}]: area code '{code}' is not in the hierarchy at level {level}.")
DUPLICATE = register("geo.duplicate", E, "features[{feature}]: Gebiet „{code}“ ({level}) hat schon eine Geometrie "
                     "(features[{first}]); je Gebiet genau eine.",
                     "features[{feature}]: area '{code}' ({level}) already has a geometry (features[{first}]); "
                     "exactly one per area.")
MISSING = register("geo.missing", E, "Ebene {level}: {count} Gebiete ohne Geometrie, z. B. {codes}.",
                   "Level {level}: {count} areas without a geometry, e.g. {codes}.")
TYPE = register("geo.geometry_type", E, "features[{feature}]: Geometrietyp „{type}“; erlaubt sind nur Polygon "
                "und MultiPolygon.", "features[{feature}]: geometry type '{type}'; only Polygon and "
                "MultiPolygon are allowed.")
COORDS = register("geo.coordinates", E, "features[{feature}]: Koordinaten unlesbar ({reason}).",
                  "features[{feature}]: coordinates unreadable ({reason}).")
RING_OPEN = register("geo.ring_open", E, "features[{feature}]: Ring {ring} ist nicht geschlossen (erster und "
                     "letzter Punkt verschieden).", "features[{feature}]: ring {ring} is not closed (first and "
                     "last position differ).")
INVALID = register("geo.invalid_polygon", E, "features[{feature}]: ungültiges Polygon: {reason}.",
                   "features[{feature}]: invalid polygon: {reason}.")
RANGE = register("geo.out_of_range", E, "features[{feature}]: Punkt ({lon}, {lat}) liegt außerhalb von WGS84 "
                 "(Länge −180…180, Breite −90…90); vertauschte Achsen oder projizierte Koordinaten?",
                 "features[{feature}]: position ({lon}, {lat}) is outside WGS84 (longitude -180…180, latitude "
                 "-90…90); axes swapped or projected coordinates?")
OUTSIDE_DE = register("geo.outside_germany", W, "{count} Geometrien liegen ganz oder teilweise außerhalb "
                      "Deutschlands (z. B. features[{feature}]); bitte prüfen, ob das gewollt ist.",
                      "{count} geometries lie wholly or partly outside Germany (e.g. features[{feature}]); please "
                      "check that this is intended.")

WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84",
               "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326", "EPSG:4326")
GERMANY_BBOX = (5.5, 47.2, 15.5, 55.1)  # lon/lat, a little wider than the country
MAX_FINDINGS_PER_CODE = 20


class GeoInputError(InputError):
    """The upload cannot be stored; ``findings`` lists every problem."""


@dataclass(frozen=True)
class Checked:
    document: dict  # normalised FeatureCollection (properties level/code/name; coarser levels dissolved)
    features: dict[str, int]  # level -> number of geometries
    dissolved: tuple[str, ...]
    warnings: tuple[Finding, ...]


def _crs_name(crs: Any) -> str:
    if isinstance(crs, dict):
        props = crs.get("properties") or {}
        return str(props.get("name") or props.get("href") or crs)
    return str(crs)


def _ring(ring: Any):
    """A ring as an (n, 2) float array (numbers only, finite; altitude dropped); ValueError otherwise."""
    import numpy as np

    if not isinstance(ring, list) or not ring:
        raise ValueError("leere oder falsch verschachtelte Liste / empty or wrongly nested list")
    try:
        a = np.array(ring)  # no dtype: strings stay strings (kind "U"), ragged lists raise
    except ValueError:
        a = None
    if a is None or a.dtype.kind not in "fi" or a.ndim != 2 or a.shape[1] < 2 or any(
            isinstance(p, list) and p and isinstance(p[0], bool) for p in ring[:1]):
        raise ValueError("Position ist kein Zahlenpaar / position is not a pair of numbers")
    a = a[:, :2].astype(float)
    if not np.isfinite(a).all():
        raise ValueError("Zahl nicht endlich / number not finite")
    return a


def _rings(coords: Any, depth: int) -> list:
    """Polygon (depth 3): ``[ring, ...]``; MultiPolygon (depth 4): ``[[ring, ...], ...]`` of arrays."""
    if not isinstance(coords, list) or not coords:
        raise ValueError("leere oder falsch verschachtelte Liste / empty or wrongly nested list")
    if depth == 3:
        return [_ring(r) for r in coords]
    return [_rings(p, 3) for p in coords]


def _polygons(feature: int, geometry: Any, findings: list[Finding], outside: list[int], parsed: dict):
    """``(shapely geometry, rings)`` of a feature, or None (findings added)."""
    import numpy as np
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.validation import explain_validity

    col = "geometry"
    if not isinstance(geometry, dict):
        findings.append(Finding(TYPE, {"feature": feature, "type": type(geometry).__name__}, column=col))
        return None
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        findings.append(Finding(TYPE, {"feature": feature, "type": kind}, column="geometry.type"))
        return None
    try:
        coords = _rings(geometry.get("coordinates"), 3 if kind == "Polygon" else 4)
    except ValueError as exc:
        findings.append(Finding(COORDS, {"feature": feature, "reason": str(exc)}, column="geometry.coordinates"))
        return None
    polys = [coords] if kind == "Polygon" else coords
    ok, n_ring, is_outside = True, 0, False
    lo_de, hi_de = np.array(GERMANY_BBOX[:2]), np.array(GERMANY_BBOX[2:])
    for poly in polys:
        for ring in poly:
            n_ring += 1
            bad = (np.abs(ring[:, 0]) > 180) | (np.abs(ring[:, 1]) > 90)
            if bad.any():
                lon, lat = ring[int(np.argmax(bad))]
                findings.append(Finding(RANGE, {"feature": feature, "lon": float(lon), "lat": float(lat)},
                                        column="geometry.coordinates"))
                return None
            if ((ring < lo_de) | (ring > hi_de)).any():
                is_outside = True
            if len(ring) < 4:
                findings.append(Finding(COORDS, {"feature": feature, "reason": f"Ring {n_ring}: < 4 Punkte / "
                                                 "< 4 positions"}, column="geometry.coordinates"))
                ok = False
            elif (ring[0] != ring[-1]).any():
                findings.append(Finding(RING_OPEN, {"feature": feature, "ring": n_ring},
                                        column="geometry.coordinates"))
                ok = False
    if not ok:
        return None
    if is_outside:
        outside.append(feature)
    parsed[feature] = (kind, polys)
    parts = [Polygon(p[0], p[1:]) for p in polys]
    geom = parts[0] if kind == "Polygon" else MultiPolygon(parts)
    if not geom.is_valid:
        findings.append(Finding(INVALID, {"feature": feature, "reason": explain_validity(geom)}, column="geometry"))
        return None
    return geom


def validate(data: bytes, hierarchy, *, filename: str = "grenzen.geojson", max_bytes: int | None = None) -> Checked:
    """Check ``data`` against ``hierarchy`` (the engine's ``Hierarchy``); raise :class:`GeoInputError`."""
    import numpy as np
    import shapely
    from shapely.ops import unary_union

    def fail(*found: Finding):
        raise GeoInputError([Finding(f.code, f.params, file=filename, row=f.row, column=f.column) for f in found])

    if max_bytes is not None and len(data) > max_bytes:
        fail(Finding(TOO_LARGE, {"size": len(data), "limit": max_bytes}))
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        fail(Finding(NOT_JSON, {"reason": str(exc)[:200]}))
    except RecursionError:  # hostile nesting ([[[[...]]]]): refused like any unreadable file
        fail(Finding(NOT_JSON, {"reason": "zu tief verschachtelt / nested too deeply"}))
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"),
                                                                                            list):
        fail(Finding(NOT_COLLECTION, {}))
    if "crs" in doc and doc["crs"] is not None and _crs_name(doc["crs"]) not in WGS84_NAMES:
        fail(Finding(CRS, {"crs": _crs_name(doc["crs"])[:200]}, column="crs"))
    levels = list(hierarchy.levels)  # finest -> coarsest
    codes = {lvl: {str(c) for c in hierarchy.codes(lvl)} for lvl in levels}
    findings: list[Finding] = []
    outside: list[int] = []
    parsed: dict[int, tuple] = {}  # feature index -> (type, rings as arrays): written out without re-encoding
    given: dict[str, dict[str, tuple[int, Any]]] = {lvl: {} for lvl in levels}
    names: dict[tuple[str, str], str] = {}
    for i, feat in enumerate(doc["features"]):
        props = feat.get("properties") if isinstance(feat, dict) else None
        props = props if isinstance(props, dict) else {}
        code = props.get("code")
        if code is None or str(code).strip() == "":
            findings.append(Finding(NO_CODE, {"feature": i}, column="properties.code"))
            continue
        code = str(code).strip()
        level = props.get("level")
        if level is not None and str(level) not in codes:
            findings.append(Finding(UNKNOWN_LEVEL, {"feature": i, "level": str(level), "levels": ", ".join(levels)},
                                    column="properties.level"))
            continue
        if level is None:
            level = next((lvl for lvl in levels if code in codes[lvl]), levels[0])
        level = str(level)
        if code not in codes[level]:
            findings.append(Finding(UNKNOWN_CODE, {"feature": i, "code": code, "level": level},
                                    column="properties.code"))
            continue
        if code in given[level]:
            findings.append(Finding(DUPLICATE, {"feature": i, "code": code, "level": level,
                                                "first": given[level][code][0]}, column="properties.code"))
            continue
        geom = _polygons(i, feat.get("geometry"), findings, outside, parsed)
        given[level][code] = (i, geom)
        if props.get("name"):
            names[(level, code)] = str(props["name"])[:300]
    for lvl in levels:
        if lvl != levels[0] and not given[lvl]:
            continue  # dissolved below
        if len(codes[lvl]) == 1 and lvl == levels[-1] and not given[lvl]:
            continue
        missing = sorted(codes[lvl] - set(given[lvl]))
        if missing:
            findings.append(Finding(MISSING, {"level": lvl, "count": len(missing), "codes": ", ".join(missing[:10])},
                                    column="properties.code"))
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if errors:
        fail(*_bounded(errors))
    geoms = {lvl: {code: g for code, (_i, g) in given[lvl].items()} for lvl in levels}
    dissolved = []
    for k, lvl in enumerate(levels[1:], start=1):
        if geoms[lvl]:
            continue
        parent = hierarchy.parent_map(levels[k - 1])
        parts: dict[str, list] = {}
        for code, g in geoms[levels[k - 1]].items():
            parts.setdefault(str(parent[code]), []).append(g)
        geoms[lvl] = {code: _dissolve(gs, unary_union) for code, gs in parts.items()}
        dissolved.append(lvl)
    feats = []
    for lvl in levels:
        for code in sorted(geoms[lvl]):
            if lvl in dissolved:
                geom = json.loads(shapely.to_geojson(geoms[lvl][code]))  # C speed; rounded below
                geom = {"type": geom["type"], "coordinates": _lists(geom["coordinates"])}
            else:
                kind, polys = parsed[given[lvl][code][0]]
                rings = [[np.round(r, 7).tolist() for r in poly] for poly in polys]
                geom = {"type": kind, "coordinates": rings[0] if kind == "Polygon" else rings}
            feats.append({"type": "Feature",
                          "properties": {"level": lvl, "code": code,
                                         "name": names.get((lvl, code)) or hierarchy.name(code, lvl) or code},
                          "geometry": geom})
    warnings = []
    if outside:
        warnings.append(Finding(OUTSIDE_DE, {"count": len(outside), "feature": outside[0]}, file=filename,
                                column="geometry.coordinates"))
    return Checked({"type": "FeatureCollection", "features": feats}, {lvl: len(geoms[lvl]) for lvl in levels},
                   tuple(dissolved), tuple(warnings))


SNAP_DEGREES = 1e-7  # about 1 cm: gaps between neighbouring areas up to twice this close when dissolving


def _dissolve(parts: list, unary_union):
    """Union of the children of one area: closed by ``SNAP_DEGREES`` (neighbours that should touch but are
    a hair apart after rounding become one), without slivers."""
    grown = unary_union([g.buffer(SNAP_DEGREES, join_style="mitre") for g in parts])
    closed = grown.buffer(-SNAP_DEGREES, join_style="mitre").simplify(SNAP_DEGREES / 10, preserve_topology=True)
    return _without_slivers(closed)


def _without_slivers(geom, share: float = 1e-6):
    """A dissolved area without the hair-thin holes and specks that float noise along shared edges leaves
    (smaller than ``share`` of the area); real enclaves and exclaves are far larger and stay."""
    from shapely.geometry import MultiPolygon, Polygon

    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    total = sum(p.area for p in polys) or 1.0
    kept = [Polygon(p.exterior, [r for r in p.interiors if Polygon(r).area >= share * total])
            for p in polys if p.area >= share * total]
    return kept[0] if len(kept) == 1 else MultiPolygon(kept)


def _lists(x):
    """Coordinates (nested tuples/lists down to rings of positions) as lists with at most 7 decimals (~1 cm)."""
    import numpy as np

    if len(x) and isinstance(x[0][0], (int, float)):  # a ring
        return np.round(np.asarray(x, dtype=float)[:, :2], 7).tolist()
    return [_lists(v) for v in x]


def _bounded(findings: list[Finding]) -> list[Finding]:
    """At most MAX_FINDINGS_PER_CODE findings per code (a broken file names the first ones of each kind)."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        seen[f.code] = seen.get(f.code, 0) + 1
        if seen[f.code] <= MAX_FINDINGS_PER_CODE:
            out.append(f)
    return out


def canonical_bytes(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
