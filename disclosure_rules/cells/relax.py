"""Necessary conditions every valid suppression pattern satisfies, as a mixed-integer program.

``y_j = 1`` when cell ``j`` is suppressed.  Two families of linear conditions on ``y``:

* **Capacity** (per primary cell ``p`` and constraint row ``r`` containing it): to move ``p`` up by
  ``d = need_hi(p) - v_p`` while row ``r`` still adds up, either a suppressed cell of ``r`` on the *other* side
  of the equation moves up with it, or suppressed cells on the *same* side move down by ``d`` in total - and a
  cell ``i`` can move down by at most ``v_i - lb_i`` (``lb_i = v_i`` for a primary cell when insiders are
  modelled, so it gives nothing).  Hence ``Σ_other-side y_i + Σ_same-side min(1, (v_i - lb_i)/d) y_i ≥ 1``.
  Likewise downward where a lower protection level is required.  Not meeting it, ``p`` is provably pinned
  below ``need_hi`` by row ``r`` alone (the row gives ``x_p ≤ v_p + Σ (v_i - lb_i)``).
* **No lonely cell**: no row holds exactly one suppressed cell (``y_j ≤ Σ_{i ∈ r, i ≠ j} y_i``).  For a
  primary cell this is necessary (the row recomputes it).  For another cell it holds for some optimal pattern:
  a suppressed cell that one row recomputes exactly can be published without telling the attacker anything
  new, so every optimal pattern can be reduced to one without lonely cells at no extra cost.

Minimising the number (or cost) of suppressed cells under these conditions gives a **proven lower bound** on
every valid pattern (the MILP optimum, or HiGHS' dual bound when the time limit stops it), and a starting
pattern for the ``optimal`` mode.  ``insiders="single"`` gives the weaker conditions of attackers who are one
primary cell's insiders at a time (the bound is then valid for that weaker protection requirement too).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass(frozen=True)
class Relaxation:
    status: str  # optimal | time_limit | infeasible | error
    lower_bound: float  # proven: every valid pattern costs at least this (cells objective: suppressed cells)
    value: float | None  # cost of the MILP's best pattern (None if none)
    pattern: np.ndarray | None  # bool mask of the MILP's best pattern
    n_conditions: int


def conditions(A: sp.csr_matrix, values: np.ndarray, req, insiders: str = "global", lb: np.ndarray | None = None):
    """The conditions over variables ``[y (cells), z (rows)]``: ``M [y; z] ≥ rhs``.  ``z_r`` (continuous in
    [0, 1]) is 1 when row ``r`` holds a suppressed cell: ``z_r ≥ y_j`` for its members and ``Σ y ≥ 2 z_r``."""
    A = A.tocsr()
    vals = np.asarray(values, dtype=np.int64)
    prim = req.primary
    if lb is not None:
        lb_cells = lb
    else:
        lb_cells = req.lb if insiders == "global" else np.zeros(len(vals), dtype=np.int64)
    n, m = A.shape[1], A.shape[0]
    rows_i, cols_i, data, rhs = [], [], [], []
    r_out = 0
    AT = A.T.tocsr()
    forced = prim.copy()
    single = insiders == "single" and lb is None
    # work list: (cell, side, amount, row it was forced by, insider group): every primary cell must be able to
    # move by its protection; a cell that a row forces to move along (below) must too.  ``insiders="single"``:
    # the attackers are the insiders of one primary cell q at a time (only q cannot move down)
    work = []
    for p in np.flatnonzero(prim):
        for side, need in (("up", int(req.need_hi[p]) - int(vals[p])), ("down", int(vals[p]) - int(req.need_lo[p]))):
            if need > 0:
                # the lower side faces fewer insiders when the requirement says so (Requirement.lower_lb):
                # its chain of conditions then counts without insiders' bounds ("weak"), so the bound stays valid
                weak = "weak" if side == "down" and getattr(req, "cover", None) is not None and not single \
                    else None
                work.append((int(p), side, need, -1, weak))
    seen = set()
    while work:
        item = work.pop()
        if item in seen:
            continue
        seen.add(item)
        p, side, need, via, q_fixed = item
        for r in AT[p].indices:
            if r == via:
                continue
            members = A.indices[A.indptr[r]:A.indptr[r + 1]]
            coefs = A.data[A.indptr[r]:A.indptr[r + 1]]
            a_p = coefs[members == p][0]
            same = (coefs == a_p) & (members != p)
            other = coefs != a_p
            # moving p up: the other side moves up (free), the same side down (capacity); down: the reverse
            free, capped = (other, same) if side == "up" else (same, other)
            cap_cells = members[capped]
            fm = members[free]
            if single and q_fixed is None:
                groups = [int(q) for q in cap_cells if prim[q]] or [None]
            else:
                groups = [q_fixed]
            for q in groups:
                lbq = np.zeros_like(lb_cells) if q == "weak" else lb_cells
                room = np.maximum(vals[cap_cells] - lbq[cap_cells], 0)
                if single and q is not None:
                    room = np.where(cap_cells == q, 0, room)
                if len(fm) == 1 and room.sum() < need:
                    # even with every capped cell suppressed the row cannot absorb the move: its only free cell
                    # must move up by the rest in every witness - it is suppressed and must be able to move too
                    t = int(fm[0])
                    forced[t] = True
                    work.append((t, "up", need - int(room.sum()), int(r), q))
                cc = np.minimum(1.0, room / need)
                keep = cc > 0
                cols = np.concatenate([fm, cap_cells[keep]])
                rows_i += [r_out] * len(cols)
                cols_i += cols.tolist()
                data += [1.0] * len(fm) + cc[keep].tolist()
                rhs.append(1.0)
                r_out += 1
                if len(fm) == 1 and room.sum() >= need:
                    # either the capped cells of r absorb the move, or the free cell t moves up and one of its
                    # other rows absorbs what r does not: Σ_r c y + Σ_(t's row) (free y + c' y) ≥ 1 holds in
                    # both cases (the capacities of the two rows together cover the move)
                    t = int(fm[0])
                    for r2 in AT[t].indices:
                        if r2 == r:
                            continue
                        m2 = A.indices[A.indptr[r2]:A.indptr[r2 + 1]]
                        c2 = A.data[A.indptr[r2]:A.indptr[r2 + 1]]
                        a_t = c2[m2 == t][0]
                        capped2 = m2[(c2 == a_t) & (m2 != t)]
                        free2 = m2[c2 != a_t]
                        room2 = np.maximum(vals[capped2] - lbq[capped2], 0)
                        if single and q is not None:
                            room2 = np.where(capped2 == q, 0, room2)
                        coef: dict[int, float] = {}
                        for j, x in zip(cap_cells[keep].tolist(), cc[keep].tolist()):
                            coef[j] = coef.get(j, 0.0) + x
                        for j in free2.tolist():
                            coef[j] = coef.get(j, 0.0) + 1.0
                        for j, x in zip(capped2.tolist(), np.minimum(1.0, room2 / need).tolist()):
                            if x > 0:
                                coef[j] = coef.get(j, 0.0) + x
                        if p in coef:
                            continue  # p itself is suppressed: the condition holds trivially
                        rows_i += [r_out] * len(coef)
                        cols_i += list(coef)
                        data += [min(1.0, x) for x in coef.values()]
                        rhs.append(1.0)
                        r_out += 1
    # no lonely cell: z_r - y_j ≥ 0 for every member j of row r, and Σ_{j in r} y_j - 2 z_r ≥ 0
    coo = A.tocoo()
    k = len(coo.data)
    rr = np.arange(r_out, r_out + k)
    rows_i += np.repeat(rr, 2).tolist()
    cols_i += np.column_stack([n + coo.row, coo.col]).ravel().tolist()
    data += np.tile([1.0, -1.0], k).tolist()
    rhs += [0.0] * k
    r_out += k
    rr = r_out + coo.row
    rows_i += rr.tolist() + (r_out + np.arange(m)).tolist()
    cols_i += coo.col.tolist() + (n + np.arange(m)).tolist()
    data += [1.0] * k + [-2.0] * m
    rhs += [0.0] * m
    r_out += m
    M = sp.csr_matrix((data, (rows_i, cols_i)), shape=(r_out, n + m))
    return M, np.asarray(rhs), forced


def solve(A: sp.csr_matrix, values: np.ndarray, req, cost: np.ndarray, time_limit_s: float,
          insiders: str = "global", count_cost: bool = True) -> Relaxation:
    """Minimum cost under the necessary conditions.  ``lower_bound`` is in the units of ``cost``."""
    M, rlb, forced = conditions(A, values, req, insiders)
    n, m = A.shape[1], A.shape[0]
    lbv = np.concatenate([forced.astype(float), np.zeros(m)])
    c = np.concatenate([np.asarray(cost, dtype=float), np.zeros(m)])
    try:
        res = milp(c=c, constraints=[LinearConstraint(M, lb=rlb, ub=np.inf)],
                   integrality=np.concatenate([np.ones(n), np.zeros(m)]), bounds=Bounds(lbv, np.ones(n + m)),
                   options={"time_limit": float(time_limit_s), "disp": False, "mip_rel_gap": 1e-6})
    except Exception:  # noqa: BLE001 - the solver failing gives no bound
        return Relaxation("error", 0.0, None, None, M.shape[0])
    if res.status == 2:
        return Relaxation("infeasible", float("inf"), None, None, M.shape[0])
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(bound) if bound is not None and np.isfinite(bound) else float(np.asarray(cost)[req.primary].sum())
    pattern = (res.x[:n] > 0.5) | req.primary if res.x is not None else None
    status = "optimal" if res.status == 0 else "time_limit"
    if status == "optimal" and res.fun is not None:
        bound = max(bound, float(res.fun) - 1e-6 * max(1.0, abs(float(res.fun))))
    return Relaxation(status, bound, float(res.fun) if res.x is not None else None, pattern, M.shape[0])

