"""Server-side SVG: a choropleth of a releasable table and a small time-series chart (issue 6).

Pure functions from data to SVG markup (no JavaScript, no external tiles, fonts or scripts; no ``style``
attributes, so the page's strict CSP needs nothing extra).  Every graphic is ``role="img"`` with a
``<title>``/``<desc>`` text alternative; suppressed areas are hatched and carry the symbol ``.`` with its
meaning (DIN 55301) in the legend.

Geometries: a hierarchy has a map when a GeoJSON file for it lies in the storage dir
(``<STORAGE_DIR>/geometries/<hierarchy file sha256>.geojson``, see :func:`save_geometries`); features carry
``properties.level``, ``properties.code`` and ``properties.name``.  The demo ships generated ones
(:func:`publisher.demo.demo_geometries`).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from markupsafe import Markup

from publisher.i18n import N_

# ColorBrewer "Blues" (sequential, colour-blind safe); the darkest classes get white text in the legend.
PALETTE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#d9d9d9"
STROKE = "#4d4d4d"
TEXT = "#1a1a1a"

# texts of the graphics: German message ids of the UI catalogue (publisher.i18n), translated per ``lang``
TEXTS = {
    "map_title": N_("Karte: {what} je Gebiet ({level})"),
    "secret": N_("geheim gehalten (Wert unter der Mindestfallzahl oder zu deren Schutz)"),
    "secret_short": N_("geheim gehalten"),
    "missing": N_("keine Angabe in der Tabelle"),
    "legend": N_("Legende"),
    "count": N_("Anzahl"),
    "total": N_("Summe"),
    "chart_title": N_("Zeitreihe: {what} je Veröffentlichung"),
    "partial": N_("mindestens ein Wert geheim gehalten: Summe der veröffentlichten Werte"),
}


def fmt_int(value: int, lang: str = "de") -> str:
    s = f"{int(value):,}"
    return s.replace(",", ".") if lang == "de" else s


def _t(lang: str, key: str, **kw) -> str:
    from publisher.i18n import ntranslate, translate

    if key == "map_desc":
        return ntranslate("{n} Gebiet. {shown} mit Wert von {lo} bis {hi}; {secret} geheim gehalten; "
                          "{missing} ohne Angabe.",
                          "{n} Gebiete. {shown} mit Wert von {lo} bis {hi}; {secret} geheim gehalten; "
                          "{missing} ohne Angabe.", kw.pop("n"), lang, **kw)
    if key == "chart_desc":
        return ntranslate("{n} Zeitpunkt: {first}; Wert {lo}.",
                          "{n} Zeitpunkte von {first} bis {last}; kleinster Wert {lo}, größter {hi}.",
                          kw.pop("n"), lang, **kw)
    return translate(TEXTS[key], lang, **kw)


# --- geometry store ---------------------------------------------------------------------------------------

def geometry_path(storage_dir: str | os.PathLike, hierarchy_sha256: str) -> Path:
    return Path(storage_dir) / "geometries" / f"{hierarchy_sha256}.geojson"


def save_geometries(storage_dir: str | os.PathLike, hierarchy_sha256: str, geojson: Mapping) -> Path:
    """Store the GeoJSON of a hierarchy (written atomically; checked with :func:`features_by_level`)."""
    features_by_level(geojson)  # raises ValueError on a malformed collection
    path = geometry_path(storage_dir, hierarchy_sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(geojson, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_geometries(storage_dir: str | os.PathLike | None, hierarchy_sha256: str | None) -> dict | None:
    if not storage_dir or not hierarchy_sha256:
        return None
    path = geometry_path(storage_dir, hierarchy_sha256)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]  # outer rings (and holes) in lon/lat


def _rings(geometry: Mapping) -> list[list[tuple[float, float]]]:
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polys = [coords]
    elif kind == "MultiPolygon":
        polys = coords
    else:
        raise ValueError(f"geometry type {kind!r} is not a (Multi)Polygon")
    return [[(float(x), float(y)) for x, y, *_ in ring] for poly in polys for ring in poly]


def features_by_level(geojson: Mapping) -> dict[str, dict[str, Area]]:
    """``{level: {code: Area}}`` from a FeatureCollection (codes as strings, leading zeros kept)."""
    if not isinstance(geojson, Mapping) or geojson.get("type") != "FeatureCollection":
        raise ValueError("not a GeoJSON FeatureCollection")
    out: dict[str, dict[str, Area]] = {}
    for i, feat in enumerate(geojson.get("features") or []):
        props = feat.get("properties") or {}
        code, level = props.get("code"), props.get("level")
        if code is None or level is None:
            raise ValueError(f"feature {i}: properties 'code' and 'level' are required")
        out.setdefault(str(level), {})[str(code)] = Area(
            str(code), str(props.get("name") or code), tuple(tuple(r) for r in _rings(feat.get("geometry") or {})))
    return out


# --- choropleth -------------------------------------------------------------------------------------------

def area_totals(releasable) -> dict[str, int | None]:
    """Total per area over all other dimensions; ``None`` when any cell of the area is suppressed (NA)."""
    totals: dict[str, int | None] = {}
    for area, count in zip(releasable["area"].astype(str), releasable["count"]):
        missing = count is None or (isinstance(count, float) and math.isnan(count)) or str(count) == "<NA>"
        if missing:
            totals[area] = None
        elif area not in totals:
            totals[area] = int(count)
        elif totals[area] is not None:
            totals[area] += int(count)
    return totals


def class_breaks(values: Sequence[int], n: int = 5) -> list[int]:
    """Upper bounds of up to ``n`` classes (quantiles of the distinct values; ascending, last = max)."""
    distinct = sorted(set(int(v) for v in values))
    if not distinct:
        return []
    k = min(n, len(distinct))
    bounds = []
    for i in range(1, k + 1):
        b = distinct[min(len(distinct) - 1, math.ceil(i * len(distinct) / k) - 1)]
        if not bounds or b > bounds[-1]:
            bounds.append(b)
    return bounds


def _class_of(value: int, bounds: Sequence[int]) -> int:
    for i, b in enumerate(bounds):
        if value <= b:
            return i
    return len(bounds) - 1


class _Projection:
    def __init__(self, areas: Iterable[Area], width: float, height: float, pad: float = 4.0):
        pts = [p for a in areas for ring in a.rings for p in ring]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        self.x0, self.y1 = min(xs), max(ys)
        mid = math.radians((min(ys) + max(ys)) / 2)
        self.kx = math.cos(mid) if -89 < math.degrees(mid) < 89 else 1.0
        w = max((max(xs) - self.x0) * self.kx, 1e-12)
        h = max(self.y1 - min(ys), 1e-12)
        self.s = min((width - 2 * pad) / w, (height - 2 * pad) / h)
        self.pad = pad
        self.width, self.height = w * self.s + 2 * pad, h * self.s + 2 * pad

    def __call__(self, p: tuple[float, float]) -> tuple[float, float]:
        return (self.pad + (p[0] - self.x0) * self.kx * self.s, self.pad + (self.y1 - p[1]) * self.s)


def _path(area: Area, proj: _Projection) -> str:
    parts = []
    for ring in area.rings:
        pts = [proj(p) for p in ring]
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
    return "".join(parts)


def _centroid(area: Area, proj: _Projection) -> tuple[float, float]:
    ring = max(area.rings, key=len)
    pts = [proj(p) for p in ring[:-1] or ring]
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def choropleth(areas: Mapping[str, Area], totals: Mapping[str, int | None], *, level: str, lang: str = "de",
               what: str | None = None, id_prefix: str = "karte", width: int = 640, height: int = 420) -> Markup:
    """SVG choropleth of ``totals`` (area code → total, ``None`` = suppressed) over ``areas`` of one level.

    Areas without an entry in ``totals`` are grey ("not in the table").  The legend lists the classes, the
    hatched symbol ``.`` with its meaning, and "no data" when it occurs.
    """
    if not areas:
        raise ValueError("no geometries for this level")
    what = what or _t(lang, "count")
    proj = _Projection(areas.values(), width, height)
    shown = {c: v for c, v in totals.items() if c in areas and v is not None}
    secret = [c for c, v in totals.items() if c in areas and v is None]
    missing = [c for c in areas if c not in totals]
    bounds = class_breaks(list(shown.values()))
    pid = escape(id_prefix)
    hatch = f"{pid}-hatch"
    legend_rows = len(bounds) + (1 if secret else 0) + (1 if missing else 0)
    map_h = proj.height
    total_h = map_h + 28 + 22 * legend_rows
    lo = fmt_int(min(shown.values()), lang) if shown else "–"
    hi = fmt_int(max(shown.values()), lang) if shown else "–"
    title = _t(lang, "map_title", what=what, level=level)
    desc = _t(lang, "map_desc", n=len(areas), shown=len(shown), lo=lo, hi=hi, secret=len(secret),
              missing=len(missing))
    vb_w = max(proj.width, width)  # the legend's longest line needs about the full width
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="choropleth" role="img" '
           f'viewBox="0 0 {vb_w:.0f} {total_h:.0f}" width="{vb_w:.0f}" height="{total_h:.0f}" '
           f'aria-labelledby="{pid}-title {pid}-desc">',
           f'<title id="{pid}-title">{escape(title)}</title>',
           f'<desc id="{pid}-desc">{escape(desc)}</desc>',
           f'<defs><pattern id="{hatch}" patternUnits="userSpaceOnUse" width="6" height="6" '
           f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
           f'<line x1="0" y1="0" x2="0" y2="6" stroke="#595959" stroke-width="2"/></pattern></defs>',
           '<g class="areas" stroke="' + STROKE + '" stroke-width="0.6" stroke-linejoin="round" '
           'fill-rule="evenodd">']  # evenodd: holes of real boundaries (issue 17) stay holes
    labels = []
    for code in sorted(areas):
        area = areas[code]
        if code in shown:
            fill = PALETTE[_class_of(shown[code], bounds) + len(PALETTE) - len(bounds)]
            value_text = fmt_int(shown[code], lang)
        elif code in totals:
            fill, value_text = f"url(#{hatch})", ". " + _t(lang, "secret_short")
            labels.append(_centroid(area, proj))
        else:
            fill, value_text = NO_DATA, _t(lang, "missing")
        out.append(f'<path d="{_path(area, proj)}" fill="{fill}" data-code="{escape(code)}">'
                   f'<title>{escape(area.name)} ({escape(code)}): {escape(value_text)}</title></path>')
    out.append("</g>")
    for x, y in labels:
        out.append(f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="16" font-weight="bold" '
                   f'fill="{TEXT}" aria-hidden="true">.</text>')
    # legend
    y = map_h + 8
    out.append(f'<g class="legend" font-size="13" fill="{TEXT}" font-family="sans-serif">')
    out.append(f'<text x="4" y="{y + 10:.0f}" font-weight="bold">{escape(_t(lang, "legend"))}: '
               f'{escape(what)}</text>')
    y += 18
    prev = None
    for i, b in enumerate(bounds):
        colour = PALETTE[i + len(PALETTE) - len(bounds)]
        lo_b = (prev + 1) if prev is not None else min(shown.values())
        label = fmt_int(b, lang) if lo_b >= b else f"{fmt_int(lo_b, lang)} – {fmt_int(b, lang)}"
        out.append(f'<rect x="4" y="{y:.0f}" width="18" height="14" fill="{colour}" stroke="{STROKE}" '
                   f'stroke-width="0.6"/><text x="28" y="{y + 11:.0f}">{escape(label)}</text>')
        prev = b
        y += 22
    if secret:
        out.append(f'<rect x="4" y="{y:.0f}" width="18" height="14" fill="url(#{hatch})" stroke="{STROKE}" '
                   f'stroke-width="0.6"/><text x="28" y="{y + 11:.0f}">. = {escape(_t(lang, "secret"))}</text>')
        y += 22
    if missing:
        out.append(f'<rect x="4" y="{y:.0f}" width="18" height="14" fill="{NO_DATA}" stroke="{STROKE}" '
                   f'stroke-width="0.6"/><text x="28" y="{y + 11:.0f}">{escape(_t(lang, "missing"))}</text>')
    out.append("</g></svg>")
    return Markup("".join(out))


def map_for_table(geojson: Mapping | None, releasable, level: str | None, *, lang: str = "de",
                  id_prefix: str = "karte") -> Markup | None:
    """The choropleth of a releasable frame (columns ``area``, ``count``) at ``level``; None without
    geometries for that level."""
    if not geojson or not level or releasable is None or len(releasable) == 0:
        return None
    areas = features_by_level(geojson).get(level)
    if not areas:
        return None
    return choropleth(areas, area_totals(releasable), level=level, lang=lang, id_prefix=id_prefix)


# --- time series ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    label: str  # e.g. the reference period "2026-07"
    total: int
    partial: bool = False  # some values suppressed: the total is the sum of the published values
    current: bool = False  # the release the page is about


def nice_ceiling(value: int) -> int:
    """The smallest 1/2/2.5/5 × 10^k at or above ``value`` (axis maximum); 1 for 0."""
    if value <= 0:
        return 1
    mag = 10 ** max(0, len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * mag >= value:
            return int(step * mag)
    return int(10 * mag)  # pragma: no cover


def timeseries(points: Sequence[Point], *, lang: str = "de", what: str | None = None, id_prefix: str = "reihe",
               width: int = 480, height: int = 200) -> Markup:
    """A small line chart of totals over published periods, with the values written at the points."""
    if not points:
        raise ValueError("no points")
    what = what or _t(lang, "total")
    pid = escape(id_prefix)
    left, right, top, bottom = 64, 40, 28, 36
    pw, ph = width - left - right, height - top - bottom
    hi = max(p.total for p in points)
    lo = min(p.total for p in points)
    ymax = nice_ceiling(hi)
    n = len(points)

    def xy(i: int, v: int) -> tuple[float, float]:
        x = left + (pw / 2 if n == 1 else i * pw / (n - 1))
        return x, top + ph - (v / ymax) * ph

    title = _t(lang, "chart_title", what=what)
    desc = _t(lang, "chart_desc", n=n, first=points[0].label, last=points[-1].label, lo=fmt_int(lo, lang),
              hi=fmt_int(hi, lang))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeseries" role="img" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" aria-labelledby="{pid}-title {pid}-desc">',
           f'<title id="{pid}-title">{escape(title)}</title>', f'<desc id="{pid}-desc">{escape(desc)}</desc>',
           f'<g font-family="sans-serif" font-size="12" fill="{TEXT}">',
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{STROKE}"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="{STROKE}"/>',
           f'<text x="{left - 6}" y="{top + ph + 4}" text-anchor="end">0</text>',
           f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{fmt_int(ymax, lang)}</text>']
    coords = [xy(i, p.total) for i, p in enumerate(points)]
    if n > 1:
        out.append('<polyline fill="none" stroke="#08519c" stroke-width="2" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
    for i, ((x, y), p) in enumerate(zip(coords, points)):
        note = f" ({_t(lang, 'partial')})" if p.partial else ""
        r = 5 if p.current else 3.5
        fill = "#ffffff" if p.partial else "#08519c"
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" stroke="#08519c" stroke-width="2">'
                   f'<title>{escape(p.label)}: {fmt_int(p.total, lang)}{escape(note)}</title></circle>')
        bold = ' font-weight="bold"' if p.current else ""
        anchor, dx = ("middle", 0) if 0 < i < n - 1 or n == 1 else (("start", 8) if i == 0 else ("end", -8))
        out.append(f'<text x="{x + dx:.1f}" y="{y - 9:.1f}" text-anchor="{anchor}"{bold}>'
                   f'{fmt_int(p.total, lang)}</text>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle">{escape(p.label)}</text>')
    out.append("</g></svg>")
    return Markup("".join(out))


def series_points(rows: Iterable[tuple[str, Any, bool]]) -> list[Point]:
    """``[(label, releasable_frame, is_current)]`` → points (sorted by label) of visible totals."""
    pts = []
    for label, frame, current in rows:
        totals = area_totals(frame)
        partial = any(v is None for v in totals.values())
        counts = frame["count"]
        visible = int(sum(int(v) for v in counts if v is not None and str(v) != "<NA>"
                          and not (isinstance(v, float) and math.isnan(v))))
        pts.append(Point(str(label), visible, partial, current))
    return sorted(pts, key=lambda p: p.label)
