"""Whole-process benchmark from the file: ``freigabe check`` vs a pandas floor on the same CSV (issue 16).

    .venv/bin/python benchmarks/bench_file.py                       # what `make bench` runs
    .venv/bin/python benchmarks/bench_file.py --sizes 1e5 --repeat 3 --no-xlsx

Input: long-format CSV as offices export it (``;``, UTF-8, header row), 5 columns ``baublock;
aufenthaltsstatus;geschlecht;altersgruppe;anzahl``: Baublöcke × 4 statuses × 3 sexes × 6 age groups (72 cells a
block), log-normal block populations, Poisson counts (most cells 0-2); 1,389 / 20,000 / 138,889 blocks =
100,008 / 1,440,000 / 10,000,008 cells, with the hierarchy baublock → stadtteil → stadtbezirk. Seeded, no real
data; generated once into ``~/.cache/freigabe/bench-files/``.

Every run is its own process, timed from outside (wall clock from spawn to exit: interpreter start, imports,
reading, the level walk, writing) with its peak RSS from ``wait4``. The tools run interleaved, round after
round, so load from other processes on the machine hits all of them alike; the figures are medians over the
rounds and the ratios are taken within this one run.

* ``freigabe``: ``.venv/bin/freigabe check TABLE --hierarchy H --out DIR`` (default rule set: k = 3, zeros not
  disclosive, whole table, coarsening), auto-detected geography and count columns.
* ``floor-c`` / ``floor-pyarrow``: ``benchmarks/bench_file_floor.py`` with pandas' C engine / pyarrow engine;
  **the floor is the faster of the two** (by median) at each size.
* XLSX (``--xlsx-cells``, default 10^5): the same table as a sheet; ``freigabe check`` (openpyxl read-only,
  streaming) vs the floor with ``pandas.read_excel`` (openpyxl).

Both must reach the same decision (levels tried, cells and failing cells per level); the benchmark checks it.
Results: ``benchmarks/results/file-<UTC date>.json`` and ``.md``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CACHE = Path(os.environ.get("FREIGABE_BENCH_CACHE", Path.home() / ".cache" / "freigabe" / "bench-files"))
FREIGABE = ROOT / ".venv" / "bin" / "freigabe"
STATUS = ("aufenthaltserlaubnis", "niederlassungserlaubnis", "gestattung", "duldung")
SEX = ("m", "w", "d")
AGE = ("0-5", "6-17", "18-29", "30-44", "45-64", "65+")
PER_BLOCK = len(STATUS) * len(SEX) * len(AGE)  # 72
TARGETS = {1e5: 3.0, 1.44e6: 2.0, 1e7: 2.0}  # freigabe / floor, whole process
PEAK_VS_INPUT_MAX = 3.0  # at 10^7 cells


# --------------------------------------------------------------------------- input files


def generate(cells: float, seed: int, xlsx: bool = False) -> tuple[Path, Path, int]:
    """(table, hierarchy, cells): cached by size and seed; made in a child process, so that this process stays
    small (on Linux a child's peak RSS from wait4 starts at its parent's high-water mark)."""
    blocks = max(2, round(cells / PER_BLOCK))
    stem = CACHE / f"long-{blocks}-{seed}"
    table, hier = stem.with_suffix(".xlsx" if xlsx else ".csv"), Path(f"{stem}-hierarchy.csv")
    if not (table.exists() and hier.exists()):
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--generate", str(cells), "--seed", str(seed),
                        *(["--xlsx"] if xlsx else [])], cwd=ROOT, check=True)
    return table, hier, blocks * PER_BLOCK


def _generate(cells: float, seed: int, xlsx: bool = False) -> tuple[Path, Path, int]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    sys.path.insert(0, str(HERE))
    from tablegen import hierarchy_for

    blocks = max(2, round(cells / PER_BLOCK))
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = CACHE / f"long-{blocks}-{seed}"
    table, hier = stem.with_suffix(".xlsx" if xlsx else ".csv"), Path(f"{stem}-hierarchy.csv")
    if table.exists() and hier.exists():
        return table, hier, blocks * PER_BLOCK
    rng = np.random.default_rng(seed)
    h = hierarchy_for(blocks, rng)
    size = rng.lognormal(np.log(60) - 0.5, 1.0, blocks)
    w = (np.array([.55, .25, .15, .05])[:, None, None] * np.array([.5, .49, .01])[None, :, None]
         * np.array([.08, .14, .2, .27, .21, .1])[None, None, :]).ravel()
    counts = rng.poisson(size[:, None] * w[None, :]).ravel()
    within = np.tile(np.arange(PER_BLOCK), blocks)
    s, x, a = np.unravel_index(within, (len(STATUS), len(SEX), len(AGE)))
    codes = h["baublock"].to_numpy(dtype=object)
    tab = pa.table({
        "baublock": pa.DictionaryArray.from_arrays(np.repeat(np.arange(blocks, dtype=np.int32), PER_BLOCK),
                                                   pa.array(list(codes))).cast(pa.string()),
        "aufenthaltsstatus": pa.array(np.asarray(STATUS, dtype=object)[s]),
        "geschlecht": pa.array(np.asarray(SEX, dtype=object)[x]),
        "altersgruppe": pa.array(np.asarray(AGE, dtype=object)[a]),
        "anzahl": pa.array(counts.astype(np.int64)),
    })
    tmp = table.with_suffix(".tmp")
    if xlsx:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Tabelle1")
        ws.append(tab.column_names)
        for row in zip(*(tab.column(c).to_pylist() for c in tab.column_names)):
            ws.append(list(row))
        wb.save(tmp)
    else:
        pcsv.write_csv(tab, tmp, write_options=pcsv.WriteOptions(delimiter=";", quoting_style="none"))
    h[["baublock", "stadtteil", "stadtbezirk"]].to_csv(hier, sep=";", index=False)
    tmp.replace(table)
    return table, hier, blocks * PER_BLOCK


# --------------------------------------------------------------------------- one timed process


def timed(cmd: list[str], timeout: float) -> dict:
    """Wall seconds from spawn to exit and the process's peak RSS (its own, from wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t0 + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return {"error": f"timeout after {timeout:.0f} s"}
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    return {"seconds": wall, "peak_rss_bytes": usage.ru_maxrss * 1024, "exit": proc.returncode,
            "stderr": err[-1500:] if proc.returncode not in (0, 1) else ""}


BASELINE: list[str] = []  # --baseline: another checkout's freigabe (e.g. main before a change), tool "baseline"


def commands(tool: str, table: Path, hier: Path, out: Path) -> list[str]:
    if tool in ("freigabe", "baseline"):
        exe = FREIGABE if tool == "freigabe" else Path(BASELINE[0])
        return [str(exe), "check", str(table), "--hierarchy", str(hier), "--out", str(out)]
    engine = tool.split("-", 1)[1]
    return [sys.executable, str(HERE / "bench_file_floor.py"), str(table), str(hier), str(out), "--engine", engine]


def decision(tool: str, out: Path):
    """Levels tried with cells and failing cells, as both tools report them."""
    if tool in ("freigabe", "baseline"):
        rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
        return rep["level"], [(lv["level"], lv["cells"], lv["failing_cells"]) for lv in rep["levels"]
                              if lv.get("cells")]
    rep = json.loads((out / "floor.json").read_text(encoding="utf-8"))
    return rep["level"], [(lv["level"], lv["cells"], lv["failing_cells"]) for lv in rep["levels"]]


def input_size(table: Path) -> dict:
    """The input in memory, as pandas holds it after read_csv (codes as text, counts int64), in a fresh
    process: deep memory usage of the frame."""
    code = ("import sys, pandas as pd; d={'anzahl':'int64'}; "
            "t=pd.read_csv(sys.argv[1], sep=';', dtype={**{c: str for c in ['baublock','aufenthaltsstatus',"
            "'geschlecht','altersgruppe']}, **d}) if sys.argv[1].endswith('.csv') else None; "
            "print(int(t.memory_usage(deep=True).sum()))")
    out = subprocess.run([sys.executable, "-c", code, str(table)], capture_output=True, text=True, check=True)
    return {"file_bytes": table.stat().st_size, "frame_bytes": int(out.stdout.strip())}


def run_size(cells: float, seed: int, repeat: int, tools: list[str], timeout: float, xlsx: bool = False) -> dict:
    table, hier, n = generate(cells, seed, xlsx)
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    decisions = {}
    with tempfile.TemporaryDirectory(prefix="freigabe-bench-file-") as tmp:
        for r in range(repeat):
            for tool in tools:
                out = Path(tmp) / f"{tool}-{r}"
                res = timed(commands(tool, table, hier, out), timeout)
                if "error" not in res and res["exit"] in (0, 1):
                    decisions[tool] = decision(tool, out)
                runs[tool].append(res)
                shown = (f"{res['seconds']:.2f} s, peak {res['peak_rss_bytes'] / 2**20:.0f} MiB"
                         if "seconds" in res else res["error"])
                print(f"{'xlsx ' if xlsx else ''}{n:>10,d} cells  round {r + 1}/{repeat}  {tool:14s} {shown}",
                      file=sys.stderr, flush=True)
    row: dict = {"cells": n, "format": "xlsx" if xlsx else "csv", "file": table.name, "runs": runs}
    for tool, rs in runs.items():
        ok = [x for x in rs if "seconds" in x and x["exit"] in (0, 1)]
        if ok:
            row[tool] = {"median_s": statistics.median(x["seconds"] for x in ok),
                         "min_s": min(x["seconds"] for x in ok), "all_s": [x["seconds"] for x in ok],
                         "peak_rss_bytes": max(x["peak_rss_bytes"] for x in ok)}
    floors = [t for t in tools if t.startswith("floor") and t in row]
    if floors and "freigabe" in row:
        best = min(floors, key=lambda t: row[t]["median_s"])
        row["floor"] = best
        row["ratio"] = row["freigabe"]["median_s"] / row[best]["median_s"]
        # the same ratio per round (freigabe over the floor run next to it), median over rounds
        per_round = [f["seconds"] / fl["seconds"] for f, fl in zip(runs["freigabe"], runs[best])
                     if "seconds" in f and "seconds" in fl]
        row["ratio_per_round_median"] = statistics.median(per_round) if per_round else None
        if "baseline" in row:
            row["baseline_ratio"] = row["baseline"]["median_s"] / row[best]["median_s"]
            row["baseline_same_decision"] = decisions.get("baseline") == decisions.get(best)
        fd, ld = decisions.get("freigabe"), decisions.get(best)
        row["same_decision"] = fd is not None and fd == ld
        row["decision"] = {"freigabe": fd, "floor": ld}
    if not xlsx:
        row["input"] = input_size(table)
    return row


# --------------------------------------------------------------------------- the reader alone


READERS = {
    "pandas C engine (dtype=str)": "pd.read_csv(p, sep=';', dtype=str, keep_default_na=False)",
    "pandas pyarrow engine (dtype=str)": "pd.read_csv(p, sep=';', dtype=str, engine='pyarrow')",
    "pyarrow.csv (strings, 1 thread)": "pcsv.read_csv(p, read_options=pcsv.ReadOptions(use_threads=False), "
                                        "parse_options=pcsv.ParseOptions(delimiter=';'), convert_options=co)",
    "read_table_file (vectorised, pyarrow)": "read_table_file(p)",
    "read_table_file (row-by-row reference)": "read_table_file(p, _fast=False)",
}


def reader_compare(table: Path, repeat: int = 5) -> dict:
    """Seconds to read the file into memory, per reader (one process, interleaved, median of ``repeat``)."""
    code = f"""
import json, statistics, sys, time
import pandas as pd, pyarrow as pa, pyarrow.csv as pcsv
from disclosure_rules import read_table_file
p = sys.argv[1]
cols = pcsv.read_csv(p, read_options=pcsv.ReadOptions(skip_rows_after_names=10**9)).column_names
co = pcsv.ConvertOptions(column_types={{c: pa.string() for c in cols}}, strings_can_be_null=False)
readers = {READERS!r}
out = {{k: [] for k in readers}}
for _ in range({repeat}):
    for name, expr in readers.items():
        t0 = time.perf_counter(); eval(expr); out[name].append(time.perf_counter() - t0)
print(json.dumps({{k: statistics.median(v) for k, v in out.items()}}))
"""
    res = subprocess.run([sys.executable, "-c", code, str(table)], cwd=ROOT, capture_output=True, text=True,
                         timeout=1800)
    if res.returncode != 0:
        return {"error": res.stderr[-1500:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report


def _machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return f"{cpu}, {os.cpu_count()} cores, {mem / 2**20:.0f} GiB RAM, {platform.system()} {platform.release()}"


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def checks(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        if "ratio" not in r:
            continue
        n = r["cells"]
        if r["format"] == "csv":
            limit = next((v for k, v in TARGETS.items() if abs(n - k) / k < 0.05), None)
            if limit:
                out.append({"target": f"freigabe check within {limit:g}x the pandas floor at {n:,} cells (CSV)",
                            "value": r["ratio"], "ok": r["ratio"] <= limit})
            if n >= 9_000_000:
                peak = r["freigabe"]["peak_rss_bytes"]
                v = peak / r["input"]["frame_bytes"]
                out.append({"target": f"peak RSS under {PEAK_VS_INPUT_MAX:g}x the input in memory (pandas frame) "
                                      f"at {n:,} cells", "value": v, "ok": v < PEAK_VS_INPUT_MAX})
        out.append({"target": f"same decision as the floor at {n:,} cells ({r['format']})",
                    "value": float(r["same_decision"]), "ok": bool(r["same_decision"])})
    return out


def markdown(meta: dict, rows: list[dict], results: list[dict]) -> str:
    mb = lambda b: f"{b / 2**20:,.0f}"  # noqa: E731
    out = [f"# File benchmark {meta['date']}", "",
           f"Machine: {meta['machine']}; load average {meta['load_before']} before, {meta['load_after']} after. "
           f"Python {meta['python']}, pandas {meta['pandas']}, pyarrow {meta['pyarrow']}.",
           f"Command: `{meta['command']}`. Whole processes from the file, medians of the rounds (interleaved).", "",
           "| cells | format | freigabe s | floor-c s | floor-pyarrow s | freigabe / floor | per round | "
           "freigabe peak MiB | floor peak MiB | input MiB (file / pandas frame) | peak / frame | same decision |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        f = r.get("freigabe", {})
        fl = r.get(r.get("floor", ""), {})
        inp = r.get("input")
        out.append("| " + " | ".join([
            f"{r['cells']:,}", r["format"], f"{f.get('median_s', 0):.2f}",
            f"{r['floor-c']['median_s']:.2f}" if "floor-c" in r else "–",
            f"{r['floor-pyarrow']['median_s']:.2f}" if "floor-pyarrow" in r else "–",
            f"**{r['ratio']:.2f}**" if "ratio" in r else "–",
            f"{r['ratio_per_round_median']:.2f}" if r.get("ratio_per_round_median") else "–",
            mb(f["peak_rss_bytes"]) if f else "–", mb(fl["peak_rss_bytes"]) if fl else "–",
            f"{mb(inp['file_bytes'])} / {mb(inp['frame_bytes'])}" if inp else "–",
            f"{f['peak_rss_bytes'] / inp['frame_bytes']:.2f}" if inp and f else "–",
            "yes" if r.get("same_decision") else "NO"]) + " |")
    if any("baseline_ratio" in r for r in rows):
        out += ["", f"Baseline (`{meta.get('baseline')}`, the same rounds): ", "",
                "| cells | baseline s | baseline / floor | freigabe / floor | baseline peak MiB | same decision |",
                "|---:|---:|---:|---:|---:|---|"]
        out += [f"| {r['cells']:,} | {r['baseline']['median_s']:.2f} | {r['baseline_ratio']:.2f} | {r['ratio']:.2f} | "
                f"{mb(r['baseline']['peak_rss_bytes'])} | {'yes' if r['baseline_same_decision'] else 'NO'} |"
                for r in rows if "baseline_ratio" in r]
    if meta.get("readers"):
        rd = meta["readers"]
        out += ["", f"Reading the {rd['cells']:,}-cell file into memory (one process, median of 5):", "",
                "| reader | seconds |", "|---|---:|"]
        out += [f"| {k} | {v:.2f} |" for k, v in rd["seconds"].items()] if "seconds" in rd else [f"| error | {rd} |"]
    out += ["", "Targets:", ""] + [f"- {'PASS' if c['ok'] else 'MISS'}: {c['target']}"
                                   + ("" if "decision" in c["target"] else f" (measured {c['value']:.2f})")
                                   for c in results]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="freigabe check vs a pandas floor, whole process from the file")
    ap.add_argument("--sizes", default="1e5,1.44e6,1e7")
    ap.add_argument("--repeat", type=int, default=5, help="rounds below 10^7 cells")
    ap.add_argument("--repeat-large", type=int, default=3, help="rounds at >= 10^7 cells")
    ap.add_argument("--tools", default="freigabe,floor-c,floor-pyarrow")
    ap.add_argument("--xlsx-cells", type=float, default=3e4, help="0: no XLSX run")
    ap.add_argument("--reader-cells", type=float, default=1.44e6, help="the reader comparison (0: none)")
    ap.add_argument("--no-xlsx", action="store_true")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--baseline", help="path of another freigabe executable, run as tool 'baseline' (same rounds)")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--out-dir", default=str(RESULTS))
    ap.add_argument("--generate", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--xlsx", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate:
        _generate(args.generate, args.seed, args.xlsx)
        return 0
    versions = subprocess.run([sys.executable, "-c", "import pandas, pyarrow; print(pandas.__version__, "
                               "pyarrow.__version__)"], capture_output=True, text=True, check=True).stdout.split()

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if args.baseline:
        BASELINE[:] = [args.baseline]
        tools.insert(1, "baseline")
    load_before = _load()
    rows = []
    for s in [float(x) for x in args.sizes.split(",") if x.strip()]:
        rows.append(run_size(s, args.seed, args.repeat_large if s >= 9e6 else args.repeat, tools, args.timeout))
    if args.xlsx_cells and not args.no_xlsx:
        rows.append(run_size(args.xlsx_cells, args.seed, min(args.repeat, 3), ["freigabe", "floor-c"],
                             args.timeout, xlsx=True))
    readers = None
    if args.reader_cells:
        table, _h, n = generate(args.reader_cells, args.seed)
        readers = {"cells": n, "seconds": reader_compare(table)}
        print(f"readers at {n:,} cells: {readers['seconds']}", file=sys.stderr, flush=True)
    results = checks(rows)
    now = dt.datetime.now(dt.timezone.utc)
    meta = {"date": now.strftime("%Y-%m-%d"), "timestamp": now.isoformat(timespec="seconds"),
            "machine": _machine(), "python": platform.python_version(), "pandas": versions[0],
            "pyarrow": versions[1], "load_before": load_before, "load_after": _load(),
            "command": " ".join(["python benchmarks/bench_file.py", *(argv if argv is not None else sys.argv[1:])]),
            "seed": args.seed, "readers": readers, "baseline": args.baseline}
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"file-{meta['date']}"
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows, "checks": results}, indent=1),
                                         encoding="utf-8")
    md = markdown(meta, rows, results)
    stem.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    print(f"written: {stem}.json, {stem}.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
