"""Data of the cross-release checks: releases, their cells, reference data and the result.

Everything here is plain data handed over by the caller (the publisher reads it from its ledger and its
reference tables); nothing is read from a database or a file.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from ..findings import Finding

TOTAL = "Insgesamt"  # the margin over a dimension, as the cells scope writes it


@dataclass(frozen=True)
class Cell:
    area: str
    dims: tuple[tuple[str, str], ...]  # sorted (dimension, category) pairs
    count: int | None  # None where suppressed
    status: str = "ok"  # ok | zero | primary | secondary | suppressed (kind unknown)
    level: str = ""  # geography level of ``area`` ("" = look it up in the release's membership)
    truth: int | None = None  # the true count (only in memory, from the raw data; never published or stored)

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
    level: str  # geography level of the table (its finest published level)
    finest_level: str  # the hierarchy's finest level
    hierarchy: str  # hierarchy name + version, e.g. "berlin-lor v2"
    membership: Mapping[str, Sequence[str]]  # area -> finest codes it contains (in this hierarchy version)
    cells: tuple[Cell, ...]
    population: str = ""  # releases of one population (or of nested populations) are checked together
    dimensions: tuple[str, ...] = ()

    @property
    def population_key(self) -> str:
        return self.population or self.series

    @property
    def has_truth(self) -> bool:
        return any(c.truth is not None for c in self.cells)

    def finest(self, cell: Cell) -> tuple[str, ...]:
        """The finest codes a cell's area contains (empty when unknown)."""
        if cell.level and cell.level == self.finest_level:
            return (cell.area,)
        codes = self.membership.get(cell.area)
        if codes:
            return tuple(codes)
        if (cell.level or self.level) == self.finest_level:
            return (cell.area,)
        return ()

    def with_truth(self, truth: Mapping[tuple, int] | None) -> "Release":
        """A copy whose cells carry their true counts, ``truth[(level, area, dims)]`` (``level`` may be "")."""
        if not truth:
            return self
        cells = []
        for c in self.cells:
            t = truth.get((c.level or self.level, c.area, c.dims))
            if t is None:
                t = truth.get(("", c.area, c.dims))
            cells.append(replace(c, truth=None if t is None else int(t)))
        return replace(self, cells=tuple(cells))


@dataclass(frozen=True)
class Reference:
    """Reference data kept by admins.

    ``populations``: population key -> the key of the population it is part of (None: none), e.g.
    ``{"gefluechtete": None, "gefluechtete-ohne-ukraine": "gefluechtete"}``.
    ``groupings``: dimension -> category -> its parts; ``()`` declares a category of its own (an atom), e.g.
    ``{"aufenthaltsstatus": {"Duldung oder Sonstige": ("Duldung", "Sonstige"), "Asyl": ()}}``.
    ``names``: population key -> display name (for the DPO)."""

    populations: Mapping[str, str | None] = field(default_factory=dict)
    groupings: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    def ancestors(self, key: str) -> list[str]:
        out, seen = [], {key}
        p = self.populations.get(key)
        while p and p not in seen:
            out.append(p)
            seen.add(p)
            p = self.populations.get(p)
        return out

    def root(self, key: str) -> str:
        a = self.ancestors(key)
        return a[-1] if a else key

    def family(self, key: str) -> frozenset[str]:
        """Every population nested with ``key`` (same tree of declared nesting), ``key`` included."""
        root = self.root(key)
        return frozenset({key} | {p for p in self.populations if self.root(p) == root})

    def expand(self, dimension: str, category: str) -> frozenset[str]:
        """The atoms (categories that group nothing) a category stands for."""
        table = self.groupings.get(dimension) or {}
        out: set[str] = set()
        stack, seen = [category], set()
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            parts = table.get(c)
            if parts:
                stack.extend(parts)
            else:
                out.add(c)
        return frozenset(out)

    def declared(self, dimension: str, category: str) -> bool:
        return category in (self.groupings.get(dimension) or {})

    def name(self, key: str) -> str:
        return self.names.get(key) or key


@dataclass(frozen=True)
class CheckParams:
    min_count: int = 3
    zeros_are_disclosive: bool = False
    differencing: bool = True  # temporal differencing check
    protection_width: int = 0
    differencing_levels: tuple[str, ...] = ()  # () = the table's own (finest published) level; ("*",) = all
    milp_time_limit_s: float = 20.0

    @classmethod
    def from_rules(cls, rules: Any) -> "CheckParams":
        cells = getattr(rules, "cells", None)
        levels = getattr(rules, "differencing_levels", ()) or ()
        return cls(min_count=int(rules.min_count), zeros_are_disclosive=bool(rules.zeros_are_disclosive),
                   differencing=bool(getattr(rules, "differencing", True)),
                   protection_width=int(getattr(cells, "protection_width", 0) or 0),
                   differencing_levels=tuple(str(x) for x in levels))

    @property
    def low_bad(self) -> int:
        return 0 if self.zeros_are_disclosive else 1


@dataclass(frozen=True)
class Compared:
    """One earlier release the checks looked at, and why."""

    label: str
    role: str  # same_period | nested_population | earlier_period | corrected
    population: str
    period: str

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "role": self.role, "population": self.population, "period": self.period}


@dataclass(frozen=True)
class CrossReleaseResult:
    findings: tuple[Finding, ...]
    compared: tuple[str, ...] = field(default_factory=tuple)  # labels of the earlier releases looked at
    comparisons: tuple[Compared, ...] = field(default_factory=tuple)
    population: dict[str, Any] = field(default_factory=dict)  # key, name, family (names) of the candidate
    blocking_codes: frozenset[str] = frozenset()

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.code in self.blocking_codes)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "compared": list(self.compared),
                "comparisons": [c.to_dict() for c in self.comparisons], "population": dict(self.population),
                "findings": [f.to_dict() for f in self.findings]}


def make_cells(rows: Iterable[Mapping[str, Any]], dimensions: Sequence[str]) -> tuple[Cell, ...]:
    """Cells from rows like the releasable table's (``area``, dimension columns, ``count`` (None/NA where
    suppressed), ``status``, optionally ``level``)."""
    out = []
    for r in rows:
        count = r.get("count")
        try:
            missing = count is None or bool(count != count) or str(count) in ("<NA>", "nan", "")
        except (TypeError, ValueError):  # pandas NA
            missing = True
        out.append(Cell(str(r["area"]), tuple(sorted((d, str(r[d])) for d in dimensions)),
                        None if missing else int(count), str(r.get("status") or ("suppressed" if missing else "ok")),
                        str(r.get("level") or "")))
    return tuple(out)


def where(dims: Iterable[tuple[str, str]]) -> tuple[str, str]:
    dims = tuple(dims)
    if not dims:
        return "", ""
    text = ", ".join(f"{d}={v}" for d, v in dims)
    return f" ({text})", f" ({text})"


def labels(releases: Iterable[Release]) -> str:
    return ", ".join(sorted({r.label for r in releases}))
