"""Cross-release checks: a new release against everything already published (issue 8).

Pure: no database, no network.  The caller (publisher) hands over the release ledger as data
(:class:`Release` objects) and the candidate release; :func:`check` returns typed findings that name the
earlier releases involved.

Checks
------
* **Temporal differencing** (``FG-XREL-TEMPORAL``): a cell published at the finest geography level whose
  change against the previous period of the same population (same series, or another series declaring the
  same ``population``) is ``1 .. min_count-1`` singles out fewer people than the threshold.
* **Union audit** (``FG-XREL-RECOMPUTABLE`` / ``FG-XREL-NARROWED``): all releases of the same population and
  period - every audience (public and restricted together), every geography level, every hierarchy version
  - are combined into one system of linear constraints over the finest-level cells (an area's cell is the
  sum of the finest cells it contains *in the hierarchy version of its release*; a release without a
  dimension sums over it).  For every suppressed cell of any of these releases we solve two linear
  programs (min/max of the cell) as the attacker of :mod:`disclosure_rules.cells.audit` would; a cell whose
  value is pinned exactly (recomputable) or whose interval lies inside ``1 .. min_count-1`` is a finding.
  Boundary changes (old area minus new area isolating a small group) are caught by the same system, since
  both versions' areas are expressed in the shared finest cells.
* **Corrections** (``FG-XREL-CORRECTION-SMALL-CHANGE``): a correction (a new release of a period already
  published in the series) *supersedes* the release it corrects - the caller leaves the corrected release
  (and its own predecessors of that period) out of ``ledger``, so the union audit never treats two versions
  of the same table as two tables of the same population and period (their different values would make the
  linear system infeasible and hide real findings).  What the public still learns from the pair - the
  difference between old and new value of a cell - is reported by :func:`correction_changes` when it is
  ``1 .. min_count-1``: a *warning* for the DPO, not blocking (withholding a correction would keep wrong
  numbers online; the DPO decides, see docs/rules.md).
All other findings of this module are blocking: approval and publication stop until the DPO has resolved
them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from .cells.audit import protected
from .cells.model import TOTAL
from .findings import Finding, Severity, register

XREL_TEMPORAL = register(
    "FG-XREL-TEMPORAL", Severity.WARNING,
    "Zeitliche Differenz: Gebiet {area}{where_de} ändert sich gegenüber {previous} ({previous_period}) um "
    "{change}; das ist weniger als die Mindestfallzahl {min_count} und hebt Einzelne hervor. "
    "Beteiligte Veröffentlichungen: {releases}.",
    "Temporal differencing: area {area}{where_en} changes by {change} against {previous} ({previous_period}); "
    "that is below the minimum count {min_count} and singles out individuals. Releases involved: {releases}.")
XREL_RECOMPUTABLE = register(
    "FG-XREL-RECOMPUTABLE", Severity.WARNING,
    "Gesperrte Zelle {area}{where_de} in {release} lässt sich aus den zusammen veröffentlichten Tabellen "
    "(Zeitraum {period}) genau zurückrechnen. Beteiligte Veröffentlichungen: {releases}.",
    "Suppressed cell {area}{where_en} in {release} can be recomputed exactly from the tables published "
    "together (period {period}). Releases involved: {releases}.")
XREL_NARROWED = register(
    "FG-XREL-NARROWED", Severity.WARNING,
    "Gesperrte Zelle {area}{where_de} in {release}: aus den zusammen veröffentlichten Tabellen (Zeitraum "
    "{period}) folgt ein Wert zwischen {lo} und {hi}, also unter der Mindestfallzahl {min_count}. "
    "Beteiligte Veröffentlichungen: {releases}.",
    "Suppressed cell {area}{where_en} in {release}: the tables published together (period {period}) pin its "
    "value between {lo} and {hi}, below the minimum count {min_count}. Releases involved: {releases}.")
XREL_NESTED = register(
    "FG-XREL-AREA-DIFFERENCE", Severity.WARNING,
    "Gebietsdifferenz: {area}{where_de} in {release} minus {other_area} in {other} ergibt {difference} "
    "(Zeitraum {period}); die Differenzfläche ({blocks} kleinste Gebiete, z. B. nach Grenzänderung) hebt eine "
    "Gruppe unter der Mindestfallzahl {min_count} hervor. Beteiligte Veröffentlichungen: {releases}.",
    "Area differencing: {area}{where_en} in {release} minus {other_area} in {other} gives {difference} "
    "(period {period}); the difference area ({blocks} finest areas, e.g. after a boundary change) singles out "
    "a group below the minimum count {min_count}. Releases involved: {releases}.")
XREL_CORRECTION_SMALL = register(
    "FG-XREL-CORRECTION-SMALL-CHANGE", Severity.WARNING,
    "Korrektur von {corrected}: {changed} veröffentlichte Zellen ändern sich um 1 bis {max_change} "
    "(weniger als die Mindestfallzahl {min_count}), z. B. {example}. Der Vergleich mit der berichtigten "
    "Veröffentlichung zeigt, dass dort einzelne Personen hinzugekommen oder weggefallen sind. Hinweis, "
    "sperrt die Freigabe nicht.",
    "Correction of {corrected}: {changed} published cells change by 1 to {max_change} (less than the minimum "
    "count {min_count}), e.g. {example}. Comparing with the corrected release shows that individuals were "
    "added or removed there. Warning, does not block approval.")
XREL_CATEGORIES = register(
    "FG-XREL-CATEGORIES-DIFFER", Severity.WARNING,
    "Das Merkmal {dimension} ist in den Tabellen desselben Zeitraums ({period}) unterschiedlich gegliedert: "
    "{release} hat {categories}, {other} hat {other_categories}. Fasst eine Kategorie andere zusammen, kann die "
    "Prüfung Rückrechnungen über diese Zusammenfassung nicht erkennen: bitte von Hand prüfen. "
    "Beteiligte Veröffentlichungen: {releases}.",
    "Dimension {dimension} is broken down differently in the tables of the same period ({period}): {release} "
    "has {categories}, {other} has {other_categories}. Where one category groups others, the check cannot see "
    "recomputations through that grouping: please check by hand. Releases involved: {releases}.")
XREL_OK = register(
    "FG-XREL-OK", Severity.INFO,
    "Abgleich mit {count} {count:früheren Veröffentlichung|früheren Veröffentlichungen}: keine Aufdeckung über "
    "Veröffentlichungen hinweg.",
    "Checked against {count} earlier {count:release|releases}: no disclosure across releases.")

BLOCKING_CODES = frozenset({XREL_TEMPORAL, XREL_RECOMPUTABLE, XREL_NARROWED, XREL_NESTED})


@dataclass(frozen=True)
class Cell:
    area: str
    dims: tuple[tuple[str, str], ...]  # sorted (dimension, category) pairs
    count: int | None  # None where suppressed
    status: str = "ok"  # ok | zero | primary | secondary | suppressed

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Release:
    """One published (or candidate) release, as the ledger records it."""

    label: str  # e.g. "gefluechtete-monatlich 1.3.0 (öffentlich)"; used in findings
    series: str
    period: str  # reference period; ISO strings sort chronologically (2026-10, 2026-W05, 2026-10-31)
    audience: str  # public | restricted
    level: str  # geography level of the cells
    finest_level: str  # the hierarchy's finest level
    hierarchy: str  # hierarchy name + version, e.g. "berlin-lor v2"
    membership: Mapping[str, Sequence[str]]  # area -> finest codes it contains (in this hierarchy version)
    cells: tuple[Cell, ...]
    population: str = ""  # releases with the same population are checked together; default: the series
    dimensions: tuple[str, ...] = ()

    @property
    def population_key(self) -> str:
        return self.population or self.series


@dataclass(frozen=True)
class CheckParams:
    min_count: int = 3
    zeros_are_disclosive: bool = False
    differencing: bool = True  # temporal differencing check
    protection_width: int = 0

    @classmethod
    def from_rules(cls, rules: Any) -> "CheckParams":
        cells = getattr(rules, "cells", None)
        return cls(min_count=int(rules.min_count), zeros_are_disclosive=bool(rules.zeros_are_disclosive),
                   differencing=bool(getattr(rules, "differencing", True)),
                   protection_width=int(getattr(cells, "protection_width", 0) or 0))


@dataclass(frozen=True)
class CrossReleaseResult:
    findings: tuple[Finding, ...]
    compared: tuple[str, ...] = field(default_factory=tuple)  # labels of the earlier releases looked at

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.code in BLOCKING_CODES)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "compared": list(self.compared), "findings": [f.to_dict() for f in self.findings]}


def make_cells(rows: Iterable[Mapping[str, Any]], dimensions: Sequence[str]) -> tuple[Cell, ...]:
    """Cells from rows like the releasable table's (``area``, dimension columns, ``count`` (None/NA where
    suppressed), ``status``)."""
    out = []
    for r in rows:
        count = r.get("count")
        try:
            missing = count is None or bool(count != count) or str(count) in ("<NA>", "nan", "")
        except (TypeError, ValueError):  # pandas NA
            missing = True
        out.append(Cell(str(r["area"]), tuple(sorted((d, str(r[d])) for d in dimensions)),
                        None if missing else int(count), str(r.get("status") or ("suppressed" if missing else "ok"))))
    return tuple(out)


def _where(dims: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    if not dims:
        return "", ""
    text = ", ".join(f"{d}={v}" for d, v in dims)
    return f" ({text})", f" ({text})"


def _labels(releases: Iterable[Release]) -> str:
    return ", ".join(sorted({r.label for r in releases}))


# --- temporal differencing ---------------------------------------------------------------------------------

def _constant_dims(r: Release) -> dict[str, str]:
    values: dict[str, set[str]] = {}
    for c in r.cells:
        for d, v in c.dims:
            values.setdefault(d, set()).add(v)
    return {d: next(iter(v)) for d, v in values.items() if len(v) == 1}


def temporal(candidate: Release, ledger: Sequence[Release], params: CheckParams) -> list[Finding]:
    if not params.differencing or candidate.level != candidate.finest_level:
        return []
    earlier = [r for r in ledger if r.population_key == candidate.population_key and r.period < candidate.period
               and r.level == candidate.level and r.label != candidate.label]
    if not earlier:
        return []
    prev_period = max(r.period for r in earlier)
    previous = [r for r in earlier if r.period == prev_period]
    findings = []
    seen: set[tuple] = set()
    for prev in previous:
        # a dimension with one category per release that differs between them is the period itself
        # (e.g. a column "monat"): it is left out of the cell key
        cd, pd_ = _constant_dims(candidate), _constant_dims(prev)
        drop = {d for d in cd.keys() & pd_.keys() if cd[d] != pd_[d]}

        def key_of(cell: Cell) -> tuple:
            return cell.area, tuple((d, v) for d, v in cell.dims if d not in drop)

        now = {key_of(c): c for c in candidate.cells if not c.suppressed}
        for c in prev.cells:
            key = key_of(c)
            if c.suppressed or key not in now or key in seen:
                continue
            change = now[key].count - c.count
            if 1 <= abs(change) <= params.min_count - 1:
                seen.add(key)
                w_de, w_en = _where(key[1])
                findings.append(Finding(XREL_TEMPORAL, {
                    "area": c.area, "where_de": w_de, "where_en": w_en, "change": f"{change:+d}",
                    "previous": prev.label, "previous_period": prev.period, "min_count": params.min_count,
                    "releases": _labels([candidate, prev]), "release_labels": sorted({candidate.label, prev.label}),
                }))
    return findings


# --- union audit -------------------------------------------------------------------------------------------

def _categories(r: Release) -> dict[str, frozenset[str]]:
    """dimension -> the categories a release breaks it down into (margins ``Insgesamt`` aside)."""
    out: dict[str, set[str]] = {}
    for c in r.cells:
        for d, v in c.dims:
            if v != TOTAL:
                out.setdefault(d, set()).add(v)
    return {d: frozenset(v) for d, v in out.items()}


def _forms(releases: Sequence[Release]):
    """Every cell of every release as a linear form over finest-level variables."""
    all_dims = sorted({d for r in releases for c in r.cells for d, _ in c.dims})
    cats: dict[str, set[str]] = {d: set() for d in all_dims}
    for r in releases:
        for d, vs in _categories(r).items():
            cats[d] |= vs
    var_index: dict[tuple, int] = {}

    def var(code: str, full: tuple) -> int:
        return var_index.setdefault((code, full), len(var_index))

    forms = []  # (release, cell, [var ids])
    for r in releases:
        for c in r.cells:
            finest = r.membership.get(c.area) or ((c.area,) if r.level == r.finest_level else ())
            if not finest:
                continue
            # the margin over a dimension ("Insgesamt", as the cells scope writes it) is the sum over all its
            # categories, not a category of its own: an attacker adds the parts up
            given = {d: v for d, v in c.dims if v != TOTAL}
            combos: list[dict] = [{}]
            for d in all_dims:
                values = [given[d]] if d in given else sorted(cats[d])
                combos = [{**k, d: v} for k in combos for v in values]
            ids = [var(code, tuple(sorted(k.items()))) for code in finest for k in combos]
            forms.append((r, c, ids))
    return forms, len(var_index)


def union_audit(candidate: Release, ledger: Sequence[Release], params: CheckParams) -> list[Finding]:
    group = [r for r in ledger if r.population_key == candidate.population_key and r.period == candidate.period
             and r.label != candidate.label]
    if not group:
        return []
    releases = [candidate, *group]
    forms, n = _forms(releases)
    if n == 0:
        return []
    published = [(r, c, ids) for r, c, ids in forms if not c.suppressed]
    hidden = [(r, c, ids) for r, c, ids in forms if c.suppressed]
    if not hidden:
        return []
    rows, cols = [], []
    for i, (_, _, ids) in enumerate(published):
        rows.extend([i] * len(ids))
        cols.extend(ids)
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(published), n))
    b = np.array([float(c.count) for _, c, _ in published])
    # components of variables linked through published constraints and hidden cells
    links_r, links_c = list(rows), list(cols)
    off = len(published)
    for j, (_, _, ids) in enumerate(hidden):
        links_r.extend([off + j] * len(ids))
        links_c.extend(ids)
    inc = sp.csr_matrix((np.ones(len(links_r)), (links_r, links_c)), shape=(off + len(hidden), n))
    _, label = connected_components((inc.T @ inc).tocsr(), directed=False)
    findings: list[Finding] = []
    reported: set[tuple] = set()
    k = params.min_count
    already_public = {frozenset(ids) for _, _, ids in published}
    for r, c, ids in hidden:
        key = (r.label, c.area, c.dims)
        if key in reported or frozenset(ids) in already_public:
            continue  # the same cell is published elsewhere (e.g. a correction suppresses more): nothing new
        comp = label[ids[0]]
        members = np.flatnonzero(label == comp)
        pos = {int(v): i for i, v in enumerate(members)}
        sub = A[:, members]
        crow = np.flatnonzero(np.diff(sub.tocsr().indptr) > 0)
        if len(crow) == 0:
            continue  # nothing published about these cells: unconstrained
        Aeq, beq = sub[crow], b[crow]
        obj = np.zeros(len(members))
        for v in ids:
            obj[pos[int(v)]] += 1.0
        lo = linprog(obj, A_eq=Aeq, b_eq=beq, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_eq=Aeq, b_eq=beq, bounds=(0, None), method="highs")
        if lo.status != 0:
            continue  # infeasible: published tables inconsistent (another finding's business), or solver trouble
        lo_v = float(lo.fun)
        hi_v = float(-hi.fun) if hi.status == 0 else float("inf")
        involved = {r.label}
        for i in crow:
            involved.add(published[int(i)][0].label)
        if len(involved) < 2 or candidate.label not in involved:
            continue  # one release alone (the within-table audit's business) or nothing new from the candidate
        w_de, w_en = _where(c.dims)
        base = {"area": c.area, "where_de": w_de, "where_en": w_en, "release": r.label, "period": candidate.period,
                "releases": ", ".join(sorted(involved)), "release_labels": sorted(involved)}
        if hi_v - lo_v < 0.5:
            findings.append(Finding(XREL_RECOMPUTABLE, base))
            reported.add(key)
        elif not protected(lo_v, hi_v, k, params.zeros_are_disclosive, params.protection_width) and \
                lo_v >= (0 if params.zeros_are_disclosive else 1) - 1e-6:
            findings.append(Finding(XREL_NARROWED, {**base, "lo": int(np.floor(lo_v + 1e-6)),
                                                    "hi": int(np.ceil(hi_v - 1e-6)), "min_count": k}))
            reported.add(key)
    return findings


def _finest(r: Release, area: str) -> frozenset[str]:
    codes = r.membership.get(area)
    if codes:
        return frozenset(codes)
    return frozenset((area,)) if r.level == r.finest_level else frozenset()


def area_differences(candidate: Release, ledger: Sequence[Release], params: CheckParams) -> list[Finding]:
    """Published cells of two releases (same population, period and categories) whose areas are nested
    (e.g. the same Stadtteil code before and after a boundary change): their difference must not be
    ``1 .. min_count-1``."""
    group = [r for r in ledger if r.population_key == candidate.population_key and r.period == candidate.period
             and r.label != candidate.label]
    findings: list[Finding] = []
    k = params.min_count
    mine = {}
    for c in candidate.cells:
        if not c.suppressed:
            mine.setdefault(c.dims, []).append(c)
    for other in group:
        index: dict[tuple, dict[str, list[Cell]]] = {}
        for c in other.cells:
            if c.suppressed:
                continue
            for code in _finest(other, c.area):
                index.setdefault(c.dims, {}).setdefault(code, []).append(c)
        for dims, cells in mine.items():
            by_code = index.get(dims)
            if not by_code:
                continue
            for c1 in cells:
                s1 = _finest(candidate, c1.area)
                touching = {id(c2): c2 for code in s1 for c2 in by_code.get(code, ())}
                for c2 in touching.values():
                    s2 = _finest(other, c2.area)
                    if s1 == s2 or not (s1 < s2 or s2 < s1):
                        continue
                    big, small = (c1, c2) if s2 < s1 else (c2, c1)
                    diff = big.count - small.count
                    if 1 <= diff <= k - 1:
                        w_de, w_en = _where(dims)
                        big_rel, small_rel = (candidate, other) if big is c1 else (other, candidate)
                        findings.append(Finding(XREL_NESTED, {
                            "area": big.area, "where_de": w_de, "where_en": w_en, "release": big_rel.label,
                            "other_area": small.area, "other": small_rel.label, "difference": diff,
                            "period": candidate.period, "blocks": len(s1 ^ s2), "min_count": k,
                            "releases": _labels([candidate, other]),
                            "release_labels": sorted({candidate.label, other.label})}))
    return findings


def correction_changes(candidate: Release, corrected: Release, params: CheckParams) -> list[Finding]:
    """Cells published in both the corrected release and its correction whose value changes by
    ``1 .. min_count-1`` (at any level): one non-blocking finding with their number and an example."""
    k = params.min_count
    old = {(c.area, c.dims): c for c in corrected.cells if not c.suppressed}
    small = []
    for c in candidate.cells:
        prev = old.get((c.area, c.dims))
        if c.suppressed or prev is None:
            continue
        change = c.count - prev.count
        if 1 <= abs(change) <= k - 1:
            small.append((c, change))
    if not small:
        return []
    first, change = small[0]
    w_de, _ = _where(first.dims)
    return [Finding(XREL_CORRECTION_SMALL, {
        "corrected": corrected.label, "changed": len(small), "max_change": k - 1, "min_count": k,
        "example": f"{first.area}{w_de} {change:+d}", "release_labels": sorted({candidate.label, corrected.label}),
    })]


def category_differences(candidate: Release, ledger: Sequence[Release]) -> list[Finding]:
    """One warning per dimension whose categories differ between the candidate and a release of the same
    population and period (margins ``Insgesamt`` aside): the union audit models every category as disjoint,
    so a category that groups others (``Duldung oder Sonstige``) is not linked to its parts."""
    mine = _categories(candidate)
    findings, seen = [], set()
    for other in ledger:
        if other.population_key != candidate.population_key or other.period != candidate.period:
            continue
        theirs = _categories(other)
        for d in sorted(set(mine) & set(theirs)):
            if d in seen or mine[d] == theirs[d] or mine[d] <= theirs[d] or theirs[d] <= mine[d]:
                continue  # same breakdown, or one table shows only some of the other's categories
            seen.add(d)
            findings.append(Finding(XREL_CATEGORIES, {
                "dimension": d, "period": candidate.period, "release": candidate.label, "other": other.label,
                "categories": ", ".join(sorted(mine[d])), "other_categories": ", ".join(sorted(theirs[d])),
                "releases": _labels([candidate, other]), "release_labels": sorted({candidate.label, other.label})}))
    return findings


def check(candidate: Release, ledger: Sequence[Release], params: CheckParams | None = None,
          corrected: Release | None = None) -> CrossReleaseResult:
    """All cross-release checks of ``candidate`` against the published ``ledger``.

    ``corrected``: when the candidate is a correction, the release it corrects.  It must not be in
    ``ledger`` (the correction supersedes it); it is only compared cell by cell (:func:`correction_changes`).
    """
    params = params or CheckParams()
    ledger = [r for r in ledger if r.label != candidate.label]
    findings = (temporal(candidate, ledger, params) + area_differences(candidate, ledger, params)
                + union_audit(candidate, ledger, params) + category_differences(candidate, ledger))
    if corrected is not None:
        findings += correction_changes(candidate, corrected, params)
    compared = tuple(sorted({r.label for r in ledger if r.population_key == candidate.population_key}
                            | ({corrected.label} if corrected is not None else set())))
    if not findings:
        findings = [Finding(XREL_OK, {"count": len(compared)})]
    return CrossReleaseResult(tuple(findings), compared)


__all__ = ["Cell", "Release", "CheckParams", "CrossReleaseResult", "make_cells", "temporal", "union_audit",
           "check", "area_differences", "correction_changes", "category_differences", "XREL_CATEGORIES", "BLOCKING_CODES", "XREL_CORRECTION_SMALL", "XREL_NESTED", "XREL_TEMPORAL", "XREL_RECOMPUTABLE", "XREL_NARROWED", "XREL_OK"]
