"""The integer attacker audit: proofs that every primary cell meets its required protection interval.

Counts are integers.  An attacker who knows every published cell, every additivity constraint (``A x = 0``),
that counts are non-negative and - with insiders - that every primary cell ``q`` is at least its value
(``x_q ≥ v_q``) can exclude every value of a suppressed cell ``p`` that no *integer* table satisfying all that
takes.  So ``p`` is protected upward exactly when some such integer table has ``x_p ≥ need_hi(p)``, and
downward when some such table (insiders' bounds of every ``q ≠ p``) has ``x_p ≤ need_lo(p)``.

Every "protected" verdict here rests on such a table, a *witness*, checked exactly in integer arithmetic
(``A x = 0``, published cells unchanged, bounds): a rectangle of four suppressed cells (no solver), the
solution of a linear program that happens to be integral, or a solution of an integer program (scipy ``milp``).
Every "not protected" verdict rests on a proof that no witness exists: the linear-programming bound (the
integer optimum is at most the LP optimum, rounded down) or an infeasible integer program.  A solver that runs
out of time never counts as protection.  Hierarchical tables with two dimensions are not totally unimodular,
so LP vertices can be fractional: that is why integrality is checked and never assumed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

EPS = 1e-6


@dataclass(frozen=True)
class Verdict:
    """What the audit proved about one primary cell.

    ``lo``/``hi``: values of the cell in integer tables that agree with everything published and with the
    insiders' knowledge (witnessed, so the attacker's integer interval contains ``[lo, hi]``).
    ``hi_bound``/``lo_bound``: where computed, proven limits of that interval (``None``: not computed)."""

    cell: int
    value: int
    lo: int
    hi: int
    need_lo: int
    need_hi: int
    protected: bool
    proof: str  # hypercube | rectangle | witness | local-witness | lp-integral | milp (protected);
    # lp-bound | milp-infeasible (proven not) | no-witness | timeout (not shown protected) | trivial | published
    hi_bound: int | None = None
    lo_bound: int | None = None
    support: tuple = ()  # cells the witnesses change (a pattern may publish every other secondary cell)


class System:
    """The attacker's system restricted to the suppressed cells, split into connected components."""

    def __init__(self, A: sp.csr_matrix, values: np.ndarray, suppressed: np.ndarray):
        self.A = A.tocsr()
        self.values = np.asarray(values, dtype=np.int64)
        self.S = np.flatnonzero(suppressed)
        self.pos = {int(c): i for i, c in enumerate(self.S)}
        sub = self.A[:, self.S].tocsr()
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        self.sub = sub[rows].tocsc()
        known = self.A[rows][:, np.flatnonzero(~np.asarray(suppressed, bool))] @ self.values[~np.asarray(
            suppressed, bool)].astype(float)
        self.b = np.rint(-known).astype(np.int64)
        inc = (self.sub != 0).astype(np.int8)
        n_comp, self.labels = connected_components((inc.T @ inc).tocsr(), directed=False)
        self.n_comp = n_comp
        self._cache: dict[int, tuple] = {}
        # an artificial upper bound for the solvers, far above any required value (a cell whose constraints are
        # all suppressed is unbounded; the bound only ever makes witnesses harder to find, never easier)
        self.ub = 2.0 * float(max(int(self.values.sum()), 1)) + 1e5

    def component(self, comp: int):
        """(members: positions in S, Aeq (csr), beq (int64), Aeq_int (csr int64))."""
        if comp not in self._cache:
            members = np.flatnonzero(self.labels == comp)
            block = self.sub[:, members].tocsr()
            crow = np.flatnonzero(np.diff(block.indptr) > 0)
            Aeq = block[crow]
            self._cache[comp] = (members, Aeq.astype(float), self.b[crow], Aeq.astype(np.int64))
        return self._cache[comp]


def _verify(Aeq_int, beq, x: np.ndarray, lb: np.ndarray) -> np.ndarray | None:
    """The integer table ``round(x)`` if it is one (within 1e-6 of integers, ``A x = b`` exactly, ``x ≥ lb``)."""
    if x is None or not np.all(np.isfinite(x)):
        return None
    xi = np.rint(x)
    if np.max(np.abs(x - xi), initial=0.0) > EPS:
        return None
    xi = xi.astype(np.int64)
    if np.any(xi < lb):
        return None
    if not np.array_equal(Aeq_int @ xi, beq):
        return None
    return xi


def rectangles(A: sp.csr_matrix, AT: sp.csr_matrix, values: np.ndarray, suppressed: np.ndarray,
               cells, shift: dict, lb: np.ndarray, lb_self_zero: bool = False) -> dict[int, int]:
    """Witnesses without a solver: for cell ``p`` and integer shift ``d`` (``shift[p]``), a closed rectangle of
    four suppressed cells ``p, q, r, s`` (``p, q`` share a constraint, ``p, r`` share one, ``q, s`` and ``r, s``
    share one) whose shifts keep every constraint (checked exactly: ``A δ = 0``) and every bound
    (``v + δ ≥ lb``; ``p`` itself only ``≥ 0`` when ``lb_self_zero``).  ``values + δ`` is then an integer table
    the attacker cannot tell from the true one.  Returns ``{p: (value of p in the witness, its 4 cells)}``."""
    ip, ix, dat = A.indptr, A.indices, A.data
    tp, tx, tdat = AT.indptr, AT.indices, AT.data
    sup = np.asarray(suppressed, dtype=bool)
    vals = np.asarray(values, dtype=np.int64)

    def row(r):
        return ix[ip[r]:ip[r + 1]].tolist(), dat[ip[r]:ip[r + 1]].tolist()

    def col(c):
        return tx[tp[c]:tp[c + 1]].tolist(), tdat[tp[c]:tp[c + 1]].tolist()

    def balanced(cells_, deltas) -> bool:
        acc: dict[int, float] = {}
        for c, d in zip(cells_, deltas):
            rs, cs = col(c)
            for r, a in zip(rs, cs):
                acc[r] = acc.get(r, 0.0) + a * d
        return all(x == 0 for x in acc.values())

    def ok(c, d) -> bool:
        return float(d).is_integer() and vals[c] + d >= lb[c]

    out: dict[int, tuple[int, tuple]] = {}
    for p in cells:
        p = int(p)
        d_p = int(shift[p])
        if d_p == 0:
            out[p] = (int(vals[p]), ())
            continue
        if vals[p] + d_p < (0 if lb_self_zero else lb[p]):
            continue
        rows_p, coefs_p = col(p)
        found = False
        for i1, r1 in enumerate(rows_p):
            m1, a1 = row(r1)
            for q, a1q in zip(m1, a1):
                if q == p or not sup[q]:
                    continue
                d_q = -coefs_p[i1] * d_p / a1q
                if not ok(q, d_q):
                    continue
                rows_q, coefs_q = col(q)
                for i2, r2 in enumerate(rows_p):
                    if r2 == r1:
                        continue
                    m2, a2 = row(r2)
                    for r_, a2r in zip(m2, a2):
                        if r_ == p or r_ == q or not sup[r_]:
                            continue
                        d_r = -coefs_p[i2] * d_p / a2r
                        if not ok(r_, d_r):
                            continue
                        for r3, a3q in zip(rows_q, coefs_q):
                            if r3 == r1:
                                continue
                            m3, a3 = row(r3)
                            for s_, a3s in zip(m3, a3):
                                if s_ in (p, q, r_) or not sup[s_]:
                                    continue
                                d_s = -a3q * d_q / a3s
                                if not ok(s_, d_s):
                                    continue
                                if balanced((p, q, r_, s_), (d_p, d_q, d_r, d_s)):
                                    found = (p, q, r_, s_)
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
            out[p] = (int(vals[p] + d_p), found)
    return out


def _bounds(sys_: System, members: np.ndarray, lb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = lb[sys_.S[members]].astype(float)
    hi = np.full(len(members), sys_.ub)
    return lo, hi


def _batched(sys_: System, comp: int, targets: list[int], need: np.ndarray, lb: np.ndarray, deadline: float,
             milp_limit: float) -> dict[int, int]:
    """One problem for many cells: an integer table in which as many target cells as possible reach their
    required upper value at once.  LP first (its solution counts only when exactly integral), then ``milp``.
    Returns ``{cell: (witnessed value, support)}`` for the cells that reach their requirement."""
    members, Aeq, beq, Aeq_int = sys_.component(comp)
    pos = {int(sys_.S[m]): i for i, m in enumerate(members)}
    lo, hi = _bounds(sys_, members, lb)
    lb_m = lb[sys_.S[members]]
    out: dict[int, tuple] = {}
    open_ = [c for c in targets if need[c] > sys_.values[c]]
    for _ in range(20):
        if not open_ or time.monotonic() > deadline:
            break
        n, m_y = len(members), len(open_)
        idx = np.asarray([pos[c] for c in open_])
        gap = np.asarray([float(need[c] - sys_.values[c]) for c in open_])
        # variables x (n), y (m_y): y_i ≤ x_i - v_i, 0 ≤ y_i ≤ gap_i; maximise Σ y_i / gap_i
        cobj = np.concatenate([np.zeros(n), -1.0 / gap])
        Aeq2 = sp.hstack([Aeq, sp.csr_matrix((Aeq.shape[0], m_y))]).tocsr()
        Aub = sp.hstack([-sp.csr_matrix((np.ones(m_y), (np.arange(m_y), idx)), shape=(m_y, n)),
                         sp.identity(m_y)]).tocsr()
        bub = -np.asarray([float(sys_.values[c]) for c in open_])
        bnds = list(zip(lo, hi)) + [(0.0, g) for g in gap]
        res = linprog(cobj, A_ub=Aub, b_ub=bub, A_eq=Aeq2, b_eq=beq.astype(float), bounds=bnds, method="highs")
        if res.status != 0:
            break
        x = _verify(Aeq_int, beq, res.x[:n], lb_m)
        if x is None and time.monotonic() + 0.5 < deadline:
            lim = max(0.5, min(milp_limit, deadline - time.monotonic()))
            r2 = milp(cobj, constraints=[LinearConstraint(Aub, -np.inf, bub), LinearConstraint(Aeq2, beq, beq)],
                      integrality=np.concatenate([np.ones(n), np.zeros(m_y)]),
                      bounds=Bounds(np.concatenate([lo, np.zeros(m_y)]), np.concatenate([hi, gap])),
                      options={"time_limit": lim, "disp": False})
            if r2.x is not None:
                x = _verify(Aeq_int, beq, r2.x[:n], lb_m)
        if x is None:
            break
        done = [c for c in open_ if x[pos[c]] >= need[c]]
        if not done:
            break
        moved = tuple(int(j) for j in sys_.S[members][x != sys_.values[sys_.S[members]]])
        for c in done:
            out[c] = (int(x[pos[c]]), moved)
        open_ = [c for c in open_ if c not in out]
    return out


def _single(sys_: System, comp: int, cell: int, target: int, up: bool, lb: np.ndarray, deadline: float,
            milp_limit: float) -> tuple[bool, int | None, int | None, str]:
    """One cell, one side: (protected, witnessed value, proven bound, proof, support)."""
    members, Aeq, beq, Aeq_int = sys_.component(comp)
    pos = {int(sys_.S[m]): i for i, m in enumerate(members)}
    i = pos[cell]
    lo, hi = _bounds(sys_, members, lb)
    lb_m = lb[sys_.S[members]]
    c = np.zeros(len(members))
    c[i] = -1.0 if up else 1.0
    res = linprog(c, A_eq=Aeq, b_eq=beq.astype(float), bounds=list(zip(lo, hi)), method="highs")
    if res.status != 0:
        return False, None, None, "timeout", ()  # solver trouble never counts as protection
    opt = float(res.x[i])
    bound = int(np.floor(opt + EPS)) if up else int(np.ceil(opt - EPS))
    if (up and bound < target) or (not up and bound > target):
        return False, None, bound, "lp-bound", ()
    vm = sys_.values[sys_.S[members]]
    x = _verify(Aeq_int, beq, res.x, lb_m)
    if x is not None:
        return True, int(x[i]), bound, "lp-integral", tuple(int(j) for j in sys_.S[members][x != vm])
    if time.monotonic() > deadline:
        return False, None, bound, "timeout", ()
    lo2, hi2 = lo.copy(), hi.copy()
    if up:
        lo2[i] = max(lo2[i], float(target))
    else:
        hi2[i] = float(target)
    lim = max(0.5, min(milp_limit, deadline - time.monotonic()))
    r2 = milp(np.zeros(len(members)), constraints=[LinearConstraint(Aeq, beq, beq)],
              integrality=np.ones(len(members)), bounds=Bounds(lo2, hi2),
              options={"time_limit": lim, "disp": False})
    if r2.x is not None:
        x = _verify(Aeq_int, beq, r2.x, lb_m)
        if x is not None:
            return True, int(x[i]), bound, "milp", tuple(int(j) for j in sys_.S[members][x != vm])
    if r2.status == 2:  # infeasible: no integer table reaches the target
        return False, None, (target - 1) if up else (target + 1), "milp-infeasible", ()
    return False, None, bound, "timeout", ()


class Context:
    """Matrices shared by the per-cell searches of one audit."""

    def __init__(self, A: sp.csr_matrix, AT: sp.csr_matrix):
        self.A = A
        self.AT = AT
        self._A_int = None
        self._adj = None

    @property
    def A_int(self):
        if self._A_int is None:
            self._A_int = self.A.tocsc().astype(np.int64)
        return self._A_int

    @property
    def adj(self):  # cells sharing a constraint (built when a local search needs it)
        if self._adj is None:
            inc = (self.A != 0).astype(np.int8)
            self._adj = (inc.T @ inc).tocsr()
        return self._adj


def _near(ctx: Context, p: int, sup: np.ndarray, hops: int, cap: int = 4000) -> np.ndarray:
    """Suppressed cells within ``hops`` constraint steps of ``p`` (through suppressed cells)."""
    mask = np.zeros(len(sup), dtype=bool)
    mask[p] = True
    frontier = mask.copy()
    for _ in range(hops):
        nb = (ctx.adj[np.flatnonzero(frontier)].sum(axis=0).A1 > 0) & sup & ~mask
        if not nb.any():
            break
        mask |= nb
        frontier = nb
        if mask.sum() > cap:
            break
    return np.flatnonzero(mask)


def local_witness(ctx: Context, vals: np.ndarray, sup: np.ndarray, lb: np.ndarray, p: int, target: int, up: bool,
                  hops: int, milp_limit: float = 2.0):
    """A witness for ``p`` that moves only suppressed cells near ``p`` (every other cell keeps its true value):
    the smallest total move that brings ``p`` to ``target`` (LP; its solution counts only when exactly
    integral, else a small ``milp``).  Returns a :class:`.cubes.Cube` (cells moved, moves) or ``None``.  Not
    finding one proves nothing; finding one proves the move is possible."""
    from .cubes import Cube, check

    cells = _near(ctx, p, sup, hops)
    rows = np.unique(ctx.AT[cells].indices)
    Asub = ctx.A[rows][:, cells].tocsr()
    m = len(cells)
    v = vals[cells].astype(float)
    ip = int(np.flatnonzero(cells == p)[0])
    room = np.maximum(v - lb[cells], 0.0)
    big = 2.0 * float(np.abs(vals).sum()) + 10.0
    delta = float(abs(target - vals[p]))
    up_b = np.full(m, big)
    dn_b = room.copy()
    lo_up = np.zeros(m)
    lo_dn = np.zeros(m)
    if up:
        lo_up[ip], dn_b[ip] = delta, 0.0
    else:
        dn_b[ip] = float(vals[p])
        lo_dn[ip], up_b[ip] = delta, 0.0
    Aeq = sp.hstack([Asub, -Asub]).tocsr()
    cobj = np.ones(2 * m)
    bnds = Bounds(np.concatenate([lo_up, lo_dn]), np.concatenate([up_b, dn_b]))
    res = linprog(cobj, A_eq=Aeq, b_eq=np.zeros(Aeq.shape[0]), bounds=list(zip(bnds.lb, bnds.ub)),
                  method="highs")
    if res.status != 0:
        return None
    d = res.x[:m] - res.x[m:]
    di = np.rint(d)
    if np.max(np.abs(d - di), initial=0.0) > EPS:
        r2 = milp(cobj, constraints=[LinearConstraint(Aeq, 0, 0)], integrality=np.ones(2 * m), bounds=bnds,
                  options={"time_limit": float(milp_limit), "disp": False})
        if r2.x is None:
            return None
        d = r2.x[:m] - r2.x[m:]
        di = np.rint(d)
        if np.max(np.abs(d - di), initial=0.0) > EPS:
            return None
    di = di.astype(np.int64)
    nz = di != 0
    cube = Cube(cells[nz], di[nz])
    lbp = lb if up else np.where(np.arange(len(lb)) == p, 0, lb)
    return cube if check(ctx.A_int, vals, lbp, sup, cube) else None


def audit(A: sp.csr_matrix, values: np.ndarray, suppressed: np.ndarray, req, cells=None,
          deadline: float | None = None, milp_limit: float = 10.0, AT: sp.csr_matrix | None = None,
          hints: dict | None = None, prove: bool = True, ctx: Context | None = None,
          max_exact: int = 3000) -> dict[int, Verdict]:
    """Verdicts for the primary cells (all, or ``cells``) under the requirement ``req`` (:mod:`.protection`).

    Upper side with the insiders' bounds of all primary cells at once (``req.lb``); lower side, where
    required, per cell with every other primary cell's bound.  ``hints``: candidate witnesses per cell
    (:class:`.cubes.Cube`, from secondary suppression) - each is checked exactly before it counts.

    Order: hints, rectangles, a joint witness per connected component (up to ``max_exact`` cells), local
    witnesses (suppressed cells near the cell), and - with ``prove`` and components up to ``max_exact``
    cells - the exact per-cell programs, which also prove a cell *unprotected*.  A cell without a witness is
    never reported protected."""
    from .cubes import check as check_cube

    A = A.tocsr()
    AT = A.T.tocsr() if AT is None else AT
    ctx = ctx or Context(A, AT)
    deadline = deadline if deadline is not None else time.monotonic() + 3600.0
    vals = np.asarray(values, dtype=np.int64)
    sup = np.asarray(suppressed, dtype=bool)
    P = np.flatnonzero(req.primary & sup) if cells is None else np.asarray([int(c) for c in cells], dtype=np.int64)
    out: dict[int, Verdict] = {}
    if len(P) == 0:
        return out
    lb = req.lb.astype(np.int64)
    need_hi, need_lo = req.need_hi, req.need_lo
    hi_w = {int(p): int(vals[p]) for p in P}
    hi_ok = {int(p): bool(need_hi[p] <= vals[p]) for p in P}
    proof = {int(p): "trivial" for p in P}
    support: dict[int, tuple] = {int(p): () for p in P}
    hi_bound: dict[int, int | None] = {int(p): None for p in P}
    for p in P:
        p = int(p)
        if not sup[p]:  # a published primary cell: pinned to its value
            hi_ok[p], proof[p], hi_bound[p] = bool(need_hi[p] <= vals[p]), "published", int(vals[p])
    todo = [int(p) for p in P if sup[p] and not hi_ok[int(p)]]
    if todo and hints:
        A_int = ctx.A_int
        for p in todo:
            cube = hints.get(p)
            if cube is None:
                continue
            at = np.flatnonzero(cube.cells == p)
            if len(at) == 1 and vals[p] + cube.delta[at[0]] >= need_hi[p] and check_cube(A_int, vals, lb, sup, cube):
                hi_w[p], hi_ok[p], proof[p] = int(vals[p] + cube.delta[at[0]]), True, "hypercube"
                support[p] = tuple(int(j) for j in cube.cells)
        todo = [p for p in todo if not hi_ok[p]]
    if todo:
        rect = rectangles(A, AT, vals, sup, todo, {p: int(need_hi[p] - vals[p]) for p in todo}, lb)
        for p, (w, cells4) in rect.items():
            hi_w[p], hi_ok[p], proof[p], support[p] = w, True, "rectangle", cells4
        todo = [p for p in todo if p not in rect]
    sys_ = System(A, vals, sup) if todo or req.has_lower else None
    if todo:
        by_comp: dict[int, list[int]] = {}
        for p in todo:
            by_comp.setdefault(int(sys_.labels[sys_.pos[p]]), []).append(p)
        for comp, cs in by_comp.items():
            size = int((sys_.labels == comp).sum())
            got = _batched(sys_, comp, cs, need_hi, lb, deadline, milp_limit) if 1 < len(cs) and size <= max_exact \
                else {}
            for p, (w, sp_) in got.items():
                hi_w[p], hi_ok[p], proof[p], support[p] = w, True, "witness", sp_
            for p in cs:
                if p in got:
                    continue
                for hops in (3, 6):
                    cube = local_witness(ctx, vals, sup, lb, p, int(need_hi[p]), True, hops)
                    if cube is not None:
                        at = int(np.flatnonzero(cube.cells == p)[0])
                        hi_w[p], hi_ok[p], proof[p] = int(vals[p] + cube.delta[at]), True, "local-witness"
                        support[p] = tuple(int(j) for j in cube.cells)
                        break
                if hi_ok[p]:
                    continue
                if not prove or size > max_exact:
                    proof[p] = "no-witness"
                    continue
                ok, w, bound, how, sp_ = _single(sys_, comp, p, int(need_hi[p]), True, lb, deadline, milp_limit)
                hi_ok[p], proof[p], hi_bound[p], support[p] = ok, how, bound, sp_
                if ok:
                    hi_w[p] = w
    for p in P:
        p = int(p)
        lo_w, lo_ok, lo_bound, lproof, lsupport = int(vals[p]), True, None, "", ()
        if need_lo[p] < vals[p]:
            if not sup[p]:
                lo_ok, lo_bound = False, int(vals[p])
            else:
                lb_p = req.lower_lb(p) if hasattr(req, "lower_lb") else np.where(np.arange(len(lb)) == p, 0, lb)
                rect = rectangles(A, AT, vals, sup, [p], {p: int(need_lo[p] - vals[p])}, lb_p, lb_self_zero=True)
                cube = None if p in rect else local_witness(ctx, vals, sup, lb_p, p, int(need_lo[p]), False, 4)
                if p in rect:
                    (lo_w, lsupport), lproof = rect[p], "rectangle"
                elif cube is not None:
                    at = int(np.flatnonzero(cube.cells == p)[0])
                    lo_w, lproof, lsupport = int(vals[p] + cube.delta[at]), "local-witness", tuple(
                        int(j) for j in cube.cells)
                elif not prove or (sys_.labels == sys_.labels[sys_.pos[p]]).sum() > max_exact:
                    lo_ok, lproof = False, "no-witness"
                else:
                    comp = int(sys_.labels[sys_.pos[p]])
                    lo_ok, w, lo_bound, lproof, lsupport = _single(sys_, comp, p, int(need_lo[p]), False, lb_p,
                                                                   deadline, milp_limit)
                    if lo_ok:
                        lo_w = w
        prot = hi_ok[p] and lo_ok
        how = proof[p] if not lproof else f"{proof[p]}/{lproof}"
        out[p] = Verdict(p, int(vals[p]), lo_w, hi_w[p], int(need_lo[p]), int(need_hi[p]), prot, how,
                         hi_bound[p], lo_bound, tuple(sorted(set(support[p]) | set(lsupport))))
    return out
