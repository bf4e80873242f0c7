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


def certificates(A: sp.csr_matrix, values: np.ndarray, suppressed: np.ndarray, cells, k: int, zeros: bool,
                 width: int, AT: sp.csr_matrix | None = None) -> dict[int, Interval]:
    """Cheap proofs of protection without linear programming: for a primary cell ``p`` (value ``v``) find a
    closed "rectangle" of four suppressed cells ``p, q, r, s`` (``p, q`` share a constraint, ``p, r`` share
    one, ``q, s`` and ``r, s`` share one) and the shift ``δ`` that moves ``p`` to 0 (or, with zeros
    disclosive, up to ``k``) while every constraint of the table stays satisfied (checked exactly: ``A δ = 0``)
    and every cell stays non-negative.  ``values + δ`` is then another table an attacker cannot tell apart
    from the true one, so the attacker's interval for ``p`` reaches 0 (resp. ``k``): ``p`` is protected.
    The certificate is exact, never an approximation; cells without one go to the linear programs.

    Returns intervals ``[lo, hi]`` that are provably inside the attacker's interval (true value and the
    shifted value), for the cells certified."""
    A = A.tocsr()
    AT = A.T.tocsr() if AT is None else AT
    ip, ix, dat = A.indptr, A.indices, A.data  # rows → cells
    tp, tx, tdat = AT.indptr, AT.indices, AT.data  # cells → rows
    sup = np.asarray(suppressed, dtype=bool)
    vals = np.asarray(values, dtype=float)

    def row(r):
        return ix[ip[r]:ip[r + 1]], dat[ip[r]:ip[r + 1]]

    def col(c):
        return tx[tp[c]:tp[c + 1]], tdat[tp[c]:tp[c + 1]]

    def balanced(cells_, deltas) -> bool:
        acc: dict[int, float] = {}
        for c, d in zip(cells_, deltas):
            rs, cs = col(c)
            for r, a in zip(rs.tolist(), cs.tolist()):
                acc[r] = acc.get(r, 0.0) + a * d
        return all(abs(x) < 1e-9 for x in acc.values())

    out: dict[int, Interval] = {}
    low_bad = 0 if zeros else 1
    for p in cells:
        p = int(p)
        v = float(vals[p])
        if not zeros:  # move p down to 0
            if v < max(1, width):
                continue
            d_p = -v
        else:  # move p up to k
            d_p = float(k) - v
            if d_p < max(1, width):
                continue
        rows_p, coefs_p = col(p)
        rows_p, coefs_p = rows_p.tolist(), coefs_p.tolist()
        found = False
        for i1, r1 in enumerate(rows_p):
            m1, a1 = row(r1)
            for q, a1q in zip(m1.tolist(), a1.tolist()):
                if q == p or not sup[q]:
                    continue
                d_q = -coefs_p[i1] * d_p / a1q
                if vals[q] + d_q < 0:
                    continue
                rows_q, coefs_q = col(q)
                for i2, r2 in enumerate(rows_p):
                    if r2 == r1:
                        continue
                    m2, a2 = row(r2)
                    for r_, a2r in zip(m2.tolist(), a2.tolist()):
                        if r_ == p or r_ == q or not sup[r_]:
                            continue
                        d_r = -coefs_p[i2] * d_p / a2r
                        if vals[r_] + d_r < 0:
                            continue
                        # s: a suppressed cell sharing a constraint with q (other than r1); the exact balance
                        # check below makes sure it also closes the constraints of r
                        for r3, a3q in zip(rows_q.tolist(), coefs_q.tolist()):
                            if r3 == r1:
                                continue
                            m3, a3 = row(r3)
                            for s_, a3s in zip(m3.tolist(), a3.tolist()):
                                if s_ in (p, q, r_) or not sup[s_]:
                                    continue
                                d_s = -a3q * d_q / a3s
                                if vals[s_] + d_s < 0:
                                    continue
                                if balanced((p, q, r_, s_), (d_p, d_q, d_r, d_s)):
                                    found = True
                                    break
                            if found:
                                break
                        if found:
                            break
                    if found:
                        break
                if found:
                    break
            if found:
                break
        if found:
            lo, hi = (v + d_p, v) if not zeros else (v, v + d_p)
            assert lo < low_bad or hi >= k
            out[p] = Interval(p, lo, hi)
    return out


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
    wanted = set(S) if cells is None else set(int(c) for c in cells)
    out: dict[int, Interval] = {}
    if k is not None:  # screening audit: exact certificates first, linear programs for the rest
        out.update(certificates(A, values, suppressed, sorted(wanted), k, zeros, width))
        wanted -= set(out)
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
        if k is not None:
            targets = _batched_witnesses(Aeq, beq, bounds, members, targets, S, values, k, zeros, width, out)
        pos = {int(m): i for i, m in enumerate(members)}
        for m in targets:
            c = np.zeros(len(members))
            c[pos[int(m)]] = 1.0
            v = float(values[S[m]])
            lo = linprog(c, A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
            # a solver failure never counts as protection: the cell is then treated as pinned to its value
            lo_v = lo.fun if lo.status == 0 else v
            low_bad = 0 if zeros else 1
            if k is not None and lo_v < low_bad - 1e-6 and v - lo_v >= max(1, width) and v >= 1:
                out[int(S[m])] = Interval(int(S[m]), float(lo_v), v)
                continue
            hi = linprog(-c, A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
            hi_v = -hi.fun if hi.status == 0 else v
            out[int(S[m])] = Interval(int(S[m]), float(lo_v), float(hi_v))
    return out


def _batched_witnesses(Aeq, beq, bounds, members, targets, S, values, k, zeros, width, out) -> list:
    """One linear program for many cells: a feasible table (same published cells, same constraints) in which
    as many target cells as possible sit outside the forbidden range at once - with zeros allowed, minimise
    the sum of the targets (cells that come out at 0 are protected: ``lo ≤ 0``, and their true value is
    feasible, so ``hi ≥ value``); with zeros disclosive, maximise ``Σ min(x, k)`` (cells reaching ``k``).
    Repeats on the cells not yet shown protected while a round shows some; returns those still open."""
    pos = {int(m): i for i, m in enumerate(members)}
    open_ = [m for m in targets if (float(values[S[m]]) >= max(1, width) if not zeros
                                    else float(k) - float(values[S[m]]) >= max(1, width))]
    rest = [m for m in targets if m not in set(open_)]
    n = len(members)
    for _ in range(20):
        if len(open_) < 2:
            break
        idx = np.asarray([pos[int(m)] for m in open_])
        if not zeros:
            c = np.zeros(n)
            c[idx] = 1.0
            res = linprog(c, A_eq=Aeq, b_eq=beq, bounds=bounds, method="highs")
            if res.status != 0:
                break
            x = res.x
            done = [m for m, i in zip(open_, idx) if x[i] <= 1e-7]
        else:
            # variables x (n) and y (len(idx)) with y ≤ x, 0 ≤ y ≤ k; maximise Σ y
            m_y = len(idx)
            c = np.concatenate([np.zeros(n), -np.ones(m_y)])
            Aeq2 = sp.hstack([Aeq, sp.csr_matrix((Aeq.shape[0], m_y))]).tocsr()
            Aub = sp.hstack([-sp.csr_matrix((np.ones(m_y), (np.arange(m_y), idx)), shape=(m_y, n)),
                             sp.identity(m_y)]).tocsr()
            res = linprog(c, A_ub=Aub, b_ub=np.zeros(m_y), A_eq=Aeq2, b_eq=beq,
                          bounds=list(bounds) + [(0, float(k))] * m_y, method="highs")
            if res.status != 0:
                break
            x = res.x[:n]
            done = [m for m, i in zip(open_, idx) if x[i] >= k - 1e-7]
        if not done:
            break
        for m in done:
            v, xv = float(values[S[m]]), float(x[pos[int(m)]])
            out[int(S[m])] = Interval(int(S[m]), min(xv, v), max(xv, v))
        open_ = [m for m in open_ if int(S[m]) not in out]
    return open_ + rest
