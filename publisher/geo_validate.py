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
import math
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


def _positions(coords: Any, depth: int) -> list:
    """Check nesting depth (Polygon 3, MultiPolygon 4) and that positions are numbers."""
    if depth == 1:
        if (not isinstance(coords, list) or len(coords) < 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in coords[:2])):
            raise ValueError("Position ist kein Zahlenpaar / position is not a pair of numbers")
        if not all(math.isfinite(float(x)) for x in coords[:2]):
            raise ValueError("Zahl nicht endlich / number not finite")
        return [float(coords[0]), float(coords[1])]
    if not isinstance(coords, list) or not coords:
        raise ValueError("leere oder falsch verschachtelte Liste / empty or wrongly nested list")
    return [_positions(c, depth - 1) for c in coords]


def _polygons(feature: int, geometry: Any, findings: list[Finding], outside: list[int]):
    """The shapely geometry of a feature, or None (findings added)."""
    from shapely.geometry import shape
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
        coords = _positions(geometry.get("coordinates"), 3 if kind == "Polygon" else 4)
    except ValueError as exc:
        findings.append(Finding(COORDS, {"feature": feature, "reason": str(exc)}, column="geometry.coordinates"))
        return None
    polys = [coords] if kind == "Polygon" else coords
    ok, n_ring, is_outside = True, 0, False
    for poly in polys:
        for ring in poly:
            n_ring += 1
            for lon, lat in ring:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    findings.append(Finding(RANGE, {"feature": feature, "lon": lon, "lat": lat},
                                            column="geometry.coordinates"))
                    return None
                if not (GERMANY_BBOX[0] <= lon <= GERMANY_BBOX[2] and GERMANY_BBOX[1] <= lat <= GERMANY_BBOX[3]):
                    is_outside = True
            if len(ring) < 4:
                findings.append(Finding(COORDS, {"feature": feature, "reason": f"Ring {n_ring}: < 4 Punkte / "
                                                 "< 4 positions"}, column="geometry.coordinates"))
                ok = False
            elif ring[0] != ring[-1]:
                findings.append(Finding(RING_OPEN, {"feature": feature, "ring": n_ring},
                                        column="geometry.coordinates"))
                ok = False
    if not ok:
        return None
    if is_outside:
        outside.append(feature)
    geom = shape({"type": kind, "coordinates": coords})
    if not geom.is_valid:
        findings.append(Finding(INVALID, {"feature": feature, "reason": explain_validity(geom)}, column="geometry"))
        return None
    return geom


def validate(data: bytes, hierarchy, *, filename: str = "grenzen.geojson", max_bytes: int | None = None) -> Checked:
    """Check ``data`` against ``hierarchy`` (the engine's ``Hierarchy``); raise :class:`GeoInputError`."""
    from shapely.geometry import mapping
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
        geom = _polygons(i, feat.get("geometry"), findings, outside)
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
            geom = mapping(geoms[lvl][code])
            feats.append({"type": "Feature",
                          "properties": {"level": lvl, "code": code,
                                         "name": names.get((lvl, code)) or hierarchy.name(code, lvl) or code},
                          "geometry": {"type": geom["type"], "coordinates": _lists(geom["coordinates"])}})
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
    """Coordinates as nested lists with at most 7 decimals (about 1 cm)."""
    if isinstance(x, (int, float)):
        return round(float(x), 7)
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
