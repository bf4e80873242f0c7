"""Finding codes, limits and the small text rules every reading path shares."""
from __future__ import annotations

import re

from ..findings import Finding, InputError, Severity, register

# Limits.  The byte and cell limits are defaults: callers (the service, ``freigabe check``) pass the
# operator's settings (FREIGABE_MAX_TABLE_BYTES / FREIGABE_MAX_TABLE_CELLS, docs/operations.md).
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024  # a table file larger than this is refused before it is read
MAX_CELLS = 100_000_000  # cells of the file = rows x columns; refused early from size and first chunk
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_RATIO = 200  # uncompressed / compressed size of any member
MAX_LINE_CHARS = 100_000
DELIMITERS = (";", ",", "\t", "|")
MAX_FORMULA_FINDINGS = 100  # listed one by one; the rest are counted in one FG-READ-FORMULA-TEXT-MORE
MAX_PROBLEMS = 50

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
TOO_MANY_CELLS_EST = register(
    "FG-READ-TOO-MANY-CELLS-ESTIMATED", Severity.ERROR,
    "Die Tabelle hat zu viele Zellen: nach der Dateigröße ({size} Bytes) und dem Anfang der Datei ({sample_rows} "
    "{sample_rows:Zeile|Zeilen}) etwa {estimate} (Zeilen × Spalten), erlaubt sind höchstens {limit}. Die Datei "
    "wurde nicht weiter gelesen.",
    "The table has too many cells: from the file size ({size} bytes) and the start of the file ({sample_rows} "
    "{sample_rows:row|rows}) about {estimate} (rows x columns), at most {limit} are allowed. The file was not read "
    "any further.")
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
FORMULA_TEXT_MORE = register(
    "FG-READ-FORMULA-TEXT-MORE", Severity.WARNING,
    "Insgesamt {n} Felder sehen wie Formeln aus (die ersten {listed} sind einzeln genannt); alle werden nur als "
    "Text behandelt.",
    "In total {n} fields look like formulas (the first {listed} are listed one by one); all are treated as "
    "text only.")
UTF16 = register("FG-READ-UTF16", Severity.ERROR,
                 "Die Datei ist als {encoding} gespeichert; bitte als UTF-8 oder Windows-1252 (CSV) speichern.",
                 "The file is saved as {encoding}; please save it as UTF-8 or Windows-1252 (CSV).")
DUPLICATE_HEADER = register("FG-READ-DUPLICATE-HEADER", Severity.ERROR,
                            "Der Spaltenname „{name}“ kommt mehrfach vor.",
                            "The column name '{name}' occurs more than once.")

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# "-2+3" is a formula to a spreadsheet too (corpus finding); a plain "-5" or "- davon" label is not flagged
FORMULA_RE = re.compile(r"^\s*[=+@]|^\s*-\s*[A-Za-z(]|^\s*-\s*\d[\d.,]*\s*[-+*/^&]")
NUMBER_RE = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$|^[-+]?\d+(\.\d+)?$")


def is_number(text: str) -> bool:
    return bool(NUMBER_RE.match(text.replace("\u00a0", "").replace(" ", "")))


def is_formula(cell: str) -> bool:
    return bool(FORMULA_RE.match(cell)) and not is_number(cell)


def clean_cell(c) -> str:
    """How every cell is normalised before use: surrounding whitespace and byte-order marks go."""
    return (c or "").strip().strip("\ufeff")


def too_many_cells(cells: int, limit: int, name: str | None) -> InputError:
    return InputError(Finding(TOO_MANY_CELLS, {"limit": limit}, file=name))


def formula_findings(hits: list[tuple[str, int, str]], total: int, name: str | None) -> list[Finding]:
    """The first MAX_FORMULA_FINDINGS (text, row, column) one by one, the exact total in one more finding."""
    out = [Finding(FORMULA_TEXT, {"text": text[:60]}, file=name, row=row, column=col)
           for text, row, col in hits[:MAX_FORMULA_FINDINGS]]
    if total > MAX_FORMULA_FINDINGS:
        out.append(Finding(FORMULA_TEXT_MORE, {"n": total, "listed": MAX_FORMULA_FINDINGS}, file=name))
    return out
