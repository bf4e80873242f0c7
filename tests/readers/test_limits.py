"""Limits by resources (issue 16 item 2): file bytes and cells (rows x columns) are settings; a file over them
is refused early - from its size before reading, from its first chunk before reading the rest, or exactly
before parsing - with a typed finding naming the file."""
from __future__ import annotations

import io

import pytest

from disclosure_rules import InputError, read_table_file
from disclosure_rules.readers import FIRST_CHUNK, MAX_CELLS, MAX_FILE_BYTES


def _rows(n: int) -> bytes:
    return b"baublock;status;anzahl\n" + b"".join(b"%07d;asyl;%d\n" % (i, i % 9) for i in range(n))


def _code(exc) -> str:
    return exc.value.findings[0].code


def test_defaults_admit_city_scale_tables():
    from publisher.config import SETTINGS, table_limits

    defaults = {s.key: s.default for s in SETTINGS}
    assert MAX_CELLS >= 50_000_000 and defaults["MAX_TABLE_CELLS"] == MAX_CELLS
    assert defaults["MAX_TABLE_BYTES"] == MAX_FILE_BYTES >= 1 << 30
    assert table_limits({}) == {"max_cells": MAX_CELLS, "max_bytes": MAX_FILE_BYTES}
    assert table_limits({"FREIGABE_MAX_TABLE_CELLS": "1000"})["max_cells"] == 1000
    with pytest.raises(RuntimeError, match="FREIGABE_MAX_TABLE_CELLS"):
        table_limits({"FREIGABE_MAX_TABLE_CELLS": "viele"})


def test_a_file_over_the_byte_limit_is_refused_from_its_size_without_reading(tmp_path):
    p = tmp_path / "riesig.csv"
    with p.open("wb") as fh:  # sparse: 2 GiB + 1 of nothing; reading it would take long and fill memory
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InputError) as exc:
        read_table_file(p)
    f = exc.value.findings[0]
    assert (f.code, f.file, f.params["size"], f.params["limit"]) == ("FG-READ-TOO-LARGE", "riesig.csv",
                                                                      MAX_FILE_BYTES + 1, MAX_FILE_BYTES)
    with pytest.raises(InputError) as exc:
        read_table_file(_rows(100), filename="t.csv", max_bytes=1000)
    assert _code(exc) == "FG-READ-TOO-LARGE"


@pytest.mark.parametrize("as_path", [True, False])
def test_too_many_cells_are_refused_from_the_first_chunk(tmp_path, as_path):
    head = _rows(80_000)  # ~1.4 MiB: the first MiB holds ~60,000 rows of 3 fields
    assert len(head) > FIRST_CHUNK
    data = head + b"\x00" * (3 * FIRST_CHUNK)  # NUL bytes after the first chunk: never looked at
    src = tmp_path / "t.csv" if as_path else data
    if as_path:
        src.write_bytes(data)
    with pytest.raises(InputError) as exc:
        read_table_file(src, filename="t.csv", max_cells=100_000)
    f = exc.value.findings[0]
    assert f.code == "FG-READ-TOO-MANY-CELLS-ESTIMATED" and f.file == "t.csv"
    assert f.params["estimate"] > 125_000 and f.params["limit"] == 100_000 and f.params["sample_rows"] > 50_000
    assert "100000" in f.message("de") and "start of the file" in f.message("en")


def test_too_many_cells_near_the_limit_are_counted_exactly():
    data = _rows(100_000)  # 100,001 lines x 3 fields = 300,003 cells
    with pytest.raises(InputError) as exc:
        read_table_file(data, filename="t.csv", max_cells=280_000)  # estimate within the 25 % margin
    assert _code(exc) == "FG-READ-TOO-MANY-CELLS"
    assert len(read_table_file(data, filename="t.csv", max_cells=300_003).frame) == 100_000


def test_the_row_by_row_path_keeps_the_same_limit():
    data = b'a;b\n1;"x\ny"\n' + b"2;3\n" * 2000  # a quoted line break: read by the reference path
    with pytest.raises(InputError) as exc:
        read_table_file(data, filename="t.csv", max_cells=1000)
    assert _code(exc) == "FG-READ-TOO-MANY-CELLS"
    assert len(read_table_file(data, filename="t.csv", max_cells=10_000).frame) == 2001


def test_xlsx_declaring_too_many_cells_is_refused_before_its_rows_are_read():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["baublock", "status", "anzahl"])
    for i in range(300):
        wb.active.append([f"{i:04d}", "asyl", i])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InputError) as exc:
        read_table_file(buf.getvalue(), filename="t.xlsx", max_cells=600)
    assert _code(exc) == "FG-READ-TOO-MANY-CELLS"
    assert len(read_table_file(buf.getvalue(), filename="t.xlsx", max_cells=903).frame) == 300


def test_freigabe_check_takes_the_limit_from_the_setting(tmp_path):
    from click.testing import CliRunner

    from publisher.cli_check import check_command

    table, hier = tmp_path / "t.csv", tmp_path / "h.csv"
    table.write_bytes(b"baublock;anzahl\n" + b"".join(b"%04d;%d\n" % (i, i % 7) for i in range(50)))
    hier.write_bytes(b"baublock;stadtteil\n" + b"".join(b"%04d;%02d\n" % (i, i // 10) for i in range(50)))
    args = [str(table), "--hierarchy", str(hier), "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(check_command, args, env={"FREIGABE_MAX_TABLE_CELLS": "60"})
    assert res.exit_code == 2 and "zu viele Zellen" in res.output and "60" in res.output
    assert not (tmp_path / "out" / "report.json").exists()
    res = CliRunner().invoke(check_command, args, env={"FREIGABE_MAX_TABLE_CELLS": "102"})
    assert res.exit_code in (0, 1), res.output
