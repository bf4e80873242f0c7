"""Rule sets: versioned data (TOML) with name, version and parameters.

The default is ``rulesets/mindestfallzahl-3.toml``.  ``load_rules(path=None, **overrides)`` reads a rule set
file (or the default) and applies overrides (e.g. from CLI flags); invalid values raise :class:`InputError`
with typed findings.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding, InputError, Severity, register

RULESETS = Path(__file__).resolve().parent / "rulesets"
DEFAULT_PATH = RULESETS / "mindestfallzahl-3.toml"
ARCHIVE = RULESETS / "archive"  # earlier versions of the shipped rule sets, ``<name>-<version>.toml``
SCOPES = ("whole_table", "cells")

RULES_INVALID = register(
    "FG-RULES-INVALID", Severity.ERROR,
    "Regelsatz ungültig: Parameter „{param}“ {reason_de}.",
    "Invalid rule set: parameter '{param}' {reason_en}.")
RULES_UNREADABLE = register(
    "FG-RULES-UNREADABLE", Severity.ERROR,
    "Regelsatz kann nicht gelesen werden: {error}.",
    "Rule set cannot be read: {error}.")


@dataclass(frozen=True)
class CellsParams:
    """Parameters of scope ``cells`` (secondary suppression and the attacker audit)."""

    protection_width: int = 0  # since 2.0.0: an absolute upper protection level (kept for older rule sets)
    secondary: str = "heuristic"  # heuristic | optimal
    time_limit_s: float = 30.0
    objective: str = "cells"  # cells | total
    # protection levels (docs/rules-cells.md), since rule set version 2.0.0; a rule set that does not name them
    # gets these safe defaults
    upper_reaches_min_count: bool = True  # the attacker's integer upper bound must reach min_count
    upper_protection_abs: int = 0  # ... and value + max(abs, pct % of the value)
    upper_protection_pct: float = 0.0
    lower_protection_abs: int = 0  # the attacker's integer lower bound must reach value - max(abs, pct %)
    lower_protection_pct: float = 0.0
    insiders: bool = True  # the people counted in a primary cell know it is at least its value


@dataclass(frozen=True)
class DominanceParams:
    """Magnitude rules: (n,k)-dominance and the p% rule."""

    enabled: bool = False
    n: int = 1
    k: float = 85.0
    p: float = 0.0
    protection_pct: float = 10.0  # required protection of a cell with too few contributors, % of its value


@dataclass(frozen=True)
class RuleSet:
    name: str = "mindestfallzahl-3"
    version: str = "2.0.0"
    min_count: int = 3
    zeros_are_disclosive: bool = False
    scope: str = "whole_table"
    coarsen: bool = True
    differencing: bool = True  # cross-release temporal differencing check (disclosure_rules.crossrelease)
    description: str = ""
    # levels the temporal check compares (() = the table's own level, ("*",) = every published level)
    differencing_levels: tuple[str, ...] = ()
    cells: CellsParams = field(default_factory=CellsParams)
    dominance: DominanceParams = field(default_factory=DominanceParams)

    def fails(self, n):
        """Vectorised: True where a count fails the minimum-frequency rule."""
        if self.zeros_are_disclosive:
            return n < self.min_count
        return (n > 0) & (n < self.min_count)

    def fingerprint(self) -> dict[str, Any]:
        params = {
            "min_count": self.min_count,
            "zeros_are_disclosive": self.zeros_are_disclosive,
            "scope": self.scope,
            "coarsen": self.coarsen,
            "differencing": self.differencing,
            "cells": dataclasses.asdict(self.cells),
            "dominance": dataclasses.asdict(self.dominance),
        }
        if self.differencing_levels:  # only when set: the fingerprints of existing rule sets stay the same
            params["differencing_levels"] = list(self.differencing_levels)
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        return {"name": self.name, "version": self.version, "parameters": params, "sha256": digest}


def _bad(param: str, de: str, en: str) -> Finding:
    return Finding(RULES_INVALID, {"param": param, "reason_de": de, "reason_en": en})


def rules_from_dict(data: dict[str, Any], source: str | None = None) -> RuleSet:
    problems: list[Finding] = []
    top = {k: v for k, v in data.items() if k not in ("cells", "dominance")}
    known = {f.name for f in dataclasses.fields(RuleSet)} - {"cells", "dominance"}
    for key in top:
        if key not in known:
            problems.append(_bad(key, "ist unbekannt", "is unknown"))
    name = str(top.get("name", "mindestfallzahl-3"))
    version = str(top.get("version", "1.0.0"))
    min_count = top.get("min_count", 3)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        problems.append(_bad("min_count", "muss eine ganze Zahl ≥ 1 sein", "must be an integer ≥ 1"))
        min_count = 3
    flags = {}
    for key, default in (("zeros_are_disclosive", False), ("coarsen", True), ("differencing", True)):
        v = top.get(key, default)
        if not isinstance(v, bool):
            problems.append(_bad(key, "muss true oder false sein", "must be true or false"))
            v = default
        flags[key] = v
    levels = top.get("differencing_levels", [])
    if isinstance(levels, str):
        levels = [levels]
    if not isinstance(levels, (list, tuple)) or not all(isinstance(x, str) and x.strip() for x in levels):
        problems.append(_bad("differencing_levels", "muss eine Liste von Ebenen sein (oder [\"*\"] für alle)",
                             "must be a list of levels (or [\"*\"] for all)"))
        levels = []
    scope = str(top.get("scope", "whole_table")).replace("-", "_")
    if scope not in SCOPES:
        problems.append(_bad("scope", "muss „whole_table“ oder „cells“ sein", "must be 'whole_table' or 'cells'"))
        scope = "whole_table"
    cells_raw = data.get("cells") or {}
    dom_raw = data.get("dominance") or {}
    cells = CellsParams()
    dominance = DominanceParams()
    try:
        cells = CellsParams(**cells_raw)
        if cells.secondary not in ("heuristic", "optimal"):
            problems.append(_bad("cells.secondary", "muss „heuristic“ oder „optimal“ sein",
                                 "must be 'heuristic' or 'optimal'"))
        if cells.objective not in ("cells", "total"):
            problems.append(_bad("cells.objective", "muss „cells“ oder „total“ sein", "must be 'cells' or 'total'"))
        for key in ("protection_width", "upper_protection_abs", "lower_protection_abs"):
            val = getattr(cells, key)
            if isinstance(val, bool) or not isinstance(val, int) or val < 0:
                problems.append(_bad(f"cells.{key}", "muss eine ganze Zahl ≥ 0 sein", "must be an integer ≥ 0"))
        for key in ("upper_protection_pct", "lower_protection_pct"):
            val = getattr(cells, key)
            if isinstance(val, bool) or not isinstance(val, (int, float)) or not (0 <= float(val) <= 1000):
                problems.append(_bad(f"cells.{key}", "muss eine Zahl zwischen 0 und 1000 sein",
                                     "must be a number between 0 and 1000"))
        for key in ("upper_reaches_min_count", "insiders"):
            if not isinstance(getattr(cells, key), bool):
                problems.append(_bad(f"cells.{key}", "muss true oder false sein", "must be true or false"))
    except TypeError as exc:
        problems.append(_bad("cells", f"enthält Unbekanntes ({exc})", f"holds something unknown ({exc})"))
    try:
        dominance = DominanceParams(**dom_raw)
        if (not (0 < float(dominance.k) <= 100) or int(dominance.n) < 1 or not (0 <= float(dominance.p) < 100)
                or not (0 <= float(dominance.protection_pct) <= 100)):
            problems.append(_bad("dominance", "hat Werte außerhalb des Bereichs (n ≥ 1, 0 < k ≤ 100, 0 ≤ p < 100, "
                                 "0 ≤ protection_pct ≤ 100)",
                                 "has values out of range (n ≥ 1, 0 < k ≤ 100, 0 ≤ p < 100, "
                                 "0 ≤ protection_pct ≤ 100)"))
    except TypeError as exc:
        problems.append(_bad("dominance", f"enthält Unbekanntes ({exc})", f"holds something unknown ({exc})"))
    if problems:
        if source:
            problems = [dataclasses.replace(p, file=source) for p in problems]
        raise InputError(problems)
    return RuleSet(name=name, version=version, min_count=min_count, scope=scope,
                   description=str(top.get("description", "")), cells=cells, dominance=dominance,
                   differencing_levels=tuple(x.strip() for x in levels), **flags)


def load_rules(path: str | Path | None = None, **overrides: Any) -> RuleSet:
    """Read a rule set (default: mindestfallzahl-3) and apply overrides (``None`` values are ignored)."""
    p = Path(path) if path else DEFAULT_PATH
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(Finding(RULES_UNREADABLE, {"error": str(exc)}, file=str(p))) from None
    for key, value in overrides.items():
        if value is None:
            continue
        if key in ("cells", "dominance") and isinstance(value, dict):
            data[key] = {**(data.get(key) or {}), **value}
        else:
            data[key] = value
    return rules_from_dict(data, source=str(p))


def load_rules_version(name: str, version: str, **overrides: Any) -> RuleSet:
    """A shipped rule set in a given version (the current file, or ``rulesets/archive/<name>-<version>.toml``),
    e.g. to show the parameters an old report was made with.  A version from before 2.0.0 names no protection
    levels: it loads with the safe defaults (the 1.0.0 interval test rounded outward and is not kept)."""
    current = RULESETS / f"{name}.toml"
    if current.is_file():
        rs = load_rules(current, **overrides)
        if rs.version == version:
            return rs
    old = ARCHIVE / f"{name}-{version}.toml"
    if not old.is_file():
        raise InputError(Finding(RULES_UNREADABLE, {"error": f"{name} {version}: unbekannte Version / unknown "
                                                             "version"}, file=str(old)))
    return load_rules(old, **overrides)


def load_rules_text(text: str, **overrides: Any) -> RuleSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Finding(RULES_UNREADABLE, {"error": str(exc)})) from None
    data.update({k: v for k, v in overrides.items() if v is not None})
    return rules_from_dict(data)
