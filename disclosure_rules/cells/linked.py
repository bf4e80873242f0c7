"""Linked tables (issue 5 item 5): several tables of one release over the same population and areas, e.g.
persons by residence status and persons by sex, share their margins (the area totals, and any dimension
they have in common).  Protected one at a time, a cell suppressed in one table can be published in the other,
or the shared totals let an attacker combine the two patterns.  Here all tables are protected *jointly*:

* one system of constraints: every table's additivity constraints, plus a linking equation ``x = y`` for
  every cell that is the same number in two tables (same area; same category in the dimensions both have;
  ``Insgesamt`` in the dimensions only one has);
* primary cells of every table; secondary suppression and the attacker audit run on the joint system, so a
  shared cell is suppressed in all tables or in none, and no suppressed cell can be narrowed down from
  everything the release publishes together.

The shared cells must agree (same total population); if they do not, the release is refused with the cells
that differ named.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..assess import STATUS_CATEGORIES, Assessment
from ..findings import Finding, InputError, Severity, register
from ..report import LevelResult, Report
from .model import TOTAL, CellTable, build
from .protection import requirement
from .suppress import cell_cost, heuristic, primary_mask

L_LEVELS = register(
    "FG-LINKED-LEVELS-DIFFER", Severity.ERROR,
    "Verknüpfte Tabellen müssen auf derselben Ebene vorliegen (gefunden: {levels}).",
    "Linked tables must be at the same level (found: {levels}).")
L_DISAGREE = register(
    "FG-LINKED-TOTALS-DIFFER", Severity.ERROR,
    "Tabelle {a} und Tabelle {b} widersprechen sich bei {n} {n:gemeinsamen Summe|gemeinsamen Summen} (z. B. {example}); verknüpfte "
    "Tabellen müssen dieselbe Grundgesamtheit zeigen.",
    "Tables {a} and {b} disagree on {n} shared {n:total|totals} (e.g. {example}); linked tables must show the same "
    "population.")
L_AUDIT_FAILED = register(
    "FG-LINKED-AUDIT-FAILED", Severity.WARNING,
    "Das gemeinsame Sperrmuster besteht die Angriffsprüfung nicht ({n} {n:Zelle|Zellen} eingrenzbar); keine der Tabellen "
    "wird veröffentlicht.",
    "The joint suppression pattern fails the attacker audit ({n} {n:cell|cells} can be narrowed down); none of the "
    "tables is published.")


def _link_rows(ta: CellTable, tb: CellTable, off_a: int, off_b: int) -> list[tuple[int, int]]:
    """Pairs (cell in a, cell in b) that are the same number."""
    shared = [d for d in ta.dims if d in tb.dims]
    geo_b = {(int(lv), str(code)): g for g, (lv, code) in enumerate(zip(tb.geo_level, tb.geo))}
    # shared dimension with the same categories: matched category by category, otherwise only via TOTAL
    same_cats = {d: ta.categories[ta.dims.index(d)] == tb.categories[tb.dims.index(d)] for d in shared}

    def key_of(t: CellTable, j: int, only_in_other: list[str]):
        for d in only_in_other:
            if t.categories[t.dims.index(d)][t.cell_cat[j, t.dims.index(d)]] != TOTAL:
                return None
        k = []
        for d in shared:
            c = t.categories[t.dims.index(d)][t.cell_cat[j, t.dims.index(d)]]
            if not same_cats[d] and c != TOTAL:
                return None
            k.append(c)
        return tuple(k)

    only_a = [d for d in ta.dims if d not in tb.dims]
    only_b = [d for d in tb.dims if d not in ta.dims]
    index_b: dict[tuple, int] = {}
    for j in range(tb.n):
        k = key_of(tb, j, only_b)
        if k is not None:
            index_b[(int(tb.cell_geo[j]), k)] = j
    pairs = []
    for j in range(ta.n):
        k = key_of(ta, j, only_a)
        if k is None:
            continue
        g = geo_b.get((int(ta.geo_level[ta.cell_geo[j]]), str(ta.geo[ta.cell_geo[j]])))
        if g is None:
            continue
        jb = index_b.get((g, k))
        if jb is not None:
            pairs.append((off_a + j, off_b + jb))
    return pairs


def assess_linked(prepared_tables: list, hierarchy, rules, names: list[str] | None = None
                  ) -> tuple[str, list[pd.DataFrame | None], Report]:
    """Protect several tables jointly. Returns (outcome, releasable frame per table or None, joint report)."""
    t0 = time.monotonic()
    names = names or [f"T{i + 1}" for i in range(len(prepared_tables))]
    levels = {p.level for p in prepared_tables}
    if len(levels) != 1:
        raise InputError(Finding(L_LEVELS, {"levels": ", ".join(sorted(levels))}))
    tables = [build(p, hierarchy) for p in prepared_tables]
    offsets = np.cumsum([0] + [t.n for t in tables])
    values = np.concatenate([t.values for t in tables])
    inner = np.concatenate([t.inner for t in tables])
    blocks = sp.block_diag([t.A for t in tables], format="csr")
    link = []
    for a in range(len(tables)):
        for b in range(a + 1, len(tables)):
            pairs = _link_rows(tables[a], tables[b], offsets[a], offsets[b])
            diff = [(i, j) for i, j in pairs if values[i] != values[j]]
            if diff:
                i, j = diff[0]
                ex = tables[a].key(i - offsets[a])
                raise InputError(Finding(L_DISAGREE, {
                    "a": names[a], "b": names[b], "n": len(diff),
                    "example": f"{ex} = {values[i]} / {values[j]}"}))
            link += pairs
    if link:
        r = np.repeat(np.arange(len(link)), 2)
        c = np.asarray(link).reshape(-1)
        v = np.tile([1.0, -1.0], len(link))
        L = sp.csr_matrix((v, (r, c)), shape=(len(link), len(values)))
        A = sp.vstack([blocks, L], format="csr")
    else:
        A = blocks
    k, zeros, width = rules.min_count, rules.zeros_are_disclosive, rules.cells.protection_width
    primary = primary_mask(values, k, zeros)
    req = requirement(values, primary, rules)
    cost = cell_cost(values, inner, rules.cells.objective)
    S, iv, passed = heuristic(A, values, primary, k, zeros, width, cost,
                              deadline=t0 + max(rules.cells.time_limit_s, 5.0), req=req)
    secondary = S & ~primary
    findings: list[Finding] = [f for p in prepared_tables for f in p.findings] + list(hierarchy.findings)
    if not passed:
        bad = sum(not v.protected for v in iv.values())
        findings.append(Finding(L_AUDIT_FAILED, {"n": bad}))
    outs: list[pd.DataFrame | None] = []
    level_results = []
    for ti, t in enumerate(tables):
        sl = slice(offsets[ti], offsets[ti + 1])
        p_, s_ = primary[sl], secondary[sl]
        if passed:
            frame = t.frame()
            counts = pd.array(np.where(p_ | s_, 0, t.values), dtype="Int64")
            counts[p_ | s_] = pd.NA
            frame["count"] = counts
            status = np.where(p_, 2, np.where(s_, 3, np.where(t.values == 0, 1, 0))).astype(np.int8)
            frame["status"] = pd.Categorical.from_codes(status, categories=STATUS_CATEGORIES)
            outs.append(frame)
        else:
            outs.append(None)
        level_results.append(LevelResult(
            f"{names[ti]}:{t.levels[0]}", t.n, int(p_.sum()), "released" if passed else "withheld",
            "cells_suppressed_linked",
            f"Tabelle {names[ti]}: {int(p_.sum())} Zellen unter der Mindestfallzahl, {int(s_.sum())} zusätzlich "
            "gesperrt (gemeinsam mit den verknüpften Tabellen geschützt).",
            f"Table {names[ti]}: {int(p_.sum())} cells below the minimum count, {int(s_.sum())} additionally "
            "suppressed (protected jointly with the linked tables).",
            tuple({"table": names[ti], **t.key(j), "count": int(t.values[j])}
                  for j in np.flatnonzero(p_)[:10_000]), False))
    audit_internal = {
        "passed": passed, "method": "heuristic", "linked_tables": names, "linking_equations": len(link),
        "primary_cells": int(primary.sum()), "secondary_cells": int(secondary.sum()),
        "intervals": [{"table": names[int(np.searchsorted(offsets, j, side="right") - 1)],
                       **tables[int(np.searchsorted(offsets, j, side="right") - 1)].key(
                           j - offsets[int(np.searchsorted(offsets, j, side="right") - 1)]),
                       "count": int(values[j]), "lo": i.lo, "hi": i.hi, "required_lo": i.need_lo,
                       "required_hi": i.need_hi, "protected": i.protected, "proof": i.proof}
                      for j, i in sorted(iv.items())],
        "seconds": round(time.monotonic() - t0, 3),
    }
    audit_public = {"passed": passed, "linked_tables": names, "primary_cells": int(primary.sum()),
                    "secondary_cells": int(secondary.sum())}
    loss = {
        "cells_published": int(len(values)),
        "suppressed_cells": int(S.sum()),
        "suppressed_share_of_cells": round(float(S.sum()) / max(1, len(values)), 6),
        "suppressed_share_of_total": round(float(values[S & inner].sum()) / max(1, int(values[inner].sum())), 6)
        if passed else 1.0,
    }
    statement = {
        "de": f"Geheimhaltung (Regelsatz {rules.name}, Version {rules.version}): Werte unter {k} werden mit „.“ "
              f"gesperrt; die {len(tables)} Tabellen dieser Veröffentlichung wurden gemeinsam geschützt, so dass "
              "auch ihre Kombination keinen gesperrten Wert verrät."
              + ("" if passed else " Die Tabellen werden nicht veröffentlicht."),
        "en": f"Disclosure control (rule set {rules.name}, version {rules.version}): values below {k} are "
              f"suppressed with '.'; the {len(tables)} tables of this release were protected jointly, so that "
              "combining them reveals no suppressed value either."
              + ("" if passed else " The tables are not published."),
    }
    import hashlib

    sha = hashlib.sha256("".join(p.sha256() for p in prepared_tables).encode()).hexdigest()
    level = prepared_tables[0].level
    report = Report("publishable" if passed else "withheld", level if passed else None, level,
                    rules.fingerprint(), sha, tuple(level_results), loss, statement, tuple(findings), "cells",
                    extra={"audit": audit_internal}, extra_public={"audit": audit_public})
    return report.outcome, outs, report


__all__ = ["assess_linked", "Assessment"]
