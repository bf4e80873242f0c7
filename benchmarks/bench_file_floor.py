"""The pandas floor for ``freigabe check`` from a file: the same read, checks, level walk and write, by hand.

    python benchmarks/bench_file_floor.py TABLE.csv|.xlsx HIERARCHY.csv OUT_DIR [--engine c|pyarrow]

What a careful analyst writes in plain pandas/numpy, nothing more: ``read_csv`` (codes as text, counts as
int64; pandas' C engine or its pyarrow engine) or ``read_excel``, the key columns factorised once, negative
counts, missing values, duplicate keys and unknown areas refused, then per level ``(0 < n < 3)`` and a
``groupby`` on integer codes to the parent level until a level passes (baublock → stadtteil → stadtbezirk →
city). Writes ``releasable.csv`` (the released level) and ``floor.json`` (per level: cells, failing cells),
which the benchmark compares with Freigabe's report. No report, no hash, no findings, no hardening.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pandas as pd

DIMS = ["aufenthaltsstatus", "geschlecht", "altersgruppe"]
LEVELS = ["baublock", "stadtteil", "stadtbezirk", "stadt"]


def read(path: str, engine: str) -> pd.DataFrame:
    dtype = {"baublock": str, **{d: str for d in DIMS}, "anzahl": "int64"}
    if path.endswith(".xlsx"):
        return pd.read_excel(path, dtype=dtype, engine="openpyxl")
    return pd.read_csv(path, sep=";", dtype=dtype, engine=engine)


def walk(t: pd.DataFrame, h: pd.DataFrame, k: int = 3):
    counts = t["anzahl"].to_numpy()
    if (counts < 0).any():
        raise SystemExit("negative counts")
    codes, uniques = [], []
    for col in ["baublock", *DIMS]:
        c, u = pd.factorize(t[col])
        if (c < 0).any():
            raise SystemExit(f"missing values in {col}")
        codes.append(c.astype(np.int64))
        uniques.append(np.asarray(u, dtype=object))
    sizes = [len(u) for u in uniques]
    if pd.Series(np.ravel_multi_index(codes, sizes)).duplicated().any():
        raise SystemExit("duplicate keys")
    if (~pd.Index(uniques[0]).isin(pd.Index(h["baublock"]))).any():
        raise SystemExit("unknown areas")
    dim_key = np.ravel_multi_index(codes[1:], sizes[1:])
    n_dim = int(np.prod(sizes[1:]))
    parent = [h.drop_duplicates("baublock").set_index("baublock")["stadtteil"],
              h.drop_duplicates("stadtteil").set_index("stadtteil")["stadtbezirk"]]
    area_code, area_names = codes[0], uniques[0]
    levels = []
    for i, name in enumerate(LEVELS):
        failing = int(((counts > 0) & (counts < k)).sum())
        levels.append({"level": name, "cells": int(len(counts)), "failing_cells": failing})
        if failing == 0 or i == len(LEVELS) - 1:
            break
        if i < len(parent):
            parent_code, parent_names = pd.factorize(pd.Index(area_names).map(parent[i]))
        else:
            parent_code, parent_names = np.zeros(len(area_names), dtype=np.int64), pd.Index(["stadt"])
        key = np.asarray(parent_code, dtype=np.int64)[area_code] * n_dim + dim_key
        summed = pd.Series(counts).groupby(key, sort=False).sum()
        kk = summed.index.to_numpy()
        area_code, dim_key, counts = kk // n_dim, kk % n_dim, summed.to_numpy()
        area_names = np.asarray(parent_names, dtype=object)
    chosen = levels[-1]["level"] if levels[-1]["failing_cells"] == 0 else None
    released = None
    if chosen:
        dcodes = np.unravel_index(dim_key, sizes[1:])
        released = pd.DataFrame({"area": area_names[area_code],
                                 **{d: uniques[m + 1][dcodes[m]] for m, d in enumerate(DIMS)}, "count": counts})
    return chosen, levels, released


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("table")
    ap.add_argument("hierarchy")
    ap.add_argument("out")
    ap.add_argument("--engine", default="c", choices=["c", "pyarrow"])
    args = ap.parse_args(argv)
    t = read(args.table, args.engine)
    h = pd.read_csv(args.hierarchy, sep=";", dtype=str)
    chosen, levels, released = walk(t, h)
    os.makedirs(args.out, exist_ok=True)
    if released is not None:
        released.to_csv(os.path.join(args.out, "releasable.csv"), index=False)
    with open(os.path.join(args.out, "floor.json"), "w", encoding="utf-8") as fh:
        json.dump({"level": chosen, "levels": levels}, fh)
    return 0 if chosen else 1


if __name__ == "__main__":
    raise SystemExit(main())
