"""The row-by-row reading path: the reference semantics of every reader.

Text is decoded, split with the standard library's ``csv`` module and cleaned row by row.  It is the path
for XLSX rows and for CSV files the vectorised reader (:mod:`.fast`) does not take (multi-line quoted fields,
unusual line breaks, pyarrow missing); tests compare the two on generated and hostile files.
"""
from __future__ import annotations

import csv
import io
from typing import Sequence

import pandas as pd

from ..findings import Finding, InputError
from .codes import (BAD_QUOTES, BINARY, CONTROL_CHARS, CONTROL_RE, DELIMITERS, DUPLICATE_HEADER, EMPTY,
                    ENCODING_USED, FOOTNOTE_DROPPED, LINE_TOO_LONG, MAX_LINE_CHARS, MAX_PROBLEMS, NO_DATA,
                    NO_HEADER, NUL_BYTES, RAGGED, UTF16, clean_cell, formula_findings, is_formula, is_number,
                    too_many_cells)


def decode_text(data: bytes, name: str | None = None) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else cp1252, else latin-1.  NUL bytes: not a text table."""
    if b"\x00" in data:
        wide = wide_encoding(data)
        if wide:
            raise InputError(Finding(UTF16, {"encoding": wide}, file=name))
        raise InputError(Finding(NUL_BYTES, {}, file=name))
    text = encoding = None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "latin-1"
    check_not_binary(text[:20000], name)
    return text, encoding


def check_not_binary(head: str, name: str | None) -> None:
    """A binary blob decodes as cp1252/latin-1 too: refuse when much of the first 20,000 characters are
    control characters."""
    ctrl = len(CONTROL_RE.findall(head))
    if ctrl > max(10, len(head) // 50):
        raise InputError(Finding(BINARY, {}, file=name))


def wide_encoding(data: bytes) -> str | None:
    """'UTF-16'/'UTF-32' when the NUL bytes are those of a wide encoding (with or without BOM), else None."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "UTF-32"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    sample = data[:4000]
    if len(sample) < 8:
        return None
    q = [sample[k::4].count(0) / max(1, len(sample[k::4])) for k in range(4)]
    if q[1] > 0.9 and q[2] > 0.9 and (q[0] < 0.1 or q[3] < 0.1):
        return "UTF-32"
    even, odd = sample[0::2].count(0) / len(sample[0::2]), sample[1::2].count(0) / len(sample[1::2])
    if (even > 0.9 and odd < 0.1) or (odd > 0.9 and even < 0.1):
        return "UTF-16"
    return None


def field_counts(lines: Sequence[str], delimiter: str) -> list[int]:
    """Fields per line as the csv module splits it (0 for an empty line)."""
    out = []
    for ln in lines:
        try:
            out.append(len(next(csv.reader([ln], delimiter=delimiter))))
        except (csv.Error, StopIteration):
            out.append(0)
    return out


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter among ; , tab | that splits the sample lines most consistently."""
    best, best_score = ";", -1.0
    sample = [ln for ln in lines if ln.strip()][:60]
    for d in DELIMITERS:
        counts = [c - 1 for c in field_counts(sample, d)]
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * (1 + min(mode, 50) / 100)
        if score > best_score:
            best, best_score = d, score
    return best


def first_long_line(lines: Sequence[str]) -> int | None:
    for i, ln in enumerate(lines, start=1):
        if len(ln) > MAX_LINE_CHARS:
            return i
    return None


def csv_rows(text: str, name: str | None, max_cells: int) -> tuple[list[list[str]], str]:
    lines = text.splitlines()
    long = first_long_line(lines)
    if long is not None:
        raise InputError(Finding(LINE_TOO_LONG, {"limit": MAX_LINE_CHARS}, file=name, row=long))
    delimiter = sniff_delimiter(lines[:200])
    del lines
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_CHARS)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        rows = []
        starts = []  # file line where each row starts
        prev = 0
        for row in reader:
            rows.append(row)
            starts.append(prev + 1)
            prev = reader.line_num
            if len(rows) * max(1, len(row)) > max_cells:
                raise too_many_cells(len(rows) * len(row), max_cells, name)
        if text.count('"') % 2:
            # an unterminated quote swallows the rest of the file into one field (corpus finding: the rows
            # after it were silently dropped as a "footnote"); refuse, naming the row where it opens
            for i, row in enumerate(rows):
                if any("\n" in c or "\r" in c for c in row):
                    raise InputError(Finding(BAD_QUOTES, {"error": "Anführungszeichen nicht geschlossen / "
                                                                   "unterminated quote"}, file=name, row=starts[i]))
    except csv.Error as exc:
        raise InputError(Finding(BAD_QUOTES, {"error": str(exc)}, file=name, row=reader.line_num)) from None
    finally:
        csv.field_size_limit(old_limit)
    return rows, delimiter


def find_header(rows: Sequence[Sequence[str]]) -> int | None:
    """Index of the header row: the first row with ≥ 2 non-empty, mostly non-numeric cells followed by data."""
    width = max((sum(1 for c in r if c.strip()) for r in rows[:200]), default=0)
    for i, row in enumerate(rows[:200]):
        filled = [c for c in row if c.strip()]
        if len(filled) < 2 or len(filled) < 0.5 * width:
            continue
        if sum(is_number(c.strip()) for c in filled) > len(filled) / 2:
            continue
        rest = rows[i + 1:i + 6]
        if any(sum(1 for c in r if c.strip()) >= 2 for r in rest):
            return i
    return None


def header_names(header: Sequence[str], name: str | None, h: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for j, col in enumerate(header):
        col = col or f"spalte_{j + 1}"
        if col in seen:
            raise InputError(Finding(DUPLICATE_HEADER, {"name": col}, file=name, row=h + 1, column=col))
        seen.add(col)
        names.append(col)
    return names


def footnote(row: Sequence[str]) -> str | None:
    """The text of a footnote row (exactly one non-empty cell, not a number), else None."""
    filled = [c for c in row if c]
    if len(filled) == 1 and not is_number(filled[0]):
        return filled[0]
    return None


def to_table(rows: list[list[str]], name: str | None, header_row: int | None, *, encoding, delimiter,
             sheet):
    """Rows (raw cells) → :class:`RawTable`: header, footnotes, ragged rows, control characters, formulas."""
    from . import RawTable, SourceRows

    findings: list[Finding] = []
    rows = [[clean_cell(c) for c in r] for r in rows]
    if not any(any(c for c in r) for r in rows):
        raise InputError(Finding(EMPTY, {}, file=name))
    if header_row is not None:
        h = int(header_row) - 1
        if not 0 <= h < len(rows):
            raise InputError(Finding(NO_HEADER, {}, file=name, row=header_row))
    else:
        h = find_header(rows)
        if h is None:
            raise InputError(Finding(NO_HEADER, {}, file=name))
    header = rows[h]
    # drop empty trailing header cells whose column is empty everywhere
    while header and not header[-1] and not any(len(r) >= len(header) and r[len(header) - 1]
                                               for r in rows[h + 1:]):
        header = header[:-1]
    names = header_names(header, name, h)
    width = len(names)
    body: list[list[str]] = []
    src: list[int] = []
    problems: list[Finding] = []
    formulas: list[tuple[str, int, str]] = []
    n_formulas = 0
    data_rows = rows[h + 1:]
    # trailing empty rows and footnotes (a single non-empty cell below the data) are not data
    end = len(data_rows)
    while end > 0 and not any(data_rows[end - 1]):
        end -= 1
    while end > 0 and width > 1 and footnote(data_rows[end - 1]) is not None:
        findings.append(Finding(FOOTNOTE_DROPPED, {"text": footnote(data_rows[end - 1])[:80]}, file=name,
                                row=h + 1 + end))
        end -= 1
        while end > 0 and not any(data_rows[end - 1]):
            end -= 1
    for k, row in enumerate(data_rows[:end]):
        line = h + 2 + k
        if not any(row):
            continue
        if len(row) > width:
            if any(row[width:]):
                problems.append(Finding(RAGGED, {"found": len(row), "expected": width}, file=name, row=line))
                if len(problems) >= MAX_PROBLEMS:  # the cap holds for ragged rows too (fuzz, 2026-12-06)
                    break
                continue
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        for j, cell in enumerate(row):
            if CONTROL_RE.search(cell):
                problems.append(Finding(CONTROL_CHARS, {}, file=name, row=line, column=names[j]))
            elif is_formula(cell):
                n_formulas += 1
                if len(formulas) < 1000:
                    formulas.append((cell, line, names[j]))
        body.append(row)
        src.append(line)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError(problems)
    if not body:
        raise InputError(Finding(NO_DATA, {}, file=name, row=h + 1))
    frame = pd.DataFrame(body, columns=names, dtype=object)
    findings += formula_findings(formulas, n_formulas, name)
    findings.insert(0, Finding(ENCODING_USED, {"encoding": encoding or "xlsx", "delimiter": delimiter or "-",
                                               "header_row": h + 1}, file=name))
    return RawTable(frame, SourceRows(src), name, encoding, delimiter, sheet, h + 1, tuple(findings))
