"""Synthetic but plausible boundaries for the demo hierarchy (issue 17): made up, not a real city.

A city-shaped outline (a seeded, wobbly blob around :data:`CENTRE`) is split hierarchically by Voronoi
tessellations: Stadtbezirke from random seeds inside the city, Stadtteile inside each Bezirk, Baublöcke inside
each Stadtteil — so every area lies in its parent and the children tile it.  Only the finest level is written
(``properties.code``/``name``); the upload dissolves the coarser levels (as an office's block file would be
used).  Deterministic for a seed.
"""
from __future__ import annotations

import math
import random

CENTRE = (7.10, 51.56)  # lon/lat of the made-up city (a box in the Ruhr area; no real boundaries)
RADIUS_KM = 7.5


def _outline(rnd: random.Random):
    from shapely.geometry import Polygon

    lon0, lat0 = CENTRE
    ky = 1 / 111.2
    kx = 1 / (111.2 * math.cos(math.radians(lat0)))
    phases = [rnd.uniform(0, 2 * math.pi) for _ in range(4)]
    pts = []
    for k in range(120):
        t = 2 * math.pi * k / 120
        r = RADIUS_KM * (1 + 0.16 * math.sin(2 * t + phases[0]) + 0.09 * math.sin(3 * t + phases[1])
                         + 0.05 * math.sin(5 * t + phases[2]) + 0.03 * math.sin(9 * t + phases[3]))
        pts.append((lon0 + r * math.cos(t) * kx * 1.25, lat0 + r * math.sin(t) * ky))
    return Polygon(pts)


def _seeds(region, n: int, rnd: random.Random) -> list:
    from shapely.geometry import Point

    x0, y0, x1, y1 = region.bounds
    out = []
    tries = 0
    while len(out) < n:
        tries += 1
        p = Point(rnd.uniform(x0, x1), rnd.uniform(y0, y1))
        if region.contains(p) and (tries > 2000 or all(p.distance(q) > 1e-4 for q in out)):
            out.append(p)
    return out


def _split(region, n: int, rnd: random.Random) -> list:
    """``n`` polygonal parts of ``region`` (Voronoi cells of seeds inside it, clipped), in seed order."""
    import shapely
    from shapely.geometry import MultiPoint

    if n == 1:
        return [region]
    seeds = _seeds(region, n, rnd)
    cells = list(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=region.envelope.buffer(0.01)).geoms)
    parts = []
    for s in seeds:
        cell = next(c for c in cells if c.covers(s))
        part = _polygonal(cell.intersection(region))
        parts.append(part)
    return parts


def _polygonal(geom):
    from shapely.geometry import MultiPolygon

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]
    return MultiPolygon(polys) if len(polys) > 1 else polys[0]


def demo_boundaries(city, seed: int = 17) -> dict:
    """GeoJSON FeatureCollection of the city's Baublöcke (``publisher.demo.City``), WGS84."""
    from shapely.geometry import mapping

    rnd = random.Random(seed)
    tree: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for block, name, st, _st_name, bz, _bz_name in city.blocks:
        tree.setdefault(bz, {}).setdefault(st, []).append((block, name))
    feats = []
    outline = _outline(rnd)
    bezirke = sorted(tree)
    for bz, bz_region in zip(bezirke, _split(outline, len(bezirke), rnd)):
        teile = sorted(tree[bz])
        for st, st_region in zip(teile, _split(bz_region, len(teile), rnd)):
            blocks = sorted(tree[bz][st])
            for (code, name), geom in zip(blocks, _split(st_region, len(blocks), rnd)):
                geom = _polygonal(geom)
                g = mapping(geom)
                feats.append({"type": "Feature", "properties": {"code": code, "name": name},
                              "geometry": {"type": g["type"], "coordinates": _lists(g["coordinates"])}})
    return {"type": "FeatureCollection", "features": feats}


def _lists(x):
    if isinstance(x, (int, float)):
        return round(float(x), 9)  # shared edges of neighbouring Stadtteile meet to well under a millimetre
    return [_lists(v) for v in x]


def upload_demo_boundaries(c, hierarchy, city) -> None:
    """Upload the generated boundaries for the demo hierarchy through the admin service (validated, audited)."""
    import json

    from publisher.services import boundaries

    data = json.dumps(demo_boundaries(city), separators=(",", ":")).encode("utf-8")
    boundaries.upload(c, None, hierarchy.id, data, "musterstadt_grenzen.geojson")
