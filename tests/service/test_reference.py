"""Reference data: rule sets and hierarchies are versioned, every change audited, bad input refused."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from publisher.models import AuditEvent, Hierarchy, RuleSet
from publisher.services import intake, reference
from publisher.services.errors import Forbidden, InvalidInput

TOML = """name = "mindestfallzahl-{k}"
version = "1.0.0"
min_count = {k}
zeros_are_disclosive = false
scope = "whole_table"
coarsen = true
"""


def test_rule_sets_versioned_and_audited(ctx, fresh, users):
    rs1 = reference.create_rule_set(ctx, users["admin"], "streng", TOML.format(k=5))
    rs2 = reference.create_rule_set(ctx, users["admin"], "streng", TOML.format(k=10))
    assert (rs1.version, rs2.version) == (1, 2)
    c = fresh()
    assert not c.session.get(RuleSet, rs1.id).active and c.session.get(RuleSet, rs2.id).active
    assert reference.resolve_rule_set(c, "streng").id == rs2.id
    assert c.session.get(RuleSet, rs2.id).fingerprint  # the engine's fingerprint is kept
    events = c.session.execute(select(AuditEvent).where(AuditEvent.event == "ruleset.created")).scalars().all()
    assert len(events) == 2 and events[1].details_dict["version"] == 2


def test_bad_rule_set_refused_nothing_stored(ctx, fresh, users):
    with pytest.raises(InvalidInput):
        reference.create_rule_set(ctx, users["admin"], "kaputt", "min_count = = 3")
    with pytest.raises(Forbidden):
        reference.create_rule_set(ctx, users["approver"], "x", TOML.format(k=5))
    assert fresh().session.execute(select(func.count()).select_from(RuleSet)).scalar() == 0


def test_stricter_rule_set_changes_the_outcome(ctx, users, hierarchy, table_bytes):
    strict = reference.create_rule_set(ctx, users["admin"], "streng", TOML.format(k=1000))
    mapping = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
               "layout": "long"}
    meta = {"title": "T", "reference_period": "2026-07", "contact": "statistik@stadt.example"}
    normal = intake.create_draft(ctx, users["submitter"], data=table_bytes(seed=1), filename="a.csv", metadata=meta,
                                 mapping=mapping, hierarchy=hierarchy.id)
    hard = intake.create_draft(ctx, users["submitter"], data=table_bytes(seed=1), filename="a.csv", metadata=meta,
                               mapping=mapping, hierarchy=hierarchy.id, rule_set=strict.id)
    assert normal.current_version.outcome == "publishable"
    assert hard.current_version.rule_set_id == strict.id
    assert hard.current_version.level != normal.current_version.level or hard.current_version.outcome == "withheld"


def test_hierarchy_versions_and_valid_from(ctx, users, city):
    data = city.hierarchy_csv()
    h1 = reference.import_hierarchy(ctx, users["admin"], data, "h.csv", "stadt", dt.date(2020, 1, 1))
    h2 = reference.import_hierarchy(ctx, users["admin"], data, "h.csv", "stadt", dt.date(2099, 1, 1))
    assert (h1.version, h2.version) == (1, 2)
    # today only version 1 is valid; on 2099-06-01 version 2
    assert reference.resolve_hierarchy(ctx, "stadt").id == h1.id
    assert reference.resolve_hierarchy(ctx, "stadt", on=dt.date(2099, 6, 1)).id == h2.id
    with pytest.raises(Forbidden):
        reference.import_hierarchy(ctx, users["submitter"], data, "h.csv", "stadt")


def test_bad_hierarchy_refused_with_file_named(ctx, fresh, users):
    bad = "baublock,stadtteil\n0101001,0101\n0101001,0102\n".encode()
    with pytest.raises(InvalidInput) as exc:
        reference.import_hierarchy(ctx, users["admin"], bad, "zwei_eltern.csv", "stadt")
    assert "zwei_eltern.csv" in exc.value.message("de")
    c = fresh()
    assert c.session.execute(select(func.count()).select_from(Hierarchy)).scalar() == 0
    assert ctx.store.all_hashes() == set()
