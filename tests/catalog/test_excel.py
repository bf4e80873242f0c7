"""Excel-friendly CSV variant: BOM, semicolons, decimal comma, formula neutralisation."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.datapackage import build_package
from catalog.excel import DANGEROUS_START, neutralise, to_excel_csv


def _parse(excel: bytes) -> list[list[str]]:
    assert excel.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(excel.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_excel_variant_of_a_package(make):
    pkg = build_package(make.table(seed=5), make.codelist(), make.meta(zero_symbol="-"))
    excel = to_excel_csv(pkg.data_bytes)
    assert b"\r\n" in excel and excel.count(b";") >= 3
    rows = _parse(excel)
    original = list(csv.reader(io.StringIO(pkg.data_bytes.decode(), newline="")))
    # same cells: counts, "." and the lone "-" (zero) untouched; "§ 24" text kept
    assert rows == original
    assert any(r[-1] == "-" for r in rows[1:]) and any(r[-1] == "." for r in rows[1:])


def test_formula_cells_are_neutralised():
    data = (
        b"level,area,merkmal,count\n"
        b'stadtteil,=1+1,"=HYPERLINK(""http://x"")",5\n'
        b"stadtteil,+49,@SUM(A1),-\n"
        b"stadtteil,-3,\tTab,.\n"
        b'stadtteil,a;b,"\rCR",12\n'
    )
    rows = _parse(to_excel_csv(data))
    assert rows[1] == ["stadtteil", "'=1+1", '\'=HYPERLINK("http://x")', "5"]
    assert rows[2] == ["stadtteil", "'+49", "'@SUM(A1)", "-"]
    assert rows[3] == ["stadtteil", "'-3", "'\tTab", "."]
    assert rows[4] == ["stadtteil", "a;b", "'\rCR", "12"]


def test_decimal_comma_only_in_numeric_columns():
    data = b"area,anteil,text,count\n01,12.5,3.5,7\n"
    rows = _parse(to_excel_csv(data, numeric_columns={"anteil", "count"}))
    assert rows[1] == ["01", "12,5", "3.5", "7"]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=3, max_size=3), min_size=1, max_size=8))
def test_no_cell_can_start_a_formula(cells):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([["a", "b", "count"], *cells])
    rows = _parse(to_excel_csv(buf.getvalue().encode()))
    assert len(rows) == len(cells) + 1
    for before, after in zip(cells, rows[1:]):
        for b, a in zip(before, after):
            if b in ("-", "."):
                assert a == b
            else:
                assert not a.startswith(DANGEROUS_START)
                assert a in (b, "'" + b)


def test_neutralise_keeps_symbols():
    assert neutralise("-") == "-" and neutralise(".") == "." and neutralise("--") == "'--"
