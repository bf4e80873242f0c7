"""Primary and secondary cell suppression.

* Primary: the minimum-frequency rule on every cell of the table with margins.
* Secondary (:func:`protect`, one table): every primary cell gets a **hypercube** (:mod:`.cubes`) - an integer
  table that agrees with everything published and the insiders' knowledge and has the cell at its required
  upper value - whose corners are suppressed.  Greedy: cells already suppressed cost nothing, among equally
  cheap cubes the one that also protects most other open primary cells; then a local search re-chooses the
  cubes one at a time while that lowers the number (or the total) of suppressed cells.  Mode ``optimal``
  starts from the optimum of the necessary conditions (:mod:`.relax`, a mixed-integer program, within
  ``time_limit_s``) and completes it the same way.
* Every pattern then goes through the integer audit (:mod:`.witness`); a primary cell it finds unprotected is
  repaired with the cheapest cells the LP attacker needs (:func:`.lpattack.repair`), until the audit passes
  (last resort: every cell of the cell's constraints).  Finally, secondary cells that no proof uses are
  published again (a proof that does not move a cell stays a proof when the cell is published).
* :func:`heuristic`: the same audit-and-repair loop for systems without the table geometry (linked tables,
  magnitude tables), from a start where no constraint holds exactly one suppressed cell.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .audit import Interval, protected
from .cubes import Geometry, candidates, score_weights
from .lpattack import Local, repair
from .witness import audit

def best_cube(geo, p, delta, values, lb, suppressed, weight, open_need, wfree=None, wscore=None):
    got = candidates(geo, p, delta, values, lb, suppressed, weight, open_need, wfree=wfree, wscore=wscore)
    return got[0] if got else None


def primary_mask(values: np.ndarray, k: int, zeros_disclosive: bool) -> np.ndarray:
    return (values < k) if zeros_disclosive else ((values > 0) & (values < k))


def cell_cost(values: np.ndarray, inner: np.ndarray, objective: str) -> np.ndarray:
    """Cost of suppressing a cell: one per cell (``cells``) or its count (``total``); margins cost a little
    more (users need them most), small counts a little less (ties only)."""
    v = np.asarray(values, dtype=float)
    base = (v + 1.0) if objective == "total" else np.ones(len(v))
    return base + np.where(inner, 0.0, 0.01) + np.minimum(v, 1e4) * 1e-7


@dataclass
class Pattern:
    suppressed: np.ndarray
    verdicts: dict
    passed: bool
    method: str
    stats: dict = field(default_factory=dict)


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
        S[cand[np.argmin(cost[cand])]] = True
        added += 1
    return added


def close_pattern(A: sp.csr_matrix, S: np.ndarray, cost: np.ndarray) -> None:
    """Until nothing changes: no constraint holds exactly one suppressed cell (it could be recomputed
    directly from that constraint)."""
    A = A.tocsr()
    B = A.astype(bool).astype(np.int32)
    while True:
        single = np.flatnonzero(B @ S.astype(np.int32) == 1)
        changed = False
        for r in single:
            members = A[r].indices
            if S[members].sum() != 1:
                continue
            cand = members[~S[members]]
            if len(cand):
                S[cand[np.argmin(cost[cand])]] = True
                changed = True
        if not changed:
            return


class _Cover:
    """Hypercubes chosen for the primary cells (several cells may share one)."""

    def __init__(self, n: int, primary: np.ndarray, need: np.ndarray):
        self.use = np.zeros(n, dtype=np.int64)
        self.primary = primary
        self.need = need  # required upward move per cell (0 where none)
        self.cubes: dict[int, object] = {}
        self.assign: dict[int, int] = {}
        self.members: dict[int, set] = {}  # cube id -> primary cells assigned to it
        self._next = 0
        self.timing: dict = {}

    def suppressed(self) -> np.ndarray:
        return self.primary | (self.use > 0)

    def covers(self, cube) -> list[int]:
        m = self.primary[cube.cells] & (self.need[cube.cells] > 0) & (cube.delta >= self.need[cube.cells])
        return [int(j) for j in cube.cells[m]]

    def add(self, cube, cells) -> int:
        cid = self._next
        self._next += 1
        self.cubes[cid] = cube
        self.use[cube.cells] += 1
        self.members[cid] = set()
        for j in cells:
            old = self.assign.get(j)
            if old is not None and old in self.members:
                self.members[old].discard(j)
            self.assign[j] = cid
            self.members[cid].add(j)
        return cid

    def drop(self, cid: int):
        cube = self.cubes.pop(cid)
        self.use[cube.cells] -= 1
        return cube

    def restore(self, cid: int, cube) -> None:
        self.cubes[cid] = cube
        self.use[cube.cells] += 1

    def hints(self) -> dict:
        return {p: self.cubes[c] for p, c in self.assign.items() if c in self.cubes}


def _cube_cover(geo: Geometry, values, req, weight, base: np.ndarray, deadline: float) -> tuple[_Cover, list]:
    """Greedy hypercube cover of the primary cells (cells in ``base`` are free), then local search."""
    vals = np.asarray(values, dtype=np.int64)
    need = np.where(req.primary, np.maximum(req.need_hi - vals, 0), 0)
    cov = _Cover(len(vals), req.primary, need)
    free = base | req.primary
    open_need = need.copy()
    order = sorted((int(p) for p in np.flatnonzero(need > 0)),
                   key=lambda p: (-int(need[p]), int(geo.t.geo_level[geo.t.cell_geo[p]]), p))
    missing = []
    t_start = time.monotonic()
    S_now = free.copy()
    wfree = np.where(S_now, 0.0, weight)
    wscore = score_weights(wfree, vals)
    for p in order:
        if open_need[p] == 0:
            continue
        got = best_cube(geo, p, int(need[p]), vals, req.lb, S_now, weight, open_need, wfree, wscore)
        if got is None:
            missing.append(p)
            continue
        cells = [j for j in cov.covers(got[1]) if open_need[j] > 0]
        cov.add(got[1], cells)
        S_now[got[1].cells] = True
        wfree[got[1].cells] = 0.0
        wscore[got[1].cells] = 0.0
        open_need[cells] = 0
    t_greedy = time.monotonic()
    # local search: take one cube out, re-protect the cells it protected with the cheapest cubes given the
    # rest; keep the change when it frees more than it adds
    rng = np.random.default_rng(0)
    on = np.zeros(len(vals), dtype=np.int64)
    for _pass in range(3):
        improved = 0
        ids = list(cov.cubes)
        rng.shuffle(ids)
        for cid in ids:
            if time.monotonic() > deadline:
                break
            if cid not in cov.cubes:
                continue
            cube = cov.drop(cid)
            freed = cube.cells[(cov.use[cube.cells] == 0) & ~free[cube.cells]]
            gain = float(weight[freed].sum())
            orphans = sorted(cov.members.get(cid, ()))
            if gain <= 0 or not orphans:
                cov.restore(cid, cube)
                continue
            S_now[freed] = False
            wfree[freed] = weight[freed]
            wscore[freed] = score_weights(wfree[freed], vals[freed])
            on[orphans] = need[orphans]
            new, added, touched = [], 0.0, []
            for p in sorted(orphans, key=lambda q: -int(need[q])):
                if on[p] == 0:
                    continue
                got = best_cube(geo, p, int(need[p]), vals, req.lb, S_now, weight, on, wfree, wscore)
                if got is None:
                    added = np.inf
                    break
                added += got[0]
                fresh = got[1].cells[~S_now[got[1].cells]]
                S_now[fresh] = True
                wfree[fresh] = 0.0
                wscore[fresh] = 0.0
                touched.append(fresh)
                cells = [j for j in cov.covers(got[1]) if on[j] > 0]
                on[cells] = 0
                new.append((got[1], cells))
                if added >= gain - 1e-9:
                    break
            on[orphans] = 0
            for fresh in touched:  # undo the trial
                S_now[fresh] = False
                wfree[fresh] = weight[fresh]
                wscore[fresh] = score_weights(wfree[fresh], vals[fresh])
            if added < gain - 1e-9:
                for c2, cells in new:
                    cov.add(c2, cells)
                    S_now[c2.cells] = True
                    wfree[c2.cells] = 0.0
                    wscore[c2.cells] = 0.0
                cov.members.pop(cid, None)
                improved += 1
            else:
                cov.restore(cid, cube)
                S_now[cube.cells] = True
                wfree[cube.cells] = 0.0
                wscore[cube.cells] = 0.0
        if not improved:
            break
    cov.timing = {"greedy_s": round(t_greedy - t_start, 3), "local_search_s": round(time.monotonic() - t_greedy, 3)}
    return cov, missing


def _repair_loop(A, values, S, req, weight, deadline, hints=None, loc: Local | None = None, auditor=None,
                 milp_limit: float = 10.0):
    """Audit; repair every primary cell without a proof; repeat.  Returns (S, verdicts, passed, rounds)."""
    from .witness import Context

    A = A.tocsr()
    AT = A.T.tocsr()
    loc = loc or Local(A)
    ctx = Context(A, AT)
    vals = np.asarray(values)
    big = 2.0 * float(np.abs(vals).sum()) + 10.0
    P = np.flatnonzero(req.primary)
    verdicts: dict = {}
    hints = dict(hints or {})
    todo = P

    def run_audit(cells, prove):
        if auditor is not None:
            return auditor(S, cells)
        return audit(A, vals, S, req, cells=cells, deadline=max(deadline, time.monotonic() + 30.0),
                     milp_limit=milp_limit, AT=AT, hints=hints, prove=prove, ctx=ctx)

    for rnd in range(60):
        got = run_audit(todo, prove=False)
        verdicts.update(got)
        bad = [int(p) for p in todo if not got[int(p)].protected]
        if not bad:
            return S, verdicts, True, rnd
        last_resort = time.monotonic() > deadline or rnd >= 40
        before = int(S.sum())
        for p in bad:
            v = got[p]
            if last_resort:
                for r in AT[p].indices:
                    S[A[r].indices] = True
                continue
            up = v.hi < v.need_hi - 1e-6
            delta = float(v.need_hi - vals[p]) if up else float(vals[p] - v.need_lo)
            lb = req.lb if up else (req.lower_lb(p) if hasattr(req, "lower_lb")
                                    else np.where(np.arange(len(vals)) == p, 0, req.lb))
            add, wit = None, None
            for hops in (2, 4, 8):
                add, wit = repair(loc, vals, S, lb, p, delta, weight, big, hops=hops, up=up,
                                  ub=getattr(req, "ub", None))
                if add is not None:
                    break
            if add is None or (len(add) == 0 and wit is None):
                # no LP-cheap fix, or the LP attacker can already move the cell but no integer table was
                # found: suppress every cell of the cell's constraints (rare, safe, costly)
                for r in AT[p].indices:
                    S[A[r].indices] = True
                continue
            S[add] = True
            if wit is not None and up:
                hints[p] = wit
        if int(S.sum()) == before and (last_resort or rnd > 0):
            break  # nothing left to suppress that would help: the pattern cannot be repaired
        todo = np.asarray(bad)
    got = run_audit(P, prove=True)
    verdicts.update(got)
    return S, verdicts, all(got[int(p)].protected for p in P), 60


def prune(S: np.ndarray, primary: np.ndarray, verdicts: dict) -> np.ndarray:
    """Only primary cells and the cells their proofs move stay suppressed."""
    keep = primary.copy()
    for v in verdicts.values():
        if v.support:
            keep[list(v.support)] = True
    return keep & S


def protect(table, req, cost: np.ndarray, mode: str, time_limit_s: float, t0: float | None = None) -> Pattern:
    """Secondary suppression and audit for one table with margins (:class:`.model.CellTable`)."""
    t0 = time.monotonic() if t0 is None else t0
    deadline = t0 + max(time_limit_s, 5.0)
    vals = table.values
    P = req.primary
    stats: dict = {}
    if not P.any():
        return Pattern(P.copy(), {}, True, "none", stats)
    geo = Geometry(table)
    geo.prepare(vals, req.lb)
    base = np.zeros(len(vals), dtype=bool)
    method = "heuristic"
    cov, missing = _cube_cover(geo, vals, req, cost, base, deadline)
    stats["hypercubes_greedy"] = len(cov.cubes)
    stats.update(cov.timing)
    if mode == "optimal":
        from .lns import improve

        before = float(cost[cov.suppressed()].sum())
        improve(geo, vals, req, cost, cov, base, t0 + 0.7 * max(time_limit_s, 5.0))
        stats["lns_saved"] = round(before - float(cost[cov.suppressed()].sum()), 3)
        method = "optimal"
    S = cov.suppressed() | base
    stats["hypercubes"] = len(cov.cubes)
    stats["without_hypercube"] = len(missing)
    # the repairs are about correctness, not speed: they get a generous budget of their own (the last resort,
    # suppressing a cell's whole constraints, is for when that runs out too)
    S, verdicts, passed, rounds = _repair_loop(table.A, vals, S, req, cost,
                                               time.monotonic() + 10 * max(time_limit_s, 5.0), hints=cov.hints())
    stats["repair_rounds"] = rounds
    if passed:
        S = prune(S, P, verdicts)
    if mode == "optimal":
        from .relax import solve

        rel = solve(table.A, vals, req, cost, max(1.0, min(time_limit_s, deadline - time.monotonic() + 5.0)))
        stats["lower_bound"] = {"status": rel.status, "value": round(rel.lower_bound, 3),
                                "what": "necessary conditions (docs/rules-cells.md), same cost as the pattern"}
    return Pattern(S, verdicts, passed, method, stats)


def heuristic(A, values, primary, k, zeros, width, cost, start=None, deadline=None, check=None, req=None,
              auditor=None):
    """Generic audit-and-repair suppression (linked tables, magnitude tables).  Returns
    (suppressed mask, verdicts or intervals per primary cell, passed).

    Frequency rule: ``req`` (:mod:`.protection`) and the integer audit.  Otherwise ``auditor(S, cells)``
    returns per cell an object with ``protected``, ``hi``, ``need_hi``, ``lo``, ``need_lo`` and ``req`` gives
    the moves and bounds the repair aims at."""
    A = A.tocsr()
    S = primary.copy() if start is None else (start | primary)
    P = np.flatnonzero(primary)
    if len(P) == 0:
        return S, {}, True
    _ensure_partners(A, S, P, cost)
    close_pattern(A, S, cost)
    deadline = deadline if deadline is not None else time.monotonic() + 60.0
    S, verdicts, passed, _ = _repair_loop(A, values, S, req, cost, deadline, auditor=auditor)
    if passed and auditor is None:
        S = prune(S, primary, verdicts)
    return S, verdicts, passed


__all__ = ["primary_mask", "cell_cost", "protect", "heuristic", "prune", "close_pattern", "Pattern", "Interval",
           "protected"]
