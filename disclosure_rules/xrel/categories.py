"""Dimensions broken down differently by releases of one state.

The union audit links a grouping category to its parts only through the groupings declared in the
reference data.  When two releases break a dimension down differently and neither breakdown is contained in
the other (after expanding the declared groupings), an undeclared category may group others
(``Duldung oder Sonstige``) - the check cannot know, so it **blocks** until an admin declares what the
categories are (a grouping, or a category of its own).  A table that shows only some of another table's
categories is no different breakdown.
"""
from __future__ import annotations

from typing import Sequence

from ..findings import Finding
from .codes import XREL_CATEGORIES_UNDECLARED
from .model import TOTAL, Reference, Release, labels


def categories(r: Release) -> dict[str, frozenset[str]]:
    """dimension -> the categories a release breaks it down into (margins ``Insgesamt`` aside)."""
    out: dict[str, set[str]] = {}
    for c in r.cells:
        for d, v in c.dims:
            if v != TOTAL:
                out.setdefault(d, set()).add(v)
    return {d: frozenset(v) for d, v in out.items()}


def undeclared(candidate: Release, group: Sequence[Release], reference: Reference | None) -> list[Finding]:
    reference = reference or Reference()
    releases = [candidate, *group]
    cats = [categories(r) for r in releases]
    findings, seen = [], set()
    for i in range(len(releases)):
        for j in range(i + 1, len(releases)):
            a, b = cats[i], cats[j]
            for d in sorted(set(a) & set(b)):
                la, lb = a[d], b[d]
                if la == lb or la <= lb or lb <= la:
                    continue
                ea = frozenset().union(*(reference.expand(d, x) for x in la))
                eb = frozenset().union(*(reference.expand(d, x) for x in lb))
                if ea == eb or ea <= eb or eb <= ea:
                    continue
                unknown = sorted(x for x in (la ^ lb) if not reference.declared(d, x))
                if not unknown or (d, tuple(unknown)) in seen:
                    continue
                seen.add((d, tuple(unknown)))
                ri, rj = releases[i], releases[j]
                findings.append(Finding(XREL_CATEGORIES_UNDECLARED, {
                    "dimension": d, "period": candidate.period, "release": ri.label, "other": rj.label,
                    "categories": ", ".join(sorted(la)), "other_categories": ", ".join(sorted(lb)),
                    "undeclared": ", ".join(unknown), "releases": labels([ri, rj]),
                    "release_labels": sorted({ri.label, rj.label})}))
    return findings
