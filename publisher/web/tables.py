"""View models for tables on the review pages (presentation only; nothing here writes state).

``raw_table_view`` shows the submitted table (restricted: the raw bytes come from
``queries.raw_bytes``, which checks that the user may see them) with cells below the rule set's
minimum count highlighted; ``approve_refusal`` explains why the approve button is disabled.
"""
from __future__ import annotations

import re
from typing import Any

from publisher.i18n import N_

MAX_ROWS = 500
OWN_SUBMISSION = N_("Vier-Augen-Prinzip: Sie haben diese Einreichung selbst erstellt und dürfen sie nicht prüfen "
                    "oder freigeben.")
_NUM = re.compile(r"^-?\d{1,3}(\.\d{3})+$|^-?\d+$")


def _read_table_file():
    """The engine's reader (``disclosure_rules.read_table_file``; the module path while it is not re-exported)."""
    try:
        from disclosure_rules import read_table_file
    except ImportError:
        from disclosure_rules.readers import read_table_file
    return read_table_file


def parse_count(text: Any) -> int | None:
    """German-formatted whole numbers ("1.234", "12") → int; anything else → None."""
    if text is None:
        return None
    s = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if not _NUM.match(s):
        return None
    return int(s.replace(".", ""))


def _min_count(version) -> int:
    fp = version.rule_fingerprint or {}
    for key in ("min_count", "mindestfallzahl"):
        if isinstance(fp.get(key), int):
            return fp[key]
    return 3


def _zeros_disclosive(version) -> bool:
    return bool((version.rule_fingerprint or {}).get("zeros_are_disclosive", False))


def raw_table_view(c, user, data: dict) -> dict:
    """``{"columns", "rows": [[{"text", "flag"}]], "total", "min_count", "error"}``."""
    from publisher.i18n import current_lang
    from publisher.services import queries
    from publisher.services.errors import ServiceError

    version = data["version"]
    view: dict[str, Any] = {"columns": [], "rows": [], "total": 0, "min_count": _min_count(version),
                            "error": None}
    if not data.get("raw_available"):
        return view
    try:
        raw, filename = queries.raw_bytes(c, user, version.id, purpose="review_page")
    except ServiceError as exc:
        view["error"] = exc.message(current_lang())
        return view
    try:
        mapping = version.mapping or {}
        table = _read_table_file()(raw, filename=filename, sheet=mapping.get("sheet"),
                                header_row=mapping.get("header_row"))
        frame = table.frame
    except Exception as exc:  # unreadable file or engine not available: show the reason, not a 500
        from disclosure_rules.findings import InputError

        view["error"] = exc.message(current_lang())[:1000] if isinstance(exc, InputError) \
            else type(exc).__name__
        return view
    geo = mapping.get("geo_column")
    dims = set(mapping.get("dimensions") or [])
    count_cols = set(mapping.get("count_columns") or [])
    columns = [str(col) for col in frame.columns]
    if not count_cols:
        shown = frame.head(MAX_ROWS)
        count_cols = {col for col in columns if col != geo and col not in dims
                      and shown[col].map(lambda v: parse_count(v) is not None or str(v).strip() in ("", "-", "."))
                      .all()}
    threshold, zeros = view["min_count"], _zeros_disclosive(version)
    index = _failing_index(data.get("report"), columns) if geo in columns else None
    view["source"] = "engine" if index is not None else "threshold"
    long_dims = index[0] if index is not None else []
    rows = []
    for values in frame.head(MAX_ROWS).itertuples(index=False, name=None):
        cells = dict(zip(columns, values))
        key = (str(cells.get(geo)),) + tuple(str(cells.get(d)) for d in long_dims) if index is not None else None
        row = []
        for col, value in zip(columns, values):
            text = "" if value is None else str(value)
            flag = None
            if col in count_cols:
                if index is not None:  # the engine's own list of failing cells at the submitted level
                    if (key, None) in index[1] or (key, col) in index[1]:
                        flag = "below"
                else:
                    n = parse_count(text)
                    if n is not None and (0 < n < threshold or (zeros and n == 0)):
                        flag = "below"
            row.append({"text": text, "flag": flag, "numeric": col in count_cols})
        rows.append(row)
    view.update(columns=columns, rows=rows, total=len(frame))
    return view


def _failing_index(report, columns: list[str]):
    """``(long_dims, {(key, column_or_None)})`` of the engine's failing cells, or None when not listed.

    Long tables: every dimension of a failing cell is a column of the file → the whole row's count is
    flagged.  Wide tables: one dimension is not a column; its value names the count column to flag."""
    from publisher.web.presenters import failing_cells

    fails = failing_cells(report)
    if fails is None:
        return None
    dims = [k for k in (fails[0] if fails else {}) if k not in ("area", "count")]
    long_dims = [d for d in dims if d in columns]
    wide_dims = [d for d in dims if d not in columns]
    if len(wide_dims) > 1:
        return None
    index = set()
    for f in fails:
        key = (str(f.get("area")),) + tuple(str(f.get(d)) for d in long_dims)
        index.add((key, str(f.get(wide_dims[0])) if wide_dims else None))
    return long_dims, index


def approve_refusal(c, user, submission) -> str | None:
    """None when ``user`` may approve now; otherwise the reason (German/English) shown next to the button."""
    from publisher.i18n import current_lang
    from publisher.i18n import gettext as _
    from publisher.services.errors import Forbidden, ServiceError
    from publisher.workflow import _is_author, check_user_can

    if _is_author(user, submission):
        return _(OWN_SUBMISSION)
    try:
        check_user_can("approve", user, submission, c.settings)
    except (Forbidden, ServiceError) as exc:
        return exc.message(current_lang())
    v = submission.current_version
    if v is None or v.outcome != "publishable" or not v.artifact_sha256:
        return _("Die Tabelle kann auf keiner Ebene veröffentlicht werden.")
    return None


def file_columns(data: bytes | None, filename: str | None, mapping: dict | None) -> list[str]:
    """Column names of an uploaded file (for the mapping step); [] when it cannot be read."""
    if not data:
        return []
    try:
        read_table_file = _read_table_file()
        m = mapping or {}
        header_row = m.get("header_row")
        try:
            header_row = int(header_row) if header_row not in (None, "") else None
        except (TypeError, ValueError):
            header_row = None
        raw = read_table_file(bytes(data), filename=filename, sheet=m.get("sheet") or None, header_row=header_row)
        return [str(c) for c in raw.frame.columns][:200]
    except Exception:  # noqa: BLE001 - the check itself reports what is wrong with the file
        return []
