"""Geography hierarchy: levels finest → coarsest, every code with exactly one parent.

The file is a CSV (or XLSX) with one column per level, finest first (e.g. ``baublock;stadtteil;stadtbezirk``);
columns ending in ``_name`` are display names (``stadtteil_name`` names ``stadtteil``), not levels.  Level
columns may carry a suffix ``_nr``/``_id``/``_code`` (``stadtteil_nr`` is the level ``stadtteil``).  Codes are
strings: leading zeros are kept.  Unless the coarsest level already has a single code, an implicit city-total
level ``stadt`` with the code ``STADT`` is added on top.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from .findings import Finding, InputError, Severity, register

TOTAL_LEVEL = "stadt"
TOTAL_CODE = "STADT"
TOTAL_NAME = "Stadt insgesamt"

H_NO_LEVELS = register("FG-HIER-NO-LEVELS", Severity.ERROR,
                       "Die Hierarchie hat keine Ebenen-Spalten.", "The hierarchy has no level columns.")
H_EMPTY_CODE = register("FG-HIER-EMPTY-CODE", Severity.ERROR,
                        "Leerer Gebietsschlüssel auf Ebene „{level}“.", "Empty area code at level '{level}'.")
H_TWO_PARENTS = register("FG-HIER-TWO-PARENTS", Severity.ERROR,
                         "Gebiet „{code}“ (Ebene {level}) hat zwei übergeordnete Gebiete: „{parent1}“ und "
                         "„{parent2}“.",
                         "Area '{code}' (level {level}) has two parents: '{parent1}' and '{parent2}'.")
H_DUPLICATE = register("FG-HIER-DUPLICATE", Severity.ERROR,
                       "Gebiet „{code}“ der feinsten Ebene „{level}“ steht mehrfach in der Datei (zuerst Zeile "
                       "{first_row}).",
                       "Area '{code}' of the finest level '{level}' occurs more than once (first in row {first_row}).")
H_CYCLE = register("FG-HIER-CYCLE", Severity.ERROR,
                   "Die Hierarchie enthält einen Zyklus: {path}.", "The hierarchy contains a cycle: {path}.")
H_ONE_CHILD = register("FG-HIER-ONE-CHILD", Severity.INFO,
                       "Jedes Gebiet der Ebene „{parent_level}“ hat genau ein Teilgebiet der Ebene „{level}“: "
                       "Vergröbern von {level} nach {parent_level} ändert nichts.",
                       "Every area of level '{parent_level}' has exactly one part at level '{level}': coarsening "
                       "from {level} to {parent_level} changes nothing.")
H_TOTAL_ADDED = register("FG-HIER-TOTAL-ADDED", Severity.INFO,
                         "Über der gröbsten Ebene „{level}“ wurde die Ebene „stadt“ (Stadt insgesamt) ergänzt.",
                         "Above the coarsest level '{level}' the level 'stadt' (city total) was added.")
H_LEVEL_NAME_DUP = register("FG-HIER-LEVEL-DUPLICATE", Severity.ERROR,
                            "Die Ebene „{level}“ kommt mehrfach vor.", "The level '{level}' occurs more than once.")

_SUFFIX = re.compile(r"_(nr|id|code|schluessel|schlüssel|key)$", re.IGNORECASE)


def level_name(column: str) -> str:
    return _SUFFIX.sub("", column.strip()).strip().lower().replace(" ", "_")


@dataclass(frozen=True)
class Hierarchy:
    levels: tuple[str, ...]
    _codes: Mapping[str, tuple[str, ...]]
    _parents: Mapping[str, Mapping[str, str]]  # level -> {code: parent code at the next level}
    _names: Mapping[str, Mapping[str, str]]
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    source: str | None = None

    def codes(self, level: str) -> tuple[str, ...]:
        return self._codes[level]

    def parent_map(self, level: str) -> dict[str, str]:
        return dict(self._parents.get(level, {}))

    def parent_level(self, level: str) -> str | None:
        i = self.levels.index(level)
        return self.levels[i + 1] if i + 1 < len(self.levels) else None

    def ancestor_map(self, from_level: str, to_level: str) -> dict[str, str]:
        i, j = self.levels.index(from_level), self.levels.index(to_level)
        if j < i:
            raise ValueError(f"{to_level} is finer than {from_level}")
        mapping = {c: c for c in self._codes[from_level]}
        for k in range(i, j):
            step = self._parents[self.levels[k]]
            mapping = {c: step[p] for c, p in mapping.items()}
        return mapping

    def levels_of(self, code: str) -> tuple[str, ...]:
        return tuple(lv for lv in self.levels if code in self._code_sets[lv])

    def name(self, code: str, level: str | None = None) -> str:
        for lv in ([level] if level else self.levels):
            n = self._names.get(lv, {}).get(code)
            if n:
                return n
        return ""

    def children(self, level: str, code: str) -> tuple[str, ...]:
        i = self.levels.index(level)
        if i == 0:
            return ()
        finer = self.levels[i - 1]
        return tuple(c for c, p in self._parents[finer].items() if p == code)

    @property
    def _code_sets(self) -> dict[str, frozenset]:
        cache = self.__dict__.get("_code_set_cache")
        if cache is None:
            cache = {lv: frozenset(cs) for lv, cs in self._codes.items()}
            object.__setattr__(self, "_code_set_cache", cache)
        return cache

    def rows(self) -> list[dict]:
        """Code list: one dict per (level, code) with name and parent (for data packages)."""
        out = []
        for lv in self.levels:
            parents = self._parents.get(lv, {})
            for c in self._codes[lv]:
                out.append({"level": lv, "code": c, "name": self.name(c, lv) or None, "parent": parents.get(c)})
        return out


def load_hierarchy(source, filename: str | None = None) -> Hierarchy:
    """Load and validate a hierarchy from a path, bytes, a DataFrame or a RawTable; raises InputError."""
    from .readers import RawTable, read_table_file

    if isinstance(source, RawTable):
        raw = source
    elif isinstance(source, pd.DataFrame):
        raw = RawTable.from_frame(source, filename)
    else:
        raw = read_table_file(source, filename=filename)
    return hierarchy_from_raw(raw)


def hierarchy_from_raw(raw) -> Hierarchy:
    name = raw.filename
    frame = raw.frame
    cols = [str(c) for c in frame.columns]
    name_cols = {c[: -len("_name")].lower(): c for c in cols if c.lower().endswith("_name")}
    level_cols = [c for c in cols if not c.lower().endswith("_name")]
    if not level_cols:
        raise InputError(Finding(H_NO_LEVELS, {}, file=name))
    levels = [level_name(c) for c in level_cols]
    problems: list[Finding] = []
    for lv in set(levels):
        if levels.count(lv) > 1:
            problems.append(Finding(H_LEVEL_NAME_DUP, {"level": lv}, file=name))
    if problems:
        raise InputError(problems)
    rows = list(raw.source_rows)
    data = {lv: frame[c].astype(str).str.strip().tolist() for lv, c in zip(levels, level_cols)}
    names: dict[str, dict[str, str]] = {}
    for lv, c in zip(levels, level_cols):
        ncol = name_cols.get(lv) or name_cols.get(c.lower())
        if ncol:
            names[lv] = {code: str(n).strip() for code, n in zip(data[lv], frame[ncol].tolist()) if code}
    for lv, c in zip(levels, level_cols):
        for i, code in enumerate(data[lv]):
            if not code:
                problems.append(Finding(H_EMPTY_CODE, {"level": lv}, file=name, row=rows[i], column=c))
    if problems:
        raise InputError(problems[:50])
    finest = levels[0]
    first_seen: dict[str, int] = {}
    for i, code in enumerate(data[finest]):
        if code in first_seen:
            problems.append(Finding(H_DUPLICATE, {"code": code, "level": finest, "first_row": first_seen[code]},
                                    file=name, row=rows[i], column=level_cols[0]))
        else:
            first_seen[code] = rows[i]
    parents: dict[str, dict[str, str]] = {}
    for k in range(len(levels) - 1):
        lv, up = levels[k], levels[k + 1]
        pm: dict[str, str] = {}
        reported: set[str] = set()
        for i, (code, parent) in enumerate(zip(data[lv], data[up])):
            old = pm.get(code)
            if old is None:
                pm[code] = parent
            elif old != parent and code not in reported:
                reported.add(code)
                problems.append(Finding(H_TWO_PARENTS, {"code": code, "level": lv, "parent1": old,
                                                        "parent2": parent},
                                        file=name, row=rows[i], column=level_cols[k + 1]))
        parents[lv] = pm
    cycle = _find_cycle(parents)
    if cycle:
        problems.append(Finding(H_CYCLE, {"path": " → ".join(cycle)}, file=name))
    if problems:
        raise InputError(problems[:50])
    codes = {lv: tuple(sorted(set(data[lv]))) for lv in levels}
    findings: list[Finding] = []
    if len(codes[levels[-1]]) != 1:
        findings.append(Finding(H_TOTAL_ADDED, {"level": levels[-1]}, file=name))
        parents[levels[-1]] = {c: TOTAL_CODE for c in codes[levels[-1]]}
        levels.append(TOTAL_LEVEL)
        codes[TOTAL_LEVEL] = (TOTAL_CODE,)
        names[TOTAL_LEVEL] = {TOTAL_CODE: TOTAL_NAME}
    for k in range(len(levels) - 1):
        lv, up = levels[k], levels[k + 1]
        if len(codes[lv]) == len(codes[up]):  # one child each (every parent has ≥ 1 child by construction)
            findings.append(Finding(H_ONE_CHILD, {"level": lv, "parent_level": up}, file=name))
    return Hierarchy(tuple(levels), codes, parents, names, tuple(findings), name)


def _find_cycle(parents: dict[str, dict[str, str]]) -> list[str] | None:
    """Codes as nodes, child → parent edges (ignoring a code repeated on the next level): any cycle?"""
    graph: dict[str, set[str]] = {}
    for pm in parents.values():
        for c, p in pm.items():
            if c != p:
                graph.setdefault(c, set()).add(p)
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(graph.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(graph.get(nxt, ()))))
                path.append(nxt)
    return None
