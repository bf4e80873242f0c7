"""Real boundaries on the map (issue 17 item 3): simplified areas for the server-side SVG, the map as PNG.

The boundary set (a normalised FeatureCollection, :mod:`publisher.services.boundaries`) is simplified for
display with a tolerance of half a pixel of the drawing (shapely ``simplify`` with topology preserved per
area), so a page carries no more detail than it can show; then :func:`publisher.svg.choropleth` projects it
(equirectangular with cos(latitude) scaling, fitted to the viewBox), colours the areas by the released value
and hatches suppressed ones.  The PNG is the same SVG rendered by cairosvg (the system library libcairo2).
"""
from __future__ import annotations

import math
from typing import Mapping

from markupsafe import Markup

from publisher import svg

WIDTH, HEIGHT = 640, 420
TOLERANCE_PX = 0.5


def areas_for(document: Mapping, level: str, width: int = WIDTH, height: int = HEIGHT) -> dict[str, svg.Area]:
    """``{code: Area}`` of ``level`` with rings simplified to about half a pixel of a ``width``×``height`` map."""
    from shapely.geometry import shape

    shapes, names = {}, {}
    for feat in document.get("features") or []:
        props = feat.get("properties") or {}
        if str(props.get("level")) == level:
            shapes[str(props["code"])] = shape(feat["geometry"])
            names[str(props["code"])] = str(props.get("name") or props["code"])
    if not shapes:
        return {}
    x0 = min(g.bounds[0] for g in shapes.values())
    y0 = min(g.bounds[1] for g in shapes.values())
    x1 = max(g.bounds[2] for g in shapes.values())
    y1 = max(g.bounds[3] for g in shapes.values())
    kx = math.cos(math.radians((y0 + y1) / 2))
    scale = min((width - 8) / max((x1 - x0) * kx, 1e-12), (height - 8) / max(y1 - y0, 1e-12))  # px per degree
    tol = TOLERANCE_PX / scale
    out = {}
    for code, g in shapes.items():
        simple = g.simplify(tol, preserve_topology=True)
        if simple.is_empty:
            simple = g
        rings = []
        for poly in getattr(simple, "geoms", [simple]):
            rings.append(tuple((float(x), float(y)) for x, y, *_ in poly.exterior.coords))
            rings.extend(tuple((float(x), float(y)) for x, y, *_ in hole.coords) for hole in poly.interiors)
        out[code] = svg.Area(code, names[code], tuple(rings))
    return out


def choropleth(document: Mapping, releasable, level: str | None, *, lang: str = "de",
               id_prefix: str = "karte") -> Markup | None:
    """The map of a releasable/published frame (columns ``area``, ``count``) over real boundaries; None when the
    set has no areas of ``level`` or the table is empty."""
    if not document or not level or releasable is None or len(releasable) == 0:
        return None
    areas = areas_for(document, level)
    if not areas:
        return None
    return svg.choropleth(areas, svg.area_totals(releasable), level=level, lang=lang, id_prefix=id_prefix,
                          width=WIDTH, height=HEIGHT)


def standalone(markup: str) -> bytes:
    """The map as a file of its own (XML declaration; the markup is already a complete ``<svg>``)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + str(markup) + "\n").encode("utf-8")


def png(markup: str, scale: float = 2.0) -> bytes:
    """The same SVG as PNG, ``scale`` times its size (2: sharp on high-density screens and in print)."""
    import cairosvg

    return cairosvg.svg2png(bytestring=standalone(markup), scale=scale, background_color="white")
