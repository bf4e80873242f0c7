"""Skewed synthetic cities for the attacker tests: Baublöcke in Stadtteile in Bezirke (3 levels + city),
two dimensions, many small counts - and the true value of every published cell, computed here from the
generated block table (not by Freigabe)."""
from __future__ import annotations

import io
from itertools import product

import numpy as np
import pandas as pd

TOTAL = "Insgesamt"


def city(seed: int, n_blocks: int | None = None, dims=(("aufenthalt", 4), ("geschlecht", 2)), mean: float = 1.6):
    """(hierarchy frame, block table frame with string counts, dimension names)."""
    rng = np.random.default_rng(seed)
    n_blocks = n_blocks or int(rng.integers(10, 22))
    n_bez = 2
    n_teil = int(rng.integers(3, 6))
    teil_of = np.sort(rng.integers(0, n_teil, size=n_blocks))
    teil_of[:n_teil] = np.arange(n_teil)  # every Stadtteil has a block
    teil_of.sort()
    blocks = [f"{1000 + i}" for i in range(n_blocks)]
    teile = [f"T{t}" for t in teil_of]
    bez = [f"Z{min(n_bez - 1, t * n_bez // n_teil)}" for t in teil_of]
    hier = pd.DataFrame({"baublock": blocks, "stadtteil": teile, "stadtbezirk": bez})
    sizes = rng.lognormal(mean, 1.0, size=n_blocks)
    cats = [[f"{name[:2]}{i}" for i in range(k)] for name, k in dims]
    w = np.ones(1)
    for _, k in dims:
        w = np.multiply.outer(w, rng.dirichlet(np.ones(k) * 0.7)).reshape(-1)
    counts = rng.poisson(np.outer(sizes, w))
    rows = []
    for b, row in zip(blocks, counts):
        for combo, v in zip(product(*cats), row):
            rows.append((b, *combo, str(int(v))))
    table = pd.DataFrame(rows, columns=["baublock", *[n for n, _ in dims], "anzahl"])
    return hier, table, [n for n, _ in dims]


def hierarchy_csv(hier: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    hier.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def truth(hier: pd.DataFrame, table: pd.DataFrame, dims: list[str]) -> dict[tuple, int]:
    """True value of every cell (level, area, categories) with Insgesamt margins and the city total."""
    t = table.copy()
    t["anzahl"] = t["anzahl"].astype(int)
    geo = hier.set_index(hier.columns[0])
    levels = list(hier.columns) + ["stadt"]
    t["stadt"] = "STADT"
    for lv in hier.columns[1:]:
        t[lv] = t[hier.columns[0]].map(geo[lv])
    out: dict[tuple, int] = {}
    for lv in levels:
        for mask in product([False, True], repeat=len(dims)):
            keys = [lv] + [d for d, m in zip(dims, mask) if not m]
            g = t.groupby(keys, observed=True)["anzahl"].sum()
            for idx, v in g.items():
                idx = idx if isinstance(idx, tuple) else (idx,)
                area, rest = idx[0], list(idx[1:])
                cat = []
                for d, m in zip(dims, mask):
                    cat.append(TOTAL if m else rest.pop(0))
                out[(lv, str(area), *cat)] = int(v)
    return out


KOELN_ORIGINS = ["Afrika", "Amerika", "Asien", "Europäische Union", "Türkei", "Übriges Europa", "Sonstige"]
KOELN_SHARES = [0.05, 0.03, 0.11, 0.34, 0.33, 0.14, 0.005]


def koeln_shaped(seed: int):
    """A synthetic table of the shape of Köln 2012 Stadtteil × Herkunft: 86 Stadtteile in 9 Stadtbezirke,
    the 7 origin groups of foreign residents with Köln's overall shares (rare "Sonstige", small "Amerika"),
    Stadtteil sizes log-normal (a few hundred to several thousand), shares varying per Stadtteil."""
    rng = np.random.default_rng(seed)
    sizes = np.sort(rng.integers(7, 13, size=9))
    sizes = np.round(sizes / sizes.sum() * 86).astype(int)
    sizes[-1] += 86 - sizes.sum()
    bez = np.repeat(np.arange(1, 10), sizes)
    teile = [f"{b}{i:02d}" for b, i in zip(bez, np.arange(86) % 100)]
    hier = pd.DataFrame({"stadtteil": teile, "stadtbezirk": [str(b) for b in bez]})
    pop = rng.lognormal(7.3, 0.9, size=86)
    rows = []
    for t, n in zip(teile, pop):
        w = rng.dirichlet(np.asarray(KOELN_SHARES) * 60)
        for o, v in zip(KOELN_ORIGINS, rng.poisson(n * w)):
            rows.append((t, o, str(int(v))))
    return hier, pd.DataFrame(rows, columns=["stadtteil", "herkunft", "anzahl"])
