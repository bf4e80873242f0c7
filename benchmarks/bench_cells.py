"""Benchmark of scope ``cells`` (issues 5 and 13): seconds, peak RSS, suppressed cells against a proven lower
bound, and information loss against the whole-table rule on the same table.

    .venv/bin/python benchmarks/bench_cells.py [--tables block300,block1000,koeln86,small3d,berlin,syn10k,syn100k]
                                               [--lb-seconds 120] [--modes heuristic,optimal]

Tables (generated, no real data; benchmarks/cellgen.py): real-shaped Baublock tables (``block300``,
``block1000``: blocks → Stadtteile → Bezirke, × status (4) × sex (2), median ~7 people per block), a table of
the shape of Köln 2012 Stadtteil × Herkunft (``koeln86``: 86 Stadtteile in 9 Bezirke × 7 origin groups), a
small table with three dimensions (``small3d``: 20 Stadtteile × status × sex × age group), the Berlin-like
table (542 areas in a 4-level hierarchy × 30 categories) and synthetic 3-level tables (blocks × 20
categories).  Each table runs in its own subprocess (peak RSS per run).

Per table: scope ``cells`` in mode ``heuristic`` (the default) and ``optimal``; the proven lower bound on the
number of suppressed cells of any pattern that meets rule set 2.0.0 (:mod:`disclosure_rules.cells.relax`: the
optimum, or HiGHS' dual bound when the time limit stops it, of necessary conditions every valid pattern
satisfies); the same bound for the weaker requirement "protect against the insiders of one cell at a time";
the whole-table rule with coarsening on the same table.  Results: benchmarks/results/cells-<date>.json and .md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TABLES = ["block300", "block1000", "koeln86", "small3d", "berlin", "syn10k", "syn100k"]


def _table(name: str):
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import cellgen

    if name.startswith("block"):
        hier, t, dims = cellgen.block_city(int(name[5:]))
        return hier, t, dims
    if name == "koeln86":
        from tests.attacker.cities import koeln_shaped

        hier, t = koeln_shaped(7)
        return hier, t, ["herkunft"]
    if name == "small3d":
        return cellgen.small_3d()
    if name == "berlin":
        hier, t = cellgen.berlin_like()
        return hier, t, ["kat"]
    n = {"syn10k": 500, "syn100k": 5000}[name]
    hier, t = cellgen.synthetic(n)
    return hier, t, ["kat"]


def worker(name: str, modes: list[str], lb_seconds: float) -> dict:
    import numpy as np

    from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table
    from disclosure_rules.cells.model import build
    from disclosure_rules.cells.protection import requirement
    from disclosure_rules.cells.relax import solve
    from disclosure_rules.cells.suppress import primary_mask

    hier, t, dims = _table(name)
    h = load_hierarchy(hier)
    p = prepare_table(t, h, geo_column=hier.columns[0], count_columns=["anzahl"], dimensions=dims)
    out: dict = {"table": name, "inner_cells": len(t)}
    for mode in modes:
        t0 = time.perf_counter()
        a = assess(p, h, load_rules(scope="cells", cells={"secondary": mode}))
        secs = time.perf_counter() - t0
        audit = a.report.public_dict()["audit"]
        out[mode] = {"seconds": round(secs, 2), "outcome": a.outcome, "passed": audit["passed"],
                     "primary": audit["primary_cells"], "secondary": audit["secondary_cells"],
                     "suppressed": audit["primary_cells"] + audit["secondary_cells"],
                     "share_of_cells_lost": a.report.information_loss["share_of_cells_lost"],
                     "suppressed_share_of_total": a.report.information_loss["suppressed_share_of_total"],
                     "stats": a.report.to_dict()["audit"].get("stats", {}),
                     # process-wide high-water mark so far (the modes run in the order given)
                     "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    w = assess(p, h, load_rules())
    out["whole_table"] = {"level": w.level, "share_of_cells_lost": w.report.information_loss["share_of_cells_lost"]}
    table = build(p, h)
    out["cells_with_margins"] = int(table.n)
    req = requirement(table.values, primary_mask(table.values, 3, False), load_rules(scope="cells"))
    for key, insiders in (("lower_bound", "global"), ("lower_bound_single_insider", "single")):
        if insiders == "single" and table.n > 30_000:
            continue
        t0 = time.perf_counter()
        rel = solve(table.A, table.values, req, np.ones(table.n), lb_seconds, insiders=insiders)
        out[key] = {"value": round(rel.lower_bound, 2), "status": rel.status,
                    "seconds": round(time.perf_counter() - t0, 1)}
    lb = out["lower_bound"]["value"]
    for mode in modes:
        if out[mode]["passed"] and lb > 0:
            out[mode]["ratio_to_lower_bound"] = round(out[mode]["suppressed"] / lb, 3)
            if "lower_bound_single_insider" in out:
                out[mode]["ratio_to_single_insider_bound"] = round(
                    out[mode]["suppressed"] / out["lower_bound_single_insider"]["value"], 3)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", default=",".join(TABLES))
    ap.add_argument("--modes", default="heuristic,optimal")
    ap.add_argument("--lb-seconds", type=float, default=120.0)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--worker")
    args = ap.parse_args(argv)
    modes = args.modes.split(",")
    if args.worker:
        print(json.dumps(worker(args.worker, modes, args.lb_seconds)))
        return 0
    rows = []
    for name in args.tables.split(","):
        try:
            res = subprocess.run([sys.executable, __file__, "--worker", name, "--modes", args.modes,
                                  "--lb-seconds", str(args.lb_seconds)], capture_output=True, text=True,
                                 timeout=args.timeout, check=True)
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        except subprocess.TimeoutExpired:
            rows.append({"table": name, "timeout_s": args.timeout})
        except subprocess.CalledProcessError as exc:
            rows.append({"table": name, "error": exc.stderr[-2000:]})
        print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().isoformat()
    (RESULTS / f"cells-{stamp}.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| table | inner cells | primary | mode | seconds | suppressed | lower bound (status) | ratio | "
             "ratio to single-insider bound | share of inner cells lost (cells) | (whole table + coarsening) | "
             "peak RSS MiB |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "timeout_s" in r or "error" in r:
            lines.append(f"| {r['table']} | | | | {'> ' + str(r.get('timeout_s')) if 'timeout_s' in r else 'error'}"
                         " | | | | | | | |")
            continue
        lb = r["lower_bound"]
        single = r.get("lower_bound_single_insider")
        for mode in modes:
            m = r[mode]
            lines.append(
                f"| {r['table']} | {r['inner_cells']:,} | {m['primary']:,} | {mode} | {m['seconds']} | "
                f"{m['suppressed']:,}{'' if m['passed'] else ' (FAILED)'} | {lb['value']:,} ({lb['status']}) | "
                f"{m.get('ratio_to_lower_bound', '–')} | "
                f"{m.get('ratio_to_single_insider_bound', '–') if single else '–'} | "
                f"{m['share_of_cells_lost']:.3f} | {r['whole_table']['share_of_cells_lost']:.3f} "
                f"({r['whole_table']['level']}) | {m.get('peak_rss_mib', r['peak_rss_mib'])} |")
    (RESULTS / f"cells-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
