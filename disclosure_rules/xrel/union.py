"""The union audit: what all releases of one period (and nested populations) give away together.

For every variable of the system (finest common area × category atoms × population, and every difference
of nested populations) the attacker's integer interval is computed (:mod:`.bounds`).  A variable is a
finding when

* it may be a small count - its true value is in ``1 .. k-1`` (``0 .. k-1`` with zeros disclosive), or
  unknown (no raw data) and not excluded by the interval itself - and
* the attacker's upper bound is below ``k`` (the attacker learns "fewer than k"; exactly recomputed is the
  extreme case), or the rule set's protection (``protected``, ``protection_width``) fails, and
* this is **new**: the intervals derivable from the other releases alone and from the subject alone (the
  *baselines*) did not already give it away (then it is a note for the DPO, not a block).

A secondary (non-sensitive) suppressed cell that becomes exactly computable is a note, never a block.  An
inconsistent system (the releases contradict each other) is a blocking finding naming a minimal set of
releases that contradict each other; the audit then goes on in every world without one of them, so that no
finding disappears.  A solver that gives no answer is a blocking finding too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..cells.audit import protected
from ..findings import Finding, plural
from .bounds import Bounds, Interval, Unsolved
from .codes import (XREL_DERIVED, XREL_INCONSISTENT, XREL_NARROWED, XREL_PREEXISTING, XREL_RECOMPUTABLE,
                    XREL_SECONDARY, XREL_SHIFTED, XREL_UNSOLVED)
from .model import CheckParams, Reference, Release, where
from .system import LINK, STRUCTURE, System

MAX_WORLDS = 4
MAX_FINDINGS = 200  # blocking findings named per audit (all hits are evaluated)


def sensitive_truth(t: float, p: CheckParams) -> bool:
    return p.low_bad <= t <= p.min_count - 1


def disclosed(iv: Interval, t: float, p: CheckParams) -> bool:
    """Does the interval give a (possibly) small count away?  ``t``: true value or NaN."""
    k = p.min_count
    if math.isnan(t):
        if iv.hi < p.low_bad or iv.lo > k - 1:
            return False  # the interval itself shows: zero (not disclosive) or not small
    elif not sensitive_truth(t, p):
        return False
    if iv.hi <= k - 1:
        return True
    if p.protection_width and math.isfinite(iv.lo) and iv.hi - iv.lo < p.protection_width:
        return True
    hi = iv.hi if math.isfinite(iv.hi) else 1e12  # protected() takes finite bounds
    if not math.isnan(t) and math.isfinite(iv.lo) and not protected(iv.lo, hi, k, p.zeros_are_disclosive,
                                                                     p.protection_width):
        return True
    return False


def newly(union: Interval, base: Interval, t: float, p: CheckParams) -> bool:
    if not disclosed(base, t, p):
        return True
    if union.lo >= p.low_bad > base.lo:
        return True  # now known to be a small non-zero count
    return union.lo == union.hi and base.lo < base.hi  # now exact


@dataclass
class Hit:
    var: int
    iv: Interval
    base: Interval | None
    new: bool
    rows: set[int] = field(default_factory=set)


class Audit:
    """One system (states, optional links) with the subject releases (the candidate) marked."""

    def __init__(self, system: System, params: CheckParams, subject: set[int], period: str):
        self.sys, self.p, self.subject, self.period = system, params, subject, period
        self.A, self.b, self.tags = system.matrix()
        self.truth = system.truth()
        self.va = system.var_arrays()
        self.unsolved: list[str] = []
        self._bounds: dict[tuple, Bounds] = {}

    # --- row sets -------------------------------------------------------------------------------------------

    def rows(self, releases: set[int], links: bool = True) -> np.ndarray:
        t = self.tags
        ok = np.isin(t, list(releases)) | (t == STRUCTURE)
        if links:
            ok |= t == LINK
        return np.flatnonzero(ok)

    def bounds(self, releases: frozenset[int], links: bool = True) -> Bounds:
        key = (releases, links)
        if key not in self._bounds:
            self._bounds[key] = Bounds(self.A, self.b, self.rows(set(releases), links), self.p.milp_time_limit_s)
        return self._bounds[key]

    def feasible(self, releases: frozenset[int], links: bool = True) -> bool:
        bd = self.bounds(releases, links)
        if not bd.consistent:
            return False
        return not bd.survey(self._targets(bd, None), self.p.min_count)[1]

    def _targets(self, bd: Bounds, states: set[int] | None) -> np.ndarray:
        """Free variables that may be a small count (true value small or unknown)."""
        p, k, t, ps = self.p, self.p.min_count, self.truth, bd.ps
        maybe = np.isnan(t) | ((t >= p.low_bad) & (t <= k - 1))
        in_state = np.ones(self.sys.n, dtype=bool) if states is None else np.isin(self.va["state"], list(states))
        return np.flatnonzero(in_state & ~ps.fixed & (ps.comp >= 0) & maybe)

    def conflict_set(self, releases: frozenset[int], links: bool = True) -> list[int]:
        """A minimal set of releases whose published cells cannot hold together (deletion filter: the subject
        is taken out last, so that contradictions among earlier releases are named as such)."""
        s = set(releases)
        for r in sorted(s, key=lambda i: (i in self.subject, i)):
            trial = frozenset(s - {r})
            if not self.feasible(trial, links):
                s -= {r}
        return sorted(s)

    # --- the audit ------------------------------------------------------------------------------------------

    def hits(self, releases: frozenset[int], baselines: Sequence[frozenset[int]], links: bool = True,
             states: set[int] | None = None) -> list[Hit]:
        p, k = self.p, self.p.min_count
        bd = self.bounds(releases, links)
        ps = bd.ps
        n = self.sys.n
        in_state = np.ones(n, dtype=bool) if states is None else np.isin(self.va["state"], list(states))
        t = self.truth
        unknown = np.isnan(t)
        maybe = unknown | ((t >= p.low_bad) & (t <= k - 1))
        out: list[Hit] = []
        # known exactly (presolve)
        cand = np.flatnonzero(in_state & ps.fixed & maybe & (ps.value >= p.low_bad) & (ps.value <= k - 1))
        for v in cand:
            out.append(Hit(int(v), Interval(ps.value[v], ps.value[v], True), None, True))
        # free variables
        targets = self._targets(bd, states)
        safe = bd.reach(targets, k) if len(targets) else set()
        for v in targets:
            if int(v) in safe and not p.protection_width:
                continue
            try:
                iv = bd.form(np.asarray([v]), k, need_lo=bool(p.protection_width))
                if iv.hi <= k - 1 and not math.isfinite(iv.lo):
                    iv = bd.form(np.asarray([v]), k, need_lo=True)
            except Unsolved as exc:
                self.unsolved.append(f"{self.describe(int(v))[0]} ({exc})")
                continue
            if disclosed(iv, t[v], p):
                out.append(Hit(int(v), iv, None, True))
        # baselines: what each side gives away alone
        for h in out:
            # each baseline can only narrow the interval known without the combination: stop as soon as the
            # hit is shown to be old
            base = Interval(-math.inf, math.inf)
            h.new = True
            for rel in baselines:
                try:
                    b_iv = self.bounds(rel, False).form(np.asarray([h.var]), k, need_lo=False)
                    if b_iv.hi <= k - 1 or p.protection_width:
                        b_iv = self.bounds(rel, False).form(np.asarray([h.var]), k)
                except Unsolved:
                    continue
                base = Interval(max(base.lo, b_iv.lo), min(base.hi, b_iv.hi))
                if not newly(h.iv, base, t[h.var], p):
                    h.new = False
                    break
            h.base = base
            h.rows = bd.involved_rows(np.asarray([h.var]))
        return out

    def secondary_notes(self, releases: frozenset[int]) -> list[tuple[int, int]]:
        """(form, var) of suppressed single-variable cells known not to be small that the attacker pins
        exactly (by elimination)."""
        bd = self.bounds(releases, True)
        out = []
        for fi, f in enumerate(self.sys.forms):
            if not f.cell.suppressed or len(f.vars) != 1 or f.release not in releases:
                continue
            v = int(f.vars[0])
            if not bd.ps.fixed[v] or bd.ps.fixed_by[v] < 0:
                continue
            by = int(bd.ps.fixed_by[v])
            if self.tags[by] >= 0 and self.sys.row_form[by] >= 0 and len(self.sys.forms[self.sys.row_form[by]].vars) == 1:
                continue  # published as such in another release: nothing is recomputed
            val = bd.ps.value[v]
            if self.p.low_bad <= val <= self.p.min_count - 1:
                continue
            rows = bd.involved_rows(np.asarray([v]))
            rels = {int(self.tags[r]) for r in rows if self.tags[r] >= 0}
            if (rels & self.subject or f.release in self.subject) and v not in {x for _, x in out}:
                out.append((fi, v))
        return out

    # --- naming ---------------------------------------------------------------------------------------------

    def describe(self, v: int) -> tuple[str, str]:
        s = int(self.va["state"][v])
        info = self.sys.states[s]
        area = info.areas[int(self.va["area"][v])]
        codes = sorted(area)
        # an area some release publishes as such
        for key, ids in info.cover.items():
            if len(ids) == 1 and ids[0] == self.va["area"][v]:
                r = self.sys.releases[key[0]]
                txt = f"{key[2]}"
                break
        else:
            sig = info.signature[int(self.va["area"][v])]
            parts = []
            seen = set()
            for ri, _lvl, a in sorted(sig, key=lambda x: len(info.cover[x])):
                if ri in seen:
                    continue
                seen.add(ri)
                parts.append(f"{a} ({self.sys.releases[ri].label})")
                if len(parts) == 2:
                    break
            head = ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")
            txt = f"[{' ∩ '.join(parts)}: {len(codes)} × {head}]"
        pops = info.pops
        if self.va["kind"][v] == 1:
            pt = f"{pops[int(self.va['pop'][v])]} − {pops[int(self.va['child'][v])]}"
        else:
            pt = pops[int(self.va["pop"][v])]
        return txt, pt

    def dims_of(self, v: int) -> tuple[tuple[str, str], ...]:
        return self.sys.combo_dims(int(self.va["state"][v]), int(self.va["combo"][v]))

    def single_forms(self) -> dict[int, list[int]]:
        if not hasattr(self, "_single"):
            self._single: dict[int, list[int]] = {}
            for fi, f in enumerate(self.sys.forms):
                if f.cell.suppressed and len(f.vars) == 1:
                    self._single.setdefault(int(f.vars[0]), []).append(fi)
        return self._single

    def containing(self, v: int) -> list[int]:
        """Suppressed cells of several unknowns that contain ``v`` (an inverted index, built once)."""
        if not hasattr(self, "_inside"):
            self._inside: dict[int, list[int]] = {}
            for fi, f in enumerate(self.sys.forms):
                if f.cell.suppressed and len(f.vars) > 1:
                    for x in f.vars.tolist():
                        self._inside.setdefault(x, []).append(fi)
        return self._inside.get(int(v), [])

    def labels(self, rows: set[int], extra: Sequence[int] = ()) -> list[str]:
        rels = {int(self.tags[r]) for r in rows if self.tags[r] >= 0} | set(extra)
        return sorted({self.sys.releases[i].label for i in rels})


def hit_findings(a: Audit, hits: list[Hit], reference: Reference, shifted: dict | None = None) -> list[Finding]:
    """Blocking findings for new hits, one note for the rest."""
    p, out, old = a.p, [], []
    seen: set[tuple] = set()
    for h in hits:
        if not h.new:
            old.append(h)
            continue
        if len(out) >= MAX_FINDINGS:  # every new hit blocks; naming the first ones is enough
            continue
        forms = a.single_forms().get(h.var, [])
        dims = a.dims_of(h.var)
        lo, hi = _i(h.iv.lo), _i(h.iv.hi)
        region, pop = a.describe(h.var)
        own = [a.sys.forms[fi].release for fi in forms]
        rels = a.labels(h.rows, own)
        w_de, w_en = where(dims)
        if shifted is not None:
            f0 = a.sys.forms[forms[0]] if forms else None
            what = (f"{f0.cell.area}{w_de} in {a.sys.releases[f0.release].label}" if f0 is not None
                    else f"{region}{w_de} ({reference.name(pop)})")
            key = (what,)
            if key in seen:
                continue
            seen.add(key)
            out.append(Finding(XREL_SHIFTED, {**shifted, "cell_de": what, "cell_en": what, "lo": lo, "hi": hi,
                                              "min_count": p.min_count, "releases": ", ".join(rels),
                                              "release_labels": rels}))
            continue
        if forms:
            f = a.sys.forms[forms[0]]
            base = {"area": f.cell.area, "where_de": w_de, "where_en": w_en,
                    "release": a.sys.releases[f.release].label, "period": a.period,
                    "releases": ", ".join(rels), "release_labels": rels}
            key = (f.cell.area, w_de, base["release"])
            if key in seen:
                continue
            seen.add(key)
            if h.iv.lo == h.iv.hi:
                out.append(Finding(XREL_RECOMPUTABLE, base))
            else:
                out.append(Finding(XREL_NARROWED, {**base, "lo": lo, "hi": hi, "min_count": p.min_count}))
            continue
        inside = [a.sys.forms[fi] for fi in a.containing(h.var)][:2]
        inside_de = "".join(f"Liegt in der gesperrten Zelle {f.cell.area}{where(f.cell.dims)[0]} von "
                            f"{a.sys.releases[f.release].label}. " for f in inside)
        inside_en = "".join(f"Lies in the suppressed cell {f.cell.area}{where(f.cell.dims)[1]} of "
                            f"{a.sys.releases[f.release].label}. " for f in inside)
        key = (region, w_de, pop)
        if key in seen:
            continue
        seen.add(key)
        out.append(Finding(XREL_DERIVED, {
            "region": f"Gebiet {region}", "region_en": f"Area {region}", "where_de": w_de, "where_en": w_en,
            "population": reference.name(pop) if " − " not in pop else " − ".join(
                reference.name(x) for x in pop.split(" − ")),
            "period": a.period, "lo": lo, "hi": hi, "min_count": p.min_count, "inside_de": inside_de,
            "inside_en": inside_en, "releases": ", ".join(rels), "release_labels": rels}))
    if old:
        rels = sorted({lab for h in old for lab in a.labels(h.rows)})
        region, _ = a.describe(old[0].var)
        w_de, w_en = where(a.dims_of(old[0].var))
        n = len(old)
        out.append(Finding(XREL_PREEXISTING, {
            "what_de": f"{n} {plural(n, 'Zelle', 'Zellen')}, z. B. {region}{w_de},",
            "what_en": f"{n} {plural(n, 'cell', 'cells')}, e.g. {region}{w_en},",
            "releases": ", ".join(rels), "release_labels": rels}))
    if a.unsolved:
        rels = sorted({r.label for r in a.sys.releases})
        out.append(Finding(XREL_UNSOLVED, {
            "releases": ", ".join(rels), "period": a.period,
            "what": f"{len(a.unsolved)} {plural(len(a.unsolved), 'Zelle', 'Zellen')}, z. B. {a.unsolved[0]}",
            "what_en": f"{len(a.unsolved)} {plural(len(a.unsolved), 'cell', 'cells')}, e.g. {a.unsolved[0]}",
            "reason": "Zeitlimit/time limit", "release_labels": rels}))
    return out


def _i(x: float):
    return int(x) if math.isfinite(x) else ("∞" if x > 0 else "-∞")


def secondary_findings(a: Audit, releases: frozenset[int]) -> list[Finding]:
    out = []
    for fi, v in a.secondary_notes(releases)[:20]:
        f = a.sys.forms[fi]
        bd = a.bounds(releases, True)
        rels = a.labels(bd.involved_rows(np.asarray([v])), [f.release])
        w_de, w_en = where(f.cell.dims)
        out.append(Finding(XREL_SECONDARY, {"area": f.cell.area, "where_de": w_de, "where_en": w_en,
                                            "release": a.sys.releases[f.release].label,
                                            "releases": ", ".join(rels), "release_labels": rels}))
    return out


def inconsistency_finding(a: Audit, conflict: list[int], links: bool = True) -> Finding:
    rels = sorted({a.sys.releases[i].label for i in conflict})
    bd = a.bounds(frozenset(conflict), links)
    rows = list(bd.ps.conflicts)
    if not rows and bd.consistent:
        bad = bd.feasible_components()
        if bad:
            rows = [int(r) for r in bd.component_rows(bad[0])[:2]]
    ex_de, ex_en = [], []
    for r in rows[:2]:
        fi = a.sys.row_form[r]
        if fi < 0:
            continue
        f = a.sys.forms[fi]
        w_de, w_en = where(f.cell.dims)
        rel = a.sys.releases[f.release].label
        ex_de.append(f"{f.cell.area}{w_de} = {f.cell.count} in {rel}")
        ex_en.append(f"{f.cell.area}{w_en} = {f.cell.count} in {rel}")
    return Finding(XREL_INCONSISTENT, {
        "releases": ", ".join(rels), "release_labels": rels, "period": a.period,
        "example_de": " gegenüber ".join(ex_de) or "ihre Summen passen nicht zusammen",
        "example_en": " against ".join(ex_en) or "their sums do not fit together"})


def run(a: Audit, everything: frozenset[int], baselines: Callable[[frozenset[int]], list[frozenset[int]]],
        reference: Reference, *, links: bool = True, states: set[int] | None = None,
        shifted: dict | None = None) -> list[Finding]:
    """Audit ``everything``; on a contradiction name it and audit each world without one culprit."""
    findings: list[Finding] = []
    worlds = [everything]
    done: set[frozenset[int]] = set()
    while worlds and len(done) < MAX_WORLDS:
        world = worlds.pop(0)
        if world in done:
            continue
        done.add(world)
        try:
            ok = a.feasible(world, links)
        except Unsolved as exc:
            rels = sorted({a.sys.releases[i].label for i in world})
            findings.append(Finding(XREL_UNSOLVED, {"releases": ", ".join(rels), "period": a.period,
                                                    "what": "das Gleichungssystem", "what_en": "the system",
                                                    "reason": str(exc), "release_labels": rels}))
            continue
        if not ok:
            conflict = a.conflict_set(world, links)
            findings.append(inconsistency_finding(a, conflict, links))
            culprits = [r for r in conflict if r not in a.subject] or list(conflict)
            worlds.extend(frozenset(world - {r}) for r in culprits if frozenset(world - {r}) & a.subject)
            continue
        hits = a.hits(world, baselines(world), links, states)
        findings += hit_findings(a, hits, reference, shifted)
        if shifted is None:
            findings += secondary_findings(a, world)
    return _dedupe(findings)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    out, seen = [], set()
    for f in findings:
        key = (f.code, tuple(sorted((k, str(v)) for k, v in f.params.items())))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def union_audit(candidate: Release, group: Sequence[Release], params: CheckParams,
                reference: Reference | None = None) -> list[Finding]:
    """All releases of the candidate's period and population family, audited together with the candidate."""
    reference = reference or Reference()
    if not group:
        return []
    system = System([[candidate, *group]], reference)
    a = Audit(system, params, {0}, candidate.period)
    everything = frozenset(range(len(system.releases)))

    def baselines(world: frozenset[int]) -> list[frozenset[int]]:
        return [frozenset(world - {0}), frozenset({0})]

    return run(a, everything, baselines, reference, links=False)
