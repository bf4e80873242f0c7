"""What ``freigabe check`` does, as a plain function returning the exit status.

0 publishable (``report.json`` + ``releasable.csv``), 1 withheld (``report.json`` only), 2 bad input (a clear
message on stderr, nothing written).  Output is written to a temporary directory first and moved into place,
so a failure never leaves half-written files.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from .findings import InputError
from .output import releasable_csv_bytes

EXIT_PUBLISHABLE, EXIT_WITHHELD, EXIT_BAD_INPUT = 0, 1, 2


def run_check(table_path, hierarchy_path, out_dir, rules_path=None, min_count=None, zeros_disclosive=None,
              geo_column=None, count_column=None, scope=None, sheet=None, layout="long", dimensions=None,
              zero_symbol="0", with_status=False, lang="de", stderr: TextIO | None = None,
              value_column=None, contributors_column=None, top_columns=(), dominance=None, p_percent=None,
              geo_level=None, columns_additive=None, subtotal_columns=(), max_cells=None,
              max_bytes=None) -> int:
    from . import assess, load_hierarchy, load_rules, prepare_table, read_table_file

    err = stderr or sys.stderr
    try:
        dom: dict = {}
        if dominance:
            n_, _, k_ = str(dominance).partition(",")
            try:
                dom.update(enabled=True, n=int(n_), k=float(k_))
            except ValueError:
                dom.update(enabled=True, n=0, k=0.0)  # rejected with a typed finding by the rule set check
        if p_percent is not None:
            dom.update(enabled=True, p=float(p_percent))
        rules = load_rules(rules_path, min_count=min_count, zeros_are_disclosive=zeros_disclosive,
                           scope=scope.replace("-", "_") if scope else None, dominance=dom or None)
        hierarchy = load_hierarchy(Path(hierarchy_path))
        raw = read_table_file(Path(table_path), sheet=sheet, max_cells=max_cells, max_bytes=max_bytes)
        if value_column:  # magnitude table: always scope cells (dominance / p % / contributors)
            from .cells.magnitude import assess_magnitude, prepare_magnitude
            from .findings import Finding
            from .table import T_COLUMN_MISSING

            if not contributors_column or not geo_column:
                missing = "--contributors-column" if not contributors_column else "--geo-column"
                raise InputError(Finding(T_COLUMN_MISSING, {"column": missing, "columns": ", ".join(raw.columns)},
                                         file=raw.filename))
            mt = prepare_magnitude(raw, hierarchy, geo_column, value_column, contributors_column,
                                   list(top_columns), list(dimensions or []))
            result = assess_magnitude(mt, hierarchy, rules)
        prepared = None if value_column else prepare_table(raw, hierarchy, geo_column=geo_column,
                                 count_columns=[count_column] if count_column else None,
                                 dimensions=dimensions, layout=layout, geo_level=geo_level,
                                 columns_additive=columns_additive, subtotal_columns=list(subtotal_columns) or None)
        if prepared is not None:
            result = assess(prepared, hierarchy, rules)
    except InputError as exc:
        print(exc.message(lang), file=err)
        return EXIT_BAD_INPUT
    except FileNotFoundError as exc:
        print(("Datei nicht gefunden: " if lang != "en" else "file not found: ") + str(exc.filename), file=err)
        return EXIT_BAD_INPUT
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".freigabe-check-", dir=out.parent))
    try:
        from .report import dumps_report

        (tmp / "report.json").write_text(dumps_report(result.report.to_dict()) + "\n", encoding="utf-8")
        if result.releasable is not None:
            if value_column:
                from .output import magnitude_csv_bytes

                data = magnitude_csv_bytes(result.releasable, value_column, with_status)
            else:
                data = releasable_csv_bytes(result.releasable, zero_symbol, with_status)
            (tmp / "releasable.csv").write_bytes(data)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("report.json", "releasable.csv"):
            target = out / name
            if (tmp / name).exists():
                os.replace(tmp / name, target)
            elif target.exists():
                target.unlink()  # a stale releasable.csv from an earlier run must not survive a withheld result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return EXIT_PUBLISHABLE if result.outcome == "publishable" else EXIT_WITHHELD
