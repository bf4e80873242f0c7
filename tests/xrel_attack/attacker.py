"""An independent multi-release attacker: its own integer programs over the published CSV files.

It shares no code with ``disclosure_rules``: it reads the published files (``level,area,<dims…>,count`` with
``.`` for a suppressed and ``-`` for a zero cell) and the public hierarchy files (one column per level, finest
first; the city total ``STADT`` is implied), the public nesting of populations and the public category
groupings, and builds one integer program whose unknowns are the **finest cells**: (period, population
segment, Baublock, one category per dimension).  Every published number is an equation; counts are whole
numbers ≥ 0.  Links between periods ("this cell did not change") are equations too.

The judge: a finest cell whose true count is small (``1 .. k-1``; ``0 .. k-1`` with zeros disclosive) is
**exposed** when the attacker's integer maximum for it is below ``k`` - the attacker learns that fewer than
``k`` people are there (recomputing it exactly is the extreme case).  A union of finest cells with a small
total pinned below ``k`` always exposes one of its finest cells, so checking the finest cells is complete.
"""
from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

MARGIN = "Insgesamt"


@dataclass
class Published:
    label: str
    csv: bytes
    hierarchy: bytes
    population: str
    period: str


@dataclass
class Knowledge:
    tables: list[Published]
    nesting: dict[str, str] = field(default_factory=dict)  # child population -> parent (chains only)
    groupings: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # dim -> label -> parts
    links: list[tuple] = field(default_factory=list)  # (label_a, label_b, level, area, ((dim, cat), ...))


def read_published(data: bytes):
    """A published table: the German published form (``ebene, gebietsschluessel, gebietsname, <dims>,
    anzahl[, revision]``) or the machine form (``level, area, <dims>, count``)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    head = rows[0]
    german = head[:3] == ["ebene", "gebietsschluessel", "gebietsname"]
    li, ai = 0, 1
    ci = head.index("anzahl" if german else "count")
    skip = {"ebene", "gebietsschluessel", "gebietsname", "anzahl", "revision"} if german else {"count", "revision"}
    dims = [h for h in head[(3 if german else 2):] if h not in skip]
    out = []
    for r in rows[1:]:
        if not r:
            continue
        raw = r[ci]
        count = None if raw == "." else (0 if raw == "-" else int(raw))
        out.append((r[li], r[ai], tuple((d, r[head.index(d)]) for d in dims), count))
    return dims, out


def read_hierarchy(data: bytes) -> dict[str, dict[str, set[str]]]:
    """level -> area code -> finest codes (the finest level maps each code to itself)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    head = rows[0]
    code_cols = [i for i, h in enumerate(head) if not h.endswith("_name")]
    out: dict[str, dict[str, set[str]]] = {head[i]: {} for i in code_cols}
    out["stadt"] = {"STADT": set()}
    for r in rows[1:]:
        finest = r[code_cols[0]]
        for i in code_cols:
            out[head[i]].setdefault(r[i], set()).add(finest)
        out["stadt"]["STADT"].add(finest)
    return out


class Attack:
    def __init__(self, know: Knowledge):
        self.know = know
        parsed = [(t, *read_published(t.csv), read_hierarchy(t.hierarchy)) for t in know.tables]
        self.blocks = sorted({b for *_, h in parsed for lv in h.values() for s in lv.values() for b in s})
        cats: dict[str, set[str]] = {}
        for _, _, rows, _ in parsed:
            for _, _, dims, _ in rows:
                for d, c in dims:
                    cats.setdefault(d, set())
                    if c != MARGIN:
                        cats[d] |= self.atoms(d, c)
        self.dims = sorted(cats)
        self.cats = {d: sorted(v) for d, v in cats.items()}
        pops = {t.population for t in know.tables} | set(know.nesting) | set(know.nesting.values())
        self.segments = sorted(pops)
        self.periods = sorted({t.period for t in know.tables})
        self.index: dict[tuple, int] = {}
        for per in self.periods:
            for seg in self.segments:
                for b in self.blocks:
                    for combo in itertools.product(*[self.cats[d] for d in self.dims]):
                        self.index[(per, seg, b, combo)] = len(self.index)
        self.parsed = {t.label: (t, rows, h) for t, _, rows, h in parsed}
        self.rows: list[tuple[list[int], float, str]] = []
        for t, _, rows, h in parsed:
            for level, area, dims, count in rows:
                if count is not None:
                    self.rows.append((self.cell_vars(t, h, level, area, dims), float(count), t.label))
        for a, b_, level, area, dims in know.links:
            ta, _, ha = self.parsed[a]
            tb, _, hb = self.parsed[b_]
            va = self.cell_vars(ta, ha, level, area, dims)
            vb = self.cell_vars(tb, hb, level, area, dims)
            self.rows.append((va + [-1 - v for v in vb], 0.0, "link"))

    def atoms(self, dim: str, cat: str) -> set[str]:
        parts = self.know.groupings.get(dim, {}).get(cat)
        if not parts:
            return {cat}
        return set().union(*(self.atoms(dim, p) for p in parts))

    def covered_segments(self, pop: str) -> list[str]:
        """A population is its own segment plus every population nested inside it."""
        return [s for s in self.segments if s == pop or self._inside(s, pop)]

    def _inside(self, s: str, pop: str) -> bool:
        while s in self.know.nesting:
            s = self.know.nesting[s]
            if s == pop:
                return True
        return False

    def cell_vars(self, t: Published, h, level: str, area: str, dims) -> list[int]:
        blocks = h[level][area]
        given = dict(dims)
        choices = [sorted(self.atoms(d, given[d])) if given.get(d, MARGIN) != MARGIN else self.cats[d]
                   for d in self.dims]
        out = []
        for seg in self.covered_segments(t.population):
            for b in blocks:
                for combo in itertools.product(*choices):
                    out.append(self.index[(t.period, seg, b, combo)])
        return out

    # --- the integer program ----------------------------------------------------------------------------------

    def matrix(self, without: set[str] = frozenset()):
        keep = [r for r in self.rows if r[2] not in without]
        ri, ci, vi, rhs = [], [], [], []
        for i, (vars_, value, _) in enumerate(keep):
            for v in vars_:
                ri.append(i)
                ci.append(v if v >= 0 else -1 - v)
                vi.append(1.0 if v >= 0 else -1.0)
            rhs.append(value)
        A = sp.csr_matrix((vi, (ri, ci)), shape=(len(keep), len(self.index)))
        return A, np.asarray(rhs)

    def feasible(self, without: set[str] = frozenset()) -> bool:
        A, b = self.matrix(without)
        n = A.shape[1]
        res = milp(np.zeros(n), constraints=[LinearConstraint(A, b, b)], integrality=np.ones(n),
                   bounds=Bounds(np.zeros(n), np.full(n, np.inf)), options={"time_limit": 60})
        return res.status == 0

    def maximum(self, var: int, A, b) -> float:
        n = A.shape[1]
        c = np.zeros(n)
        c[var] = -1.0
        lp = linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        if lp.status == 3:
            return float("inf")
        res = milp(c, constraints=[LinearConstraint(A, b, b)], integrality=np.ones(n),
                   bounds=Bounds(np.zeros(n), np.full(n, np.inf)), options={"time_limit": 60})
        assert res.status == 0, res.message
        return -float(res.fun)

    def project(self, truth: dict[tuple, int]) -> dict[tuple, int]:
        """True counts ``(period, segment, block, ((dim, category), ...))`` summed onto the attacker's unknowns
        (the dimensions some published table has)."""
        out: dict[tuple, int] = {}
        for (per, seg, b, named), v in truth.items():
            d = dict(named)
            key = (per, seg, b, tuple(d.get(x) for x in self.dims))
            out[key] = out.get(key, 0) + v
        return out

    def exposed(self, truth: dict[tuple, int], k: int, zeros: bool = False,
                without: set[str] = frozenset()) -> list[tuple]:
        """Finest cells with a small true count whose integer maximum is below ``k``."""
        A, b = self.matrix(without)
        low = 0 if zeros else 1
        truth = self.project(truth)
        out = []
        for key, v in self.index.items():
            t = truth.get(key, 0)
            if not (low <= t <= k - 1):
                continue
            hi = self.maximum(v, A, b)
            if hi <= k - 1 + 1e-6:
                out.append((key, t, hi))
        return out


def exposed_in_some_world(attack: Attack, truth, k, zeros=False) -> list[tuple]:
    """When the published tables contradict each other, the attacker believes all but one of them."""
    if attack.feasible():
        return attack.exposed(truth, k, zeros)
    out = []
    for t in attack.know.tables:
        if attack.feasible({t.label}):
            out += attack.exposed(truth, k, zeros, without={t.label})
    return out


def small_changes(tables_by_period: list[Published], k: int, levels: set[str] | None = None) -> list[tuple]:
    """Cells whose published value changes by 1 .. k-1 against its last *published* value in an earlier
    period (of the same population), looking back across periods in which it was suppressed (only at
    ``levels`` when given: what the rule set asks for)."""
    last: dict[tuple, tuple[str, int]] = {}
    out = []
    for t in sorted(tables_by_period, key=lambda t: t.period):
        dims, rows = read_published(t.csv)
        for level, area, cell_dims, count in rows:
            if levels is not None and level not in levels:
                continue
            key = (t.population, level, area, tuple((d, c) for d, c in cell_dims if d != "monat"))
            if count is None:
                continue
            if key in last:
                change = count - last[key][1]
                if 1 <= abs(change) <= k - 1:
                    out.append((key, last[key][0], t.period, change))
            last[key] = (t.period, count)
    return out
