"""Protection levels of the frequency rule (τ-ARGUS style): the interval an attacker must face per primary cell.

Every primary cell ``p`` with true count ``v`` gets a *required protection interval*:

* upper: the attacker's largest possible value of ``p`` (over all integer tables that agree with everything
  published) must reach ``need_hi = max(v + UPL, min_count)`` (the second term when
  ``upper_reaches_min_count``, the default), with the upper protection level
  ``UPL = max(upper_protection_abs, ceil(upper_protection_pct/100 · v), protection_width)``;
* lower (off by default): the attacker's smallest possible value must reach ``need_lo = max(0, v - LPL)``,
  ``LPL = max(lower_protection_abs, ceil(lower_protection_pct/100 · v))``.

Insiders (``insiders = true``, the default): the people counted in a primary cell know that it is at least its
value.  The audit gives the attacker *all* these lower bounds at once (``x_q ≥ v_q`` for every primary cell
``q``): a pattern that passes protects against every single group of insiders and against all of them together.
For the lower side of ``p`` the insiders are the people of the primary cells that share nobody with ``p`` (no
data row in common): ``p`` itself, the cells it contains and the cells containing part of it are known to ``p``'s
own people - with them every cell made only of small cells could never be protected downwards (its parts'
insiders together know its value), so the lower level would withhold such tables without protecting anyone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Requirement:
    """Per cell of the table (arrays of length n; meaningful where ``primary``)."""

    primary: np.ndarray  # bool
    need_hi: np.ndarray  # int64: the attacker's integer maximum must reach this (== value: no requirement)
    need_lo: np.ndarray  # int64: the attacker's integer minimum must reach this (== value: no requirement)
    lb: np.ndarray  # int64: insiders' knowledge, a lower bound per cell (value for primaries, else 0)
    values: np.ndarray  # int64: the true counts
    cover: object = None  # scipy csr (cells × data rows), 1 where a cell sums a data row (lower-side insiders)

    def lower_lb(self, p: int) -> np.ndarray:
        """Insiders' lower bounds for the lower side of ``p``: those of the primary cells sharing no data row with
        ``p`` (without ``cover``: every primary cell but ``p``, stricter)."""
        lb = self.lb.copy()
        lb[int(p)] = 0
        if self.cover is not None:
            C = self.cover
            rows = np.zeros(C.shape[1])
            rows[C.indices[C.indptr[int(p)]:C.indptr[int(p) + 1]]] = 1.0
            lb[(C @ rows) > 0] = 0
        return lb

    @property
    def has_lower(self) -> bool:
        return bool(np.any((self.need_lo < self.values) & self.primary))


def requirement(values: np.ndarray, primary: np.ndarray, rules, cover=None) -> Requirement:
    """The required protection of every primary cell under the rule set's ``[cells]`` parameters; ``cover``
    (cells × data rows, see :meth:`Requirement.lower_lb`) only matters for a lower protection level."""
    c = rules.cells
    v = np.asarray(values, dtype=np.int64)
    up = np.maximum.reduce([np.full(len(v), int(c.upper_protection_abs), dtype=np.int64),
                            np.ceil(v * float(c.upper_protection_pct) / 100.0 - 1e-9).astype(np.int64),
                            np.full(len(v), int(c.protection_width), dtype=np.int64)])
    need_hi = v + np.maximum(up, 0)
    if c.upper_reaches_min_count:
        need_hi = np.maximum(need_hi, int(rules.min_count))
    down = np.maximum(np.full(len(v), int(c.lower_protection_abs), dtype=np.int64),
                      np.ceil(v * float(c.lower_protection_pct) / 100.0 - 1e-9).astype(np.int64))
    need_lo = np.maximum(v - np.maximum(down, 0), 0)
    prim = np.asarray(primary, dtype=bool)
    need_hi = np.where(prim, need_hi, v)
    need_lo = np.where(prim, need_lo, v)
    lb = np.where(prim, v, 0) if c.insiders else np.zeros(len(v), dtype=np.int64)
    return Requirement(prim, need_hi.astype(np.int64), need_lo.astype(np.int64), lb.astype(np.int64), v,
                       cover if c.insiders else None)


def describe(rules) -> dict:
    """The protection levels in words, for the report and the DPO (German and English)."""
    c = rules.cells
    k = rules.min_count
    de, en = [], []
    if c.upper_reaches_min_count:
        de.append(f"die obere Grenze, die ein Angreifer für eine gesperrte kleine Zahl ausrechnen kann, muss "
                  f"mindestens {k} erreichen (er kann nicht erkennen, dass die Zahl klein ist)")
        en.append(f"the upper bound an attacker can derive for a suppressed small count must reach at least {k} "
                  "(he cannot tell that the count is small)")
    up_abs = max(int(c.upper_protection_abs), int(c.protection_width))
    if up_abs or c.upper_protection_pct:
        de.append(f"und mindestens Wert + max({up_abs}, {c.upper_protection_pct:g} % des Werts)")
        en.append(f"and at least value + max({up_abs}, {c.upper_protection_pct:g} % of the value)")
    if c.lower_protection_abs or c.lower_protection_pct:
        de.append(f"die untere Grenze darf höchstens Wert − max({c.lower_protection_abs}, "
                  f"{c.lower_protection_pct:g} % des Werts) sein")
        en.append(f"the lower bound must be at most value − max({c.lower_protection_abs}, "
                  f"{c.lower_protection_pct:g} % of the value)")
    if c.insiders:
        de.append("auch wenn alle Personen in gesperrten kleinen Zellen ihr Wissen zusammenlegen (jede weiß, dass "
                  "ihre Zelle mindestens ihren Wert hat)")
        en.append("even if all people in suppressed small cells pool their knowledge (each knows that their cell "
                  "is at least its value)")
    return {"de": "; ".join(de), "en": "; ".join(en),
            "upper_reaches_min_count": bool(c.upper_reaches_min_count),
            "upper_protection_abs": up_abs, "upper_protection_pct": float(c.upper_protection_pct),
            "lower_protection_abs": int(c.lower_protection_abs),
            "lower_protection_pct": float(c.lower_protection_pct), "insiders": bool(c.insiders)}
