"""Reports in the web UI and the CLI (issue 17 item 4): staff create a report and add their tables through the
forms, the DPO sees the membership on the review page, the public page in German and English, the CLI."""
from __future__ import annotations

import re

from sqlalchemy import select

from publisher import worker
from publisher.models_reports import Report
from publisher.report_states import ReportState

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def _post(client, page: str, action: str, data: dict):
    token = CSRF.search(client.get(page).data).group(1).decode()
    return client.post(action, data={**data, "csrf_token": token})


def test_staff_create_a_report_add_their_tables_and_complete_it_in_the_web_ui(app, auth, client, fresh, make_table):
    a = make_table(title="Einwohner nach Stadtteil", series="bevoelkerung-aktuell")
    b = make_table(title="Geflüchtete nach Status", series="fluechtlinge-aktuell")
    auth.login("sabine")
    bad = _post(client, "/berichte/verwaltung", "/berichte/verwaltung", {"title": "", "period": ""})
    assert bad.status_code == 422 and "Pflichtfeld" in bad.get_data(as_text=True)
    assert fresh().session.execute(select(Report)).first() is None  # nothing half-stored
    resp = _post(client, "/berichte/verwaltung", "/berichte/verwaltung",
                 {"title": "Bevölkerung aktuell", "period": "KW 47/2026", "audience": "public"})
    assert resp.status_code == 303
    rid = fresh().session.execute(select(Report.id)).scalar_one()
    manage = f"/berichte/{rid}/verwaltung"
    page = client.get(manage).get_data(as_text=True)
    assert "Bevölkerung aktuell, KW 47/2026" in page and f'<option value="{a.id}">' in page
    for sub in (a, b):
        assert _post(client, manage, f"/berichte/{rid}/tabellen", {"submission_id": sub.id}).status_code == 303
    assert _post(client, manage, f"/berichte/{rid}/abschliessen", {}).status_code == 303
    report = fresh().session.get(Report, rid)
    assert report.state == ReportState.COMPLETE.value
    assert [m.submission_id for m in report.members] == [a.id, b.id]
    page = client.get(manage).get_data(as_text=True)
    assert "Vollständig, wartet auf Freigaben" in page and "Einwohner nach Stadtteil" in page
    # another member of staff sees nothing of it and cannot add to it
    from tests.conftest import TEST_PASSWORD

    otto = app.test_client()
    assert _post(otto, "/login", "/login", {"username": "otto", "password": TEST_PASSWORD}).status_code == 303
    assert otto.get(manage).status_code == 403
    assert _post(otto, "/berichte/verwaltung", f"/berichte/{rid}/abschliessen", {}).status_code == 403


def test_the_dpo_sees_the_report_on_the_review_page(auth, client, two_table_report, approve):
    r, a, b = two_table_report()
    approve(a)
    auth.login("dora")
    page = client.get(f"/review/{b.id}").get_data(as_text=True)
    assert 'data-testid="review-report"' in page
    assert "Teil des Berichts „Bevölkerung aktuell, KW 47/2026“" in page
    assert "Einwohner nach Stadtteil" in page and "für den Bericht freigegeben" in page
    assert "Teil des Berichts" in page and "(Nr. " in page  # the manifest names the report too
    en = client.get(f"/review/{b.id}?lang=en").get_data(as_text=True)
    assert "Part of the report “Bevölkerung aktuell, KW 47/2026”" in en


def test_the_public_report_page_in_english_and_the_cli(app, client, runner, two_table_report, approve, make_table,
                                                       users):
    r, a, b = two_table_report()
    approve(a)
    approve(b)
    worker.run(app, once=True)
    en = client.get(f"/berichte/{r.id}?lang=en").get_data(as_text=True)
    assert "Tables" in en and "Excel workbook of the report (.xlsx)" in en
    out = runner.invoke(["report", "show", str(r.id), "--as", "dora"]).output
    assert "Bevölkerung aktuell, KW 47/2026" in out and "2/2" in out
    sub = make_table(series="cli-reihe")
    out = runner.invoke(["report", "create", "--title", "Entwicklung der Flüchtlingszahlen", "--period",
                         "November 2026", "--as", "sabine"]).output
    rid = int(re.search(r"Bericht (\d+):", out).group(1))
    out = runner.invoke(["report", "add", str(rid), str(sub.id), "--as", "sabine"]).output
    assert f"Einreichung {sub.id}" in out
    refused = runner.invoke(["report", "add", str(rid), str(sub.id), "--as", "otto"])
    assert refused.exit_code == 2
