"""Pinned outcomes of the whole-table rule on small hand-made tables."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from disclosure_rules import (CATALOGUE, InputError, Severity, assess, load_hierarchy, load_rules, prepare_table)
from disclosure_rules.findings import placeholders

HIER = pd.DataFrame({
    "baublock": ["0101", "0102", "0103", "0201", "0202", "0301"],
    "stadtteil": ["011", "011", "012", "021", "021", "031"],
    "stadtteil_name": ["Bülse", "Bülse", "Buer", "Höntrop", "Höntrop", "Ückendorf"],
    "stadtbezirk": ["1", "1", "1", "2", "2", "3"],
})


@pytest.fixture
def hier():
    return load_hierarchy(HIER)


def table(rows, cols=("baublock", "status", "anzahl")):
    return pd.DataFrame([list(map(str, r)) for r in rows], columns=list(cols))


def run(rows, hier, **rule_kw):
    prepared = prepare_table(table(rows), hier, geo_column="baublock", count_columns=["anzahl"])
    return prepared, assess(prepared, hier, load_rules(**rule_kw))


BLOCKS_OK = [("0101", "a", 5), ("0102", "a", 3), ("0103", "a", 0), ("0201", "a", 7), ("0202", "a", 4),
             ("0301", "a", 9)]


def test_all_cells_pass_at_block_level(hier):
    _, a = run(BLOCKS_OK, hier)
    assert a.outcome == "publishable" and a.level == "baublock"
    assert a.report.levels[0].failing_cells == 0 and a.report.levels[0].decision == "released"
    assert a.releasable["count"].tolist() == [5, 3, 0, 7, 4, 9]
    assert a.releasable["status"].astype(str).tolist() == ["ok", "ok", "zero", "ok", "ok", "ok"]


def test_one_small_block_coarsens_to_stadtteil_and_names_the_failing_cell(hier):
    rows = [r if r[0] != "0102" else ("0102", "a", 2) for r in BLOCKS_OK]
    _, a = run(rows, hier)
    assert a.outcome == "publishable" and a.level == "stadtteil"
    block = a.report.levels[0]
    assert (block.level, block.cells, block.failing_cells, block.decision) == ("baublock", 6, 1, "withheld")
    assert block.failing == ({"area": "0102", "status": "a", "count": 2},) or block.failing[0]["count"] == 2
    assert dict(zip(a.releasable["area"].astype(str), a.releasable["count"])) == {
        "011": 7, "012": 0, "021": 11, "031": 9}
    assert a.report.information_loss["levels_coarsened"] == 1
    assert a.report.information_loss["cells_lost"] == 2


def test_coarsening_continues_until_a_level_passes(hier):
    rows = [("0101", "a", 1), ("0102", "a", 1), ("0103", "a", 0), ("0201", "a", 2), ("0202", "a", 0),
            ("0301", "a", 5)]
    _, a = run(rows, hier)
    # stadtteil: 011=2 fails; stadtbezirk: 1=2 fails; city: 9 passes
    assert [lv.decision for lv in a.report.levels] == ["withheld", "withheld", "withheld", "released"]
    assert a.level == "stadt" and a.releasable["count"].tolist() == [9]


def test_city_total_fails_too_then_withheld_entirely(hier):
    rows = [("0101", "a", 1), ("0102", "a", 0), ("0103", "a", 0), ("0201", "a", 0), ("0202", "a", 1),
            ("0301", "a", 0)]
    _, a = run(rows, hier)
    assert a.outcome == "withheld" and a.level is None and a.releasable is None
    assert "nicht veröffentlicht" in a.report.public_statement["de"]


def test_zeros_disclosive_makes_zero_fail(hier):
    _, a = run(BLOCKS_OK, hier)
    assert a.level == "baublock"
    _, b = run(BLOCKS_OK, hier, zeros_are_disclosive=True)
    assert b.report.levels[0].failing_cells == 1 and b.level == "stadtteil" or b.level == "stadtbezirk"
    assert all(c >= 3 for c in b.releasable["count"].tolist())


def test_coarsen_off_withholds_at_the_submitted_level(hier):
    rows = [r if r[0] != "0102" else ("0102", "a", 2) for r in BLOCKS_OK]
    _, a = run(rows, hier, coarsen=False)
    assert a.outcome == "withheld" and a.report.levels[0].reason == "coarsen_off"
    assert [lv.decision for lv in a.report.levels[1:]] == ["not_tried"] * 3


def test_non_additive_table_is_never_coarsened_by_summing(hier):
    rows = [r if r[0] != "0102" else ("0102", "a", 2) for r in BLOCKS_OK]
    prepared = prepare_table(table(rows), hier, geo_column="baublock", count_columns=["anzahl"], additive=False)
    a = assess(prepared, hier, load_rules())
    assert a.outcome == "withheld" and a.report.levels[0].reason == "non_additive"
    assert "nicht additive" in a.report.public_statement["de"]
    assert any(f.code == "FG-TABLE-NON-ADDITIVE" for f in a.findings)


def test_public_report_never_holds_failing_values_or_keys(hier):
    rows = [r if r[0] != "0102" else ("0102", "a", 2) for r in BLOCKS_OK]
    _, a = run(rows, hier)
    public = json.dumps(a.report.public_dict(), ensure_ascii=False)
    assert "0102" not in public and '"failing"' not in public
    internal = a.report.to_dict()
    assert internal["levels"][0]["failing"][0]["area"] == "0102"
    for key in ("outcome", "level", "rule_set", "levels", "input_sha256", "public_statement"):
        assert key in internal and key in a.report.public_dict()


def test_wide_table_is_melted_into_a_dimension(hier):
    wide = pd.DataFrame({"baublock": ["0101", "0102", "0103", "0201", "0202", "0301"],
                         "Asyl": ["5", "3", "4", "6", "7", "8"], "Duldung": ["0", "3", "3", "3", "4", "5"]})
    prepared = prepare_table(wide, hier, geo_column="baublock", layout="wide", wide_dimension="aufenthalt",
                             columns_additive=True)
    assert prepared.dimensions == ("aufenthalt",) and len(prepared.data) == 12
    a = assess(prepared, hier, load_rules())
    assert a.level == "baublock"


def test_total_rows_are_excluded_with_a_finding(hier):
    rows = BLOCKS_OK + [("Summe", "", 28), ("0101", "Insgesamt", 5)]
    prepared, a = run(rows, hier)
    assert len(prepared.data) == 6 and int(prepared.data["count"].sum()) == 28
    assert sum(f.code == "FG-TABLE-TOTAL-ROW" for f in prepared.findings) == 2


def test_mixed_levels_totals_kept_apart_and_mismatches_reported(hier):
    rows = BLOCKS_OK + [("011", "a", 8), ("021", "a", 11)]  # 011 really is 8 = 5+3; 021 is 11
    prepared, a = run(rows, hier)
    assert prepared.level == "baublock" and len(prepared.totals) == 2
    assert not any(f.code == "FG-TABLE-TOTAL-MISMATCH" for f in prepared.findings)
    rows = BLOCKS_OK + [("011", "a", 9)]
    prepared, _ = run(rows, hier)
    mism = [f for f in prepared.findings if f.code == "FG-TABLE-TOTAL-MISMATCH"]
    assert len(mism) == 1 and mism[0].params["reported"] == 9 and mism[0].params["computed"] == 8


@pytest.mark.parametrize("value,code", [("-1", "FG-TABLE-NEGATIVE"), ("2,5", "FG-TABLE-FRACTIONAL"),
                                        ("zwei", "FG-TABLE-NOT-A-NUMBER"), ("", "FG-TABLE-MISSING-VALUE"),
                                        (".", "FG-TABLE-MISSING-VALUE")])
def test_bad_counts_are_named_with_row_and_column(hier, value, code):
    rows = [list(r) for r in BLOCKS_OK]
    rows[2][2] = value
    with pytest.raises(InputError) as exc:
        prepare_table(table(rows), hier, geo_column="baublock", count_columns=["anzahl"])
    f = next(f for f in exc.value.findings if f.code == code)
    assert f.row == 4 and f.column == "anzahl"


def test_duplicate_keys_and_unknown_codes(hier):
    with pytest.raises(InputError) as exc:
        run(BLOCKS_OK + [("0101", "a", 4)], hier)
    assert exc.value.findings[0].code == "FG-TABLE-DUPLICATE-KEY"
    with pytest.raises(InputError) as exc:
        run(BLOCKS_OK + [("9999", "a", 4), ("8888", "a", 4)], hier)
    f = exc.value.findings[0]
    assert f.code == "FG-TABLE-UNKNOWN-CODES" and f.params["n"] == 2 and "8888" in f.params["codes"]


def test_leading_zeros_are_kept_and_geo_column_detected(hier):
    prepared = prepare_table(table(BLOCKS_OK), hier)
    assert prepared.data["area"].astype(str).tolist()[0] == "0101"


def test_assessment_is_deterministic_and_hash_ignores_row_order(hier):
    p1, a1 = run(BLOCKS_OK, hier)
    p2, a2 = run(list(reversed(BLOCKS_OK)), hier)
    assert p1.sha256() == p2.sha256() and a1.report.to_json() == a2.report.to_json()
    p3, _ = run([r if r[0] != "0301" else ("0301", "a", 10) for r in BLOCKS_OK], hier)
    assert p3.sha256() != p1.sha256()


def test_every_finding_code_has_german_and_english_text_with_the_same_placeholders():
    import importlib.util

    if importlib.util.find_spec("disclosure_rules.cells"):
        import disclosure_rules.cells  # noqa: F401  (registers its codes)
    for code, tpl in CATALOGUE.items():
        assert tpl.de and tpl.en, code
        def norm(t):
            return {re.sub(r"_(de|en)$", "", p) for p in placeholders(t)}

        assert norm(tpl.de) == norm(tpl.en), code
        assert isinstance(tpl.severity, Severity)


# --- declared geography level (mapping "Gebietsebene") -----------------------------------------------------

# Stadtteile whose codes are reused as Stadtbezirk codes (one Stadtteil per Bezirk for "3"): a table of
# Stadtbezirke "1", "2", "3" reads as Stadtteile unless its level is declared.
SHARED = pd.DataFrame({
    "stadtteil": ["1", "2", "3", "4"],
    "stadtbezirk": ["1", "1", "3", "3"],
})


def test_declared_level_reads_codes_shared_by_two_levels_at_that_level():
    h = load_hierarchy(SHARED)
    rows = table([("1", "a", 7), ("3", "a", 9)], cols=("gebiet", "status", "anzahl"))
    guessed = prepare_table(rows, h, geo_column="gebiet", count_columns=["anzahl"])
    assert guessed.level == "stadtteil"  # the finest level the codes belong to
    declared = prepare_table(rows, h, geo_column="gebiet", count_columns=["anzahl"], geo_level="stadtbezirk")
    assert declared.level == "stadtbezirk" and declared.totals is None
    assert sorted(declared.data["area"].astype(str)) == ["1", "3"]


def test_declared_level_refuses_finer_codes_and_unknown_or_absent_levels(hier):
    rows = table(BLOCKS_OK + [("011", "a", 8)])
    with pytest.raises(InputError) as exc:
        prepare_table(rows, hier, geo_column="baublock", count_columns=["anzahl"], geo_level="stadtteil")
    f = exc.value.findings[0]
    assert f.code == "FG-TABLE-FINER-THAN-LEVEL" and f.params["n"] == 6 and "0101" in f.params["codes"]
    assert f.row == 2 and f.column == "baublock"
    with pytest.raises(InputError) as exc:
        prepare_table(rows, hier, geo_column="baublock", count_columns=["anzahl"], geo_level="Baublock ")
    f = exc.value.findings[0]
    assert f.code == "FG-TABLE-LEVEL-UNKNOWN" and "baublock, stadtteil, stadtbezirk" in f.params["levels"]
    stadtteile = table([("011", "a", 8), ("021", "a", 11), ("1", "a", 40)])
    with pytest.raises(InputError) as exc:
        prepare_table(stadtteile, hier, geo_column="baublock", count_columns=["anzahl"], geo_level="baublock")
    f = exc.value.findings[0]
    assert f.code == "FG-TABLE-LEVEL-ABSENT" and f.params["found"] == "stadtteil, stadtbezirk"
    # a declared level equal to what the codes say changes nothing (coarser rows stay totals)
    same = prepare_table(rows, hier, geo_column="baublock", count_columns=["anzahl"], geo_level="baublock")
    auto = prepare_table(rows, hier, geo_column="baublock", count_columns=["anzahl"])
    assert same.level == auto.level == "baublock" and len(same.totals) == len(auto.totals) == 1
    assert same.sha256() == auto.sha256()
