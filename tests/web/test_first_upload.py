"""Issue 17 item 1: the first upload of a new series offers the columns found in the file as choices (area
column as a select, count columns and dimensions as checkboxes), without JavaScript: a server-side step keeps
the uploaded file (a token in the form), so the person picks columns and saves without choosing the file again."""
from __future__ import annotations

import hashlib
import re
from io import BytesIO

from publisher.models import StoredFile, Submission


META = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-07", "licence": "dl-de/by-2-0",
        "contact": "statistik@stadt.example", "audience": "public", "layout": "long"}


def _columns_step(browser, data):
    return browser.post("/submissions/new", "/submissions/new",
                        {**META, "series": "Geflüchtete neu", "action": "columns", "file": (BytesIO(data), "juli.csv")},
                        content_type="multipart/form-data")


def test_columns_of_the_uploaded_file_are_choices_and_saving_needs_no_second_file(browser, auth, users, hierarchy,
                                                                                  table_bytes, fresh):
    auth.login("sabine")
    data = table_bytes(seed=7)
    resp = _columns_step(browser, data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    geo = re.search(r'<select id="f-geo_column"[^>]*>(.*?)</select>', html, re.S)
    assert geo, "the area column is a choice"
    assert re.findall(r'<option value="([^"]*)"', geo.group(1)) == ["", "baublock", "monat", "aufenthaltsstatus", "anzahl"]
    for group in ("count_columns", "dimensions"):
        boxes = re.findall(rf'<input type="checkbox" id="f-{group}-\d+" name="{group}" value="([^"]+)"', html)
        assert boxes == ["baublock", "monat", "aufenthaltsstatus", "anzahl"], group
    token = re.search(r'<input type="hidden" name="staged" value="([^"]+)">', html).group(1)
    assert "Datei „juli.csv“ ist hochgeladen" in html
    assert not re.search(r'<input id="f-file"[^>]* required', html)  # the file is there already
    assert 'data-columns-step' not in html  # columns known: no second columns step
    assert fresh().session.query(Submission).count() == 0  # a step, nothing stored

    # the choices, then save: no file in this request
    resp = browser.post("/submissions/new", "/submissions/new",
                        {**META, "series": "Geflüchtete neu", "staged": token, "action": "save",
                         "geo_column": "baublock", "count_columns": ["anzahl"],
                         "dimensions": ["monat", "aufenthaltsstatus"]}, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    s = fresh().session
    sub = s.query(Submission).one()
    m = sub.current_version.mapping
    assert (m["geo_column"], m["count_columns"], m["dimensions"]) == ("baublock", ["anzahl"],
                                                                       ["monat", "aufenthaltsstatus"])
    raw = s.query(StoredFile).filter(StoredFile.kind == "raw").one()
    assert raw.sha256 == hashlib.sha256(data).hexdigest()  # exactly the uploaded bytes
    # the token is used up
    again = browser.post("/submissions/new", "/submissions/new", {**META, "staged": token, "action": "save"},
                         content_type="multipart/form-data")
    assert again.status_code == 422 and 'href="#f-file"' in again.get_data(as_text=True)


def test_a_staged_file_is_only_for_the_person_who_uploaded_it(browser, auth, users, hierarchy, table_bytes, fresh,
                                                             ctx):
    from publisher.services import accounts

    auth.login("sabine")
    html = _columns_step(browser, table_bytes(seed=7)).get_data(as_text=True)
    token = re.search(r'name="staged" value="([^"]+)"', html).group(1)
    auth.logout()
    other = accounts.create_user(ctx, None, "sven", "submitter", password="korrekt-pferd-batterie-42") \
        if "sven" not in {u.username for u in users.values()} else None
    assert other is not None
    auth.login("sven")
    resp = browser.post("/submissions/new", "/submissions/new",
                        {**META, "staged": token, "action": "save", "geo_column": "baublock"},
                        content_type="multipart/form-data")
    assert resp.status_code == 422 and 'href="#f-file"' in resp.get_data(as_text=True)
    assert fresh().session.query(Submission).count() == 0
