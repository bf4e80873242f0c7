"""Scope ``cells``: cell suppression with audited secondary suppression.

``assess_cells(prepared, hierarchy, rules)`` publishes every level of the table with its margins, suppresses
the failing cells (primary) and enough other cells (secondary) that every primary cell meets its required
protection interval (:mod:`.protection`) against an integer attacker who knows everything published and
what the people in primary cells know about their own cells; the integer audit (:mod:`.witness`) proves it
for every cell before a pattern is accepted.  See docs/rules-cells.md.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..assess import STATUS_CATEGORIES, Assessment, assess_whole_table
from ..findings import Severity, plural, register
from ..report import LevelResult, Report, level_title
from .model import TOTAL, CellTable, build
from .protection import describe, requirement
from .suppress import cell_cost, primary_mask, protect

AUDIT_FAILED = register(
    "FG-CELLS-AUDIT-FAILED", Severity.WARNING,
    "Das Sperrmuster besteht die Angriffsprüfung nicht ({n} {n:Zelle|Zellen} eingrenzbar); die Tabelle wird nicht "
    "veröffentlicht.",
    "The suppression pattern fails the attacker audit ({n} {n:cell|cells} can be narrowed down); the table is not "
    "published.")
OPTIMAL_FALLBACK = register(
    "FG-CELLS-OPTIMAL-FALLBACK", Severity.INFO,
    "Die optimale Sperrung fand in {seconds} s keine Lösung; das Muster der Heuristik wird verwendet.",
    "The optimal suppression found no solution within {seconds} s; the heuristic's pattern is used.")
PROTECTION_LEVELS = register(
    "FG-CELLS-PROTECTION", Severity.INFO,
    "Schutzintervalle: {text_de}. Geprüft für {n} gesperrte kleine Zellen mit ganzzahligen Nachweisen.",
    "Protection intervals: {text_en}. Checked for {n} suppressed small cells with integer proofs.")

__all__ = ["assess_cells", "compare_scopes", "TOTAL"]


def _statement(rules, outcome: str, n_primary: int, n_secondary: int) -> dict:
    k = rules.min_count
    head_de = (f"Geheimhaltung: Werte unter {k}" + (" (einschließlich 0)" if rules.zeros_are_disclosive else
                                                     " (Nullen ausgenommen)")
               + f" werden nicht veröffentlicht (Regelsatz {rules.name}, Version {rules.version}).")
    head_en = (f"Disclosure control: values below {k}" + (" (including 0)" if rules.zeros_are_disclosive else
                                                         " (zeros excepted)")
               + f" are not published (rule set {rules.name}, version {rules.version}).")
    if outcome != "publishable":
        return {"de": head_de + " Die Tabelle wird nicht veröffentlicht.",
                "en": head_en + " The table is not published."}
    reach_de = (f" Für jede gesperrte kleine Zahl bleibt möglich, dass sie {k} oder mehr beträgt – auch für "
                "Personen, die wissen, dass sie selbst in einer gesperrten Zelle mitgezählt sind."
                if rules.cells.upper_reaches_min_count else "")
    reach_en = (f" For every suppressed small count it remains possible that it is {k} or more - also for "
                "people who know that they are counted in a suppressed cell themselves."
                if rules.cells.upper_reaches_min_count else "")
    return {
        "de": head_de + f" {n_primary + n_secondary} "
              + plural(n_primary + n_secondary, "Zelle ist", "Zellen sind") + f" mit „.“ gesperrt, davon "
              f"{n_secondary} zusätzlich, damit gesperrte Werte nicht aus Summen zurückgerechnet oder eingegrenzt "
              "werden können." + reach_de + " Das Sperrmuster wurde mit einer Angriffsprüfung (ganzzahlige "
              "Optimierung) geprüft.",
        "en": head_en + f" {n_primary + n_secondary} "
              + plural(n_primary + n_secondary, "cell is", "cells are") + f" suppressed with '.', {n_secondary} "
              "of them additionally so that suppressed values cannot be recomputed or narrowed down from totals."
              + reach_en + " The pattern was checked with an attacker audit (integer optimisation).",
    }


def _lower_level(rules) -> bool:
    return bool(rules.cells.lower_protection_abs or rules.cells.lower_protection_pct)


def _cover(table):
    """cells × data rows (csr, 1 where the cell sums the row): who shares people with whom (lower side)."""
    import scipy.sparse as sp

    from .model import covering

    cells, rows = covering(table)
    return sp.csr_matrix((np.ones(len(cells)), (cells, rows)), shape=(table.n, len(table.row_cell)))


def assess_cells(prepared, hierarchy, rules) -> Assessment:
    t0 = time.monotonic()
    table = build(prepared, hierarchy)
    k, zeros = rules.min_count, rules.zeros_are_disclosive
    primary = primary_mask(table.values, k, zeros)
    req = requirement(table.values, primary, rules, _cover(table) if _lower_level(rules) else None)
    cost = cell_cost(table.values, table.inner, rules.cells.objective)
    findings = list(prepared.findings) + list(hierarchy.findings)
    from ..findings import Finding

    pat = protect(table, req, cost, rules.cells.secondary, rules.cells.time_limit_s, t0)
    if rules.cells.secondary == "optimal" and pat.method != "optimal" and primary.any():
        findings.append(Finding(OPTIMAL_FALLBACK, {"seconds": rules.cells.time_limit_s}))
    S, passed = pat.suppressed, pat.passed
    secondary = S & ~primary
    text = describe(rules)
    if primary.any():
        findings.append(Finding(PROTECTION_LEVELS, {"text_de": text["de"], "text_en": text["en"],
                                                    "n": int(primary.sum())}))
    if not passed:
        bad = sum(not v.protected for v in pat.verdicts.values())
        findings.append(Finding(AUDIT_FAILED, {"n": bad}))
    outcome = "publishable" if passed else "withheld"
    releasable = _releasable(table, primary, secondary) if passed else None
    levels = []
    for li, lv in enumerate(table.levels):
        m = table.geo_level[table.cell_geo] == li
        n_p = int((primary & m).sum())
        n_s = int((secondary & m).sum())
        levels.append(LevelResult(
            lv, int(m.sum()), n_p, "released" if passed else "withheld", "cells_suppressed",
            f"{n_p} {plural(n_p, 'Zelle', 'Zellen')} unter der Mindestfallzahl und {n_s} zusätzliche "
            f"{plural(n_s, 'Zelle', 'Zellen')} gesperrt.",
            f"{n_p} {plural(n_p, 'cell', 'cells')} below the minimum count and {n_s} additional "
            f"{plural(n_s, 'cell', 'cells')} suppressed.",
            tuple({**table.key(j), "count": int(table.values[j])} for j in np.flatnonzero(primary & m)[:10_000]),
            False))
    total = int(table.values[(table.geo_level[table.cell_geo] == len(table.levels) - 1)
                             & np.all(table.cell_cat == np.asarray([len(c) - 1 for c in table.categories]),
                                      axis=1)].sum()) if table.dims else int(table.values[-1])
    inner_total = int(table.values[table.inner].sum())
    supp_inner = S & table.inner
    loss = {
        "levels_coarsened": 0,
        "cells_submitted": int(table.inner.sum()),
        "cells_published": int(table.n),
        "cells_released": int(table.inner.sum() - supp_inner.sum()) if passed else 0,
        "cells_lost": int(supp_inner.sum()) if passed else int(table.inner.sum()),
        "share_of_cells_lost": round(float(supp_inner.sum()) / max(1, int(table.inner.sum())), 6)
        if passed else 1.0,
        "suppressed_cells": int(S.sum()),
        "suppressed_share_of_cells": round(float(S.sum()) / max(1, table.n), 6),
        "suppressed_share_of_total": round(float(table.values[supp_inner].sum()) / max(1, inner_total), 6)
        if passed else 1.0,
        "total_count": total,
    }
    audit_internal = {
        "passed": passed,
        "method": pat.method,
        "attacker": "integer" + ("+insiders" if rules.cells.insiders else ""),
        "primary_cells": int(primary.sum()),
        "secondary_cells": int(secondary.sum()),
        "protection": text,
        "intervals": [{**table.key(j), "count": int(table.values[j]), "lo": v.lo, "hi": v.hi,
                       "required_lo": v.need_lo, "required_hi": v.need_hi, "protected": v.protected,
                       "proof": v.proof, **({"hi_bound": v.hi_bound} if v.hi_bound is not None else {})}
                      for j, v in sorted(pat.verdicts.items())],
        "stats": pat.stats,
        "seconds": round(time.monotonic() - t0, 3),
    }
    audit_public = {"passed": passed, "primary_cells": int(primary.sum()),
                    "secondary_cells": int(secondary.sum())}
    statement = _statement(rules, outcome, int(primary.sum()), int(secondary.sum()))
    sha = prepared.sha256()
    report = Report(outcome, prepared.level if passed else None, prepared.level, rules.fingerprint(), sha,
                    tuple(levels), loss, statement, tuple(findings), "cells",
                    extra={"audit": audit_internal}, extra_public={"audit": audit_public})
    return Assessment(outcome, prepared.level if passed else None, releasable, report, report.findings, sha)


def _releasable(table: CellTable, primary: np.ndarray, secondary: np.ndarray) -> pd.DataFrame:
    frame = table.frame()
    counts = pd.array(np.where(primary | secondary, 0, table.values), dtype="Int64")
    counts[primary | secondary] = pd.NA
    status = np.where(primary, 2, np.where(secondary, 3, np.where(table.values == 0, 1, 0))).astype(np.int8)
    frame["count"] = counts
    frame["status"] = pd.Categorical.from_codes(status, categories=STATUS_CATEGORIES)
    return frame


def compare_scopes(prepared, hierarchy, rules) -> dict:
    """Information loss of both scopes on the same submission, for the DPO."""
    import dataclasses

    whole = assess_whole_table(prepared, hierarchy, dataclasses.replace(rules, scope="whole_table"))
    cells = assess_cells(prepared, hierarchy, dataclasses.replace(rules, scope="cells"))
    return {
        "whole_table": {"outcome": whole.outcome, "level": whole.level,
                        "level_title": level_title(whole.level), **whole.report.information_loss},
        "cells": {"outcome": cells.outcome, "level": cells.level, **cells.report.information_loss,
                  "audit": cells.report.extra_public.get("audit")},
    }
