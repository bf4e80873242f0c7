"""The pages of the three roles render with real data, and the workflow runs through the UI forms."""
from __future__ import annotations

import re

from publisher.models import Decision, Submission


def state_of(fresh, sub_id) -> str:
    return fresh().session.get(Submission, sub_id).state


def test_dashboard_per_role(auth, client, users, make_submission):
    sub = make_submission("submitted", title="Geflüchtete <script>alert(1)</script>")
    auth.login("sabine")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Meine Einreichungen" in html and f"/submissions/{sub.id}" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    auth.logout()
    auth.login("dora")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Warten auf Prüfung: 1" in html and f"/review/{sub.id}" in html
    auth.logout()
    auth.login("rita")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Download-Bereich" in html and f"/review/{sub.id}" not in html


def test_review_page_shows_metadata_tables_report_and_hash(auth, client, users, make_submission):
    sub = make_submission("submitted")
    v = sub.current_version
    auth.login("dora")
    resp = client.get(f"/review/{sub.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for text in ("Metadaten", "Eingereichte Tabelle (vertraulich)", "Veröffentlichungstabelle (Vorschau)",
                 "Regelbericht", "Unterschied zur vorigen Veröffentlichung", "Öffentliche Aussage",
                 v.public_statement["de"], v.artifact_sha256, "Freigeben", "Zurückgeben", "Ablehnen"):
        assert text in html, text
    # exactly the failing cells the engine listed for the submitted level are highlighted
    from publisher.web.presenters import failing_cells

    failing = failing_cells(v.report)
    assert failing, "the small-cell test table has failing cells at block level"
    assert html.count('class="num cell-below"') == len(failing)
    assert "24 Zellen verletzen" in html or "Zellen verletzen die Mindestfallzahl" in html  # plain-German reason
    assert re.search(r'<button type="submit" aria-describedby="approve-sha" data-testid="approve">', html)
    queue = client.get("/review").get_data(as_text=True)
    assert f"/review/{sub.id}" in queue


def test_submitter_sees_own_approve_button_disabled_with_reason(auth, client, users, make_submission):
    sub = make_submission("submitted")
    auth.login("sabine")
    for url in (f"/review/{sub.id}", f"/submissions/{sub.id}"):
        html = client.get(url).get_data(as_text=True)
        assert re.search(r'<button type="submit" disabled aria-describedby="approve-refusal"', html), url
        assert "Vier-Augen-Prinzip" in html


def test_self_approval_through_the_form_is_refused_and_nothing_changes(browser, auth, client, users,
                                                                       make_submission, fresh):
    sub = make_submission("submitted")
    auth.login("sabine")
    resp = browser.post(f"/submissions/{sub.id}", f"/review/{sub.id}/approve",
                        {"artifact_sha256": sub.current_version.artifact_sha256})
    assert resp.status_code == 403
    assert state_of(fresh, sub.id) == "submitted"
    assert not fresh().session.query(Decision).filter_by(submission_id=sub.id, action="approve").count()


def test_dpo_returns_then_approves_via_forms(browser, auth, client, users, make_submission, fresh):
    sub = make_submission("submitted")
    auth.login("dora")
    page = f"/review/{sub.id}"
    resp = browser.post(page, f"/review/{sub.id}/return", {"comment": ""})
    assert resp.status_code == 422
    assert 'id="e-c-return"' in resp.get_data(as_text=True) or "Kommentar" in resp.get_data(as_text=True)
    assert state_of(fresh, sub.id) == "submitted"
    resp = browser.post(page, f"/review/{sub.id}/approve", {"manifest_sha256": "0" * 64})
    assert resp.status_code == 409  # approval bound to the exact release manifest
    assert state_of(fresh, sub.id) == "submitted"
    resp = browser.post(page, f"/review/{sub.id}/return", {"comment": "Bitte Monat prüfen."})
    assert resp.status_code == 303
    assert state_of(fresh, sub.id) == "returned"
    auth.logout()
    auth.login("sabine")
    resp = browser.post(f"/submissions/{sub.id}", f"/submissions/{sub.id}/resubmit",
                        {"title": "Geflüchtete, korrigiert", "comment": "Monat korrigiert"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    assert state_of(fresh, sub.id) == "submitted"
    auth.logout()
    auth.login("dora")
    html = client.get(page).get_data(as_text=True)
    sha = re.search(r'name="manifest_sha256" value="([0-9a-f]{64})"', html).group(1)
    resp = browser.post(page, f"/review/{sub.id}/approve", {"manifest_sha256": sha})
    assert resp.status_code == 303
    assert state_of(fresh, sub.id) == "approved"


def test_upload_check_then_draft_then_submit(browser, auth, client, users, hierarchy, table_bytes, fresh):
    from io import BytesIO

    from publisher.services import reference

    reference.ensure_default_rule_set(fresh())
    auth.login("sabine")
    form = {"geo_column": "baublock", "count_columns": "anzahl", "dimensions": "monat, aufenthaltsstatus",
            "layout": "long", "additive": "1", "hierarchy": str(hierarchy.id),
            "title": "Geflüchtete Juli", "reference_period": "2026-07", "licence": "dl-de/by-2-0",
            "audience": "public"}
    data = table_bytes(seed=7, delimiter=";") if "delimiter" in table_bytes.__code__.co_varnames else table_bytes(seed=7)
    resp = browser.post("/submissions/new", "/submissions/new",
                        {**form, "action": "check", "file": (BytesIO(data), "juli.csv")},
                        content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Prüfergebnis" in html and "Veröffentlichte Ebene" in html
    assert "Spalten der hochgeladenen Datei: baublock, monat, aufenthaltsstatus, anzahl" in html
    assert fresh().session.query(Submission).count() == 0  # check only: nothing stored
    resp = browser.post("/submissions/new", "/submissions/new",
                        {**form, "action": "save", "file": (BytesIO(data), "juli.csv")},
                        content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    sub_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert state_of(fresh, sub_id) == "draft"
    resp = browser.post(f"/submissions/{sub_id}", f"/submissions/{sub_id}/submit")
    assert resp.status_code == 303
    assert state_of(fresh, sub_id) == "submitted"


def test_upload_errors_are_tied_to_fields_and_nothing_is_stored(browser, auth, users, hierarchy, fresh):
    from io import BytesIO

    auth.login("sabine")
    resp = browser.post("/submissions/new", "/submissions/new",
                        {"action": "save", "title": "", "reference_period": "", "layout": "long",
                         "file": (BytesIO(b"baublock;anzahl\n0101001;5\n"), "t.csv")},
                        content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="f-title"' in html and 'aria-describedby="e-title"' in html and 'aria-invalid="true"' in html
    assert 'id="e-title"' in html and "Pflichtfeld fehlt." in html
    assert "Es wurde nichts gespeichert." in html
    assert fresh().session.query(Submission).count() == 0
    resp = browser.post("/submissions/new", "/submissions/new",
                        {"action": "save", "title": "x", "reference_period": "2026", "layout": "long"},
                        content_type="multipart/form-data")
    assert resp.status_code == 422 and 'id="e-file"' in resp.get_data(as_text=True)


def test_raw_file_is_not_readable_by_readers_or_anonymous(auth, client, users, make_submission):
    sub = make_submission("submitted")
    vid = sub.current_version_id
    assert client.get(f"/versions/{vid}/raw").status_code == 302  # to the login
    auth.login("rita")
    assert client.get(f"/versions/{vid}/raw").status_code == 403
    assert client.get(f"/review/{sub.id}").status_code == 403
    auth.logout()
    auth.login("otto")  # another submitter
    assert client.get(f"/versions/{vid}/raw").status_code == 403
    assert client.get(f"/submissions/{sub.id}").status_code == 403
    auth.logout()
    auth.login("dora")
    resp = client.get(f"/versions/{vid}/raw")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["Cache-Control"] == "no-store"


def test_admin_pages_and_user_creation(browser, auth, client, users, fresh):
    auth.login("adele")
    for url in ("/admin/users", "/admin/hierarchies", "/admin/rule-sets", "/audit"):
        assert client.get(url).status_code == 200, url
    resp = browser.post("/admin/users", "/admin/users", {"username": "neu.person", "role": "submitter",
                                                          "groups": "", "password": ""})
    assert resp.status_code == 201
    assert "wird nur jetzt angezeigt" in resp.get_data(as_text=True)
    resp = browser.post("/admin/users", "/admin/users", {"username": "x", "role": "boss"})
    assert resp.status_code == 422 and 'id="e-username"' in resp.get_data(as_text=True)
    auth.logout()
    auth.login("sabine")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/audit").status_code == 403


def test_audit_log_read_verify_and_export_for_admin_and_dpo(auth, client, users, make_submission):
    make_submission("submitted")
    for who in ("adele", "dora"):
        auth.login(who)
        html = client.get("/audit?verify=1").get_data(as_text=True)
        assert "Zur Prüfung eingereicht" in html and "Kette vollständig" in html  # event label, German
        csv = client.get("/audit/export.csv")
        assert csv.status_code == 200 and csv.mimetype == "text/csv"
        assert csv.get_data(as_text=True).startswith("seq,at,actor_id")
        js = client.get("/audit/export.json")
        assert js.status_code == 200 and js.is_json and any(r["event"] == "submission.submitted" for r in js.json)
        auth.logout()
    auth.login("rita")
    assert client.get("/audit/export.csv").status_code == 403


def test_review_page_shows_the_difference_to_the_previous_release(auth, client, users, make_submission):
    old = make_submission("published", seed=11)
    new = make_submission("submitted", seed=12)
    assert old.series_id == new.series_id
    auth.login("dora")
    html = client.get(f"/review/{new.id}").get_data(as_text=True)
    assert f"Vorige Veröffentlichung: Einreichung {old.id}" in html
    assert "unverändert" in html and "Keine frühere Veröffentlichung" not in html


def test_wrong_state_in_the_ui_is_409_and_nothing_changes(browser, auth, users, make_submission, fresh):
    sub = make_submission("submitted")
    before = fresh().session.get(Submission, sub.id).lock_version
    auth.login("sabine")
    resp = browser.post(f"/submissions/{sub.id}", f"/submissions/{sub.id}/submit")
    assert resp.status_code == 409
    assert "nicht möglich" in resp.get_data(as_text=True)
    after = fresh().session.get(Submission, sub.id)
    assert (after.state, after.lock_version) == ("submitted", before)


def test_too_large_upload_gets_a_413_page_and_nothing_is_stored(app, browser, auth, users, hierarchy, fresh):
    from io import BytesIO

    auth.login("sabine")
    big = b"baublock;anzahl\n" + b"0101001;5\n" * (app.config["MAX_CONTENT_LENGTH"] // 10 + 10)
    resp = browser.post("/submissions/new", "/submissions/new",
                        {"action": "save", "title": "x", "reference_period": "2026", "layout": "long",
                         "file": (BytesIO(big), "gross.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 413
    assert "Datei zu groß" in resp.get_data(as_text=True)
    assert fresh().session.query(Submission).count() == 0


def test_other_submitter_cannot_act_on_a_draft(browser, auth, users, make_submission, fresh):
    sub = make_submission("draft")
    auth.login("otto")
    resp = browser.post("/dashboard", f"/submissions/{sub.id}/submit")
    assert resp.status_code == 403
    resp = browser.post("/dashboard", f"/submissions/{sub.id}/withdraw")
    assert resp.status_code == 403
    assert fresh().session.get(Submission, sub.id).state == "draft"


def test_admin_imports_a_hierarchy_and_creates_a_rule_set(browser, auth, users, city, fresh):
    from io import BytesIO

    from publisher.models import AuditEvent, Hierarchy, RuleSet

    auth.login("adele")
    resp = browser.post("/admin/hierarchies", "/admin/hierarchies",
                        {"name": "musterstadt", "valid_from": "2026-01-01",
                         "file": (BytesIO(city.hierarchy_csv()), "stadt.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    s = fresh().session
    h = s.query(Hierarchy).one()
    assert (h.name, h.version, h.valid_from.isoformat()) == ("musterstadt", 1, "2026-01-01")
    assert s.query(AuditEvent).filter_by(event="hierarchy.imported").count() == 1
    html = browser.get("/admin/hierarchies").get_data(as_text=True)
    assert "musterstadt" in html and "01.01.2026" in html
    resp = browser.post("/admin/hierarchies", "/admin/hierarchies",
                        {"name": "kaputt", "valid_from": "gestern",
                         "file": (BytesIO(b"x"), "h.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and 'id="e-valid_from"' in resp.get_data(as_text=True)
    assert fresh().session.query(Hierarchy).count() == 1
    resp = browser.post("/admin/rule-sets", "/admin/rule-sets", {"name": "mindestfallzahl-5", "min_count": "5"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    rs = fresh().session.query(RuleSet).filter_by(name="mindestfallzahl-5").one()
    assert rs.overrides == {"min_count": 5}
    resp = browser.post("/admin/rule-sets", "/admin/rule-sets", {"name": "x", "min_count": "fünf"})
    assert resp.status_code == 422 and 'id="e-min_count"' in resp.get_data(as_text=True)


def test_upload_form_offers_the_geography_level_with_the_hierarchies_levels(auth, client, users, hierarchy):
    auth.login("sabine")
    html = client.get("/submissions/new").get_data(as_text=True)
    # issue 17: a choice, not typed
    assert '<select id="f-geo_level"' in html
    options = html.split('<select id="f-geo_level"', 1)[1].split("</select>", 1)[0]
    assert [v for v in ("baublock", "stadtteil", "stadtbezirk") if f'value="{v}"' in options] == [
        "baublock", "stadtteil", "stadtbezirk"]
    en = client.get("/submissions/new?lang=en").get_data(as_text=True)
    assert "Geography level" in en
