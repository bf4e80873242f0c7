"""Issue 14 item 4: one audience never learns about another.

A series with public and restricted releases, published by the real worker into the real download area and
read back as the public would (anonymous HTTP): the public files, pages and API carry nothing of the
restricted releases - no changelog line, no version note, no ``r`` marks computed against restricted values,
no "latest" that points at a restricted version, and a restricted release is 404 (not 403 naming it).
"""
from __future__ import annotations

import csv
import io
import json
import zipfile

from publisher import worker
from publisher.models import Submission

SERIES = "testreihe"


def publish(app, make_submission, **meta):
    sub = make_submission("approved", **meta)
    assert worker.run(app, once=True) >= 1
    return sub


def _job_result(fresh, sub_id):
    from sqlalchemy import select

    from publisher.models import PublicationJob

    job = fresh().session.execute(select(PublicationJob).where(
        PublicationJob.submission_id == sub_id, PublicationJob.target == "download")).scalar_one()
    assert job.state == "done", job.last_error
    return job.result


def test_public_correction_of_a_restricted_period_shows_nothing_of_the_restricted_release(
        app, client, make_submission, fresh):
    restricted = publish(app, make_submission, seed=1, audience="restricted", groups=["sozialplanung"])
    r = _job_result(fresh, restricted.id)
    public = publish(app, make_submission, seed=2)  # the same period, public: a correction only internally
    p = _job_result(fresh, public.id)
    assert fresh().session.get(Submission, public.id).state == "published"
    assert p["version"] != r["version"]
    base = f"/downloads/{p['topic']}/{p['series']}/{p['version']}"
    pkg = client.get(f"{base}/datapackage.json")
    assert pkg.status_code == 200
    text = pkg.get_data(as_text=True)
    descriptor = json.loads(text)
    # no trace of the restricted release: not in the changelog, no correction note, no revision column
    assert [e["version"] for e in descriptor.get("changelog", [])] in ([], [p["version"]])
    assert "Korrektur" not in text and "eingeschränkt" not in text and "sozialplanung" not in text
    assert f'"{r["version"]}"' not in text
    data = client.get(f"{base}/{p['series']}.csv").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(data)))
    assert "revision" not in header
    rows = list(csv.reader(io.StringIO(data)))[1:]
    assert rows and not any(row[-1] == "r" for row in rows)
    zipped = client.get(f"{base}/{p['series']}-{p['version']}.zip").get_data()
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        for name in z.namelist():
            blob = z.read(name)
            assert f'"{r["version"]}"'.encode() not in blob and b"sozialplanung" not in blob, name
            assert not name.endswith(".csv") or b"revision" not in blob, name
    changelog = json.dumps(descriptor, ensure_ascii=False)
    assert "Neuer Berichtszeitraum" in changelog


def test_latest_link_and_pages_never_point_anonymous_users_at_a_restricted_release(
        app, client, auth, make_submission, fresh):
    public = publish(app, make_submission, seed=3, reference_period="2026-06")
    # the next period is the same table grown by 3 (issue 13: a change of 1 or 2 against June is refused)
    restricted = publish(app, make_submission, seed=3, add=3, reference_period="2026-07", audience="restricted",
                         groups=["sozialplanung"])
    p, r = _job_result(fresh, public.id), _job_result(fresh, restricted.id)
    latest = f"/downloads/{p['topic']}/{p['series']}/latest/{p['series']}.csv"
    explicit = f"/downloads/{r['topic']}/{r['series']}/{r['version']}/{r['series']}.csv"
    got = client.get(latest)
    assert got.status_code == 200 and got.headers["X-Content-SHA256"] == p["files"][f"{p['series']}.csv"]
    for url in (explicit, f"/releases/{restricted.id}",
                f"/downloads/{r['topic']}/{r['series']}/{r['version']}/datapackage.json"):
        resp = client.get(url)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 404, (url, resp.status_code)
        assert "sozialplanung" not in body and "eingeschränkt" not in body, url
        # indistinguishable from a version that never existed
        ghost = client.get(url.replace(f"/{r['version']}/", "/9.9.9/").replace(f"/{restricted.id}", "/999999"))
        assert ghost.status_code == 404 and ghost.get_data(as_text=True).replace("9.9.9", r["version"]).replace(
            "999999", str(restricted.id)) == body, url
    listing = client.get("/downloads").get_data(as_text=True)
    assert f"/{r['version']}/" not in listing and f"/releases/{restricted.id}" not in client.get("/releases").get_data(
        as_text=True)
    api = client.get("/api/v1/releases").get_json()["releases"]
    assert [x["id"] for x in api] == [public.id]
    # a logged-in reader of another group: the same 404; the group's reader gets the newest version
    auth.login("rolf")
    assert client.get(explicit).status_code == 404 and client.get(f"/releases/{restricted.id}").status_code == 404
    assert client.get(latest).headers["X-Content-SHA256"] == p["files"][f"{p['series']}.csv"]
    auth.logout()
    auth.login("rita")
    assert client.get(latest).headers["X-Content-SHA256"] == r["files"][f"{r['series']}.csv"]
    assert client.get(explicit).status_code == 200


def test_submitters_diff_never_compares_with_a_release_they_may_not_read(app, client, auth, make_submission,
                                                                        fresh, users):
    restricted = publish(app, make_submission, seed=5, reference_period="2026-06", audience="restricted",
                         groups=["sozialplanung"])
    new = make_submission("submitted", seed=6, reference_period="2026-07", submitter=users["submitter"])
    auth.login("sabine")  # the submitter is not in the group "sozialplanung"
    for url in (f"/submissions/{new.id}", f"/review/{new.id}"):
        html = client.get(url).get_data(as_text=True)
        assert f"Einreichung {restricted.id}" not in html and "Vorige Veröffentlichung" not in html, url
    auth.logout()
    auth.login("dora")  # the DPO reads every audience and sees the comparison
    assert "Vorige Veröffentlichung" in client.get(f"/review/{new.id}").get_data(as_text=True)


def test_time_series_of_a_mixed_series_carries_only_the_public_periods(app, client, auth, make_submission, fresh):
    """Issue 17 item 4: the series' time series (CSV and .xlsx) is built from public releases only: the
    restricted period, its version and its values are not in it, for anonymous users and group members
    alike; a series with only restricted releases answers 404 like a series that does not exist."""
    import openpyxl

    from catalog.releasetable import published_rows

    restricted = publish(app, make_submission, seed=3, add=3, reference_period="2026-07", audience="restricted",
                         groups=["sozialplanung"])
    # only restricted releases so far: 404, exactly like a series that does not exist
    hidden = client.get(f"/reihen/{restricted.series_id}/zeitreihe.csv")
    ghost = client.get("/reihen/987654/zeitreihe.csv")
    assert hidden.status_code == ghost.status_code == 404
    import re

    def same(resp):
        return re.sub(r"\d+", "N", resp.get_data(as_text=True))

    assert same(hidden) == same(ghost) and "sozialplanung" not in hidden.get_data(as_text=True)
    public = publish(app, make_submission, seed=3, reference_period="2026-06")
    p, r = _job_result(fresh, public.id), _job_result(fresh, restricted.id)
    sid = public.series_id
    assert restricted.series_id == sid
    published = client.get(f"/downloads/{p['topic']}/{p['series']}/{p['version']}/{p['series']}.csv").data
    head, rows = published_rows(published)
    for who in (None, "rita"):
        if who:
            auth.login(who)
        got = client.get(f"/reihen/{sid}/zeitreihe.csv")
        assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/csv")
        series = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
        assert series[0] == ["zeitraum", "version", *head]
        assert series[1:] == [["2026-06", p["version"], *row] for row in rows]  # exactly the released values
        assert {row[0] for row in series[1:]} == {"2026-06"} and {row[1] for row in series[1:]} == {p["version"]}
        wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/reihen/{sid}/zeitreihe.xlsx").data))
        ws = wb["Zeitreihe"]
        assert [c.value for c in ws[1]][:5] == ["Zeitraum", "Version", "Gebietsebene", "Gebietsschlüssel",
                                               "Gebietsname"]
        assert ws.max_row == len(rows) + 1
        assert {(row[0].value, row[1].value) for row in ws.iter_rows(min_row=2)} == {("2026-06", p["version"])}
        notes = " ".join(str(c.value) for row in wb["Hinweise"].iter_rows() for c in row if c.value)
        assert "Geheimhaltung 2026-06" in notes and "Geheimhaltung 2026-07" not in notes
        assert f"Version {r['version']}" not in notes and "sozialplanung" not in notes
        if who:
            auth.logout()
    # the release page's entries for the time series: on public release pages only
    from publisher.services import downloads
    from publisher.web.timeseries_views import time_series_downloads

    with app.test_request_context():
        c = fresh()
        rels = {x.submission_id: x for x in downloads._releases(c)}
        assert [e[1] for e in time_series_downloads(c, rels[public.id], None)] == [
            f"/reihen/{sid}/zeitreihe.xlsx", f"/reihen/{sid}/zeitreihe.csv"]
        assert time_series_downloads(c, rels[restricted.id], None) == []
