"""Scope ``cells``: pinned patterns, the attacker audit, and properties on random hierarchical tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table
from disclosure_rules.cells import compare_scopes
from disclosure_rules.cells.audit import intervals, protected
from disclosure_rules.cells.model import build

HIER = pd.DataFrame({"block": ["B1", "B2", "B3", "B4"], "teil": ["T1", "T1", "T2", "T2"]})


def prepared(values: dict[tuple[str, str], int], hier=HIER):
    h = load_hierarchy(hier)
    rows = [(b, c, str(v)) for (b, c), v in values.items()]
    t = pd.DataFrame(rows, columns=["block", "kat", "anzahl"])
    return prepare_table(t, h, geo_column="block", count_columns=["anzahl"], dimensions=["kat"]), h


def cell_index(table, level, area, cat):
    f = table.frame()
    m = (f["level"] == level) & (f["area"] == area) & (f["kat"] == cat)
    return int(np.flatnonzero(m.to_numpy())[0])


def test_two_per_row_and_column_can_still_pin_a_cell_the_audit_catches_it_and_the_pattern_is_repaired():
    # B1/B2 × a/b is a rectangle: two suppressed cells in every row and column of it. Because the other
    # three cells are 0 and counts cannot be negative, the attacker still recomputes B1/a = 1 exactly.
    p, h = prepared({("B1", "a"): 1, ("B1", "b"): 0, ("B2", "a"): 0, ("B2", "b"): 0,
                     ("B3", "a"): 20, ("B3", "b"): 30, ("B4", "a"): 25, ("B4", "b"): 40})
    table = build(p, h)
    S = np.zeros(table.n, bool)
    rect = [cell_index(table, "block", b, c) for b in ("B1", "B2") for c in ("a", "b")]
    S[rect] = True
    iv = intervals(table.A, table.values, S)
    target = rect[0]
    assert (iv[target].lo, iv[target].hi) == (1.0, 1.0)
    assert not protected(iv[target].lo, iv[target].hi, 3, False, 0)

    a = assess(p, h, load_rules(scope="cells"))
    audit = a.report.to_dict()["audit"]
    assert audit["passed"] and a.outcome == "publishable"
    b1a = next(i for i in audit["intervals"] if i["area"] == "B1" and i["kat"] == "a" and i["level"] == "block")
    assert b1a["protected"] and (b1a["hi"] - b1a["lo"]) >= 1 and (b1a["lo"] < 1 or b1a["hi"] >= 3)
    rel = a.releasable
    row = rel[(rel["area"] == "B1") & (rel["kat"] == "a")]
    assert row["count"].isna().all() and (row["status"].astype(str) == "primary").all()


def test_pinned_pattern_on_a_small_table():
    p, h = prepared({("B1", "a"): 5, ("B1", "b"): 2, ("B2", "a"): 7, ("B2", "b"): 8,
                     ("B3", "a"): 9, ("B3", "b"): 10, ("B4", "a"): 11, ("B4", "b"): 12})
    a = assess(p, h, load_rules(scope="cells"))
    rel = a.releasable.assign(area=lambda f: f["area"].astype(str))
    suppressed = sorted(zip(rel.loc[rel["count"].isna(), "area"], rel.loc[rel["count"].isna(), "kat"],
                            rel.loc[rel["count"].isna(), "status"].astype(str)))
    # B1/b = 2 fails; its row (B1) and column (T1, b) need a partner each: the rectangle B1,B2 × a,b
    assert suppressed == [("B1", "a", "secondary"), ("B1", "b", "primary"),
                          ("B2", "a", "secondary"), ("B2", "b", "secondary")]
    assert a.report.public_dict()["audit"] == {"passed": True, "primary_cells": 1, "secondary_cells": 3}
    public = a.report.to_json(public=True)
    assert '"intervals"' not in public and '"failing"' not in public


def test_report_lets_the_dpo_compare_both_scopes():
    p, h = prepared({("B1", "a"): 5, ("B1", "b"): 2, ("B2", "a"): 7, ("B2", "b"): 8,
                     ("B3", "a"): 9, ("B3", "b"): 10, ("B4", "a"): 11, ("B4", "b"): 12})
    cmp = compare_scopes(p, h, load_rules())
    assert cmp["whole_table"]["level"] == "teil" and cmp["cells"]["level"] == "block"
    for scope in ("whole_table", "cells"):
        for key in ("cells_submitted", "cells_lost", "share_of_cells_lost", "suppressed_share_of_total"):
            assert key in cmp[scope]
    assert cmp["cells"]["cells_lost"] < cmp["whole_table"]["cells_lost"] + 8


def test_optimal_mode_passes_the_audit_and_is_no_worse_than_needed():
    p, h = prepared({("B1", "a"): 5, ("B1", "b"): 2, ("B2", "a"): 7, ("B2", "b"): 8,
                     ("B3", "a"): 1, ("B3", "b"): 10, ("B4", "a"): 11, ("B4", "b"): 12})
    a = assess(p, h, load_rules(scope="cells", cells={"secondary": "optimal", "time_limit_s": 10.0}))
    audit = a.report.to_dict()["audit"]
    assert audit["passed"] and audit["method"] == "optimal" and audit["primary_cells"] == 2


@st.composite
def random_table(draw):
    n_t = draw(st.integers(1, 3))
    rows = []
    for t in range(n_t):
        for b in range(draw(st.integers(2, 3))):
            rows.append((f"B{t}{b}", f"T{t}"))
    hier = pd.DataFrame(rows, columns=["block", "teil"])
    cats = [f"k{i}" for i in range(draw(st.integers(2, 3)))]
    vals = draw(st.lists(st.integers(0, 15), min_size=len(rows) * len(cats), max_size=len(rows) * len(cats)))
    data = {(b, c): v for (b, _), c, v in zip(np.repeat(rows, len(cats), axis=0).tolist(),
                                             cats * len(rows), vals)}
    return hier, data, draw(st.integers(2, 5)), draw(st.booleans())


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(random_table())
def test_every_released_pattern_passes_an_independent_audit_and_hides_every_primary_cell(case):
    hier, data, k, zeros = case
    p, h = prepared(data, hier)
    a = assess(p, h, load_rules(scope="cells", min_count=k, zeros_are_disclosive=zeros))
    if a.outcome != "publishable":
        assert a.releasable is None
        return
    table = build(p, h)
    rel = a.releasable
    S = rel["count"].isna().to_numpy()
    primary = (table.values < k) if zeros else ((table.values > 0) & (table.values < k))
    assert not (primary & ~S).any(), "a primary cell was published"
    published = rel["count"].dropna().astype(int).to_numpy()
    assert np.array_equal(published, table.values[~S])  # published values are the true ones
    iv = intervals(table.A, table.values, S, cells=np.flatnonzero(primary))
    for j in np.flatnonzero(primary):
        assert protected(iv[j].lo, iv[j].hi, k, zeros, 0), (table.key(j), iv[j])


def _exact_max(table, S, lb, cell):
    """Integer maximum of a suppressed cell, by a plain integer program over all suppressed cells."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    idx = np.flatnonzero(S)
    A = table.A.tocsr()
    b = -(A[:, ~S] @ table.values[~S])
    c = np.zeros(len(idx))
    c[int(np.flatnonzero(idx == cell)[0])] = -1.0
    r = milp(c, constraints=[LinearConstraint(A[:, idx], b, b)], integrality=np.ones(len(idx)),
             bounds=Bounds(lb[idx].astype(float), np.full(len(idx), float(table.values.sum()) * 3 + 10)))
    assert r.status == 0
    return int(round(-r.fun))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(random_table(), st.integers(0, 2**16))
def test_rectangle_witnesses_are_integer_tables_the_attacker_cannot_exclude(case, seed):
    # every rectangle the audit uses as a proof moves its cell to the required value in an integer table that
    # keeps every published cell and the insiders' bounds: the exact integer maximum reaches that value
    from disclosure_rules.cells.protection import requirement
    from disclosure_rules.cells.suppress import primary_mask
    from disclosure_rules.cells.witness import rectangles

    hier, data, k, zeros = case
    p, h = prepared(data, hier)
    table = build(p, h)
    primary = primary_mask(table.values, k, zeros)
    req = requirement(table.values, primary, load_rules(scope="cells", min_count=k, zeros_are_disclosive=zeros))
    rng = np.random.default_rng(seed)
    S = primary | (rng.random(table.n) < 0.5)
    cells = [int(c) for c in np.flatnonzero(primary)]
    A = table.A.tocsr()
    rect = rectangles(A, A.T.tocsr(), table.values, S, cells, {c: int(req.need_hi[c] - table.values[c]) for c in cells},
                      req.lb)
    for j, (w, four) in rect.items():
        assert w >= req.need_hi[j] and len(four) == 4 and all(S[list(four)])
        assert _exact_max(table, S, req.lb, j) >= w


def test_a_rectangle_with_room_is_a_witness_and_one_without_room_is_not():
    from disclosure_rules.cells.witness import rectangles

    p, h = prepared({("B1", "a"): 1, ("B1", "b"): 5, ("B2", "a"): 7, ("B2", "b"): 4,
                     ("B3", "a"): 20, ("B3", "b"): 30, ("B4", "a"): 25, ("B4", "b"): 40})
    table = build(p, h)
    S = np.zeros(table.n, bool)
    rect = [cell_index(table, "block", b, c) for b in ("B1", "B2") for c in ("a", "b")]
    S[rect] = True
    A = table.A.tocsr()
    lb = np.where(np.arange(table.n) == rect[0], 1, 0)  # B1/a's insiders know it is at least 1
    got = rectangles(A, A.T.tocsr(), table.values, S, [rect[0]], {rect[0]: 2}, lb)
    # B1/a can be 3: B1/b = 5 and B2/a = 7 give room to move down by 2, B2/b moves up
    assert got[rect[0]][0] == 3 and sorted(got[rect[0]][1]) == sorted(rect)
    # where B1/b and B2/a are themselves small cells whose insiders know their values, there is no room
    p0, h0 = prepared({("B1", "a"): 1, ("B1", "b"): 2, ("B2", "a"): 2, ("B2", "b"): 0,
                       ("B3", "a"): 20, ("B3", "b"): 30, ("B4", "a"): 25, ("B4", "b"): 40})
    t0 = build(p0, h0)
    lb0 = np.where(np.isin(np.arange(t0.n), rect[:3]), t0.values, 0)
    A0 = t0.A.tocsr()
    assert rectangles(A0, A0.T.tocsr(), t0.values, S, [rect[0]], {rect[0]: 2}, lb0) == {}


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(random_table(), st.integers(0, 2**16), st.floats(0.2, 0.7))
def test_the_integer_audit_agrees_with_a_plain_integer_program(case, seed, density):
    # the audit's verdict (certificates, joint witnesses, per-cell programs) equals the verdict of one plain
    # integer program per cell with the insiders' bounds; its witnessed value never exceeds the true maximum
    from disclosure_rules.cells.protection import requirement
    from disclosure_rules.cells.suppress import primary_mask
    from disclosure_rules.cells.witness import audit

    hier, data, k, zeros = case
    p, h = prepared(data, hier)
    table = build(p, h)
    primary = primary_mask(table.values, k, zeros)
    req = requirement(table.values, primary, load_rules(scope="cells", min_count=k, zeros_are_disclosive=zeros))
    S = primary | (np.random.default_rng(seed).random(table.n) < density)
    got = audit(table.A, table.values, S, req)
    for j in np.flatnonzero(primary):
        exact = _exact_max(table, S, req.lb, int(j))
        v = got[int(j)]
        assert v.protected == (exact >= req.need_hi[j]), (table.key(int(j)), v, exact)
        assert v.value <= v.hi <= exact
        if v.hi_bound is not None:
            assert exact <= v.hi_bound
