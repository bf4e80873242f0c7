"""Fresh skewed synthetic cities against the independent attacker of tests/attacker/ (issue 13 acceptance).

    .venv/bin/python benchmarks/attack_cities.py [--seeds 5000:5018] [--modes heuristic,optimal] [--engine DIR]

Per city (tests/attacker/cities.py: Baublöcke → Stadtteile → 2 Stadtbezirke + city, 4 × 2 categories, a
large share of counts 1 and 2; seeds outside the ones the tests use) and mode: Freigabe's ``assess`` with
scope ``cells``, the CSV exactly as the product publishes it, then the attacker's own integer programs over
that CSV and the public hierarchy: for every primary cell (true value 1..k-1) its integer minimum and maximum
for an outsider, and its maximum when all insiders at once know "my cell is at least my value".

``--engine DIR`` puts another checkout first on the import path (e.g. ``git archive main`` unpacked in
/tmp) to measure the engine *before* a change with the very same attacker and cities; the attacker and the
city generator always come from this checkout.  Prints one JSON line per table and a summary, writes
``benchmarks/results/attack-cities-<label>-<date>.json``.  Figures only (numbers of cells), no data.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _paths(engine: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    if engine:
        sys.path.insert(0, str(Path(engine).resolve()))


def run(seed: int, mode: str, k: int = 3) -> dict:
    from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table
    from publisher.publication import render_artifact
    from tests.attacker.attacker import System, read_hierarchy, read_release
    from tests.attacker.cities import city, hierarchy_csv, truth

    hier, table, dims = city(seed)
    h = load_hierarchy(hier)
    p = prepare_table(table, h, geo_column="baublock", count_columns=["anzahl"], dimensions=dims)
    t0 = time.perf_counter()
    a = assess(p, h, load_rules(scope="cells", min_count=k, cells={"secondary": mode, "time_limit_s": 20.0}))
    out = {"seed": seed, "mode": mode, "outcome": a.outcome, "seconds": round(time.perf_counter() - t0, 2)}
    if a.outcome != "publishable":
        return out
    pub = read_release(render_artifact(a.releasable))
    true = truth(hier, table, dims)
    assert all(true[key] == v for key, v in pub.known.items()), "a published number differs from the truth"
    sensitive = [key for key, v in true.items() if 0 < v < k]
    secret = set(pub.secret)
    inner = [key for key in true if all(c != "Insgesamt" for c in key[2:]) and key[0] == hier.columns[0]]
    levels, parent = read_hierarchy(hierarchy_csv(hier))
    system = System(pub, levels, parent)
    hidden = [key for key in sensitive if key in secret]
    outsider = system.bounds(hidden)
    insiders = system.bounds(hidden, lower={key: true[key] for key in hidden}, sides=(-1.0,))
    out.update({
        "cells": len(true), "primary": len(sensitive), "primary_published": len(sensitive) - len(hidden),
        "suppressed": len(secret), "inner_cells": len(inner),
        "inner_lost": sum(key in secret for key in inner),
        "pinned_outsider": sum(outsider[key][0] >= 1 and outsider[key][1] < k for key in hidden),
        "upper_below_k_outsider": sum(outsider[key][1] < k for key in hidden),
        "upper_below_k_insiders": sum(insiders[key][1] < k for key in hidden),
        "exact_outsider": sum(outsider[key][0] == outsider[key][1] for key in hidden),
    })
    return out


def summary(rows: list[dict]) -> dict:
    pub = [r for r in rows if r["outcome"] == "publishable"]
    s = {"tables": len(rows), "published": len(pub)}
    for f in ("primary", "primary_published", "suppressed", "pinned_outsider", "upper_below_k_outsider",
              "upper_below_k_insiders", "exact_outsider", "inner_cells", "inner_lost"):
        s[f] = sum(r[f] for r in pub)
    s["tables_with_pinned_cell"] = sum(r["pinned_outsider"] > 0 for r in pub)
    s["tables_with_upper_below_k_insiders"] = sum(r["upper_below_k_insiders"] > 0 for r in pub)
    s["share_inner_lost"] = round(s["inner_lost"] / max(s["inner_cells"], 1), 3)
    s["seconds"] = round(sum(r["seconds"] for r in rows), 1)
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="5000:5018")
    ap.add_argument("--modes", default="heuristic,optimal")
    ap.add_argument("--engine", default=None, help="another checkout whose disclosure_rules/publisher to judge")
    ap.add_argument("--label", default="branch")
    args = ap.parse_args(argv)
    _paths(args.engine)
    lo, hi = (int(x) for x in args.seeds.split(":"))
    rows = []
    for seed in range(lo, hi):
        for mode in args.modes.split(","):
            rows.append(run(seed, mode))
            print(json.dumps(rows[-1]), flush=True)
    s = {"label": args.label, "engine": args.engine or str(ROOT), "seeds": args.seeds,
         "by_mode": {m: summary([r for r in rows if r["mode"] == m]) for m in args.modes.split(",")}}
    print(json.dumps(s, indent=2))
    out = ROOT / "benchmarks" / "results" / f"attack-cities-{args.label}-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**s, "runs": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
