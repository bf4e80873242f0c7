"""Attacker intervals from linear programming, and the interval test for counts.

``intervals``: for suppressed cells, the tightest ``[lo, hi]`` the *linear* relaxation of the attacker's
problem gives (every published cell, every additivity constraint, counts non-negative; two LPs per cell over
its connected component, scipy/HiGHS).  The integer attacker's interval lies inside it.  The audit of scope
``cells`` itself works with integer witnesses (:mod:`.witness`); these LP intervals remain for diagnostics,
the cross-release checks and magnitude tables.

``protected(lo, hi, k, zeros_disclosive, width)``: counts are integers, so an interval is rounded *inward*
(``ceil(lo)``, ``floor(hi)``): ``[1.0, 2.5]`` holds only 1 and 2, i.e. it pins the count to ``1 .. k-1``.
The cell counts as protected when the integer interval is not inside ``1 .. k-1`` (``0 .. k-1`` with zeros
disclosive) and holds at least ``max(1, width)`` + 1 integers.  (This is the "not pinned" test; the rule set's
protection levels - :mod:`.protection` - are stricter.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Interval:
    cell: int
    lo: float
    hi: float


def integer_interval(lo: float, hi: float) -> tuple[int, int]:
    """The integers an interval of a count can hold: ``[ceil(lo), floor(hi)]`` (1e-6 tolerance)."""
    return int(np.ceil(lo - 1e-6)), int(np.floor(hi + 1e-6))


def protected(lo: float, hi: float, k: int, zeros_disclosive: bool, width: int) -> bool:
    """``False`` when the attacker's interval ``[lo, hi]`` pins an integer count into the forbidden range
    ``1 .. k-1`` (``0 .. k-1`` with zeros disclosive) or leaves fewer than ``max(1, width)`` + 1 values."""
    lo_i, hi_i = integer_interval(lo, hi)
    if hi_i - lo_i < max(1, width):
        return False
    low_bad = 0 if zeros_disclosive else 1
    return not (lo_i >= low_bad and hi_i <= k - 1)


def intervals(A: sp.csr_matrix, values: np.ndarray, suppressed: np.ndarray, cells=None,
              lb: np.ndarray | None = None, ub: np.ndarray | None = None, own_bound: bool = True
              ) -> dict[int, Interval]:
    """Tightest LP ``[lo, hi]`` for the suppressed cells (all, or those in ``cells``).  ``lb``/``ub``: the
    attacker's bounds per cell beyond non-negativity (insiders' knowledge); with ``own_bound=False`` a cell's
    own bounds are dropped while its interval is computed (its insiders are not the attacker)."""
    S = np.flatnonzero(suppressed)
    if len(S) == 0:
        return {}
    A = A.tocsr()
    sub = A[:, S]
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)  # constraints that involve a suppressed cell
    sub = sub[rows]
    known = A[rows][:, np.flatnonzero(~suppressed)] @ values[~suppressed]
    b = -known
    # components: suppressed cells connected through shared constraints
    inc = (sub != 0).astype(np.int8)
    adj = (inc.T @ inc).tocsr()
    n_comp, labels = connected_components(adj, directed=False)
    wanted = set(S) if cells is None else set(int(c) for c in cells)
    out: dict[int, Interval] = {}
    total = float(np.abs(values).sum()) if values.size else 0.0
    lbS = np.zeros(len(S)) if lb is None else np.asarray(lb, dtype=float)[S]
    ubS = np.full(len(S), 2.0 * total + 10.0) if ub is None else np.asarray(ub, dtype=float)[S]
    for comp in range(n_comp):
        members = np.flatnonzero(labels == comp)
        targets = [m for m in members if S[m] in wanted]
        if not targets:
            continue
        crow = np.flatnonzero(np.asarray(abs(sub[:, members]).sum(axis=1)).ravel() > 0)
        Aeq = sub[crow][:, members]
        beq = b[crow]
        pos = {int(m): i for i, m in enumerate(members)}
        for m in targets:
            lo_b, hi_b = lbS[members].copy(), ubS[members].copy()
            if not own_bound:
                lo_b[pos[int(m)]], hi_b[pos[int(m)]] = 0.0, 2.0 * total + 10.0
            bounds = list(zip(lo_b, hi_b))
            c = np.zeros(len(members))
            c[pos[int(m)]] = 1.0
            v = float(values[S[m]])
            lo = linprog(c, A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
            hi = linprog(-c, A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
            # a solver failure never counts as protection: the cell is then treated as pinned to its value
            lo_v = float(lo.fun) if lo.status == 0 else v
            hi_v = float(-hi.fun) if hi.status == 0 else v
            out[int(S[m])] = Interval(int(S[m]), lo_v, hi_v)
    return out
