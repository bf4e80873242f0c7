"""An independent attacker on published cell-suppressed tables.

It reads only what the public gets: the releasable CSV as Freigabe writes it (header ``level,area,<dims…>,
count``; ``.`` = suppressed, ``-`` = true zero, DIN 55301) and the public geography hierarchy CSV (one column
per level, finest first; the published table adds the city total ``stadt``/``STADT`` on top when the coarsest
level has several codes).  It rebuilds every additivity constraint itself - each area's cell is the sum of its
sub-areas' cells, each ``Insgesamt`` cell the sum over the categories of its dimension - and solves its own
integer programs (scipy ``milp``) for the smallest and largest value of suppressed cells, optionally knowing
lower bounds that insiders have (the people counted in a cell know it is at least its value).

It deliberately shares no code with ``disclosure_rules`` (it must not import it): a bug there cannot hide
itself here.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from itertools import product

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

TOTAL = "Insgesamt"
SECRET = "."
NOTHING = "-"


def _norm(col: str) -> str:
    return re.sub(r"_(nr|id|code|schluessel|schlüssel|key)$", "", col.strip(), flags=re.I).strip().lower() \
        .replace(" ", "_")


@dataclass
class Published:
    keys: list[tuple]  # (level, area, cat_1, …, cat_D) per cell, in file order
    known: dict[tuple, int]  # published values
    secret: list[tuple]  # suppressed cells
    dims: list[str]


def read_release(data: bytes) -> Published:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if rows and rows[0][:3] == ["ebene", "gebietsschluessel", "gebietsname"]:  # the published (German) form
        rows = [[r[0], r[1], *r[3:]] for r in rows]  # the area name is not part of a cell's key
        rows[0] = ["level", "area", *rows[0][2:-1], "count"]
    header, body = rows[0], rows[1:]
    assert header[:2] == ["level", "area"] and len(header) >= 3, header  # last column: count or amount
    dims = header[2:-1]
    keys, known, secret = [], {}, []
    for r in body:
        key = tuple(r[:-1])
        keys.append(key)
        v = r[-1]
        if v == SECRET:
            secret.append(key)
        elif v == NOTHING:
            known[key] = 0
        else:
            x = float(v)
            known[key] = int(x) if x.is_integer() else x
    return Published(keys, known, secret, dims)


def read_hierarchy(data: bytes | str) -> tuple[list[str], dict[tuple[str, str], tuple[str, str]]]:
    """(level names finest first, {(level, code): (parent level, parent code)})."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    sample = text.splitlines()[0]
    delim = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    header = rows[0]
    cols = [i for i, c in enumerate(header) if not c.strip().lower().endswith("_name")
            and not c.strip().lower().endswith("_area_m2")]
    levels = [_norm(header[i]) for i in cols]
    parent = {}
    for r in rows[1:]:
        if not r:
            continue
        codes = [r[i].strip() for i in cols]
        for a in range(len(cols) - 1):
            parent[(levels[a], codes[a])] = (levels[a + 1], codes[a + 1])
    tops = {r[cols[-1]].strip() for r in rows[1:] if r}
    if len(tops) > 1:  # the published table adds the city total on top
        for c in tops:
            parent[(levels[-1], c)] = ("stadt", "STADT")
        levels = levels + ["stadt"]
    return levels, parent


class System:
    """The attacker's equations over all cells of the published table."""

    def __init__(self, pub: Published, hierarchy_levels: list[str], parent: dict):
        self.pub = pub
        self.index = {k: i for i, k in enumerate(pub.keys)}
        n = len(pub.keys)
        cats: list[set] = [set() for _ in pub.dims]
        for k in pub.keys:
            for d in range(len(pub.dims)):
                cats[d].add(k[2 + d])
        self.cats = [sorted(c - {TOTAL}) for c in cats]
        rows: list[list[tuple[int, float]]] = []
        areas_by_parent: dict[tuple, list[tuple]] = {}
        present_areas = {(k[0], k[1]) for k in pub.keys}
        for (lv, code) in present_areas:
            par = parent.get((lv, code))
            if par is not None and par in present_areas:
                areas_by_parent.setdefault(par, []).append((lv, code))
        combos = {k[2:] for k in pub.keys}
        # geography: parent cell = sum of its children's cells
        for par, kids in areas_by_parent.items():
            for combo in combos:
                pk = par + combo
                if pk not in self.index:
                    continue
                eq = [(self.index[pk], 1.0)]
                for kid in kids:
                    ck = kid + combo
                    if ck in self.index:
                        eq.append((self.index[ck], -1.0))
                rows.append(eq)
        # dimensions: Insgesamt = sum over the categories
        for k in pub.keys:
            for d in range(len(pub.dims)):
                if k[2 + d] != TOTAL:
                    continue
                eq = [(self.index[k], 1.0)]
                for c in self.cats[d]:
                    part = list(k)
                    part[2 + d] = c
                    if tuple(part) in self.index:
                        eq.append((self.index[tuple(part)], -1.0))
                rows.append(eq)
        r_i = [i for i, eq in enumerate(rows) for _ in eq]
        c_i = [j for eq in rows for j, _ in eq]
        v_i = [a for eq in rows for _, a in eq]
        self.A = sp.csr_matrix((v_i, (r_i, c_i)), shape=(len(rows), n))
        self.n = n
        self.secret_idx = np.asarray([self.index[k] for k in pub.secret], dtype=np.int64)
        known = np.zeros(n)
        is_known = np.zeros(n, dtype=bool)
        for k, v in pub.known.items():
            known[self.index[k]] = v
            is_known[self.index[k]] = True
        self.is_known = is_known
        self.known = known
        # the system over the secret cells
        S = self.secret_idx
        sub = self.A[:, S].tocsr()
        keep = np.flatnonzero(np.diff(sub.indptr) > 0)
        self.Asub = sub[keep]
        self.b = -(self.A[keep][:, np.flatnonzero(is_known)] @ known[is_known])
        inc = (self.Asub != 0).astype(np.int8)
        _, self.label = connected_components((inc.T @ inc).tocsr(), directed=False)
        self.pos = {int(c): i for i, c in enumerate(S)}
        self.total = float(known.max(initial=0.0)) * 4 + 100.0

    def bounds(self, cell_keys: list[tuple], lower: dict[tuple, int] | None = None,
               time_limit: float = 20.0, sides=(1.0, -1.0), upper: dict[tuple, float] | None = None,
               integer: bool = True) -> dict[tuple, tuple]:
        """Integer (min, max) of each given suppressed cell; ``lower``/``upper``: known bounds of cells
        (insiders). ``max`` is capped at the largest published value × 4 + 100 (far above any threshold).
        ``sides``: ``(1.0,)`` only the minimum, ``(-1.0,)`` only the maximum (the other is ``None``).
        ``integer=False``: amounts (magnitude tables), a linear program and float results."""
        lower = lower or {}
        lb_all = np.zeros(len(self.secret_idx))
        ub_all = np.full(len(self.secret_idx), self.total)
        for k, v in lower.items():
            if k in self.index and self.index[k] in self.pos:
                lb_all[self.pos[self.index[k]]] = v
        for k, v in (upper or {}).items():
            if k in self.index and self.index[k] in self.pos:
                ub_all[self.pos[self.index[k]]] = v
        out = {}
        for key in cell_keys:
            i = self.pos[self.index[key]]
            comp = np.flatnonzero(self.label == self.label[i])
            block = self.Asub[:, comp].tocsr()
            rows = np.flatnonzero(np.diff(block.indptr) > 0)
            Aeq, beq = block[rows], self.b[rows]
            at = int(np.flatnonzero(comp == i)[0])
            res = {1.0: None, -1.0: None}
            for sign in sides:
                c = np.zeros(len(comp))
                c[at] = sign
                cons = [LinearConstraint(Aeq, beq, beq)] if Aeq.shape[0] else []
                r = milp(c, constraints=cons, integrality=np.ones(len(comp)) if integer else np.zeros(len(comp)),
                         bounds=Bounds(lb_all[comp], ub_all[comp]),
                         options={"time_limit": time_limit, "mip_rel_gap": 0.0})
                assert r.status == 0, (key, r.message)
                res[sign] = int(round(sign * r.fun)) if integer else float(sign * r.fun)
            out[key] = (res[1.0], res[-1.0])
        return out


def combos_of(pub: Published) -> list[tuple]:
    cats = [sorted({k[2 + d] for k in pub.keys}) for d in range(len(pub.dims))]
    return list(product(*cats))
