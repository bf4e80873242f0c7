"""Property-based fuzzing of the intake parser and the engine (hypothesis; long job, see conftest.py).

Properties:
* ``read_table_file`` / ``load_hierarchy`` on arbitrary bytes (random, mutated CSV, mutated/truncated XLSX):
  a ``RawTable``/``Hierarchy`` or the typed ``InputError`` (every finding has a registered code and renders
  in German and English) - never any other exception.
* ``prepare_table`` + ``assess`` on well-formed-but-weird tables (odd codes, German number formats,
  negative/fractional/blank counts, duplicate keys, total rows, unknown codes, huge numbers): only
  ``InputError``; when publishable no released cell has 0 < n < min_count (nor 0 when zeros are disclosive),
  the released sums equal the input sums, and the outcome is deterministic.
* ``publisher.cli_check.run_check`` (what ``freigabe check`` does) exits 0/1/2 and never raises.
"""
from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, seed, settings, strategies as st

from disclosure_rules import InputError, assess, load_hierarchy, load_rules, prepare_table, read_table_file
from publisher.cli_check import run_check
from disclosure_rules.findings import CATALOGUE

BUDGET = float(os.environ.get("FREIGABE_FUZZ_SECONDS", "30"))
FIGURES = Path(os.environ.get("FREIGABE_FUZZ_FIGURES", "/tmp/progress/fuzz-counts.txt"))
RUN = settings(max_examples=int(os.environ.get("FREIGABE_FUZZ_EXAMPLES", "300")), deadline=None,
               database=None, suppress_health_check=list(HealthCheck))
COUNTS: dict[str, int] = {}


def run_for_budget(name: str, prop) -> None:
    """Run the hypothesis property with fresh seeds until the budget is spent; count the examples."""
    start, n = time.monotonic(), 0
    while time.monotonic() - start < BUDGET:
        seed(int(time.time_ns() % 2**32) + n)(prop)()
        n += 1
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as f:
        f.write(f"{name}\t{COUNTS.get(name, 0)}\t{time.monotonic() - start:.0f}s\n")


def check_error(exc: InputError) -> None:
    assert exc.findings
    for f in exc.findings:
        assert f.code in CATALOGUE
        assert f.message("de") and f.message("en")


def _count(name):
    COUNTS[name] = COUNTS.get(name, 0) + 1


# --- bytes ----------------------------------------------------------------------------------------

GOOD_CSV = ("baublock;monat;anzahl\n" + "".join(f"0{i:03d};2026-07;{i % 7}\n" for i in range(30))).encode()


def _xlsx(rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_XLSX = _xlsx([["baublock", "monat", "anzahl"]] + [[f"0{i:03d}", "2026-07", i % 7] for i in range(30)])

CSV_ATOMS = st.sampled_from([";", ",", "\t", "|", "\n", "\r\n", "\r", '"', '""', " ", "=", "+", "-", "@",
                             "1", "0", "12", "1.234", "3,5", "-4", "ä", "ß", "\ufeff", "\u202e", "\x00", "\x1b",
                             "baublock", "anzahl", "Summe", "Insgesamt", "x" * 50, "\u00a0", "€", "NaN", "1e9"])


@st.composite
def mutated(draw, base: bytes):
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=20))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 50))]
        elif op == "truncate":
            del data[i:]
        else:
            j = draw(st.integers(i, min(len(data), i + 200)))
            data[j:j] = data[i:j]
    return bytes(data)


any_bytes = st.one_of(
    st.binary(max_size=3000),
    st.lists(CSV_ATOMS, max_size=200).map(lambda xs: "".join(xs).encode("utf-8")),
    st.lists(CSV_ATOMS, max_size=200).map(lambda xs: "".join(xs).encode("utf-16-le", errors="replace")),
    st.lists(CSV_ATOMS, max_size=200).map(lambda xs: "".join(xs).encode("cp1252", errors="replace")),
    mutated(GOOD_CSV),
    mutated(GOOD_XLSX),
    st.integers(0, len(GOOD_XLSX)).map(lambda n: GOOD_XLSX[:n]),
    st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
)


def test_fuzz_reader_on_arbitrary_bytes():
    @RUN
    @given(any_bytes, st.sampled_from(["t.csv", "t.xlsx", None]), st.sampled_from([None, 0, 1, "Tabelle1", "x"]),
           st.sampled_from([None, 1, 2, 99]))
    def prop(data, name, sheet, header_row):
        _count("reader_bytes")
        try:
            raw = read_table_file(data, filename=name, sheet=sheet, header_row=header_row)
        except InputError as exc:
            check_error(exc)
            return
        assert len(raw.source_rows) == len(raw.frame)
        assert all(isinstance(c, str) for c in raw.frame.columns)

    run_for_budget("reader_bytes", prop)


def test_fuzz_hierarchy_on_arbitrary_bytes():
    hier_csv = b"baublock;stadtteil;bezirk\n0101;01;1\n0102;01;1\n0201;02;1\n0202;02;2\n"

    @RUN
    @given(st.one_of(any_bytes, mutated(hier_csv)))
    def prop(data):
        _count("hierarchy_bytes")
        try:
            h = load_hierarchy(data, filename="h.csv")
        except InputError as exc:
            check_error(exc)
            return
        assert h.levels
        fine = h.levels[0]
        for lv in h.levels[1:]:
            anc = h.ancestor_map(fine, lv)
            assert set(anc) == set(h.codes(fine))

    run_for_budget("hierarchy_bytes", prop)


# --- weird tables ---------------------------------------------------------------------------------

COUNT_TEXT = st.one_of(
    st.integers(0, 40).map(str),
    st.integers(0, 40).map(lambda n: f" {n} "),
    st.integers(1000, 5_000_000).map(lambda n: f"{n:,}".replace(",", ".")),
    st.sampled_from(["", "-", "x", ".", "–", "-1", "2,5", "3.5", "1e3", "NaN", "inf", "99999999999999999999",
                     "0,0", "00", "+4", "\u00a04", "=1+2", "١٢", "½"]),
)


@st.composite
def weird_case(draw):
    n_top = draw(st.integers(1, 3))
    rows = []
    for t in range(n_top):
        for m in range(draw(st.integers(1, 3))):
            for f in range(draw(st.integers(1, 3))):
                rows.append((f"0{t}{m}{f}", f"0{t}{m}", f"{t}"))
    hier = pd.DataFrame(rows, columns=["block", "teil", "bezirk"])
    cats = draw(st.lists(st.sampled_from(["a", "b", " a", "A", "ä", "<b>", "", "Summe", "Insgesamt", "=x"]),
                         min_size=1, max_size=3, unique=True))
    keys = [(r[0], c) for r in rows for c in cats]
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys) + 3))
    clean = draw(st.booleans())
    out = []
    for b, c in keys:
        area = b
        if not clean and draw(st.integers(0, 9)) == 0:
            area = draw(st.sampled_from([f" {b} ", b.lstrip("0"), "9999", "", "Summe", "STADT", "0", b + "x",
                                         rows[0][1], rows[0][2]]))
        cnt = str(draw(st.integers(0, 15))) if clean else draw(COUNT_TEXT)
        out.append((area, c, cnt))
    table = pd.DataFrame(out, columns=["block", "kat", "anzahl"])
    k = draw(st.integers(1, 8))
    zeros = draw(st.booleans())
    scope = draw(st.sampled_from(["whole_table", "whole_table", "cells"]))
    return hier, table, k, zeros, scope


def _timeless(d):
    """The report without wall-clock fields (the cells audit records its run time in "seconds")."""
    if isinstance(d, dict):
        # (also the cells audit's stage timings in "stats": greedy_s, local_search_s - 0.0 vs 0.004 under load)
        return {k: _timeless(v) for k, v in d.items()
                if k != "seconds" and not (k.endswith("_s") and k != "time_limit_s")}
    if isinstance(d, list):
        return [_timeless(v) for v in d]
    return d


def test_fuzz_engine_on_weird_tables():
    @RUN
    @given(weird_case(), st.booleans())
    def prop(case, give_mapping):
        _count("engine_tables")
        hier_df, table, k, zeros, scope = case
        hier = load_hierarchy(hier_df)
        rules = load_rules(min_count=k, zeros_are_disclosive=zeros, scope=scope)
        kw = dict(geo_column="block", count_columns=["anzahl"], dimensions=["kat"]) if give_mapping else {}
        try:
            prepared = prepare_table(table, hier, **kw)
            a = assess(prepared, hier, rules)
        except InputError as exc:
            check_error(exc)
            return
        assert a.outcome in ("publishable", "withheld")
        if a.releasable is None:
            assert a.outcome == "withheld"
            return
        rel = a.releasable
        shown = rel[rel["count"].notna()]
        vals = shown["count"].astype("int64").to_numpy()
        assert not ((vals > 0) & (vals < k)).any(), shown
        if zeros:
            assert not (vals == 0).any() or k <= 0, shown
        assert (vals >= 0).all()
        if rel["count"].notna().all() and scope == "whole_table":  # (cells adds margins; not summed here)
            # nothing suppressed: the released level adds up to the input total
            total = int(prepared.data["count"].sum())
            for lv, part in rel.groupby(rel["level"].astype(str)):
                assert int(part["count"].astype("int64").sum()) == total, (lv, rel)
        # deterministic
        b = assess(prepare_table(table, hier, **kw), hier, rules)
        assert _timeless(b.report.to_dict()) == _timeless(a.report.to_dict())

    run_for_budget("engine_tables", prop)


def test_fuzz_check_command_on_files():
    tmp = Path(tempfile.mkdtemp(prefix="freigabe-fuzz-"))
    hier = tmp / "h.csv"
    hier.write_bytes(b"baublock;stadtteil\n0000;00\n0001;00\n0002;00\n0010;01\n0011;01\n0020;02\n0021;02\n"
                     b"0022;02\n0023;02\n0024;02\n0025;02\n0026;02\n0027;02\n0028;02\n0029;02\n")

    @RUN
    @given(st.one_of(mutated(GOOD_CSV), mutated(GOOD_XLSX)), st.sampled_from(["t.csv", "t.xlsx"]),
           st.integers(1, 6), st.booleans())
    def prop(data, name, k, zeros):
        _count("check_command")
        p = tmp / name
        p.write_bytes(data)
        err = io.StringIO()
        code = run_check(p, hier, tmp / "out", min_count=k, zeros_disclosive=zeros, geo_column="baublock",
                         count_column="anzahl", stderr=err)
        assert code in (0, 1, 2)
        if code == 2:
            assert err.getvalue().strip()

    run_for_budget("check_command", prop)
