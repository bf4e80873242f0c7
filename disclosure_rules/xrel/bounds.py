"""What an integer attacker can derive from a set of equations over non-negative counts.

* :func:`presolve` propagates what is known exactly: a published cell that is one variable fixes it, an
  equation with one unknown left fixes that unknown, an equation whose unknowns all count positively and
  whose rest is 0 fixes them all to 0.  A contradiction (an equation that cannot hold, a negative or
  fractional forced value) is reported with the rows involved - the published tables are inconsistent.
* :class:`Bounds` answers, for the variables left free, how far an attacker can narrow them: a batched
  witness program first shows many variables able to reach ``k`` at once (only a table in whole numbers
  counts as a proof), then per variable a linear program; an upper bound from the linear program that lies
  below ``k`` holds for integers too (it is an over-estimate), a bound of ``k`` or more from a fractional
  solution is confirmed with an integer program (``scipy.optimize.milp``).  Anything the solvers cannot
  settle is reported as unsolved, never as protected.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds as SBounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

EPS = 1e-6


class Unsolved(Exception):
    """A solver could not settle a question (time limit, numerical trouble)."""


@dataclass
class Presolved:
    n: int
    rows: np.ndarray  # original row ids considered
    fixed: np.ndarray  # bool (n)
    value: np.ndarray  # float (n), the forced value where fixed
    fixed_by: np.ndarray  # row id that fixed a variable (-1: free, -2: fixed to 0 by a zero row)
    conflicts: list[int] = field(default_factory=list)  # row ids that cannot hold together
    active: np.ndarray | None = None  # row ids still holding free variables
    A_act: sp.csr_matrix | None = None  # those rows (all n columns, fixed columns zeroed)
    b_act: np.ndarray | None = None  # their right-hand sides minus the fixed part
    comp: np.ndarray | None = None  # component label of each free variable (-1: fixed or unconstrained)

    @property
    def consistent(self) -> bool:
        return not self.conflicts


def presolve(A: sp.csr_matrix, b: np.ndarray, rows: np.ndarray) -> Presolved:
    rows = np.asarray(rows, dtype=np.int64)
    n = A.shape[1]
    M = A[rows].tocsr()
    bb = b[rows].astype(float)
    free = np.ones(n, dtype=bool)
    val = np.zeros(n)
    fixed_by = np.full(n, -1, dtype=np.int64)
    out = Presolved(n, rows, ~free, val, fixed_by)
    for _ in range(10_000):
        F = M.multiply(free[None, :]).tocsr()
        F.eliminate_zeros()
        resid = bb - M @ val
        cnt = np.diff(F.indptr)
        bad = np.flatnonzero((cnt == 0) & (np.abs(resid) > EPS))
        if len(bad):
            out.conflicts = rows[bad].tolist()
            break
        has = cnt > 0
        starts = F.indptr[:-1]
        cmin = np.full(len(cnt), np.inf)
        if has.any():
            cmin[has] = np.minimum.reduceat(F.data, starts[has]) if F.nnz else np.inf
        positive = has & (cmin > 0)
        neg = np.flatnonzero(positive & (resid < -EPS))
        if len(neg):
            out.conflicts = rows[neg].tolist()
            break
        zero_rows = np.flatnonzero(positive & (cnt >= 2) & (np.abs(resid) <= EPS))
        singles = np.flatnonzero(cnt == 1)
        if len(zero_rows) == 0 and len(singles) == 0:
            break
        if len(zero_rows):
            for i in zero_rows:
                js = F.indices[F.indptr[i]:F.indptr[i + 1]]
                js = js[free[js]]
                free[js] = False
                val[js] = 0.0
                fixed_by[js] = rows[i]
        if len(singles):
            js = F.indices[F.indptr[singles]]
            cs = F.data[F.indptr[singles]]
            vs = resid[singles] / cs
            order = np.argsort(js, kind="stable")
            js, vs, si = js[order], vs[order], singles[order]
            first = np.r_[True, js[1:] != js[:-1]]
            group = np.cumsum(first) - 1
            ref = vs[first][group]
            clash = np.flatnonzero(np.abs(vs - ref) > EPS)
            if len(clash):
                k = clash[0]
                out.conflicts = [int(rows[si[k]]), int(rows[si[np.flatnonzero(first)[group[k]]]])]
                break
            js_u, vs_u, si_u = js[first], vs[first], si[first]
            bad = np.flatnonzero((vs_u < -EPS) | (np.abs(vs_u - np.round(vs_u)) > EPS))
            if len(bad):
                out.conflicts = [int(rows[si_u[bad[0]]])]
                break
            keep = free[js_u]
            js_u, vs_u, si_u = js_u[keep], vs_u[keep], si_u[keep]
            free[js_u] = False
            val[js_u] = np.round(vs_u)
            fixed_by[js_u] = rows[si_u]
    out.fixed, out.value, out.fixed_by = ~free, val, fixed_by
    if out.conflicts:
        return out
    F = M.multiply(free[None, :]).tocsr()
    F.eliminate_zeros()
    resid = bb - M @ val
    cnt = np.diff(F.indptr)
    act = np.flatnonzero(cnt > 0)
    out.active = rows[act]
    out.A_act = F[act].tocsr()
    out.b_act = resid[act]
    # components of free variables linked by the remaining rows (a chain per row keeps the graph linear)
    Fa = out.A_act
    if Fa.nnz:
        lens = np.diff(Fa.indptr)
        last = np.zeros(Fa.nnz, dtype=bool)
        last[Fa.indptr[1:][lens > 0] - 1] = True
        src = Fa.indices[~last]
        dst = Fa.indices[np.flatnonzero(~last) + 1]
        g = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        _, lab = connected_components(g, directed=False)
    else:
        lab = np.arange(n)
    in_rows = np.zeros(n, dtype=bool)
    in_rows[Fa.indices] = True
    out.comp = np.where(free & in_rows, lab, -1)
    return out


@dataclass
class Interval:
    lo: float  # integer-sound lower bound (whole number) or -inf
    hi: float  # integer-sound upper bound (whole number) or inf
    exact: bool = False  # both bounds are the attacker's integer bounds (not only outer estimates)


class Bounds:
    """Bounds of free variables (and sums of them) for one presolved system."""

    def __init__(self, A: sp.csr_matrix, b: np.ndarray, rows: np.ndarray, time_limit: float = 20.0):
        self.ps = presolve(A, b, rows)
        self._full = A
        self.time_limit = time_limit
        self._comp: dict[int, tuple] = {}

    @property
    def consistent(self) -> bool:
        return self.ps.consistent

    def _component(self, c: int):
        got = self._comp.get(c)
        if got is None:
            members = np.flatnonzero(self.ps.comp == c)
            sub = self.ps.A_act[:, members]
            rows = np.flatnonzero(np.diff(sub.tocsr().indptr) > 0)
            got = (members, sub[rows].tocsr(), self.ps.b_act[rows], {int(m): i for i, m in enumerate(members)})
            self._comp[c] = got
        return got

    def components(self) -> list[int]:
        return [int(c) for c in np.unique(self.ps.comp[self.ps.comp >= 0])]

    def _joint(self, comps: list[int]):
        """The union of several components as one problem (block-diagonal): one solver call for many."""
        if len(comps) == 1:
            return self._component(comps[0])
        members = np.flatnonzero(np.isin(self.ps.comp, comps))
        sub = self.ps.A_act[:, members]
        rows = np.flatnonzero(np.diff(sub.tocsr().indptr) > 0)
        return members, sub[rows].tocsr(), self.ps.b_act[rows], {int(m): i for i, m in enumerate(members)}

    def feasible_components(self) -> list[int]:
        """Components whose equations have no non-negative solution (empty: all feasible)."""
        return self.survey(np.zeros(0, dtype=np.int64), 1)[1]

    def _chunks(self, comps: list[int], max_vars: int = 2000) -> list[list[int]]:
        sizes = np.bincount(self.ps.comp[self.ps.comp >= 0]) if (self.ps.comp >= 0).any() else np.zeros(0)
        out, cur, n = [], [], 0
        for c in comps:
            cur.append(c)
            n += int(sizes[c]) if c < len(sizes) else 0
            if n >= max_vars:
                out.append(cur)
                cur, n = [], 0
        if cur:
            out.append(cur)
        return out

    def component_rows(self, c: int) -> np.ndarray:
        members = np.flatnonzero(self.ps.comp == c)
        sub = self.ps.A_act[:, members]
        return self.ps.active[np.flatnonzero(np.diff(sub.tocsr().indptr) > 0)]

    # --- witnesses ----------------------------------------------------------------------------------------------

    def reach(self, targets: np.ndarray, k: int) -> set[int]:
        """Free variables shown able to reach ``k`` in a table of whole numbers consistent with everything
        published."""
        return self.survey(targets, k)[0]

    def survey(self, targets: np.ndarray, k: int) -> tuple[set[int], list[int]]:
        """(free ``targets`` shown able to reach ``k`` in a whole-number table consistent with everything
        published, components without any non-negative solution).  Components are solved in chunks of about
        2,000 unknowns per program (one solver call for many small components); only the whole-number parts
        of a chunk's solution count as proofs, the rest is settled component by component (rounds, then classes
        of cells that share no equation, with an integer program where the linear one is fractional)."""
        targets = np.asarray(targets, dtype=np.int64)
        key = (targets.tobytes(), int(k))
        cache = self.__dict__.setdefault("_survey", {})
        if key in cache:
            return cache[key]
        done: set[int] = set()
        by_comp: dict[int, list[int]] = {}
        for v in targets:
            c = int(self.ps.comp[v])
            if c < 0:
                if not self.ps.fixed[v]:
                    done.add(int(v))  # in no equation: unbounded
                continue
            by_comp.setdefault(c, []).append(int(v))
        bad: list[int] = []
        for chunk in self._chunks(self.components()):
            members, Aeq, beq, pos = self._joint(chunk)
            tv = [v for c in chunk for v in by_comp.get(c, [])]
            x, status = self._witness_lp(Aeq, beq, [pos[v] for v in tv], k)
            if status == 2:
                for c in chunk:
                    m1, A1, b1, _ = self._component(c)
                    r1 = linprog(np.zeros(len(m1)), A_eq=A1, b_eq=b1, bounds=(0, None), method="highs")
                    if r1.status == 2:
                        bad.append(c)
                    elif r1.status != 0:
                        raise Unsolved(f"status {r1.status}")
                continue
            if status != 0:
                raise Unsolved(f"status {status}")
            frac = np.abs(x - np.round(x)) > EPS
            fr = set(np.unique(self.ps.comp[members[frac]]).tolist()) if frac.any() else set()
            done.update(v for v in tv if x[pos[v]] >= k - EPS and int(self.ps.comp[v]) not in fr)
        for c, vs in by_comp.items():
            open_ = [v for v in vs if v not in done]
            if not open_ or c in bad:
                continue
            members, Aeq, beq, pos = self._component(c)
            for _ in range(12):
                if not open_:
                    break
                x = self._witness(Aeq, beq, [pos[v] for v in open_], k)
                if x is None:
                    break
                got = [v for v in open_ if x[pos[v]] >= k - EPS]
                if not got:
                    break
                done.update(got)
                open_ = [v for v in open_ if v not in done]
            # cells that compete for the same published total cannot all reach k in one table: try them in
            # classes of cells that share no equation (a greedy colouring), one program per class
            for _ in range(4):
                if len(open_) < 2:
                    break
                progress = False
                for cls in _colour_classes(Aeq, [pos[v] for v in open_]):
                    members_ = [open_[i] for i in cls]
                    x = self._witness(Aeq, beq, [pos[v] for v in members_], k)
                    if x is None:
                        continue
                    got = [v for v in members_ if x[pos[v]] >= k - EPS]
                    done.update(got)
                    progress = progress or bool(got)
                open_ = [v for v in open_ if v not in done]
                if not progress:
                    break
        cache[key] = (done, bad)
        return done, bad

    def _witness_lp(self, Aeq, beq, idx: list[int], k: int) -> tuple[np.ndarray | None, int]:
        """The linear witness program (maximise Σ min(x_t, k) over ``idx``; zero objective without targets):
        (solution, solver status)."""
        n, m = Aeq.shape[1], len(idx)
        if m == 0:
            res = linprog(np.zeros(n), A_eq=Aeq, b_eq=beq, bounds=(0, None), method="highs")
            return (res.x if res.status == 0 else None), res.status
        c = np.concatenate([np.zeros(n), -np.ones(m)])
        A2 = sp.hstack([Aeq, sp.csr_matrix((Aeq.shape[0], m))]).tocsr()
        Aub = sp.hstack([-sp.csr_matrix((np.ones(m), (np.arange(m), idx)), shape=(m, n)), sp.identity(m)]).tocsr()
        bounds = [(0, None)] * n + [(0, float(k))] * m
        res = linprog(c, A_ub=Aub, b_ub=np.zeros(m), A_eq=A2, b_eq=beq, bounds=bounds, method="highs")
        return (res.x[:n] if res.status == 0 else None), res.status

    def _witness(self, Aeq, beq, idx: list[int], k: int, integer: bool = True) -> np.ndarray | None:
        n, m = Aeq.shape[1], len(idx)
        c = np.concatenate([np.zeros(n), -np.ones(m)])
        A2 = sp.hstack([Aeq, sp.csr_matrix((Aeq.shape[0], m))]).tocsr()
        Aub = sp.hstack([-sp.csr_matrix((np.ones(m), (np.arange(m), idx)), shape=(m, n)), sp.identity(m)]).tocsr()
        bounds = [(0, None)] * n + [(0, float(k))] * m
        res = linprog(c, A_ub=Aub, b_ub=np.zeros(m), A_eq=A2, b_eq=beq, bounds=bounds, method="highs")
        if res.status != 0:
            return None
        x = res.x[:n]
        if np.all(np.abs(x - np.round(x)) <= EPS):
            return np.round(x)
        if not integer:
            return x  # the caller accepts only the whole-number parts
        cons = [LinearConstraint(A2, beq, beq), LinearConstraint(Aub, -np.inf, np.zeros(m))]
        lb = np.zeros(n + m)
        ub = np.concatenate([np.full(n, np.inf), np.full(m, float(k))])
        integ = np.concatenate([np.ones(n), np.zeros(m)])
        r2 = milp(c, constraints=cons, bounds=SBounds(lb, ub), integrality=integ,
                  options={"time_limit": self.time_limit})
        if r2.x is None:
            return None
        return np.round(r2.x[:n])

    # --- single bounds ------------------------------------------------------------------------------------------

    def _opt(self, c: int, obj: np.ndarray, sense: int) -> tuple[float, bool]:
        """Optimum of ``sense * obj·x`` (sense +1: min, -1: max) over the component: (integer-sound bound,
        exact integer optimum?)."""
        members, Aeq, beq, _ = self._component(c)
        res = linprog(sense * obj, A_eq=Aeq, b_eq=beq, bounds=(0, None), method="highs")
        if res.status == 3:
            return (math.inf if sense < 0 else -math.inf), True
        if res.status != 0:
            raise Unsolved(f"linprog status {res.status}")
        val = float(obj @ res.x)
        integral = bool(np.all(np.abs(res.x - np.round(res.x)) <= EPS))
        rounded = math.floor(val + EPS) if sense < 0 else math.ceil(val - EPS)
        if integral:
            return float(round(val)), True
        return float(rounded), False

    def _milp(self, c: int, obj: np.ndarray, sense: int) -> float:
        members, Aeq, beq, _ = self._component(c)
        res = milp(sense * obj, constraints=[LinearConstraint(Aeq, beq, beq)],
                   bounds=SBounds(np.zeros(len(members)), np.full(len(members), np.inf)),
                   integrality=np.ones(len(members)), options={"time_limit": self.time_limit})
        if res.status == 0 and res.x is not None:
            return float(round(float(obj @ res.x)))
        raise Unsolved(f"milp status {res.status}")

    def form(self, vars_: np.ndarray, k: int | None = None, need_lo: bool = True) -> Interval:
        """Integer bounds of ``Σ vars_``.  With ``k``: an upper bound ≥ k is confirmed only as far as needed
        (a whole-number table reaching ``k`` is enough; the exact maximum is not computed then)."""
        vars_ = np.asarray(vars_, dtype=np.int64)
        fixed_part = float(self.ps.value[vars_][self.ps.fixed[vars_]].sum())
        free = vars_[~self.ps.fixed[vars_]]
        if len(free) == 0:
            return Interval(fixed_part, fixed_part, True)
        comps = self.ps.comp[free]
        if (comps < 0).any():  # a free variable in no equation: unbounded above
            lo = fixed_part
            if need_lo:
                for c in np.unique(comps[comps >= 0]):
                    lo += self._bound(int(c), free[comps == c], +1, None)
            return Interval(lo, math.inf, False)
        lo, hi, exact = fixed_part, fixed_part, True
        for c in np.unique(comps):
            sel = free[comps == c]
            if need_lo:
                lo += self._bound(int(c), sel, +1, None)
            h = self._bound(int(c), sel, -1, k)
            hi += h
            exact = exact and math.isfinite(h)
        return Interval(lo if need_lo else -math.inf, hi, exact and need_lo)

    def _bound(self, c: int, sel: np.ndarray, sense: int, k: int | None) -> float:
        members, _, _, pos = self._component(c)
        obj = np.zeros(len(members))
        for v in sel:
            obj[pos[int(v)]] += 1.0
        val, integral = self._opt(c, obj, sense)
        if integral or not math.isfinite(val):
            return val
        if sense < 0 and k is not None and val <= k - 1:
            return val  # an outer bound below k already holds for integers
        return self._milp(c, obj, sense)

    def involved_rows(self, vars_: np.ndarray) -> set[int]:
        """Original rows an attacker uses for these variables: the rows of their components and, recursively,
        the rows that fixed variables in them."""
        out: set[int] = set()
        todo: list[int] = []
        vars_ = np.asarray(vars_, dtype=np.int64)
        comps = set(int(c) for c in self.ps.comp[vars_] if c >= 0)
        for c in comps:
            out.update(int(r) for r in self.component_rows(c))
        for v in vars_:
            if self.ps.fixed[v] and self.ps.fixed_by[v] >= 0:
                todo.append(int(self.ps.fixed_by[v]))
        return self._fixing_closure(sorted(out) + todo)

    def _fixing_closure(self, todo: list[int]) -> set[int]:
        A_full = self._full
        seen: set[int] = set()
        while todo:
            r = todo.pop()
            if r in seen:
                continue
            seen.add(r)
            js = A_full.indices[A_full.indptr[r]:A_full.indptr[r + 1]]
            for j in js:
                fb = int(self.ps.fixed_by[j])
                if fb >= 0 and fb not in seen:
                    todo.append(fb)
        return seen


def _colour_classes(Aeq: sp.csr_matrix, idx: list[int]) -> list[list[int]]:
    """Greedy colouring of the columns ``idx`` so that no two of one class share a row of ``Aeq``; returns the
    classes as positions into ``idx``."""
    cols = Aeq[:, idx].tocsc()
    rows_of = [set(cols.indices[cols.indptr[j]:cols.indptr[j + 1]].tolist()) for j in range(len(idx))]
    order = sorted(range(len(idx)), key=lambda j: -len(rows_of[j]))
    classes: list[list[int]] = []
    used: list[set[int]] = []
    for j in order:
        for c, rows in enumerate(used):
            if not (rows & rows_of[j]):
                classes[c].append(j)
                rows |= rows_of[j]
                break
        else:
            classes.append([j])
            used.append(set(rows_of[j]))
    return classes
