"""Issue 17 item 1, the weekly routine: series as a choice pre-filling metadata and mapping, columns offered as
choices, area code lists per hierarchy (CSV/XLSX) and an upload template per series for staff, the return
comment at the top of the submitter's page, versions numbered 1, 2, 3 in the history."""
from __future__ import annotations

import csv
import io
import re

from publisher.models import Series, Submission


def _source_codes(city) -> dict[str, dict[str, str]]:
    """level -> {code: name}, read here from the hierarchy CSV the test imported (not through the app)."""
    rows = list(csv.DictReader(io.StringIO(city.hierarchy_csv().decode("utf-8"))))
    return {lv: {r[lv]: r[f"{lv}_name"] for r in rows} for lv in ("baublock", "stadtteil", "stadtbezirk")}


def test_staff_download_the_area_codes_as_csv_and_xlsx(auth, client, users, hierarchy, city):
    from openpyxl import load_workbook

    auth.login("sabine")
    page = client.get("/gebiete").get_data(as_text=True)
    assert f"/gebiete/{hierarchy.id}.csv" in page and f"/gebiete/{hierarchy.id}.xlsx" in page
    resp = client.get(f"/gebiete/{hierarchy.id}.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.data.startswith(b"\xef\xbb\xbf")  # German Excel opens UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Ebene", "Gebietsschlüssel", "Name", "Übergeordneter Schlüssel"]
    got: dict[str, dict[str, str]] = {}
    for level, code, name, _parent in rows[1:]:
        got.setdefault(level, {})[code] = name
    for level, codes in _source_codes(city).items():
        assert got[level] == codes, level  # every code with its name, leading zeros kept
    assert {r[1]: r[3] for r in rows[1:] if r[0] == "baublock"}["0101001"] == "0101"
    x = client.get(f"/gebiete/{hierarchy.id}.xlsx")
    assert x.status_code == 200 and x.data[:2] == b"PK"
    ws = load_workbook(io.BytesIO(x.data)).active
    assert [[("" if v is None else str(v)) for v in r] for r in ws.iter_rows(values_only=True)] == rows
    assert client.get(f"/gebiete/{hierarchy.id}.pdf").status_code == 404


def test_area_codes_are_for_staff_only(auth, client, users, hierarchy):
    assert client.get(f"/gebiete/{hierarchy.id}.csv").status_code in (302, 303, 401)
    auth.login("rita")
    assert client.get(f"/gebiete/{hierarchy.id}.csv").status_code == 403


def test_choosing_a_series_prefills_metadata_and_the_remembered_mapping_as_choices(auth, client, users,
                                                                                   make_submission, fresh):
    prev = make_submission("approved", title="Geflüchtete nach Aufenthaltsstatus", contact="statistik@example.org")
    series = fresh().session.get(Series, prev.series_id)
    auth.login("sabine")
    html = client.get("/submissions/new").get_data(as_text=True)
    assert "neue Reihe anlegen" in html and f'<option value="{series.id}">{series.title}</option>' in html
    html = client.get(f"/submissions/new?series={series.id}").get_data(as_text=True)
    assert f'<input type="hidden" name="series" value="{series.id}">' in html
    assert 'value="Geflüchtete nach Aufenthaltsstatus"' in html and 'value="statistik@example.org"' in html
    assert re.search(r'id="f-reference_period" name="reference_period" type="text" value=""', html)
    # the remembered columns as choices: a select for the area column, checkboxes for counts and dimensions
    geo = html.split('<select id="f-geo_column"', 1)[1].split("</select>", 1)[0]
    assert '<option value="baublock" selected>' in geo
    assert re.search(r'name="count_columns" value="anzahl" checked', html)
    assert re.search(r'name="dimensions" value="monat" checked', html)
    assert re.search(r'name="dimensions" value="aufenthaltsstatus" checked', html)
    assert not re.search(r'name="count_columns" value="monat" checked', html)
    assert f"/reihen/{series.id}/vorlage.csv" in html


def test_second_upload_with_the_prefilled_form_needs_only_file_and_period(browser, auth, client, users,
                                                                          make_submission, table_bytes, fresh):
    prev = make_submission("approved")
    series = fresh().session.get(Series, prev.series_id)
    auth.login("sabine")
    page = f"/submissions/new?series={series.id}"
    html = client.get(page).get_data(as_text=True)
    # what the browser sends back: the pre-filled values as they are, plus file and period
    form = {"series": str(series.id), "action": "save", "reference_period": "2026-08", "layout": "long",
            "geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
            "additive": "1", "audience": "public"}
    for name in ("title", "source", "contact", "keywords", "description"):
        m = re.search(rf'id="f-{name}" name="{name}"[^>]*?(?:value="([^"]*)"|>([^<]*)</textarea>)', html)
        if m:
            form[name] = m.group(1) or m.group(2) or ""
    # the licence is a choice (issue 17): the browser sends the selected option
    licence = re.search(r'<select id="f-licence"[^>]*>(.*?)</select>', html, re.S).group(1)
    form["licence"] = re.search(r'<option value="([^"]*)" selected>', licence).group(1)
    form["file"] = (io.BytesIO(table_bytes(seed=77)), "august.csv")
    resp = browser.post(page, "/submissions/new", form, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    sub = fresh().session.query(Submission).order_by(Submission.id.desc()).first()
    assert sub.series_id == series.id and sub.id != prev.id
    v = sub.current_version
    assert v.mapping["geo_column"] == "baublock" and v.mapping["count_columns"] == ["anzahl"]
    assert v.mapping["dimensions"] == ["monat", "aufenthaltsstatus"]
    assert v.meta["reference_period"] == "2026-08" and v.meta["title"] == prev.current_version.meta["title"]


def test_upload_template_has_the_series_columns_and_one_row_per_area(auth, client, users, make_submission, fresh,
                                                                     city):
    prev = make_submission("draft")
    auth.login("sabine")
    resp = client.get(f"/reihen/{prev.series_id}/vorlage.csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["baublock", "monat", "aufenthaltsstatus", "anzahl"]
    assert sorted(r[0] for r in rows[1:]) == sorted(_source_codes(city)["baublock"])
    assert client.get("/reihen/99999/vorlage.csv").status_code == 404


def test_returned_submission_shows_the_comment_on_top_and_version_numbers(auth, client, users, make_submission,
                                                                          fresh):
    sub = make_submission("returned")
    auth.login("sabine")
    html = client.get(f"/submissions/{sub.id}").get_data(as_text=True)
    top = html.index('id="return-heading"')
    assert top < html.index('id="meta-heading"') and top < html.index('id="edit-heading"')
    assert "Bitte prüfen." in html[top:html.index('id="meta-heading"')]
    history = html.split('id="history-heading"', 1)[1].split("</table>", 1)[0]
    numbers = re.findall(r'<td class="num">(\d+)</td>', history)
    assert numbers and set(numbers) == {"1"}, numbers  # version number, not the internal version id
