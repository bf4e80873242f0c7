"""Reading tables and hierarchies as German offices export them (CSV and XLSX).

Everything is read as text (codes keep their leading zeros); numbers are parsed later, per column, with
:func:`parse_number_column`.  Every problem is a typed finding naming the file, the row (1-based, as the
user sees it in the file or sheet) and the column.  Hostile input (binary data, zip bombs, NUL bytes,
over-long lines, ragged rows) gives an :class:`InputError`, never a crash or a hang.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .findings import Finding, InputError, Severity, register

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_RATIO = 200  # uncompressed / compressed size of any member
MAX_CELLS = 2_000_000
MAX_LINE_CHARS = 100_000
DELIMITERS = (";", ",", "\t", "|")

EMPTY = register("FG-READ-EMPTY", Severity.ERROR, "Die Datei ist leer.", "The file is empty.")
BINARY = register("FG-READ-BINARY", Severity.ERROR,
                  "Die Datei ist keine Text-Tabelle (CSV) und keine Excel-Datei (XLSX).",
                  "The file is neither a text table (CSV) nor an Excel file (XLSX).")
TOO_LARGE = register("FG-READ-TOO-LARGE", Severity.ERROR,
                     "Die Datei ist zu groß ({size} Bytes; höchstens {limit}).",
                     "The file is too large ({size} bytes; at most {limit}).")
XLSX_BROKEN = register("FG-READ-XLSX-BROKEN", Severity.ERROR,
                       "Die Excel-Datei ist beschädigt oder unvollständig ({error}).",
                       "The Excel file is damaged or truncated ({error}).")
XLSX_BOMB = register("FG-READ-XLSX-BOMB", Severity.ERROR,
                     "Die Excel-Datei entpackt sich auf unzulässige Größe ({size} Bytes); abgelehnt.",
                     "The Excel file unpacks to an inadmissible size ({size} bytes); refused.")
SHEET_MISSING = register("FG-READ-SHEET-MISSING", Severity.ERROR,
                         "Tabellenblatt „{sheet}“ fehlt (vorhanden: {available}).",
                         "Sheet '{sheet}' is missing (available: {available}).")
NO_HEADER = register("FG-READ-NO-HEADER", Severity.ERROR,
                     "Keine Kopfzeile mit Spaltennamen gefunden.",
                     "No header row with column names found.")
NO_DATA = register("FG-READ-NO-DATA", Severity.ERROR,
                   "Unter der Kopfzeile stehen keine Daten.", "There are no data below the header row.")
RAGGED = register("FG-READ-RAGGED", Severity.ERROR,
                  "Die Zeile hat {found} Felder, die Kopfzeile {expected}.",
                  "The row has {found} fields, the header {expected}.")
NUL_BYTES = register("FG-READ-NUL", Severity.ERROR,
                     "Die Datei enthält Null-Bytes (keine Text-Tabelle).",
                     "The file contains NUL bytes (not a text table).")
LINE_TOO_LONG = register("FG-READ-LINE-TOO-LONG", Severity.ERROR,
                         "Die Zeile ist zu lang (mehr als {limit} Zeichen).",
                         "The line is too long (more than {limit} characters).")
BAD_QUOTES = register("FG-READ-BAD-QUOTES", Severity.ERROR,
                      "Die CSV-Datei ist fehlerhaft (Anführungszeichen): {error}.",
                      "The CSV file is malformed (quotes): {error}.")
TOO_MANY_CELLS = register("FG-READ-TOO-MANY-CELLS", Severity.ERROR,
                          "Die Tabelle hat zu viele Zellen (mehr als {limit}).",
                          "The table has too many cells (more than {limit}).")
CONTROL_CHARS = register("FG-READ-CONTROL-CHARS", Severity.ERROR,
                         "Das Feld enthält Steuerzeichen.", "The field contains control characters.")
ENCODING_USED = register("FG-READ-ENCODING", Severity.INFO,
                         "Gelesen als {encoding}, Trennzeichen „{delimiter}“, Kopfzeile in Zeile {header_row}.",
                         "Read as {encoding}, delimiter '{delimiter}', header in row {header_row}.")
FOOTNOTE_DROPPED = register("FG-READ-FOOTNOTE", Severity.INFO,
                            "Fußnote/Anmerkung unter der Tabelle nicht als Daten gelesen: „{text}“.",
                            "Footnote/remark below the table not read as data: '{text}'.")
FORMULA_TEXT = register("FG-READ-FORMULA-TEXT", Severity.WARNING,
                        "Das Feld sieht wie eine Formel aus und wird nur als Text behandelt: „{text}“.",
                        "The field looks like a formula and is treated as text only: '{text}'.")
UTF16 = register("FG-READ-UTF16", Severity.ERROR,
                 "Die Datei ist als {encoding} gespeichert; bitte als UTF-8 oder Windows-1252 (CSV) speichern.",
                 "The file is saved as {encoding}; please save it as UTF-8 or Windows-1252 (CSV).")
DUPLICATE_HEADER = register("FG-READ-DUPLICATE-HEADER", Severity.ERROR,
                            "Der Spaltenname „{name}“ kommt mehrfach vor.",
                            "The column name '{name}' occurs more than once.")

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# "-2+3" is a formula to a spreadsheet too (corpus finding); a plain "-5" or "- davon" label is not flagged
_FORMULA_RE = re.compile(r"^\s*[=+@]|^\s*-\s*[A-Za-z(]|^\s*-\s*\d[\d.,]*\s*[-+*/^&]")


@dataclass(frozen=True)
class RawTable:
    frame: pd.DataFrame  # all cells str, stripped; header applied
    source_rows: tuple[int, ...]  # 1-based row in the file/sheet of every frame row
    filename: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, filename: str | None = None, first_row: int = 2) -> "RawTable":
        """A RawTable from an in-memory frame (tests, API): cells become stripped strings."""
        f = frame.copy()
        for c in f.columns:
            f[c] = f[c].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
        f.columns = [str(c) for c in f.columns]
        f = f.reset_index(drop=True).astype(object)
        return cls(f, tuple(range(first_row, first_row + len(f))), filename, None, None, None, first_row - 1)


def _name(source, filename) -> str | None:
    if filename:
        return str(filename)
    if isinstance(source, (str, Path)):
        return Path(source).name
    return None


def read_table_file(source, filename: str | None = None, sheet: str | int | None = None,
                    header_row: int | None = None) -> RawTable:
    """Read a CSV or XLSX table (path or bytes) into a :class:`RawTable`."""
    name = _name(source, filename)
    if isinstance(source, (str, Path)):
        p = Path(source)
        try:
            size = p.stat().st_size
            if size > MAX_FILE_BYTES:
                raise InputError(Finding(TOO_LARGE, {"size": size, "limit": MAX_FILE_BYTES}, file=name))
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(Finding(BINARY, {}, file=name)) from exc
    else:
        data = bytes(source)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(Finding(TOO_LARGE, {"size": len(data), "limit": MAX_FILE_BYTES}, file=name))
    if not data.strip():
        raise InputError(Finding(EMPTY, {}, file=name))
    if data[:4] == b"PK\x03\x04":
        rows, sheet_name = _xlsx_rows(data, name, sheet)
        return _to_table(rows, name, header_row, encoding=None, delimiter=None, sheet=sheet_name)
    if data[:4] in (b"PK\x05\x06", b"PK\x07\x08") or (name or "").lower().endswith((".xlsx", ".xlsm")):
        # an empty/spanned zip, or a file named .xlsx that is no zip at all (corpus finding: was read as text)
        raise InputError(Finding(XLSX_BROKEN, {"error": "keine Excel-Arbeitsmappe / not an Excel workbook"},
                                 file=name))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or data[:5] == b"%PDF-":
        raise InputError(Finding(BINARY, {}, file=name))
    text, encoding = decode_text(data, name)
    rows, delimiter = _csv_rows(text, name)
    return _to_table(rows, name, header_row, encoding=encoding, delimiter=delimiter, sheet=None)


def decode_text(data: bytes, name: str | None = None) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else cp1252, else latin-1.  NUL bytes: not a text table."""
    if b"\x00" in data:
        wide = _wide_encoding(data)
        if wide:
            raise InputError(Finding(UTF16, {"encoding": wide}, file=name))
        raise InputError(Finding(NUL_BYTES, {}, file=name))
    text = encoding = None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "latin-1"
    # a binary blob decodes as cp1252/latin-1 too: refuse when much of it is control characters
    ctrl = len(_CONTROL_RE.findall(text[:20000]))
    if ctrl > max(10, len(text[:20000]) // 50):
        raise InputError(Finding(BINARY, {}, file=name))
    return text, encoding


def _wide_encoding(data: bytes) -> str | None:
    """'UTF-16'/'UTF-32' when the NUL bytes are those of a wide encoding (with or without BOM), else None."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "UTF-32"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    sample = data[:4000]
    if len(sample) < 8:
        return None
    q = [sample[k::4].count(0) / max(1, len(sample[k::4])) for k in range(4)]
    if q[1] > 0.9 and q[2] > 0.9 and (q[0] < 0.1 or q[3] < 0.1):
        return "UTF-32"
    even, odd = sample[0::2].count(0) / len(sample[0::2]), sample[1::2].count(0) / len(sample[1::2])
    if (even > 0.9 and odd < 0.1) or (odd > 0.9 and even < 0.1):
        return "UTF-16"
    return None


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter among ; , tab | that splits the sample lines most consistently."""
    best, best_score = ";", -1.0
    sample = [ln for ln in lines if ln.strip()][:60]
    for d in DELIMITERS:
        counts = []
        for ln in sample:
            try:
                counts.append(len(next(csv.reader([ln], delimiter=d))) - 1)
            except (csv.Error, StopIteration):
                counts.append(0)
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * (1 + min(mode, 50) / 100)
        if score > best_score:
            best, best_score = d, score
    return best


def _csv_rows(text: str, name: str | None) -> tuple[list[list[str]], str]:
    lines = text.splitlines()
    for i, ln in enumerate(lines, start=1):
        if len(ln) > MAX_LINE_CHARS:
            raise InputError(Finding(LINE_TOO_LONG, {"limit": MAX_LINE_CHARS}, file=name, row=i))
    delimiter = sniff_delimiter(lines[:200])
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_CHARS)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        rows = []
        starts = []  # file line where each row starts
        prev = 0
        for row in reader:
            rows.append(row)
            starts.append(prev + 1)
            prev = reader.line_num
            if len(rows) * max(1, len(row)) > MAX_CELLS * 2:
                raise InputError(Finding(TOO_MANY_CELLS, {"limit": MAX_CELLS}, file=name))
        if text.count('"') % 2:
            # an unterminated quote swallows the rest of the file into one field (corpus finding: the rows
            # after it were silently dropped as a "footnote"); refuse, naming the row where it opens
            for i, row in enumerate(rows):
                if any("\n" in c or "\r" in c for c in row):
                    raise InputError(Finding(BAD_QUOTES, {"error": "Anführungszeichen nicht geschlossen / "
                                                                   "unterminated quote"}, file=name, row=starts[i]))
    except csv.Error as exc:
        raise InputError(Finding(BAD_QUOTES, {"error": str(exc)}, file=name, row=reader.line_num)) from None
    finally:
        csv.field_size_limit(old_limit)
    return rows, delimiter


def _cell_text(v) -> str:
    if v is None:
        return ""
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


def _xlsx_rows(data: bytes, name: str | None, sheet) -> tuple[list[list[str]], str]:
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
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise InputError(Finding(XLSX_BROKEN, {"error": type(exc).__name__}, file=name)) from None
    try:
        names = wb.sheetnames
        if sheet is None or sheet == "":
            ws = wb[names[0]]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
            idx = int(sheet)
            if not 0 <= idx < len(names):
                raise InputError(Finding(SHEET_MISSING, {"sheet": sheet, "available": ", ".join(names)}, file=name))
            ws = wb[names[idx]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise InputError(Finding(SHEET_MISSING, {"sheet": sheet, "available": ", ".join(names)}, file=name))
        rows: list[list[str]] = []
        cells = 0
        try:
            for row in ws.iter_rows(values_only=True):
                rows.append([_cell_text(v) for v in row])
                cells += len(row)
                if cells > MAX_CELLS:
                    raise InputError(Finding(TOO_MANY_CELLS, {"limit": MAX_CELLS}, file=name))
        except InputError:
            raise
        except Exception as exc:
            raise InputError(Finding(XLSX_BROKEN, {"error": type(exc).__name__}, file=name)) from None
        return rows, ws.title
    finally:
        wb.close()


def _is_number(text: str) -> bool:
    return bool(_NUMBER_RE.match(text.replace("\u00a0", "").replace(" ", "")))


_NUMBER_RE = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$|^[-+]?\d+(\.\d+)?$")


def _find_header(rows: list[list[str]]) -> int | None:
    """Index of the header row: the first row with ≥ 2 non-empty, mostly non-numeric cells followed by data."""
    width = max((sum(1 for c in r if c.strip()) for r in rows[:200]), default=0)
    for i, row in enumerate(rows[:200]):
        filled = [c for c in row if c.strip()]
        if len(filled) < 2 or len(filled) < 0.5 * width:
            continue
        if sum(_is_number(c.strip()) for c in filled) > len(filled) / 2:
            continue
        rest = rows[i + 1:i + 6]
        if any(sum(1 for c in r if c.strip()) >= 2 for r in rest):
            return i
    return None


def _to_table(rows: list[list[str]], name: str | None, header_row: int | None, *, encoding, delimiter,
              sheet) -> RawTable:
    findings: list[Finding] = []
    rows = [[(c or "").strip().strip("\ufeff") for c in r] for r in rows]
    if not any(any(c for c in r) for r in rows):
        raise InputError(Finding(EMPTY, {}, file=name))
    if header_row is not None:
        h = int(header_row) - 1
        if not 0 <= h < len(rows):
            raise InputError(Finding(NO_HEADER, {}, file=name, row=header_row))
    else:
        h = _find_header(rows)
        if h is None:
            raise InputError(Finding(NO_HEADER, {}, file=name))
    header = rows[h]
    # drop empty trailing header cells whose column is empty everywhere
    while header and not header[-1] and not any(len(r) >= len(header) and r[len(header) - 1]
                                               for r in rows[h + 1:]):
        header = header[:-1]
    names: list[str] = []
    seen: set[str] = set()
    for j, col in enumerate(header):
        col = col or f"spalte_{j + 1}"
        if col in seen:
            raise InputError(Finding(DUPLICATE_HEADER, {"name": col}, file=name, row=h + 1, column=col))
        seen.add(col)
        names.append(col)
    width = len(names)
    body: list[list[str]] = []
    src: list[int] = []
    problems: list[Finding] = []
    data_rows = rows[h + 1:]
    # trailing empty rows and footnotes (a single non-empty cell below the data) are not data
    end = len(data_rows)
    while end > 0 and not any(data_rows[end - 1]):
        end -= 1
    while end > 0 and width > 1 and sum(1 for c in data_rows[end - 1] if c) == 1 and not _is_number(
            next(c for c in data_rows[end - 1] if c)):
        text = next(c for c in data_rows[end - 1] if c)
        findings.append(Finding(FOOTNOTE_DROPPED, {"text": text[:80]}, file=name, row=h + 1 + end))
        end -= 1
        while end > 0 and not any(data_rows[end - 1]):
            end -= 1
    for k, row in enumerate(data_rows[:end]):
        line = h + 2 + k
        if not any(row):
            continue
        if len(row) > width:
            if any(row[width:]):
                problems.append(Finding(RAGGED, {"found": len(row), "expected": width}, file=name, row=line))
                continue
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        for j, cell in enumerate(row):
            if _CONTROL_RE.search(cell):
                problems.append(Finding(CONTROL_CHARS, {}, file=name, row=line, column=names[j]))
            elif _FORMULA_RE.match(cell) and not _is_number(cell):
                findings.append(Finding(FORMULA_TEXT, {"text": cell[:60]}, file=name, row=line, column=names[j]))
        body.append(row)
        src.append(line)
        if len(problems) >= 50:
            break
    if problems:
        raise InputError(problems)
    if not body:
        raise InputError(Finding(NO_DATA, {}, file=name, row=h + 1))
    frame = pd.DataFrame(body, columns=names, dtype=object)
    findings.insert(0, Finding(ENCODING_USED, {"encoding": encoding or "xlsx", "delimiter": delimiter or "-",
                                               "header_row": h + 1}, file=name))
    return RawTable(frame, tuple(src), name, encoding, delimiter, sheet, h + 1, tuple(findings))


# --- numbers ------------------------------------------------------------------------------------------------

ZERO_SYMBOLS = {"-", "–", "—"}  # DIN 55301: "nichts vorhanden" (a true zero)
UNKNOWN_SYMBOLS = {".", "x", "X", "/", "…", "...", "?"}  # secret / unknown / not applicable

_GERMAN_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")
_GERMAN_DECIMAL = re.compile(r"^[-+]?\d+(,\d+)?$")
_PLAIN = re.compile(r"^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$")


def parse_german_number(text: str) -> int | float | None:
    """'1.234' → 1234, '3,5' → 3.5, '-' → 0, '.'/'x' → None; ValueError when it is not a number."""
    values, problems = parse_number_column(pd.Series([text], dtype=object))
    if problems.iloc[0] == "symbol_unknown" or problems.iloc[0] == "empty":
        return None
    if problems.iloc[0]:
        raise ValueError(f"not a number: {text!r}")
    v = values[0]
    return int(v) if float(v).is_integer() else float(v)


def parse_number_column(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Vectorised: (float values with NaN where no number, problem per row: '' | 'empty' | 'symbol_unknown'
    | 'not_a_number').  True-zero symbols parse as 0.  The string work is done once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    u_vals, u_prob = _parse_unique_numbers(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    u_vals = np.append(u_vals, np.nan)  # index -1 (missing) -> NaN / 'empty'
    u_prob = np.append(u_prob.to_numpy(dtype=object), "empty")
    return u_vals[codes], pd.Series(u_prob[codes], index=series.index, dtype=object)


def _parse_unique_numbers(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    s = series.astype(str).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False).str.strip()
    s = s.where(series.notna(), "")
    problem = pd.Series("", index=series.index, dtype=object)
    empty = s == ""
    zero = s.isin(ZERO_SYMBOLS)
    unknown = s.isin(UNKNOWN_SYMBOLS)
    thousands = s.str.match(_GERMAN_THOUSANDS).fillna(False).astype(bool)
    decimal = ~thousands & s.str.match(_GERMAN_DECIMAL).fillna(False).astype(bool)
    plain = ~thousands & ~decimal & s.str.match(_PLAIN).fillna(False).astype(bool)
    conv = pd.Series(np.nan, index=series.index)
    if thousands.any():
        conv[thousands] = pd.to_numeric(s[thousands].str.replace(".", "", regex=False)
                                        .str.replace(",", ".", regex=False), errors="coerce")
    if decimal.any():
        conv[decimal] = pd.to_numeric(s[decimal].str.replace(",", ".", regex=False), errors="coerce")
    if plain.any():
        conv[plain] = pd.to_numeric(s[plain], errors="coerce")
    conv[zero] = 0.0
    problem[empty] = "empty"
    problem[unknown] = "symbol_unknown"
    bad = ~(empty | unknown | zero | thousands | decimal | plain) | (
        (thousands | decimal | plain) & conv.isna())
    problem[bad] = "not_a_number"
    return conv.to_numpy(dtype=float), problem
