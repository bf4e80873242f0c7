"""Issue 17 acceptance: a citizen reads a release page and opens the Excel download (headless Chromium,
axe-core with 0 violations of any impact, strict CSP on).

The page shows the table as areas x categories with area names next to codes, the legend of `.` and `-`,
the publication date in Berlin time with the zone named, one sentence per download and the version history.
The Excel download is the workbook (``.xlsx``, offered first): German headers and the area names of the
hierarchy are asserted in the downloaded file itself (needs the ``.xlsx`` of the branch ``xlsx``).
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREEN = {"width": 1366, "height": 768}


def _clean(a11y, page, name):
    record = a11y.check(page, name)
    assert record["violations"] == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
                                        for v in record["violations"]]


def test_citizen_reads_the_release_page_and_opens_the_excel_download(make_page, live_server, make_submission,
                                                                     city, a11y, shots, tmp_path):
    make_submission("approved", title="Geflüchtete nach Aufenthaltsstatus, Juni 2026", reference_period="2026-06",
                    seed=11)
    sub = make_submission("approved", title="Geflüchtete nach Aufenthaltsstatus, Juli 2026", seed=11, add=3)
    assert live_server.publish() >= 2
    page = make_page()
    page.set_viewport_size(SCREEN)
    page.goto("/releases")
    page.get_by_role("link", name="Geflüchtete nach Aufenthaltsstatus, Juli 2026").click()
    page.wait_for_url(re.compile(rf"/releases/{sub.id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Geflüchtete nach Aufenthaltsstatus, Juli 2026")

    # when it was published, in Berlin time with the zone named
    expect(page.locator("dl.meta time")).to_have_text(re.compile(r"^\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr \((MEZ|MESZ)\)$"))
    # areas x categories: a row per area, its name next to its code
    names = {}
    for row in csv.DictReader(io.StringIO(city.hierarchy_csv().decode("utf-8"))):
        for level in ("baublock", "stadtteil", "stadtbezirk"):
            names[row[level]] = row[f"{level}_name"]
    table = page.locator("table.data.wide")
    expect(table).to_be_visible()
    heads = table.locator("tbody th[scope=row]")
    assert heads.count() >= 2
    for i in range(heads.count()):
        code = heads.nth(i).locator(".code").inner_text()
        assert heads.nth(i).inner_text().startswith(names[code]), (code, heads.nth(i).inner_text())
    assert table.locator("thead th").count() >= 2  # Gebiet + at least one category
    # the legend of the DIN 55301 symbols
    legend = page.locator("dl.legend")
    expect(legend).to_contain_text("geheim gehalten")
    expect(legend).to_contain_text("Nichts vorhanden")
    # one sentence per download, the Excel one first
    items = page.locator("ul.downloads li")
    assert items.count() >= 4
    expect(items.first).to_contain_text("Für Excel")
    for i in range(items.count()):
        assert re.search(r"\.\s*(Prüfsumme.*)?$", items.nth(i).inner_text().strip(), re.S), items.nth(i).inner_text()
    # the version history: June and this page
    history = page.locator("section[aria-labelledby=versionen] tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("diese Seite")
    _clean(a11y, page, "release-citizen")
    shots.take(page, "release", docs=True)

    with page.expect_download() as dl:
        page.get_by_role("link", name="Excel-Arbeitsmappe (XLSX)").click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.suffix == ".xlsx"
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    rows = [[("" if v is None else str(v)) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    header = next(r for r in rows if "Gebietsschlüssel" in r)
    assert "Gebietsname" in header and "Anzahl" in header, header
    code_i, name_i = header.index("Gebietsschlüssel"), header.index("Gebietsname")
    body = [r for r in rows[rows.index(header) + 1:] if len(r) > name_i and r[code_i]]
    assert body and all(names.get(r[code_i]) == r[name_i] for r in body), body[:3]
    assert heads.first.locator(".code").inner_text() in {r[code_i] for r in body}
    assert "Hinweise" in wb.sheetnames


def test_staff_first_upload_of_a_new_series_picks_columns_from_lists(page, live_server, users, hierarchy, table_bytes,
                                                                    fresh, a11y, shots):
    """Picking the file uploads it and shows its columns as choices (freigabe.js runs the server-side step);
    the columns are chosen, never typed, and the file is not chosen twice."""
    from publisher.models import Submission
    from tests.browser.conftest import login

    login(page, "sabine")
    page.goto("/submissions/new")
    expect(page.get_by_role("button", name="Datei hochladen und Spalten anzeigen")).to_be_visible()
    page.get_by_label("Name der neuen Reihe").fill("Geflüchtete nach Aufenthaltsstatus")
    page.get_by_label("Datei", exact=False).first.set_input_files(
        {"name": "gefluechtete_2026-07.csv", "mimeType": "text/csv", "buffer": table_bytes(seed=21)})
    expect(page.locator(".staged-file")).to_contain_text("gefluechtete_2026-07.csv")  # JS ran the step
    expect(page.get_by_label("Name der neuen Reihe")).to_have_value("Geflüchtete nach Aufenthaltsstatus")
    page.get_by_label("Geografie-Spalte").select_option("baublock")
    page.locator("#f-count_columns").get_by_label("anzahl").check()
    page.locator("#f-dimensions").get_by_label("monat").check()
    page.locator("#f-dimensions").get_by_label("aufenthaltsstatus").check()
    page.get_by_label("Titel").fill("Geflüchtete nach Aufenthaltsstatus, Juli 2026")
    page.get_by_label("Bezugszeitraum").fill("2026-07")
    page.get_by_label("Kontakt (E-Mail-Adresse)").fill("statistik@stadt.example")
    _clean(a11y, page, "upload-columns")
    shots.take(page, "upload-columns", docs=True)
    page.get_by_role("button", name="Prüfen und als Entwurf speichern").click()
    page.wait_for_url(re.compile(r"/submissions/\d+$"))
    sub = fresh().session.get(Submission, int(page.url.rsplit("/", 1)[1]))
    m = sub.current_version.mapping
    assert (m["geo_column"], m["count_columns"], m["dimensions"]) == ("baublock", ["anzahl"],
                                                                       ["monat", "aufenthaltsstatus"])
    assert sub.current_version.meta["contact"] == "statistik@stadt.example"
