"""Cross-release checks: a new release against everything already published (issues 8 and 13).

Pure: no database, no network.  The caller (publisher) hands over the release ledger as data
(:class:`Release` objects, with the true counts of the cells where the raw data is still stored), the
reference data (:class:`Reference`: populations with their nesting, declared category groupings) and the
candidate; :func:`check` returns typed findings that name the releases involved.

What is checked (details in the modules, guarantees in docs/rules.md):

* :mod:`.union` - all releases of the candidate's period whose populations are nested with the candidate's
  (public and restricted, every level, hierarchy and version, declared groupings), as one integer system;
  every finest common cell and every difference of nested populations that the releases together pin below
  the minimum count is blocking, an inconsistent or unsolved system too (fail closed);
* :mod:`.categories` - an undeclared different breakdown of a dimension blocks;
* :mod:`.temporal` - each cell against its last published value; shifted suppression patterns between
  consecutive periods and between a release and its correction, linked through the unchanged cells.
"""
from __future__ import annotations

from typing import Sequence

from .categories import categories, undeclared
from .codes import (BLOCKING_CODES, XREL_CATEGORIES, XREL_CATEGORIES_UNDECLARED, XREL_CORRECTION_SMALL,
                    XREL_DERIVED, XREL_INCONSISTENT, XREL_NARROWED, XREL_NESTED, XREL_OK, XREL_PREEXISTING,
                    XREL_RECOMPUTABLE, XREL_SECONDARY, XREL_SHIFT_UNVERIFIED, XREL_SHIFTED, XREL_TEMPORAL,
                    XREL_TEMPORAL_GAP, XREL_UNSOLVED)
from .model import (TOTAL, Cell, CheckParams, Compared, CrossReleaseResult, Reference, Release, make_cells)
from .temporal import correction_changes, shifted, temporal
from .union import union_audit
from ..findings import Finding


def family_of(candidate: Release, reference: Reference) -> frozenset[str]:
    return reference.family(candidate.population_key)


def same_period(candidate: Release, ledger: Sequence[Release], reference: Reference) -> list[Release]:
    fam = family_of(candidate, reference)
    return [r for r in ledger if r.period == candidate.period and r.population_key in fam
            and r.label != candidate.label]


def previous_state(candidate: Release, ledger: Sequence[Release], reference: Reference) -> list[Release]:
    """The releases of the population family in the period before the candidate's (the previous period of
    the candidate's series, or of its population when the series has none)."""
    fam = family_of(candidate, reference)
    own = [r.period for r in ledger if r.period < candidate.period and r.series == candidate.series]
    if not own:
        own = [r.period for r in ledger if r.period < candidate.period and r.population_key in fam]
    if not own:
        return []
    prev = max(own)
    return [r for r in ledger if r.period == prev and r.population_key in fam]


def history(candidate: Release, ledger: Sequence[Release]) -> list[Release]:
    return [r for r in ledger if r.period < candidate.period
            and (r.population_key == candidate.population_key or r.series == candidate.series)]


def relevant(candidate: Release, ledger: Sequence[Release], reference: Reference | None = None) -> list[Release]:
    """Releases whose true counts (raw data) the checks can use: same period and previous period."""
    reference = reference or Reference()
    ledger = [r for r in ledger if r.label != candidate.label]
    return same_period(candidate, ledger, reference) + previous_state(candidate, ledger, reference)


def check(candidate: Release, ledger: Sequence[Release], params: CheckParams | None = None,
          corrected: Release | None = None, reference: Reference | None = None) -> CrossReleaseResult:
    """All cross-release checks of ``candidate`` against the published ``ledger``.

    ``corrected``: when the candidate is a correction, the release it corrects.  It must not be in
    ``ledger`` (the correction supersedes it in the union audit); it is compared cell by cell
    (:func:`correction_changes`) and, when the suppression pattern shifted, audited together with the
    correction through the unchanged cells.
    """
    params = params or CheckParams()
    reference = reference or Reference()
    ledger = [r for r in ledger if r.label != candidate.label]
    group = same_period(candidate, ledger, reference)
    past = history(candidate, ledger)
    prev = previous_state(candidate, ledger, reference)
    findings: list[Finding] = []
    findings += temporal(candidate, past, params)
    findings += undeclared(candidate, group, reference)
    findings += union_audit(candidate, group, params, reference)
    if prev:
        p = prev[0].period
        findings += shifted([candidate, *group], prev, params, reference,
                            (f"Vorperiode {p}", f"previous period {p}"), candidate.period)
    if corrected is not None:
        findings += correction_changes(candidate, corrected, params)
        findings += shifted([candidate, *group], [corrected, *group], params, reference,
                            ("korrigierte Veröffentlichung", "corrected release"), candidate.period)
    comparisons = _comparisons(candidate, group, prev, past, corrected)
    compared = tuple(sorted({c.label for c in comparisons}))
    if not findings:
        findings = [Finding(XREL_OK, {"count": len(compared)})]
    return CrossReleaseResult(tuple(_unique(findings)), compared, comparisons, _population(candidate, reference),
                              BLOCKING_CODES)


def _unique(findings: list[Finding]) -> list[Finding]:
    out, seen = [], set()
    for f in findings:
        key = (f.code, repr(sorted((k, str(v)) for k, v in f.params.items())))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _comparisons(candidate, group, prev, past, corrected) -> tuple[Compared, ...]:
    out: dict[str, Compared] = {}
    for r in group:
        role = "same_period" if r.population_key == candidate.population_key else "nested_population"
        out.setdefault(r.label, Compared(r.label, role, r.population_key, r.period))
    for r in sorted(list(prev) + list(past), key=lambda r: r.period, reverse=True):
        out.setdefault(r.label, Compared(r.label, "earlier_period", r.population_key, r.period))
    if corrected is not None:
        out[corrected.label] = Compared(corrected.label, "corrected", corrected.population_key, corrected.period)
    return tuple(out.values())


def _population(candidate: Release, reference: Reference) -> dict:
    key = candidate.population_key
    fam = sorted(reference.family(key) - {key})
    return {"key": key, "name": reference.name(key), "declared": key in reference.populations,
            "part_of": [reference.name(a) for a in reference.ancestors(key)],
            "nested_with": [reference.name(p) for p in fam]}


category_differences = undeclared

__all__ = ["Cell", "Release", "Reference", "CheckParams", "CrossReleaseResult", "Compared", "make_cells",
           "temporal", "union_audit", "shifted", "check", "relevant", "correction_changes", "categories",
           "category_differences", "undeclared", "TOTAL", "BLOCKING_CODES", "XREL_CATEGORIES",
           "XREL_CATEGORIES_UNDECLARED", "XREL_CORRECTION_SMALL", "XREL_DERIVED", "XREL_INCONSISTENT",
           "XREL_NARROWED", "XREL_NESTED", "XREL_OK", "XREL_PREEXISTING", "XREL_RECOMPUTABLE", "XREL_SECONDARY",
           "XREL_SHIFT_UNVERIFIED", "XREL_SHIFTED", "XREL_TEMPORAL", "XREL_TEMPORAL_GAP", "XREL_UNSOLVED"]
