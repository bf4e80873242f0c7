"""The linear-programming attacker around one primary cell, for building patterns (not for proofs of
protection, which are :mod:`.witness`'s business).

In deviations ``d = x - v`` from the true table: ``A d = 0``; a suppressed cell ``j`` may move within
``[lb_j - v_j, U]`` (``lb``: insiders' knowledge), a published one not at all.  Two uses:

* :func:`screen`: which cells the LP attacker cannot keep below their requirement (a cheap filter);
* :func:`repair`: the cheapest set of further cells whose suppression lets ``p`` move by ``δ`` (minimum
  weighted ``Σ |d_j|`` over published cells, zero cost over suppressed ones): the shortest "cycle" through the
  table, as in Fischetti-Salazar's heuristics.

:func:`repair` works on a neighbourhood: the suppressed cells connected to ``p`` through constraints, plus the published
cells sharing a constraint with them (and, for :func:`repair`, ``hops`` further layers).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import breadth_first_order


class Local:
    """Adjacency helpers over one table: cells sharing a constraint."""

    def __init__(self, A: sp.csr_matrix):
        self.A = A.tocsr()
        self.AT = self.A.T.tocsr()
        self._adj = None

    @property
    def adj(self):  # cells sharing a constraint (built on first use)
        if self._adj is None:
            inc = (self.A != 0).astype(np.int8)
            adj = (inc.T @ inc).tocsr()
            adj.setdiag(0)
            adj.eliminate_zeros()
            self._adj = adj
        return self._adj

    def component(self, p: int, suppressed: np.ndarray) -> np.ndarray:
        """Suppressed cells reachable from ``p`` through constraints (via suppressed cells only)."""
        sub = self.adj[suppressed][:, suppressed]
        idx = np.flatnonzero(suppressed)
        where = np.searchsorted(idx, p)
        order = breadth_first_order(sub, where, directed=False, return_predecessors=False)
        return idx[order]

    def ring(self, cells: np.ndarray, hops: int = 1) -> np.ndarray:
        out = np.zeros(self.A.shape[1], dtype=bool)
        out[cells] = True
        frontier = out.copy()
        for _ in range(hops):
            nb = np.asarray(self.adj[np.flatnonzero(frontier)].sum(axis=0)).ravel() > 0
            frontier = nb & ~out
            out |= nb
        return np.flatnonzero(out)


def _system(loc: Local, cells: np.ndarray):
    rows = np.unique(loc.AT[cells].indices)
    return loc.A[rows][:, cells].tocsr(), rows


def _around(loc: Local, comp: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
    """The rows touching ``comp`` and every cell in them (so every other cell has a zero reduced cost)."""
    rows = np.unique(loc.AT[comp].indices)
    cells = np.unique(loc.A[rows].indices)
    return cells, loc.A[rows][:, cells].tocsr()


def repair(loc: Local, values: np.ndarray, suppressed: np.ndarray, lb: np.ndarray, p: int, delta: float,
           weight: np.ndarray, big: float, hops: int = 2, up: bool = True, ub: np.ndarray | None = None):
    """Cells to suppress so that ``p`` can move by ``delta`` (up, or down with ``up=False``) in the LP
    attacker's view, and the move itself when it is integral (a candidate witness); ``(None, None)`` if even
    the neighbourhood (cells within ``hops`` constraint steps of ``p``) cannot provide it.  ``ub``: upper
    bounds the attacker knows (e.g. a single contributor's exact amount)."""
    cells = loc.ring(np.asarray([p]), hops)
    Asub, _ = _system(loc, cells)
    m = len(cells)
    v = values[cells].astype(float)
    sup = suppressed[cells]
    ip = int(np.flatnonzero(cells == p)[0])
    lbd = np.where(np.arange(m) == ip, -v if not up else lb[cells] - v, lb[cells] - v)
    # d = dp - dm, dp, dm ≥ 0; cost on published cells only
    w = np.where(sup, 0.0, weight[cells])
    cobj = np.concatenate([w, w]) + 1e-7
    Aeq = sp.hstack([Asub, -Asub]).tocsr()
    upb = np.full(m, big) if ub is None else np.minimum(big, np.maximum(np.asarray(ub, dtype=float)[cells] - v, 0))
    bounds = [(0.0, float(u)) for u in upb] + [(0.0, max(0.0, -float(x))) for x in lbd]
    if up:
        bounds[ip] = (delta, big)
    else:
        bounds[ip] = (0.0, 0.0)
        bounds[m + ip] = (delta, max(delta, -float(lbd[ip])))
    res = linprog(cobj, A_eq=Aeq, b_eq=np.zeros(Asub.shape[0]), bounds=bounds, method="highs")
    if res.status != 0:
        return None, None
    d = res.x[:m] - res.x[m:]
    moved = np.abs(d) > 1e-7
    di = np.rint(d)
    witness = None
    if np.max(np.abs(d - di), initial=0.0) <= 1e-6:  # an integer table: a candidate proof (checked later)
        from .cubes import Cube

        witness = Cube(cells[moved], di[moved].astype(np.int64))
    return cells[moved & ~sup], witness


def screen(A: sp.csr_matrix, values: np.ndarray, suppressed: np.ndarray, need: np.ndarray, lb: np.ndarray,
           cells) -> set[int]:
    """Cells (of ``cells``) that the LP attacker cannot keep below ``need``: per connected component, linear
    programs in which as many of them as possible reach ``need`` at once (repeated on the rest while some
    do).  A cheap filter before per-cell work; continuous, so not a proof for the integer attacker."""
    from .witness import System

    sys_ = System(A, values, suppressed)
    by_comp: dict[int, list[int]] = {}
    for p in cells:
        by_comp.setdefault(int(sys_.labels[sys_.pos[int(p)]]), []).append(int(p))
    done: set[int] = set()
    for comp, cs in by_comp.items():
        members, Aeq, beq, _ = sys_.component(comp)
        pos = {int(sys_.S[m]): i for i, m in enumerate(members)}
        lo = lb[sys_.S[members]].astype(float)
        n = len(members)
        open_ = [c for c in cs if need[c] > values[c]]
        for _ in range(20):
            if not open_:
                break
            idx = np.asarray([pos[c] for c in open_])
            gap = np.asarray([float(need[c] - values[c]) for c in open_])
            m_y = len(open_)
            cobj = np.concatenate([np.zeros(n), -1.0 / gap])
            Aeq2 = sp.hstack([Aeq, sp.csr_matrix((Aeq.shape[0], m_y))]).tocsr()
            Aub = sp.hstack([-sp.csr_matrix((np.ones(m_y), (np.arange(m_y), idx)), shape=(m_y, n)),
                             sp.identity(m_y)]).tocsr()
            bub = -np.asarray([float(values[c]) for c in open_])
            res = linprog(cobj, A_ub=Aub, b_ub=bub, A_eq=Aeq2, b_eq=beq.astype(float),
                          bounds=[(x, sys_.ub) for x in lo] + [(0.0, g) for g in gap], method="highs")
            if res.status != 0:
                break
            x = res.x[:n]
            got = [c for c in open_ if x[pos[c]] >= need[c] - 1e-7]
            if not got:
                break
            done.update(got)
            open_ = [c for c in open_ if c not in done]
    return done
