"""Issue 13 acceptance: an independent integer attacker (tests/attacker/attacker.py, no code shared with
disclosure_rules.cells) against cells-scope output of fresh skewed synthetic cities.

For every generated city (3-level geography, 2 dimensions, many small counts), in heuristic and optimal mode:

* every primary cell (true value 1..k-1, or 0..k-1 with zeros disclosive) is suppressed, every published number
  is the true one;
* the attacker, reading only the published CSV (the German published form: ``catalog.releasetable.publish`` of the approved artifact) and
  the public hierarchy CSV, cannot pin any primary cell: its integer maximum is ≥ k - also when it knows, for
  every primary cell at once, that the cell is at least its true value (all insiders together);
* the audit's report agrees with the attacker cell by cell: for every primary cell the report's interval
  ``[lo, hi]`` lies inside the attacker's integer interval (``att_min ≤ lo ≤ value ≤ hi ≤ att_max``, ``hi`` also
  ≤ the insiders' maximum), every cell the report calls protected really reaches its required value for the
  attacker with insiders (``att_max_insiders ≥ required_hi ≥ k``), and the report lists exactly the primary
  cells.
"""
from __future__ import annotations

import numpy as np
import pytest

from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table
from catalog.releasetable import publish
from publisher.publication import render_artifact
from tests.attacker.attacker import System, read_hierarchy, read_release
from tests.attacker.cities import city, hierarchy_csv, truth

CASES = [(seed, mode, False) for seed in range(14) for mode in ("heuristic", "optimal")] + \
        [(100 + seed, "heuristic", True) for seed in range(6)]


def _run(seed: int, mode: str, zeros: bool, k: int = 3):
    hier, table, dims = city(seed, n_blocks=12 if zeros else None)
    h = load_hierarchy(hier)
    p = prepare_table(table, h, geo_column="baublock", count_columns=["anzahl"], dimensions=dims)
    rules = load_rules(scope="cells", min_count=k, zeros_are_disclosive=zeros,
                       cells={"secondary": mode, "time_limit_s": 20.0})
    a = assess(p, h, rules)
    return hier, table, dims, a


@pytest.mark.parametrize("seed,mode,zeros", CASES)
def test_no_primary_cell_can_be_pinned_and_the_report_agrees_with_the_attacker(seed, mode, zeros):
    k = 3
    hier, table, dims, a = _run(seed, mode, zeros, k)
    assert a.outcome == "publishable", a.report.to_dict()["findings"]
    data = publish(render_artifact(a.releasable, "-" if seed % 2 else "0"), {})
    pub = read_release(data)
    true = truth(hier, table, dims)
    assert set(pub.keys) == set(true), "the published table has exactly the cells of the table with margins"
    for key, v in pub.known.items():
        assert v == true[key], f"published {key} = {v}, true {true[key]}"
    sensitive = [key for key, v in true.items() if (v < k if zeros else 0 < v < k)]
    assert sensitive, "the generator makes small counts"
    secret = set(pub.secret)
    assert all(key in secret for key in sensitive), "a primary cell was published"
    levels, parent = read_hierarchy(hierarchy_csv(hier))
    system = System(pub, levels, parent)
    outsider = system.bounds(sensitive)
    insiders = system.bounds(sensitive, lower={key: true[key] for key in sensitive}, sides=(-1.0,))
    for key in sensitive:
        lo, hi = outsider[key]
        assert lo <= true[key] <= hi
        assert hi >= k, f"{key} (value {true[key]}) is pinned to {lo}..{hi}"
        assert insiders[key][1] >= k, f"{key} (value {true[key]}): insiders pin it to at most {insiders[key][1]}"
    # the audit's own report, cell by cell
    report = a.report.to_dict()["audit"]
    rep = {(i["level"], i["area"], *[i[d] for d in dims]): i for i in report["intervals"]}
    assert set(rep) == set(sensitive)
    for key, i in rep.items():
        lo, hi = outsider[key]
        assert i["count"] == true[key]
        assert i["protected"] is True
        assert lo <= i["lo"] <= true[key] <= i["hi"] <= hi, (key, i, outsider[key])
        assert i["hi"] <= insiders[key][1], (key, i, insiders[key])
        assert i["required_hi"] >= k and insiders[key][1] >= i["required_hi"] and i["hi"] >= i["required_hi"]


def test_the_generator_is_skewed_and_the_cities_differ():
    shares, seen = [], set()
    for seed in range(6):
        hier, table, dims = city(seed)
        v = table["anzahl"].astype(int).to_numpy()
        shares.append(((v > 0) & (v < 3)).mean())
        seen.add(len(hier))
        assert hier["stadtteil"].nunique() >= 3 and hier["stadtbezirk"].nunique() == 2 and len(dims) == 2
    assert min(shares) > 0.1 and len(seen) > 1


def test_the_attacker_finds_what_the_old_outward_rounding_published():
    """The attacker is not toothless: on a pattern that leaves a cell pinned (two blocks, published margins)
    it finds the pin."""
    import csv
    import io

    rows = [["level", "area", "k", "count"],
            ["block", "B1", "a", "."], ["block", "B1", "b", "."], ["block", "B1", "Insgesamt", "3"],
            ["block", "B2", "a", "."], ["block", "B2", "b", "."], ["block", "B2", "Insgesamt", "5"],
            ["teil", "T1", "a", "2"], ["teil", "T1", "b", "6"], ["teil", "T1", "Insgesamt", "8"]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    pub = read_release(buf.getvalue().encode())
    levels, parent = read_hierarchy(b"block,teil\nB1,T1\nB2,T1\n")
    system = System(pub, levels, parent)
    got = system.bounds([("block", "B1", "a"), ("block", "B2", "a")])
    # a(B1) + a(B2) = 2 and a(B1) ≤ 3: both cells are 0..2, whatever the true split
    assert got[("block", "B1", "a")] == (0, 2) and got[("block", "B2", "a")] == (0, 2)
    ins = system.bounds([("block", "B1", "a")], lower={("block", "B2", "a"): 1}, sides=(-1.0,))
    assert ins[("block", "B1", "a")][1] == 1  # the insider of B2/a (at least 1) pins B1/a to ≤ 1
    assert np.isfinite(system.total)
