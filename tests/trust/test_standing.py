"""Issue 14 item 3: a standing approval covers the structure AND the published metadata; periods of a series
are published in order (a later period waits while an earlier one is under embargo, or the DPO decides
explicitly)."""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from sqlalchemy import select

from publisher import worker
from publisher.db import utcnow
from publisher.manifest import current_sha
from publisher.models import PublicationJob, Submission
from publisher.models_ledger import Notification
from publisher.services import review, series

from tests.series.test_series_services import HEADER, MAPPING, period  # noqa: F401  (fixture)

API = "/api/v1"


def _state(fresh, sid):
    return fresh().session.get(Submission, sid).state


def _jobs(fresh, sid):
    return fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sid)).scalars().all()


def _files(app):
    root = Path(app.config["DOWNLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _upload_by_api(client, tokens, month, add, **meta):
    """The submitter's weekly script: the same table layout, next period, through the API."""
    from publisher.demo import counts_long, german_csv, small_city

    rows = [(b, month, s, n + (add if n else 0)) for b, _, s, n in
            counts_long(small_city(), ["2026-07"], seed=3, small_cells=False)]
    m = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": month, "description": "Test",
         "keywords": ["Test"], "source": "Statistikstelle", "contact": "x@example.org", **meta}
    resp = client.post(f"{API}/submissions", headers=tokens["submitter"], content_type="multipart/form-data",
                       data={"file": (io.BytesIO(german_csv(HEADER, rows)), f"t-{month}.csv"),
                             "metadata": json.dumps(m), "mapping": json.dumps(MAPPING),
                             "series": "gefluechtete-monatlich"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    sid = resp.get_json()["id"]
    resp = client.post(f"{API}/submissions/{sid}/submit", headers=tokens["submitter"])
    assert resp.status_code == 200
    return sid, resp.get_json()["state"]


def test_standing_approval_does_not_publish_new_free_text_unread(app, client, tokens, ctx, fresh, users,
                                                                period):  # noqa: F811
    jul = review.submit(ctx, users["submitter"], period("2026-07").id)
    review.approve(ctx, users["approver"], jul.id, current_sha(ctx, jul))
    assert worker.run(app, once=True) >= 1
    series.grant_standing_approval(ctx, users["approver"], jul.series_id, jul.id, "monatlich ok")
    # the same metadata next period: released without a human (the standing approval works)
    aug, st = _upload_by_api(client, tokens, "2026-08", 3)
    assert st == "approved"
    worker.run(app, once=True)
    before = len(_files(app))
    # a new description naming a person: to a human, nothing published
    sep, st = _upload_by_api(client, tokens, "2026-09", 6, description="1 Person in der Hausnr. 3 zugezogen")
    assert st == "submitted" and _jobs(fresh, sep) == [] and _state(fresh, sep) == "submitted"
    note = fresh().session.execute(select(Notification).where(Notification.submission_id == sep)).scalar_one()
    assert note.kind == "review_needed" and "metadata_changed" in note.details["reasons"]
    # the licence too
    octo, st = _upload_by_api(client, tokens, "2026-10", 9, licence="cc-by/4.0")
    assert st == "submitted" and _jobs(fresh, octo) == []
    worker.run(app, once=True)
    assert len(_files(app)) == before


def test_a_later_period_waits_while_an_earlier_one_is_under_embargo(app, client, tokens, ctx, fresh, users,
                                                                   period):  # noqa: F811
    jul = review.submit(ctx, users["submitter"], period("2026-07").id)
    review.approve(ctx, users["approver"], jul.id, current_sha(ctx, jul))
    worker.run(app, once=True)
    # August is approved by hand with an embargo; then the series gets its standing approval
    aug = review.submit(ctx, users["submitter"], period("2026-08", add=3).id)
    until = utcnow() + dt.timedelta(days=5)
    review.approve(ctx, users["approver"], aug.id, current_sha(ctx, aug), embargo_until=until)
    series.grant_standing_approval(ctx, users["approver"], jul.series_id, jul.id, "monatlich ok")
    # September under the standing approval: not released while August is under embargo
    sep, st = _upload_by_api(client, tokens, "2026-09", 6)
    assert st == "submitted" and _jobs(fresh, sep) == []
    note = fresh().session.execute(select(Notification).where(Notification.submission_id == sep)).scalar_one()
    assert "earlier_period_embargoed" in note.details["reasons"]
    # the DPO by hand: refused without an embargo (409, nothing changed) ...
    m = client.get(f"{API}/submissions/{sep}", headers=tokens["approver"]).get_json()["manifest"]["sha256"]
    r = client.post(f"{API}/submissions/{sep}/approve", headers=tokens["approver"], json={"manifest_sha256": m})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "publisher.series.period_order"
    assert _state(fresh, sep) == "submitted" and _jobs(fresh, sep) == []
    # ... and allowed with an embargo at least as late, or when the DPO decides explicitly
    r = client.post(f"{API}/submissions/{sep}/approve", headers=tokens["approver"],
                    json={"manifest_sha256": m, "out_of_order": True})
    assert r.status_code == 200 and r.get_json()["state"] == "approved"
