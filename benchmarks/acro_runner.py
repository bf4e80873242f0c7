"""Run ACRO's crosstab threshold check on an aggregated counts table.

Executed by the ACRO venv's python (``benchmarks/.venv-acro/bin/python``, made by ``scripts/acro-venv.sh``),
never by the project's venv: ACRO pins pandas <= 2.3.3 and is not a project dependency.

ACRO works on microdata, so the counts table is expanded to one record per person (``np.repeat`` of the
row positions by their count). Every dimension becomes a categorical whose categories are all values the
input holds, so that cells with count 0 exist in ACRO's crosstab (``dropna=False``) as they do in the input.
ACRO then runs ``crosstab(index, columns)`` with ``suppress=True``; its checks mark a cell in the outcome
table with ``"threshold; "`` when ``count < safe_threshold`` and with ``"zeros; "`` when the count is 0 and
``zeros_are_disclosive`` holds (``acro/sdcchecks.py``: ``check_min_threshold``, ``check_presence_of_zero``).
A cell is *flagged* when its outcome is not ``"ok"``.

Usage::

    python acro_runner.py COUNTS.csv --index area --columns status,sex --count-column count \
        --threshold 10 --zeros-disclosive --out result.json

The JSON written has ``flagged`` (one object per flagged cell: the dimension values, ``count`` and ACRO's
``reasons``), ``cells``, ``records``, ``seconds`` (``read``, ``expand``, ``crosstab``, ``total``) and
``peak_rss_kib`` of this process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import time


def _peak_rss_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _acro_version(module) -> str | None:
    try:
        from importlib.metadata import version

        return version("acro")
    except Exception:  # noqa: BLE001 - metadata is informative only
        return getattr(module, "__version__", None)


def _split(text: str) -> list[str]:
    return [part for part in (p.strip() for p in text.split(",")) if part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts_csv")
    parser.add_argument("--index", required=True, help="comma-separated row dimension columns")
    parser.add_argument("--columns", required=True, help="comma-separated column dimension columns")
    parser.add_argument("--count-column", default="count")
    parser.add_argument("--threshold", type=int, default=10)
    zeros = parser.add_mutually_exclusive_group()
    zeros.add_argument("--zeros-disclosive", dest="zeros", action="store_true", default=True)
    zeros.add_argument("--zeros-not-disclosive", dest="zeros", action="store_false")
    parser.add_argument("--sep", default=",")
    parser.add_argument("--out", required=True)
    parser.add_argument("--no-flagged", action="store_true", help="write counts only (benchmark runs)")
    args = parser.parse_args(argv)

    t_start = time.perf_counter()
    import numpy as np
    import pandas as pd

    import acro as acro_pkg
    from acro import ACRO

    logging.disable(logging.CRITICAL)  # ACRO logs every table at INFO; keep stdout/stderr clean

    index_cols = _split(args.index)
    column_cols = _split(args.columns)
    dims = index_cols + column_cols
    if not index_cols or not column_cols:
        parser.error("--index and --columns each need at least one column")

    t0 = time.perf_counter()
    frame = pd.read_csv(args.counts_csv, sep=args.sep, dtype={c: str for c in dims}, keep_default_na=False)
    missing = [c for c in dims + [args.count_column] if c not in frame.columns]
    if missing:
        print(f"acro_runner: {args.counts_csv}: columns not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    counts = frame[args.count_column].to_numpy(dtype=np.int64)
    if (counts < 0).any():
        print(f"acro_runner: {args.counts_csv}: negative counts", file=sys.stderr)
        return 2
    t_read = time.perf_counter() - t0

    t0 = time.perf_counter()
    positions = np.repeat(np.arange(len(frame)), counts)
    records = {}
    for col in dims:
        categories = pd.unique(frame[col].to_numpy(dtype=object))
        cat = pd.Categorical(frame[col].to_numpy(dtype=object), categories=categories)
        records[col] = pd.Categorical.from_codes(cat.codes[positions], categories=cat.categories)
    micro = pd.DataFrame(records)
    t_expand = time.perf_counter() - t0

    session = ACRO(suppress=True)
    # risk appetite is the config dict shared with session.sdc_checks
    session.config["safe_threshold"] = args.threshold
    session.config["zeros_are_disclosive"] = bool(args.zeros)
    session.sdc_checks.risk_appetite["safe_threshold"] = args.threshold
    session.sdc_checks.risk_appetite["zeros_are_disclosive"] = bool(args.zeros)

    t0 = time.perf_counter()
    index = [micro[c] for c in index_cols]
    columns = [micro[c] for c in column_cols]
    session.crosstab(index if len(index) > 1 else index[0], columns if len(columns) > 1 else columns[0])
    t_crosstab = time.perf_counter() - t0

    record = list(session.results.results.values())[-1]
    outcome: pd.DataFrame = record.outcome
    stacked = outcome.stack(list(range(outcome.columns.nlevels)), future_stack=True)
    n_cells = int(stacked.size)
    flagged_mask = stacked.astype(str) != "ok"
    flagged = []
    if not args.no_flagged:
        key_counts = frame.set_index(dims)[args.count_column]
        for key, reasons in stacked[flagged_mask].items():
            key = key if isinstance(key, tuple) else (key,)
            cell = {name: str(value) for name, value in zip(index_cols + column_cols, key)}
            lookup = tuple(cell[c] for c in dims)
            cell["count"] = int(key_counts.get(lookup if len(dims) > 1 else lookup[0], 0))
            cell["reasons"] = [r.strip() for r in str(reasons).split(";") if r.strip()]
            flagged.append(cell)

    result = {
        "tool": "acro",
        "acro_version": _acro_version(acro_pkg),
        "pandas_version": pd.__version__,
        "input": os.path.basename(args.counts_csv),
        "index": index_cols,
        "columns": column_cols,
        "threshold": args.threshold,
        "zeros_are_disclosive": bool(args.zeros),
        "rows": int(len(frame)),
        "records": int(counts.sum()),
        "cells": n_cells,
        "flagged_cells": int(flagged_mask.sum()),
        "status": record.status,
        "flagged": flagged,
        "seconds": {
            "read": t_read,
            "expand": t_expand,
            "crosstab": t_crosstab,
            "total": time.perf_counter() - t_start,
        },
        "peak_rss_kib": _peak_rss_kib(),
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
