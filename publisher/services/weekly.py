"""The weekly routine of statistics staff (issue 17 item 1).  Read side only: nothing here writes state.

* ``series_choices`` / ``series_defaults``: "Reihe" is a choice; choosing one pre-fills the metadata of the
  series' newest version (not the period, not a correction reason) and the mapping the series remembers.
* ``area_codes_file``: the valid area codes with names and parents of a hierarchy version, as CSV (German
  Excel: UTF-8 with BOM, ``;``) or XLSX - staff see what "Gebietsschlüssel stehen nicht in der Hierarchie"
  refers to.
* ``upload_template``: an empty CSV in the series' remembered column layout, one row per area code.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from publisher.models import Series, Submission
from publisher.services import errors as E
from publisher.workflow import Role

STAFF = (Role.SUBMITTER, Role.APPROVER, Role.ADMIN)
# what a new period of a series takes over from the previous one (the period and a correction reason are new)
CARRIED_META = ("title", "description", "keywords", "source", "licence", "contact", "audience", "groups")
CODE_HEADER = ("Ebene", "Gebietsschlüssel", "Name", "Übergeordneter Schlüssel")


def _require_staff(actor, what: str) -> None:
    if actor is None or not getattr(actor, "active", False) or Role(actor.role) not in STAFF:
        raise E.forbidden_view(what)


def series_choices(c, actor) -> list[Series]:
    _require_staff(actor, "Reihe")
    return list(c.session.execute(select(Series).order_by(Series.title, Series.id)).scalars())


def get_series(c, actor, series_id: Any) -> Series:
    _require_staff(actor, "Reihe")
    try:
        s = c.session.get(Series, int(series_id))
    except (TypeError, ValueError):
        s = None
    if s is None:
        raise E.not_found("Reihe", series_id)
    return s


def series_defaults(c, actor, series_id: Any) -> dict[str, Any]:
    """``{"series", "meta", "mapping", "hierarchy"}`` for the upload form of a new period of the series."""
    s = get_series(c, actor, series_id)
    latest = c.session.execute(select(Submission).where(Submission.series_id == s.id)
                               .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(1)).scalar()
    v = latest.current_version if latest is not None else None
    meta = {k: (v.meta or {}).get(k) for k in CARRIED_META if (v.meta or {}).get(k) not in (None, "", [])} \
        if v is not None else {}
    meta.setdefault("title", s.title)
    return {"series": s, "meta": meta, "mapping": dict(s.mapping or {}),
            "hierarchy": v.hierarchy.name if v is not None else None}


def mapping_columns(mapping: dict) -> list[str]:
    """The file columns a remembered mapping names (area column, dimensions, count columns), in that order."""
    cols: list[str] = []
    for key in ("geo_column", "dimensions", "count_columns"):
        value = mapping.get(key)
        for col in ([value] if isinstance(value, str) else (value or [])):
            if isinstance(col, str) and col and col not in cols:
                cols.append(col)
    return cols


def _code_rows(c, h) -> list[dict]:
    from publisher.services import reference

    return reference.engine_hierarchy(c, h).rows()


def area_codes_file(c, actor, hierarchy_id: Any, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, file name, media type) of the code list of a hierarchy version; ``fmt``: csv or xlsx."""
    from publisher.services import reference

    _require_staff(actor, "Gebietsschlüssel")
    if fmt not in ("csv", "xlsx"):
        raise E.not_found("Format", fmt)
    try:
        h = reference.get_hierarchy(c, int(hierarchy_id))
    except (TypeError, ValueError):
        raise E.not_found("Hierarchie", hierarchy_id) from None
    rows = [(r["level"], r["code"], r.get("name") or "", r.get("parent") or "") for r in _code_rows(c, h)]
    name = f"gebietsschluessel-{h.name}-v{h.version}.{fmt}"
    if fmt == "csv":
        return _csv([CODE_HEADER, *rows]), name, "text/csv"
    return _xlsx(f"{h.name} v{h.version}", [CODE_HEADER, *rows]), name, \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_template(c, actor, series_id: Any) -> tuple[bytes, str]:
    """An empty upload table for the series: its remembered columns, one row per area code of its level."""
    from publisher.services import reference
    from publisher.services.intake import slugify

    s = get_series(c, actor, series_id)
    mapping = dict(s.mapping or {})
    cols = mapping_columns(mapping)
    if not cols:
        raise E.not_found("Zuordnung der Reihe", s.title)
    h = reference.resolve_hierarchy(c, None)
    codes = _code_rows(c, h)
    level = mapping.get("geo_level") or (h.levels[0] if h.levels else None)
    geo = mapping.get("geo_column")
    rows = [[r["code"] if col == geo else "" for col in cols] for r in codes if r["level"] == level] if geo else []
    return _csv([cols, *rows]), f"vorlage-{slugify(s.title)}.csv"


def _csv(rows: list) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _xlsx(title: str, rows: list) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for row in rows:
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCD", (14, 18, 40, 22)):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
