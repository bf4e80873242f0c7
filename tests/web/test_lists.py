"""Issue 17 item 5: lists that scale - search, filters (state, series, period) and pages in the staff/DPO
list and the public list; the audit log filtered by person, event and date, paged, and the filtered view
exported in the columns of the full export."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

from publisher.models import AuditEvent


def _ids(html: str, prefix: str) -> set[int]:
    return {int(x) for x in re.findall(rf'href="{prefix}/(\d+)"', html)}


def test_staff_list_searches_and_filters_by_state_series_and_period(auth, client, users, make_submission):
    jul = make_submission("draft", title="Geflüchtete Juli", reference_period="2026-07")
    aug = make_submission("submitted", title="Geflüchtete August", reference_period="2026-08")
    old = make_submission("returned", title="Wohnbevölkerung", reference_period="2025-12")
    auth.login("sabine")
    assert _ids(client.get("/dashboard").get_data(as_text=True), "/submissions") >= {jul.id, aug.id, old.id}
    assert _ids(client.get("/dashboard?q=geflüchtete+august").get_data(as_text=True), "/submissions") == {aug.id}
    assert _ids(client.get("/dashboard?period=2026").get_data(as_text=True), "/submissions") == {jul.id, aug.id}
    assert _ids(client.get("/dashboard?state=returned").get_data(as_text=True), "/submissions") == {old.id}
    html = client.get(f"/dashboard?series={jul.series_id}&period=2026-07").get_data(as_text=True)
    assert _ids(html, "/submissions") == {jul.id} and "1 Eintrag" in html
    assert client.get("/dashboard?state=nonsense&page=x").status_code == 200
    auth.logout()
    auth.login("dora")
    assert _ids(client.get("/dashboard?state=submitted").get_data(as_text=True), "/review") == {aug.id}


def test_pages_cut_the_list_and_name_their_position(ctx, users, make_submission):
    from publisher.services import listing

    made = [make_submission("draft", title=f"Tabelle {i}") for i in range(5)]
    p1 = listing.submissions_page(ctx, users["submitter"], per_page=2)
    p3 = listing.submissions_page(ctx, users["submitter"], page=3, per_page=2)
    assert (p1.total, p1.pages, len(p1.items), p3.page, len(p3.items)) == (5, 3, 2, 3, 1)
    seen = [s.id for n in (1, 2, 3) for s in listing.submissions_page(ctx, users["submitter"], page=n,
                                                                       per_page=2).items]
    assert sorted(seen) == sorted(s.id for s in made)  # every item once, none twice
    assert listing.submissions_page(ctx, users["submitter"], page=99, per_page=2).page == 3


def test_public_list_filters_by_series_and_period(app, client, make_submission):
    from publisher import worker

    a = make_submission("approved", title="Juni", reference_period="2026-06", seed=4)
    # issue 13: July is June's table grown by 3 (a change of 1 or 2 is refused before publication)
    b = make_submission("approved", title="Juli", reference_period="2026-07", seed=4, add=3)
    assert worker.run(app, once=True) >= 2
    html = client.get("/releases?period=2026-07").get_data(as_text=True)
    ids = {int(x) for x in re.findall(r'href="/releases/(\d+)"', html)}
    assert ids == {b.id}
    html = client.get(f"/releases?series={a.series_id}").get_data(as_text=True)
    assert {int(x) for x in re.findall(r'href="/releases/(\d+)"', html)} == {a.id, b.id}
    assert 'id="f-series-filter"' in html


def test_audit_log_filters_by_person_event_and_date_and_exports_the_filtered_view(auth, client, users,
                                                                                  make_submission, fresh):
    make_submission("returned")
    make_submission("submitted")
    s = fresh().session
    all_rows = s.query(AuditEvent).all()
    by_dora = [e for e in all_rows if "dora" in e.actor_name.lower()]
    returned = [e for e in all_rows if e.event == "submission.returned"]
    assert by_dora and returned
    auth.login("adele")
    html = client.get("/audit?actor=DORA").get_data(as_text=True)
    assert f"{len(by_dora)} Einträge" in html or f"{len(by_dora)} Eintrag" in html
    html = client.get("/audit?event=submission.returned").get_data(as_text=True)
    assert re.findall(r'<tr><td class="num">(\d+)</td>', html) == [str(e.seq) for e in
                                                                   sorted(returned, key=lambda e: -e.seq)]
    today = dt.datetime.now(dt.timezone.utc).astimezone().date()
    tomorrow = (today + dt.timedelta(days=2)).isoformat()
    assert "0 Einträge" in client.get(f"/audit?from={tomorrow}").get_data(as_text=True)
    resp = client.get("/audit?from=31.12.2026")
    assert resp.status_code == 422 and 'id="e-from"' in resp.get_data(as_text=True)
    # the export of the filtered view: the same columns as the full export, only the matching rows
    full = list(csv.DictReader(io.StringIO(client.get("/audit/export.csv").get_data(as_text=True))))
    part = list(csv.DictReader(io.StringIO(client.get("/audit/export.csv?actor=dora").get_data(as_text=True))))
    assert [r["seq"] for r in part] == [r["seq"] for r in full if "dora" in r["actor_name"].lower()]
    assert part and list(part[0].keys()) == list(full[0].keys())
    assert 'href="/audit/export.csv?actor=dora"' in client.get("/audit?actor=dora").get_data(as_text=True)
    js = client.get("/audit/export.json?event=submission.returned").get_json()
    assert [r["event"] for r in js] == ["submission.returned"] * len(returned)


def test_audit_pages_in_sql(ctx, users, make_submission):
    from publisher.services import listing

    make_submission("submitted")
    total = ctx.session.query(AuditEvent).count()
    f = listing.audit_filters({})
    p1 = listing.audit_page(ctx, users["admin"], f, 1, per_page=3)
    p2 = listing.audit_page(ctx, users["admin"], f, 2, per_page=3)
    assert p1.total == total and len(p1.items) == 3
    assert [e.seq for e in p1.items] == list(range(total, total - 3, -1))
    assert [e.seq for e in p2.items] == list(range(total - 3, total - 6, -1))
