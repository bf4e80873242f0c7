"""Engine benchmark: Freigabe vs a plain pandas floor vs ACRO, on generated aggregated tables.

    .venv/bin/python benchmarks/bench_engine.py                 # 10^4 .. 10^7 cells (what `make bench` runs)
    .venv/bin/python benchmarks/bench_engine.py --sizes 1e4,1e5 --repeat 1

Every (tool, size, repeat) runs in its own subprocess, so peak RSS is measured honestly:

* the worker builds the input (the table as ``read_table_file`` would hand it over: a frame of strings,
  plus the hierarchy), then resets the kernel's RSS high-water mark (``/proc/self/clear_refs`` ← 5),
  runs the tool, and reports ``VmHWM`` = the peak RSS *while the tool ran, including the input it holds*;
* the parent also records ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of the whole subprocess (generation
  included) as a cross-check.

Tools:

* ``freigabe``: ``prepare_table`` + ``assess`` with the default rule set (``mindestfallzahl-3``: min_count 3,
  zeros not disclosive, whole-table scope, coarsening on).
* ``floor``: the same work in plain pandas/numpy, no engine, no report: key columns factorised once,
  counts parsed (non-integer/negative rejected), missing values, duplicate keys, unknown areas, then per
  level ``mask = (0 < n < k)``; if any cell fails, ``groupby`` on integer codes to the parent level and
  check again, until a level passes or the city total is reached.
* ``acro``: ``benchmarks/acro_runner.py`` in the ACRO venv (``scripts/acro-venv.sh``): the counts expanded
  to one record per person, ``ACRO(suppress=True).crosstab(area, [status, sex, age, month])``
  (ACRO's threshold 10 and zeros disclosive, its defaults). ACRO is slow; it runs for the sizes up to
  ``--acro-max-cells`` only.

Results: ``benchmarks/results/engine-<UTC date>.json`` and ``.md`` (a Markdown table with the ratios).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
ACRO_PY = HERE / ".venv-acro" / "bin" / "python"
ACRO_RUNNER = HERE / "acro_runner.py"

TARGETS = {
    "freigabe_vs_floor_max": 2.0,  # at 10^6 and 10^7 cells
    "seconds_at_1e7_max": 10.0,
    "peak_rss_vs_input_max": 3.0,  # at 10^7 cells
    "speedup_vs_acro_min": 100.0,
}


# --------------------------------------------------------------------------- memory helpers (Linux)


def _proc_status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- the tools (worker side)


def _run_floor(table, hierarchy, min_count: int = 3) -> dict:
    """Plain pandas/numpy: the same checks and the same level walk as the engine, nothing else.

    Written the way a careful analyst would do it by hand: every key column factorised once to integer
    codes (missing values show up as code -1), counts parsed with ``astype('int64')`` (non-integers raise),
    duplicate keys on one combined int64 key, unknown areas checked on the distinct codes only, then per
    level ``mask = (0 < n < k)`` and a ``groupby`` on integer codes to the parent level.
    """
    import numpy as np
    import pandas as pd

    dims = ["status", "sex", "age", "month"]
    keys = ["area", *dims]
    counts = table["count"].astype("int64").to_numpy()
    if (counts < 0).any():
        raise ValueError(f"negative counts in rows {list(np.flatnonzero(counts < 0)[:10])}")
    codes, uniques = [], []
    for col in keys:
        c, u = pd.factorize(table[col])
        if (c < 0).any():
            raise ValueError(f"missing values in {col}")
        codes.append(c.astype(np.int64))
        uniques.append(u)
    sizes = [len(u) for u in uniques]
    combined = np.ravel_multi_index(codes, sizes)
    if pd.Series(combined).duplicated().any():
        raise ValueError("duplicate keys")
    area_values = pd.Index(uniques[0])
    unknown = ~area_values.isin(pd.Index(hierarchy["baublock"]))
    if unknown.any():
        raise ValueError(f"unknown areas: {list(area_values[unknown][:10])}")
    dim_key = np.ravel_multi_index(codes[1:], sizes[1:])
    n_dim = int(np.prod(sizes[1:]))
    h = hierarchy.drop_duplicates("baublock")
    parents_of = [
        h.set_index("baublock")["stadtteil"],
        h.drop_duplicates("stadtteil").set_index("stadtteil")["stadtbezirk"],
    ]
    level_names = ["baublock", "stadtteil", "stadtbezirk", "stadt"]
    area_code, area_names = codes[0], area_values
    levels = []
    for i, name in enumerate(level_names):
        failing = int(((counts > 0) & (counts < min_count)).sum())
        levels.append({"level": name, "cells": int(len(counts)), "failing_cells": failing})
        if failing == 0 or i == len(level_names) - 1:
            break
        if i < len(parents_of):
            parent_names = pd.Index(area_names).map(parents_of[i])
            parent_code, parent_uniques = pd.factorize(parent_names)
        else:
            parent_code, parent_uniques = np.zeros(len(area_names), dtype=np.int64), pd.Index(["STADT"])
        new_area = np.asarray(parent_code, dtype=np.int64)[area_code]
        key = new_area * n_dim + dim_key
        summed = pd.Series(counts).groupby(key, sort=False).sum()
        k = summed.index.to_numpy()
        area_code, dim_key, counts = k // n_dim, k % n_dim, summed.to_numpy()
        area_names = parent_uniques
    chosen = levels[-1]["level"] if levels[-1]["failing_cells"] == 0 else None
    return {"level": chosen, "levels": levels}


def _make_raw_table(table, filename: str = "bench.csv"):
    """A ``RawTable`` as ``read_table_file`` returns it for a CSV: object frame of str, 1-based source rows
    (a tuple of ints, row 1 being the header)."""
    from disclosure_rules.readers import RawTable

    return RawTable(table, tuple(range(2, len(table) + 2)), filename, "utf-8", ",", None, 1, ())


def _run_freigabe(raw, hierarchy_df, acro_rules: bool = False) -> dict:
    from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table

    hierarchy = load_hierarchy(hierarchy_df, filename="bench-hierarchy.csv")
    # acro_rules: ACRO's parameters (threshold 10, zeros disclosive) and no coarsening, the same check ACRO does
    rules = load_rules(min_count=10, zeros_are_disclosive=True, coarsen=False) if acro_rules else load_rules()
    prepared = prepare_table(
        raw, hierarchy, geo_column="area", count_columns=["count"], dimensions=["status", "sex", "age", "month"]
    )
    assessment = assess(prepared, hierarchy, rules)
    report = assessment.report.to_dict()
    levels = [
        {"level": lv.get("level"), "cells": lv.get("cells"), "failing_cells": lv.get("failing_cells")}
        for lv in report.get("levels", [])
    ]
    return {"level": assessment.level, "outcome": assessment.outcome, "levels": levels}


def worker(tool: str, cells: int, seed: int) -> dict:
    sys.path.insert(0, str(HERE))
    import pandas as pd

    import tablegen

    rss_imports = _proc_status("VmRSS")
    t0 = time.perf_counter()
    gen = tablegen.generate(cells, seed=seed)
    raw = _make_raw_table(gen.table) if tool.startswith("freigabe") else None
    t_gen = time.perf_counter() - t0
    gc.collect()
    rss_input = _proc_status("VmRSS")
    input_deep = int(gen.table.memory_usage(deep=True).sum())
    input_shallow = int(gen.table.memory_usage(deep=False).sum())
    reset_ok = _reset_peak()
    if tool in ("freigabe", "freigabe-k10"):
        t0 = time.perf_counter()
        result = _run_freigabe(raw, gen.hierarchy, acro_rules=(tool == "freigabe-k10"))
        seconds = time.perf_counter() - t0
    elif tool == "floor":
        t0 = time.perf_counter()
        result = _run_floor(gen.table, gen.hierarchy)
        seconds = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown tool {tool}")
    peak = _proc_status("VmHWM")
    return {
        "tool": tool,
        "cells": gen.cells,
        "blocks": gen.blocks,
        "records": gen.records,
        "seconds": seconds,
        "generate_seconds": t_gen,
        "peak_rss_bytes": peak,
        "peak_rss_reset": reset_ok,
        "rss_after_imports_bytes": rss_imports,
        "rss_with_input_bytes": rss_input,
        "input_rss_bytes": rss_input - rss_imports,
        "input_frame_bytes_deep": input_deep,
        "input_frame_bytes_shallow": input_shallow,
        "pandas": pd.__version__,
        "result": result,
    }


# --------------------------------------------------------------------------- orchestration (parent side)


def _children_maxrss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024


def run_worker(tool: str, cells: int, seed: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="freigabe-bench-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, "--cells", str(cells),
               "--seed", str(seed), "--out", str(out)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"tool": tool, "cells": cells, "error": (proc.stderr or proc.stdout)[-2000:]}
        data = json.loads(out.read_text(encoding="utf-8"))
        data["process_wall_seconds"] = wall
        return data


def run_acro(cells: int, seed: int, timeout: float) -> dict:
    if not ACRO_PY.exists():
        return {"tool": "acro", "cells": cells, "error": "ACRO venv missing: run scripts/acro-venv.sh"}
    sys.path.insert(0, str(HERE))
    import tablegen

    gen = tablegen.generate(cells, seed=seed)
    with tempfile.TemporaryDirectory(prefix="freigabe-bench-acro-") as tmp:
        csv = Path(tmp) / "counts.csv"
        tablegen.counts_frame(gen).to_csv(csv, index=False)
        out = Path(tmp) / "acro.json"
        cmd = [str(ACRO_PY), str(ACRO_RUNNER), str(csv), "--index", "area", "--columns", "status,sex,age,month",
               "--threshold", "10", "--zeros-disclosive", "--no-flagged", "--out", str(out)]
        before = _children_maxrss_bytes()
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"tool": "acro", "cells": gen.cells, "error": f"timeout after {timeout:.0f} s"}
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"tool": "acro", "cells": gen.cells, "error": (proc.stderr or proc.stdout)[-2000:]}
        data = json.loads(out.read_text(encoding="utf-8"))
        after = _children_maxrss_bytes()
    return {
        "tool": "acro",
        "cells": gen.cells,
        "records": gen.records,
        "acro_cells": data["cells"],
        "flagged_cells": data["flagged_cells"],
        "seconds": data["seconds"]["expand"] + data["seconds"]["crosstab"],
        "seconds_detail": data["seconds"],
        "peak_rss_bytes": data["peak_rss_kib"] * 1024,
        "children_maxrss_bytes": after if after > before else None,
        "process_wall_seconds": wall,
        "acro_version": data["acro_version"],
        "pandas": data["pandas_version"],
    }


def _fmt_s(x):
    return "–" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def _fmt_mb(x):
    return "–" if x is None else f"{x / 2**20:.0f}"


def _fmt_ratio(x):
    return "–" if x is None else f"{x:.2f}"


def summarise(runs: list[dict]) -> list[dict]:
    by = {}
    for r in runs:
        if "error" in r:
            continue
        by.setdefault((r["cells"], r["tool"]), []).append(r)
    rows = []
    for cells in sorted({c for c, _ in by}):
        row = {"cells": cells}
        for tool in ("freigabe", "floor", "acro", "freigabe-k10"):
            rs = by.get((cells, tool))
            if not rs:
                continue
            best = min(rs, key=lambda r: r["seconds"])
            row[tool] = {
                "seconds": best["seconds"],
                "seconds_all": [r["seconds"] for r in rs],
                "peak_rss_bytes": max(r["peak_rss_bytes"] for r in rs),
            }
            if "input_rss_bytes" in best:
                row[tool]["input_rss_bytes"] = best["input_rss_bytes"]
                row[tool]["rss_after_imports_bytes"] = best["rss_after_imports_bytes"]
            if tool in ("freigabe", "floor"):
                row["records"] = best["records"]
                row["input_frame_bytes_deep"] = best["input_frame_bytes_deep"]
                row["input_rss_bytes"] = best["input_rss_bytes"]
                row["rss_after_imports_bytes"] = best["rss_after_imports_bytes"]
        f, fl, ac = row.get("freigabe"), row.get("floor"), row.get("acro")
        if f and fl:
            row["freigabe_vs_floor"] = f["seconds"] / fl["seconds"]
        if f and ac:
            row["acro_vs_freigabe"] = ac["seconds"] / f["seconds"]
        if row.get("freigabe-k10") and ac:
            row["acro_vs_freigabe_k10"] = ac["seconds"] / row["freigabe-k10"]["seconds"]
        if f and row.get("input_frame_bytes_deep"):
            row["freigabe_peak_vs_input_deep"] = f["peak_rss_bytes"] / row["input_frame_bytes_deep"]
            # the engine's input is the RawTable: frame + source_rows (a tuple of ints), as read_table_file gives
            row["freigabe_peak_vs_input_rss"] = f["peak_rss_bytes"] / max(1, f["input_rss_bytes"])
            row["freigabe_working_vs_input_rss"] = (f["peak_rss_bytes"] - f["rss_after_imports_bytes"]) / max(
                1, f["input_rss_bytes"]
            )
        rows.append(row)
    return rows


def check_agreement(runs: list[dict]) -> list[dict]:
    """Freigabe and the floor must reach the same decision: per level tried, the same cells and failing cells."""
    out = []
    for cells in sorted({r["cells"] for r in runs if "error" not in r}):
        def levels(tool):
            r = next((r for r in runs if r["tool"] == tool and r["cells"] == cells and "error" not in r), None)
            if r is None:
                return None
            return [(lv["level"], lv["cells"], lv["failing_cells"]) for lv in r["result"]["levels"]
                    if lv.get("cells")]  # the engine lists untried levels with 0 cells
        f, fl = levels("freigabe"), levels("floor")
        if f is not None and fl is not None:
            out.append({"cells": cells, "same_levels_and_failing_cells": f == fl, "freigabe": f, "floor": fl})
    return out


def check_targets(rows: list[dict]) -> list[dict]:
    checks = []
    for row in rows:
        n = row["cells"]
        if "freigabe_vs_floor" in row and n >= 900_000:
            checks.append({"target": f"freigabe within 2x of the pandas floor at {n} cells",
                           "value": row["freigabe_vs_floor"], "ok": row["freigabe_vs_floor"] <= 2.0})
        if "freigabe" in row and n >= 9_000_000:
            s = row["freigabe"]["seconds"]
            checks.append({"target": f"{n} cells in under 10 s", "value": s, "ok": s < 10.0})
            ratio = row["freigabe_peak_vs_input_deep"]
            checks.append({"target": f"peak RSS under 3x the input frame (pandas deep size) at {n} cells",
                           "value": ratio, "ok": ratio < 3.0})
            strict = row["freigabe_peak_vs_input_rss"]
            checks.append({"target": f"strict reading: peak RSS under 3x the RSS the input frame really takes "
                                     f"(shared strings counted once) at {n} cells",
                           "value": strict, "ok": strict < 3.0})
        if "acro_vs_freigabe" in row:
            checks.append({"target": f">= 100x faster than ACRO at {n} cells (Freigabe default rules, full run)",
                           "value": row["acro_vs_freigabe"], "ok": row["acro_vs_freigabe"] >= 100.0})
        if "acro_vs_freigabe_k10" in row:
            checks.append({"target": f">= 100x faster than ACRO at {n} cells (Freigabe with ACRO's rule: "
                                     "k=10, zeros disclosive, no coarsening)",
                           "value": row["acro_vs_freigabe_k10"], "ok": row["acro_vs_freigabe_k10"] >= 100.0})
    return checks


def markdown(meta: dict, rows: list[dict], checks: list[dict]) -> str:
    out = [f"# Engine benchmark {meta['date']}", "",
           f"Machine: {meta['machine']}. Python {meta['python']}, pandas {meta['pandas']}, numpy {meta['numpy']}"
           f"; ACRO {meta.get('acro_version') or '–'} (its own venv, pandas {meta.get('acro_pandas') or '–'}).",
           f"Command: `{meta['command']}` (best of {meta['repeat']} per tool and size; seconds = tool only, "
           "peak RSS = process high-water mark while the tool ran, input included).", "",
           "| cells | records | input MiB (frame deep / frame RSS / RawTable RSS) | Freigabe s | floor s | ACRO s | Freigabe / floor "
           "| ACRO / Freigabe | ACRO / Freigabe (k=10) | Freigabe peak MiB | floor peak MiB | ACRO peak MiB "
           "| Freigabe peak / input (deep / RSS) |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        f, fl, ac = r.get("freigabe"), r.get("floor"), r.get("acro")
        out.append("| " + " | ".join([
            f"{r['cells']:,}", f"{r.get('records', 0):,}",
            f"{_fmt_mb(r.get('input_frame_bytes_deep'))} / {_fmt_mb(r.get('input_rss_bytes'))}"
            + (f" / {_fmt_mb(f['input_rss_bytes'])}" if f else ""),
            _fmt_s(f and f["seconds"]), _fmt_s(fl and fl["seconds"]), _fmt_s(ac and ac["seconds"]),
            _fmt_ratio(r.get("freigabe_vs_floor")), _fmt_ratio(r.get("acro_vs_freigabe")),
            _fmt_ratio(r.get("acro_vs_freigabe_k10")),
            _fmt_mb(f and f["peak_rss_bytes"]), _fmt_mb(fl and fl["peak_rss_bytes"]),
            _fmt_mb(ac and ac["peak_rss_bytes"]),
            f"{_fmt_ratio(r.get('freigabe_peak_vs_input_deep'))} / {_fmt_ratio(r.get('freigabe_peak_vs_input_rss'))}",
        ]) + " |")
    out += ["", "Targets:", ""]
    for c in checks:
        value = "" if "agree" in c["target"] else f" (measured {c['value']:.2f})"
        out.append(f"- {'PASS' if c['ok'] else 'MISS'}: {c['target']}{value}")
    if meta.get("errors"):
        out += ["", "Errors:", ""] + [f"- {e['tool']} at {e['cells']} cells: {e['error'].strip()[-400:]}"
                                       for e in meta["errors"]]
    return "\n".join(out) + "\n"


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        return f"{cpu}, {os.cpu_count()} cores, {mem / 2**20:.0f} GiB RAM, {platform.system()} {platform.release()}"
    except OSError:
        return f"{cpu}, {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Freigabe engine benchmark")
    parser.add_argument("--sizes", default="1e4,1e5,1e6,1e7", help="comma-separated cell counts")
    parser.add_argument("--tools", default="freigabe,floor,acro")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and size (best is reported)")
    parser.add_argument("--repeat-large", type=int, default=1, help="runs at >= 10^7 cells")
    parser.add_argument("--acro-max-cells", type=float, default=1e4)
    parser.add_argument("--seed", type=int, default=20241123)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out-dir", default=str(RESULTS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cells", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        data = worker(args.worker, args.cells, args.seed)
        Path(args.out).write_text(json.dumps(data), encoding="utf-8")
        return 0

    import numpy
    import pandas

    sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    runs: list[dict] = []
    for cells in sizes:
        reps = args.repeat if cells < 9_000_000 else args.repeat_large
        for tool in ("floor", "freigabe"):
            if tool not in tools:
                continue
            for _ in range(reps):
                r = run_worker(tool, cells, args.seed, args.timeout)
                runs.append(r)
                print(f"{tool:9s} {cells:>10,d} cells: "
                      + (f"{r['seconds']:.3f} s, peak {r['peak_rss_bytes'] / 2**20:.0f} MiB"
                         if "error" not in r else "ERROR " + r["error"].strip().splitlines()[-1]),
                      file=sys.stderr, flush=True)
        if "acro" in tools and cells <= args.acro_max_cells:
            if "freigabe" in tools:
                for _ in range(reps):
                    r = run_worker("freigabe-k10", cells, args.seed, args.timeout)
                    runs.append(r)
                    print(f"freigabe-k10 {cells:>7,d} cells: "
                          + (f"{r['seconds']:.3f} s" if "error" not in r
                             else "ERROR " + r["error"].strip().splitlines()[-1]), file=sys.stderr, flush=True)
            r = run_acro(cells, args.seed, args.timeout)
            runs.append(r)
            print(f"acro      {cells:>10,d} cells: "
                  + (f"{r['seconds']:.3f} s, peak {r['peak_rss_bytes'] / 2**20:.0f} MiB"
                     if "error" not in r else "ERROR " + r["error"].strip().splitlines()[-1]),
                  file=sys.stderr, flush=True)

    rows = summarise(runs)
    checks = check_targets(rows)
    agreement = check_agreement(runs)
    for a in agreement:
        checks.append({"target": f"Freigabe and the floor agree on every level tried at {a['cells']} cells",
                       "value": float(a["same_levels_and_failing_cells"]), "ok": a["same_levels_and_failing_cells"]})
    acro_run = next((r for r in runs if r["tool"] == "acro" and "error" not in r), {})
    now = dt.datetime.now(dt.timezone.utc)
    meta = {
        "date": now.strftime("%Y-%m-%d"),
        "timestamp": now.isoformat(timespec="seconds"),
        "machine": _machine(),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "acro_version": acro_run.get("acro_version"),
        "acro_pandas": acro_run.get("pandas"),
        "command": " ".join(["python benchmarks/bench_engine.py", *(argv if argv is not None else sys.argv[1:])]),
        "repeat": args.repeat,
        "seed": args.seed,
        "targets": TARGETS,
        "errors": [r for r in runs if "error" in r],
    }
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"engine-{meta['date']}"
    payload = {"meta": meta, "rows": rows, "checks": checks, "agreement": agreement, "runs": runs}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    md = markdown(meta, rows, checks)
    stem.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    print(f"written: {stem}.json, {stem}.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
