"""XLSX: zip checks (bombs, truncation), then openpyxl in read-only mode, streaming the rows of one sheet."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

from ..findings import Finding, InputError
from .codes import (MAX_XLSX_RATIO, MAX_XLSX_UNCOMPRESSED, SHEET_MISSING, XLSX_BOMB,
                    XLSX_BROKEN, too_many_cells)


def cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        if v != v:
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (dt.datetime,)):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _check_zip(data: bytes, name: str | None) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, KeyError,
            RuntimeError, UnicodeDecodeError) as exc:  # e.g. "zip file version 6.4" (fuzz finding)
        raise InputError(Finding(XLSX_BROKEN, {"error": type(exc).__name__}, file=name)) from None
    total = sum(i.file_size for i in infos)
    worst = max((i.file_size / max(1, i.compress_size) for i in infos), default=0)
    if total > MAX_XLSX_UNCOMPRESSED or worst > MAX_XLSX_RATIO and total > 5 * 1024 * 1024:
        raise InputError(Finding(XLSX_BOMB, {"size": total}, file=name))
    if not any(i.filename.startswith("xl/worksheets/") for i in infos):
        raise InputError(Finding(XLSX_BROKEN, {"error": "keine Tabellenblätter / no worksheets"}, file=name))


def _sheet(wb, sheet, name):
    names = wb.sheetnames
    if sheet is None or sheet == "":
        return wb[names[0]]
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        idx = int(sheet)
        if not 0 <= idx < len(names):
            raise InputError(Finding(SHEET_MISSING, {"sheet": sheet, "available": ", ".join(names)}, file=name))
        return wb[names[idx]]
    if sheet in names:
        return wb[sheet]
    raise InputError(Finding(SHEET_MISSING, {"sheet": sheet, "available": ", ".join(names)}, file=name))


def xlsx_rows(data: bytes, name: str | None, sheet, max_cells: int) -> tuple[list[list[str]], str]:
    """The cells of one sheet as text rows (streamed; refused as soon as the cell limit is passed)."""
    _check_zip(data, name)
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise InputError(Finding(XLSX_BROKEN, {"error": type(exc).__name__}, file=name)) from None
    try:
        ws = _sheet(wb, sheet, name)
        _early_refusal(ws, len(data), name, max_cells)
        rows: list[list[str]] = []
        cells = 0
        try:
            for row in ws.iter_rows(values_only=True):
                rows.append([cell_text(v) for v in row])
                cells += len(row)
                if cells > max_cells:
                    raise too_many_cells(cells, max_cells, name)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(Finding(XLSX_BROKEN, {"error": type(exc).__name__}, file=name)) from None
        return rows, ws.title
    finally:
        wb.close()


def _early_refusal(ws, size: int, name: str | None, max_cells: int) -> None:
    """The sheet's own dimension record (``<dimension ref="A1:E1440001"/>``) names its size before any row is
    read; a sheet that declares more cells than allowed is refused at once (a lying record is caught by the
    running count)."""
    try:
        rows, cols = ws.max_row, ws.max_column
    except Exception:  # no or broken dimension record: the running count decides
        return
    if rows and cols and rows * cols > max_cells:
        raise too_many_cells(rows * cols, max_cells, name)
