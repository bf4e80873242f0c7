"""Issue 17 item 1: the fields every publication target needs - a contact e-mail and the licence - are asked
up front: required in the form (HTML ``required``), refused by the service with the field named and nothing
stored (web and API, the API as problem+json naming the field)."""
from __future__ import annotations

import io
import json
import re

import pytest

from publisher.models import StoredFile, Submission
from tests.conftest import LONG_MAPPING, meta


def _nothing_stored(fresh):
    s = fresh().session
    assert s.query(Submission).count() == 0
    assert s.query(StoredFile).filter(StoredFile.kind == "raw").count() == 0


def _form(table_bytes, **fields):
    base = {"title": "Geflüchtete", "reference_period": "2026-07", "contact": "statistik@stadt.example",
            "licence": "dl-de/by-2-0", "audience": "public", "layout": "long", "geo_column": "baublock",
            "count_columns": "anzahl", "dimensions": ["monat", "aufenthaltsstatus"], "action": "save"}
    base.update(fields)
    base["file"] = (io.BytesIO(table_bytes(seed=5)), "tabelle.csv")
    return base


def test_the_upload_form_marks_contact_and_licence_as_required(client, auth, users, hierarchy):
    auth.login("sabine")
    html = client.get("/submissions/new").get_data(as_text=True)
    contact = re.search(r'<input id="f-contact"[^>]*>', html).group(0)
    assert 'type="email"' in contact and " required" in contact
    licence = re.search(r'<select id="f-licence"[^>]*>(.*?)</select>', html, re.S)
    assert " required" in licence.group(0).split(">")[0]
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in licence.group(1)
    assert '<option value="">' not in licence.group(1)  # a choice, never empty
    assert re.search(r'for="f-licence">Lizenz <span class="required">', html)


@pytest.mark.parametrize("field,value", [("contact", ""), ("contact", "Statistikstelle Zimmer 3"), ("licence", "")])
def test_web_upload_without_contact_or_licence_names_the_field_and_stores_nothing(
        browser, auth, users, hierarchy, table_bytes, fresh, field, value):
    auth.login("sabine")
    resp = browser.post("/submissions/new", "/submissions/new", _form(table_bytes, **{field: value}),
                        content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    summary = html[html.index('class="error-summary"'):].split("</div>")[0]
    assert f'href="#f-{field}"' in summary
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', html)
    assert "Es wurde nichts gespeichert." in html
    _nothing_stored(fresh)


def test_web_upload_with_both_is_stored(browser, auth, users, hierarchy, table_bytes, fresh):
    auth.login("sabine")
    resp = browser.post("/submissions/new", "/submissions/new", _form(table_bytes), content_type="multipart/form-data")
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:2000]
    sub = fresh().session.query(Submission).one()
    assert sub.current_version.meta["contact"] == "statistik@stadt.example"
    assert sub.current_version.meta["licence"] == "dl-de/by-2-0"


@pytest.fixture
def token(ctx, users):
    from publisher.services import accounts

    return {"Authorization": f"Bearer {accounts.create_token(ctx, None, users['submitter'].username)[1]}"}


@pytest.mark.parametrize("change", ["no_contact", "contact_not_email", "licence_empty"])
def test_api_upload_without_contact_or_licence_is_a_problem_naming_the_field(client, token, hierarchy, table_bytes,
                                                                             fresh, change):
    md = meta()
    field = "licence" if change.startswith("licence") else "contact"
    if change == "no_contact":
        md.pop("contact")
    elif change == "contact_not_email":
        md["contact"] = "Statistikstelle"
    else:
        md["licence"] = ""
    resp = client.post("/api/v1/submissions", headers=token, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(table_bytes(seed=5)), "t.csv"), "metadata": json.dumps(md),
                             "mapping": json.dumps(LONG_MAPPING)})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    named = [d for d in body["details"] if d.get("column") == field or (d.get("params") or {}).get("field") == field]
    assert named, body["details"]
    assert field in named[0]["message_de"] and field in named[0]["message_en"]
    _nothing_stored(fresh)


def test_api_upload_without_a_licence_field_takes_the_office_default(client, token, hierarchy, table_bytes, fresh):
    md = meta()
    md.pop("licence", None)
    resp = client.post("/api/v1/submissions", headers=token, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(table_bytes(seed=5)), "t.csv"), "metadata": json.dumps(md),
                             "mapping": json.dumps(LONG_MAPPING)})
    assert resp.status_code == 201, resp.get_data(as_text=True)[:1000]
    assert fresh().session.query(Submission).one().current_version.meta["licence"] == "dl-de/by-2-0"
