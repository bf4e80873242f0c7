"""Issue 14 item 1: the approval binds the whole release manifest, not only the table's bytes.

Each scenario of the issue is played as a user would (web forms, API with a bearer token) and asserts the
refusal AND that nothing changed: state, decisions, jobs and the download area.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from publisher import worker
from publisher.db import utcnow
from publisher.manifest import current_sha
from publisher.models import AuditEvent, Decision, PublicationJob, Submission, SubmissionVersion
from publisher.services import accounts, review

from tests.conftest import LONG_MAPPING, meta

API = "/api/v1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def state(fresh, sid) -> dict:
    s = fresh().session
    sub = s.get(Submission, sid)
    return {"state": sub.state, "version": sub.current_version_id,
            "decisions": [(d.action, d.actor_id, d.manifest_sha256, d.invalidated_at is None) for d in
                          s.execute(select(Decision).where(Decision.submission_id == sid).order_by(Decision.id)).scalars()],
            "jobs": [(j.target, j.state, j.manifest_sha256) for j in
                     s.execute(select(PublicationJob).where(PublicationJob.submission_id == sid)).scalars()]}


def published_files(app) -> list[Path]:
    root = Path(app.config["DOWNLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _csrf(client, url) -> str:
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def test_restricted_then_returned_and_resubmitted_public_is_not_approved_by_the_old_approval(
        app, client, tokens, ctx, fresh, users, make_submission):
    """Why #1: a restricted submission, returned and resubmitted with the same table as ``public``: the DPO's
    approval of the restricted manifest (same table sha256) must not make it public."""
    sub = make_submission("submitted", audience="restricted", groups=["sozialplanung"])
    got = client.get(f"{API}/submissions/{sub.id}", headers=tokens["approver"]).get_json()
    restricted_manifest, table = got["manifest"]["sha256"], got["check"]["artifact_sha256"]
    assert got["manifest"]["document"]["audience"] == "restricted"
    assert client.post(f"{API}/submissions/{sub.id}/return", headers=tokens["approver"],
                       json={"comment": "Bitte Titel prüfen."}).status_code == 200
    resp = client.post(f"{API}/submissions/{sub.id}/resubmit", headers=tokens["submitter"],
                       data={"metadata": json.dumps({"audience": "public"})}, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["check"]["artifact_sha256"] == table  # the same table ...
    assert body["manifest"]["sha256"] != restricted_manifest  # ... but another manifest
    assert body["manifest"]["document"]["audience"] == "public"
    before = state(fresh, sub.id)
    for payload in ({"manifest_sha256": restricted_manifest},
                    {"manifest_sha256": restricted_manifest, "artifact_sha256": table}):
        resp = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver"], json=payload)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "publisher.manifest_changed"
    # the table hash alone approves nothing any more
    resp = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver"],
                       json={"artifact_sha256": table})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "publisher.manifest_required"
    assert state(fresh, sub.id) == before and before["state"] == "submitted" and before["jobs"] == []
    assert worker.run(app, once=True) == 0 and published_files(app) == []
    # the approval of the public manifest, knowingly given, works
    resp = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver"],
                       json={"manifest_sha256": body["manifest"]["sha256"]})
    assert resp.status_code == 200 and resp.get_json()["state"] == "approved"


def test_two_approvals_keep_the_first_approvers_embargo(app, client, auth, tokens, ctx, fresh, users,
                                                        make_submission):
    """Why #2: with two approvals, the embargo set by the first approver must not be dropped."""
    app.config["TWO_APPROVALS"] = True
    ctx.settings["TWO_APPROVALS"] = True
    sub = make_submission("submitted")
    m1 = current_sha(ctx, sub)
    when = (utcnow() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    # first approver (web form): sets the embargo
    auth.login("dora")
    page = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert re.search(r'name="manifest_sha256" value="' + m1, page)
    from publisher.web.series_views import LOCAL_TZ

    local = when.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(f"/review/{sub.id}/approve", data={
        "csrf_token": _csrf(client, f"/review/{sub.id}"), "manifest_sha256": m1, "embargo_until": local})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    auth.logout()
    m2 = current_sha(fresh(), sub.id)
    assert m2 != m1  # the embargo is part of the approved manifest
    s = state(fresh, sub.id)
    assert s["state"] == "submitted" and s["decisions"][-1][:3] == ("approve_first", users["approver"].id, m2)
    # the second approver sees the embargo on the review page (prefilled) and in the manifest
    auth.login("dieter")
    page = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert f'value="{local}"' in page and "Sperrfrist" in page and m2 in page
    auth.logout()
    # approving the manifest without the embargo (what the first approver saw) is refused, nothing changes
    before = state(fresh, sub.id)
    resp = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver2"],
                       json={"manifest_sha256": m1})
    assert resp.status_code == 409 and state(fresh, sub.id) == before
    # the second approval of the same manifest (API, no embargo field: the reviewed one's embargo stays)
    resp = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver2"],
                       json={"manifest_sha256": m2})
    assert resp.status_code == 200 and resp.get_json()["state"] == "approved"
    s = state(fresh, sub.id)
    assert [d[2] for d in s["decisions"] if d[0].startswith("approve")] == [m2, m2]
    c = fresh()
    jobs = c.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).scalars().all()
    assert jobs and all(j.manifest_sha256 == m2 and j.next_attempt_at >= when for j in jobs)
    assert worker.run(app, once=True) == 0 and published_files(app) == []  # nothing before the embargo


def test_second_approver_changing_the_embargo_proposes_a_new_manifest(app, tokens, ctx, fresh, users,
                                                                      make_submission, client):
    ctx.settings["TWO_APPROVALS"] = True
    app.config["TWO_APPROVALS"] = True
    sub = make_submission("submitted")
    later = (utcnow() + dt.timedelta(days=2)).replace(microsecond=0)
    m1 = current_sha(ctx, sub)
    r = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver"],
                    json={"manifest_sha256": m1, "embargo_until": later.isoformat()})
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"
    m2 = r.get_json()["manifest"]["sha256"]
    # the second approver removes the embargo: a new proposal, the first approval no longer counts
    r = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver2"],
                    json={"manifest_sha256": m2, "embargo_until": None})
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"
    m3 = r.get_json()["manifest"]["sha256"]
    assert m3 == m1  # no embargo: the base document again
    s = state(fresh, sub.id)
    valid = [d for d in s["decisions"] if d[0].startswith("approve") and d[3]]
    assert valid == [("approve_first", users["approver2"].id, m3, True)] and s["jobs"] == []
    # the first approver approves the new proposal: now both bind the same manifest
    r = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["approver"], json={"manifest_sha256": m3})
    assert r.status_code == 200 and r.get_json()["state"] == "approved"
    assert {j[2] for j in state(fresh, sub.id)["jobs"]} == {m3}


def test_worker_refuses_a_job_whose_manifest_changed_after_approval(app, make_submission, fresh):
    """A database writer turns the approved restricted release public after approval: the worker rebuilds
    the manifest, finds it differs from the approved one and publishes nothing."""
    sub = make_submission("approved", audience="restricted", groups=["sozialplanung"])
    c = fresh()
    v = c.session.get(SubmissionVersion, sub.current_version_id)
    v.meta = {**v.meta, "audience": "public", "groups": []}
    c.session.commit()
    worker.run(app, once=True)
    c = fresh()
    (job,) = c.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).scalars()
    err = json.loads(job.last_error)
    assert job.state == "failed" and err["code"] == "FG-PUB-MANIFEST-CHANGED"
    assert "audience" in err["details"]["changed"] and "Manifest" in err["message_de"]
    assert published_files(app) == []
    assert c.session.execute(select(AuditEvent).where(AuditEvent.event == "publication.alert")).first()


def test_worker_refuses_when_a_target_was_added_after_approval(app, make_submission, fresh):
    """The manifest names the targets: configuring CKAN after approval does not send the release there."""
    sub = make_submission("approved")
    app.config["CKAN_URL"] = "http://127.0.0.1:9"  # a portal configured after the approval
    worker.run(app, once=True)
    (job,) = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).scalars()
    assert job.state == "failed" and json.loads(job.last_error)["code"] == "FG-PUB-MANIFEST-CHANGED"
    assert published_files(app) == []


def test_approval_of_a_deactivated_approver_is_not_executed(app, make_submission, fresh, ctx, users):
    sub = make_submission("approved")
    accounts.set_active(ctx, users["admin"], users["approver"].id, False)
    worker.run(app, once=True)
    (job,) = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).scalars()
    assert job.state == "failed" and json.loads(job.last_error)["code"] == "FG-PUB-APPROVER-INVALID"
    assert published_files(app) == []


def test_review_page_shows_the_whole_manifest_in_plain_german(client, auth, make_submission, ctx):
    sub = make_submission("submitted", audience="restricted", groups=["sozialplanung"],
                          description="Monatliche Auswertung")
    auth.login("dora")
    html = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert html.index("Was Sie freigeben") < html.index('data-testid="approve"')
    for text in ("Für wen", "Eingeschränkt: nur die Gruppen sozialplanung", "Wohin", "Download-Bereich von Freigabe",
                 "Ab wann", "Sofort nach der Freigabe", "Monatliche Auswertung", "Regelwerk", "Gebietshierarchie",
                 "Population der Prüfungen", current_sha(ctx, sub), sub.current_version.artifact_sha256):
        assert text in html, text


def test_approval_and_jobs_bind_the_same_manifest_and_it_publishes(app, make_submission, ctx, fresh):
    sub = make_submission("approved")
    c = fresh()
    d = c.session.execute(select(Decision).where(Decision.submission_id == sub.id, Decision.action == "approve")
                          ).scalar_one()
    (job,) = c.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).scalars()
    assert d.manifest_sha256 and job.manifest_sha256 == d.manifest_sha256
    assert worker.run(app, once=True) == 1
    assert fresh().session.get(Submission, sub.id).state == "published"
