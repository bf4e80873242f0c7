"""The attacker audit: for every suppressed cell, the tightest interval an attacker can derive.

The attacker knows every published cell, every additivity constraint of the table (margins over the
geography and over each dimension) and that counts are non-negative.  For each suppressed cell we solve two
linear programs (minimise and maximise its value) over the suppressed cells of its connected component
(cells linked through constraints that contain suppressed cells), with scipy's HiGHS.  A primary cell is
protected when its interval does not pin the value inside ``1 .. k-1`` (with zeros disclosive: inside
``0 .. k-1``) and is at least ``protection_width`` wide.
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


def protected(lo: float, hi: float, k: int, zeros_disclosive: bool, width: int) -> bool:
    lo_i, hi_i = int(np.floor(lo + 1e-6)), int(np.ceil(hi - 1e-6))
    if hi_i - lo_i < max(1, width):
        return False
    low_bad = 0 if zeros_disclosive else 1
    return not (lo_i >= low_bad and hi_i <= k - 1)


def intervals(A: sp.csr_matrix, values: np.ndarray, suppressed: np.ndarray, cells=None, k: int | None = None,
              zeros: bool = False, width: int = 0) -> dict[int, Interval]:
    """Tightest [lo, hi] for the suppressed cells (all, or those in ``cells``).

    With ``k`` given (a screening audit), the maximisation is skipped where the minimum alone already proves
    protection: the true value is feasible, so ``lo ≤ 0 < 1 ≤ value ≤ hi``; ``hi`` is then reported as the
    true value (a lower bound of the real ``hi``)."""
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
    wanted = set(S) if cells is None else set(cells)
    out: dict[int, Interval] = {}
    upper = np.full(len(S), float(values.sum()) if values.size else 0.0)
    for comp in range(n_comp):
        members = np.flatnonzero(labels == comp)
        targets = [m for m in members if S[m] in wanted]
        if not targets:
            continue
        crow = np.flatnonzero(np.asarray(abs(sub[:, members]).sum(axis=1)).ravel() > 0)
        Aeq = sub[crow][:, members]
        beq = b[crow]
        bounds = [(0, upper[m] if upper[m] > 0 else None) for m in members]
        for m in targets:
            c = np.zeros(len(members))
            c[list(members).index(m)] = 1.0
            lo = linprog(c, A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
            lo_v = lo.fun if lo.status == 0 else 0.0
            v = float(values[S[m]])
            low_bad = 0 if zeros else 1
            if k is not None and lo_v < low_bad - 1e-6 and v - lo_v >= max(1, width) and v >= 1:
                out[int(S[m])] = Interval(int(S[m]), float(lo_v), v)
                continue
            hi = linprog(-c, A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
            hi_v = -hi.fun if hi.status == 0 else float("inf")
            out[int(S[m])] = Interval(int(S[m]), float(lo_v), float(hi_v))
    return out
