"""Issue 13 acceptance on the shape of Köln 2012 (Stadtteil × Herkunft): a synthetic table with 86
Stadtteile in 9 Stadtbezirke and the seven origin groups (the real file is not committed; the same check on it
is ``benchmarks/koeln_attack.py``, figures in docs/performance.md)."""
from __future__ import annotations

import pytest

from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table
from catalog.releasetable import publish
from publisher.publication import render_artifact
from tests.attacker.attacker import System, read_hierarchy, read_release
from tests.attacker.cities import hierarchy_csv, koeln_shaped, truth


@pytest.mark.parametrize("seed,mode", [(1, "heuristic"), (2, "heuristic"), (3, "optimal")])
def test_koeln_shaped_release_pins_no_small_count_for_outsiders_or_insiders(seed, mode):
    hier, table = koeln_shaped(seed)
    h = load_hierarchy(hier)
    p = prepare_table(table, h, geo_column="stadtteil", count_columns=["anzahl"], dimensions=["herkunft"])
    a = assess(p, h, load_rules(scope="cells", cells={"secondary": mode}))
    whole = assess(p, h, load_rules())
    assert a.outcome == "publishable"
    true = truth(hier, table, ["herkunft"])
    sensitive = [key for key, v in true.items() if 0 < v < 3]
    assert len(sensitive) >= 5, "the shape has small counts (rare origin groups in small Stadtteile)"
    pub = read_release(publish(render_artifact(a.releasable), {}))
    assert all(key in set(pub.secret) for key in sensitive)
    assert all(true[key] == v for key, v in pub.known.items())
    levels, parent = read_hierarchy(hierarchy_csv(hier))
    system = System(pub, levels, parent)
    outsider = system.bounds(sensitive)
    insiders = system.bounds(sensitive, lower={key: true[key] for key in sensitive}, sides=(-1.0,))
    assert all(outsider[key][1] >= 3 and insiders[key][1] >= 3 for key in sensitive)
    rep = {(i["level"], i["area"], i["herkunft"]): i for i in a.report.to_dict()["audit"]["intervals"]}
    assert set(rep) == set(sensitive)
    for key in sensitive:
        assert outsider[key][0] <= rep[key]["lo"] <= true[key] <= rep[key]["hi"] <= insiders[key][1]
    # cell suppression keeps far more of the table than withholding and coarsening it
    assert a.report.information_loss["share_of_cells_lost"] < 0.5 * whole.report.information_loss[
        "share_of_cells_lost"]
