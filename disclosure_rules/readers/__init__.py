"""Reading tables and hierarchies as German offices export them (CSV and XLSX).

Everything is read as text (codes keep their leading zeros); numbers are parsed later, per column, with
:func:`parse_number_column`.  Every problem is a typed finding naming the file, the row (1-based, as the
user sees it in the file or sheet) and the column.  Hostile input (binary data, zip bombs, NUL bytes,
over-long lines, ragged rows) gives an :class:`InputError`, never a crash or a hang.

Two ways to the same result: CSV files go through the vectorised reader (:mod:`.fast`, pyarrow) unless
they need the row-by-row reference (:mod:`.rows`: quoted fields spanning lines, unusual line breaks);
XLSX sheets are streamed by openpyxl and built column-wise (:mod:`.columnar`).  Size limits are refused
early: from the file size, then from the first chunk (an estimate of rows x columns), then exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from ..findings import Finding, InputError
from .codes import (BINARY, EMPTY, MAX_CELLS, MAX_FILE_BYTES, MAX_LINE_CHARS, TOO_LARGE, TOO_MANY_CELLS_EST,
                    XLSX_BROKEN)
from .codes import *  # noqa: F401,F403  (the finding codes and limits, as before the split)
from .numbers import UNKNOWN_SYMBOLS, ZERO_SYMBOLS, parse_german_number, parse_number_column  # noqa: F401
from .rows import csv_rows, decode_text, field_counts, sniff_delimiter, to_table  # noqa: F401

FIRST_CHUNK = 1 << 20


class SourceRows(Sequence[int]):
    """The 1-based file row of every frame row: a read-only int64 array that behaves like a tuple of ints
    (equality with tuples and lists, iteration, indexing) and hands itself to numpy without copying."""

    __slots__ = ("_a",)

    def __init__(self, rows) -> None:
        a = np.asarray(rows, dtype=np.int64)
        a.setflags(write=False)
        self._a = a

    def __len__(self) -> int:
        return len(self._a)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return SourceRows(self._a[i])
        return int(self._a[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self._a.tolist())

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)

    def __eq__(self, other) -> bool:
        if isinstance(other, SourceRows):
            return bool(np.array_equal(self._a, other._a))
        if isinstance(other, (tuple, list)):
            return len(other) == len(self._a) and tuple(self._a.tolist()) == tuple(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        head = ", ".join(map(str, self._a[:6].tolist()))
        return f"SourceRows(({head}{', …' if len(self._a) > 6 else ''}), n={len(self._a)})"


@dataclass(frozen=True)
class RawTable:
    frame: pd.DataFrame  # all cells str, stripped; header applied (columns: categoricals of str when read)
    source_rows: Sequence[int]  # 1-based row in the file/sheet of every frame row
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
                    header_row: int | None = None, *, max_cells: int | None = None,
                    max_bytes: int | None = None, progress=None, _fast: bool = True) -> RawTable:
    """Read a CSV or XLSX table (path or bytes) into a :class:`RawTable`.

    ``max_bytes`` (default :data:`MAX_FILE_BYTES`) and ``max_cells`` (rows x columns, default
    :data:`MAX_CELLS`) are the operator's limits; a file over them is refused before it is parsed.
    ``progress(fraction)`` is called now and then while a large CSV is parsed (0..1, by rows).
    ``_fast=False`` takes the row-by-row reference path for CSV (tests compare the two)."""
    name = _name(source, filename)
    max_bytes = int(max_bytes or MAX_FILE_BYTES)
    max_cells = int(max_cells or MAX_CELLS)
    if isinstance(source, (str, Path)):
        data = _read_path(Path(source), name, max_bytes, max_cells)
    else:
        data = bytes(source)
        if len(data) > max_bytes:
            raise InputError(Finding(TOO_LARGE, {"size": len(data), "limit": max_bytes}, file=name))
        _estimate(data[:FIRST_CHUNK], len(data), name, max_cells)
    if _blank(data):
        raise InputError(Finding(EMPTY, {}, file=name))
    if data[:4] == b"PK\x03\x04":
        from .columnar import body_from_rows, build_table
        from .xlsx import xlsx_rows

        rows, sheet_name = xlsx_rows(data, name, sheet, max_cells)
        body = body_from_rows(rows)
        del rows
        return build_table(body, name, header_row, encoding=None, delimiter=None, sheet=sheet_name)
    if data[:4] in (b"PK\x05\x06", b"PK\x07\x08") or (name or "").lower().endswith((".xlsx", ".xlsm")):
        # an empty/spanned zip, or a file named .xlsx that is no zip at all (corpus finding: was read as text)
        raise InputError(Finding(XLSX_BROKEN, {"error": "keine Excel-Arbeitsmappe / not an Excel workbook"},
                                 file=name))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or data[:5] == b"%PDF-":
        raise InputError(Finding(BINARY, {}, file=name))
    if b"\x00" in data:
        decode_text(data, name)  # raises the NUL / UTF-16 finding
    from . import fast

    if _fast and fast.available():
        table = fast.read_csv_fast(data, name, header_row, max_cells, progress)
        if table is not None:
            return table
    text, encoding = decode_text(data, name)
    rows, delimiter = csv_rows(text, name, max_cells)
    del text
    return to_table(rows, name, header_row, encoding=encoding, delimiter=delimiter, sheet=None)


def _blank(data: bytes) -> bool:
    return not data[:65536].strip() and not data.strip()


def _read_path(p: Path, name: str | None, max_bytes: int, max_cells: int) -> bytes:
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(Finding(TOO_LARGE, {"size": size, "limit": max_bytes}, file=name))
        with p.open("rb") as fh:
            _estimate(fh.read(FIRST_CHUNK), size, name, max_cells)
            fh.seek(0)
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(Finding(BINARY, {}, file=name)) from exc
    if len(data) > max_bytes:
        raise InputError(Finding(TOO_LARGE, {"size": len(data), "limit": max_bytes}, file=name))
    return data


def _estimate(first: bytes, size: int, name: str | None, max_cells: int) -> None:
    """Refuse a text table whose first chunk, scaled to the file size, clearly has more cells than allowed
    (rows x columns; 25 % margin for the estimate, the exact count follows when the file is read)."""
    if size <= len(first) or first[:2] == b"PK" or b"\x00" in first:
        return
    cut = first.rfind(b"\n")
    if cut <= 0:
        return
    sample = first[:cut + 1]
    lines = sample.decode("utf-8", errors="replace").splitlines()
    counts = [c for c in field_counts(lines[:200], sniff_delimiter(lines[:200])) if c > 0]
    if not counts:
        return
    k = max(set(counts), key=counts.count)
    estimate = int(size / len(sample) * len(lines)) * k
    if estimate > max_cells * 1.25:
        raise InputError(Finding(TOO_MANY_CELLS_EST, {"size": size, "sample_rows": len(lines),
                                                      "estimate": estimate, "limit": max_cells}, file=name))


__all__ = ["RawTable", "SourceRows", "read_table_file", "decode_text", "sniff_delimiter",
           "parse_german_number", "parse_number_column", "ZERO_SYMBOLS", "UNKNOWN_SYMBOLS", "MAX_LINE_CHARS"]
