"""The protected table: every cell of every level with margins, and its additivity constraints.

Cells: (geography node at any level from the submitted level up to the city total) × (each category of each
dimension, plus ``Insgesamt``).  Constraints (all equalities ``Σ a_j x_j = 0``):
* geography: a cell of a coarser area equals the sum of the same cell over its child areas;
* every dimension: the ``Insgesamt`` cell equals the sum over the categories (other coordinates fixed).
This is exactly what an attacker can use, because published tables carry these margins.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
import scipy.sparse as sp

TOTAL = "Insgesamt"


@dataclass(frozen=True, eq=False)
class CellTable:
    levels: tuple[str, ...]  # geography levels, submitted level first
    geo: np.ndarray  # (n_geo,) area code per geo node
    geo_level: np.ndarray  # (n_geo,) level index per geo node
    dims: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]  # per dimension, TOTAL last
    values: np.ndarray  # (n_cells,) int64
    cell_geo: np.ndarray  # (n_cells,) geo node of each cell
    cell_cat: np.ndarray  # (n_cells, n_dims) category index of each cell
    A: sp.csr_matrix  # (n_constraints, n_cells) additivity constraints, A @ values == 0
    inner: np.ndarray  # (n_cells,) bool: submitted-level cell with no dimension total
    row_cell: np.ndarray | None = None  # (n_rows,) inner cell of every row of ``prepared.data``
    parent: np.ndarray | None = None  # (n_geo,) parent geo node (-1 for the top)

    @property
    def n(self) -> int:
        return len(self.values)

    def frame(self) -> pd.DataFrame:
        out = {"level": np.asarray(self.levels, dtype=object)[self.geo_level[self.cell_geo]],
               "area": self.geo[self.cell_geo]}
        for d, name in enumerate(self.dims):
            out[name] = np.asarray(self.categories[d], dtype=object)[self.cell_cat[:, d]]
        return pd.DataFrame(out)

    def key(self, j: int) -> dict:
        d = {"level": self.levels[self.geo_level[self.cell_geo[j]]], "area": str(self.geo[self.cell_geo[j]])}
        for k, name in enumerate(self.dims):
            d[name] = self.categories[k][self.cell_cat[j, k]]
        return d


def build(prepared, hierarchy) -> CellTable:
    data = prepared.data
    dims = list(prepared.dimensions)
    start = hierarchy.levels.index(prepared.level)
    levels = tuple(hierarchy.levels[start:])
    # geography nodes: the areas present and all their ancestors
    leaf = np.asarray(data["area"].cat.categories.astype(str), dtype=object) if isinstance(
        data["area"].dtype, pd.CategoricalDtype) else np.unique(data["area"].astype(str))
    nodes: list[tuple[int, str]] = [(0, a) for a in leaf]
    parent_of: dict[tuple[int, str], tuple[int, str]] = {}
    current = list(leaf)
    for li in range(len(levels) - 1):
        pm = hierarchy.parent_map(levels[li])
        nxt = sorted({pm[a] for a in current})
        for a in current:
            parent_of[(li, a)] = (li + 1, pm[a])
        nodes += [(li + 1, p) for p in nxt]
        current = nxt
    index = {node: i for i, node in enumerate(nodes)}
    geo = np.asarray([a for _, a in nodes], dtype=object)
    geo_level = np.asarray([lv for lv, _ in nodes], dtype=np.int64)
    cats = []
    for d in dims:
        c = data[d].cat.categories if isinstance(data[d].dtype, pd.CategoricalDtype) else pd.Index(
            sorted(data[d].astype(str).unique()))
        cats.append(tuple(str(x) for x in c) + (TOTAL,))
    sizes = [len(c) for c in cats]
    n_geo = len(nodes)
    stride = int(np.prod(sizes)) if sizes else 1

    def cid(g, combo):
        k = 0
        for s, c in zip(sizes, combo):
            k = k * s + c
        return g * stride + k

    n = n_geo * stride
    values = np.zeros(n, dtype=np.int64)
    # inner cells from the data
    leaf_idx = {a: index[(0, a)] for a in leaf}
    g_codes = np.asarray([leaf_idx[a] for a in data["area"].astype(str)], dtype=np.int64)
    flat = g_codes * stride
    mult = 1
    cat_codes = []
    for d, s in zip(reversed(dims), reversed(sizes)):
        pos = {c: i for i, c in enumerate(cats[dims.index(d)][:-1])}
        codes = np.asarray([pos[x] for x in data[d].astype(str)], dtype=np.int64)
        cat_codes.append(codes)
        flat = flat + codes * mult
        mult *= s
    np.add.at(values, flat, data["count"].to_numpy(dtype=np.int64))
    # margins over dimensions (at leaf level), then geography sums
    combos = list(product(*[range(s) for s in sizes])) if sizes else [()]
    cell_cat = np.asarray(combos, dtype=np.int64).reshape(len(combos), len(sizes))
    cell_cat = np.tile(cell_cat, (n_geo, 1))
    cell_geo = np.repeat(np.arange(n_geo), stride)
    rows, cols, vals = [], [], []
    r = 0
    # dimension margins: for every geo node and every combo with a TOTAL in dimension d
    for d, s in enumerate(sizes):
        for combo in combos:
            if combo[d] != s - 1:
                continue
            for g in range(n_geo):
                tot = cid(g, combo)
                rows.append(r), cols.append(tot), vals.append(1.0)
                for c in range(s - 1):
                    part = list(combo)
                    part[d] = c
                    rows.append(r), cols.append(cid(g, part)), vals.append(-1.0)
                r += 1
    # geography: parent cell = sum of children cells
    children: dict[int, list[int]] = {}
    for child, parent in parent_of.items():
        children.setdefault(index[parent], []).append(index[child])
    for p, kids in children.items():
        for combo in combos:
            rows.append(r), cols.append(cid(p, combo)), vals.append(1.0)
            for ch in kids:
                rows.append(r), cols.append(cid(ch, combo)), vals.append(-1.0)
            r += 1
    A = sp.csr_matrix((vals, (rows, cols)), shape=(r, n))
    # every margin cell is the sum of the inner cells it covers
    vals_full = _margins(values, n_geo, stride, sizes, combos, children, geo_level)
    inner = (geo_level[cell_geo] == 0) & np.all(cell_cat < np.asarray(sizes) - 1, axis=1) if sizes else (
        geo_level[cell_geo] == 0)
    assert np.abs(A @ vals_full).max(initial=0) == 0
    parent = np.full(n_geo, -1, dtype=np.int64)
    for child, par in parent_of.items():
        parent[index[child]] = index[par]
    return CellTable(levels, geo, geo_level, tuple(dims), tuple(cats), vals_full, cell_geo, cell_cat, A, inner,
                     flat, parent)


def _margins(values, n_geo, stride, sizes, combos, children, geo_level) -> np.ndarray:
    """Every cell's value as the sum of the inner cells it covers (exact, vectorised per geo node)."""
    out = values.copy().reshape(n_geo, stride)
    if sizes:
        cube = out.reshape((n_geo, *sizes))
        # dimension totals at every geo node: inner part first, then totals along each axis
        for d, s in enumerate(sizes):
            idx = [slice(None)] * (len(sizes) + 1)
            idx[d + 1] = slice(0, s - 1)
            tot_idx = [slice(None)] * (len(sizes) + 1)
            tot_idx[d + 1] = s - 1
            cube[tuple(tot_idx)] = cube[tuple(idx)].sum(axis=d + 1)
        out = cube.reshape(n_geo, stride)
    # geography sums, bottom-up (children before parents)
    for p in sorted(children, key=lambda g: geo_level[g]):
        out[p] = out[children[p]].sum(axis=0)
    return out.reshape(-1)


def covering(table: CellTable) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (cell, data row): every cell of the table with margins and the data rows it sums up.

    Cell ``j`` covers row ``i`` when ``j``'s area is the row's area or one of its ancestors and, in every
    dimension, ``j`` has the row's category or ``Insgesamt``."""
    sizes = np.asarray([len(c) for c in table.categories], dtype=np.int64)
    stride = int(np.prod(sizes)) if len(sizes) else 1
    rc = np.asarray(table.row_cell, dtype=np.int64)
    rows = np.arange(len(rc))
    g = table.cell_geo[rc]
    cat = table.cell_cat[rc] if len(sizes) else np.zeros((len(rc), 0), dtype=np.int64)
    weights = np.ones(len(sizes), dtype=np.int64)
    for d in range(len(sizes) - 2, -1, -1):
        weights[d] = weights[d + 1] * sizes[d + 1]
    out_cells, out_rows = [], []
    while True:
        for mask in range(1 << len(sizes)):
            c = cat.copy()
            for d in range(len(sizes)):
                if mask >> d & 1:
                    c[:, d] = sizes[d] - 1
            combo = c @ weights if len(sizes) else np.zeros(len(rc), dtype=np.int64)
            out_cells.append(g * stride + combo)
            out_rows.append(rows)
        up = table.parent[g]
        if (up < 0).all():
            break
        keep = up >= 0
        g, cat, rows = up[keep], cat[keep], rows[keep]
    return np.concatenate(out_cells), np.concatenate(out_rows)
