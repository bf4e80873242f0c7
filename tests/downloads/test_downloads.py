"""Download area and public release pages (issue 4 items 3 and 4), on SQLite and PostgreSQL.

Releases reach the download area through the real workflow and the real publication worker.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from catalog.releasetable import to_artifact

import pytest
from sqlalchemy import select

from publisher import worker
from publisher.models import AuditEvent, PublicationJob
from publisher.models_downloads import DownloadRecord
from publisher.services import downloads
from publisher.services import review


def _publish(app, make_submission, **meta):
    sub = make_submission("approved", **meta)
    assert worker.run(app, once=True) >= 1
    return sub


def _job(fresh, sub_id) -> dict:
    c = fresh()
    job = c.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub_id,
                                                         PublicationJob.target == "download")).scalar_one()
    assert job.state == "done", job.last_error
    return job.result


def _records(fresh):
    return list(fresh().session.execute(select(DownloadRecord).order_by(DownloadRecord.id)).scalars())


def _events(fresh, name):
    return list(fresh().session.execute(select(AuditEvent).where(AuditEvent.event == name)).scalars())


def _url(r, version, filename):
    return f"/downloads/{r['topic']}/{r['series']}/{version}/{filename}"


RESTRICTED = {"audience": "restricted", "groups": ["sozialplanung"]}


def test_group_reader_downloads_latest_and_a_version_and_each_download_is_recorded(
        app, client, auth, make_submission, fresh, users):
    sub1 = _publish(app, make_submission, seed=13, **RESTRICTED)
    # a new period of the same table, no correction (no change of 1 or 2: the cross-release check would refuse it)
    sub2 = _publish(app, make_submission, reference_period="2026-08", seed=13, add=3, **RESTRICTED)
    r1, r2 = _job(fresh, sub1.id), _job(fresh, sub2.id)
    assert r1["version"] != r2["version"]
    auth.login("rita")
    csv_name = f"{r1['series']}.csv"
    latest = client.get(_url(r1, "latest", csv_name))
    assert latest.status_code == 200
    assert hashlib.sha256(to_artifact(latest.data)).hexdigest() == sub2.current_version.artifact_sha256
    old = client.get(_url(r1, r1["version"], csv_name))
    assert old.status_code == 200
    # the downloaded CSV is exactly the approved artifact
    assert hashlib.sha256(to_artifact(old.data)).hexdigest() == sub1.current_version.artifact_sha256
    assert old.headers["Content-Type"].startswith("text/csv")
    for name in r1["files"]:
        assert client.get(_url(r1, r1["version"], name)).status_code == 200
    recs = _records(fresh)
    assert len(recs) == 2 + len(r1["files"])
    assert {r.username for r in recs} == {"rita"}
    assert recs[0].version == r2["version"] and recs[0].requested == "latest"
    assert recs[0].sha256 == hashlib.sha256(latest.data).hexdigest()  # the published bytes downloaded
    assert recs[1].version == r1["version"] and recs[1].filename == csv_name
    assert all(r.at is not None and r.submission_id in (sub1.id, sub2.id) for r in recs)
    assert len(_events(fresh, "download.file")) == len(recs)

    page = client.get("/downloads")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert r1["version"] in text and r2["version"] in text and "/latest/" in text


def test_outsider_gets_404_on_every_version_link_and_latest_and_nothing_is_recorded(
        app, client, auth, make_submission, fresh, users):
    sub1 = _publish(app, make_submission, **RESTRICTED)
    sub2 = _publish(app, make_submission, **RESTRICTED)
    results = [_job(fresh, sub1.id), _job(fresh, sub2.id)]
    auth.login("rolf")
    urls = [_url(r, r["version"], n) for r in results for n in r["files"]]
    urls += [_url(results[0], "latest", n) for n in results[0]["files"]]
    for url in urls:  # issue 14: 404, as if it did not exist (no version or group named)
        assert client.get(url).status_code == 404, url
    assert _records(fresh) == []
    assert len(_events(fresh, "download.refused")) == len(urls)
    assert _events(fresh, "download.file") == []
    # the outsider's listing does not show the restricted series, nor does the release page open
    assert results[0]["series"] not in client.get("/downloads").get_data(as_text=True)
    assert client.get(f"/releases/{sub1.id}").status_code == 404


def test_anonymous_sees_public_releases_and_not_restricted_ones(app, client, make_submission, fresh):
    pub = _publish(app, make_submission, reference_period="2026-07")
    rp = _job(fresh, pub.id)
    page = client.get("/downloads")
    assert page.status_code == 200 and rp["series"] in page.get_data(as_text=True)
    resp = client.get(_url(rp, "latest", f"{rp['series']}.csv"))
    assert resp.status_code == 200
    assert hashlib.sha256(to_artifact(resp.data)).hexdigest() == pub.current_version.artifact_sha256
    (rec,) = _records(fresh)
    assert rec.username == "anonymous" and rec.user_id is None

    res = _publish(app, make_submission, **RESTRICTED)
    rr = _job(fresh, res.id)
    for name in rr["files"]:
        assert client.get(_url(rr, rr["version"], name)).status_code in (403, 404)
    assert len(_records(fresh)) == 1
    # unknown things are 404, and path tricks never reach the file system outside the area
    assert client.get(_url(rp, "9.9.9", f"{rp['series']}.csv")).status_code == 404
    assert client.get(_url(rp, rp["version"], "nicht-da.csv")).status_code == 404
    assert client.get(f"/downloads/x/{rp['series']}/latest/a.csv").status_code == 404
    assert client.get(f"/downloads/{rp['topic']}/{rp['series']}/..%2F..%2F/x.csv").status_code == 404


def test_release_page_shows_metadata_statement_preview_and_downloads(app, client, make_submission, fresh):
    sub = _publish(app, make_submission)
    r = _job(fresh, sub.id)
    resp = client.get(f"/releases/{sub.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Geflüchtete nach Aufenthaltsstatus" in html
    assert sub.current_version.public_statement["de"][:40] in html
    assert "<caption>" in html and "<table" in html
    for name in r["files"]:
        assert _url(r, r["version"], name) in html
    # the preview shows the published numbers (first data row of the served CSV)
    data = client.get(_url(r, r["version"], f"{r['series']}.csv")).get_data(as_text=True)
    first = data.splitlines()[1].split(",")
    # areas x categories (issue 17): the first area's row holds the first published count
    row = re.search(rf'<th scope="row">[^<]*<span class="code">{first[1]}</span></th>\s*<td class="num">([^<]*)</td>', html)
    assert row and row.group(1) == first[-1]
    assert "style=" not in html and "<script>" not in html
    # preview rows are bounded
    preview = html[html.index('aria-labelledby="vorschau"'):].split("</section>")[0]
    assert preview.count("<tr>") <= 51 + 1
    assert client.get(f"/releases/{sub.id + 999}").status_code == 404


def test_withdrawn_release_is_gone_with_a_notice_and_listed_as_withdrawn(
        app, client, auth, make_submission, fresh, users, ctx):
    sub = _publish(app, make_submission)
    r = _job(fresh, sub.id)
    review.withdraw_release(ctx, users["approver"], sub.id, "Fehler in den Daten.")
    worker.run(app, once=True)
    for name in r["files"]:
        resp = client.get(_url(r, r["version"], name))
        assert resp.status_code == 410
        assert "zurückgezogen" in resp.get_data(as_text=True)
    assert client.get(_url(r, "latest", f"{r['series']}.csv")).status_code == 410
    assert _records(fresh) == []
    listing = client.get("/downloads").get_data(as_text=True)
    assert r["version"] in listing and "zurückgezogen" in listing
    page = client.get(f"/releases/{sub.id}")
    assert page.status_code == 200 and "zurückgezogen" in page.get_data(as_text=True)


def test_purge_removes_only_records_older_than_the_retention(app, client, make_submission, fresh):
    sub = _publish(app, make_submission)
    r = _job(fresh, sub.id)
    for _ in range(3):
        assert client.get(_url(r, "latest", f"{r['series']}.csv")).status_code == 200
    c = fresh()
    recs = list(c.session.execute(select(DownloadRecord).order_by(DownloadRecord.id)).scalars())
    now = dt.datetime.now(dt.timezone.utc)
    recs[0].at = now - dt.timedelta(days=400)
    recs[1].at = now - dt.timedelta(days=364)
    c.session.commit()
    assert downloads.purge_download_log(fresh(), now) == 1
    left = _records(fresh)
    assert [x.id for x in left] == [recs[1].id, recs[2].id]
    c2 = fresh()
    c2.settings["DOWNLOAD_LOG_RETENTION_DAYS"] = 30
    assert downloads.purge_download_log(c2, now) == 1
    assert len(_records(fresh)) == 1
    assert len(_events(fresh, "download.log_purged")) == 2


def test_every_text_of_the_download_pages_has_an_english_translation(app, client, make_submission, fresh):
    from publisher.i18n_tools import extract, read_catalogue

    english = {m.id: m.string for m in read_catalogue("en") if m.id}
    used = [m.id for m in extract() if m.id and any(f.endswith(("downloads.html", "release.html"))
                                                      for f, _line in m.locations)]
    assert len(used) > 20
    assert [i for i in used if not english.get(i)] == []
    sub = _publish(app, make_submission)
    html = client.get(f"/releases/{sub.id}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "About this table" in html and "Über diese Tabelle" not in html


def test_preview_marks_suppressed_cells_with_an_explained_symbol(app, make_submission):
    from flask import render_template

    from publisher.services.downloads import Release

    rel = Release(1, "T", "statistik", "reihe", "1.0.0", {"reihe.csv": "a" * 64}, "public", [], False)

    class V:
        level, public_statement = "stadtteil", {"de": "Aussage", "en": "Statement"}

    class S:
        class series:
            title = "T"

    with app.test_request_context("/releases/1"):
        html = render_template("release.html", rel=rel, sub=S, version=V, meta={}, total=2, preview_rows=50,
                               header=["area", "count"], rows=[["01", "."], ["02", "-"]])
    assert '<abbr title="geheim gehalten">.</abbr>' in html
    assert '<abbr title="nichts vorhanden">-</abbr>' in html
    assert "<caption" in html


def test_public_release_list_can_be_searched(app, client, make_submission):
    a = _publish(app, make_submission, title="Geflüchtete nach Aufenthaltsstatus Juli")
    b = _publish(app, make_submission, title="Einwohner nach Alter")
    page = client.get("/releases?q=aufenthaltsstatus").get_data(as_text=True)
    assert "Geflüchtete nach Aufenthaltsstatus Juli" in page and "Einwohner nach Alter" not in page
    assert f"/releases/{a.id}" in page and f"/releases/{b.id}" not in page
    none = client.get("/releases?q=%3Cscript%3Exyz").get_data(as_text=True)
    assert "Keine Veröffentlichung passt" in none and "<script>xyz" not in none
