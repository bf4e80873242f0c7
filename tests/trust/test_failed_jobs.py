"""Issue 14 item 10 (the parts without a portal): the publication jobs' transition table, typed failures,
and the metadata a target would refuse checked at upload (the end-to-end retry against a real CKAN is in
tests/faults/test_failed_publication.py)."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from publisher import worker
from publisher.job_states import JOB_TRANSITIONS, JobState, check_job_transition, reachable_job_states
from publisher.labels import EVENT_LABELS
from publisher.models import AuditEvent, PublicationJob, Submission
from publisher.workflow import Role

API = "/api/v1"


def test_every_job_state_is_reachable_and_every_transition_audited_with_a_label():
    assert reachable_job_states() == set(JobState)
    for t in JOB_TRANSITIONS:
        assert t.action == "claim" or (t.audit_event and t.audit_event in EVENT_LABELS), t
    assert check_job_transition("retry", "failed", Role.APPROVER).target == JobState.PENDING
    with pytest.raises(RuntimeError):
        check_job_transition("retry", "failed", Role.SUBMITTER)
    with pytest.raises(RuntimeError):
        check_job_transition("retry", "done", Role.ADMIN)


def _fail_publication(app, make_submission, fresh):
    """A release whose download-area job fails for good: its approved table is changed in storage."""
    sub = make_submission("approved")
    path = fresh().store.path(sub.current_version.artifact_sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"stadtteil,X,1\r\n")
    worker.run(app, once=True)
    return sub


def _state(fresh, sub_id):
    c = fresh()
    jobs = [(j.state, j.attempts, j.last_error) for j in c.session.execute(
        select(PublicationJob).where(PublicationJob.submission_id == sub_id)).scalars()]
    return jobs, c.session.get(Submission, sub_id).state, c.session.scalar(select(func.count(AuditEvent.id)))


def test_a_failure_of_the_release_itself_is_shown_but_not_retryable(app, make_submission, fresh, client, auth,
                                                                   tokens):
    """Tampered bytes (FG-PUB-HASH-MISMATCH): a retry cannot help; the DPO gets 409 and nothing changes; the
    submitter gets 403; the page says a new version is needed."""
    sub = _fail_publication(app, make_submission, fresh)
    (job,) = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).scalars()
    assert job.state == "failed" and json.loads(job.last_error)["code"] == "FG-PUB-HASH-MISMATCH"
    before = _state(fresh, sub.id)
    resp = client.post(f"{API}/publication-jobs/{job.id}/retry", headers=tokens["submitter"])
    assert resp.status_code == 403
    resp = client.post(f"{API}/publication-jobs/{job.id}/retry", headers=tokens["approver"])
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "publisher.job_not_retryable"
    assert _state(fresh, sub.id) == before
    listed = client.get(f"{API}/publication-jobs/failed", headers=tokens["approver"]).get_json()["items"]
    assert [(i["id"], i["error"]["code"], i["error"]["retryable"]) for i in listed] == [
        (job.id, "FG-PUB-HASH-MISMATCH", False)]
    assert client.get(f"{API}/publication-jobs/failed", headers=tokens["reader"]).status_code == 403
    auth.login("dora")
    page = client.get("/publications/failed").get_data(as_text=True)
    assert "FG-PUB-HASH-MISMATCH" in page and "Neue Version nötig" in page and f"retry-{job.id}" not in page


def _upload(client, tokens, hierarchy, **meta):
    from publisher.demo import counts_long, german_csv, small_city

    rows = counts_long(small_city(), ["2026-07"], seed=3, small_cells=False)
    m = {"title": "Geflüchtete", "reference_period": "2026-07", "description": "Test", "keywords": ["Test"],
         "source": "Statistikstelle", **meta}
    return client.post(f"{API}/submissions", headers=tokens["submitter"], content_type="multipart/form-data",
                       data={"file": (io.BytesIO(german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"],
                                                            rows)), "t.csv"),
                             "metadata": json.dumps(m), "series": "vorpruefung", "hierarchy": str(hierarchy.id),
                             "mapping": json.dumps({"geo_column": "baublock", "count_columns": ["anzahl"],
                                                    "dimensions": ["monat", "aufenthaltsstatus"], "layout": "long"})})


def _count(fresh):
    return fresh().session.scalar(select(func.count(Submission.id)))


def test_a_contact_without_e_mail_is_refused_at_upload_naming_the_field(app, client, tokens, fresh, hierarchy):
    """No contact and no FREIGABE_PUBLISHER_EMAIL: every target's data package would be refused."""
    resp = _upload(client, tokens, hierarchy)
    assert resp.status_code == 422
    fields = {d["column"] for d in resp.get_json()["error"]["details"]}
    assert fields == {"contact"}, resp.get_json()
    assert _count(fresh) == 0
    ok = _upload(client, tokens, hierarchy, contact="Statistik <statistik@stadt.example>")
    assert ok.status_code == 201, ok.get_json()


def test_an_e_mail_the_portal_refuses_is_refused_at_upload_only_where_the_portal_is_a_target(app, client,
                                                                                                tokens, fresh,
                                                                                                hierarchy):
    """CKAN's own e-mail validator accepts ASCII only: with a portal configured, "müller@…" is refused at
    upload (field contact, message naming the portal); a restricted release (never on the portal) passes."""
    app.config.update(CKAN_URL="http://127.0.0.1:9", CKAN_TOKEN="t", CKAN_ORG="stadt")  # built, never called
    resp = _upload(client, tokens, hierarchy, contact="Jana Müller <jana.müller@stadt.example>")
    assert resp.status_code == 422
    (d,) = resp.get_json()["error"]["details"]
    assert d["column"] == "contact" and "CKAN" in d["message_de"] and "CKAN" in d["message_en"]
    assert _count(fresh) == 0
    ok = _upload(client, tokens, hierarchy, contact="Jana Müller <jana.müller@stadt.example>", audience="restricted",
                 groups=["sozialplanung"])
    assert ok.status_code == 201, ok.get_json()
    app.config.update(CKAN_URL="")  # no portal: the download area accepts the address
    assert _upload(client, tokens, hierarchy, contact="Jana Müller <jana.müller@stadt.example>").status_code == 201
