"""The vectorised reader means exactly what the row-by-row reference means.

Every comparison is on everything a caller sees: the cells (as text), columns, file rows, encoding,
delimiter, header row and findings - or, for refused files, the findings of the error in order.  Inputs:
generated CSV-like bytes (quotes, delimiters, line breaks of every kind, Unicode white space, formulas,
control characters, three encodings), the hostile-input corpus, and hand-picked edge cases.  XLSX rows go
through the column builder; it is compared with the row logic on the same rows.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from disclosure_rules import InputError, read_table_file
from disclosure_rules.readers import SourceRows
from tests.readers.reference import columnar_from_rows, fast_read, reference_read, summary

ATOMS = [";", ",", "\t", "|", "\n", "\r\n", "\r", '"', '""', " ", "=", "+", "-", "@", "1", "0", "12", "1.234",
         "3,5", "-4", "ä", "ß", "\ufeff", "\u202e", "\x1b", "baublock", "anzahl", "Summe", "xxxxx", "\u00a0", "€",
         "NaN", "1e9", "\u2003", "=SUM(A1)", "-2+3", "Quelle: x", "\x07", "\x7f", '"a;b"', '"a""b"', '"x', 'y"',
         "\x0b", "\x0c", "\x1c", "\x85", "\u2028", " \ufeff x"]
CELLS = ["011", "5", "0", "abc", "", " 7 ", '"q"', "2026-07", '"Nord; Mitte"', '"Der ""Kiez"""', "- davon",
         "\u00a012\u00a0", "Insgesamt"]


@st.composite
def csv_like(draw) -> tuple[bytes, int | None]:
    if draw(st.integers(0, 3)) == 0:  # unstructured
        text = "".join(draw(st.lists(st.sampled_from(ATOMS), max_size=80)))
    else:
        d = draw(st.sampled_from([";", ",", "\t", "|"]))
        ncol = draw(st.integers(1, 5))
        lines = []
        if draw(st.booleans()):
            lines += ["Tabelle 3: " + draw(st.sampled_from(ATOMS)), ""][:draw(st.integers(1, 2))]
        lines.append(d.join(draw(st.sampled_from(["baublock", "monat", "anzahl", "name", "", "x", "ä"])) + str(j)
                            for j in range(ncol)))
        for _ in range(draw(st.integers(0, 14))):
            w = ncol if draw(st.integers(0, 4)) else draw(st.integers(0, ncol + 2))
            cells = [draw(st.sampled_from(ATOMS)) if draw(st.integers(0, 6)) == 0 else draw(st.sampled_from(CELLS))
                     for _ in range(w)]
            lines.append(d.join(cells))
        if draw(st.booleans()):
            lines += ["", "Quelle: Amt für Statistik"]
        eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    enc = draw(st.sampled_from(["utf-8", "utf-8", "cp1252", "utf-8-sig", "latin-1"]))
    header_row = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(1, 5)))
    return text.encode(enc, errors="replace"), header_row


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(csv_like())
def test_fast_path_equals_reference_on_generated_files(case):
    data, header_row = case
    assert summary(fast_read(data, header_row=header_row)) == summary(reference_read(data, header_row=header_row))


def _corpus():
    from publisher.demo import small_city
    from tests.security.hostile_corpus import corpus

    return [c for c in corpus(small_city()) if c.data and not c.filename.lower().endswith(".xlsx")
            and not c.data.startswith(b"PK")]


@pytest.mark.parametrize("case", _corpus(), ids=lambda c: c.id)
def test_fast_path_equals_reference_on_the_hostile_corpus(case):
    name = "t.csv"
    assert summary(fast_read(case.data, name)) == summary(reference_read(case.data, name))


ROWS = [["Tabelle 1", None], [], ["stadtteil", "name", "anzahl", ""], ["011", " Bülse ", "1.234", ""],
        ["012", "=HYPERLINK(1)", "5"], [], ["013", "x", "0", "", ""], ["Quelle: Amt"]]


@pytest.mark.parametrize("rows", [
    ROWS,
    [["a", "b"], ["1", "2"], ["3", "4", "5"]],  # ragged
    [["a", "b"], ["1", "x\x07"], ["2", "3"]],  # control characters
    [["a", "a"], ["1", "2"]],  # duplicate header
    [["", ""], ["", ""]],  # empty
    [["Nur ein Titel"]],  # no header
    [["a", "b", ""], ["1", "2", ""], ["3", "4", "9"]],  # a trailing header cell named by data below it
    [["a", "b"]] + [["1", "=2+1"]] * 150,  # many formulas: 100 listed, the exact count in one more finding
] + [[["a", "b"]] + [[str(i), "\x01"] for i in range(60)]], ids=lambda r: str(len(r)))
def test_column_builder_equals_row_logic_on_sheet_rows(rows):
    rows = [["" if c is None else c for c in r] for r in rows]
    a, b = columnar_from_rows(rows)
    assert summary(a) == summary(b)
    for header_row in (1, 2, 3):
        a, b = columnar_from_rows(rows, header_row=header_row)
        assert summary(a) == summary(b)


@pytest.mark.parametrize("data,header_row", [
    (b"\n\na;b\n1;2\n", 2),  # the named header row is an empty line: no columns, every row ragged
    (b"baublock0\r\r,;;;;", 2),  # the same with old Mac line ends (hypothesis finding)
    (b"a;b\r1;2\r3;4\r", None),  # old Mac line ends
    (b'a;b\n1;"x\ny"\n2;3\n', None),  # a quoted field spanning two lines: the reference path
    (b'a;b\n1;"x;y"z\n2;"3"\n', None),  # text after a closing quote
    (b'a;b;c\n"1;2";3\n', None),  # a quoted delimiter in a row with the usual field count
    (b'a;b\n1;"2"\n"3";"4"\n', None),
    (b'a;b\n1;2\n"3;4\n5;6\n', None),  # unterminated quote: FG-READ-BAD-QUOTES naming row 3
    (b"a;b\n1;2\x0b3\n", None),  # a vertical tab (a line break to str.splitlines)
    (b'\xef\xbb\xbf\xef\xbb\xbf""', None),  # a second byte-order mark (pyarrow would drop it)
    (b"\xef\xbb\xbf\xef\xbb\xbfa;b\n1;2\n", None),
    (b"a;b\n1;" + b"9" * 100_001 + b"\n", None),  # over-long line
    (b"a;b\n1;" + "ä".encode() * 60_000 + b"\n", None),  # 120,000 bytes but 60,000 characters: fine
    (b"a;b\n1;" + b"9" * 50_000 + b"\x0b" + b"9" * 50_005 + b"\n", None),  # long only without the \v break
])
def test_fast_path_equals_reference_on_edge_cases(data, header_row):
    assert summary(fast_read(data, header_row=header_row)) == summary(reference_read(data, header_row=header_row))


def test_a_line_longer_than_pyarrows_block_is_named():
    data = b"a;b\n1;2\n2;" + b"9" * (9 << 20) + b"\n"
    with pytest.raises(InputError) as exc:
        read_table_file(data, filename="t.csv")
    f = exc.value.findings[0]
    assert (f.code, f.row) == ("FG-READ-LINE-TOO-LONG", 3)


def test_many_irregular_lines_still_read_like_the_reference():
    lines = ["a;b"] + [f"{i};{i}" if i % 2 else f"{i};{i};" for i in range(5000)]
    data = ("\n".join(lines) + "\n").encode()
    assert summary(fast_read(data)) == summary(reference_read(data))


def test_findings_stop_at_the_cap_when_the_last_ones_are_ragged_rows():
    """Found by `make fuzz` (2026-12-06): the row-by-row reader skipped its 50-findings cap for ragged rows, so
    a file whose 50th finding was a ragged row listed one more there than the fast path.  Both stop at 50 now;
    two findings on one row (control characters) make the row count differ from the finding count."""
    lines = ["\x01;monat\x06anzahl"] + [f"{i:04d};2026-07;{i}" for i in range(10)] + ["0003\x01;x\x06"] \
        + [f";;{i}" for i in range(60)]
    data = ("\n".join(lines) + "\n").encode()
    fast, ref = summary(fast_read(data)), summary(reference_read(data))
    assert fast == ref and fast[0] == "error" and len(fast[1]) == 50
    assert {f["code"] for f in fast[1]} == {"FG-READ-RAGGED", "FG-READ-CONTROL-CHARS"}


def test_quoted_german_export_reads_the_fast_way():
    data = ('"Gebiet";"Name";"Anzahl"\r\n' + "".join(f'"{i:03d}";"Bülse; ""Nord""";"{i}"\r\n'
                                                     for i in range(2000))).encode("cp1252")
    t = read_table_file(data, filename="q.csv")
    assert t.encoding == "cp1252" and t.frame.iloc[5].tolist() == ["005", 'Bülse; "Nord"', "5"]
    assert summary(t) == summary(reference_read(data, "q.csv"))


def test_source_rows_behave_like_a_tuple_of_ints():
    rows = SourceRows([4, 5, 7])
    assert rows == (4, 5, 7) and rows == [4, 5, 7] and rows != (4, 5) and tuple(rows) == (4, 5, 7)
    assert rows[1] == 5 and isinstance(rows[1], int) and rows[-1] == 7 and list(rows[1:]) == [5, 7]
    assert np.asarray(rows).dtype == np.int64 and len(rows) == 3
    with pytest.raises(ValueError):
        np.asarray(rows)[0] = 1  # read-only


def test_reader_gives_categoricals_of_clean_strings_in_file_order():
    data = b"Titel\n\ngebiet;anzahl\n 011 ;5\n012;\xc2\xa07\n\n011;5\nQuelle: x\n"
    t = read_table_file(data, filename="t.csv")
    assert [str(d) for d in t.frame.dtypes] == ["category", "category"]
    assert t.frame.values.tolist() == [["011", "5"], ["012", "7"], ["011", "5"]]
    assert t.source_rows == (4, 5, 7) and t.header_row == 3
    assert list(t.frame["gebiet"].cat.categories) == ["011", "012"]  # no title/header/footnote values


def test_xlsx_through_the_column_builder_equals_the_row_logic():
    import openpyxl

    from disclosure_rules.readers.xlsx import xlsx_rows

    wb = openpyxl.Workbook()
    for r in [["Titel"], [], ["stadtteil", "anzahl", None], ["011", 3.0], ["012", 12, None], ["013", "=1+1"],
              [], ["Quelle"]]:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    rows, sheet = xlsx_rows(buf.getvalue(), "t.xlsx", None, 10**9)
    a, b = columnar_from_rows(rows, "t.xlsx")
    assert summary(a) == summary(b)
    t = read_table_file(buf.getvalue(), filename="t.xlsx")
    assert t.frame.values.tolist() == [["011", "3"], ["012", "12"], ["013", ""]] and t.header_row == 3  # a formula: never evaluated
