"""Issue 17 journeys in headless Chromium, axe-core with 0 violations of any impact on every page visited:

* the DPO decides from one screen at 1366x768: summary first, the decision control within the first two
  screen heights, terms linked to the glossary, approve through the one decision form.
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
