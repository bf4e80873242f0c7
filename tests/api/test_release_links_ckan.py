"""The API's link from a release to its CKAN dataset (issue 15 item 6), against the real CKAN test instance."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from publisher import worker
from publisher.models import PublicationJob
from publisher.services import open_ctx

_spec = importlib.util.spec_from_file_location(
    "_catalog_conftest_api", Path(__file__).resolve().parent.parent / "catalog" / "conftest.py")
_catalog_conftest = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _catalog_conftest
_spec.loader.exec_module(_catalog_conftest)
ckan_instance = _catalog_conftest.ckan_instance


@pytest.mark.ckan
def test_release_links_its_ckan_dataset_once_published(app_config, ckan_instance, users, fresh, backend):
    from publisher import create_app
    from publisher.db import get_db
    from publisher.demo import counts_long, german_csv, small_city
    from publisher.services import intake, reference, review

    s = ckan_instance.settings
    app = create_app(dict(app_config, CKAN_URL=s.url, CKAN_TOKEN=s.token, CKAN_ORG=s.org))
    try:
        with open_ctx(app) as c:
            city = small_city()
            reference.ensure_default_rule_set(c)
            h = reference.import_hierarchy(c, None, city.hierarchy_csv(), "stadt.csv", "musterstadt")
            data = german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"],
                              counts_long(city, ["2026-07"], seed=9, small_cells=True))
            sub = intake.create_draft(
                c, users["submitter"], data=data, filename="t.csv", series=f"api-links-{backend}", hierarchy=h.id,
                metadata={"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-07",
                          "description": "Testdaten", "keywords": ["Test"], "source": "Statistikstelle",
                          "contact": "Statistik <statistik@example.org>"},
                mapping={"geo_column": "baublock", "count_columns": ["anzahl"],
                         "dimensions": ["monat", "aufenthaltsstatus"], "layout": "long"})
            review.submit(c, users["submitter"], sub.id)
            from publisher.manifest import current_sha

            review.approve(c, users["approver"], sub.id, current_sha(c, sub))
        client = app.test_client()
        assert worker.run(app, once=True) == 2
        job = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id,
                                                                   PublicationJob.target == "ckan")).scalar_one()
        links = client.get(f"/api/v1/releases/{sub.id}").get_json()["links"]
        assert links["ckan"] == job.result["ckan"]["dataset_url"]
        assert links["ckan"].startswith(s.url)
        assert requests.get(links["ckan"], timeout=30).status_code == 200  # anonymous, on CKAN's own page
        assert links["ckan"] in client.get(f"/releases/{sub.id}").get_data(as_text=True)  # as the web page
    finally:
        get_db(app).dispose()
