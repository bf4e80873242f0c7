"""Issue 13 items 1-3: the integer interval test, protection levels (rule set 2.0.0) and insiders.

Every verdict here is checked against a plain integer program written in this file (``imax``/``imin``), not
against the audit's own functions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from disclosure_rules import InputError, assess, load_hierarchy, load_rules, prepare_table
from disclosure_rules.cells.audit import integer_interval, protected
from disclosure_rules.cells.model import build
from disclosure_rules.rules import load_rules_version

HIER = pd.DataFrame({"block": ["B1", "B2", "B3", "B4"], "teil": ["T1", "T1", "T2", "T2"]})
H = load_hierarchy(HIER)

# found by a random search: protected against outsiders only (insiders = false), this table's pattern lets
# the people counted in small cells pin other small cells (see test_insiders_...)
INSIDER_CASE = {("B1", "a"): 0, ("B1", "b"): 1, ("B1", "c"): 5, ("B2", "a"): 2, ("B2", "b"): 0, ("B2", "c"): 1,
                ("B3", "a"): 2, ("B3", "b"): 0, ("B3", "c"): 3, ("B4", "a"): 0, ("B4", "b"): 1, ("B4", "c"): 2}


def prep(values: dict, hier=H):
    t = pd.DataFrame([(b, c, str(v)) for (b, c), v in values.items()], columns=["block", "kat", "anzahl"])
    return prepare_table(t, hier, geo_column="block", count_columns=["anzahl"], dimensions=["kat"])


def _program(table, S, lb, cell, sign):
    idx = np.flatnonzero(S)
    A = table.A.tocsr()
    b = -(A[:, ~S] @ table.values[~S])
    c = np.zeros(len(idx))
    c[int(np.flatnonzero(idx == cell)[0])] = sign
    r = milp(c, constraints=[LinearConstraint(A[:, idx], b, b)], integrality=np.ones(len(idx)),
             bounds=Bounds(np.asarray(lb, dtype=float)[idx], np.full(len(idx), 10.0 * table.values.max() + 10)))
    assert r.status == 0
    return int(round(sign * r.fun))


def imax(table, S, lb, cell):
    return _program(table, S, lb, cell, -1.0)


def imin(table, S, lb, cell):
    return _program(table, S, lb, cell, 1.0)


def suppressed(a) -> np.ndarray:
    return a.releasable["count"].isna().to_numpy()


def test_an_interval_is_rounded_inward_1_0_to_2_5_pins_the_count_to_1_or_2():
    # issue 13: the old test rounded outward (floor(1.0), ceil(2.5)) = 1..3 and called this protected
    assert integer_interval(1.0, 2.5) == (1, 2)
    assert not protected(1.0, 2.5, 3, False, 0)
    assert not protected(0.4, 2.9, 3, False, 0)  # 1..2 again
    assert protected(0.0, 2.5, 3, False, 0)  # 0..2: "not pinned" (zeros allowed) - the 1.0 notion
    assert not protected(0.0, 2.5, 3, True, 0)  # with zeros disclosive 0..2 is pinned
    assert protected(1.0, 3.0, 3, False, 0) and protected(2.0, 3.0 - 1e-9, 3, False, 0)
    assert not protected(2.0, 3.0 - 1e-3, 3, False, 0)


def test_the_lp_bound_is_not_trusted_where_the_integer_attacker_knows_more():
    """A suppression pattern where the LP relaxation lets a cell reach 3 only fractionally: the audit must
    not call it protected unless an integer table gets there."""
    from disclosure_rules.cells.witness import _verify

    A = sp.csr_matrix(np.array([[1, 1, -1, 0], [0, 1, 1, -1]], dtype=np.int64))
    b = np.array([0, 0])
    assert _verify(A, b, np.array([0.5, 0.5, 1.0, 1.5]), np.zeros(4, dtype=np.int64)) is None
    assert _verify(A, b, np.array([1.0, 1.0, 2.0, 3.0]), np.zeros(4, dtype=np.int64)) is not None
    assert _verify(A, b, np.array([1.0, 1.0, 2.0, 3.0]), np.array([2, 0, 0, 0])) is None  # insider bound


def test_default_rule_set_2_0_0_requires_the_upper_bound_to_reach_min_count_for_every_primary_cell():
    rules = load_rules(scope="cells")
    assert rules.version == "2.0.0" and rules.cells.upper_reaches_min_count and rules.cells.insiders
    vals = {(b, c): v for (b, c), v in zip([(b, c) for b in ("B1", "B2", "B3", "B4") for c in "ab"],
                                           [1, 9, 7, 8, 2, 10, 11, 12])}
    p = prep(vals)
    a = assess(p, H, rules)
    assert a.outcome == "publishable"
    table = build(p, H)
    S = suppressed(a)
    prim = (table.values > 0) & (table.values < 3)
    lb = np.where(prim, table.values, 0)
    audit = a.report.to_dict()["audit"]
    assert audit["protection"]["upper_reaches_min_count"] is True and "mindestens 3" in audit["protection"]["de"]
    for j in np.flatnonzero(prim):
        assert imax(table, S, lb, j) >= 3  # even knowing every small cell's lower bound
    for i in audit["intervals"]:
        assert i["required_hi"] == 3 and i["required_lo"] == i["count"] and i["hi"] >= 3


@pytest.mark.parametrize("params,check", [
    ({"upper_protection_abs": 5}, "upper_abs"),
    ({"upper_protection_pct": 300.0}, "upper_pct"),
    ({"lower_protection_pct": 100.0}, "lower"),
])
def test_protection_levels_from_the_rule_set_are_met_for_an_integer_attacker_with_insiders(params, check):
    vals = {(b, c): v for (b, c), v in zip([(b, c) for b in ("B1", "B2", "B3", "B4") for c in "abc"],
                                           [1, 9, 6, 7, 8, 2, 10, 11, 12, 20, 2, 9])}
    p = prep(vals)
    a = assess(p, H, load_rules(scope="cells", cells=params))
    assert a.outcome == "publishable"
    table = build(p, H)
    S = suppressed(a)
    prim = (table.values > 0) & (table.values < 3)
    lb = np.where(prim, table.values, 0)
    rep = {(i["level"], i["area"], i["kat"]): i for i in a.report.to_dict()["audit"]["intervals"]}
    for j in np.flatnonzero(prim):
        v = int(table.values[j])
        i = rep[(table.key(j)["level"], table.key(j)["area"], table.key(j)["kat"])]
        if check == "upper_abs":
            assert i["required_hi"] == max(3, v + 5) and imax(table, S, lb, j) >= v + 5
        elif check == "upper_pct":
            assert i["required_hi"] == max(3, v + int(np.ceil(3.0 * v))) and imax(table, S, lb, j) >= 4 * v
        else:  # lower: 100 % of the value, the attacker (insiders of the other cells) must reach 0
            lb_other = np.where(np.arange(table.n) == j, 0, lb)
            assert i["required_lo"] == 0 and imin(table, S, lb_other, j) == 0
        assert i["protected"] and i["lo"] <= i["required_lo"] and i["hi"] >= i["required_hi"]


def test_insiders_pin_small_cells_in_an_outsider_only_pattern_and_the_default_protects_against_them():
    p = prep(INSIDER_CASE)
    table = build(p, H)
    prim = (table.values > 0) & (table.values < 3)
    lb = np.where(prim, table.values, 0)
    outsider_only = assess(p, H, load_rules(scope="cells", cells={"insiders": False}))
    S0 = suppressed(outsider_only)
    assert all(imax(table, S0, np.zeros(table.n), j) >= 3 for j in np.flatnonzero(prim))  # outsiders: fine
    pinned = [table.key(j) for j in np.flatnonzero(prim) if imax(table, S0, lb, j) < 3]
    assert {"level": "block", "area": "B2", "kat": "a"} in pinned  # the insiders of other cells pin it
    default = assess(p, H, load_rules(scope="cells"))
    assert default.outcome == "publishable"
    S = suppressed(default)
    assert all(imax(table, S, lb, j) >= 3 for j in np.flatnonzero(prim))


def test_rule_set_versions_stay_loadable_and_invalid_parameters_are_typed_findings():
    old = load_rules_version("mindestfallzahl-3", "1.0.0")
    new = load_rules_version("mindestfallzahl-3", "2.0.0")
    assert old.version == "1.0.0" and new.version == "2.0.0" and new == load_rules()
    # a rule set that predates the protection levels gets the safe defaults
    assert old.cells.upper_reaches_min_count and old.cells.insiders
    fp = new.fingerprint()
    assert fp["parameters"]["cells"]["upper_reaches_min_count"] is True and fp["version"] == "2.0.0"
    assert fp["sha256"] != old.fingerprint()["sha256"] or fp["version"] != old.fingerprint()["version"]
    with pytest.raises(InputError) as e:
        load_rules_version("mindestfallzahl-3", "9.9.9")
    assert e.value.findings[0].code == "FG-RULES-UNREADABLE"
    for bad in ({"upper_protection_abs": -1}, {"upper_protection_pct": "viel"}, {"insiders": "ja"},
                {"lower_protection_abs": 1.5}):
        with pytest.raises(InputError) as e:
            load_rules(scope="cells", cells=bad)
        assert e.value.findings[0].code == "FG-RULES-INVALID" and "cells." in e.value.message("de")


def test_the_report_states_the_protection_for_the_dpo_in_german_and_english():
    a = assess(prep(INSIDER_CASE), H, load_rules(scope="cells"))
    d = a.report.to_dict()
    codes = [f["code"] for f in d["findings"]]
    assert "FG-CELLS-PROTECTION" in codes
    assert "mindestens 3" in a.report.public_statement["de"] or "3 oder mehr" in a.report.public_statement["de"]
    assert "3 or more" in a.report.public_statement["en"]
    public = a.report.to_json(public=True)
    assert '"intervals"' not in public and "required_hi" not in public
