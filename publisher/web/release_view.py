"""What a citizen or journalist reads on a release page (issue 17 item 3), presentation only:

* :func:`wide_preview` - the published table as areas x categories (area name next to its code), the
  DIN 55301 symbols that occur in it (for the legend), from the published bytes of the data file and its
  code list; reads both forms of the release table (the artifact's ``level,area,...,count`` and the published
  German ``ebene,gebietsschluessel,gebietsname,...,anzahl``);
* :func:`version_history` - the versions of the series the page's audience may read, with a note each;
* :func:`level_label`, :func:`licence_label` - labels instead of internal keys (``stadtteil``, ``dl-de/by-2-0``).
"""
from __future__ import annotations

import csv
import io
from typing import Any

from publisher.i18n import N_

LEVEL_LABELS = {"baublock": N_("Baublock"), "stadtteil": N_("Stadtteil"), "stadtbezirk": N_("Stadtbezirk"),
                "stadt": N_("Gesamtstadt"), "bezirk": N_("Bezirk"), "ortsteil": N_("Ortsteil"),
                "statistischer_bezirk": N_("Statistischer Bezirk"), "planungsraum": N_("Planungsraum")}
MAX_AREAS = 50       # rows of the wide preview
MAX_CATEGORIES = 12  # columns of the wide preview; more: the long preview
_LEVEL = ("level", "ebene")
_AREA = ("area", "gebietsschluessel")
_NAME = ("gebietsname", "name")
_COUNT = ("count", "anzahl")
_SKIP = ("status", "revision")


def level_label(level: str | None) -> str:
    """A hierarchy level's label (``stadtteil`` -> "Stadtteil"); an unknown key as words ("ortsteil_alt" ->
    "Ortsteil Alt")."""
    from publisher.i18n import gettext

    if not level:
        return ""
    return gettext(LEVEL_LABELS[level]) if level in LEVEL_LABELS else level.replace("_", " ").title()


def licence_label(key: str | None) -> tuple[str, str]:
    """(title, URL of the licence text) of a licence key; the key itself when it is not known."""
    from catalog.licences import licence
    from catalog.errors import MetadataError

    if not key:
        return "", ""
    try:
        lic = licence(key)
    except MetadataError:
        return key, ""
    return lic.title, lic.url


def _rows(data: bytes | None) -> list[list[str]]:
    if not data:
        return []
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def code_names(codelist: bytes | None) -> dict[tuple[str, str], str]:
    """(level, code) -> name from a release's code list (``level,code,name[,parent]``)."""
    rows = _rows(codelist)
    if not rows or "code" not in rows[0] or "name" not in rows[0]:
        return {}
    h = rows[0]
    li, ci, ni = (h.index("level") if "level" in h else None), h.index("code"), h.index("name")
    return {((r[li] if li is not None else ""), r[ci]): r[ni] for r in rows[1:] if len(r) == len(h)}


def _title(column: str) -> str:
    """A dimension column as a heading: ``aufenthaltsstatus`` -> "Aufenthaltsstatus"."""
    return column[:1].upper() + column[1:].replace("_", " ")


def _index(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((header.index(n) for n in names if n in header), None)


def wide_preview(data: bytes | None, codelist: bytes | None = None) -> dict[str, Any] | None:
    """``{"levels", "dimensions", "categories", "rows": [{"code", "name", "cells"}], "areas", "shown",
    "symbols": {".", "-", "r"} found}``; None when the bytes are not a release table or the table has too many
    categories to read across (the long preview is shown instead)."""
    rows = _rows(data)
    if not rows:
        return None
    header = rows[0]
    li, ai, ci, ni = _index(header, _LEVEL), _index(header, _AREA), _index(header, _COUNT), _index(header, _NAME)
    if ai is None or ci is None:
        return None
    ri = header.index("revision") if "revision" in header else None
    dims = [i for i, h in enumerate(header) if i not in (li, ai, ci, ni, ri) and h not in _SKIP]
    # a dimension with one value in the whole table (the month of a monthly table) is said once, not per column
    fixed = [(header[i], rows[1][i]) for i in dims if len(rows) > 1 and len({r[i] for r in rows[1:] if len(r) > i}) == 1]
    dims = [i for i in dims if header[i] not in dict(fixed)]
    names = code_names(codelist)
    categories: list[str] = []
    areas: dict[tuple[str, str], dict] = {}
    symbols: set[str] = set()
    for r in rows[1:]:
        if len(r) != len(header):
            return None
        level = r[li] if li is not None else ""
        cat = " · ".join(r[i] for i in dims)
        if cat not in categories:
            categories.append(cat)
            if len(categories) > MAX_CATEGORIES:
                return None
        value = r[ci]
        revised = ri is not None and r[ri] == "r"
        if value in (".", "-"):
            symbols.add(value)
        if revised:
            symbols.add("r")
        name = (r[ni] if ni is not None else "") or names.get((level, r[ai]), "") or names.get(("", r[ai]), "")
        area = areas.setdefault((level, r[ai]), {"code": r[ai], "name": name, "level": level, "cells": {}})
        area["cells"][cat] = {"text": value, "revised": revised}
    levels = list(dict.fromkeys(a["level"] for a in areas.values() if a["level"]))
    shown = list(areas.values())[:MAX_AREAS]
    for a in shown:
        a["cells"] = [a["cells"].get(cat) for cat in categories]
    return {"levels": levels, "level_labels": [level_label(x) for x in levels],
            "dimensions": [_title(header[i]) for i in dims], "fixed": [(_title(k), v) for k, v in fixed],
            "categories": categories, "rows": shown,
            "areas": len(areas), "shown": len(shown), "symbols": symbols,
            "has_names": any(a["name"] for a in shown)}


def version_history(c, viewer, rel) -> list[dict[str, Any]]:
    """The versions of ``rel``'s series that both the viewer and every reader of ``rel`` may read (issue 14:
    one audience never learns about another), oldest first: version, period, publication time, note, link."""
    from catalog.storage import _version_sort_key
    from publisher.i18n import gettext as _
    from publisher.models import Submission
    from publisher.services import downloads
    from publisher.services.audience import covers

    me = (rel.audience, frozenset(rel.groups) if rel.audience == "restricted" else frozenset())
    out: list[dict[str, Any]] = []
    seen: dict[str, str] = {}  # period -> last version label
    rows = [r for r in downloads._releases(c) if r.topic == rel.topic and r.series == rel.series
            and downloads.may_see(viewer, r)
            and covers(me, (r.audience, frozenset(r.groups) if r.audience == "restricted" else frozenset()))]
    for r in sorted(rows, key=lambda r: _version_sort_key(r.version)):
        sub = c.session.get(Submission, r.submission_id)
        meta = (sub.current_version.meta if sub is not None and sub.current_version is not None else None) or {}
        period = str(meta.get("reference_period") or "")
        if period and period in seen:
            reason = str(meta.get("correction_reason") or "").strip() or _("ohne Angabe eines Grundes")
            note = _("Korrektur von Version {version}: {reason}", version=seen[period], reason=reason)
        else:
            note = _("Neuer Bezugszeitraum {period}", period=period) if period else _("Erste Veröffentlichung")
        if r.withdrawn:
            note += " " + _("(zurückgezogen)")
        seen[period] = r.version
        out.append({"version": r.version, "period": period, "published_at": r.published_at, "note": note,
                    "submission_id": r.submission_id, "current": r.submission_id == rel.submission_id,
                    "withdrawn": r.withdrawn})
    return out
