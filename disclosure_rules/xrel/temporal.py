"""Checks over time: a cell against its last published value, and suppression patterns that shift.

* :func:`temporal`: every published cell of the candidate (at the levels the rule set names; default the
  table's own, finest published level) is compared with the **last published value** of the same cell -
  same population (or series), same area with the same finest codes, same categories - in an earlier period,
  looking back across periods in which it was suppressed (5, suppressed, then 6 gives the change exactly).
  A change of ``1 .. k-1`` singles out individuals.
* :func:`shifted`: when the suppression pattern differs between two states (the previous period and the
  candidate's period, or a release and its correction), both states are audited as one system in which every
  cell that **did not change** is one unknown for both (attacker knowledge: an attacker who assumes a hidden
  cell kept its visible value elsewhere is right exactly for these cells).  "Unchanged" needs the true
  counts of both sides (from the raw data); a shifted cell whose truth is unavailable is not linked and
  raises ``FG-XREL-SHIFT-UNVERIFIED`` (a warning: a human decides).
* :func:`correction_changes`: published cells that a correction changes by ``1 .. k-1`` (a warning).
"""
from __future__ import annotations

from typing import Sequence

from ..findings import Finding
from .codes import XREL_CORRECTION_SMALL, XREL_SHIFT_UNVERIFIED, XREL_TEMPORAL, XREL_TEMPORAL_GAP
from .model import Cell, CheckParams, Reference, Release, labels, where
from .system import System
from .union import Audit, run


def constant_dims(r: Release) -> dict[str, str]:
    values: dict[str, set[str]] = {}
    for c in r.cells:
        for d, v in c.dims:
            values.setdefault(d, set()).add(v)
    return {d: next(iter(v)) for d, v in values.items() if len(v) == 1}


def period_dims(a: Sequence[Release], b: Sequence[Release]) -> set[str]:
    """Dimensions with one category per release that differs between the two sides (e.g. a column
    ``monat``): they are the period itself and are left out of the cell key."""
    ca = [constant_dims(r) for r in a]
    cb = [constant_dims(r) for r in b]
    dims_a = {d for c in ca for d in c}
    dims_b = {d for c in cb for d in c}
    out = set()
    for d in dims_a & dims_b:
        va = {c[d] for c in ca if d in c}
        vb = {c[d] for c in cb if d in c}
        if va and vb and not (va & vb):
            out.add(d)
    return out


def cell_key(r: Release, c: Cell, drop: set[str]) -> tuple:
    cover = frozenset(r.finest(c)) or frozenset((c.area,))
    return (r.population_key, c.level or r.level, cover, tuple((d, v) for d, v in c.dims if d not in drop))


def _levels(candidate: Release, params: CheckParams) -> set[str] | None:
    if not params.differencing_levels:
        return {candidate.level}
    if "*" in params.differencing_levels:
        return None
    return set(params.differencing_levels)


def temporal(candidate: Release, history: Sequence[Release], params: CheckParams) -> list[Finding]:
    if not params.differencing:
        return []
    earlier = sorted((r for r in history if r.period < candidate.period and r.label != candidate.label
                      and (r.population_key == candidate.population_key or r.series == candidate.series)),
                     key=lambda r: r.period, reverse=True)
    if not earlier:
        return []
    levels = _levels(candidate, params)
    drop = period_dims([candidate], earlier)
    todo: dict[tuple, Cell] = {}
    for c in candidate.cells:
        if c.suppressed or (levels is not None and (c.level or candidate.level) not in levels):
            continue
        todo[cell_key(candidate, c, drop)] = c
    gaps: dict[tuple, list[str]] = {}
    findings = []
    k = params.min_count
    for r in earlier:
        if not todo:
            break
        for c in r.cells:
            key = cell_key(r, c, drop)
            now = todo.get(key)
            if now is None:
                continue
            if c.suppressed:
                if r.period not in gaps.setdefault(key, []):
                    gaps[key].append(r.period)
                continue
            del todo[key]
            change = now.count - c.count
            if 1 <= abs(change) <= k - 1:
                w_de, w_en = where(key[3])
                gap = sorted(gaps.get(key, []))
                params_ = {"area": now.area, "where_de": w_de, "where_en": w_en, "change": f"{change:+d}",
                           "previous": r.label, "previous_period": r.period, "min_count": k,
                           "releases": labels([candidate, r]), "release_labels": sorted({candidate.label, r.label})}
                if gap:
                    findings.append(Finding(XREL_TEMPORAL_GAP, {**params_, "gap": ", ".join(gap)}))
                else:
                    findings.append(Finding(XREL_TEMPORAL, params_))
    return findings


def shifted(candidate_state: Sequence[Release], other_state: Sequence[Release], params: CheckParams,
            reference: Reference | None, relation: tuple[str, str], period: str) -> list[Finding]:
    """Audit two states linked through their unchanged cells (``candidate_state[0]`` is the candidate)."""
    reference = reference or Reference()
    if not other_state:
        return []
    system = System([list(other_state), list(candidate_state)], reference)
    drop = period_dims(other_state, candidate_state)
    reps: list[dict[tuple, int]] = [{}, {}]
    for fi, f in enumerate(system.forms):
        r = system.releases[f.release]
        key = cell_key(r, f.cell, drop)
        known = (not f.cell.suppressed) or f.cell.truth is not None
        cur = reps[f.state].get(key)
        if cur is None:
            reps[f.state][key] = fi
        else:
            old = system.forms[cur].cell
            if known and not ((not old.suppressed) or old.truth is not None):
                reps[f.state][key] = fi
    shift, unverified, linked = 0, 0, 0
    pairs = []
    for key, fa in reps[0].items():
        fb = reps[1].get(key)
        if fb is None:
            continue
        ca, cb = system.forms[fa].cell, system.forms[fb].cell
        moved = ca.suppressed != cb.suppressed
        shift += moved
        if not ca.suppressed and not cb.suppressed:
            continue
        va = ca.count if not ca.suppressed else ca.truth
        vb = cb.count if not cb.suppressed else cb.truth
        if va is None or vb is None:
            unverified += moved
            continue
        if va == vb:
            pairs.append((fa, fb))
    if not shift:
        return []
    for fa, fb in pairs:
        system.link(fa, fb)
        linked += 1
    others = sorted({r.label for r in other_state if r.label not in {x.label for x in candidate_state}})
    rel_de, rel_en = relation
    findings: list[Finding] = []
    if unverified:
        findings.append(Finding(XREL_SHIFT_UNVERIFIED, {
            "other": ", ".join(others), "relation_de": rel_de, "relation_en": rel_en, "shifted": unverified,
            "linked": linked, "release_labels": sorted({candidate_state[0].label, *others})}))
    if not linked:
        return findings
    n_other = len(other_state)
    subject = {n_other}  # the candidate is the first release of the second state
    a = Audit(system, params, subject, period)
    everything = frozenset(range(len(system.releases)))
    first, second = frozenset(range(n_other)), frozenset(range(n_other, len(system.releases)))

    def baselines(world: frozenset[int]) -> list[frozenset[int]]:
        return [world & first, world & second]

    info = {"this": candidate_state[0].label, "other": ", ".join(others), "relation_de": rel_de,
            "relation_en": rel_en, "linked": linked}
    return findings + run(a, everything, baselines, reference, links=True, shifted=info)


def correction_changes(candidate: Release, corrected: Release, params: CheckParams) -> list[Finding]:
    """Cells published in both the corrected release and its correction whose value changes by
    ``1 .. min_count-1`` (at any level): one non-blocking finding with their number and an example."""
    k = params.min_count
    old = {(c.level, c.area, c.dims): c for c in corrected.cells if not c.suppressed}
    small = []
    for c in candidate.cells:
        prev = old.get((c.level, c.area, c.dims))
        if c.suppressed or prev is None:
            continue
        change = c.count - prev.count
        if 1 <= abs(change) <= k - 1:
            small.append((c, change))
    if not small:
        return []
    first, change = small[0]
    w_de, _ = where(first.dims)
    return [Finding(XREL_CORRECTION_SMALL, {
        "corrected": corrected.label, "changed": len(small), "max_change": k - 1, "min_count": k,
        "example": f"{first.area}{w_de} {change:+d}", "release_labels": sorted({candidate.label, corrected.label}),
    })]
