"""Magnitude tables (issue 5 item 2): sums such as benefit amounts per area, with the number of contributors
and the largest contributions per cell.

Primary rules, on every cell of the table with margins:

* **minimum number of contributors**: ``0 < contributors < min_count``;
* **(n,k)-dominance**: the ``n`` largest contributions exceed ``k`` % of the cell value;
* **p % rule**: the second-largest contributor could estimate the largest to within ``p`` %:
  ``X - x1 - x2 < p/100 · x1``.

Each sensitive cell gets a *required protection* ``R`` (τ-ARGUS' protection levels): ``(100/k)·(x1+…+xn) - X``
for dominance, ``p/100·x1 - (X - x1 - x2)`` for the p % rule, ``protection_pct`` % of ``X`` for too few
contributors (the largest applies).  The secondary suppression is the audit-and-repair loop of
:mod:`.suppress` with this requirement: a sensitive cell is protected when the attacker's interval (linear
programming: amounts are not integers) reaches ``X + R`` above and ``max(0, X - R)`` below.

Insiders (``[cells] insiders = true``): the largest contributor of a sensitive cell knows the cell is at least
its own contribution, and a single contributor knows the cell's amount exactly.  The audit of a cell ``p``
gives the attacker all these facts about every *other* sensitive cell at once.

Margins: value and contributors are sums; a margin's largest contributions are the largest among those of
the cells it covers.  This assumes a contributor appears in one cell only (e.g. one benefit case per area);
where the same enterprise contributes to several cells the office must supply the margins' top
contributions itself (not supported yet).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..assess import STATUS_CATEGORIES, Assessment
from ..findings import Finding, InputError, Severity, plural, register
from ..readers import RawTable, parse_number_column
from ..report import LevelResult, Report
from ..table import prepare_table
from .audit import Interval, intervals
from .model import build, covering
from .suppress import cell_cost, heuristic

M_BAD_VALUE = register(
    "FG-MAGNITUDE-BAD-VALUE", Severity.ERROR,
    "„{value}“ ist kein zulässiger Betrag (eine Zahl ≥ 0).",
    "'{value}' is not a valid amount (a number ≥ 0).")
M_TOP_ORDER = register(
    "FG-MAGNITUDE-TOP-INCONSISTENT", Severity.ERROR,
    "Die größten Beiträge passen nicht zum Zellwert: {detail}.",
    "The largest contributions do not fit the cell value: {detail}.")
M_TOO_FEW_TOP = register(
    "FG-MAGNITUDE-TOO-FEW-TOP-COLUMNS", Severity.ERROR,
    "Die Regeln brauchen die {need} größten Beiträge je Zelle; angegeben sind {have} Spalten.",
    "The rules need the {need} largest contributions per cell; {have} columns are given.")
M_AUDIT_FAILED = register(
    "FG-MAGNITUDE-AUDIT-FAILED", Severity.WARNING,
    "Das Sperrmuster der Wertetabelle besteht die Angriffsprüfung nicht ({n} {n:Zelle|Zellen} zu eng eingrenzbar); die "
    "Tabelle wird nicht veröffentlicht.",
    "The suppression pattern of the magnitude table fails the attacker audit ({n} {n:cell|cells} can be narrowed down "
    "too far); the table is not published.")


@dataclass(frozen=True)
class MagnitudeTable:
    prepared: object  # PreparedTable; its ``count`` is the number of contributors
    value: np.ndarray  # float, per row of prepared.data
    top: np.ndarray  # (rows, t) float, largest contributions descending
    value_column: str


def prepare_magnitude(raw, hierarchy, geo_column: str, value_column: str, contributors_column: str,
                      top_columns: list[str], dimensions: list[str] | None = None) -> MagnitudeTable:
    """Validate a magnitude table: geography, dimensions and contributors as any count table (total rows,
    unknown codes, duplicates ...), amounts ≥ 0, top contributions descending and within the value."""
    if isinstance(raw, pd.DataFrame):
        raw = RawTable.from_frame(raw)
    dims = list(dimensions or [])
    keep = [geo_column, contributors_column, *dims]
    sub = RawTable(raw.frame[[c for c in raw.frame.columns if c in keep]], raw.source_rows, raw.filename,
                   raw.encoding, raw.delimiter, raw.sheet, raw.header_row, raw.findings)
    for c in [value_column, *top_columns]:
        if c not in raw.frame.columns:
            from ..table import T_COLUMN_MISSING

            raise InputError(Finding(T_COLUMN_MISSING, {"column": c, "columns": ", ".join(raw.columns)},
                                     file=raw.filename, column=c))
    prepared = prepare_table(sub, hierarchy, geo_column=geo_column, count_columns=[contributors_column],
                             dimensions=dims)
    pos = {int(r): i for i, r in enumerate(raw.source_rows)}
    idx = np.asarray([pos[int(r)] for r in prepared.source_rows], dtype=np.int64)
    problems: list[Finding] = []

    def numbers(col: str) -> np.ndarray:
        vals, prob = parse_number_column(raw.frame[col].iloc[idx].reset_index(drop=True))
        bad = (prob.to_numpy(dtype=object) != "") | ~(vals >= 0)
        for i in np.flatnonzero(bad)[:50]:
            problems.append(Finding(M_BAD_VALUE, {"value": raw.frame[col].iloc[idx[i]]}, file=raw.filename,
                                    row=int(prepared.source_rows[i]), column=col))
        return np.where(bad, 0.0, vals)

    value = numbers(value_column)
    top = np.column_stack([numbers(c) for c in top_columns]) if top_columns else np.zeros((len(idx), 0))
    if not problems and top.shape[1]:
        n_contrib = prepared.data["count"].to_numpy()
        for i in range(len(idx)):
            t = top[i]
            detail = None
            if np.any(np.diff(t) > 1e-9):
                detail = "nicht absteigend / not descending"
            elif t.sum() > value[i] * (1 + 1e-9) + 1e-9:
                detail = f"Summe {t.sum():g} > Wert {value[i]:g} / sum {t.sum():g} > value {value[i]:g}"
            elif np.count_nonzero(t) > n_contrib[i]:
                detail = (f"{np.count_nonzero(t)} Beiträge > {n_contrib[i]} Beitragende / "
                          f"{np.count_nonzero(t)} contributions > {n_contrib[i]} contributors")
            if detail:
                problems.append(Finding(M_TOP_ORDER, {"detail": detail}, file=raw.filename,
                                        row=int(prepared.source_rows[i]), column=top_columns[0]))
                if len(problems) >= 50:
                    break
    if problems:
        raise InputError(problems)
    return MagnitudeTable(prepared, value, top, value_column)


def magnitude_sha256(mt: MagnitudeTable) -> str:
    """Canonical hash of a magnitude table: keys and contributors (the prepared table's hash), amounts and
    largest contributions."""
    import hashlib

    h = hashlib.sha256(mt.prepared.sha256().encode())
    h.update(mt.value_column.encode("utf-8") + b"\0")
    h.update(np.ascontiguousarray(mt.value, dtype="<f8").tobytes())
    h.update(np.ascontiguousarray(mt.top, dtype="<f8").tobytes())
    return h.hexdigest()


def _margin_top(table, cells_rows: tuple[np.ndarray, np.ndarray], top: np.ndarray) -> np.ndarray:
    """Per cell: its ``t`` largest contributions (from the covered rows' largest contributions)."""
    cells, rows = cells_rows
    t = top.shape[1]
    out = np.zeros((table.n, t))
    if t == 0:
        return out
    c = np.repeat(cells, t)
    v = top[rows].reshape(-1)
    order = np.lexsort((-v, c))
    c, v = c[order], v[order]
    start = np.searchsorted(c, np.arange(table.n))
    rank = np.arange(len(c)) - start[c]
    keep = rank < t
    out[c[keep], rank[keep]] = v[keep]
    return out


def required_protection(value, contributors, top, rules) -> tuple[np.ndarray, np.ndarray]:
    """(sensitive mask, required protection) per cell."""
    dom = rules.dominance
    req = np.zeros(len(value))
    sens = np.zeros(len(value), dtype=bool)
    few = (contributors > 0) & (contributors < rules.min_count)
    sens |= few
    req = np.where(few, np.maximum(req, value * float(dom.protection_pct) / 100.0), req)
    if dom.enabled and float(dom.k) < 100:
        top_n = top[:, :int(dom.n)].sum(axis=1)
        hit = (value > 0) & (top_n > float(dom.k) / 100.0 * value + 1e-9)
        sens |= hit
        req = np.where(hit, np.maximum(req, 100.0 / float(dom.k) * top_n - value), req)
    if dom.enabled and float(dom.p) > 0:
        x1, x2 = top[:, 0], top[:, 1]
        rest = value - x1 - x2
        hit = (value > 0) & (rest < float(dom.p) / 100.0 * x1 - 1e-9)
        sens |= hit
        req = np.where(hit, np.maximum(req, float(dom.p) / 100.0 * x1 - rest), req)
    sens &= value > 0
    return sens, np.where(sens, np.maximum(req, 1e-6), 0.0)


def mag_protected(v: float, req: float, iv: Interval) -> bool:
    return iv.hi >= v + req - 1e-6 and iv.lo <= max(0.0, v - req) + 1e-6


@dataclass(frozen=True)
class MagVerdict:
    cell: int
    lo: float
    hi: float
    need_lo: float
    need_hi: float
    protected: bool
    proof: str = "lp"
    support: tuple = ()


@dataclass(frozen=True)
class MagRequirement:
    primary: np.ndarray
    need_hi: np.ndarray
    need_lo: np.ndarray
    lb: np.ndarray  # insiders: the largest contribution of every other sensitive cell
    ub: np.ndarray  # insiders: a single contributor's amount


def insider_bounds(value, contributors, top, sens, insiders: bool) -> tuple[np.ndarray, np.ndarray]:
    big = 2.0 * float(np.abs(value).sum()) + 10.0
    lb = np.zeros(len(value))
    ub = np.full(len(value), big)
    if insiders:
        lb = np.where(sens, top[:, 0] if top.shape[1] else 0.0, 0.0)
        single = sens & (contributors == 1)
        lb = np.where(single, value, lb)
        ub = np.where(single, value, ub)
    return lb, ub


def assess_magnitude(mt: MagnitudeTable, hierarchy, rules) -> Assessment:
    t0 = time.monotonic()
    dom = rules.dominance
    need = max(int(dom.n) if dom.enabled and float(dom.k) < 100 else 0, 2 if dom.enabled and dom.p > 0 else 0)
    if mt.top.shape[1] < need:
        raise InputError(Finding(M_TOO_FEW_TOP, {"need": need, "have": mt.top.shape[1]}))
    table = build(mt.prepared, hierarchy)
    cov = covering(table)
    value = np.zeros(table.n)
    np.add.at(value, cov[0], mt.value[cov[1]])
    contributors = table.values
    top = _margin_top(table, cov, mt.top)
    sens, req = required_protection(value, contributors, top, rules)
    cost = cell_cost(value, table.inner, "total")
    findings = list(mt.prepared.findings) + list(hierarchy.findings)

    def check(j, iv):
        return mag_protected(float(value[j]), float(req[j]), iv)

    lb, ub = insider_bounds(value, contributors, top, sens, rules.cells.insiders)
    mreq = MagRequirement(sens, value + req, np.maximum(0.0, value - req), lb, ub)

    def auditor(S, cells):
        got = intervals(table.A, value, S, cells=[int(c) for c in cells if S[int(c)]], lb=lb, ub=ub,
                        own_bound=False)
        out = {}
        for c in cells:
            c = int(c)
            i = got.get(c, Interval(c, float(value[c]), float(value[c])))
            out[c] = MagVerdict(c, i.lo, i.hi, float(mreq.need_lo[c]), float(mreq.need_hi[c]), check(c, i))
        return out

    S, iv, passed = heuristic(table.A, value, sens, rules.min_count, False, 0, cost, req=mreq, auditor=auditor,
                              deadline=t0 + max(rules.cells.time_limit_s, 5.0))
    secondary = S & ~sens
    if not passed:
        bad = sum(not i.protected for j, i in iv.items() if sens[j])
        findings.append(Finding(M_AUDIT_FAILED, {"n": bad}))
    outcome = "publishable" if passed else "withheld"
    releasable = None
    if passed:
        frame = table.frame()
        vals = pd.array(np.where(S, 0.0, value), dtype="Float64")
        vals[S] = pd.NA
        frame[mt.value_column] = vals
        status = np.where(sens, 2, np.where(secondary, 3, np.where(value == 0, 1, 0))).astype(np.int8)
        frame["status"] = pd.Categorical.from_codes(status, categories=STATUS_CATEGORIES)
        releasable = frame
    levels = []
    for li, lv in enumerate(table.levels):
        m = table.geo_level[table.cell_geo] == li
        n_p, n_s = int((sens & m).sum()), int((secondary & m).sum())
        levels.append(LevelResult(
            lv, int(m.sum()), n_p, "released" if passed else "withheld", "cells_suppressed",
            f"{n_p} {plural(n_p, 'Zelle', 'Zellen')} nach Fallzahl-/Dominanzregeln und {n_s} zusätzliche "
            f"{plural(n_s, 'Zelle', 'Zellen')} gesperrt.",
            f"{n_p} {plural(n_p, 'cell', 'cells')} by the contributor/dominance rules and {n_s} additional "
            f"{plural(n_s, 'cell', 'cells')} suppressed.",
            tuple({**table.key(j), "value": float(value[j]), "contributors": int(contributors[j]),
                   "required_protection": round(float(req[j]), 6)} for j in np.flatnonzero(sens & m)[:10_000]),
            False))
    inner_total = float(value[table.inner].sum())
    loss = {
        "cells_published": int(table.n),
        "suppressed_cells": int(S.sum()),
        "suppressed_share_of_cells": round(float(S.sum()) / max(1, table.n), 6),
        "suppressed_share_of_total": round(float(value[S & table.inner].sum()) / inner_total, 6)
        if inner_total > 0 and passed else (1.0 if not passed else 0.0),
    }
    audit_internal = {
        "passed": passed, "method": "heuristic", "primary_cells": int(sens.sum()),
        "secondary_cells": int(secondary.sum()),
        "intervals": [{**table.key(j), "value": float(value[j]), "required_protection": round(float(req[j]), 6),
                       "lo": round(i.lo, 6), "hi": round(i.hi, 6), "protected": i.protected}
                      for j, i in sorted(iv.items()) if sens[j]],
        "insiders": bool(rules.cells.insiders),
        "seconds": round(time.monotonic() - t0, 3),
    }
    audit_public = {"passed": passed, "primary_cells": int(sens.sum()), "secondary_cells": int(secondary.sum())}
    rule_de = [f"weniger als {rules.min_count} Beitragende"]
    rule_en = [f"fewer than {rules.min_count} contributors"]
    if dom.enabled and float(dom.k) < 100:
        rule_de.append(f"({dom.n},{dom.k:g})-Dominanz")
        rule_en.append(f"({dom.n},{dom.k:g}) dominance")
    if dom.enabled and dom.p > 0:
        rule_de.append(f"p%-Regel mit p = {dom.p:g}")
        rule_en.append(f"p% rule with p = {dom.p:g}")
    statement = {
        "de": f"Geheimhaltung (Regelsatz {rules.name}, Version {rules.version}): Werte mit "
              + ", ".join(rule_de) + " werden mit „.“ gesperrt"
              + (f", {int(secondary.sum())} weitere Zellen zusätzlich, damit sie nicht aus Summen "
                 "eingegrenzt werden können (geprüft mit linearer Optimierung)." if passed else
                 "; die Tabelle wird nicht veröffentlicht."),
        "en": f"Disclosure control (rule set {rules.name}, version {rules.version}): values with "
              + ", ".join(rule_en) + " are suppressed with '.'"
              + (f", {int(secondary.sum())} further cells additionally so that they cannot be narrowed down "
                 "from totals (checked with linear programming)." if passed else "; the table is not published."),
    }
    sha = magnitude_sha256(mt)
    report = Report(outcome, mt.prepared.level if passed else None, mt.prepared.level, rules.fingerprint(), sha,
                    tuple(levels), loss, statement, tuple(findings), "cells",
                    extra={"audit": audit_internal}, extra_public={"audit": audit_public})
    return Assessment(outcome, mt.prepared.level if passed else None, releasable, report, report.findings, sha)
