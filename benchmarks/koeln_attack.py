"""Köln 2012, Stadtteil × Herkunft: scope ``cells`` against the independent attacker of tests/attacker/.

    .venv/bin/python benchmarks/koeln_attack.py [--data DIR] [--modes heuristic,optimal]

Needs the real files (not in the repository, licences: see /work/shared/data/real/SOURCES.md):
``koeln_bevoelkerung_stadtteile_2012.csv`` (table "Einwohner mit Migrationshintergrund": the seven origin
groups of foreign residents - Afrika, Amerika, Asien, Europäische Union, Türkei, Übriges Europa, Sonstige -
per Stadtteil; their sum is the published "Ausländer") and ``koeln_stadtviertel_stadtteil_stadtbezirk.csv``
(Stadtteil → Stadtbezirk).  Without them the script says so and exits 0 (the committed tests use a synthetic
table of the same shape: tests/attacker/test_attacker_koeln_shape.py).

Per mode: Freigabe's assessment, the published CSV as the product writes it, then the attacker's integer
programs on it (outsiders, and all insiders at once).  Prints and writes
``benchmarks/results/koeln-<date>.json`` - figures only (numbers of cells, bounds reached), never values.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORIGINS = ["Afrika", "Amerika", "Asien", "Europäische Union", "Türkei", "Übriges Europa", "Sonstige"]


def load(data_dir: Path):
    import pandas as pd

    d = pd.read_csv(data_dir / "koeln_bevoelkerung_stadtteile_2012.csv", dtype=str)
    m = d[(d["tabelle"] == "Einwohner mit Migrationshintergrund") & d["zeile"].isin(ORIGINS)
          & (d["raum_id"].astype(int) >= 100)]
    table = pd.DataFrame({"stadtteil": m["raum_id"].to_numpy(), "herkunft": m["zeile"].to_numpy(),
                          "anzahl": m["zahl"].astype(float).astype(int).astype(str).to_numpy()})
    h = pd.read_csv(data_dir / "koeln_stadtviertel_stadtteil_stadtbezirk.csv", dtype=str)
    hier = h[["stadtteil_nr", "stadtbezirk_nr"]].drop_duplicates().rename(
        columns={"stadtteil_nr": "stadtteil", "stadtbezirk_nr": "stadtbezirk"}).reset_index(drop=True)
    return table, hier


def run(table, hier, mode: str, k: int = 3) -> dict:
    from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table
    from publisher.publication import render_artifact
    from tests.attacker.attacker import System, read_hierarchy, read_release
    from tests.attacker.cities import truth

    h = load_hierarchy(hier)
    p = prepare_table(table, h, geo_column="stadtteil", count_columns=["anzahl"], dimensions=["herkunft"])
    t0 = time.perf_counter()
    a = assess(p, h, load_rules(scope="cells", cells={"secondary": mode}))
    seconds = time.perf_counter() - t0
    loss = a.report.information_loss
    # numbers of cells only: nothing derived from the real counts leaves this script
    out = {"mode": mode, "outcome": a.outcome, "seconds": round(seconds, 2),
           "audit": a.report.public_dict()["audit"],
           "information_loss": {k: loss[k] for k in ("cells_submitted", "cells_published", "cells_lost",
                                                     "share_of_cells_lost", "suppressed_cells")}}
    whole = assess(p, h, load_rules())
    out["whole_table"] = {"level": whole.level, "share_of_cells_lost": whole.report.information_loss[
        "share_of_cells_lost"]}
    from disclosure_rules.cells.model import build
    from disclosure_rules.cells.protection import requirement
    from disclosure_rules.cells.relax import solve
    from disclosure_rules.cells.suppress import primary_mask
    import numpy as np

    tab = build(p, h)
    req = requirement(tab.values, primary_mask(tab.values, k, False), load_rules(scope="cells"))
    lb = solve(tab.A, tab.values, req, np.ones(tab.n), 60.0)
    out["lower_bound_suppressed_cells"] = {"value": round(lb.lower_bound, 2), "status": lb.status}
    if a.outcome != "publishable":
        return out
    pub = read_release(render_artifact(a.releasable))
    buf = io.StringIO()
    hier.to_csv(buf, index=False)
    levels, parent = read_hierarchy(buf.getvalue().encode())
    system = System(pub, levels, parent)
    true = truth(hier, table, ["herkunft"])
    sensitive = [key for key, v in true.items() if 0 < v < k]
    assert all(key in set(pub.secret) for key in sensitive)
    t1 = time.perf_counter()
    outsider = system.bounds(sensitive)
    insiders = system.bounds(sensitive, lower={key: true[key] for key in sensitive}, sides=(-1.0,))
    rep = {(i["level"], i["area"], i["herkunft"]): i for i in a.report.to_dict()["audit"]["intervals"]}
    agree = all(outsider[key][0] <= rep[key]["lo"] <= true[key] <= rep[key]["hi"] <= insiders[key][1]
                for key in sensitive)
    out["attacker"] = {
        "primary_cells": len(sensitive),
        "suppressed_cells": len(pub.secret),
        "pinned_below_k_outsider": sum(outsider[key][1] < k for key in sensitive),
        "pinned_below_k_insiders": sum(insiders[key][1] < k for key in sensitive),
        "min_upper_bound_outsider": min(outsider[key][1] for key in sensitive),
        "min_upper_bound_insiders": min(insiders[key][1] for key in sensitive),
        "upper_bound_equal_to_true_value": sum(insiders[key][1] == true[key] for key in sensitive),
        "report_agrees": agree,
        "seconds": round(time.perf_counter() - t1, 2),
    }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/real")
    ap.add_argument("--modes", default="heuristic,optimal")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not (data / "koeln_bevoelkerung_stadtteile_2012.csv").is_file():
        print(f"Köln 2012 not found in {data}: nothing to do (the committed tests use a synthetic table).")
        return 0
    table, hier = load(data)
    rows = [run(table, hier, m) for m in args.modes.split(",")]
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    out = ROOT / "benchmarks" / "results" / f"koeln-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"table": "Köln 2012, Stadtteil × Herkunft (7 origin groups of foreign residents)",
                               "stadtteile": int(table["stadtteil"].nunique()), "runs": rows}, indent=2,
                              ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
