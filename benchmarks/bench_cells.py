"""Benchmark of scope ``cells`` (issue 5): seconds, peak RSS, suppressed share, and information loss against
the whole-table rule on the same table.

    .venv/bin/python benchmarks/bench_cells.py [--tables berlin,syn10k,syn100k]

Tables (generated, no real data): a Berlin-like table (542 areas in a 4-level hierarchy × 30 categories,
with margins) and synthetic 3-level tables (blocks × 20 categories).  Each run is its own subprocess so the
peak RSS is that run's.  Results: benchmarks/results/cells-<date>.json and .md.
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
TABLES = {"berlin": ("berlin", None), "syn10k": ("syn", 500), "syn100k": ("syn", 5000)}


def worker(name: str) -> dict:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import cellgen
    from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table

    kind, n = TABLES[name]
    hier, t = cellgen.berlin_like() if kind == "berlin" else cellgen.synthetic(n)
    h = load_hierarchy(hier)
    p = prepare_table(t, h, geo_column=hier.columns[0], count_columns=["anzahl"], dimensions=["kat"])
    t0 = time.perf_counter()
    a = assess(p, h, load_rules(scope="cells"))
    secs = time.perf_counter() - t0
    w = assess(p, h, load_rules())
    return {"table": name, "inner_cells": len(t), "seconds": round(secs, 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "audit": a.report.public_dict()["audit"], "cells_loss": a.report.information_loss,
            "whole_table_level": w.level, "whole_table_loss": w.report.information_loss}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", default="syn10k,berlin,syn100k")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--worker")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    rows = []
    for name in args.tables.split(","):
        try:
            out = subprocess.run([sys.executable, __file__, "--worker", name], capture_output=True, text=True,
                                 timeout=args.timeout, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        except subprocess.TimeoutExpired:
            rows.append({"table": name, "timeout_s": args.timeout})
        print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().isoformat()
    (RESULTS / f"cells-{stamp}.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| table | inner cells | seconds | peak RSS MiB | primary | secondary | audit | share of inner cells "
             "lost (cells) | (whole table + coarsening) | suppressed share of total |",
             "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        if "timeout_s" in r:
            lines.append(f"| {r['table']} | | > {r['timeout_s']} | | | | | | | |")
            continue
        lines.append(f"| {r['table']} | {r['inner_cells']:,} | {r['seconds']} | {r['peak_rss_mib']} | "
                     f"{r['audit']['primary_cells']} | {r['audit']['secondary_cells']} | "
                     f"{'passed' if r['audit']['passed'] else 'FAILED'} | "
                     f"{r['cells_loss']['share_of_cells_lost']:.3f} | "
                     f"{r['whole_table_loss']['share_of_cells_lost']:.3f} ({r['whole_table_level']}) | "
                     f"{r['cells_loss']['suppressed_share_of_total']:.3f} |")
    (RESULTS / f"cells-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
