"""Large-neighbourhood improvement of a hypercube cover (mode ``optimal``; the heuristic uses it while its time
allows).

One area at a time (a Stadtteil with its blocks): the cubes protecting its primary cells are taken out, the
cells the rest of the pattern suppresses stay free, and a small mixed-integer program chooses, among the
``k`` cheapest cubes of every primary cell concerned, the set of cubes with the fewest (cheapest) new cells
that protects them all.  The new choice replaces the old one only when it is cheaper.  Every cube stays an
exact integer witness (the audit checks each again), so this only changes how many cells are suppressed.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from .cubes import candidates


def _groups(geo, cells: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for p in cells:
        g = int(p // geo.stride)
        lvl = int(geo.t.geo_level[g])
        a = g
        while lvl < 1 and geo.parent[a] >= 0:
            a = int(geo.parent[a])
            lvl += 1
        out.setdefault(a, []).append(p)
    return out


def improve(geo, values, req, weight, cov, base: np.ndarray, deadline: float, k: int = 8,
            milp_limit: float = 5.0) -> int:
    """Improve ``cov`` (a ``suppress._Cover``) in place; returns the cost saved."""
    vals = np.asarray(values, dtype=np.int64)
    need = cov.need
    saved = 0.0
    groups = _groups(geo, [int(p) for p in np.flatnonzero(need > 0)])
    for _key, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        if time.monotonic() > deadline:
            break
        cids = sorted({cov.assign[p] for p in members if p in cov.assign and cov.assign[p] in cov.cubes})
        if not cids:
            continue
        dropped = {c: cov.drop(c) for c in cids}
        orphans = sorted(set().union(*[cov.members.get(c, set()) for c in dropped]))
        fixed = base | req.primary | (cov.use > 0)
        old_cells = np.unique(np.concatenate([cube.cells for cube in dropped.values()]))
        old_cost = float(weight[old_cells][~fixed[old_cells]].sum())
        on = np.zeros(len(vals), dtype=np.int64)
        on[orphans] = need[orphans]
        pool, seen = [], set()
        for p in orphans:
            for _c, cube in candidates(geo, p, int(need[p]), vals, req.lb, fixed, weight, on, keep=k):
                key = cube.cells.tobytes() + cube.delta.tobytes()
                if key not in seen:
                    seen.add(key)
                    pool.append(cube)
        for cube in dropped.values():  # the current choice is always in the pool
            key = cube.cells.tobytes() + cube.delta.tobytes()
            if key not in seen:
                seen.add(key)
                pool.append(cube)
        new = _solve(pool, orphans, on, fixed, weight, min(milp_limit, max(0.2, deadline - time.monotonic())))
        if new is None or new[0] >= old_cost - 1e-9:
            for c, cube in dropped.items():
                cov.restore(c, cube)
            continue
        saved += old_cost - new[0]
        for c in dropped:
            cov.members.pop(c, None)
        for cube in new[1]:
            covered = [j for j in cov.covers(cube) if j in set(orphans)]
            cov.add(cube, covered)
    return saved


def _solve(pool, orphans, on, fixed, weight, limit):
    cells = np.unique(np.concatenate([c.cells for c in pool]))
    cells = cells[~fixed[cells]]
    idx = {int(j): i for i, j in enumerate(cells)}
    nc, nz = len(cells), len(pool)
    orow = {p: i for i, p in enumerate(orphans)}
    cr, cc = [], []
    lr, lc, ld = [], [], []
    r = 0
    for ci, cube in enumerate(pool):
        for j, m in zip(cube.cells.tolist(), cube.delta.tolist()):
            if j in orow and on[j] > 0 and m >= on[j]:
                cr.append(orow[j])
                cc.append(nc + ci)
            if j in idx:  # y_j - z_c ≥ 0
                lr += [r, r]
                lc += [idx[j], nc + ci]
                ld += [1.0, -1.0]
                r += 1
    if set(cr) != set(range(len(orphans))):
        return None
    Cov = sp.csr_matrix((np.ones(len(cr)), (cr, cc)), shape=(len(orphans), nc + nz))
    cons = [LinearConstraint(Cov, 1, np.inf)]
    if r:
        cons.append(LinearConstraint(sp.csr_matrix((ld, (lr, lc)), shape=(r, nc + nz)), 0, np.inf))
    cost = np.concatenate([weight[cells], np.zeros(nz)])
    res = milp(cost, constraints=cons, integrality=np.ones(nc + nz), bounds=Bounds(0, 1),
               options={"time_limit": float(limit), "disp": False})
    if res.x is None:
        return None
    z = res.x[nc:] > 0.5
    chosen = [pool[i] for i in np.flatnonzero(z)]
    used = np.unique(np.concatenate([c.cells for c in chosen])) if chosen else np.zeros(0, dtype=np.int64)
    used = used[~fixed[used]]
    return float(weight[used].sum()), chosen
