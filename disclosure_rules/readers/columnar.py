"""The vectorised table builder: the semantics of :func:`.rows.to_table` on a columnar body.

A :class:`Body` holds every row of the file or sheet.  *Regular* rows (the usual number of fields, K) are
stored column by column as integer codes into the column's distinct, already cleaned values; the few
*irregular* rows (title lines, footnotes, ragged rows, re-parsed quoted lines) are kept as lists.  All the
string work (cleaning, control characters, formulas) is done once per distinct value; the row logic
(header, footnotes, ragged rows, the first 50 problems, padding) runs on integer arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..findings import Finding, InputError
from .codes import (CONTROL_CHARS, CONTROL_RE, EMPTY, ENCODING_USED, FOOTNOTE_DROPPED, MAX_PROBLEMS, NO_DATA,
                    NO_HEADER, RAGGED, clean_cell, formula_findings, is_formula)
from .rows import find_header, footnote, header_names


@dataclass
class Column:
    codes: np.ndarray  # per regular row: index into ``values``
    values: np.ndarray  # object array of distinct cleaned strings
    _flags: dict = field(default_factory=dict)

    def flag(self, kind: str) -> np.ndarray:
        """Per distinct value: 'filled' (non-empty), 'control' (control characters), 'formula'."""
        if kind not in self._flags:
            self._flags[kind] = _flags(self.values, kind)
        return self._flags[kind]

    def rows_with(self, kind: str) -> np.ndarray:
        return self.flag(kind)[self.codes]


def _flags(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == "filled":
        return np.fromiter((bool(v) for v in values), dtype=bool, count=len(values))
    candidates = _candidates(values, kind)
    out = np.zeros(len(values), dtype=bool)
    test = (lambda v: CONTROL_RE.search(v) is not None) if kind == "control" else is_formula
    for i in candidates:
        out[i] = test(values[i])
    return out


def _candidates(values: np.ndarray, kind: str) -> np.ndarray:
    """Indices of the values that may have the property (a superset, found in C when pyarrow is there)."""
    if len(values) < 2000:
        return np.arange(len(values))
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency; the plain loop is the same rule
        return np.arange(len(values))
    arr = pa.array(values, type=pa.string())
    if kind == "control":
        hit = pc.match_substring_regex(arr, "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]")
    else:  # a formula starts (after any kind of white space) with = + @ or -
        hit = pc.match_substring_regex(arr, "^[\\t-\\r\\x1c-\\x1f\\x{85}\\p{Z}]*[-=+@]")
    return np.flatnonzero(hit.to_numpy(zero_copy_only=False))


@dataclass
class Body:
    n: int  # rows of the file/sheet (each regular or irregular)
    columns: list[Column]  # K columns of the regular rows
    regular: np.ndarray  # sorted row indices (0-based) of the regular rows
    irregular: dict[int, list[str]]  # row index -> cleaned cells
    # CSV: is row i an empty line?  (The csv module gives [] for it, pyarrow K empty fields; only a header row
    # named by the caller can be such a row, and there the difference shows.)
    empty_line: Callable[[int], bool] | None = None

    @property
    def width(self) -> int:
        return len(self.columns)

    def row(self, i: int) -> list[str]:
        if i in self.irregular:
            return self.irregular[i]
        p = int(np.searchsorted(self.regular, i))
        return [str(c.values[c.codes[p]]) for c in self.columns]


def body_from_rows(rows: list[list[str]]) -> Body:
    """A Body from text rows (XLSX): rows of the most common length are regular."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    k = int(np.bincount(lengths).argmax()) if len(rows) else 0
    regular = np.flatnonzero(lengths == k)
    irregular = {int(i): [clean_cell(c) for c in rows[i]] for i in np.flatnonzero(lengths != k)}
    columns = []
    for j in range(k):
        raw = np.fromiter((rows[i][j] for i in regular), dtype=object, count=len(regular))
        codes, uniques = pd.factorize(raw)
        columns.append(clean_column(codes, np.asarray(uniques, dtype=object)))
    return Body(len(rows), columns, regular, irregular)


def clean_column(codes: np.ndarray, raw_values: np.ndarray, clean: np.ndarray | None = None) -> Column:
    """Distinct raw values → distinct cleaned values (merging those that clean to the same text)."""
    if clean is None:
        clean = np.fromiter((clean_cell(v) for v in raw_values), dtype=object, count=len(raw_values))
    new_codes, values = pd.factorize(clean)
    if len(values) == len(clean):  # cleaning merged nothing: the codes stay as they are
        return Column(codes.astype(np.int32, copy=False), np.asarray(values, dtype=object))
    remap = new_codes.astype(np.int32) if len(values) < 2**31 else new_codes
    return Column(remap[codes] if len(codes) else codes.astype(np.int32), np.asarray(values, dtype=object))


def build_table(body: Body, name: str | None, header_row: int | None, *, encoding, delimiter, sheet):
    """The :class:`RawTable` of a body: exactly what :func:`.rows.to_table` makes of the same rows."""
    from . import RawTable, SourceRows

    n, cols, reg, irr = body.n, body.columns, body.regular, body.irregular
    filled_count = np.zeros(len(reg), dtype=np.int32)
    for c in cols:
        filled_count += c.rows_with("filled")
    if not (filled_count > 0).any() and not any(any(r) for r in irr.values()):
        raise InputError(Finding(EMPTY, {}, file=name))
    if header_row is not None:
        h = int(header_row) - 1
        if not 0 <= h < n:
            raise InputError(Finding(NO_HEADER, {}, file=name, row=header_row))
    else:
        h = find_header([body.row(i) for i in range(min(n, 206))])
        if h is None:
            raise InputError(Finding(NO_HEADER, {}, file=name))
    header = body.row(h)
    if body.empty_line is not None and not any(header) and h not in irr and body.empty_line(h):
        header = []
    while header and not header[-1] and not _filled_below(body, len(header) - 1, h):
        header = header[:-1]
    names = header_names(header, name, h)
    width = len(names)

    def is_empty(i: int) -> bool:
        if i in irr:
            return not any(irr[i])
        return filled_count[int(np.searchsorted(reg, i))] == 0

    findings: list[Finding] = []
    end = n  # exclusive; rows h+1 .. end-1 are the data rows
    while end > h + 1 and is_empty(end - 1):
        end -= 1
    while end > h + 1 and width > 1 and footnote(body.row(end - 1)) is not None:
        findings.append(Finding(FOOTNOTE_DROPPED, {"text": footnote(body.row(end - 1))[:80]}, file=name, row=end))
        end -= 1
        while end > h + 1 and is_empty(end - 1):
            end -= 1
    # regular rows of the body and their problems (ragged: extra non-empty fields; control characters)
    lo, hi = np.searchsorted(reg, h + 1), np.searchsorted(reg, end)
    in_body = np.zeros(len(reg), dtype=bool)
    in_body[lo:hi] = True
    in_body &= filled_count > 0
    k = len(cols)
    jmax = min(k, width)
    ragged = np.zeros(len(reg), dtype=bool)
    for c in cols[width:]:
        ragged |= c.rows_with("filled")
    n_problems = np.zeros(len(reg), dtype=np.int32)
    for c in cols[:jmax]:
        n_problems += c.rows_with("control")
    n_problems = np.where(ragged, 1, n_problems)
    # irregular rows of the body, the reference logic row by row
    irr_rows = sorted(i for i in irr if h + 1 <= i < end and any(irr[i]))
    irr_cells: dict[int, list[str]] = {}
    irr_problems: dict[int, list[Finding]] = {}
    for i in irr_rows:
        row = irr[i]
        if len(row) > width:
            if any(row[width:]):
                irr_problems[i] = [Finding(RAGGED, {"found": len(row), "expected": width}, file=name, row=i + 1)]
                continue
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        irr_cells[i] = row
        irr_problems[i] = [Finding(CONTROL_CHARS, {}, file=name, row=i + 1, column=names[j])
                           for j, cell in enumerate(row) if CONTROL_RE.search(cell)]
    # the first rows (in file order) until 50 problems are reached, as the row loop does
    bad_reg = np.flatnonzero(in_body & (n_problems > 0))
    events = sorted([(int(reg[p]), int(n_problems[p]), p) for p in bad_reg[:MAX_PROBLEMS]]
                    + [(i, len(irr_problems[i]), None) for i in irr_rows if irr_problems[i]][:MAX_PROBLEMS])
    if events:
        problems: list[Finding] = []
        for i, _, p in events:
            if p is None:
                problems += irr_problems[i]
            elif ragged[p]:
                problems.append(Finding(RAGGED, {"found": k, "expected": width}, file=name, row=i + 1))
            else:
                problems += [Finding(CONTROL_CHARS, {}, file=name, row=i + 1, column=names[j])
                             for j in range(jmax) if cols[j].flag("control")[cols[j].codes[p]]]
            if len(problems) >= MAX_PROBLEMS:
                break
        raise InputError(problems)
    sel = np.flatnonzero(in_body)
    if not len(sel) and not irr_cells:
        raise InputError(Finding(NO_DATA, {}, file=name, row=h + 1))
    findings += _formulas(cols[:jmax], reg, sel, irr_cells, names, name)
    frame, rows = _frame(cols, reg, sel, irr_cells, names)
    findings.insert(0, Finding(ENCODING_USED, {"encoding": encoding or "xlsx", "delimiter": delimiter or "-",
                                               "header_row": h + 1}, file=name))
    return RawTable(frame, SourceRows(rows + 1), name, encoding, delimiter, sheet, h + 1, tuple(findings))


def _filled_below(body: Body, j: int, h: int) -> bool:
    """Does any row below the header have a non-empty field j?"""
    if j < body.width:
        hits = np.flatnonzero(body.columns[j].rows_with("filled"))
        if len(hits) and body.regular[hits[-1]] > h:
            return True
    return any(i > h and len(r) > j and r[j] for i, r in body.irregular.items())


def _formulas(cols, reg, sel, irr_cells, names, name) -> list[Finding]:
    hits: list[tuple[int, int]] = []  # (row index, column index)
    total = 0
    for j, c in enumerate(cols):
        f = c.flag("formula")
        if not f.any():
            continue
        rows = sel[f[c.codes[sel]]]
        total += len(rows)
        hits += [(int(reg[p]), j) for p in rows[:1000]]
    for i, row in irr_cells.items():
        for j, cell in enumerate(row):
            if not CONTROL_RE.search(cell) and is_formula(cell):
                total += 1
                hits.append((i, j))
    hits.sort()

    def text(i, j):
        if i in irr_cells:
            return irr_cells[i][j]
        p = int(np.searchsorted(reg, i))
        return str(cols[j].values[cols[j].codes[p]])
    return formula_findings([(text(i, j), i + 1, names[j]) for i, j in hits[:1000]], total, name)


def _frame(cols, reg, sel, irr_cells, names) -> tuple[pd.DataFrame, np.ndarray]:
    """Columns as categoricals of the used cleaned strings; the rows in file order."""
    irr_idx = np.asarray(sorted(irr_cells), dtype=np.int64)
    # the usual case: the body's regular rows are one run of positions (no empty rows in between)
    sel_slice = slice(int(sel[0]), int(sel[-1]) + 1) if len(sel) and sel[-1] - sel[0] + 1 == len(sel) else None
    reg_rows = reg[sel_slice if sel_slice is not None else sel]
    n = len(reg_rows) + len(irr_idx)
    if len(irr_idx):
        irr_pos = np.searchsorted(reg_rows, irr_idx) + np.arange(len(irr_idx))
        reg_mask = np.ones(n, dtype=bool)
        reg_mask[irr_pos] = False
        rows = np.empty(n, dtype=np.int64)
        rows[reg_mask] = reg_rows
        rows[irr_pos] = irr_idx
    else:
        irr_pos, reg_mask, rows = None, None, reg_rows.astype(np.int64)
    data = {}
    for j, col_name in enumerate(names):
        if j < len(cols):
            values = list(cols[j].values)
            codes_reg = cols[j].codes[sel_slice if sel_slice is not None else sel]
        else:
            values = [""]
            codes_reg = np.zeros(len(sel), dtype=np.int32)
        if irr_pos is not None:
            index = {v: i for i, v in enumerate(values)}
            extra = []
            for i in irr_idx:
                v = irr_cells[int(i)][j]
                if v not in index:
                    index[v] = len(values)
                    values.append(v)
                extra.append(index[v])
            codes = np.empty(n, dtype=np.int64)
            codes[reg_mask] = codes_reg
            codes[irr_pos] = extra
        else:
            codes = codes_reg
        used = np.zeros(len(values), dtype=bool)
        used[codes] = True
        if used.all():
            cats = pd.Index(np.asarray(values, dtype=object), dtype=object)
        else:
            remap = (np.cumsum(used) - 1).astype(codes.dtype)
            codes = remap[codes]
            cats = pd.Index(np.asarray(values, dtype=object)[used], dtype=object)
        data[col_name] = pd.Categorical.from_codes(codes, categories=cats, validate=False)
    return pd.DataFrame(data, columns=names), rows
