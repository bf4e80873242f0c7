"""Corrections as patch versions, per-cell ``r`` marks, changelog (issue 8, item 1).

A series publishes 2026-01 and 2026-02, then corrects 2026-02 twice - through the real services and the real
publication worker (download area; the CKAN variant runs against the real CKAN 2.12 test instance).
"""
from __future__ import annotations

from publisher.manifest import current_sha
import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.datapackage import DataPackage, validate_package
from disclosure_rules.crossrelease import XREL_CORRECTION_SMALL
from publisher import worker
from publisher.demo import counts_long
from publisher.models import AuditEvent, PublicationJob, StoredFile, Submission, SubmissionVersion
from publisher.publication import PublicationRefused
from publisher.services import errors as E
from publisher.services import ledger, queries, review
from publisher.workflow import State

from tests.series.test_series_services import period  # noqa: F401  (fixture)

REASON_CODE = "publisher.correction.reason_required"


@pytest.fixture
def base_rows(city):
    """The rows the ``period`` fixture starts from (same seed): (block, month, status, count)."""
    return counts_long(city, ["2026-07"], seed=3, small_cells=False)


def nonzero(base_rows, n: int) -> list[int]:
    return [i for i, row in enumerate(base_rows) if row[3] >= 5][:n]


def key(base_rows, i: int, month: str) -> tuple:
    block, _, status, _ = base_rows[i]
    return "baublock", block, (("aufenthaltsstatus", status), ("monat", month))


def release(app, ctx, users, sub) -> dict:
    """Submit, approve (DPO), let the worker publish; returns the download job's result."""
    sub = review.submit(ctx, users["submitter"], sub.id)
    review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    assert worker.run(app, once=True) >= 1
    ctx.session.expire_all()
    assert ctx.session.get(Submission, sub.id).state == State.PUBLISHED.value
    job = ctx.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id,
                                                           PublicationJob.target == "download")).scalar_one()
    assert job.state == "done", job.last_error
    return job.result


def files(app, result) -> dict[str, bytes]:
    root = Path(app.config["DOWNLOAD_DIR"]) / result["topic"] / result["series"] / result["version"]
    return {p.name: p.read_bytes() for p in root.iterdir()}


def marked(data: bytes) -> tuple[list[str], set[tuple]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["ebene", "gebietsschluessel", "gebietsname"]  # the published German form
    dims = header[3:-2]
    assert header[-2:] == ["anzahl", "revision"]
    out = set()
    for row in body:
        assert row[-1] in ("", "r")
        if row[-1] == "r":
            out.add((row[0], row[1], tuple(sorted(zip(dims, row[3:3 + len(dims)])))))
    return header, out


def test_corrections_are_patch_versions_with_r_marks_reason_and_changelog(app, ctx, users, period, base_rows):
    jan = release(app, ctx, users, period("2026-01"))
    feb_sub = period("2026-02", add=3)
    assert ctx.session.get(SubmissionVersion, feb_sub.current_version_id).report.get("correction") is None
    feb = release(app, ctx, users, feb_sub)
    assert (jan["version"], feb["version"]) == ("1.0.0", "1.1.0")
    # a first release keeps today's data file: exactly the approved artifact, no revision column
    feb_files = files(app, feb)
    data = feb_files[f"{feb['series']}.csv"]
    assert data.split(b"\r\n", 1)[0].endswith(b",anzahl")
    assert json.loads(feb_files["datapackage.json"])["dcat"]["versionNotes"] == "Neuer Berichtszeitraum 2026-02"

    # correction 1 of 2026-02: two cells change by 4 (>= the threshold: no warning)
    a, b, c_ = nonzero(base_rows, 3)
    fix1 = period("2026-02", add=3, bump={a: 4, b: 4}, correction_reason="Nachmeldung der Ausländerbehörde")
    info = fix1.current_version.report["correction"]
    assert info["version"] == "1.1.0" and info["period"] == "2026-02" and info["revised"] == 2
    assert info["reason"] == "Nachmeldung der Ausländerbehörde"
    assert XREL_CORRECTION_SMALL not in [f["code"] for f in fix1.current_version.findings]
    r1 = release(app, ctx, users, fix1)
    assert r1["version"] == "1.1.1"
    f1 = files(app, r1)
    header, keys = marked(f1[f"{r1['series']}.csv"])
    assert keys == {key(base_rows, a, "2026-02"), key(base_rows, b, "2026-02")}
    d1 = json.loads(f1["datapackage.json"])
    assert d1["version"] == "1.1.1"
    assert d1["dcat"]["versionNotes"] == ("Korrektur von Version 1.1.0: Nachmeldung der Ausländerbehörde "
                                          "(2 Zellen berichtigt, gekennzeichnet mit r)")
    assert d1["symbols"]["r"]["de"].startswith("berichtigte Zahl")
    field = d1["resources"][0]["schema"]["fields"][-1]
    assert field["name"] == "revision" and field["title"] == "Revisionskennzeichen"
    # the package as published validates with frictionless
    pkg = DataPackage.from_zip(f1[f"{r1['series']}-{r1['version']}.zip"])
    assert validate_package(pkg).valid

    # correction 2: one cell changes by 1 against 1.1.1 - published, with a warning for the DPO
    fix2 = period("2026-02", add=3, bump={a: 4, b: 4, c_: 1}, correction_reason="Doppelzählung bereinigt")
    smalls = [f for f in fix2.current_version.findings if f["code"] == XREL_CORRECTION_SMALL]
    assert len(smalls) == 1 and smalls[0]["params"]["changed"] == 1 and smalls[0]["severity"] == "warning"
    assert "1.1.1" in smalls[0]["message_de"]
    r2 = release(app, ctx, users, fix2)  # a warning does not block
    assert r2["version"] == "1.1.2"
    f2 = files(app, r2)
    _, keys2 = marked(f2[f"{r2['series']}.csv"])
    assert keys2 == {key(base_rows, c_, "2026-02")}  # only what differs from 1.1.1
    d2 = json.loads(f2["datapackage.json"])
    assert [(e["version"], e["period"]) for e in d2["changelog"]] == [
        ("1.0.0", "2026-01"), ("1.1.0", "2026-02"), ("1.1.1", "2026-02"), ("1.1.2", "2026-02")]
    notes = [e["notes"] for e in d2["changelog"]]
    assert notes[0] == "Neuer Berichtszeitraum 2026-01" and notes[1] == "Neuer Berichtszeitraum 2026-02"
    assert "Nachmeldung" in notes[2] and "2 Zellen" in notes[2]
    assert notes[3] == d2["dcat"]["versionNotes"] and "Doppelzählung bereinigt" in notes[3] and "1 Zelle " in notes[3]
    assert all(e["date"] for e in d2["changelog"])
    assert validate_package(DataPackage.from_zip(f2[f"{r2['series']}-{r2['version']}.zip"])).valid

    # the ledger: the corrections supersede 1.1.0 and 1.1.1 in the cross-release checks
    rows = ledger.entries(ctx, fix2.series_id)
    assert [e.release_version for e in rows] == ["1.0.0", "1.1.0", "1.1.1", "1.1.2"]
    assert ledger.superseded_ids(ctx) >= {rows[1].id, rows[2].id}
    # the next period is the next minor (distinct periods, not submissions)
    mar = period("2026-03", add=6)
    assert ledger.release_version_for(ctx, mar, mar.current_version) == "1.2.0"


def test_correction_without_reason_is_refused_and_nothing_is_stored(app, ctx, users, period):
    release(app, ctx, users, period("2026-02"))
    s = ctx.session

    def counts():
        s.rollback()
        return tuple(s.execute(select(func.count()).select_from(m)).scalar_one()
                     for m in (Submission, SubmissionVersion, StoredFile, AuditEvent))

    before = counts()
    with pytest.raises(E.InvalidInput) as err:
        period("2026-02", add=5)
    (f,) = err.value.findings
    assert f.code == REASON_CODE and f.column == "correction_reason" and err.value.http_status == 422
    assert "1.0.0" in f.message("de") and "2026-02" in f.message("en") and "Reason for correction" in f.message("en")
    assert counts() == before
    with pytest.raises(E.InvalidInput):
        period("2026-02", add=5, correction_reason="   ")  # blank is no reason
    assert counts() == before


def test_correction_that_became_one_after_upload_is_refused_at_approval_and_at_the_gate(app, ctx, users, period):
    """Two uploads of 2026-02 before either is published: the second needs its reason once the first is out."""
    first = review.submit(ctx, users["submitter"], period("2026-02").id)
    second = review.submit(ctx, users["submitter"], period("2026-02", add=5).id)
    approved_second = period("2026-02", add=10)
    approved_second = review.submit(ctx, users["submitter"], approved_second.id)
    approved_second = review.approve(ctx, users["approver"], approved_second.id,
                                     current_sha(ctx, approved_second))
    review.approve(ctx, users["approver"], first.id, current_sha(ctx, first))
    review.start_publishing(ctx, first.id)
    review.complete_publication(ctx, first.id, {"download": {"version": "1.0.0"}})
    with pytest.raises(E.WrongState) as err:
        review.approve(ctx, users["approver"], second.id, current_sha(ctx, second))
    assert err.value.code == REASON_CODE and err.value.http_status == 409
    ctx.session.expire_all()
    assert ctx.session.get(Submission, second.id).state == State.SUBMITTED.value
    with pytest.raises(PublicationRefused) as gate:
        ledger.gate_before_publication(ctx, approved_second, approved_second.current_version)
    assert gate.value.code == REASON_CODE


def test_review_page_shows_what_the_correction_corrects(app, client, auth, ctx, users, period, base_rows):
    release(app, ctx, users, period("2026-02"))
    (i,) = nonzero(base_rows, 1)
    sub = period("2026-02", bump={i: 6}, correction_reason="<script>alert(1)</script> Nachmeldung")
    sub = review.submit(ctx, users["submitter"], sub.id)
    data = queries.review_data(ctx, users["approver"], sub.id)
    assert data["correction"]["version"] == "1.0.0" and data["correction"]["revised"] == 1
    auth.login("dora")
    page = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert "korrigiert Version 1.0.0" in page and "2026-02" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Nachmeldung" in page and "<script>alert(1)" not in page
    assert "Berichtigte Zellen (Kennzeichen r)" in page


def _api_upload(client, token: str, city, metadata: dict):
    from publisher.demo import german_csv

    from tests.series.test_series_services import HEADER, MAPPING

    rows = [(b, "2026-02", s, n + 3 if n else 0) for b, _, s, n in counts_long(city, ["2026-07"], seed=3,
                                                                             small_cells=False)]
    form = {"file": (io.BytesIO(german_csv(HEADER, rows)), "tabelle.csv"), "metadata": json.dumps(metadata),
            "mapping": json.dumps(MAPPING), "series": "gefluechtete-monatlich"}
    return client.post("/api/v1/submissions", data=form, headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data")


def test_api_upload_of_a_correction_needs_the_reason_and_reports_what_it_corrects(
        app, client, ctx, users, period, city, hierarchy):
    from publisher.services import accounts

    release(app, ctx, users, period("2026-02"))
    token = accounts.create_token(ctx, None, users["submitter"].username)[1]
    md = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-02", "contact": "x@example.org"}
    before = ctx.session.execute(select(func.count()).select_from(Submission)).scalar_one()
    resp = _api_upload(client, token, city, md)
    assert resp.status_code == 422, resp.get_data(as_text=True)[:500]
    err = resp.get_json()["error"]
    assert err["code"] == REASON_CODE
    (d,) = err["details"]
    assert d["column"] == "correction_reason" and d["message_de"] and d["message_en"]
    ctx.session.rollback()
    assert ctx.session.execute(select(func.count()).select_from(Submission)).scalar_one() == before
    resp = _api_upload(client, token, city, {**md, "correction_reason": "Nachmeldung"})
    assert resp.status_code == 201, resp.get_data(as_text=True)[:500]
    body = resp.get_json()
    assert body["metadata"]["correction_reason"] == "Nachmeldung"
    sub = client.get(f"/api/v1/submissions/{body['id']}", headers={"Authorization": f"Bearer {token}"}).get_json()
    corr = sub["check"]["report"]["correction"]
    assert corr["version"] == "1.0.0" and corr["period"] == "2026-02" and corr["reason"] == "Nachmeldung"
    assert corr["revised"] > 0


def test_web_upload_form_has_the_reason_field_and_shows_the_refusal_at_it(app, client, auth, ctx, users, period,
                                                                          city, hierarchy):
    import re

    from publisher.demo import german_csv

    from tests.series.test_series_services import HEADER

    release(app, ctx, users, period("2026-02"))
    auth.login(users["submitter"].username)
    page = client.get("/submissions/new").get_data(as_text=True)
    assert 'name="correction_reason"' in page and "Grund der Korrektur" in page
    rows = counts_long(city, ["2026-02"], seed=3, small_cells=False)
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), "action": "save",
            "title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-02", "contact": "x@example.org",
            "audience": "public", "licence": "dl-de/by-2-0", "series": "gefluechtete-monatlich",
                "hierarchy": str(hierarchy.id),
            "geo_column": "baublock", "count_columns": "anzahl", "dimensions": "monat, aufenthaltsstatus",
            "layout": "long", "additive": "1", "file": (io.BytesIO(german_csv(HEADER, rows)), "t.csv")}
    resp = client.post("/submissions/new", data=form, content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "ist eine Korrektur und braucht einen Grund" in html and 'id="f-correction_reason"' in html
    assert 'aria-invalid="true">' in html.split('id="f-correction_reason"', 1)[1][:300]
