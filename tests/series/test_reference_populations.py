"""Populations and category groupings as admin reference data (issue 13 item 5, issue 14 item 2): admins keep
them (service, web, CLI), a submission picks a current population (web form, API) and nothing else, and the
DPO's review page shows which population and which releases the cross-release checks compared against."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from publisher.models import AuditEvent, Submission
from publisher.models_reference import CategoryGrouping, Population
from publisher.manifest import current_sha
from publisher.services import errors as E
from publisher.services import intake, populations, reference, review

from tests.conftest import LONG_HEADER, LONG_MAPPING, meta

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def pops(ctx, users):
    alle = populations.create_population(ctx, users["admin"], "Geflüchtete")
    ohne = populations.create_population(ctx, users["admin"], "Geflüchtete ohne Ukraine", parent="gefluechtete")
    return alle, ohne


def test_admins_keep_populations_with_nesting_audited(ctx, users, pops):
    alle, ohne = pops
    assert (alle.slug, ohne.slug, ohne.parent_id) == ("gefluechtete", "gefluechtete-ohne-ukraine", alle.id)
    events = [e.event for e in ctx.session.execute(select(AuditEvent)).scalars()]
    assert events.count("population.created") == 2
    ref = populations.engine_reference(ctx)
    assert ref.populations == {"gefluechtete": None, "gefluechtete-ohne-ukraine": "gefluechtete"}
    assert ref.family("gefluechtete") == {"gefluechtete", "gefluechtete-ohne-ukraine"}
    for who in ("submitter", "approver"):
        with pytest.raises(E.Forbidden):
            populations.create_population(ctx, users[who], "Einwohner")
    with pytest.raises(E.InvalidInput) as err:
        populations.create_population(ctx, users["admin"], "Kinder", parent="gibt-es-nicht")
    assert err.value.findings[0].column == "parent"
    with pytest.raises(E.InvalidInput):
        populations.create_population(ctx, users["admin"], "Geflüchtete")  # the key exists
    populations.retire_population(ctx, users["admin"], "gefluechtete-ohne-ukraine")
    assert [p.slug for p in populations.list_populations(ctx, current_only=True)] == ["gefluechtete"]
    with pytest.raises(E.InvalidInput):  # a retired population is no parent for new ones
        populations.create_population(ctx, users["admin"], "Kinder", parent="gefluechtete-ohne-ukraine")


def test_groupings_are_declared_checked_for_cycles_and_handed_to_the_engine(ctx, users):
    a = users["admin"]
    g = populations.create_grouping(ctx, a, "aufenthaltsstatus", "Duldung oder Sonstige", "Duldung, Sonstige")
    assert g.parts == ["Duldung", "Sonstige"]
    populations.create_grouping(ctx, a, "aufenthaltsstatus", "Asyl", [])
    bad = [("aufenthaltsstatus", "Duldung oder Sonstige", ["Duldung", "X"]),  # declared already
           ("aufenthaltsstatus", "Duldung", ["Duldung oder Sonstige", "Asyl"]),  # a cycle
           ("aufenthaltsstatus", "Y", ["Y", "Z"]), ("aufenthaltsstatus", "Y", ["Z"]), ("", "Y", [])]
    for dim, cat, parts in bad:
        with pytest.raises(E.InvalidInput):
            populations.create_grouping(ctx, a, dim, cat, parts)
    assert ctx.session.execute(select(func.count(CategoryGrouping.id))).scalar() == 2
    ref = populations.engine_reference(ctx)
    assert ref.expand("aufenthaltsstatus", "Duldung oder Sonstige") == {"Duldung", "Sonstige"}
    assert ref.declared("aufenthaltsstatus", "Asyl")
    populations.retire_grouping(ctx, a, g.id)
    assert "Duldung oder Sonstige" not in populations.engine_reference(ctx).groupings["aufenthaltsstatus"]


def draft(ctx, users, hierarchy, table_bytes, **m):
    return intake.create_draft(ctx, users["submitter"], data=table_bytes(seed=5, small=False),
                               filename="t.csv", metadata=meta(**m), mapping=LONG_MAPPING, series="testreihe",
                               hierarchy=hierarchy.id)


def test_a_submission_picks_a_current_population_and_nothing_else(ctx, users, hierarchy, table_bytes, pops):
    reference.ensure_default_rule_set(ctx)
    for value in ("Einwohner", "frei erfundene Population", "gefluechtete; drop table"):
        with pytest.raises(E.InvalidInput) as err:
            draft(ctx, users, hierarchy, table_bytes, population=value)
        (f,) = err.value.findings
        assert f.code == "publisher.population.unknown" and f.column == "population" and err.value.http_status == 422
        assert "gefluechtete" in f.message("de")
    assert ctx.session.execute(select(func.count(Submission.id))).scalar() == 0  # nothing half-stored
    with pytest.raises(E.InvalidInput) as err:  # admins keep populations: a new series must name one
        draft(ctx, users, hierarchy, table_bytes)
    assert err.value.findings[0].code == "publisher.population.required"
    assert err.value.findings[0].column == "population"
    sub = draft(ctx, users, hierarchy, table_bytes, population="Geflüchtete")  # by name or key
    assert sub.current_version.meta["population"] == "gefluechtete"
    # a later submission of the series inherits the series' population; another one is refused
    later = draft(ctx, users, hierarchy, table_bytes, reference_period="2026-08")
    assert later.current_version.meta["population"] == "gefluechtete"
    with pytest.raises(E.InvalidInput) as err:
        draft(ctx, users, hierarchy, table_bytes, reference_period="2026-09", population="gefluechtete-ohne-ukraine")
    assert err.value.findings[0].code == "publisher.population.series_differs"
    # a retired population can no longer be chosen
    populations.retire_population(ctx, users["admin"], "gefluechtete-ohne-ukraine")
    with pytest.raises(E.InvalidInput):
        intake.create_draft(ctx, users["submitter"], data=table_bytes(seed=6, small=False), filename="t.csv",
                            metadata=meta(population="gefluechtete-ohne-ukraine"), mapping=LONG_MAPPING,
                            series="andere-reihe", hierarchy=hierarchy.id)


def test_the_api_refuses_a_free_population_string(app, ctx, users, hierarchy, table_bytes, pops):
    from publisher.services import accounts

    reference.ensure_default_rule_set(ctx)
    _, token = accounts.create_token(ctx, None, users["submitter"].username)
    client = app.test_client()

    def upload(population):
        import io

        return client.post("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}, data={
            "file": (io.BytesIO(table_bytes(seed=7, small=False)), "t.csv"),
            "metadata": json.dumps(meta(population=population)), "mapping": json.dumps(LONG_MAPPING),
            "hierarchy": str(hierarchy.id), "series": "api-reihe"}, content_type="multipart/form-data")

    resp = upload("population-die-es-nicht-gibt")
    assert resp.status_code == 422
    (d,) = resp.json["error"]["details"]
    assert d["code"] == "publisher.population.unknown" and d["column"] == "population"
    resp = upload(["gefluechtete"])
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["column"] == "population"
    ctx.session.expire_all()
    assert ctx.session.execute(select(func.count(Submission.id))).scalar() == 0
    resp = upload("gefluechtete-ohne-ukraine")
    assert resp.status_code == 201 and resp.json["metadata"]["population"] == "gefluechtete-ohne-ukraine"


def _csrf(client, url):
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def test_admin_pages_for_populations_and_categories(client, auth, ctx, users):
    auth.login("adele")
    resp = client.post("/admin/populations", data={"csrf_token": _csrf(client, "/admin/populations"),
                                                   "name": "Geflüchtete"})
    assert resp.status_code == 303
    resp = client.post("/admin/populations", data={"csrf_token": _csrf(client, "/admin/populations"),
                                                   "name": "Geflüchtete ohne Ukraine", "parent": "gefluechtete"})
    assert resp.status_code == 303
    page = client.get("/admin/populations").get_data(as_text=True)
    assert "Geflüchtete ohne Ukraine" in page and "gefluechtete-ohne-ukraine" in page
    resp = client.post("/admin/populations", data={"csrf_token": _csrf(client, "/admin/populations"),
                                                   "name": "Kinder", "parent": "nichts"})
    assert resp.status_code == 422 and "nichts" in resp.get_data(as_text=True)
    resp = client.post("/admin/categories", data={"csrf_token": _csrf(client, "/admin/categories"),
                                                  "dimension": "aufenthaltsstatus", "category": "Duldung oder Sonstige",
                                                  "parts": "Duldung, Sonstige"})
    assert resp.status_code == 303
    assert "Duldung + Sonstige" in client.get("/admin/categories").get_data(as_text=True)
    (g,) = populations.list_groupings(ctx)
    resp = client.post("/admin/categories", data={"csrf_token": _csrf(client, "/admin/categories"),
                                                  "action": "retire", "grouping": str(g.id)})
    assert resp.status_code == 303
    ctx.session.expire_all()
    assert populations.list_groupings(ctx) == []
    resp = client.post("/admin/populations", data={"csrf_token": _csrf(client, "/admin/populations"),
                                                   "action": "retire", "population": "gefluechtete-ohne-ukraine"})
    assert resp.status_code == 303
    ctx.session.expire_all()
    assert ctx.session.execute(select(Population).where(Population.slug == "gefluechtete-ohne-ukraine")
                               ).scalar_one().retired_at is not None


def test_the_upload_form_offers_only_current_populations(client, auth, ctx, users, pops):
    populations.retire_population(ctx, users["admin"], "gefluechtete-ohne-ukraine")
    auth.login("sabine")
    page = client.get("/submissions/new").get_data(as_text=True)
    assert '<select id="f-population" name="population"' in page
    assert 'value="gefluechtete"' in page and 'value="gefluechtete-ohne-ukraine"' not in page


def test_cli_keeps_the_reference_data(runner, fresh):
    out = runner.invoke(["population", "create", "Geflüchtete"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(["population", "create", "Geflüchtete ohne Ukraine", "--part-of", "gefluechtete"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(["population", "list"])
    assert "gefluechtete-ohne-ukraine\tGeflüchtete ohne Ukraine\tTeil von: gefluechtete" in out.output
    out = runner.invoke(["category", "declare", "aufenthaltsstatus", "Duldung oder Sonstige", "Duldung", "Sonstige"])
    assert out.exit_code == 0 and "Duldung + Sonstige" in out.output
    out = runner.invoke(["category", "declare", "aufenthaltsstatus", "X", "X", "Y"])
    assert out.exit_code == 2 and "selbst" in out.output
    assert "Duldung oder Sonstige" in runner.invoke(["category", "list"]).output
    out = runner.invoke(["population", "create", "Kinder", "--part-of", "nichts"])
    assert out.exit_code == 2
    c = fresh()
    assert c.session.execute(select(func.count(Population.id))).scalar() == 2


def test_the_review_page_names_population_and_compared_releases(client, auth, ctx, users, hierarchy, table_bytes,
                                                                 pops):
    reference.ensure_default_rule_set(ctx)
    first = draft(ctx, users, hierarchy, table_bytes, population="gefluechtete-ohne-ukraine")
    first = review.submit(ctx, users["submitter"], first.id)
    first = review.approve(ctx, users["approver"], first.id, current_sha(ctx, first))
    review.start_publishing(ctx, first.id)
    review.complete_publication(ctx, first.id, {"download": {"version": "1.0.0"}})
    other = intake.create_draft(ctx, users["submitter"], data=table_bytes(seed=8, small=False), filename="t.csv",
                                metadata=meta(population="gefluechtete"), mapping=LONG_MAPPING,
                                series="alle-gefluechteten", hierarchy=hierarchy.id)
    other = review.submit(ctx, users["submitter"], other.id)
    auth.login("dora")
    page = client.get(f"/review/{other.id}").get_data(as_text=True)
    assert "Abgleich mit früheren Veröffentlichungen" in page
    assert "Geflüchtete" in page and "zusammen geprüft mit: Geflüchtete ohne Ukraine" in page
    label = ctx.session.execute(select(func.max(Submission.id))).scalar()
    assert f"Einreichung {first.id}" in page and "ineinander enthaltene Population" in page
    assert label == other.id
