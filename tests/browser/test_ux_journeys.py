"""Issue 17 journeys in headless Chromium, axe-core with 0 violations of any impact on every page visited:

* the DPO decides from one screen at 1366x768: summary first, the decision control within the first two
  screen heights, terms linked to the glossary, approve through the one decision form;
* staff upload the second period of a series typing nothing but the period (series chosen, file picked);
* staff download the list of valid area codes.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

SCREEN = {"width": 1366, "height": 768}


def _clean(a11y, page, name):
    record = a11y.check(page, name)
    assert record["violations"] == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
                                        for v in record["violations"]]


def test_dpo_decides_from_one_screen_at_1366x768(make_page, live_server, make_submission, fresh, a11y, shots):
    from publisher.models import Submission

    sub = make_submission("submitted", seed=12, title="Geflüchtete nach Aufenthaltsstatus, August 2026",
                          reference_period="2026-08")
    for seed in range(13, 30):  # the series' previous period, at the same level (so cells are comparable)
        prev = make_submission("approved", seed=seed, title="Geflüchtete, Juli 2026")
        if prev.current_version.level == sub.current_version.level:
            break
    dpo = make_page()
    dpo.set_viewport_size(SCREEN)
    login(dpo, "dora")
    dpo.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Prüfliste").click()
    expect(dpo.get_by_role("columnheader", name=re.compile("Wartet seit"))).to_be_visible()
    _clean(a11y, dpo, "queue")
    dpo.get_by_role("link", name="Geflüchtete nach Aufenthaltsstatus, August 2026").click()
    dpo.wait_for_url(re.compile(rf"/review/{sub.id}$"))
    summary = dpo.locator("section.summary")
    expect(summary.get_by_role("heading", name="Auf einen Blick")).to_be_visible()
    expect(summary).to_contain_text("Zeilen auf Ebene")
    expect(summary).to_contain_text("Sofort nach der Freigabe")
    assert summary.locator("td.cell-changed").count() > 0  # the cell diff to July, changed cells highlighted
    approve = dpo.get_by_test_id("approve")
    box = approve.bounding_box()
    top_of_summary = summary.bounding_box()["y"]
    assert top_of_summary < box["y"], "the summary comes before the decision"
    assert box["y"] + box["height"] <= 2 * SCREEN["height"], f"decision control at {box['y']} px"
    _clean(a11y, dpo, "review-one-screen")
    shots.take(dpo, "review-summary", docs=True)

    # a term explains itself on the help page, then back to the decision
    summary.get_by_role("link", name="Vergröberung").first.click() if summary.get_by_role(
        "link", name="Vergröberung").count() else summary.get_by_role("link").first.click()
    dpo.wait_for_url(re.compile(r"/hilfe#"))
    expect(dpo.get_by_role("heading", level=1)).to_have_text("Hilfe: Begriffe der Geheimhaltung")
    _clean(a11y, dpo, "help")
    shots.take(dpo, "help", docs=True)
    dpo.get_by_role("link", name="Die Geheimhaltungsregeln ausführlich").click()
    expect(dpo.get_by_role("heading", level=1)).to_have_text("Geheimhaltungsregeln")
    _clean(a11y, dpo, "help-rules")
    dpo.go_back()
    dpo.go_back()
    dpo.wait_for_url(re.compile(rf"/review/{sub.id}"))

    dpo.get_by_label("Kommentar (Pflicht bei Rückgabe und Ablehnung)").fill("Passt, Stichtag geprüft.")
    dpo.get_by_test_id("approve").click()
    expect(dpo.locator(".flash-success")).to_be_visible()
    s = fresh().session.get(Submission, sub.id)
    assert s.state == "approved"
    assert s.decisions[-1].comment == "Passt, Stichtag geprüft." and s.decisions[-1].manifest_sha256


def test_staff_second_upload_of_a_series_needs_only_the_file_and_the_period(page, live_server, make_submission,
                                                                           table_bytes, fresh, a11y, shots):
    from publisher.models import Series, Submission

    first = make_submission("approved", title="Geflüchtete nach Aufenthaltsstatus")
    series = fresh().session.get(Series, first.series_id)
    login(page, "sabine")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Neue Einreichung").click()
    _clean(a11y, page, "upload-empty")
    page.get_by_label("Reihe", exact=True).select_option(label=series.title)  # a choice, not typed
    page.get_by_role("button", name="Reihe übernehmen").click()
    page.wait_for_url(re.compile(rf"series={series.id}"))
    expect(page.locator(".series-chosen")).to_contain_text(series.title)
    expect(page.get_by_label("Geografie-Spalte")).to_have_value("baublock")
    _clean(a11y, page, "upload-series-chosen")
    shots.take(page, "upload-series-mapping", docs=True)
    page.get_by_label("Datei", exact=False).first.set_input_files(
        {"name": "gefluechtete_2026-08.csv", "mimeType": "text/csv", "buffer": table_bytes(seed=88)})
    page.get_by_label("Bezugszeitraum").fill("2026-08")  # the only thing typed
    page.get_by_role("button", name="Prüfen und als Entwurf speichern").click()
    page.wait_for_url(re.compile(r"/submissions/\d+$"))
    expect(page.get_by_text("Einreichung gespeichert.")).to_be_visible()
    sub = fresh().session.get(Submission, int(page.url.rsplit("/", 1)[1]))
    assert sub.id != first.id and sub.series_id == series.id
    v, old = sub.current_version, first.current_version
    assert v.mapping["geo_column"] == old.mapping["geo_column"]
    assert v.mapping["count_columns"] == old.mapping["count_columns"]
    assert v.mapping["dimensions"] == old.mapping["dimensions"]
    assert v.meta["reference_period"] == "2026-08"
    for key in ("title", "source", "contact", "licence", "audience"):
        assert v.meta.get(key) == old.meta.get(key), key
    _clean(a11y, page, "submission-second-period")


def test_staff_downloads_the_area_code_list(page, live_server, users, hierarchy, city, a11y, tmp_path):
    import csv
    import io

    login(page, "sabine")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Gebietsschlüssel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebietsschlüssel und Vorlagen")
    _clean(a11y, page, "area-codes")
    with page.expect_download() as dl:
        page.get_by_role("link", name=re.compile(r"Gebietsschlüssel .* als CSV")).click()
    path = tmp_path / "codes.csv"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.startswith("gebietsschluessel-")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    source = list(csv.DictReader(io.StringIO(city.hierarchy_csv().decode("utf-8"))))
    blocks = {r[1]: r[2] for r in rows[1:] if r[0] == "baublock"}
    assert blocks == {r["baublock"]: r["baublock_name"] for r in source}
