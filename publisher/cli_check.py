"""``freigabe check``: the engine on the command line.

:func:`disclosure_rules.checkrun.check` returns the data; this module writes ``report.json`` and
``releasable.csv`` (the release-table format of :mod:`catalog.releasetable`, the same writer as the web
path's artifact: same table and options → identical bytes and sha256).  Exit 0 publishable, 1 withheld,
2 bad input (a clear message on stderr, nothing written).  Files are written to a temporary directory first
and moved into place, so a failure never leaves half-written files.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import click


def run_check(table_path, hierarchy_path, out_dir, *, zero_symbol: str = "0", with_status: bool = False,
              lang: str = "de", stderr: TextIO | None = None, **options) -> int:
    """Check and write the outputs; returns the exit status.  ``options``: those of
    :func:`disclosure_rules.checkrun.check`."""
    from catalog import releasetable
    from disclosure_rules.checkrun import EXIT_BAD_INPUT, check
    from disclosure_rules.report import dumps_report

    run = check(table_path, hierarchy_path, lang=lang, **options)
    if run.exit_code == EXIT_BAD_INPUT:
        print(run.error, file=stderr or sys.stderr)
        return run.exit_code
    files = {"report.json": (dumps_report(run.report) + "\n").encode("utf-8")}
    if run.releasable is not None:
        if run.value_column:
            files["releasable.csv"] = releasetable.write_magnitude_table(run.releasable, run.value_column,
                                                                         with_status)
        else:
            files["releasable.csv"] = releasetable.write_table(run.releasable, zero_symbol=zero_symbol,
                                                               with_status=with_status)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".freigabe-check-", dir=out.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("report.json", "releasable.csv"):
            target = out / name
            if (tmp / name).exists():
                os.replace(tmp / name, target)
            elif target.exists():
                target.unlink()  # a stale releasable.csv from an earlier run must not survive a withheld result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return run.exit_code


def keep_freed_memory() -> None:
    """A short-lived check process: glibc malloc keeps freed memory for reuse instead of handing every large
    array back to the kernel and faulting fresh zeroed pages in for the next (at 10^7 cells that halves the
    system time, ~2 of ~9.6 CPU seconds; peak RSS unchanged; docs/performance.md).  Only here, not in the
    long-running web and worker processes; nothing happens where glibc's mallopt is not there."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-4, 0)  # M_MMAP_MAX: no mmap per large block (the heap is reused)
        libc.mallopt(-1, 1 << 34)  # M_TRIM_THRESHOLD: freed memory stays with the process until it exits
        libc.mallopt(-2, 256 << 20)  # M_TOP_PAD: grow the heap in steps of 256 MiB
    except (OSError, AttributeError):  # not glibc: the defaults
        pass


@click.command("check")
@click.argument("table", type=click.Path(dir_okay=False))
@click.option("--hierarchy", "hierarchy", required=True, type=click.Path(dir_okay=False),
              help="Hierarchy CSV: one column per level, finest first.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rule set (TOML).")
@click.option("--min-count", type=int, help="Override the rule set's min_count.")
@click.option("--zeros-disclosive/--zeros-not-disclosive", default=None, help="Treat 0 as disclosive.")
@click.option("--geo-column", help="Column with the area codes (default: detected).")
@click.option("--level", "geo_level", help="Level of the table's areas (default: the finest level of its codes).")
@click.option("--count-column", help="Column with the counts (default: the single numeric column).")
@click.option("--dimension", "dimensions", multiple=True, help="Dimension column (repeatable; default: all others).")
@click.option("--wide", is_flag=True, help="Wide layout: one count column per category.")
@click.option("--columns-additive/--columns-not-additive", default=None,
              help="Wide layout: the count columns are mutually exclusive parts of one whole (summed into the total).")
@click.option("--subtotal-column", "subtotal_columns", multiple=True,
              help="Wide layout: a sub-total column ('darunter ...'), neither summed nor published (repeatable).")
@click.option("--scope", type=click.Choice(["whole-table", "cells"]), help="Override the rule set's scope.")
@click.option("--sheet", help="XLSX sheet (name or 0-based index).")
@click.option("--zero-symbol", type=click.Choice(["0", "-"]), default="0", show_default=True)
@click.option("--status-column", is_flag=True, help="Add a machine-readable status column.")
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--value-column", help="Magnitude table: column with the amounts (enables the magnitude rules).")
@click.option("--contributors-column", help="Magnitude table: number of contributors per cell.")
@click.option("--top-column", "top_columns", multiple=True,
              help="Magnitude table: largest contribution per cell, largest first (repeatable).")
@click.option("--dominance", help="Enable the (n,k)-dominance rule, e.g. '1,85'.")
@click.option("--p-percent", type=float, help="Enable the p%% rule with this p.")
def check_command(table, hierarchy, out_dir, rules_path, min_count, zeros_disclosive, geo_column, geo_level,
                  count_column,
                  dimensions, wide, scope, sheet, zero_symbol, status_column, lang, value_column,
                  contributors_column, top_columns, dominance, p_percent, columns_additive=None,
                  subtotal_columns=()):
    """Check TABLE against the disclosure rules; exit 0 publishable, 1 withheld, 2 bad input."""
    from publisher.config import table_limits

    keep_freed_memory()
    code = run_check(table, hierarchy, out_dir, rules_path=rules_path, min_count=min_count,
                     zeros_disclosive=zeros_disclosive, geo_column=geo_column, count_column=count_column,
                     scope=scope, sheet=sheet, layout="wide" if wide else "long",
                     dimensions=list(dimensions) or None, zero_symbol=zero_symbol, with_status=status_column,
                     lang=lang, value_column=value_column, contributors_column=contributors_column,
                     top_columns=tuple(top_columns), dominance=dominance, p_percent=p_percent,
                     geo_level=geo_level, columns_additive=columns_additive,
                     subtotal_columns=tuple(subtotal_columns), **table_limits())
    sys.exit(code)
