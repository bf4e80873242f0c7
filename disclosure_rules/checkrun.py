"""What ``freigabe check`` computes, as a plain function returning data (the engine writes no files).

:func:`check` reads the table and hierarchy, runs the rules and returns a :class:`CheckRun`: the exit status
(0 publishable, 1 withheld, 2 bad input), the report, the releasable table (or None) and, for bad input, the
message.  ``publisher.cli_check`` writes ``report.json`` and ``releasable.csv`` through the release-table
format's one owner (``catalog.releasetable``), so the CLI's file is byte for byte the web path's artifact.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .findings import InputError

EXIT_PUBLISHABLE, EXIT_WITHHELD, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True)
class CheckRun:
    exit_code: int
    report: dict[str, Any] | None = None
    releasable: Any = None  # DataFrame (Assessment.releasable) or None
    value_column: str | None = None  # a magnitude table: the amount column
    error: str | None = None  # bad input: the message in the requested language


def check(table_path, hierarchy_path, rules_path=None, min_count=None, zeros_disclosive=None,
          geo_column=None, count_column=None, scope=None, sheet=None, layout="long", dimensions=None,
          lang="de", value_column=None, contributors_column=None, top_columns=(), dominance=None,
          p_percent=None, geo_level=None, columns_additive=None, subtotal_columns=(), max_cells=None,
          max_bytes=None) -> CheckRun:
    from . import assess, load_hierarchy, load_rules, prepare_table, read_table_file

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
        return CheckRun(EXIT_BAD_INPUT, error=exc.message(lang))
    except FileNotFoundError as exc:
        return CheckRun(EXIT_BAD_INPUT, error=("Datei nicht gefunden: " if lang != "en" else "file not found: ")
                        + str(exc.filename))
    code = EXIT_PUBLISHABLE if result.outcome == "publishable" else EXIT_WITHHELD
    return CheckRun(code, result.report.to_dict(), result.releasable, value_column)
