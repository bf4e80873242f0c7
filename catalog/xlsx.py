"""Excel workbooks (``.xlsx``) of published tables: one sheet per table plus the sheet "Hinweise".

The contract other modules build on (release workbooks here and in :mod:`catalog.targets`, report
workbooks with one sheet per table):

* :class:`XlsxSheet` — a table: sheet ``title`` (sanitised to Excel's rules: at most 31 characters, none of
  ``[]:*?/\\``, unique in the workbook), ``header``, ``rows`` (any iterable, read once, so a generator keeps
  memory flat) and ``numeric_columns`` (header names whose ``int`` values are written as numbers with a
  thousands format; everything else is text);
* :class:`XlsxNotes` — the sheet "Hinweise": a ``title`` and label/value pairs (Geheimhaltung, DIN 55301
  symbols, source, publisher, licence, version, publication date…);
* :func:`build_workbook` — the workbook's bytes, **deterministic**: the same input gives the same bytes
  (fixed document timestamps, fixed zip entry times), so a sha256 of it can be bound and re-checked;
* :func:`release_table_sheet` — a release table (:mod:`catalog.releasetable`, published or approved form)
  as an :class:`XlsxSheet` with German headers and area names.

Safety: every text cell is stored as a string (``t="s"``/inline), never as a formula, whatever its first
character (``=``, ``+``, ``-``, ``@``): openpyxl would otherwise turn ``=…`` into a formula.  The DIN 55301
symbols ``.`` (secret) and ``-`` (nothing) are text cells.  Written in openpyxl's write-only mode (rows are
streamed), so large tables do not build a cell object tree.
"""

from __future__ import annotations

import io
import itertools
from copy import copy
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

#: the workbook's fixed document timestamps (creation and modification): the bytes must not depend on "now"
FIXED_TIME = datetime(2000, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
NOTES_TITLE = "Hinweise"
COUNT_FORMAT = "#,##0"
MAX_TITLE = 31
_BAD_TITLE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_WIDTH_SAMPLE = 500  # rows looked at to size the columns
_MAX_WIDTH = 60


@dataclass(frozen=True)
class XlsxSheet:
    title: str
    header: list[str]
    rows: Iterable[Sequence[str | int | None]]
    numeric_columns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class XlsxNotes:
    title: str
    lines: list[tuple[str, str]]


def sheet_title(title: str, taken: Iterable[str] = ()) -> str:
    """``title`` as a valid, unique sheet name (≤ 31 characters, no ``[]:*?/\\``, not empty, not
    starting or ending with an apostrophe; a clash gets `` (2)``, `` (3)``…; case-insensitive like Excel)."""
    base = _BAD_TITLE.sub(" ", str(title or "")).strip().strip("'").strip() or "Tabelle"
    base = re.sub(r"\s+", " ", base)[:MAX_TITLE].strip()
    used = {t.casefold() for t in taken}
    name, n = base, 1
    while name.casefold() in used:
        n += 1
        suffix = f" ({n})"
        name = base[: MAX_TITLE - len(suffix)].rstrip() + suffix
    return name


def _text_cell(ws, value: str, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # never a formula, whatever the first character
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


class _Cells:
    """Cell factory of one sheet: plain strings go to openpyxl as they are (stored as strings) unless
    openpyxl would read them as a formula (``=``) or an error code (``#``): those become explicit string
    cells.  Numbers share one prepared style (thousands format), symbols in number columns align right."""

    def __init__(self, ws):
        self.ws = ws
        proto = WriteOnlyCell(ws, value=0)
        proto.number_format = COUNT_FORMAT
        self.number_style = proto._style
        right = _text_cell(ws, ".", alignment=Alignment(horizontal="right"))
        self.right_style = right._style

    def number(self, n: int):
        cell = WriteOnlyCell(self.ws, value=n)
        cell._style = copy(self.number_style)
        return cell

    def __call__(self, value, numeric: bool):
        if value is None:
            return None
        if numeric:
            if isinstance(value, int) and not isinstance(value, bool):
                return self.number(value)
            if isinstance(value, str) and value.isdigit():
                return self.number(int(value))
            cell = _text_cell(self.ws, str(value))
            cell._style = copy(self.right_style)
            return cell
        text = str(value)
        if text.startswith(("=", "#")):
            return _text_cell(self.ws, text)
        return text


def _widths(header: Sequence[str], sample: Sequence[Sequence]) -> list[float]:
    out = []
    for i, h in enumerate(header):
        longest = max([len(str(h))] + [len(str(r[i])) for r in sample if i < len(r) and r[i] is not None])
        out.append(min(_MAX_WIDTH, longest + 2))
    return out


def _table_sheet(wb: Workbook, sheet: XlsxSheet, title: str) -> None:
    ws = wb.create_sheet(title)
    header = [str(h) for h in sheet.header]
    rows = iter(sheet.rows)
    sample = list(itertools.islice(rows, _WIDTH_SAMPLE))
    for i, width in enumerate(_widths(header, sample), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    numeric = [h in sheet.numeric_columns for h in header]
    bold = Font(bold=True)
    ws.append([_text_cell(ws, h, font=bold) for h in header])
    cell = _Cells(ws)
    for row in itertools.chain(sample, rows):
        ws.append([cell(v, numeric[i] if i < len(numeric) else False) for i, v in enumerate(row)])


def _notes_sheet(wb: Workbook, notes: XlsxNotes, title: str) -> None:
    ws = wb.create_sheet(title)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append([_text_cell(ws, notes.title, font=Font(bold=True, size=13))])
    ws.append([])
    for label, value in notes.lines:
        ws.append([_text_cell(ws, str(label), font=Font(bold=True), alignment=Alignment(vertical="top")),
                   _text_cell(ws, str(value), alignment=wrap)])


def build_workbook(sheets: Sequence[XlsxSheet], notes: XlsxNotes) -> bytes:
    """The workbook: the table sheets in order, then "Hinweise"; deterministic bytes."""
    wb = Workbook(write_only=True)
    taken: list[str] = []
    for sheet in sheets:
        title = sheet_title(sheet.title, taken)
        taken.append(title)
        _table_sheet(wb, sheet, title)
    _notes_sheet(wb, notes, sheet_title(NOTES_TITLE, taken))
    wb.properties.creator = "Freigabe"
    wb.properties.title = notes.title[:255]
    wb.properties.created = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _normalised(buf.getvalue())


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _normalised(data: bytes) -> bytes:
    """Rewrite the zip with fixed entry times and the fixed modification time (openpyxl stamps "now")."""
    fixed = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(rb"\g<1>" + fixed + rb"\g<2>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            dst.writestr(entry, body)
    return out.getvalue()


def release_table_sheet(data: bytes, title: str, names: Mapping[tuple[str, str], str] | None = None,
                        dimension_titles: Mapping[str, str] | None = None) -> XlsxSheet:
    """A release table (published CSV, or the approved artifact plus ``names`` (level, code) → name) as a
    sheet with the German column titles of :func:`catalog.releasetable.published_titles`."""
    from . import releasetable

    header, rows = releasetable.published_rows(data, names)
    titles = releasetable.published_titles(header, dimension_titles)
    count = titles[header.index(releasetable.PUB_COUNT)]
    return XlsxSheet(title=title, header=titles, rows=rows, numeric_columns=frozenset({count}))


# --- the workbook of one release ----------------------------------------------------------------------------

DATA_TITLE = "Daten"


def _german_date(text: str) -> str:
    try:
        return datetime.strptime(str(text)[:10], "%Y-%m-%d").strftime("%d.%m.%Y")
    except ValueError:
        return str(text or "")


def release_notes(descriptor: Mapping) -> XlsxNotes:
    """The sheet "Hinweise" of a release, from its data package descriptor (all bound by the approval)."""
    from .releasetable import NOTHING, REVISED, SECRET

    d, dcat = descriptor, descriptor.get("dcat") or {}
    symbols = d.get("symbols") or {}
    publisher = next((c for c in d.get("contributors") or [] if c.get("role") == "publisher"), {})
    contact = next((c for c in d.get("contributors") or [] if c.get("role") == "contact"), {})
    lic = (d.get("licenses") or [{}])[0]
    temporal = dcat.get("temporal") or {}
    lines = [
        ("Titel", str(d.get("title") or "")),
        ("Berichtszeitraum", str(dcat.get("period") or "") or
         f"{_german_date(temporal.get('start', ''))} – {_german_date(temporal.get('end', ''))}"),
        ("Version", str(d.get("version") or "")),
        ("Veröffentlicht am", _german_date(d.get("created") or "")),
        ("Geheimhaltung", str((d.get("publicStatement") or {}).get("de") or "")),
        ("Zeichen „.“", f"{SECRET} = " + str((symbols.get(SECRET) or {}).get("de") or "")),
        ("Zeichen „-“", f"{NOTHING} = " + str((symbols.get(NOTHING) or {}).get("de") or "")),
    ]
    if REVISED in symbols:
        lines.append(("Kennzeichen „r“", f"{REVISED} = " + str(symbols[REVISED].get("de") or "")))
    sources = "; ".join(str(s.get("title") or "") for s in d.get("sources") or [] if s.get("title"))
    lines += [
        ("Quelle", sources or str(publisher.get("title") or "")),
        ("Herausgeber", str(publisher.get("title") or "") + (f" <{publisher['email']}>" if publisher.get("email")
                                                             else "")),
        ("Kontakt", str(contact.get("title") or "") + (f" <{contact['email']}>" if contact.get("email") else "")),
        ("Lizenz", " – ".join(str(lic[k]) for k in ("title", "path") if lic.get(k))),
    ]
    if dcat.get("versionNotes"):
        lines.append(("Versionshinweis", str(dcat["versionNotes"])))
    if dcat.get("landingPage"):
        lines.append(("Internetseite", str(dcat["landingPage"])))
    return XlsxNotes(str(d.get("title") or ""), lines)


def dimension_titles(descriptor: Mapping) -> dict[str, str]:
    fields = ((descriptor.get("resources") or [{}])[0].get("schema") or {}).get("fields") or []
    return {str(f.get("name")): str(f.get("title") or f.get("name")) for f in fields}


def release_workbook(descriptor: Mapping, data_csv: bytes) -> bytes:
    """The ``.xlsx`` of a release: sheet "Daten" (German titles, area names, counts as numbers, ``.``/``-``
    as text) and "Hinweise"; a deterministic function of the package's descriptor and data file.  The
    result is read back and compared with the data file (:func:`check_workbook`) before it is returned."""
    sheet = release_table_sheet(data_csv, DATA_TITLE, dimension_titles=dimension_titles(descriptor))
    data = build_workbook([sheet], release_notes(descriptor))
    check_workbook(data, data_csv)
    return data


class WorkbookMismatch(ValueError):
    """The workbook's data sheet is not exactly the published table."""


def check_workbook(xlsx: bytes, data_csv: bytes) -> None:
    """Raise :class:`WorkbookMismatch` unless the first sheet holds exactly the published table's rows
    (every cell as text equal; counts as numbers equal to the published digits) and no cell is a formula."""
    from openpyxl import load_workbook

    from . import releasetable

    _, expected = releasetable.published_rows(data_csv)
    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    try:
        ws = wb.worksheets[0]
        got = ws.iter_rows(min_row=2, values_only=False)
        n = 0
        for want, row in itertools.zip_longest(expected, got):
            if want is None or row is None:
                raise WorkbookMismatch("rows")
            cells = [c for c in row]
            if any(getattr(c, "data_type", None) == "f" for c in cells):
                raise WorkbookMismatch(f"formula in row {n + 2}")
            values = ["" if c.value is None else str(c.value) for c in cells][: len(want)]
            values += [""] * (len(want) - len(values))
            if values != list(want):
                raise WorkbookMismatch(f"row {n + 2}")
            n += 1
    finally:
        wb.close()


__all__ = ["XlsxSheet", "XlsxNotes", "build_workbook", "release_table_sheet", "sheet_title", "NOTES_TITLE",
           "release_workbook", "release_notes", "check_workbook", "WorkbookMismatch"]
