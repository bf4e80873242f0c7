"""The vectorised CSV path: pyarrow splits the lines, the rest is done once per distinct value.

pyarrow's CSV parser (faster here than pandas' C engine, see docs/performance.md) runs *without* quote
handling, so every line is one row and every delimiter splits; a field that starts with a quote is then
unquoted when it is one cleanly quoted field (``"..."`` with ``""`` inside), exactly as Python's ``csv``
module reads it.  Lines with another field count (title rows, footnotes, ragged rows) and lines with any
other use of quotes are re-read one by one with the ``csv`` module.  Files this path cannot read with the
same meaning as the row-by-row reference return ``None`` (the caller then takes :mod:`.rows`): a quoted
field spanning lines, line breaks other than LF/CRLF, a count of rows that does not add up.
"""
from __future__ import annotations

import codecs
import csv
import io

import numpy as np

from ..findings import Finding, InputError
from .codes import LINE_TOO_LONG, MAX_LINE_CHARS, clean_cell, too_many_cells
from .columnar import Body, build_table, clean_column
from .rows import check_not_binary, field_counts, sniff_delimiter

BLOCK_BYTES = 8 << 20  # pyarrow block: a line longer than this cannot be read by it (and is too long anyway)
THREADS_MIN_BYTES = 2 * BLOCK_BYTES  # smaller bodies are one or two blocks: threads gain nothing
IRREGULAR_MAX = 200_000  # more irregular lines than this: the row-by-row path
CHUNK = 16 << 20
# line breaks str.splitlines() knows besides LF, CR and CRLF (the reference counts line lengths with them)
_OTHER_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_BOM = b"\xef\xbb\xbf"


def available() -> bool:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.csv  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return False
    return True


def _valid(buf: bytes, start: int, encoding: str) -> bool:
    if encoding == "utf-8":  # pyarrow's validation is ~20x faster than decoding
        import pyarrow as pa

        size = len(buf) - start
        offsets = pa.py_buffer(np.array([0, size], dtype=np.int64))
        try:
            pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(buf)[start:]]).validate(
                full=True)
        except pa.ArrowInvalid:
            return False
        return True
    dec = codecs.getincrementaldecoder(encoding)()
    mv = memoryview(buf)
    try:
        for i in range(start, len(buf), CHUNK):
            dec.decode(mv[i:i + CHUNK], False)
        dec.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def utf8_bytes(data: bytes, name: str | None) -> tuple[str, bytes, int]:
    """(encoding, UTF-8 bytes, offset of the text in them): the encoding decode_text would choose, and the
    same text as UTF-8 (the input itself when it is UTF-8).  Refuses binary data as decode_text does."""
    if data.startswith(_BOM) and _valid(data, 3, "utf-8"):
        encoding, buf, start = "utf-8-sig", data, 3
    elif _valid(data, 0, "utf-8"):
        encoding, buf, start = "utf-8", data, 0
    else:
        encoding = "cp1252" if _valid(data, 0, "cp1252") else "latin-1"
        mv = memoryview(data)
        buf, start = b"".join(str(mv[i:i + CHUNK], encoding).encode("utf-8")
                              for i in range(0, len(data), CHUNK)), 0
    check_not_binary(buf[start:start + 80_004].decode("utf-8", errors="ignore")[:20000], name)
    return encoding, buf, start


def head_lines(buf: bytes, start: int, n: int = 200) -> list[str]:
    """The first n lines (as str.splitlines() gives them, for files with LF/CRLF line breaks only)."""
    pos = start
    for _ in range(n + 1):
        nxt = buf.find(b"\n", pos)
        if nxt < 0:
            pos = len(buf)
            break
        pos = nxt + 1
    return buf[start:pos].decode("utf-8").splitlines()[:n]


def _line_text(buf: bytes, start: int, i: int) -> bytes:
    """The bytes of line i (0-based; CR, LF and CRLF end lines), line break excluded."""
    pos = start
    for _ in range(i):
        m = _EOL.search(buf, pos)
        if m is None:
            return b""
        pos = m.end()
    m = _EOL.search(buf, pos)
    return buf[pos:m.start() if m else len(buf)]


def line_count(buf: bytes, start: int) -> int:
    """Rows as the csv module (and pyarrow) see them: LF, CR and CRLF end a line."""
    if len(buf) <= start:
        return 0
    n = buf.count(b"\n", start)
    if buf.find(b"\r", start) >= 0:
        n += buf.count(b"\r", start) - buf.count(b"\r\n", start)
    return n + (0 if buf.endswith((b"\n", b"\r")) else 1)


def other_line_breaks(buf: bytes, start: int) -> bool:
    """Line breaks str.splitlines() knows besides CR and LF (the reference measures line lengths by them)."""
    return any(buf.find(s, start) >= 0 for s in _OTHER_BREAKS)


def read_csv_fast(data: bytes, name: str | None, header_row: int | None, max_cells: int, progress=None):
    """A :class:`RawTable`, or None when the file needs the row-by-row reader."""
    encoding, buf, start = utf8_bytes(data, name)
    if buf.startswith(_BOM, start):  # a second byte-order mark: pyarrow would drop it, the csv module keeps it
        return None
    lines = head_lines(buf, start)
    delimiter = sniff_delimiter(lines)
    counts = [c for c in field_counts(lines, delimiter) if c > 0]
    if not counts:
        return None
    k = max(set(counts), key=counts.count)
    n_lines = line_count(buf, start)
    if n_lines * k > max_cells:
        raise too_many_cells(n_lines * k, max_cells, name)
    threads = _regular_edges(buf, start, lines, delimiter, k)
    parsed = _parse(buf, start, delimiter, k, name, progress, n_lines, threads)
    if parsed is _SERIAL:  # an irregular line turned up: read again in one thread, which knows line numbers
        parsed = _parse(buf, start, delimiter, k, name, progress, n_lines, False)
    if parsed is None or parsed[0] != n_lines:
        return None
    n, columns, regular, irregular_text = parsed
    irregular = {}
    for i, text in irregular_text.items():
        cells = parse_line(text, delimiter)
        if cells is None:  # a quoted field goes on in the next line
            return None
        irregular[i] = [clean_cell(c) for c in cells]
    body = Body(n, columns, regular, irregular, lambda i: _line_text(buf, start, i) == b"")
    return build_table(body, name, header_row, encoding=encoding, delimiter=delimiter, sheet=None)


_SERIAL = object()


def _regular_edges(buf: bytes, start: int, head: list[str], delimiter: str, k: int) -> bool:
    """May the body be parsed by several threads?  Only when no line is expected to be refused: the first
    lines and the last lines (titles, footnotes) have the usual field count and no quotes.  pyarrow tells the
    line number of a refused line only when it reads in one thread; a refusal then means reading again."""
    if len(buf) - start < THREADS_MIN_BYTES:
        return False
    tail = buf[max(start, len(buf) - 16384):].decode("utf-8", errors="replace").splitlines()[1:]
    edges = head[:50] + tail[-50:]
    return all('"' not in t for t in edges) and all(c == k for c in field_counts(edges, delimiter))


def parse_line(text: str, delimiter: str) -> list[str] | None:
    """The fields of one line as the csv module reads them, or None when a quote stays open at its end."""
    rows = list(csv.reader(io.StringIO(text + "\nx\n", newline=""), delimiter=delimiter, strict=False))
    if len(rows) != 2 or rows[1] != ["x"]:
        return None
    return rows[0]


def _parse(buf: bytes, start: int, delimiter: str, k: int, name: str | None, progress=None, n_lines: int = 0,
           threads: bool = False):
    """(rows, columns, regular row indices, {row index: line text}) or None (arrow could not read it), or
    _SERIAL (``threads``: a line was refused, whose number only a reading in one thread gives)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    odd: list[tuple[int, str]] = []
    serial = []

    def handler(row):
        if row.number is None:
            serial.append(True)
            return "error"
        if len(odd) >= IRREGULAR_MAX:
            return "error"
        odd.append((row.number - 1, row.text))
        return "skip"

    names = [f"f{j}" for j in range(k)]
    text = pa.dictionary(pa.int32(), pa.string())  # pyarrow hashes every field into per-block dictionaries
    try:
        reader = pcsv.open_csv(
            pa.BufferReader(pa.py_buffer(buf)[start:]),
            read_options=pcsv.ReadOptions(use_threads=threads, block_size=BLOCK_BYTES, column_names=names),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False, double_quote=False,
                                            escape_char=False, newlines_in_values=False, ignore_empty_lines=False,
                                            invalid_row_handler=handler),
            convert_options=pcsv.ConvertOptions(column_types={c: text for c in names}, null_values=[],
                                                strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                check_utf8=False))
        chunks: list[list] = [[] for _ in range(k)]
        long_pos: list[int] = []
        n_reg = 0
        for batch in reader:
            if batch.num_rows == 0:
                continue
            bound = k - 1
            for j in range(k):
                col = batch.column(j)
                chunks[j].append(col)
                bound += pc.max(pc.binary_length(col.dictionary)).as_py() or 0
            if bound > MAX_LINE_CHARS:  # some line of this block may be too long: measure each
                length = np.full(batch.num_rows, k - 1, dtype=np.int64)
                for j in range(k):
                    col = batch.column(j)
                    length += pc.binary_length(col.dictionary).to_numpy()[col.indices.to_numpy()]
                long_pos += (n_reg + np.flatnonzero(length > MAX_LINE_CHARS)).tolist()
            n_reg += batch.num_rows
            if progress is not None and n_lines:
                progress(min(1.0, (n_reg + len(odd)) / n_lines))
    except pa.ArrowInvalid:  # a line longer than the block, or too many irregular lines
        if serial:
            return _SERIAL
        if buf.find(b"\r", start) < 0 and not other_line_breaks(buf, start):
            _raise_long_line(buf, start, name)
        return None
    n = n_reg + len(odd)
    if any(not 0 <= i < n for i, _ in odd):
        return None
    if odd:
        is_odd = np.zeros(n, dtype=bool)
        is_odd[[i for i, _ in odd]] = True
        regular = np.flatnonzero(~is_odd)
    else:
        regular = np.arange(n)
    if len(regular) != n_reg:
        return None
    raw = []
    for j in range(k):
        raw.append(_unify(chunks[j]))
        chunks[j] = None
    pa.default_memory_pool().release_unused()
    irregular_text = dict(odd)
    long = [int(regular[p]) for p in long_pos if len(_line(raw, p, delimiter)) > MAX_LINE_CHARS]
    long += [i for i, t in irregular_text.items() if len(t) > MAX_LINE_CHARS]
    if long:
        if other_line_breaks(buf, start):  # the reference measures lines between those breaks too
            return None
        raise InputError(Finding(LINE_TOO_LONG, {"limit": MAX_LINE_CHARS}, file=name, row=min(long) + 1))
    columns, regular, moved = _columns(raw, regular, delimiter)
    irregular_text.update(moved)
    return n, columns, regular, irregular_text


def _unify(chunks) -> tuple[np.ndarray, object]:
    """Per-block dictionary arrays → codes into one dictionary of the column's distinct raw values."""
    import pyarrow as pa

    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], type=pa.string())
    unified = pa.chunked_array(chunks).unify_dictionaries()
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in unified.chunks])
    return codes.astype(np.int32, copy=False), unified.chunks[0].dictionary


def _line(raw, p: int, delimiter: str) -> str:
    return delimiter.join(str(values[int(codes[p])].as_py()) for codes, values in raw)


def _raise_long_line(buf: bytes, start: int, name: str | None) -> None:
    """pyarrow refused the file (a line longer than its block): name the first over-long line, if any."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    seen, prev = 0, start - 1  # newlines seen so far, position of the last one

    def check(lo: int, hi: int, line: int) -> None:
        text = buf[lo:hi].decode("utf-8").rstrip("\r")
        if len(text) > MAX_LINE_CHARS:
            raise InputError(Finding(LINE_TOO_LONG, {"limit": MAX_LINE_CHARS}, file=name, row=line))

    for lo in range(start, len(buf), CHUNK):
        nl = lo + np.flatnonzero(arr[lo:lo + CHUNK] == 10)
        if not len(nl):
            continue
        starts = np.concatenate(([prev + 1], nl[:-1] + 1))
        for q in np.flatnonzero(nl - starts > MAX_LINE_CHARS):
            check(int(starts[q]), int(nl[q]), seen + int(q) + 1)
        seen, prev = seen + len(nl), int(nl[-1])
    if len(buf) - (prev + 1) > MAX_LINE_CHARS:
        check(prev + 1, len(buf), seen + 1)


def _columns(raw, regular: np.ndarray, delimiter: str):
    """Cleaned columns; rows with a field that starts with a quote but is not one cleanly quoted field are
    taken out (their line text is returned, to be read by the csv module)."""
    import pyarrow.compute as pc

    suspicious = []
    dirty_rows = np.zeros(len(regular), dtype=bool)
    for codes, values in raw:
        s = np.flatnonzero(pc.match_substring_regex(values, '^[^!-~]|[^!-~]$|^"').to_numpy(zero_copy_only=False))
        vals = values.to_numpy(zero_copy_only=False).astype(object)
        dirty = []
        for i in s:
            v = vals[i]
            if v.startswith('"'):
                if _QUOTED.fullmatch(v):
                    v = v[1:-1].replace('""', '"')
                else:
                    dirty.append(i)
            vals[i] = clean_cell(v)
        if dirty:
            dirty_rows |= np.isin(codes, dirty)
        suspicious.append(vals)
    moved = {}
    if dirty_rows.any():
        for p in np.flatnonzero(dirty_rows):
            moved[int(regular[p])] = _line(raw, p, delimiter)
        keep = ~dirty_rows
        regular = regular[keep]
        raw = [(codes[keep], values) for codes, values in raw]
    columns = [clean_column(codes, None, clean=vals) for (codes, _), vals in zip(raw, suspicious)]
    return columns, regular, moved


import re as _re  # noqa: E402

_QUOTED = _re.compile(r'"(?:[^"]|"")*"', _re.DOTALL)
_EOL = _re.compile(rb"\r\n|\r|\n")
