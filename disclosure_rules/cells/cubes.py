"""Hypercubes: the integer witnesses secondary suppression builds (τ-ARGUS' hypercube method, for the
table-with-margins model of :mod:`.model`).

A cell of the table is (geography node, category of each dimension).  A *hypercube* around a primary cell
``p = (g, c_1 … c_D)`` takes one partner along every axis:

* geography: a sibling ``g'`` of ``g`` (same parent; the two move in opposite directions, so the parent's
  sum stays), or the city total when ``g``'s parent is the city total (they move together);
* dimension ``d``: another category ``c'_d`` (opposite directions, the ``Insgesamt`` stays) or ``Insgesamt``
  itself (moves together with ``c_d``); from ``Insgesamt``, a category (together).

Its ``2^(D+1)`` corners move by ``±δ`` (``+δ`` at ``p``; the sign flips along every "opposite" axis).  Every
constraint of the table then still adds up: a row along one axis contains exactly two corners (or none), and
they cancel.  Corners at a geography node that is itself a sum of finer areas carry a *chain* down to the
finest level (one child per level, the same move), so the sums below them stay too.  Corners that move down
must afford it: ``v - lb ≥ δ`` (``lb``: insiders' lower bounds, so a primary cell never moves down).
Suppressing all corners makes ``values + δ·signs`` an integer table the attacker cannot tell from the true
one, with ``p`` at ``v + δ``: a witness, checked again exactly by the audit (:mod:`.witness`).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np


@dataclass(frozen=True)
class Cube:
    cells: np.ndarray  # int64 cell indices
    delta: np.ndarray  # int64 moves (same length)


class Geometry:
    """Index arithmetic over a :class:`.model.CellTable`."""

    def __init__(self, table):
        self.t = table
        self.sizes = np.asarray([len(c) for c in table.categories], dtype=np.int64)
        self.D = len(self.sizes)
        self.stride = int(np.prod(self.sizes)) if self.D else 1
        self.weights = np.ones(self.D, dtype=np.int64)
        for d in range(self.D - 2, -1, -1):
            self.weights[d] = self.weights[d + 1] * self.sizes[d + 1]
        parent = table.parent
        self.parent = parent
        n_geo = len(parent)
        self.children: list[list[int]] = [[] for _ in range(n_geo)]
        for g in range(n_geo):
            if parent[g] >= 0:
                self.children[int(parent[g])].append(g)
        self.root = [g for g in range(n_geo) if parent[g] < 0]
        self.kids = [np.asarray(c, dtype=np.int64) for c in self.children]
        self.leafroom = None
        self.cat_cache: dict = {}
        self.stage_cache: dict = {}

    def prepare(self, values: np.ndarray, lb: np.ndarray) -> None:
        """``leafroom[cell]``: the most a finest-level cell below ``cell`` (same categories) can move down -
        a chain moving ``cell`` down must end in such a cell (a cheap necessary check)."""
        room = np.maximum(np.asarray(values, dtype=np.int64) - lb, 0).reshape(len(self.parent), self.stride)
        out = room.copy()
        level = np.asarray(self.t.geo_level)
        for g in sorted(range(len(self.parent)), key=lambda x: level[x]):
            if len(self.kids[g]):
                out[g] = out[self.kids[g]].max(axis=0)
        self.leafroom = out.reshape(-1)

    def cell(self, g, cats) -> np.ndarray:
        return np.asarray(g, dtype=np.int64) * self.stride + np.asarray(cats, dtype=np.int64) @ self.weights

    def split(self, j: int) -> tuple[int, np.ndarray]:
        return int(j // self.stride), np.asarray(self.t.cell_cat[j], dtype=np.int64)


def _cat_options(geo: Geometry, cats: np.ndarray):
    """Per dimension: list of (partner category, flip) with flip = -1 (opposite) or +1 (together)."""
    opts = []
    for d in range(geo.D):
        total = int(geo.sizes[d]) - 1
        c = int(cats[d])
        if c == total:
            opts.append([(x, +1) for x in range(total)])
        else:
            opts.append([(x, -1) for x in range(total) if x != c] + [(total, +1)])
    return opts


def _geo_options(geo: Geometry, g: int, max_up: int):
    """(anchor, partner, flip, forced path) for the geography axis: the anchor is ``g`` or one of its
    ancestors (then the cube's corners on ``p``'s side run down the forced path to ``g``)."""
    out = []
    path = [g]
    while True:
        a = path[-1]
        par = int(geo.parent[a])
        if par < 0:
            if a == g:  # p at the city total: together with one of its parts
                out += [(a, c, +1, ()) for c in geo.children[a]]
            break
        forced = tuple(reversed(path))  # from the anchor down to g
        out += [(a, s, -1, forced) for s in geo.children[par] if s != a]
        if geo.parent[par] < 0:
            out.append((a, par, +1, forced))
        if len(path) > max_up:
            break
        path.append(par)
    return out


def _cat_structure(geo: Geometry, cats: np.ndarray, n_corner: int):
    """(number of category combinations, signs (C, corners), category part of the cell index (C, corners))."""
    cat_opts = _cat_options(geo, cats)
    if any(len(o) == 0 for o in cat_opts):
        return None
    cat_combos = list(product(*[range(len(o)) for o in cat_opts])) if geo.D else [()]
    C = len(cat_combos)
    cat_coord = np.zeros((C, n_corner, geo.D), dtype=np.int64)
    cat_sign = np.ones((C, n_corner), dtype=np.int64)
    for d in range(geo.D):
        part = np.asarray([cat_opts[d][combo[d]][0] for combo in cat_combos], dtype=np.int64)
        flip = np.asarray([cat_opts[d][combo[d]][1] for combo in cat_combos], dtype=np.int64)
        for k in range(n_corner):
            if k >> (d + 1) & 1:
                cat_coord[:, k, d] = part
                cat_sign[:, k] *= flip
            else:
                cat_coord[:, k, d] = cats[d]
    combo_part = cat_coord @ geo.weights if geo.D else np.zeros((C, n_corner), dtype=np.int64)
    return C, cat_sign, combo_part


def _stages(geo: Geometry, g: int, per_geo: int, near: int, max_up: int, n_corner: int) -> list:
    """The geography options of area ``g`` in search order, grouped into stages with their arrays."""
    by_anchor: dict[int, list] = {}
    for opt in _geo_options(geo, g, max_up):
        by_anchor.setdefault(opt[0], []).append(opt)
    corner_geo = (np.arange(n_corner) & 1).astype(bool)
    out = []
    for anchor, opts in by_anchor.items():
        opts = sorted(opts, key=lambda o: abs(o[1] - anchor))[:per_geo]
        for part, last in ([(opts[:near], False), (opts[near:], True)] if len(opts) > near else [(opts, True)]):
            if not part:
                out.append((part, last, None, None, None))
                continue
            a_arr = np.asarray([o[0] for o in part], dtype=np.int64)
            gp_arr = np.asarray([o[1] for o in part], dtype=np.int64)
            gflip = np.asarray([o[2] for o in part], dtype=np.int64)
            geo_of = np.where(corner_geo[None, :], gp_arr[:, None], a_arr[:, None])
            gsign = np.where(corner_geo[None, :], gflip[:, None], 1)
            leaf = np.asarray([not len(geo.kids[o[0]]) and not len(geo.kids[o[1]]) for o in part])
            out.append((part, last, geo_of, gsign, leaf))
    return out


def score_weights(wfree: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per cell: its cost if newly suppressed, minus a tie-break favouring large counts (they can serve as
    partners of later cells too)."""
    return wfree - 1e-5 * np.minimum(np.asarray(values, dtype=float), 50.0) * (wfree > 0)


def best(geo: Geometry, p: int, delta: int, values: np.ndarray, lb: np.ndarray, suppressed: np.ndarray,
         weight: np.ndarray, open_need: np.ndarray | None = None, limit: int = 6000, max_up: int = 8):
    got = candidates(geo, p, delta, values, lb, suppressed, weight, open_need, limit, max_up, 1)
    return got[0] if got else None


def candidates(geo: Geometry, p: int, delta: int, values: np.ndarray, lb: np.ndarray, suppressed: np.ndarray,
               weight: np.ndarray, open_need: np.ndarray | None = None, limit: int = 6000, max_up: int = 8,
               keep: int = 1, chain_tries: int = 30, near: int = 12, wfree: np.ndarray | None = None,
               accept: float = 0.0, wscore: np.ndarray | None = None) -> list:
    """The cheapest feasible hypercube around ``p`` (cost: weight of the corners not yet suppressed; among
    equal costs the one whose upward corners protect most other open primary cells - ``open_need[j]`` is the
    move cell ``j`` still needs, ``0`` if none - then the one whose new cells hold the largest counts, which
    can serve as partners of later cells too).  Geography partners: the ``near`` siblings of ``p``'s area
    nearest in the code list, then the other siblings, then (only if none works) siblings of its ancestors;
    at most ``limit`` combinations per anchor level.  ``best``: ``(cost, Cube)`` or ``None``; ``candidates``:
    the ``keep`` best, cheapest first.  ``wfree``: ``weight`` where not suppressed, else 0, and ``wscore``:
    :func:`score_weights` of it (if the caller keeps them up to date)."""
    g, cats = geo.split(p)
    n_corner = 1 << (geo.D + 1)
    key = tuple(int(c) for c in cats)
    if key not in geo.cat_cache:
        geo.cat_cache[key] = _cat_structure(geo, cats, n_corner)
    cs = geo.cat_cache[key]
    if cs is None:
        return []
    C, cat_sign, combo_part = cs
    per_geo = max(1, limit // max(1, C))
    if wfree is None:
        wfree = np.where(suppressed, 0.0, weight)
    if wscore is None:
        wscore = score_weights(wfree, values)
    room = geo.leafroom if geo.leafroom is not None else np.maximum(np.asarray(values) - lb, 0)
    need = open_need if open_need is not None else np.zeros(len(values), dtype=np.int64)
    skey = (g, per_geo, near, max_up)
    if skey not in geo.stage_cache:
        geo.stage_cache[skey] = _stages(geo, g, per_geo, near, max_up, n_corner)
    found: list = []  # (score, cost, Cube)
    for opts, last_of_anchor, geo_of, gsign, leaf in geo.stage_cache[skey]:
        if not opts:
            if found and last_of_anchor:
                break
            continue
        cells = geo_of[:, None, :] * geo.stride + combo_part[None, :, :]  # (O, C, K)
        moves = cat_sign[None, :, :] * gsign[:, None, :] * delta
        # a corner that moves down needs room: for a finest-level cell its own (value - insiders' bound), for a
        # sum the room of some finest-level cell below it (``leafroom`` covers both, see Geometry.prepare)
        ok = np.all((moves >= 0) | (room[cells] >= -moves), axis=2)
        if not ok.any():
            if found and last_of_anchor:
                break
            continue
        cost = wscore[cells].sum(axis=2)  # weight of new cells, minus the tie-break for large counts
        nd = need[cells]
        score = cost - 1e-3 * ((nd > 0) & (moves >= nd)).sum(axis=2)
        sc = np.where(ok & leaf[:, None], score, np.inf).ravel()
        if np.isfinite(sc).any():
            top = np.argsort(sc, kind="stable")[:keep] if keep > 1 else [int(np.argmin(sc))]
            for f in top:
                if not np.isfinite(sc[f]):
                    break
                oi, ci = divmod(int(f), C)
                cc = cells[oi, ci].copy()
                found.append((float(sc[f]), float(wfree[cc].sum()), Cube(cc, moves[oi, ci].copy())))
        chained = np.flatnonzero((ok & ~leaf[:, None]).ravel())
        if len(chained):
            lower = (cost - 1e-3 * (2 * n_corner + 8)).ravel()
            order = chained[np.argsort(lower[chained], kind="stable")]
            for f in order[:chain_tries]:
                if len(found) >= keep and lower[f] >= sorted(x[0] for x in found)[keep - 1]:
                    break  # no remaining cube can be cheaper: chains only add cost
                oi, ci = divmod(int(f), C)
                got = _chains(geo, cells[oi, ci], moves[oi, ci], values, lb, wfree, opts[oi][3])
                if got is None:
                    continue
                cc, mm = got
                c_ = float(wfree[cc].sum())
                cv = int(((need[cc] > 0) & (mm >= need[cc])).sum())
                hb = float((np.minimum(values[cc], 50) * (wfree[cc] > 0)).sum())
                found.append((c_ - 1e-3 * cv - 1e-5 * hb, c_, Cube(cc, mm)))
        # the nearest partners first: a free cube there ends the search; a cube anchored lower always does
        if found and (last_of_anchor or (len(found) >= keep and min(x[1] for x in found) <= accept)):
            break
    found.sort(key=lambda x: x[0])
    return [(c, cube) for _, c, cube in found[:keep]]


def _chains(geo: Geometry, cells: np.ndarray, moves: np.ndarray, values, lb, wfree, forced=()):
    """Extend corners at non-finest geography nodes by a chain down to the finest level (every corner of one
    geography node takes the same child, so the corners stay a hypercube one level lower); ``forced``: a path
    of nodes (anchor first) the chain under the anchor must follow.  ``wfree``: cost of suppressing a cell
    (0 where already suppressed)."""
    force = {forced[i]: forced[i + 1] for i in range(len(forced) - 1)}
    all_cells, all_moves = [cells], [moves]
    g_of = cells // geo.stride
    combo_of = cells % geo.stride
    present = set(cells.tolist())
    frontier: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for g in np.unique(g_of).tolist():
        kids = geo.kids[g]
        if not len(kids):
            continue
        sel = g_of == g
        combos, mv = combo_of[sel], moves[sel]
        if any(int(ch) * geo.stride + int(combos[0]) in present for ch in kids):
            continue  # the cube itself balances this node's sums (its partner is its own child)
        frontier[g] = (combos, mv)
    def descend(g: int, combos: np.ndarray, mv: np.ndarray, budget: list) -> list | None:
        kids = geo.kids[g]
        if not len(kids):
            return []
        if g in force:
            kids = np.asarray([force[g]], dtype=np.int64)
        cc = kids[:, None] * geo.stride + combos[None, :]
        bad = np.any((values[cc] + mv[None, :] < lb[cc]) & (mv[None, :] < 0), axis=1)
        cost = np.where(bad, np.inf, wfree[cc].sum(axis=1))
        for i in np.argsort(cost, kind="stable"):
            if not np.isfinite(cost[i]) or budget[0] <= 0:
                return None
            budget[0] -= 1
            below = descend(int(kids[i]), combos, mv, budget)
            if below is not None:
                return [cc[i]] + below
        return None

    budget = [64]
    for g, (combos, mv) in frontier.items():
        chain = descend(g, combos, mv, budget)
        if chain is None:
            return None
        for cc in chain:
            all_cells.append(cc)
            all_moves.append(mv)
    return np.concatenate(all_cells), np.concatenate(all_moves)


def check(A_csc_int, values: np.ndarray, lb: np.ndarray, suppressed: np.ndarray, cube: Cube) -> bool:
    """Exact: all corners suppressed, bounds kept, every constraint still adds up (``A δ = 0``).
    ``A_csc_int``: the constraint matrix as integer CSC."""
    cells = np.asarray(cube.cells, dtype=np.int64)
    delta = np.asarray(cube.delta, dtype=np.int64)
    if not np.all(suppressed[cells]):
        return False
    if np.any(values[cells] + delta < lb[cells]):
        return False
    if len(np.unique(cells)) != len(cells):
        return False
    ip, ix, dat = A_csc_int.indptr, A_csc_int.indices, A_csc_int.data
    rows = np.concatenate([ix[ip[c]:ip[c + 1]] for c in cells.tolist()])
    contrib = np.concatenate([dat[ip[c]:ip[c + 1]] * d for c, d in zip(cells.tolist(), delta.tolist())])
    _, inv = np.unique(rows, return_inverse=True)
    return not np.any(np.bincount(inv, weights=contrib.astype(float)))
