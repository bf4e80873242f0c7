"""The row-by-row reference reader and a comparison of two reads (for the differential tests)."""
from __future__ import annotations

from disclosure_rules import InputError, read_table_file
from disclosure_rules.readers import decode_text
from disclosure_rules.readers.columnar import body_from_rows, build_table
from disclosure_rules.readers.rows import csv_rows, to_table

BIG = 10**12


def reference_read(data: bytes, name="t.csv", header_row=None):
    """What read_table_file gives for a CSV through the row-by-row path only."""
    try:
        return read_table_file(data, filename=name, header_row=header_row, max_cells=BIG, max_bytes=BIG,
                               _fast=False)
    except InputError as exc:
        return exc


def fast_read(data: bytes, name="t.csv", header_row=None):
    try:
        return read_table_file(data, filename=name, header_row=header_row, max_cells=BIG, max_bytes=BIG)
    except InputError as exc:
        return exc


def columnar_from_rows(rows, name="t.xlsx", header_row=None):
    """The reference row logic and the columnar builder on the same text rows (as XLSX gives them)."""
    out = []
    for build in (lambda: to_table([list(r) for r in rows], name, header_row, encoding=None, delimiter=None,
                                   sheet="S"),
                  lambda: build_table(body_from_rows([list(r) for r in rows]), name, header_row, encoding=None,
                                      delimiter=None, sheet="S")):
        try:
            out.append(build())
        except InputError as exc:
            out.append(exc)
    return out


def summary(result):
    """Everything a caller can see of a read: the frame's cells, columns, rows, findings - or the errors."""
    if isinstance(result, InputError):
        return ("error", [f.to_dict() for f in result.findings])
    frame = result.frame
    return ("table", list(frame.columns), [[str(v) for v in row] for row in frame.astype(object).values.tolist()],
            list(result.source_rows), result.encoding, result.delimiter, result.header_row, result.sheet,
            [f.to_dict() for f in result.findings])


__all__ = ["reference_read", "fast_read", "columnar_from_rows", "summary", "decode_text", "csv_rows"]
