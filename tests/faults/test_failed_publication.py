"""Issue 14 item 10: a failed publication is visible, announced and retryable, against the real CKAN 2.12
test instance (made unreachable by the TCP proxy in front of it) and a real PostgreSQL.

The job fails for good (retries used up), the submission page and the list "Veröffentlichung fehlgeschlagen"
show the typed error in German (and English), the submitter and the DPOs get a notification; the submitter's
retry is refused with 403 and changes nothing; the DPO retries through the web after the portal is back,
the worker publishes, an anonymous client downloads the approved bytes from CKAN; everything is audited.
"""
from __future__ import annotations

import hashlib
import json
import re

import pytest

from catalog import releasetable
import requests
from sqlalchemy import func, select

from publisher import worker
from publisher.models import AuditEvent, PublicationJob, Submission
from publisher.models_ledger import Notification
from publisher.services import open_ctx
from publisher.workflow import State

pytestmark = [pytest.mark.ckan, pytest.mark.postgres]
PASSWORD = "Fehlertest-Passwort-2026"


def _jobs(app, sub_id):
    with open_ctx(app) as c:
        out = list(c.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub_id)
                                     .order_by(PublicationJob.id)).scalars())
        c.session.expunge_all()
        return out


def _snapshot(app, sub_id):
    with open_ctx(app) as c:
        jobs = [(j.id, j.state, j.attempts, j.last_error, j.next_attempt_at) for j in c.session.execute(
            select(PublicationJob).where(PublicationJob.submission_id == sub_id).order_by(PublicationJob.id)).scalars()]
        return jobs, c.session.get(Submission, sub_id).state, c.session.scalar(select(func.count(AuditEvent.id)))


def _login(client, username):
    page = client.get("/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data).group(1).decode()
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return token


def _csrf(client, path):
    m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).data)
    return m.group(1).decode()


@pytest.fixture
def failed_release(fault_app, approved_releases, ckan_proxy):
    """One approved public release whose CKAN job failed for good (portal unreachable, one attempt)."""
    fault_app.config["WORKER_MAX_ATTEMPTS"] = 1
    ckan_proxy.mode = "drop"
    (sub_id, sha, series), = approved_releases(1, "kaputt")
    worker.run(fault_app, once=True)
    return sub_id, sha, series


def test_failed_publication_is_visible_announced_refused_to_the_submitter_and_retried_by_the_dpo(
        fault_app, failed_release, ckan_proxy, ckan_instance):
    sub_id, sha, series = failed_release
    jobs = {j.target: j for j in _jobs(fault_app, sub_id)}
    assert jobs["download"].state == "done"
    ckan_job = jobs["ckan"]
    assert ckan_job.state == "failed"
    err = json.loads(ckan_job.last_error)
    assert err["code"].startswith("catalog.ckan") and err["message_de"] and err["message_en"]
    with open_ctx(fault_app) as c:
        assert c.session.get(Submission, sub_id).state == State.APPROVED.value
        notes = list(c.session.execute(select(Notification).where(Notification.submission_id == sub_id,
                                                                  Notification.kind == "publication_failed")).scalars())
        sabine = c.session.execute(select(Submission.submitter_id).where(Submission.id == sub_id)).scalar_one()
        assert sorted((n.role, n.user_id) for n in notes) == sorted([("approver", None), ("submitter", sabine)])
        assert all(n.details["code"] == err["code"] and n.details["job"] == ckan_job.id for n in notes)

    # the submitter sees the failure on the dashboard and on the submission page, in plain German
    client = fault_app.test_client()
    _login(client, "sabine")
    dash = client.get("/dashboard").get_data(as_text=True)
    assert "Veröffentlichung fehlgeschlagen" in dash
    page = client.get(f"/submissions/{sub_id}").get_data(as_text=True)
    assert "Veröffentlichung fehlgeschlagen" in page and err["code"] in page and err["message_de"] in page
    # ... and may not retry it: 403 in the web UI and by API, nothing changed
    before = _snapshot(fault_app, sub_id)
    token = _csrf(client, f"/submissions/{sub_id}")
    assert client.post(f"/publications/jobs/{ckan_job.id}/retry", data={"csrf_token": token}).status_code == 403
    with open_ctx(fault_app) as c:
        from publisher.services import accounts

        bearer = accounts.create_token(c, None, "sabine")[1]
    before = _snapshot(fault_app, sub_id)
    api = fault_app.test_client()
    resp = api.post(f"/api/v1/publication-jobs/{ckan_job.id}/retry", headers={"Authorization": f"Bearer {bearer}"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "publisher.forbidden.role"
    assert _snapshot(fault_app, sub_id) == before

    # the DPO: the list "Veröffentlichung fehlgeschlagen", in English too
    dpo = fault_app.test_client()
    _login(dpo, "dora")
    listing = dpo.get("/publications/failed").get_data(as_text=True)
    assert "Veröffentlichung fehlgeschlagen" in listing and f"retry-{ckan_job.id}" in listing
    assert err["message_de"] in listing
    assert err["message_en"] in dpo.get("/publications/failed?lang=en").get_data(as_text=True)
    review = dpo.get(f"/review/{sub_id}").get_data(as_text=True)
    assert err["code"] in review and f"retry-{ckan_job.id}" in review

    # the portal is back: the DPO retries through the web, the worker publishes
    ckan_proxy.mode = "pass"
    token = _csrf(dpo, "/publications/failed")
    resp = dpo.post(f"/publications/jobs/{ckan_job.id}/retry", data={"csrf_token": token, "back": "list"})
    assert resp.status_code in (302, 303)
    (job,) = [j for j in _jobs(fault_app, sub_id) if j.target == "ckan"]
    assert job.state == "pending" and job.attempts == 0 and job.last_error is None
    assert worker.run(fault_app, once=True) == 1
    (job,) = [j for j in _jobs(fault_app, sub_id) if j.target == "ckan"]
    assert job.state == "done"
    with open_ctx(fault_app) as c:
        assert c.session.get(Submission, sub_id).state == State.PUBLISHED.value
        ev = c.session.execute(select(AuditEvent).where(AuditEvent.event == "publication.job_retried")).scalars().all()
        details = ev[0].details_dict
        assert len(ev) == 1 and details["previous_error"]["code"] == err["code"]
        assert ev[0].actor_name == "dora"  # the DPO, not the system
    data = next(r for r in job.result["resources"] if r["key"].endswith("/daten"))
    published = requests.get(data["url"], timeout=30).content  # anonymous
    assert hashlib.sha256(releasetable.to_artifact(published)).hexdigest() == sha  # the published form minus names
    assert "Keine fehlgeschlagenen Veröffentlichungen." in dpo.get("/publications/failed?lang=de").get_data(as_text=True)


def test_retry_by_cli_as_a_named_dpo_and_refused_for_a_job_that_has_not_failed(fault_app, failed_release, ckan_proxy):
    from flask.cli import ScriptInfo

    from publisher.cli import main

    cli = fault_app.test_cli_runner()

    def run(*args):
        return cli.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: fault_app), catch_exceptions=False)

    sub_id, _, _ = failed_release
    (job,) = [j for j in _jobs(fault_app, sub_id) if j.target == "ckan"]
    out = run("publication", "failed")
    assert out.exit_code == 0 and f"{job.id}\t{sub_id}\tckan\tpublish" in out.stdout and "catalog.ckan" in out.stdout
    out = run("publication", "retry", str(job.id), "--as", "sabine")
    assert out.exit_code == 2 and "Datenschutzbeauftragte" in out.stderr
    assert [j.state for j in _jobs(fault_app, sub_id) if j.target == "ckan"] == ["failed"]
    out = run("publication", "retry", str(job.id), "--as", "dora", "--comment", "Portal wieder erreichbar")
    assert out.exit_code == 0, out.stderr
    out = run("publication", "retry", str(job.id), "--as", "dora")
    assert out.exit_code == 2 and "nicht fehlgeschlagen" in out.stderr  # pending now: nothing to retry
    ckan_proxy.mode = "pass"
    assert worker.run(fault_app, once=True) == 1
    with open_ctx(fault_app) as c:
        assert c.session.get(Submission, sub_id).state == State.PUBLISHED.value
