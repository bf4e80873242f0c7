"""Generated tables for benchmarks/bench_cells.py: a Berlin-like 4-level table and synthetic 3-level tables."""
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from disclosure_rules import load_hierarchy, prepare_table, assess, load_rules

def berlin_like(seed=1, n_cat=30):
    rng = np.random.default_rng(seed)
    # 12 -> 58 -> 143 -> 542
    bez = [f"{i:02d}" for i in range(1, 13)]
    prog = [f"{bez[i % 12]}{j:02d}" for i, j in zip(range(58), range(58))]
    bzr = [f"{prog[i % 58]}{i:02d}" for i in range(143)]
    plr = [f"{bzr[i % 143]}{i:03d}" for i in range(542)]
    hier = pd.DataFrame({"plr": plr, "bzr": [p[:-3] for p in plr], "prog": [p[:-5] for p in plr], "bez": [p[:2] for p in plr]})
    sizes = rng.lognormal(7.5, 0.6, size=542)
    w = rng.dirichlet(np.ones(n_cat) * 0.6)
    counts = rng.poisson(np.outer(sizes, w) * 0.05)
    t = pd.DataFrame({"plr": np.repeat(plr, n_cat), "kat": np.tile([f"k{i:02d}" for i in range(n_cat)], 542),
                      "anzahl": counts.ravel()})
    return hier, t

def synthetic(n_blocks=5000, n_cat=20, seed=2):
    rng = np.random.default_rng(seed)
    blocks = [f"{i:06d}" for i in range(n_blocks)]
    hier = pd.DataFrame({"block": blocks, "teil": [f"T{i // 50:04d}" for i in range(n_blocks)],
                         "bezirk": [f"B{i // 1000:02d}" for i in range(n_blocks)]})
    sizes = rng.lognormal(4.0, 0.8, size=n_blocks)
    w = rng.dirichlet(np.ones(n_cat))
    counts = rng.poisson(np.outer(sizes, w))
    t = pd.DataFrame({"block": np.repeat(blocks, n_cat), "kat": np.tile([f"k{i:02d}" for i in range(n_cat)], n_blocks),
                      "anzahl": counts.ravel()})
    return hier, t

def block_city(n_blocks=300, seed=1, dims=(("status", 4), ("geschlecht", 2)), mean=2.0, sd=1.0, blocks_per_teil=25,
               teile_per_bezirk=4):
    """Real-shaped Baublock tables: blocks in Stadtteile (varying sizes) in Bezirke, each block a small
    population (log-normal, median ~7 people) split over the dimensions with unequal weights - most cells
    0, 1 or 2, as in block-level registers of refugees."""
    from itertools import product

    rng = np.random.default_rng(seed)
    blocks = [f"B{i:05d}" for i in range(n_blocks)]
    teil, t, c = [], 0, 0
    size = rng.integers(max(2, blocks_per_teil // 2), blocks_per_teil * 3 // 2 + 1)
    for _ in range(n_blocks):
        if c >= size:
            t, c = t + 1, 0
            size = rng.integers(max(2, blocks_per_teil // 2), blocks_per_teil * 3 // 2 + 1)
        teil.append(f"T{t:03d}")
        c += 1
    hier = pd.DataFrame({"block": blocks, "teil": teil,
                         "bezirk": [f"Z{int(x[1:]) // teile_per_bezirk:02d}" for x in teil]})
    sizes = rng.lognormal(mean, sd, size=n_blocks)
    cats = [[f"{d[:2]}{i}" for i in range(k)] for d, k in dims]
    w = np.ones(1)
    for _, k in dims:
        w = np.multiply.outer(w, rng.dirichlet(np.ones(k) * 0.8)).reshape(-1)
    counts = rng.poisson(np.outer(sizes, w))
    combos = list(product(*cats))
    out = {"block": np.repeat(blocks, len(combos))}
    for j, (d, _) in enumerate(dims):
        out[d] = np.tile([cmb[j] for cmb in combos], n_blocks)
    out["anzahl"] = counts.ravel()
    return hier, pd.DataFrame(out), [d for d, _ in dims]


def small_3d(seed=3, n_areas=20, per_bezirk=5, mean=4.0):
    """A small table with three dimensions: Stadtteile (in Bezirke) × status (4) × sex (2) × age group (5)."""
    hier, t, dims = block_city(n_areas, seed, dims=(("status", 4), ("geschlecht", 2), ("alter", 5)), mean=mean,
                               sd=0.6, blocks_per_teil=per_bezirk, teile_per_bezirk=100)
    hier = hier.drop(columns=["bezirk"]).rename(columns={"block": "stadtteil", "teil": "bezirk"})
    return hier, t.rename(columns={"block": "stadtteil"}), dims


if __name__ == "__main__":
    which = sys.argv[1]
    hier, t = berlin_like() if which == "berlin" else synthetic(int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
    h = load_hierarchy(hier)
    geo = hier.columns[0]
    p = prepare_table(t, h, geo_column=geo, count_columns=["anzahl"], dimensions=["kat"])
    t0 = time.time(); a = assess(p, h, load_rules(scope="cells")); t1 = time.time()
    print(which, len(t), "cells", round(t1 - t0, 2), "s", a.report.public_dict()["audit"], a.report.information_loss)
    w = assess(p, h, load_rules()); print("whole", w.level, w.report.information_loss)
