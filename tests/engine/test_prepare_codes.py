"""prepare_table on the reader's categorical columns (issue 16: the keys factorised once, counts parsed once
per distinct value, no sort when keys are distinct) gives exactly what the same strings as plain text give:
the canonical table and its sha256, the totals, the source rows and every finding (codes, rows, columns,
parameters), or the same refusal."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from disclosure_rules import InputError, load_hierarchy, prepare_table, read_table_file
from disclosure_rules.readers import RawTable

HIER = pd.DataFrame({
    "baublock": ["0101", "0102", "0103", "0201", "0202", "0301"],
    "stadtteil": ["011", "011", "012", "021", "021", "031"],
    "stadtbezirk": ["1", "1", "1", "2", "2", "3"],
})
AREAS = ["0101", "0102", "0103", "0201", "0202", "0301", "011", "012", "021", "031", "1", "2", "3", "9999", "",
         "Insgesamt", " 0102 "]
COUNTS = ["0", "1", "2", "5", "12", "1.234", "3,5", "-", ".", "x", "-4", "", "abc", "1e13", "7 ", "2,0"]
STATUS = ["a", "b", "Summe", ""]


def _as_text(raw: RawTable) -> RawTable:
    """The same table with plain str columns (what RawTable.from_frame and the API give)."""
    frame = pd.DataFrame({c: raw.frame[c].astype(object).astype(str).to_numpy(dtype=object)
                          for c in raw.frame.columns})
    return RawTable(frame, raw.source_rows, raw.filename, raw.encoding, raw.delimiter, raw.sheet, raw.header_row,
                    raw.findings)


def _outcome(raw, hier, **kw):
    try:
        p = prepare_table(raw, hier, **kw)
    except InputError as exc:
        return ("refused", [f.to_dict() for f in exc.findings])
    totals = None if p.totals is None else p.totals.astype(str).to_dict("list")
    return ("ok", p.sha256(), p.level, p.dimensions, p.data.astype(str).to_dict("list"), totals,
            list(p.source_rows), [f.to_dict() for f in p.findings])


def _compare(data: bytes, **kw):
    hier = load_hierarchy(HIER)
    try:
        raw = read_table_file(data, filename="t.csv")
    except InputError:  # refused by the reader (no header found, ...): nothing for prepare_table
        return
    assert all(str(d) == "category" for d in raw.frame.dtypes)
    assert _outcome(raw, hier, **kw) == _outcome(_as_text(raw), hier, **kw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(AREAS), st.sampled_from(STATUS), st.sampled_from(COUNTS)),
                min_size=1, max_size=30),
       st.sampled_from([None, "baublock", "stadtteil"]))
def test_reader_codes_equal_plain_text(rows, geo_level):
    data = ("gebiet;status;anzahl\n" + "".join(f"{a};{s};{c}\n" for a, s, c in rows)).encode()
    _compare(data, geo_column="gebiet", count_columns=["anzahl"], geo_level=geo_level)


@pytest.mark.parametrize("rows", [
    [("0101", "a", "5"), ("0102", "a", "3"), ("0103", "a", "0"), ("0201", "a", "7"), ("0202", "a", "4"),
     ("0301", "a", "9")],
    [("0301", "b", "1"), ("0101", "a", "5"), ("0301", "a", "1"), ("0102", "b", "2")],  # unsorted: the sort
    [("0101", "a", "5"), ("0101", "a", "6")],  # duplicate keys
    [("0101", "a", "5"), ("011", "a", "5"), ("0102", "a", "0"), ("1", "a", "9")],  # mixed levels
    [("0101", "Summe", "5"), ("0101", "a", "5"), ("Insgesamt", "a", "5")],  # total rows
    [("0101", "a", "-1"), ("0102", "a", "2,5"), ("0103", "a", "1e13"), ("0201", "a", ".")],  # bad counts
])
def test_reader_codes_equal_plain_text_on_cases(rows):
    data = ("gebiet;status;anzahl\n" + "".join(f"{a};{s};{c}\n" for a, s, c in rows)).encode()
    _compare(data)
    _compare(data, geo_column="gebiet", count_columns=["anzahl"], geo_level="baublock")


def test_many_distinct_keys_dense_and_sparse():
    hier = load_hierarchy(pd.DataFrame({"baublock": [f"{i:05d}" for i in range(3000)],
                                        "stadtteil": [f"T{i // 30}" for i in range(3000)]}))
    # descending block order (no ascending run), 2 statuses each: the dense path without a sort
    lines = [f"{i:05d};{s};{(i * 7 + len(s)) % 5}" for i in reversed(range(3000)) for s in ("b", "a")]
    data = ("gebiet;art;anzahl\n" + "\n".join(lines) + "\n").encode()
    raw = read_table_file(data, filename="big.csv")
    assert _outcome(raw, hier) == _outcome(_as_text(raw), hier)
    p = prepare_table(raw, hier)
    assert p.data["area"].astype(str).tolist()[:4] == ["00000", "00000", "00001", "00001"]
    assert p.data["art"].astype(str).tolist()[:2] == ["a", "b"]
    assert p.source_rows[0] == 6001 and p.source_rows[1] == 6000  # file rows follow the rows
