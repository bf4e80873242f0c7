"""Assessment with the whole-table rule and coarsening along the hierarchy (scope ``whole_table``).

At the submitted level every cell is checked; if any cell fails, the whole table is withheld at that level.
With ``coarsen`` (and an additive table) the counts are summed to the next level up and checked again,
until a level passes or even the city total fails (then nothing is published).  Scope ``cells`` is handled
by :mod:`disclosure_rules.cells`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .findings import Finding, plural_format
from .hierarchy import Hierarchy
from .report import MAX_LISTED_CELLS, LevelResult, Report, public_statement
from .rules import RuleSet
from .table import PreparedTable

STATUS_CATEGORIES = ["ok", "zero", "primary", "secondary"]

REASONS = {
    "all_cells_pass": ("Alle Zellen erfüllen die Regel.", "All cells pass the rule."),
    "cells_below_threshold": ("{n} {n:Zelle verletzt|Zellen verletzen} die Mindestfallzahl; die ganze Tabelle "
                              "wird auf dieser Ebene zurückgehalten.",
                              "{n} {n:cell fails|cells fail} the minimum count; the whole table is withheld at "
                              "this level."),
    "non_additive": ("{n} {n:Zelle verletzt|Zellen verletzen} die Mindestfallzahl; die Tabelle ist nicht additiv "
                     "und wird nicht vergröbert.", "{n} {n:cell fails|cells fail} the minimum count; the table is "
                     "not additive and is not coarsened."),
    "coarsen_off": ("{n} {n:Zelle verletzt|Zellen verletzen} die Mindestfallzahl; Vergröbern ist im Regelsatz "
                    "ausgeschaltet.",
                    "{n} {n:cell fails|cells fail} the minimum count; coarsening is switched off in the rule set."),
    "not_tried": ("Nicht geprüft: eine feinere Ebene war bereits veröffentlichbar (oder Vergröbern ist nicht "
                  "erlaubt).", "Not tried: a finer level was publishable already (or coarsening is not allowed)."),
}


@dataclass(frozen=True, eq=False)
class Assessment:
    outcome: str  # "publishable" | "withheld"
    level: str | None
    releasable: pd.DataFrame | None
    report: Report
    findings: tuple[Finding, ...]
    input_sha256: str


def _reason(code: str, n: int = 0) -> tuple[str, str, str]:
    de, en = REASONS[code]
    return code, plural_format(de, {"n": n}), plural_format(en, {"n": n})


def aggregate(prepared: PreparedTable, hierarchy: Hierarchy, level: str) -> pd.DataFrame:
    """The prepared table summed to ``level`` (area, dims, count), sorted; vectorised."""
    data = prepared.data
    dims = list(prepared.dimensions)
    if level == prepared.level:
        return data
    anc = hierarchy.ancestor_map(prepared.level, level)
    area_cats = data["area"].cat.categories
    parents = np.asarray([anc[str(c)] for c in area_cats], dtype=object)
    p_codes, p_uniques = pd.factorize(parents, sort=True)
    acodes = data["area"].cat.codes.to_numpy()
    key = p_codes[acodes].astype(np.int64)
    sizes = [len(p_uniques)]
    for c in dims:
        n = len(data[c].cat.categories)
        key = key * n + data[c].cat.codes.to_numpy().astype(np.int64)
        sizes.append(n)
    dense = int(np.prod(sizes, dtype=np.float64)) if sizes else 1
    counts = data["count"].to_numpy()
    if dense <= max(4 * len(key), 1 << 20):
        sums = np.bincount(key, weights=counts, minlength=dense)
        present = np.bincount(key, minlength=dense) > 0
        ukeys = np.flatnonzero(present)
        usums = sums[ukeys]
    else:
        ukeys, inv = np.unique(key, return_inverse=True)
        usums = np.bincount(inv, weights=counts)
    usums = np.rint(usums).astype(np.int64)
    out = {}
    rem = ukeys
    parts = []
    for n in reversed(sizes[1:]):
        parts.append(rem % n)
        rem = rem // n
    parts.reverse()
    out["area"] = pd.Categorical.from_codes(rem.astype(np.int64), categories=pd.Index(p_uniques, dtype=object))
    for c, codes in zip(dims, parts):
        out[c] = pd.Categorical.from_codes(codes.astype(np.int64), categories=data[c].cat.categories)
    out["count"] = usums
    return pd.DataFrame(out)


def _failing_list(table: pd.DataFrame, mask: np.ndarray, dims: list[str]) -> tuple[tuple[dict, ...], bool]:
    idx = np.flatnonzero(mask)
    truncated = len(idx) > MAX_LISTED_CELLS
    idx = idx[:MAX_LISTED_CELLS]
    sub = table.iloc[idx]
    cols = {c: sub[c].astype(str).tolist() for c in ["area", *dims]}
    vals = sub["count"].tolist()
    return tuple({**{c: cols[c][i] for c in cols}, "count": int(vals[i])} for i in range(len(idx))), truncated


def releasable_frame(table: pd.DataFrame, level: str, dims: list[str]) -> pd.DataFrame:
    counts = table["count"].to_numpy()
    status = pd.Categorical.from_codes((counts == 0).astype(np.int8), categories=STATUS_CATEGORIES)
    out = pd.DataFrame({
        "level": pd.Categorical.from_codes(np.zeros(len(table), dtype=np.int8), categories=[level]),
        "area": table["area"].to_numpy() if not isinstance(table["area"].dtype, pd.CategoricalDtype)
        else table["area"].values,
        **{c: table[c].values for c in dims},
        "count": pd.array(counts, dtype="Int64"),
        "status": status,
    })
    return out


def assess(prepared: PreparedTable, hierarchy: Hierarchy, rules: RuleSet) -> Assessment:
    """Apply the rule set to a prepared table.  Deterministic: same input, same report and hash."""
    if rules.scope == "cells":
        try:
            from .cells import assess_cells
        except ImportError as exc:  # pragma: no cover - the cells scope is a separate module
            raise NotImplementedError("scope 'cells' is not available in this installation") from exc
        return assess_cells(prepared, hierarchy, rules)
    return assess_whole_table(prepared, hierarchy, rules)


def assess_whole_table(prepared: PreparedTable, hierarchy: Hierarchy, rules: RuleSet) -> Assessment:
    dims = list(prepared.dimensions)
    start = hierarchy.levels.index(prepared.level)
    results: list[LevelResult] = []
    chosen: str | None = None
    chosen_table = None
    cells_submitted = len(prepared.data)
    stop_reason = None
    for i in range(start, len(hierarchy.levels)):
        level = hierarchy.levels[i]
        if chosen is not None or stop_reason is not None:
            code, de, en = _reason("not_tried")
            results.append(LevelResult(level, 0, 0, "not_tried", code, de, en))
            continue
        table = aggregate(prepared, hierarchy, level)
        mask = rules.fails(table["count"].to_numpy())
        n_fail = int(mask.sum())
        if n_fail == 0:
            code, de, en = _reason("all_cells_pass")
            results.append(LevelResult(level, len(table), 0, "released", code, de, en))
            chosen, chosen_table = level, table
            continue
        failing, truncated = _failing_list(table, mask, dims)
        if not prepared.additive:
            stop_reason = "non_additive"
        elif not rules.coarsen:
            stop_reason = "coarsen_off"
        code, de, en = _reason(stop_reason or "cells_below_threshold", n_fail)
        results.append(LevelResult(level, len(table), n_fail, "withheld", code, de, en, failing, truncated))
    outcome = "publishable" if chosen is not None else "withheld"
    total = int(prepared.data["count"].sum())
    released_cells = len(chosen_table) if chosen_table is not None else 0
    loss = {
        "levels_coarsened": (hierarchy.levels.index(chosen) - start) if chosen else None,
        "cells_submitted": cells_submitted,
        "cells_released": released_cells,
        "cells_lost": cells_submitted - released_cells,
        "share_of_cells_lost": round((cells_submitted - released_cells) / cells_submitted, 6)
        if cells_submitted else 0.0,
        "suppressed_cells": 0,
        "suppressed_share_of_total": 0.0 if chosen else (1.0 if total else 0.0),
        "total_count": total,
    }
    statement = public_statement(rules, outcome, prepared.level, chosen, stop_reason)
    sha = prepared.sha256()
    report = Report(outcome, chosen, prepared.level, rules.fingerprint(), sha, tuple(results), loss, statement,
                    tuple(prepared.findings) + tuple(hierarchy.findings), "whole_table")
    releasable = releasable_frame(chosen_table, chosen, dims) if chosen_table is not None else None
    return Assessment(outcome, chosen, releasable, report, report.findings, sha)
