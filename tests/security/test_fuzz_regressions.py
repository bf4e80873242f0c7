"""Regression cases for what the fuzz job (``scripts/fuzz.sh``) and the hostile-input corpus found.

Each test pins one finding: the input that crashed, hung, silently lost data or gave an unclear error, and
the typed answer it gets now.  Runs in ``make test`` (fast, no app needed except the intake cases).
"""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from disclosure_rules import InputError, assess, load_hierarchy, load_rules, prepare_table, read_table_file
from disclosure_rules.checkrun import run_check


def _xlsx(rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _codes(exc) -> set[str]:
    return {f.code for f in exc.value.findings}


# --- fuzz finding 1: a zip whose central directory claims "needs version 6.4" ---------------------------

def _needs_zip_64(data: bytes) -> bytes:
    b = bytearray(data)
    i = b.find(b"PK\x01\x02")
    b[i + 6] = 64  # "version needed to extract" -> zipfile raises NotImplementedError
    return bytes(b)


def test_zip_needing_an_unsupported_zip_version_is_a_broken_xlsx_not_a_crash(tmp_path):
    data = _needs_zip_64(_xlsx([["baublock", "anzahl"], ["0101", 5]]))
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(io.BytesIO(data))  # what used to escape
    with pytest.raises(InputError) as exc:
        read_table_file(data, filename="t.xlsx")
    assert _codes(exc) == {"FG-READ-XLSX-BROKEN"}
    assert exc.value.findings[0].file == "t.xlsx"
    # the same file given to `freigabe check` (also under a .csv name): exit 2 with a message, no traceback
    hier = tmp_path / "h.csv"
    hier.write_bytes(b"baublock;stadtteil\n0101;01\n0102;01\n")
    for name in ("t.xlsx", "t.csv"):
        p = tmp_path / name
        p.write_bytes(data)
        err = io.StringIO()
        assert run_check(p, hier, tmp_path / "out", stderr=err) == 2
        assert "Excel" in err.getvalue()


# --- fuzz finding 2: a count of 1e20 wrapped to a negative int64 and was "released" ----------------------

@pytest.mark.parametrize("value", ["99999999999999999999", "1.000.000.000.000.000", "1000000000001"])
def test_implausibly_large_count_is_refused_with_row_and_column(value):
    hier = load_hierarchy(pd.DataFrame({"block": ["0000", "0100", "0200"], "teil": ["000", "010", "020"]}))
    table = pd.DataFrame({"block": ["0000", "0100", "0200"], "anzahl": ["0", "0", value]})
    with pytest.raises(InputError) as exc:
        prepare_table(table, hier, geo_column="block", count_columns=["anzahl"])
    f = exc.value.findings[0]
    assert (f.code, f.row, f.column) == ("FG-TABLE-COUNT-TOO-LARGE", 4, "anzahl")
    assert value in f.message("de") and "1000000000000" in f.message("en")


def test_large_but_plausible_counts_keep_exact_sums():
    hier = load_hierarchy(pd.DataFrame({"block": ["0000", "0100"], "teil": ["000", "000"]}))
    table = pd.DataFrame({"block": ["0000", "0100"], "anzahl": ["1.000.000.000.000", "999.999.999.999"]})
    a = assess(prepare_table(table, hier, geo_column="block", count_columns=["anzahl"]), hier, load_rules())
    vals = a.releasable["count"].astype("int64").to_numpy()
    assert (vals >= 0).all() and int(vals.sum()) == 1_999_999_999_999


def test_integer_frame_with_huge_values_is_refused_too():
    hier = load_hierarchy(pd.DataFrame({"block": ["0000", "0100"], "teil": ["000", "000"]}))
    table = pd.DataFrame({"block": ["0000", "0100"], "anzahl": np.array([3, 2**62], dtype=np.int64)})
    with pytest.raises(InputError) as exc:
        prepare_table(table, hier, geo_column="block", count_columns=["anzahl"])
    assert _codes(exc) == {"FG-TABLE-COUNT-TOO-LARGE"}


# --- corpus finding: an unterminated quote silently dropped every later row as a "footnote" ---------------

def test_unterminated_quote_is_refused_naming_the_row_where_it_opens():
    text = "baublock;anzahl\n0101;5\n0102;6\n\"0103;7\n0104;8\n0105;9\n"
    with pytest.raises(InputError) as exc:
        read_table_file(text.encode(), filename="t.csv")
    f = exc.value.findings[0]
    assert (f.code, f.row, f.file) == ("FG-READ-BAD-QUOTES", 4, "t.csv")


def test_quoted_fields_with_delimiters_and_escaped_quotes_still_read():
    text = 'baublock;name;anzahl\n0101;"Nord; Mitte";5\n0102;"Der ""Kiez""";6\n'
    raw = read_table_file(text.encode(), filename="t.csv")
    assert list(raw.frame["name"]) == ["Nord; Mitte", 'Der "Kiez"']


# --- corpus finding: UTF-16/32 without BOM got "contains NUL bytes" --------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-32-le", "utf-32-be"])
def test_wide_encodings_get_a_message_that_says_how_to_save(encoding):
    data = "baublock;anzahl\n0101;5\n0102;6\nSchützenstraße;7\n".encode(encoding)
    with pytest.raises(InputError) as exc:
        read_table_file(data, filename="t.csv")
    f = exc.value.findings[0]
    assert f.code == "FG-READ-UTF16" and "UTF-8" in f.message("de") and f.params["encoding"] in ("UTF-16", "UTF-32")


def test_binary_with_nul_bytes_is_still_not_a_text_table():
    with pytest.raises(InputError) as exc:
        read_table_file(bytes(range(256)) * 4, filename="t.csv")
    assert _codes(exc) == {"FG-READ-NUL"}


# --- corpus finding: a file named .xlsx that is no zip was read as text (or got "NUL bytes") ---------------

@pytest.mark.parametrize("data", [b"baublock;anzahl\n0101;5\n0102;6\n", b"PK\x05\x06" + b"\0" * 18,
                                  b"<html>kein Excel</html>"])
def test_non_zip_xlsx_is_a_broken_excel_file(data):
    with pytest.raises(InputError) as exc:
        read_table_file(data, filename="Tabelle.XLSX")
    assert _codes(exc) == {"FG-READ-XLSX-BROKEN"}


# --- corpus findings in intake: file names and a contact that made approved releases unpublishable -------

def test_long_file_names_keep_their_extension_and_dot_names_their_type():
    from publisher.services.intake import safe_filename

    long = safe_filename("x" * 300 + ".csv")
    assert len(long) == 200 and long.endswith(".csv")
    assert safe_filename(".csv") == "upload.csv"
    assert safe_filename("....xlsx") == "upload.xlsx"
    assert safe_filename("\x00.csv") == "upload.csv"
    assert safe_filename("../../etc/passwd.csv") == "passwd.csv"
    assert safe_filename("tab\u202ele.csv") == "table.csv"
    assert safe_filename(".bashrc") == "upload.bashrc"  # and then refused as an unsupported type


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    """SQLite only: intake's metadata validation does not depend on the database backend."""
    import shutil

    path = tmp_path / "freigabe.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def test_contact_without_an_email_is_refused_at_intake_unless_the_office_has_one(ctx, users, hierarchy, table_bytes):
    from publisher.models import Submission
    from publisher.services import intake, reference
    from publisher.services.errors import InvalidInput

    reference.ensure_default_rule_set(ctx)
    md = {"title": "T", "reference_period": "2026-07", "contact": "<b>Herr Müller</b>"}
    mapping = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"]}
    with pytest.raises(InvalidInput) as exc:
        intake.create_draft(ctx, users["submitter"], data=table_bytes(seed=2), filename="t.csv", metadata=md,
                            mapping=mapping, hierarchy=hierarchy.id)
    f = exc.value.findings[0]
    assert (f.code, f.column) == ("publisher.invalid_field", "contact")
    assert ctx.session.query(Submission).count() == 0
    ctx.settings["PUBLISHER_EMAIL"] = "statistik@stadt.example"  # the package then uses the office's e-mail
    sub = intake.create_draft(ctx, users["submitter"], data=table_bytes(seed=2), filename="t.csv", metadata=md,
                              mapping=mapping, hierarchy=hierarchy.id)
    assert sub.current_version.meta["contact"] == "<b>Herr Müller</b>"


# --- issue 16: the reader admits 10^8 cells now; counts of up to 10^12 each could wrap int64 in the sums ---

def test_implausible_total_is_refused_before_any_sum_can_wrap():
    hier = load_hierarchy(pd.DataFrame({"block": [f"{i:04d}" for i in range(1001)], "teil": ["00"] * 1001}))
    table = pd.DataFrame({"block": [f"{i:04d}" for i in range(1001)], "anzahl": ["1.000.000.000.000"] * 1001})
    with pytest.raises(InputError) as exc:
        prepare_table(table, hier, geo_column="block", count_columns=["anzahl"])
    assert _codes(exc) == {"FG-TABLE-TOTAL-TOO-LARGE"}
    ok = prepare_table(table.iloc[:1000], hier, geo_column="block", count_columns=["anzahl"])  # 10^15: fine
    assert int(ok.data["count"].sum()) == 10**15
