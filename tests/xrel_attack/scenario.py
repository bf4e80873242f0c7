"""Small synthetic worlds for the cross-release scenarios: ground truth per finest cell, published tables
built from it (with the suppressions a scenario names), as CSV files for the attacker and as engine releases
for the audit."""
from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field

from disclosure_rules.crossrelease import Cell, Release

from .attacker import Knowledge, Published

BLOCKS = [f"B{i:02d}" for i in range(1, 13)]
MARGIN = "Insgesamt"


def hierarchy_csv(level: str, parts: dict[str, list[str]]) -> bytes:
    """Baublock → ``level`` → stadt."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["baublock", "baublock_name", level, f"{level}_name"])
    for area, blocks in parts.items():
        for b in blocks:
            w.writerow([b, f"Block {b}", area, f"Gebiet {area}"])
    return buf.getvalue().encode()


STADTTEILE = {"T1": BLOCKS[:6], "T2": BLOCKS[6:]}
H_ST = hierarchy_csv("stadtteil", STADTTEILE)


@dataclass
class Truth:
    """True counts per (period, segment, block, categories): a segment is a population minus the populations
    nested in it (a chain here), categories are ((dim, cat), ...) sorted by dimension."""

    counts: dict[tuple, int] = field(default_factory=dict)
    nesting: dict[str, str] = field(default_factory=dict)  # child -> parent

    def set(self, period, segment, block, dims: dict, value: int) -> None:
        self.counts[(period, segment, block, tuple(sorted(dims.items())))] = value

    def segments_of(self, pop: str) -> list[str]:
        segs = {k[1] for k in self.counts} | set(self.nesting) | set(self.nesting.values())
        out = []
        for s in segs:
            x = s
            while True:
                if x == pop:
                    out.append(s)
                    break
                if x not in self.nesting:
                    break
                x = self.nesting[x]
        return out

    def value(self, period, pop, blocks, dims: dict, groupings=None) -> int:
        groupings = groupings or {}
        segs = set(self.segments_of(pop))
        total = 0
        for (per, seg, b, cats), v in self.counts.items():
            if per != period or seg not in segs or b not in blocks:
                continue
            c = dict(cats)
            ok = True
            for d, want in dims.items():
                if want == MARGIN:
                    continue
                allowed = set(groupings.get(d, {}).get(want, [want]))
                if c.get(d) not in allowed:
                    ok = False
                    break
            if ok:
                total += v
        return total

    def for_attacker(self) -> dict[tuple, int]:
        return dict(self.counts)


@dataclass
class Table:
    label: str
    period: str
    population: str
    level: str
    hierarchy: bytes
    dims: list[str]
    rows: list[tuple]  # (level, area, ((dim, cat), ...), count | None, truth)
    series: str = "s"
    audience: str = "public"

    def csv(self) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["level", "area", *self.dims, "count"])
        for level, area, dims, count, _ in self.rows:
            d = dict(dims)
            w.writerow([level, area, *[d[x] for x in self.dims],
                        "." if count is None else ("-" if count == 0 else str(count))])
        # what the public downloads: the published (German) form of the release table
        from catalog.releasetable import publish

        return publish(buf.getvalue().encode(), {})

    def published(self) -> Published:
        return Published(self.label, self.csv(), self.hierarchy, self.population, self.period)

    def release(self, with_truth: bool = True) -> Release:
        parts = _parts(self.hierarchy)
        finest = "baublock"
        membership = {}
        for level, area, *_ in self.rows:
            if level != finest:
                membership[area] = sorted(parts[level][area])
        cells = tuple(Cell(area, tuple(sorted(dims)), count, "ok" if count is not None else "suppressed",
                           level, truth if with_truth else None)
                      for level, area, dims, count, truth in self.rows)
        return Release(label=self.label, series=self.series, period=self.period, audience=self.audience,
                       level=self.level, finest_level=finest, hierarchy=self.hierarchy.decode()[:20],
                       membership=membership, cells=cells, population=self.population,
                       dimensions=tuple(self.dims))


def _parts(h: bytes) -> dict[str, dict[str, set[str]]]:
    rows = list(csv.reader(io.StringIO(h.decode())))
    level = rows[0][2]
    out: dict[str, dict[str, set[str]]] = {level: {}, "baublock": {}, "stadt": {"STADT": set()}}
    for r in rows[1:]:
        out[level].setdefault(r[2], set()).add(r[0])
        out["baublock"][r[0]] = {r[0]}
        out["stadt"]["STADT"].add(r[0])
    return out


def table(label, truth: Truth, period, population, level, hierarchy, dims: dict[str, list[str]], *,
          suppress=(), series="s", audience="public", margins=False, groupings=None, values=None) -> Table:
    """A table of ``level`` × the given categories, computed from the truth; ``suppress``: (area, {dim: cat})
    cells published as '.'; ``values``: [(area, {dim: cat}, value)] published values overriding the truth (an
    inconsistent release); ``margins``: also the ``Insgesamt`` cells and the city total."""
    parts = _parts(hierarchy)
    dim_names = sorted(dims)
    cats = [list(dims[d]) + ([MARGIN] if margins else []) for d in dim_names]
    levels = [level] + (["stadt"] if margins and level != "stadt" else [])
    hidden = {(a, tuple(sorted(d.items()))) for a, d in suppress}
    override = {(a, tuple(sorted(d.items()))): v for a, d, v in (values or [])}
    rows = []
    for lv in levels:
        for area in sorted(parts[lv]):
            for combo in itertools.product(*cats):
                dd = dict(zip(dim_names, combo))
                key = (area, tuple(sorted(dd.items())))
                t = truth.value(period, population, parts[lv][area], dd, groupings)
                shown = override.get(key, t)
                rows.append((lv, area, tuple(sorted(dd.items())), None if key in hidden else shown, t))
    return Table(label, period, population, level, hierarchy, dim_names, rows, series, audience)


def knowledge(tables: list[Table], nesting=None, groupings=None, links=()) -> Knowledge:
    return Knowledge([t.published() for t in tables], dict(nesting or {}),
                     {d: {k: list(v) for k, v in g.items()} for d, g in (groupings or {}).items()}, list(links))


def unchanged_links(a: Table, b: Table) -> list[tuple]:
    """Cells of two tables whose true value is the same in both (what a lucky attacker assumes rightly)."""
    tb = {(lv, area, dims): truth for lv, area, dims, _, truth in b.rows}
    out = []
    for lv, area, dims, count, truth in a.rows:
        other = tb.get((lv, area, dims))
        if other is not None and other == truth:
            out.append((a.label, b.label, lv, area, dims))
    return out
