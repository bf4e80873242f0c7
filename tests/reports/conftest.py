"""Factories of the report tests: tables and reports reached through the real services (no rows written by
hand), two series so the tables are checked as separate populations."""
from __future__ import annotations

import itertools

import pytest

from publisher.manifest import current_sha
from tests.conftest import LONG_MAPPING, meta


@pytest.fixture
def make_table(ctx, users, hierarchy, table_bytes):
    """``make_table(state, title=..., series=..., submitter=...)`` - a table reached via real transitions."""
    from publisher.services import intake, reference, review

    reference.ensure_default_rule_set(ctx)
    seeds = itertools.count(300)

    def make(state="submitted", title="Bevölkerung nach Stadtteil", series="bevoelkerung-aktuell", submitter=None,
             **metadata):
        who = submitter or users["submitter"]
        sub = intake.create_draft(ctx, who, data=table_bytes(seed=next(seeds)), filename="tabelle.csv",
                                  metadata=meta(title=title, **metadata), mapping=LONG_MAPPING, series=series,
                                  hierarchy=hierarchy.id)
        if state == "draft":
            return sub
        return review.submit(ctx, who, sub.id)

    return make


@pytest.fixture
def approve(ctx, users):
    """``approve(sub)`` - the DPO approves exactly the manifest shown now."""
    from publisher.services import review

    def go(sub, approver=None):
        return review.approve(ctx, approver or users["approver"], sub.id, current_sha(ctx, sub.id))

    return go


@pytest.fixture
def two_table_report(ctx, users, make_table):
    """A COMPLETE report "Bevölkerung aktuell, KW 47/2026" of two submitted tables (different series)."""
    from publisher.services import reports

    def make(complete=True, **kw):
        a = make_table(title="Einwohner nach Stadtteil", series="bevoelkerung-aktuell", **kw)
        b = make_table(title="Geflüchtete nach Aufenthaltsstatus", series="fluechtlinge-aktuell", **kw)
        r = reports.create(ctx, users["submitter"], "Bevölkerung aktuell", "KW 47/2026",
                           audience=kw.get("audience", "public"), groups=kw.get("groups", ()))
        reports.add(ctx, users["submitter"], r.id, a.id)
        reports.add(ctx, users["submitter"], r.id, b.id)
        if complete:
            r = reports.complete(ctx, users["submitter"], r.id)
        return r, a, b

    return make
