"""Excel-friendly CSV variant for the download area.

German Excel opens a CSV by double click correctly only with ``;`` as delimiter, a decimal comma and a
UTF-8 byte-order mark.  Every cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
neutralised against formula (CSV) injection by prefixing an apostrophe (OWASP's recommendation), except
the DIN 55301 symbols that are whole cells: a lone ``-`` (nothing / zero) and a lone ``.`` (secret) stay as
they are (Excel shows them as text; they cannot start a formula).  Counts are never negative, so no number
is ever altered by the neutralisation.
"""

from __future__ import annotations

import csv
import io
import re

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
KEPT_SYMBOLS = frozenset({"-", "."})
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def neutralise(cell: str) -> str:
    """Return ``cell`` made safe for spreadsheet programs."""
    if cell in KEPT_SYMBOLS:
        return cell
    if cell.startswith(DANGEROUS_START):
        return "'" + cell
    return cell


def excel_value(cell: str, numeric: bool) -> str:
    if numeric and _DECIMAL.match(cell):
        cell = cell.replace(".", ",")
    return neutralise(cell)


def to_excel_csv(data_csv: bytes, numeric_columns: set[str] | frozenset[str] = frozenset({"count", "anzahl"}),
                 titles: list[str] | None = None) -> bytes:
    """Convert a package's data CSV (UTF-8, ``,``) into the Excel variant (UTF-8 BOM, ``;``, decimal comma).

    Only ``numeric_columns`` (names in the data CSV's header) get a decimal comma; text columns are never
    reinterpreted.  ``titles``: the header row written instead (German column titles for people).
    """
    text = data_csv.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    header = next(reader, None)
    if header is None:
        return "\ufeff".encode("utf-8")
    numeric = [h in numeric_columns for h in header]
    w.writerow([neutralise(h) for h in (titles if titles and len(titles) == len(header) else header)])
    for row in reader:
        w.writerow([excel_value(c, numeric[i] if i < len(numeric) else False) for i, c in enumerate(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
