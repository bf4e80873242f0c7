"""Upload path at city scale (issue 16 item 4): each scope runs once per upload, the reader's limits come from
the settings, and a check reports its stages (the background check shows them)."""
from __future__ import annotations

import pytest

MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"]}


def _timeless(d):
    if isinstance(d, dict):
        return {k: _timeless(v) for k, v in d.items() if k != "seconds"}
    if isinstance(d, list):
        return [_timeless(v) for v in d]
    return d


@pytest.fixture
def counted(monkeypatch):
    """Counts the real scope functions' calls (they still run: a spy, not a stand-in)."""
    import importlib

    assess_mod = importlib.import_module("disclosure_rules.assess")  # (the package re-exports a function "assess")
    cells_mod = importlib.import_module("disclosure_rules.cells")

    calls = {"whole_table": 0, "cells": 0}
    real_whole, real_cells = assess_mod.assess_whole_table, cells_mod.assess_cells

    def whole(*a, **kw):
        calls["whole_table"] += 1
        return real_whole(*a, **kw)

    def cells(*a, **kw):
        calls["cells"] += 1
        return real_cells(*a, **kw)

    monkeypatch.setattr(assess_mod, "assess_whole_table", whole)
    monkeypatch.setattr(cells_mod, "assess_cells", cells)
    return calls


@pytest.mark.parametrize("scope", ["whole_table", "cells"])
def test_each_scope_runs_once_and_the_comparison_is_unchanged(ctx, users, hierarchy, table_bytes, counted, scope):
    from disclosure_rules import load_rules
    from disclosure_rules.cells import compare_scopes
    from publisher.services import intake, reference

    reference.ensure_default_rule_set(ctx)
    rs = reference.create_rule_set(ctx, users["admin"], f"k3-{scope}", overrides={"scope": scope})
    data = table_bytes(seed=3)
    result = intake.check_upload(ctx, data, "t.csv", MAPPING, hierarchy=hierarchy.id, rule_set=rs.id)
    assert counted == {"whole_table": 1, "cells": 1}
    # the same comparison as compare_scopes computing both scopes itself
    from disclosure_rules import prepare_table, read_table_file

    eh = reference.engine_hierarchy(ctx, hierarchy)
    rules = reference.engine_rules(ctx, rs)
    assert rules.scope == scope and load_rules(scope=scope).scope == scope
    prepared = prepare_table(read_table_file(data, filename="t.csv"), eh, **MAPPING)
    expected = compare_scopes(prepared, eh, rules)
    assert _timeless(result.report["scope_comparison"]) == _timeless(expected)


def test_check_reports_its_stages_in_order(ctx, users, hierarchy, table_bytes):
    from publisher.services import intake, reference

    reference.ensure_default_rule_set(ctx)
    seen = []
    intake.check_upload(ctx, table_bytes(seed=5), "t.csv", MAPPING, hierarchy=hierarchy.id,
                        progress=lambda stage, fraction=0.0: seen.append((stage, fraction)))
    stages = [s for s, _ in seen]
    assert stages[0] == "read" and stages.index("prepare") < stages.index("assess") < stages.index("compare")
    assert [f for s, f in seen if s == "read"][-1] == 1.0


def test_reader_progress_follows_the_rows_of_a_large_file():
    from disclosure_rules import read_table_file

    data = b"baublock;status;anzahl\n" + b"".join(b"%07d;aufenthaltserlaubnis;%d\n" % (i, i % 9)
                                                 for i in range(700_000))
    assert len(data) > 2 * (8 << 20)  # several pyarrow blocks
    seen: list[float] = []
    t = read_table_file(data, filename="t.csv", progress=seen.append)
    assert len(t.frame) == 700_000
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 1


def test_table_limits_come_from_the_settings(ctx, users, hierarchy, table_bytes):
    from publisher.services import intake, reference
    from publisher.services.errors import InvalidInput

    reference.ensure_default_rule_set(ctx)
    data = table_bytes(seed=2)
    ctx.settings["MAX_TABLE_CELLS"] = 40
    with pytest.raises(InvalidInput) as exc:
        intake.check_upload(ctx, data, "t.csv", MAPPING, hierarchy=hierarchy.id)
    assert exc.value.findings[0].code == "FG-READ-TOO-MANY-CELLS" and exc.value.findings[0].file == "t.csv"
    ctx.settings["MAX_TABLE_CELLS"], ctx.settings["MAX_TABLE_BYTES"] = None, 100
    with pytest.raises(InvalidInput) as exc:
        intake.check_upload(ctx, data, "t.csv", MAPPING, hierarchy=hierarchy.id)
    assert exc.value.findings[0].code == "FG-READ-TOO-LARGE"


def test_repeated_findings_are_listed_once_each_and_bounded_with_exact_counts(ctx, users, hierarchy, city):
    from publisher.demo import counts_long, german_csv
    from publisher.services import intake, reference

    reference.ensure_default_rule_set(ctx)
    rows = counts_long(city, ["2026-07"], seed=1, small_cells=False)
    rows = [[r[0], r[1], f"=X{i}" if i % 2 else r[2], r[3]] for i, r in enumerate(rows)]  # formula-like labels
    data = german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"], rows)
    result = intake.check_upload(ctx, data, "t.csv", MAPPING, hierarchy=hierarchy.id)
    formulas = [f for f in result.findings if f["code"] == "FG-READ-FORMULA-TEXT"]
    more = [f for f in result.findings if f["code"] == "FG-REPORT-MORE-FINDINGS"]
    n = sum(1 for i in range(len(rows)) if i % 2)
    assert n > 20 and len(formulas) == 20 and formulas == sorted(formulas, key=lambda f: f["row"])
    assert [(m["params"]["code"], m["params"]["count"], m["params"]["omitted"]) for m in more] == [
        ("FG-READ-FORMULA-TEXT", n, n - 20)]
    assert len({(f["code"], f["row"], f["column"]) for f in result.findings}) == len(result.findings)


def test_background_check_status_names_the_stage_and_share(app, client, auth, users):
    """The status the page polls while a large file is checked (what _run writes as the stages pass)."""
    import json
    import time
    from pathlib import Path

    auth.login("sabine")
    folder = Path(app.config["STORAGE_DIR"]) / "checks"
    folder.mkdir(parents=True, exist_ok=True)
    record = {"state": "running", "user_id": users["submitter"].id, "started": time.time() - 3, "stage": "read",
              "percent": 20}
    (folder / "tok-stage.json").write_text(json.dumps(record), encoding="utf-8")
    st = client.get("/submissions/check/tok-stage").get_json()
    assert (st["state"], st["stage"], st["stage_label"], st["percent"]) == ("running", "read", "Datei lesen", 20)
    assert st["seconds"] >= 3
    st = client.get("/submissions/check/tok-stage?lang=en").get_json()
    assert st["stage_label"] == "reading the file"
