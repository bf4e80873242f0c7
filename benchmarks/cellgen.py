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

if __name__ == "__main__":
    which = sys.argv[1]
    hier, t = berlin_like() if which == "berlin" else synthetic(int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
    h = load_hierarchy(hier)
    geo = hier.columns[0]
    p = prepare_table(t, h, geo_column=geo, count_columns=["anzahl"], dimensions=["kat"])
    t0 = time.time(); a = assess(p, h, load_rules(scope="cells")); t1 = time.time()
    print(which, len(t), "cells", round(t1 - t0, 2), "s", a.report.public_dict()["audit"], a.report.information_loss)
    w = assess(p, h, load_rules()); print("whole", w.level, w.report.information_loss)
