"""German CSV/XLSX variants read correctly; hostile files give typed errors naming file/row/column."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from disclosure_rules import InputError, parse_german_number, read_table_file

ROWS = [["stadtteil", "name", "anzahl"], ["011", "Bülse", "1.234"], ["012", "Höntrop", "5"],
        ["013", "Ückendorf", "0"]]


def csv_bytes(rows, delimiter=";", encoding="utf-8", bom=False, newline="\r\n", above=()):
    text = newline.join([*above, *[delimiter.join(r) for r in rows]]) + newline
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(sheets: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("cp1252", False),
                                          ("latin-1", False)])
@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_german_csv_variants_keep_umlauts_codes_and_rows(encoding, delimiter, bom):
    data = csv_bytes(ROWS, delimiter, encoding, bom, above=("Tabelle 3: Bevölkerung", ""))
    t = read_table_file(data, filename="t.csv")
    assert t.columns == ["stadtteil", "name", "anzahl"]
    assert t.frame["name"].tolist() == ["Bülse", "Höntrop", "Ückendorf"]
    assert t.frame["stadtteil"].tolist() == ["011", "012", "013"]
    assert t.delimiter == delimiter and t.header_row == 3 and t.source_rows == (4, 5, 6)


def test_quoted_fields_crlf_and_footnote():
    data = b'Gebiet;Name;Anzahl\r\n"011";"B\xc3\xbclse; Nord";"7"\r\n\r\nQuelle: Amt f\xc3\xbcr Statistik\r\n'
    t = read_table_file(data, filename="q.csv")
    assert t.frame.iloc[0].tolist() == ["011", "Bülse; Nord", "7"]
    assert any(f.code == "FG-READ-FOOTNOTE" for f in t.findings)


def test_xlsx_first_or_named_sheet_numbers_and_title_rows():
    data = xlsx_bytes({"Info": [["Erläuterungen"]],
                       "Daten": [["Tabelle 1"], [], ["stadtteil", "anzahl"], ["011", 3.0], ["012", 12]]})
    t = read_table_file(data, filename="t.xlsx", sheet="Daten")
    assert t.frame.values.tolist() == [["011", "3"], ["012", "12"]] and t.header_row == 3 and t.sheet == "Daten"
    with pytest.raises(InputError) as exc:
        read_table_file(data, filename="t.xlsx", sheet="Fehlt")
    assert exc.value.findings[0].code == "FG-READ-SHEET-MISSING"


@pytest.mark.parametrize("text,value", [("1.234", 1234), ("3,5", 3.5), ("1.234.567", 1234567), ("-", 0),
                                        ("–", 0), ("12", 12), (" 7 ", 7), ("1\u00a0234", 1234), (".", None),
                                        ("x", None)])
def test_german_numbers(text, value):
    assert parse_german_number(text) == value


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    return buf.getvalue()


def _truncated_xlsx() -> bytes:
    return xlsx_bytes({"S": [["a", "b"], ["1", "2"]]})[:300]


HOSTILE = [
    ("empty", b"", "FG-READ-EMPTY"),
    ("blank", b"   \r\n\r\n", "FG-READ-EMPTY"),
    ("nul", b"a;b\r\n1;\x002\r\n", "FG-READ-NUL"),
    ("pdf", b"%PDF-1.4\n%binary", "FG-READ-BINARY"),
    ("ole", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "FG-READ-BINARY"),
    ("garbage", bytes(range(1, 32)) * 200, "FG-READ-BINARY"),
    ("truncated-xlsx", _truncated_xlsx(), "FG-READ-XLSX-BROKEN"),
    ("zip-not-xlsx", None, "FG-READ-XLSX-BROKEN"),
    ("zip-bomb", None, "FG-READ-XLSX-BOMB"),
    ("only-header", b"stadtteil;anzahl\r\n", "FG-READ-NO-HEADER"),
    ("one-column-title", b"Nur ein Titel\r\n", "FG-READ-NO-HEADER"),
    ("ragged", b"a;b\r\n1;2\r\n3;4;5\r\n", "FG-READ-RAGGED"),
    ("long-line", b"a;b\r\n" + b"1;" + b"9" * 200_000 + b"\r\n", "FG-READ-LINE-TOO-LONG"),
    ("control-chars", b"a;b\r\n1;x\x07y\r\n", "FG-READ-CONTROL-CHARS"),
    ("duplicate-header", b"a;a\r\n1;2\r\n", "FG-READ-DUPLICATE-HEADER"),
]


def _payload(name, data):
    if name == "zip-not-xlsx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("readme.txt", "hello")
        return buf.getvalue()
    if name == "zip-bomb":
        return _zip_bomb()
    return data


@pytest.mark.parametrize("name,data,code", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_with_a_typed_finding(name, data, code):
    with pytest.raises(InputError) as exc:
        read_table_file(_payload(name, data), filename=f"{name}.csv")
    f = exc.value.findings[0]
    assert f.code == code and f.file == f"{name}.csv"
    assert f.message("de") and f.message("en")


def test_ragged_row_is_named():
    with pytest.raises(InputError) as exc:
        read_table_file(b"a;b\r\n1;2\r\n3;4;5\r\n", filename="r.csv")
    assert exc.value.findings[0].row == 3


def test_formula_cells_stay_text_with_a_warning():
    t = read_table_file(b'gebiet;anzahl;notiz\r\n011;5;=HYPERLINK("http://x")\r\n012;6;+cmd|calc\r\n', filename="f.csv")
    assert t.frame["notiz"].tolist() == ['=HYPERLINK("http://x")', "+cmd|calc"]
    assert sum(f.code == "FG-READ-FORMULA-TEXT" for f in t.findings) == 2
