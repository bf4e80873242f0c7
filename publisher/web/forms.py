"""Reading the web forms into the plain dicts the services take (no validation here: services validate)."""
from __future__ import annotations

from flask import request

META_FIELDS = ("title", "description", "keywords", "reference_period", "source", "licence", "contact",
               "audience", "groups", "correction_reason", "themes", "frequency",
               "population")
MULTI = ("count_columns", "dimensions")  # text field (comma-separated) or a group of checkboxes (issue 17)
MAPPING_TEXT = ("geo_column", "geo_level", "count_columns", "dimensions", "layout", "wide_dimension", "sheet", "header_row",
                "subtotal_columns")


def metadata_from_form(partial: bool = False) -> dict:
    out = {}
    for name in META_FIELDS:
        value = request.form.get(name)
        if value is None and (partial or name in ("themes", "frequency")):
            continue
        out[name] = (value or "").strip()
    return out


def mapping_from_form() -> dict | None:
    """The mapping step; None when the form has no mapping fields (keep the remembered one)."""
    if not any(name in request.form for name in MAPPING_TEXT):
        return None
    m: dict = {}
    for name in MAPPING_TEXT:
        value = _joined(name) if name in MULTI else (request.form.get(name) or "").strip()
        if value:
            m[name] = value
    m["additive"] = request.form.get("additive") in ("1", "on", "true", "ja")
    if m.get("layout") == "wide" and request.form.get("columns_additive") in ("1", "on", "true", "ja"):
        m["columns_additive"] = True  # issue 13 item 6: columns are summed into the total only when stated
    return m


def _joined(name: str) -> str:
    return ", ".join(v.strip() for v in request.form.getlist(name) if v.strip())


def upload_from_form() -> tuple[bytes | None, str | None]:
    f = request.files.get("file")
    if f is None or not f.filename:
        return None, None
    return f.read(), f.filename


def form_values(mapping: dict | None = None, meta: dict | None = None) -> dict:
    """Values to prefill a form: the submitted form wins, then the given mapping/metadata."""
    values: dict = {}
    for src in (meta or {}, mapping or {}):
        for k, v in src.items():
            values[k] = ", ".join(v) if isinstance(v, list) else v
    for k in request.form:
        if k not in ("csrf_token", "password"):
            values[k] = _joined(k) if k in MULTI else request.form.get(k)
    if "additive" not in values:
        values["additive"] = True
    elif request.method == "POST" and "layout" in request.form:
        values["additive"] = request.form.get("additive") in ("1", "on", "true", "ja")
    return values
