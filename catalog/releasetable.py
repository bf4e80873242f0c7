"""The release-table file format, owned here and nowhere else.

A release table is the releasable table as the public sees it: UTF-8 CSV (RFC 4180, ``,``, ``\\r\\n``), header
``level,area,<dimensions...>,count`` and, for a correction, a last column ``revision``.  Used by every path
that writes or reads it: the web/API intake (the approved **artifact**), ``freigabe check`` on the command
line (``releasable.csv``), the data packages, the download area's previews and maps, the worker's re-check.
Same table + same options → the same bytes (and sha256) on every path.

DIN 55301 symbols, defined once:

* :data:`SECRET` ``.`` — "Zahlenwert unbekannt oder geheim zu halten": a suppressed count;
* :data:`NOTHING` ``-`` — "nichts vorhanden": a true zero when the office writes zeros as ``-``;
* :data:`REVISED` ``r`` in the column :data:`REVISION_COLUMN` — "berichtigte Zahl" (a correction).

Because ``.`` and ``-`` are read as null in every column of the package (``missingValues``), a category
labelled ``.`` or ``-`` cannot be published: :func:`symbol_categories` finds them so intake refuses the table.

**Two forms, one format.**  The *approved artifact* (what an approval's sha256 binds; intake, ``freigabe
check``, the worker's re-check) has the machine header above.  The *published* file (the data package's
data CSV in the download area and on CKAN, the Excel variant and the ``.xlsx``) is a pure function of the
artifact and the area names of the bound hierarchy version (:func:`publish`): German header
``ebene,gebietsschluessel,gebietsname,<dimensions...>,anzahl[,revision]`` (:data:`PUBLISHED_COLUMNS`), the area
name next to its code, the same rows, the same symbols.  :func:`to_artifact` turns a published file back
into the artifact's bytes (the worker compares them with the approved sha256 before anything leaves);
:func:`read_table` and :func:`read_rows` read both forms.  Human column titles: :func:`published_titles`.

Magnitude tables (``freigabe check --value-column``) share the format with an amount column instead of
``count``: :func:`write_magnitude_table`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .errors import TABLE_VALUE_INVALID, CatalogError, MetadataError

SECRET = "."
NOTHING = "-"
SYMBOLS = {
    SECRET: {
        "de": "Zahlenwert unbekannt oder geheim zu halten (aus Datenschutzgründen unterdrückt)",
        "en": "value unknown or kept secret (suppressed for data protection)",
    },
    NOTHING: {"de": "nichts vorhanden (genau null)", "en": "nothing (exactly zero)"},
}
#: revision mark of a correction (German official statistics: "r" = berichtigte Zahl)
REVISED = "r"
REVISION_SYMBOL = {
    "de": "berichtigte Zahl (gegenüber der korrigierten Version geändert oder neu)",
    "en": "revised figure (changed or new compared with the corrected version)",
}
REVISION_COLUMN = "revision"
STATUS_COLUMN = "status"
STATUSES = ("ok", "zero", "primary", "secondary")
RESERVED_COLUMNS = ("level", "area", "count", "status")
ZERO_SYMBOLS = ("0", NOTHING)
LINE_END = "\r\n"


def revision_key(level: Any, area: Any, dims: Mapping[str, Any]) -> tuple:
    """The key of a data-file cell as a correction's ``revised`` set holds it."""
    return str(level), str(area), tuple(sorted((str(k), str(v)) for k, v in dims.items()))


def dimensions_of(table: pd.DataFrame) -> list[str]:
    return [str(c) for c in table.columns if str(c) not in RESERVED_COLUMNS]


def symbol_categories(table: pd.DataFrame, columns: Iterable[str] | None = None) -> list[tuple[str, int, str]]:
    """(column, 0-based row, value) of every category label that is a DIN 55301 symbol (``.`` or ``-``)."""
    out = []
    for col in columns if columns is not None else dimensions_of(table):
        values = table[col].astype(str).str.strip()
        for i in values.index[values.isin([SECRET, NOTHING])]:
            out.append((str(col), int(table.index.get_loc(i)), str(values[i])))
    return out


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def _writer(buf: io.StringIO):
    return csv.writer(buf, lineterminator=LINE_END)  # RFC 4180; also makes the writer quote CR in cells


def count_cell(raw: Any, status: str | None, zero_symbol: str, row_no: int) -> str:
    """The published text of one count: the number, ``.`` (suppressed) or the zero symbol.

    Raises :class:`CatalogError` (``catalog.table.value_invalid``) for a value that cannot be published."""

    def bad(column: str, value: str, reason: str) -> CatalogError:
        return CatalogError(TABLE_VALUE_INVALID, table="data", row=row_no, column=column, value=value,
                            reason=reason)

    if status is not None and status not in STATUSES:
        raise bad("status", status, "ok/zero/primary/secondary")
    if raw is None or pd.isna(raw):
        if status in ("ok", "zero"):
            raise bad("count", "NA", f"status {status} braucht eine Zahl / needs a number")
        return SECRET
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise bad("count", str(raw), "keine ganze Zahl / not an integer") from None
    if n != raw or n < 0:
        raise bad("count", str(raw), "keine ganze Zahl ≥ 0 / not an integer ≥ 0")
    if status in ("primary", "secondary"):
        return SECRET  # never publish a value the rules suppressed, whatever the frame says
    return zero_symbol if n == 0 else str(n)


def write_table(
    table: pd.DataFrame,
    *,
    zero_symbol: str = "0",
    revised: frozenset[tuple] | None = None,
    with_status: bool = False,
) -> bytes:
    """The release table's bytes.  ``revised`` (a correction): add the column ``revision`` with ``r`` on
    those cells; ``with_status``: add the internal ``status`` column (only for ``freigabe check
    --status-column``; never published).  Raises :class:`MetadataError` listing every bad cell."""
    problems: list[CatalogError] = []
    if zero_symbol not in ZERO_SYMBOLS:
        raise MetadataError([CatalogError(TABLE_VALUE_INVALID, table="data", row=0, column="count",
                                          value=zero_symbol, reason="'0' oder '-' / '0' or '-'")])
    dims = dimensions_of(table)
    for col in ("level", "area", "count"):
        if col not in table.columns:
            from .errors import TABLE_COLUMN_MISSING

            problems.append(CatalogError(TABLE_COLUMN_MISSING, table="data", column=col))
    if problems:
        raise MetadataError(problems)
    buf = io.StringIO()
    w = _writer(buf)
    extra = ([REVISION_COLUMN] if revised is not None else []) + ([STATUS_COLUMN] if with_status else [])
    w.writerow(["level", "area", *dims, "count", *extra])
    statuses = table[STATUS_COLUMN].tolist() if STATUS_COLUMN in table.columns else [None] * len(table)
    cols = {c: table[c].tolist() for c in ["level", "area", *dims, "count"]}
    for i in range(len(table)):
        status = _text(statuses[i]) or None
        try:
            cell = count_cell(cols["count"][i], status, zero_symbol, i + 2)  # header is line 1
        except CatalogError as exc:
            problems.append(exc)
            continue
        row = [_text(cols["level"][i]), _text(cols["area"][i]), *(_text(cols[d][i]) for d in dims), cell]
        if revised is not None:
            key = revision_key(row[0], row[1], dict(zip(dims, row[2 : 2 + len(dims)])))
            row.append(REVISED if key in revised else "")
        if with_status:
            row.append(status or "")
        w.writerow(row)
    if problems:
        raise MetadataError(problems)
    return buf.getvalue().encode("utf-8")


def write_magnitude_table(table: pd.DataFrame, value_column: str, with_status: bool = False) -> bytes:
    """A magnitude table (amounts): level, area, dimensions…, the value (``.`` where suppressed)[, status]."""
    cols = [c for c in table.columns if c not in (value_column, STATUS_COLUMN)]
    buf = io.StringIO()
    w = _writer(buf)
    w.writerow([*cols, value_column, *([STATUS_COLUMN] if with_status else [])])
    values = table[value_column].to_numpy(dtype=object)
    statuses = table[STATUS_COLUMN].astype(str).tolist() if STATUS_COLUMN in table.columns else [""] * len(table)
    data = {c: table[c].tolist() for c in cols}
    for i in range(len(table)):
        x = values[i]
        text = SECRET if pd.isna(x) else (f"{int(x)}" if float(x).is_integer() else repr(float(x)))
        w.writerow([_text(data[c][i]) for c in cols] + [text] + ([statuses[i]] if with_status else []))
    return buf.getvalue().encode("utf-8")


def write_codelist(codelist: pd.DataFrame, cols: list[str]) -> bytes:
    """The geography code list of a package (same CSV conventions)."""
    buf = io.StringIO()
    w = _writer(buf)
    w.writerow(cols)
    values = {c: codelist[c].tolist() for c in cols}
    for i in range(len(codelist)):
        w.writerow([_text(values[c][i]) for c in cols])
    return buf.getvalue().encode("utf-8")


class TableFormatError(ValueError):
    """The bytes are not a release table (header or a value unreadable)."""


def read_table(data: bytes) -> pd.DataFrame:
    """A release table back into the releasable frame layout: ``count`` nullable Int64 (NA where ``.``),
    ``status`` (``primary`` for ``.`` — the public file does not say which kind —, ``zero``, ``ok``); a
    ``revision`` column is dropped.  Raises :class:`TableFormatError`."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    if rows and is_published(rows[0]):
        rows = read_rows(to_artifact(data))
    header = rows[0] if rows else []
    if header and header[-1] == REVISION_COLUMN:
        rows = [r[:-1] for r in rows]
        header = rows[0]
    if not header or header[:2] != ["level", "area"] or header[-1] != "count":
        raise TableFormatError("header")
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    counts = frame["count"].astype(str)
    status = pd.Series("ok", index=frame.index, dtype=object)
    status[counts == SECRET] = "primary"
    status[counts == NOTHING] = "zero"
    numeric = pd.to_numeric(counts.where(~counts.isin([SECRET, NOTHING])), errors="coerce")
    if numeric.isna().sum() != counts.isin([SECRET, NOTHING]).sum():  # "-" is a zero, not an unreadable value
        raise TableFormatError("value")
    frame["count"] = numeric.where(counts != NOTHING, 0).astype("Int64")
    frame["status"] = status.where(~((status == "ok") & (frame["count"] == 0)), "zero")
    return frame


def read_rows(data: bytes) -> list[list[str]]:
    """The table as rows of text (header first), for previews."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- the published (German) form ----------------------------------------------------------------------------
PUB_LEVEL, PUB_AREA, PUB_NAME, PUB_COUNT = "ebene", "gebietsschluessel", "gebietsname", "anzahl"
PUBLISHED_COLUMNS = (PUB_LEVEL, PUB_AREA, PUB_NAME, PUB_COUNT)
#: machine column → German title (Excel, the package schema's titles)
PUBLISHED_TITLES = {PUB_LEVEL: "Gebietsebene", PUB_AREA: "Gebietsschlüssel", PUB_NAME: "Gebietsname",
                    PUB_COUNT: "Anzahl", REVISION_COLUMN: "Revisionskennzeichen"}
_TO_ARTIFACT = {PUB_LEVEL: "level", PUB_AREA: "area", PUB_COUNT: "count"}


def is_published(header: list[str]) -> bool:
    return header[:3] == [PUB_LEVEL, PUB_AREA, PUB_NAME]


def _csv_bytes(rows: Iterable[list[str]]) -> bytes:
    buf = io.StringIO()
    w = _writer(buf)
    for row in rows:
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


def _published(header: list[str], body: Iterable[list[str]], names: Mapping[tuple[str, str], str] | None):
    if is_published(header):
        return list(header), body
    if header[:2] != ["level", "area"] or "count" not in header:
        raise TableFormatError("header")
    names = names or {}
    out = [PUB_LEVEL, PUB_AREA, PUB_NAME] + [PUB_COUNT if h == "count" else h for h in header[2:]]
    return out, ([r[0], r[1], names.get((r[0], r[1]), ""), *r[2:]] for r in body)


def published_rows(data: bytes, names: Mapping[tuple[str, str], str] | None = None):
    """``(header, rows)`` of a release table in the published form (``names``: (level, code) → name, used
    when ``data`` is an artifact).  Raises :class:`TableFormatError`."""
    rows = read_rows(data)
    if not rows:
        raise TableFormatError("header")
    header, body = _published(rows[0], rows[1:], names)
    return header, list(body)


def publish(artifact: bytes, names: Mapping[tuple[str, str], str]) -> bytes:
    """The published file of an artifact (optionally with a ``revision`` column): German header and the
    area name (from ``names``, (level, code) → name; empty when unknown) after the code; rows unchanged."""
    header, rows = published_rows(artifact, names)
    return _csv_bytes([header, *rows])


def to_artifact(published: bytes) -> bytes:
    """The approved-artifact bytes inside a published file (area names and ``revision`` dropped)."""
    rows = read_rows(published)
    if not rows or not is_published(rows[0]):
        raise TableFormatError("header")
    keep = [i for i, h in enumerate(rows[0]) if h not in (PUB_NAME, REVISION_COLUMN)]
    head = [_TO_ARTIFACT.get(rows[0][i], rows[0][i]) for i in keep]
    return _csv_bytes([head, *([r[i] for i in keep] for r in rows[1:])])


PUB_PARENT = "uebergeordnet"
_CODELIST = {"level": PUB_LEVEL, "code": PUB_AREA, "name": PUB_NAME, "parent": PUB_PARENT}


def publish_codelist(codelist_csv: bytes) -> bytes:
    """A code list (``level,code[,name][,parent]``) with the published German header."""
    rows = read_rows(codelist_csv)
    if not rows:
        return codelist_csv
    return _csv_bytes([[_CODELIST.get(h, h) for h in rows[0]], *rows[1:]])


PERIOD_COLUMN, VERSION_COLUMN = "zeitraum", "version"
PUBLISHED_TITLES_SERIES = {PERIOD_COLUMN: "Zeitraum", VERSION_COLUMN: "Version"}


def time_series(parts: Iterable[tuple[str, str, bytes]]) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of a time series: the published files of its periods (``(period, version,
    published bytes)``, in order) one below the other, each row led by ``zeitraum`` and ``version``; the
    header is the union of the periods' columns (``ebene, gebietsschluessel, gebietsname``, the dimensions in
    order of appearance, ``anzahl``, ``revision`` if any period has it); a column a period lacks stays empty."""
    loaded = []
    dims: list[str] = []
    revision = False
    for period, version, data in parts:
        header, rows = published_rows(data)
        loaded.append((period, version, header, rows))
        for h in header[3:]:
            if h == REVISION_COLUMN:
                revision = True
            elif h != PUB_COUNT and h not in dims:
                dims.append(h)
    columns = [PUB_LEVEL, PUB_AREA, PUB_NAME, *dims, PUB_COUNT] + ([REVISION_COLUMN] if revision else [])
    out = []
    for period, version, header, rows in loaded:
        index = [header.index(c) if c in header else None for c in columns]
        for r in rows:
            out.append([period, version, *("" if i is None else r[i] for i in index)])
    return [PERIOD_COLUMN, VERSION_COLUMN, *columns], out


def write_time_series(parts: Iterable[tuple[str, str, bytes]]) -> bytes:
    """The time series as CSV (same conventions as the release table; see :func:`time_series`)."""
    header, rows = time_series(parts)
    return _csv_bytes([header, *rows])


def published_titles(header: list[str], dimension_titles: Mapping[str, str] | None = None) -> list[str]:
    """German column titles of a published header (dimensions: their titles, else their names)."""
    dims = dimension_titles or {}
    return [PUBLISHED_TITLES.get(h) or PUBLISHED_TITLES_SERIES.get(h) or dims.get(h) or h for h in header]


def strip_revision_column(data: bytes) -> bytes:
    """A correction's table without its last column ``revision``: must be the approved artifact."""
    rows = read_rows(data)
    if rows and is_published(rows[0]):
        return to_artifact(data)
    if not rows or rows[0][-1] != REVISION_COLUMN:
        return data
    buf = io.StringIO()
    w = _writer(buf)
    for row in rows:
        w.writerow(row[:-1])
    return buf.getvalue().encode("utf-8")
