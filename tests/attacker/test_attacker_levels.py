"""Issue 13 item 2 against the independent attacker: protection levels configured in the rule set (upper and lower,
absolute and % of the value) on fresh skewed synthetic cities.

The required interval of each primary cell is computed here from the rule as docs/rules-cells.md states it
(upper: ``max(v + max(abs, ⌈pct·v/100⌉), k)``; lower: ``max(0, v − max(abs, ⌈pct·v/100⌉))``), not taken from the
engine.  The attacker (tests/attacker/attacker.py, own integer programs over the published CSV and hierarchy)
must not get below the upper requirement even with every primary cell's insiders at once, and must not get above
the lower requirement with the insiders of every primary cell that shares nobody with the cell (the people of
the cell itself, of the cells inside it and of the cells containing part of it already know part of it; with
them a cell made only of small cells could never be protected downwards - docs/rules-cells.md).
"""
from __future__ import annotations

import math

import pytest

from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table
from catalog.releasetable import publish
from publisher.publication import render_artifact
from tests.attacker.attacker import System, read_hierarchy, read_release
from tests.attacker.cities import TOTAL, city, hierarchy_csv, truth

K = 3
LEVELS = {
    "pct": {"upper_protection_pct": 100.0, "lower_protection_pct": 50.0},
    "abs": {"upper_protection_abs": 4, "lower_protection_abs": 1},
}
CASES = [(200, "pct", "heuristic"), (201, "abs", "heuristic"), (202, "pct", "optimal"), (203, "abs", "heuristic")]


def required(v: int, params: dict) -> tuple[int, int]:
    up = max(int(params.get("upper_protection_abs", 0)), math.ceil(params.get("upper_protection_pct", 0.0) * v / 100))
    down = max(int(params.get("lower_protection_abs", 0)),
               math.ceil(params.get("lower_protection_pct", 0.0) * v / 100))
    return max(0, v - down), max(v + up, K)


def disjoint(a: tuple, b: tuple, parent: dict) -> bool:
    """No person is counted in both cells: some dimension has two different categories, or neither area lies
    inside the other (worked out from the public hierarchy)."""
    if any(x != TOTAL and y != TOTAL and x != y for x, y in zip(a[2:], b[2:])):
        return True

    def up(node):
        seen = [node]
        while node in parent:
            node = parent[node]
            seen.append(node)
        return seen

    na, nb = (a[0], a[1]), (b[0], b[1])
    return na not in up(nb) and nb not in up(na)


@pytest.mark.parametrize("seed,levels,mode", CASES)
def test_configured_protection_levels_hold_for_the_integer_attacker_with_insiders(seed, levels, mode):
    params = LEVELS[levels]
    hier, table, dims = city(seed)
    h = load_hierarchy(hier)
    p = prepare_table(table, h, geo_column="baublock", count_columns=["anzahl"], dimensions=dims)
    a = assess(p, h, load_rules(scope="cells", min_count=K, cells={"secondary": mode, "time_limit_s": 20.0,
                                                                   **params}))
    assert a.outcome == "publishable", a.report.to_dict()["findings"]
    pub = read_release(publish(render_artifact(a.releasable), {}))
    true = truth(hier, table, dims)
    assert all(true[key] == v for key, v in pub.known.items())
    sensitive = [key for key, v in true.items() if 0 < v < K]
    assert sensitive and all(key in set(pub.secret) for key in sensitive)
    levels_, parent = read_hierarchy(hierarchy_csv(hier))
    system = System(pub, levels_, parent)
    insiders = {key: true[key] for key in sensitive}
    top = system.bounds(sensitive, lower=insiders, sides=(-1.0,))
    rep = {(i["level"], i["area"], *[i[d] for d in dims]): i for i in a.report.to_dict()["audit"]["intervals"]}
    assert set(rep) == set(sensitive)
    narrowed = []
    for key in sensitive:
        need_lo, need_hi = required(true[key], params)
        others = {q: v for q, v in insiders.items() if disjoint(q, key, parent)}
        low = system.bounds([key], lower=others, sides=(1.0,))[key][0]
        if top[key][1] < need_hi or low > need_lo:
            narrowed.append((key, true[key], low, top[key][1], need_lo, need_hi))
        # the report states the same requirement and an interval the attacker confirms
        i = rep[key]
        assert (i["required_lo"], i["required_hi"]) == (need_lo, need_hi), (key, i)
        assert i["protected"] and low <= i["lo"] <= need_lo and need_hi <= i["hi"] <= top[key][1], (key, i, low, top)
    assert narrowed == [], f"primary cells narrowed below their protection levels: {narrowed}"
    # the lower level is not vacuous: some cells need the attacker to reach a value below their own
    assert any(required(true[key], params)[0] < true[key] for key in sensitive)
