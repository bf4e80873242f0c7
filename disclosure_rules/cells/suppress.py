"""Primary and secondary cell suppression.

* Primary: the minimum-frequency rule on every cell of the table with margins.
* Secondary, heuristic (always available): every constraint that contains a suppressed primary cell gets at
  least one more suppressed cell (the cheapest: smallest positive value, inner cells before margins); then the
  attacker audit runs, and for every primary cell it finds unprotected more partners are added in its
  constraints; this repeats until the audit passes.  As a last resort whole constraints are suppressed, so the
  loop always ends with a pattern that passes the audit (or, if even that fails, nothing is released).
* Secondary, optimal: a mixed-integer program (scipy ``milp``, HiGHS) choosing the partners of minimum total
  cost under the same "at least one partner per constraint" conditions, within ``time_limit_s``; its pattern
  is then audited and repaired by the heuristic loop.  If the solver finds nothing in time, the heuristic's
  pattern is used.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from .audit import intervals, protected


def primary_mask(values: np.ndarray, k: int, zeros_disclosive: bool) -> np.ndarray:
    return (values < k) if zeros_disclosive else ((values > 0) & (values < k))


def cell_cost(values: np.ndarray, inner: np.ndarray, objective: str) -> np.ndarray:
    """Cost of suppressing a cell: its count (``total``) or one per cell (``cells``); margins cost more,
    zeros cost more (a suppressed zero rarely protects anything, it is bounded below by 0)."""
    base = values.astype(float) if objective == "total" else np.ones(len(values))
    base = base + np.where(values == 0, 10.0, 0.0) + np.where(inner, 0.0, 0.5) + values * 1e-6
    return base


def _ensure_partners(A: sp.csr_matrix, S: np.ndarray, cells: np.ndarray, cost: np.ndarray) -> int:
    """Every constraint containing one of ``cells`` gets ≥ 2 suppressed cells. Returns cells added."""
    added = 0
    AT = A.T.tocsr()
    rows = np.unique(np.concatenate([AT[c].indices for c in cells])) if len(cells) else np.array([], int)
    for r in rows:
        members = A[r].indices
        if S[members].sum() >= 2:
            continue
        cand = members[~S[members]]
        if len(cand) == 0:
            continue
        j = cand[np.argmin(cost[cand])]
        S[j] = True
        added += 1
    return added


def close_pattern(A: sp.csr_matrix, S: np.ndarray, cost: np.ndarray) -> None:
    """Until nothing changes: no constraint holds exactly one suppressed cell (it could be recomputed
    directly from that constraint)."""
    A = A.tocsr()
    counts = A.astype(bool).astype(np.int32) @ S.astype(np.int32)
    while True:
        single = np.flatnonzero(counts == 1)
        if len(single) == 0:
            return
        changed = False
        for r in single:
            members = A[r].indices
            if S[members].sum() != 1:
                continue
            cand = members[~S[members]]
            if len(cand) == 0:
                continue
            j = cand[np.argmin(cost[cand])]
            S[j] = True
            changed = True
        if not changed:
            return
        counts = A.astype(bool).astype(np.int32) @ S.astype(np.int32)


def heuristic(A, values, primary, k, zeros, width, cost, start=None, deadline=None, check=None):
    """Returns (suppressed mask, intervals of the primary cells, passed).

    ``check(cell, interval) -> bool`` replaces the frequency rule's protection test (magnitude tables: the
    interval must reach the cell's required protection on both sides); the audit then runs the exact linear
    programs for every cell (no screening shortcuts, which are specific to the frequency rule)."""
    if check is None:
        def check(j, iv):
            return protected(iv.lo, iv.hi, k, zeros, width)
        screen_k = k
    else:
        screen_k = None
    A = A.tocsr()
    S = primary.copy() if start is None else (start | primary)
    P = np.flatnonzero(primary)
    if len(P) == 0:
        return S, {}, True
    _ensure_partners(A, S, P, cost)
    close_pattern(A, S, cost)
    AT = A.T.tocsr()
    # Suppressing more cells only removes information, so an interval can only widen: a primary cell once
    # protected stays protected, and each round re-audits only the cells still unprotected.
    todo = P
    iv_all = {}
    for _round in range(200):
        iv = intervals(A, values, S, cells=todo, k=screen_k, zeros=zeros, width=width)
        iv_all.update(iv)
        bad = [p for p in todo if not check(p, iv[p])]
        if not bad:
            return S, iv_all, True
        todo = np.asarray(bad)
        grew = 0
        for p in bad:
            rows = AT[p].indices
            # the constraint of p with the fewest suppressed cells gets one more (cheapest) partner
            order = sorted(rows, key=lambda r: S[A[r].indices].sum())
            for r in order:
                members = A[r].indices
                cand = members[~S[members]]
                if len(cand):
                    S[cand[np.argmin(cost[cand])]] = True
                    grew += 1
                    break
        close_pattern(A, S, cost)
        if grew == 0:
            break  # nothing left to add around the unprotected cells
        if deadline is not None and time.monotonic() > deadline and _round > 20:
            # last resort: suppress every cell of every constraint of the unprotected cells
            for p in bad:
                for r in AT[p].indices:
                    S[A[r].indices] = True
    iv = intervals(A, values, S, cells=P)
    ok = all(check(p, iv[p]) for p in P)
    return S, iv, ok


def optimal(A, values, primary, cost, time_limit_s: float):
    """Minimum-cost partner choice (≥ 1 partner in every constraint of every primary cell); None if no
    solution was found in time."""
    A = A.tocsr()
    P = np.flatnonzero(primary)
    if len(P) == 0:
        return primary.copy()
    AT = A.T.tocsr()
    rows = np.unique(np.concatenate([AT[p].indices for p in P]))
    n = A.shape[1]
    cons_rows, cons_cols = [], []
    r_out = 0
    for r in rows:
        members = A[r].indices
        prim_in = members[primary[members]]
        for p in prim_in:
            partners = members[members != p]
            if len(partners) == 0:
                continue
            cons_rows += [r_out] * len(partners)
            cons_cols += list(partners)
            r_out += 1
    lb = primary.astype(float)
    if r_out == 0:
        return primary.copy()
    M = sp.csr_matrix((np.ones(len(cons_rows)), (cons_rows, cons_cols)), shape=(r_out, n))
    res = milp(c=cost, constraints=[LinearConstraint(M, lb=np.ones(r_out), ub=np.inf)],
               integrality=np.ones(n), bounds=Bounds(lb, np.ones(n)),
               options={"time_limit": float(time_limit_s), "disp": False})
    if res.x is None:
        return None
    return (res.x > 0.5) | primary
