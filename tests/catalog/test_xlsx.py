"""catalog.xlsx: the workbook contract (sheets, "Hinweise", deterministic bytes, no formulas, German release
tables with area names and DIN 55301 symbols as text)."""

from __future__ import annotations

import hashlib
import io
import zipfile

import openpyxl
import pytest

from catalog import releasetable
from catalog.xlsx import XlsxNotes, XlsxSheet, build_workbook, release_table_sheet, sheet_title

NOTES = XlsxNotes("Schutzsuchende 2026-07", [("Geheimhaltung", "Werte unter 3 sind gesperrt."),
                                              ("Zeichen „.“", "Zahlenwert geheim zu halten")])


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_sheets_header_numbers_frozen_header_and_notes():
    sheet = XlsxSheet("Daten", ["Gebiet", "Anzahl"], [["Mitte", 12], ["Nord", "."], ["Süd", "-"], ["Ost", 12345]],
                      frozenset({"Anzahl"}))
    wb = _load(build_workbook([sheet], NOTES))
    assert wb.sheetnames == ["Daten", "Hinweise"]
    ws = wb["Daten"]
    assert [c.value for c in ws[1]] == ["Gebiet", "Anzahl"] and ws[1][0].font.b
    assert ws.freeze_panes == "A2"
    assert ws["B2"].value == 12 and ws["B2"].data_type == "n" and ws["B2"].number_format == "#,##0"
    assert ws["B5"].value == 12345
    assert (ws["B3"].value, ws["B3"].data_type) == (".", "s") and (ws["B4"].value, ws["B4"].data_type) == ("-", "s")
    assert ws.column_dimensions["A"].width >= len("Gebiet") and ws.column_dimensions["B"].width >= len("Anzahl")
    notes = wb["Hinweise"]
    assert notes["A1"].value == "Schutzsuchende 2026-07"
    pairs = [(r[0].value, r[1].value) for r in notes.iter_rows(min_row=3) if r[0].value]
    assert pairs == NOTES.lines


def test_same_input_same_bytes_and_input_changes_the_bytes():
    def make(value):
        return build_workbook([XlsxSheet("T", ["a", "n"], iter([["x", value]]), frozenset({"n"}))], NOTES)

    one, two = make(5), make(5)
    assert hashlib.sha256(one).hexdigest() == hashlib.sha256(two).hexdigest()
    assert make(6) != one
    with zipfile.ZipFile(io.BytesIO(one)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and core.count("2000-01-01T00:00:00Z") == 2  # created and modified


@pytest.mark.parametrize("evil", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "=HYPERLINK(\"http://x\",\"y\")"])
def test_formula_like_values_are_stored_as_strings(evil):
    data = build_workbook([XlsxSheet("T", ["=Kopf", "n"], [[evil, evil]], frozenset({"n"}))],
                          XlsxNotes("=Titel", [("@label", evil)]))
    wb = _load(data)
    ws = wb["T"]
    for cell in (ws["A1"], ws["A2"], ws["B2"], wb["Hinweise"]["A1"], wb["Hinweise"]["B3"]):
        assert cell.data_type == "s", (cell.coordinate, cell.data_type)
    assert ws["A2"].value == evil and ws["B2"].value == evil
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name)


def test_sheet_titles_are_sanitised_and_unique():
    assert sheet_title("Bevölkerung aktuell: KW 47/2026 [vorläufig]") == "Bevölkerung aktuell KW 47 2026"
    assert len(sheet_title("x" * 50)) == 31
    assert sheet_title("Daten", ["daten"]) == "Daten (2)"
    assert sheet_title("y" * 40, ["y" * 31]) == "y" * 27 + " (2)"
    assert sheet_title("") == "Tabelle" and sheet_title("'?'") == "Tabelle"
    wb = _load(build_workbook([XlsxSheet("Hinweise", ["a"], [["1"]]), XlsxSheet("Hinweise", ["a"], [["2"]])],
                              NOTES))
    assert wb.sheetnames == ["Hinweise", "Hinweise (2)", "Hinweise (3)"]
    assert wb.sheetnames[-1] == "Hinweise (3)" and wb["Hinweise (3)"]["A1"].value == NOTES.title


def test_release_table_sheet_has_german_headers_names_and_symbols():
    artifact = b"level,area,geschlecht,count\r\nstadtteil,0101,w,12\r\nstadtteil,0102,w,.\r\nstadtteil,0103,w,-\r\n"
    names = {("stadtteil", "0101"): "Mitte", ("stadtteil", "0102"): "Nord"}
    published = releasetable.publish(artifact, names)
    assert published.splitlines()[0] == b"ebene,gebietsschluessel,gebietsname,geschlecht,anzahl"
    assert releasetable.to_artifact(published) == artifact
    for data, kw in ((artifact, {"names": names}), (published, {})):
        sheet = release_table_sheet(data, "Daten", dimension_titles={"geschlecht": "Geschlecht"}, **kw)
        assert sheet.header == ["Gebietsebene", "Gebietsschlüssel", "Gebietsname", "Geschlecht", "Anzahl"]
        ws = _load(build_workbook([sheet], NOTES))["Daten"]
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
        assert rows == [["stadtteil", "0101", "Mitte", "w", 12], ["stadtteil", "0102", "Nord", "w", "."],
                        ["stadtteil", "0103", None, "w", "-"]]
        assert ws["B2"].data_type == "s"  # codes keep their leading zero


def test_release_workbook_is_checked_against_the_published_table(make):
    from catalog.datapackage import build_package
    from catalog.xlsx import WorkbookMismatch, check_workbook, release_workbook

    pkg = build_package(make.table(seed=3), make.codelist(), make.meta())
    xlsx = release_workbook(pkg.descriptor, pkg.data_bytes)
    assert release_workbook(pkg.descriptor, pkg.data_bytes) == xlsx  # deterministic
    wb = _load(xlsx)
    notes = {r[0].value: r[1].value for r in wb["Hinweise"].iter_rows(min_row=3) if r[0].value}
    assert notes["Version"] == "1.0.0" and notes["Veröffentlicht am"] == "01.03.2026"
    assert notes["Geheimhaltung"] == pkg.descriptor["publicStatement"]["de"]
    assert notes["Lizenz"].startswith("Datenlizenz Deutschland") and notes["Zeichen „.“"].startswith(". = ")
    # a workbook of another table (one count changed) is refused
    header, rows = releasetable.published_rows(pkg.data_bytes)
    i = next(k for k, r in enumerate(rows) if r[-1].isdigit())
    rows[i][-1] = str(int(rows[i][-1]) + 1)
    other = build_workbook([XlsxSheet("Daten", header, rows, frozenset({"anzahl"}))], XlsxNotes("t", []))
    with pytest.raises(WorkbookMismatch):
        check_workbook(other, pkg.data_bytes)


def test_time_series_stacks_periods_under_the_union_of_their_columns():
    june = b"level,area,geschlecht,count\r\nstadtteil,0101,w,12\r\nstadtteil,0102,w,.\r\n"
    july = b"level,area,alter,count,revision\r\nstadtteil,0101,u18,-,r\r\n"
    names = {("stadtteil", "0101"): "Mitte"}
    header, rows = releasetable.time_series([("2026-06", "1.0.0", releasetable.publish(june, names)),
                                              ("2026-07", "1.1.0", releasetable.publish(july, names))])
    assert header == ["zeitraum", "version", "ebene", "gebietsschluessel", "gebietsname", "geschlecht", "alter",
                      "anzahl", "revision"]
    assert rows == [["2026-06", "1.0.0", "stadtteil", "0101", "Mitte", "w", "", "12", ""],
                    ["2026-06", "1.0.0", "stadtteil", "0102", "", "w", "", ".", ""],
                    ["2026-07", "1.1.0", "stadtteil", "0101", "Mitte", "", "u18", "-", "r"]]
    assert releasetable.published_titles(header)[:2] == ["Zeitraum", "Version"]
