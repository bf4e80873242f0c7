"""The journeys of issue 6 in headless Chromium: staff, DPO, public and reader, each as a person does it
(clicks, keyboard, file upload), with axe-core on every page visited and screenshots of the key pages.

Run alone: ``.venv/bin/pytest tests/browser -q`` (set-up: ``bash scripts/install-browser.sh``);
``FREIGABE_UPDATE_SCREENSHOTS=1`` also writes the current screenshots to ``docs/screenshots/``.
"""
from __future__ import annotations

import hashlib
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, logout

pytestmark = pytest.mark.browser

LONG_HEADER = ["baublock", "monat", "aufenthaltsstatus", "anzahl"]


def _german_csv(city, seed: int = 5) -> bytes:
    from publisher.demo import counts_long, german_csv

    return german_csv(LONG_HEADER, counts_long(city, ["2026-07"], seed=seed, small_cells=True),
                      encoding="cp1252", total_row=True)


def _upload_file(page, data: bytes, name: str = "gefluechtete_2026-07.csv"):
    """Pick the file: a new series uploads it at once and offers its columns as choices (issue 17)."""
    page.get_by_label("Datei", exact=False).first.set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data})
    expect(page.locator(".staged-file")).to_contain_text(name)


def _fill_mapping(page, dimensions=("monat", "aufenthaltsstatus")):
    page.get_by_label("Geografie-Spalte").select_option("baublock")
    page.locator("#f-count_columns").get_by_label("anzahl", exact=True).check()
    for dim in dimensions:
        page.locator("#f-dimensions").get_by_label(dim, exact=True).check()


def _tab_to(page, selector: str, limit: int = 60):
    """Press Tab until the element matching ``selector`` has focus (keyboard only, like a person would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement && document.activeElement.matches(sel)", selector):
            return
    raise AssertionError(f"{selector} not reachable by Tab within {limit} presses")


def _version(fresh, submission_id):
    from publisher.models import Submission

    return fresh().session.get(Submission, submission_id)


# --- staff ------------------------------------------------------------------------------------------------

def test_staff_uploads_a_german_csv_maps_columns_sees_the_check_and_submits(
        page, live_server, users, hierarchy, city, fresh, a11y, shots):
    from publisher.services import reference

    reference.ensure_default_rule_set(fresh())
    data = _german_csv(city)
    assert b"Insgesamt" in data and "humanitär".encode("cp1252") in data
    login(page, "sabine", a11y)
    a11y.check(page, "dashboard-staff")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Neue Einreichung").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neue Einreichung")
    a11y.check(page, "upload")

    # 1. check only: the result says which level will be released and why
    _upload_file(page, data)
    _fill_mapping(page)
    # the kept file is replaced by choosing it again: this check goes through the upload progress bar
    page.get_by_label("Andere Datei (optional)").set_input_files(
        {"name": "gefluechtete_2026-07.csv", "mimeType": "text/csv", "buffer": data})
    page.evaluate("""() => { window.__progress = [];
        document.addEventListener('freigabe:upload-progress', (e) => window.__progress.push(e.detail)); }""")
    page.get_by_role("button", name="Nur prüfen").click()
    result = page.locator("section.check-result")
    expect(result).to_be_visible()
    # the upload went through the progress bar (XMLHttpRequest; the page was not reloaded, so the
    # listener survived): uploading → 100 % → checking → done
    progress = page.evaluate("() => window.__progress")
    phases = [p["phase"] for p in progress]
    assert phases[0] == "uploading" and "checking" in phases and phases[-1] == "done", progress
    assert max(p["percent"] for p in progress) == 100
    expect(result.get_by_role("heading", name="Prüfergebnis")).to_be_visible()
    expect(result.locator(".outcome")).to_have_text("veröffentlichbar")
    statement = result.locator("p.statement").inner_text()
    assert len(statement) > 20, statement
    level = result.locator("dt:has-text('Veröffentlichte Ebene') + dd").inner_text().strip()
    assert level in ("baublock", "stadtteil", "stadtbezirk", "stadt"), level
    expect(result.get_by_role("heading", name="Unterdrückte Zellen je Ebene")).to_be_visible()
    assert page.locator("#check-slot section.check-result").count() == 1  # checked in the background
    assert "polling" in phases or len(progress) >= 3
    a11y.check(page, "upload-checked")
    shots.take(page, "staff-check-result")

    # 2. metadata and save as draft (the chosen file is still selected after the background check)
    assert page.evaluate("() => document.getElementById('f-file').files.length") == 1
    page.get_by_label("Titel").fill("Geflüchtete nach Aufenthaltsstatus, Juli 2026")
    page.get_by_label("Bezugszeitraum").fill("2026-07")
    page.get_by_label("Beschreibung").fill("Personen mit Wohnsitz in Musterstadt, Stichtag 31.07.2026.")
    page.get_by_label("Schlagwörter").fill("Geflüchtete, Aufenthaltsstatus")
    page.get_by_label("Kontakt").fill("Statistikstelle <statistik@stadt.example>")  # the portal needs an e-mail
    page.get_by_role("button", name="Prüfen und als Entwurf speichern").click()
    page.wait_for_url(re.compile(r"/submissions/\d+$"))
    expect(page.get_by_text("Einreichung gespeichert.")).to_be_visible()
    submission_id = int(page.url.rsplit("/", 1)[1])
    sub = _version(fresh, submission_id)
    assert sub.state == "draft"
    assert sub.current_version.level == level  # what the check showed is what was stored
    assert sub.current_version.meta["title"] == "Geflüchtete nach Aufenthaltsstatus, Juli 2026"
    a11y.check(page, "submission-draft")

    # 3. submit
    page.get_by_role("button", name="Zur Prüfung einreichen").click()
    expect(page.locator(".flash-success")).to_contain_text("eingereicht")
    expect(page.locator(".facts .state").first).to_contain_text(re.compile("eingereicht|Prüfung", re.I))
    assert _version(fresh, submission_id).state == "submitted"
    a11y.check(page, "submission-submitted")
    shots.take(page, "staff-submitted")


def test_background_check_of_a_bad_file_shows_the_error_with_the_file_name(page, live_server, users, hierarchy,
                                                                          fresh, a11y):
    from publisher.models import Submission
    from publisher.services import reference

    reference.ensure_default_rule_set(fresh())
    login(page, "sabine")
    page.goto("/submissions/new")
    _upload_file(page, "baublock;anzahl\r\n0101001;zwölf\r\n".encode("cp1252"), "zahlen.csv")
    _fill_mapping(page, dimensions=())
    page.get_by_role("button", name="Nur prüfen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("zahlen.csv")
    expect(summary).to_contain_text("Es wurde nichts gespeichert.")
    expect(page.get_by_role("button", name="Nur prüfen")).to_be_enabled()
    a11y.check(page, "upload-check-error")
    assert fresh().session.query(Submission).count() == 0


def test_bad_upload_names_the_problem_and_stores_nothing(page, live_server, users, hierarchy, fresh, a11y):
    from publisher.models import Submission
    from publisher.services import reference

    reference.ensure_default_rule_set(fresh())
    login(page, "sabine")
    page.goto("/submissions/new")
    _upload_file(page, "baublock;monat;anzahl\r\n9999999;2026-07;7\r\n".encode("cp1252"), "kaputt.csv")
    _fill_mapping(page, dimensions=("monat",))
    page.get_by_label("Titel").fill("Kaputt")
    page.get_by_label("Bezugszeitraum").fill("2026-07")
    page.get_by_label("Kontakt").fill("statistik@stadt.example")
    page.get_by_role("button", name="Prüfen und als Entwurf speichern").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Es wurde nichts gespeichert.")
    expect(summary).to_contain_text("kaputt.csv")
    # the error summary takes the keyboard focus (freigabe.js)
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    a11y.check(page, "upload-error")
    assert fresh().session.query(Submission).count() == 0


# --- DPO --------------------------------------------------------------------------------------------------

def test_dpo_returns_staff_resubmits_own_approve_refused_dpo_approves(
        make_page, live_server, make_submission, fresh, a11y, shots):
    sub = make_submission("submitted", title="Geflüchtete nach Aufenthaltsstatus, August 2026",
                          reference_period="2026-08")
    dpo = make_page()

    # DPO logs in by keyboard only (Tab / typing / Enter)
    dpo.goto("/login")
    _tab_to(dpo, "#f-username")
    dpo.keyboard.type("dora")
    dpo.keyboard.press("Tab")
    dpo.keyboard.type("korrekt-pferd-batterie-42")
    dpo.keyboard.press("Enter")
    dpo.wait_for_url(re.compile(r"/dashboard"))
    a11y.check(dpo, "dashboard-dpo")

    dpo.get_by_role("link", name="Prüfliste").first.click()
    expect(dpo.get_by_role("heading", level=1)).to_have_text("Prüfliste")
    a11y.check(dpo, "queue")
    dpo.get_by_role("link", name="Geflüchtete nach Aufenthaltsstatus, August 2026").click()
    dpo.wait_for_url(re.compile(rf"/review/{sub.id}$"))
    # raw vs releasable and the report
    expect(dpo.get_by_role("heading", name="Eingereichte Tabelle (vertraulich)")).to_be_visible()
    expect(dpo.get_by_role("heading", name="Veröffentlichungstabelle (Vorschau)")).to_be_visible()
    expect(dpo.get_by_role("heading", name="Regelbericht")).to_be_visible()
    expect(dpo.get_by_text(f"sha256 {sub.current_version.artifact_sha256}")).to_be_visible()
    choropleth = dpo.locator("figure.map svg.choropleth[role=img]")
    expect(choropleth).to_be_visible()
    level = sub.current_version.level
    expect(choropleth.locator("title").first).to_contain_text(level)
    n_areas = fresh().session.get(type(sub), sub.id).current_version.hierarchy.code_counts[level]
    assert choropleth.locator("g.areas path").count() == n_areas
    a11y.check(dpo, "review")
    shots.take(dpo, "review", docs=True)

    # return with a comment, by keyboard: Tab into the one comment field, type, Tab to "Zurückgeben", Enter
    dpo.locator("#f-comment").focus()
    dpo.keyboard.type("Bitte den Stichtag in der Beschreibung ergänzen.")
    _tab_to(dpo, "[data-testid=return]", limit=5)
    assert dpo.evaluate("() => document.activeElement.textContent.trim()") == "Zurückgeben"
    dpo.keyboard.press("Enter")
    expect(dpo.locator(".flash-success")).to_be_visible()
    assert _version(fresh, sub.id).state == "returned"
    a11y.check(dpo, "review-returned")

    # staff sees the comment, revises and resubmits
    staff = make_page()
    login(staff, "sabine")
    staff.get_by_role("link", name="Geflüchtete nach Aufenthaltsstatus, August 2026").click()
    # issue 17: the return comment at the top of the page (and in the history below)
    expect(staff.locator("section.return-comment blockquote")).to_have_text(
        "Bitte den Stichtag in der Beschreibung ergänzen.")
    a11y.check(staff, "submission-returned")
    staff.get_by_label("Beschreibung").fill("Stichtag: 31.08.2026.")
    staff.get_by_label("Kommentar (optional)").fill("Stichtag ergänzt.")
    staff.get_by_role("button", name="Überarbeitet erneut einreichen").click()
    expect(staff.locator(".flash-success")).to_be_visible()
    s = _version(fresh, sub.id)
    assert s.state == "submitted" and s.current_version.meta["description"] == "Stichtag: 31.08.2026."

    # the submitter on her own submission's review page: approve disabled, with the reason
    staff.goto(f"/review/{sub.id}")
    approve = staff.get_by_role("button", name="Freigeben")
    expect(approve).to_be_disabled()
    reason = staff.locator("#approve-refusal")
    expect(reason).to_be_visible()
    assert approve.get_attribute("aria-describedby") == "approve-refusal"
    a11y.check(staff, "review-own-submission")
    shots.take(staff, "review-own-submission")

    # DPO approves the new version (bound to its sha256)
    dpo.goto(f"/review/{sub.id}")
    new_sha = _version(fresh, sub.id).current_version.artifact_sha256
    expect(dpo.get_by_text(f"sha256 {new_sha}")).to_be_visible()
    # approve by keyboard: from the comment field, Tab to "Freigeben", Enter
    dpo.locator("#f-comment").focus()
    dpo.keyboard.type("Passt.")
    _tab_to(dpo, "[data-testid=approve]", limit=3)
    assert dpo.evaluate("() => document.activeElement.textContent.trim()") == "Freigeben"
    dpo.keyboard.press("Enter")
    expect(dpo.locator(".flash-success")).to_be_visible()
    s = _version(fresh, sub.id)
    assert s.state == "approved"
    a11y.check(dpo, "review-approved")
    logout(dpo)


# --- public -----------------------------------------------------------------------------------------------

def test_public_finds_the_release_and_downloads_csv_and_datapackage(
        make_page, live_server, make_submission, fresh, a11y, shots, tmp_path):
    make_submission("approved", title="Geflüchtete nach Aufenthaltsstatus, Juni 2026", reference_period="2026-06",
                    seed=11)
    # the next month of the same table (no change of 1 or 2: the cross-release check would refuse it)
    sub = make_submission("approved", title="Geflüchtete nach Aufenthaltsstatus, Juli 2026", seed=11, add=3)
    assert live_server.publish() >= 2
    page = make_page()
    page.goto("/")
    page.wait_for_url(re.compile(r"/releases"))
    a11y.check(page, "releases")
    page.get_by_label("Suche in Titel, Beschreibung und Schlagwörtern").fill("Juli")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=Juli"))
    page.get_by_role("link", name="Geflüchtete nach Aufenthaltsstatus, Juli 2026").click()
    page.wait_for_url(re.compile(rf"/releases/{sub.id}$"))
    expect(page.get_by_role("heading", name="Öffentliche Aussage zur Geheimhaltung")).to_be_visible()
    expect(page.locator("figure.map svg.choropleth[role=img]")).to_be_visible()
    chart = page.locator("figure.chart svg.timeseries[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("2026-06")
    expect(chart.locator("desc")).to_contain_text("2026-07")
    assert chart.locator("circle").count() == 2
    a11y.check(page, "release")
    shots.take(page, "release", docs=True)

    # the same page in English: lang="en", map and chart texts in English, still no serious violation
    page.goto(f"/releases/{sub.id}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("figure.map svg title").first).to_contain_text("Map:")
    expect(page.locator("figure.chart svg desc")).to_contain_text("points from 2026-06 to 2026-07")
    a11y.check(page, "release-en")
    page.goto(f"/releases/{sub.id}?lang=de")

    with page.expect_download() as dl:
        page.get_by_role("link", name="Tabelle (CSV)", exact=True).click()
    csv_path = tmp_path / "release.csv"
    dl.value.save_as(csv_path)
    from catalog.releasetable import to_artifact  # the published German form holds the approved bytes

    assert hashlib.sha256(to_artifact(csv_path.read_bytes())).hexdigest() == sub.current_version.artifact_sha256

    with page.expect_download() as dl:
        page.get_by_role("link", name="Beschreibung des Datenpakets (JSON)").click()
    pkg_path = tmp_path / "datapackage.json"
    dl.value.save_as(pkg_path)
    pkg = json.loads(pkg_path.read_text(encoding="utf-8"))
    hashes = [r.get("hash", "") for r in pkg["resources"]]
    assert "sha256:" + hashlib.sha256(csv_path.read_bytes()).hexdigest() in hashes, hashes


# --- reader -----------------------------------------------------------------------------------------------

def test_group_reader_downloads_latest_and_non_member_is_refused(
        make_page, live_server, make_submission, a11y, tmp_path):
    make_submission("approved", audience="restricted", groups=["sozialplanung"], seed=12)
    # the next period (a second upload of the same period would be a correction with an `r` column)
    newer = make_submission("approved", audience="restricted", groups=["sozialplanung"], reference_period="2026-08",
                            seed=12, add=3)
    assert live_server.publish() >= 2

    reader = make_page()
    login(reader, "rita")
    a11y.check(reader, "dashboard-reader")
    reader.get_by_role("link", name="Download-Bereich").click()
    a11y.check(reader, "downloads-member")
    latest = reader.get_by_role("link", name="CSV (immer die neueste Version)")
    href = latest.get_attribute("href")
    with reader.expect_download() as dl:
        latest.click()
    path = tmp_path / "latest.csv"
    dl.value.save_as(path)
    from catalog.releasetable import to_artifact

    assert hashlib.sha256(to_artifact(path.read_bytes())).hexdigest() == newer.current_version.artifact_sha256

    outsider = make_page()
    login(outsider, "rolf")
    outsider.goto("/downloads")
    expect(outsider.get_by_text("Für Sie sind keine Veröffentlichungen im Download-Bereich verfügbar.")).to_be_visible()
    a11y.check(outsider, "downloads-non-member")
    response = outsider.goto(href)
    assert response.status in (403, 404), response.status
    assert "attachment" not in (response.headers.get("content-disposition") or "")
    a11y.check(outsider, "download-refused")


def test_the_axe_check_is_not_vacuous(page, live_server, tmp_path):
    """The checker really reports: a page with an unlabelled field and an image without text fails it."""
    from tests.browser.conftest import A11y

    page.goto("/releases")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<input type="text" id="x-unlabelled"><img src="/static/none.png">');
    }""")
    checker = A11y(tmp_path / "axe", "selftest")
    record = checker.check(page, "broken")
    ids = {v["id"] for v in record["violations"]}
    assert {"label", "image-alt"} <= ids, ids
    assert any("label" in f for f in checker.failures)
    assert (tmp_path / "axe" / "selftest__broken.json").exists()
