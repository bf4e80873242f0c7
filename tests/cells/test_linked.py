"""Linked tables: several tables of one release sharing margins are protected jointly."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings, strategies as st

from disclosure_rules import InputError, assess, load_hierarchy, load_rules, prepare_table
from disclosure_rules.cells.linked import _link_rows, assess_linked
from disclosure_rules.cells.model import build

HIER = pd.DataFrame({"block": ["B1", "B2", "B3", "B4"], "teil": ["T1", "T1", "T2", "T2"]})
H = load_hierarchy(HIER)
RULES = load_rules(scope="cells")

BY_STATUS = [("B1", "a", 8), ("B1", "b", 1), ("B2", "a", 3), ("B2", "b", 1), ("B3", "a", 5), ("B3", "b", 2),
             ("B4", "a", 0), ("B4", "b", 0)]
BY_SEX = [("B1", "m", 1), ("B1", "w", 8), ("B2", "m", 2), ("B2", "w", 2), ("B3", "m", 5), ("B3", "w", 2),
          ("B4", "m", 0), ("B4", "w", 0)]


def prep(rows, dim):
    t = pd.DataFrame([(b, c, str(v)) for b, c, v in rows], columns=["block", dim, "anzahl"])
    return prepare_table(t, H, geo_column="block", count_columns=["anzahl"], dimensions=[dim])


def joint_audit(p1, p2, rel1, rel2):
    """Independent audit of what both releases publish together: both tables' constraints + shared cells."""
    t1, t2 = build(p1, H), build(p2, H)
    pairs = _link_rows(t1, t2, 0, t1.n)
    link = sp.csr_matrix((np.tile([1.0, -1.0], len(pairs)), (np.repeat(np.arange(len(pairs)), 2),
                                                            np.asarray(pairs).reshape(-1))),
                         shape=(len(pairs), t1.n + t2.n))
    A = sp.vstack([sp.block_diag([t1.A, t2.A]), link]).tocsr()
    vals = np.concatenate([t1.values, t2.values])
    S = np.concatenate([rel1["count"].isna().to_numpy(), rel2["count"].isna().to_numpy()])
    prim = (vals > 0) & (vals < 3)
    # integer maximum of every primary cell with the insiders' knowledge (each primary cell ≥ its value)
    from scipy.optimize import Bounds, LinearConstraint, milp

    idx = np.flatnonzero(S)
    b = -(A[:, ~S] @ vals[~S])
    lb = np.where(prim, vals, 0)[idx].astype(float)
    leaks = []
    for j in np.flatnonzero(prim & S):
        c = np.zeros(len(idx))
        c[int(np.flatnonzero(idx == j)[0])] = -1.0
        r = milp(c, constraints=[LinearConstraint(A[:, idx], b, b)], integrality=np.ones(len(idx)),
                 bounds=Bounds(lb, np.full(len(idx), 10.0 * vals.max())))
        assert r.status == 0
        if -r.fun < 3:
            leaks.append((int(j), -r.fun))
    return leaks, S, prim


def test_separately_protected_tables_leak_together_and_joint_protection_does_not():
    p1, p2 = prep(BY_STATUS, "status"), prep(BY_SEX, "sex")
    a1, a2 = assess(p1, H, RULES), assess(p2, H, RULES)
    assert a1.outcome == a2.outcome == "publishable"
    leaks, _, _ = joint_audit(p1, p2, a1.releasable, a2.releasable)
    # each table alone is protected, but what the status table publishes about B2 pins B2/m and B2/w (both 2)
    # in the sex table to at most 2
    assert leaks and all(hi <= 2 for _, hi in leaks)

    outcome, (r1, r2), report = assess_linked([p1, p2], H, RULES, names=["status", "sex"])
    assert outcome == "publishable"
    leaks, S, prim = joint_audit(p1, p2, r1, r2)
    assert leaks == [] and not (prim & ~S).any()
    d = report.to_dict()
    assert d["audit"]["passed"] and d["audit"]["linked_tables"] == ["status", "sex"]
    assert d["audit"]["linking_equations"] > 0


def test_tables_that_disagree_on_their_shared_totals_are_refused():
    bad = [(b, c, v + 1 if (b, c) == ("B1", "m") else v) for b, c, v in BY_SEX]
    with pytest.raises(InputError) as e:
        assess_linked([prep(BY_STATUS, "status"), prep(bad, "sex")], H, RULES, names=["status", "sex"])
    assert e.value.findings[0].code == "FG-LINKED-TOTALS-DIFFER" and "B1" in e.value.message("en")


@st.composite
def two_tables(draw):
    r1, r2 = [], []
    for b in ("B1", "B2", "B3", "B4"):
        t = draw(st.integers(0, 12))
        a = draw(st.integers(0, t))
        m = draw(st.integers(0, t))
        r1 += [(b, "a", a), (b, "b", t - a)]
        r2 += [(b, "m", m), (b, "w", t - m)]
    return r1, r2


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(two_tables())
def test_property_jointly_protected_tables_pass_the_joint_audit(case):
    r1, r2 = case
    p1, p2 = prep(r1, "status"), prep(r2, "sex")
    outcome, (rel1, rel2), _ = assess_linked([p1, p2], H, RULES)
    if outcome != "publishable":
        return
    leaks, S, prim = joint_audit(p1, p2, rel1, rel2)
    assert leaks == [] and not (prim & ~S).any()
