"""The attacker's linear system over several releases.

A **state** is a set of releases that describe the same people at the same time: the releases of one period
whose populations are nested (``Geflüchtete`` and ``Geflüchtete ohne Ukraine``), public and restricted, every
level, hierarchy and hierarchy version.  Each state gets its own variables:

* **finest common areas**: the finest codes (Baublöcke) grouped by the set of published areas that contain
  them, across all releases of the state whatever hierarchy or version they belong to - a table by
  Wahlbezirk and one by Stadtteil over the same Baublöcke meet in their intersections;
* **category atoms** per dimension: the categories that group nothing (a declared grouping such as
  ``Duldung oder Sonstige = Duldung + Sonstige`` stands for its parts; ``Insgesamt`` and a table without
  the dimension stand for all atoms of the state);
* **populations**: one copy of the variables per population of the state, and for every declared nesting
  ``Q ⊂ P`` a remainder variable ``r = x_P − x_Q ≥ 0`` (the difference of the two tables is a table too).

Every cell of a release is the sum of the variables it covers (its **form**); a published cell is an
equation.  Several states can share one system (two periods, or a release and its correction) and be linked
by equations between cells that did not change (:meth:`System.link`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np
import scipy.sparse as sp

from .model import TOTAL, Cell, Reference, Release

STRUCTURE = -1  # row tag of nesting equations
LINK = -2  # row tag of link equations


@dataclass
class StateInfo:
    releases: list[Release]
    areas: list[frozenset[str]]
    dims: tuple[str, ...]
    atoms: dict[str, tuple[str, ...]]
    pops: list[str]
    offset: int = 0  # first variable id of this state
    cover: dict[tuple, np.ndarray] = field(default_factory=dict)  # (release idx, level, area) -> area ids
    signature: list[tuple] = field(default_factory=list)  # area id -> ((release idx, level, area), ...)


@dataclass(frozen=True)
class Form:
    state: int
    release: int  # global release index
    cell: Cell
    vars: np.ndarray


class System:
    """Variables, forms and equations of one or more states (see module docstring)."""

    def __init__(self, states: list[list[Release]], reference: Reference | None = None):
        self.reference = reference or Reference()
        self.releases: list[Release] = []
        self.release_state: list[int] = []
        self.states: list[StateInfo] = []
        self.forms: list[Form] = []
        # variables: state, kind (0 = population cell, 1 = nesting remainder), pop / (parent, child), area, combo
        self.var_state: list[np.ndarray] = []
        self.var_kind: list[np.ndarray] = []
        self.var_pop: list[np.ndarray] = []
        self.var_child: list[np.ndarray] = []
        self.var_area: list[np.ndarray] = []
        self.var_combo: list[np.ndarray] = []
        self.n = 0
        self._rows_i: list[np.ndarray] = []
        self._rows_j: list[np.ndarray] = []
        self._rows_v: list[np.ndarray] = []
        self.rhs: list[float] = []
        self.tags: list[int] = []
        self.row_form: list[int] = []  # form index of a published cell's row (-1 otherwise)
        self.nest_triples: list[tuple[int, int, int]] = []  # (x_P, x_Q, remainder) variable ids
        for s, rels in enumerate(states):
            self._add_state(s, rels)
        self._finish_vars()
        for fi, f in enumerate(self.forms):
            if not f.cell.suppressed:
                self._row(f.vars, np.ones(len(f.vars)), float(f.cell.count), f.release, fi)
        self._nesting()

    # --- building ---------------------------------------------------------------------------------------------

    def _add_state(self, s: int, rels: list[Release]) -> None:
        ref = self.reference
        first = len(self.releases)
        for r in rels:
            self.releases.append(r)
            self.release_state.append(s)
        # finest common areas
        sig: dict[str, list] = {}
        keys_of: dict[tuple, tuple[str, ...]] = {}
        for ri, r in enumerate(rels):
            for c in r.cells:
                key = (first + ri, c.level, c.area)
                if key in keys_of:
                    continue
                codes = r.finest(c)
                keys_of[key] = codes
                for code in codes:
                    sig.setdefault(code, []).append(key)
        groups: dict[tuple, list[str]] = {}
        for code, ks in sig.items():
            groups.setdefault(tuple(sorted(ks)), []).append(code)
        ordered = sorted(groups.items(), key=lambda kv: min(kv[1]))
        areas = [frozenset(codes) for _, codes in ordered]
        code_area = {code: i for i, (_, codes) in enumerate(ordered) for code in codes}
        info = StateInfo(releases=list(rels), areas=areas, dims=(), atoms={}, pops=[],
                         signature=[k for k, _ in ordered])
        for key, codes in keys_of.items():
            info.cover[key] = np.unique(np.fromiter((code_area[c] for c in codes), dtype=np.int64,
                                                    count=len(codes)))
        # category atoms
        atoms: dict[str, set[str]] = {}
        for r in rels:
            for c in r.cells:
                for d, v in c.dims:
                    atoms.setdefault(d, set())
                    if v != TOTAL:
                        atoms[d] |= ref.expand(d, v)
        info.dims = tuple(sorted(atoms))
        info.atoms = {d: tuple(sorted(v)) for d, v in atoms.items()}
        info.pops = sorted({r.population_key for r in rels})
        self.states.append(info)
        # forms (variables as (pop, area, combo) keys, numbered in _finish_vars)
        sizes = [len(info.atoms[d]) for d in info.dims]
        n_combo = int(np.prod(sizes)) if sizes else 1
        pos = {d: {a: i for i, a in enumerate(info.atoms[d])} for d in info.dims}
        n_area = len(areas)
        for ri, r in enumerate(rels):
            p = info.pops.index(r.population_key)
            for c in r.cells:
                area_ids = info.cover[(first + ri, c.level, c.area)]
                if len(area_ids) == 0:
                    continue
                given = dict(c.dims)
                per_dim = []
                for d in info.dims:
                    v = given.get(d)
                    per_dim.append([pos[d][a] for a in sorted(ref.expand(d, v))] if v not in (None, TOTAL)
                                   else list(range(len(info.atoms[d]))))
                combos = np.zeros(1, dtype=np.int64)
                for d_i, idx in enumerate(per_dim):
                    combos = (combos[:, None] * sizes[d_i] + np.asarray(idx, dtype=np.int64)[None, :]).ravel()
                keys = ((p * n_area + area_ids[:, None]) * n_combo + combos[None, :]).ravel()
                self.forms.append(Form(s, first + ri, c, keys))

    def _finish_vars(self) -> None:
        """Number the variables that occur in some form (state by state)."""
        base = 0
        by_state: dict[int, list[int]] = {}
        for fi, f in enumerate(self.forms):
            by_state.setdefault(f.state, []).append(fi)
        for s, info in enumerate(self.states):
            fis = by_state.get(s, [])
            keys = np.concatenate([self.forms[fi].vars for fi in fis]) if fis else np.zeros(0, dtype=np.int64)
            uniq, inv = np.unique(keys, return_inverse=True)
            pos = 0
            for fi in fis:
                f = self.forms[fi]
                m = len(f.vars)
                self.forms[fi] = Form(f.state, f.release, f.cell, base + inv[pos:pos + m].astype(np.int64))
                pos += m
            sizes = [len(info.atoms[d]) for d in info.dims]
            n_combo = int(np.prod(sizes)) if sizes else 1
            n_area = len(info.areas)
            self.var_state.append(np.full(len(uniq), s, dtype=np.int64))
            self.var_kind.append(np.zeros(len(uniq), dtype=np.int64))
            self.var_pop.append(uniq // (n_area * n_combo))
            self.var_child.append(np.full(len(uniq), -1, dtype=np.int64))
            self.var_area.append((uniq // n_combo) % n_area)
            self.var_combo.append(uniq % n_combo)
            info.offset = base
            base += len(uniq)
        self.n = base

    def _nesting(self) -> None:
        """Remainder variables and equations ``x_P − x_Q − r = 0`` for each declared nesting ``Q ⊂ P``."""
        ref = self.reference
        vs = np.concatenate(self.var_state) if self.var_state else np.zeros(0, dtype=np.int64)
        vp = np.concatenate(self.var_pop) if self.var_pop else np.zeros(0, dtype=np.int64)
        va = np.concatenate(self.var_area) if self.var_area else np.zeros(0, dtype=np.int64)
        vc = np.concatenate(self.var_combo) if self.var_combo else np.zeros(0, dtype=np.int64)
        for s, info in enumerate(self.states):
            if len(info.pops) < 2:
                continue
            here = set(info.pops)
            in_s = np.flatnonzero(vs == s)
            index = {(int(vp[i]), int(va[i]), int(vc[i])): int(i) for i in in_s}
            for qi, q in enumerate(info.pops):
                parent = next((a for a in ref.ancestors(q) if a in here), None)
                if parent is None:
                    continue
                pi = info.pops.index(parent)
                pairs = [(index[(pi, a, c)], i) for (p, a, c), i in index.items() if p == qi and (pi, a, c) in index]
                if not pairs:
                    continue
                xp = np.asarray([a for a, _ in pairs], dtype=np.int64)
                xq = np.asarray([b for _, b in pairs], dtype=np.int64)
                r = self.n + np.arange(len(pairs), dtype=np.int64)
                self.n += len(pairs)
                self.var_state.append(np.full(len(pairs), s, dtype=np.int64))
                self.var_kind.append(np.ones(len(pairs), dtype=np.int64))
                self.var_pop.append(np.full(len(pairs), pi, dtype=np.int64))
                self.var_child.append(np.full(len(pairs), qi, dtype=np.int64))
                self.var_area.append(va[xq])
                self.var_combo.append(vc[xq])
                for a, b, c in zip(xp, xq, r):
                    self.nest_triples.append((int(a), int(b), int(c)))
                    self._row(np.asarray([a, b, c]), np.asarray([1.0, -1.0, -1.0]), 0.0, STRUCTURE, -1)

    def _row(self, idx: np.ndarray, coef: np.ndarray, rhs: float, tag: int, form: int) -> int:
        i = len(self.rhs)
        self._rows_i.append(np.full(len(idx), i, dtype=np.int64))
        self._rows_j.append(np.asarray(idx, dtype=np.int64))
        self._rows_v.append(np.asarray(coef, dtype=float))
        self.rhs.append(rhs)
        self.tags.append(tag)
        self.row_form.append(form)
        self._matrix = None
        return i

    def link(self, form_a: int, form_b: int) -> int:
        """Equation ``form_a − form_b = 0`` (a cell that did not change between two states)."""
        a, b = self.forms[form_a].vars, self.forms[form_b].vars
        return self._row(np.concatenate([a, b]), np.concatenate([np.ones(len(a)), -np.ones(len(b))]), 0.0, LINK, -1)

    # --- access -------------------------------------------------------------------------------------------------

    def matrix(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        if getattr(self, "_matrix", None) is None:
            rows = np.concatenate(self._rows_i) if self._rows_i else np.zeros(0, dtype=np.int64)
            cols = np.concatenate(self._rows_j) if self._rows_j else np.zeros(0, dtype=np.int64)
            vals = np.concatenate(self._rows_v) if self._rows_v else np.zeros(0)
            A = sp.csr_matrix((vals, (rows, cols)), shape=(len(self.rhs), self.n))
            A.sum_duplicates()
            self._matrix = (A, np.asarray(self.rhs, dtype=float), np.asarray(self.tags, dtype=np.int64))
        return self._matrix

    def var_arrays(self) -> dict[str, np.ndarray]:
        cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, dtype=np.int64))
        return {"state": cat(self.var_state), "kind": cat(self.var_kind), "pop": cat(self.var_pop),
                "child": cat(self.var_child), "area": cat(self.var_area), "combo": cat(self.var_combo)}

    def combo_dims(self, state: int, combo: int) -> tuple[tuple[str, str], ...]:
        info = self.states[state]
        out = []
        for d in reversed(info.dims):
            atoms = info.atoms[d]
            out.append((d, atoms[combo % len(atoms)]))
            combo //= len(atoms)
        return tuple(sorted(out))

    def truth(self) -> np.ndarray:
        """Known true values of variables (NaN where unknown): from cells with a true count whose form is a
        single variable, every variable of a cell whose true count is 0, and remainders of known pairs."""
        t = np.full(self.n, np.nan)
        for f in self.forms:
            if f.cell.truth is None:
                continue
            if f.cell.truth == 0:
                t[f.vars] = 0.0
            elif len(f.vars) == 1:
                t[f.vars[0]] = float(f.cell.truth)
        for xp, xq, r in self.nest_triples:
            if not np.isnan(t[xp]) and not np.isnan(t[xq]):
                t[r] = t[xp] - t[xq]
        return t
