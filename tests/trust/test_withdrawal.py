"""Issue 14 item 5: every release can be stopped (approved, not yet out) or withdrawn (published), by the DPO
or an admin, with a reason, in the web UI, the API and the CLI; audited; shown publicly as "zurückgezogen"
with date and reason; no file is cached as immutable."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from publisher import worker
from publisher.db import utcnow
from publisher.manifest import current_sha
from publisher.models import AuditEvent, Decision, PublicationJob, Submission
from publisher.services import publication as jobs
from publisher.services import review, series, withdrawal

from tests.trust.conftest import csrf_from


def state(fresh, sid) -> str:
    return fresh().session.get(Submission, sid).state


def events(fresh, name) -> list[AuditEvent]:
    return list(fresh().session.execute(select(AuditEvent).where(AuditEvent.event == name)).scalars())


def files(app) -> list[Path]:
    root = Path(app.config["DOWNLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def job_result(fresh, sid, purpose="publish"):
    return fresh().session.execute(select(PublicationJob).where(
        PublicationJob.submission_id == sid, PublicationJob.target == "download",
        PublicationJob.purpose == purpose)).scalar_one()


def test_dpo_stops_an_embargoed_release_in_the_web_ui_and_nothing_leaves(app, client, auth, browser, ctx, fresh,
                                                                          users, make_submission):
    sub = make_submission("submitted")
    when = utcnow() + dt.timedelta(days=1)
    review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub), embargo_until=when)
    assert [e["submission"] for e in series.upcoming_releases(fresh())] == [sub.id]
    page = f"/review/{sub.id}"
    # refused: the submitter (403), a DPO without a reason (422) - nothing changes
    auth.login("sabine")
    assert browser.post(f"/submissions/{sub.id}", f"/review/{sub.id}/stop", {"reason": "x"}).status_code == 403
    auth.logout()
    auth.login("dora")
    html = client.get(page).get_data(as_text=True)
    assert "Veröffentlichung stoppen" in html
    resp = browser.post(page, f"/review/{sub.id}/stop", {"reason": "  "})
    assert resp.status_code == 422 and state(fresh, sub.id) == "approved"
    resp = browser.post(page, f"/review/{sub.id}/stop", {"reason": "Falsche Gebietsstände"})
    assert resp.status_code == 303 and state(fresh, sub.id) == "withdrawn"
    assert "Falsche Gebietsstände" in client.get(page).get_data(as_text=True)
    # the embargo passes: nothing is published, nothing is in the calendar
    c = fresh()
    for j in c.session.execute(select(PublicationJob)).scalars():
        j.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    c.session.commit()
    worker.run(app, once=True)
    assert files(app) == [] and state(fresh, sub.id) == "withdrawn"
    assert series.upcoming_releases(fresh()) == []
    assert all(j.state == "done" and (j.result or {}).get("skipped") for j in
               fresh().session.execute(select(PublicationJob).where(PublicationJob.purpose == "publish")).scalars())
    (ev,) = events(fresh, "release.stopped")
    assert ev.actor_name == "dora" and ev.details_dict["comment"] == "Falsche Gebietsstände"


def test_stop_while_a_publish_job_runs_withdraws_what_it_reached(app, make_submission, ctx, fresh, users):
    sub = make_submission("approved")
    c = fresh()
    running = jobs.claim(c, "w-test")  # a worker holds the download job
    assert running is not None and running.target == "download"
    withdrawal.stop_release(ctx, users["admin"], sub.id, "Quelle fehlerhaft")
    assert state(fresh, sub.id) == "withdrawn"
    # the withdraw job waits while the publish job of its target runs, so it cannot be overtaken
    worker.run(app, once=True)
    w = job_result(fresh, sub.id, "withdraw")
    assert w.state == "pending" and "FG-PUB-WITHDRAW-WAITS" in (w.last_error or "")
    jobs.succeed(fresh(), running.id, "w-test", {"version": "1.0.0"})
    c = fresh()
    c.session.get(PublicationJob, w.id).next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    c.session.commit()
    worker.run(app, once=True)
    assert job_result(fresh, sub.id, "withdraw").state == "done"


def test_admin_withdraws_a_published_release_by_api_and_the_public_sees_date_and_reason(
        app, client, ctx, fresh, users, make_submission, tokens):
    older = make_submission("approved", seed=41, reference_period="2026-06")
    worker.run(app, once=True)
    sub = make_submission("approved", seed=42, reference_period="2026-07")
    worker.run(app, once=True)
    rel, old = job_result(fresh, sub.id).result, job_result(fresh, older.id).result
    url = f"/downloads/{rel['topic']}/{rel['series']}/{rel['version']}/{rel['series']}.csv"
    got = client.get(url)
    assert got.status_code == 200
    # no year-long immutable caching: revalidated every time, with the sha256 as ETag
    assert "immutable" not in got.headers["Cache-Control"] and "no-cache" in got.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": got.headers["ETag"]}).status_code == 304
    api = "/api/v1/submissions"
    # refused: no reason (422), the submitter and a reader (403) - nothing changes
    for who, body, status in (("admin", {}, 422), ("submitter", {"reason": "x"}, 403), ("reader", {"reason": "x"}, 403)):
        r = client.post(f"{api}/{sub.id}/withdraw-release", headers=tokens[who], json=body)
        assert r.status_code == status, (who, r.status_code)
    assert state(fresh, sub.id) == "published" and client.get(url).status_code == 200
    r = client.post(f"{api}/{sub.id}/withdraw-release", headers=tokens["admin"],
                    json={"reason": "Doppelt gezählte Personen in Bezirk 3"})
    assert r.status_code == 200 and r.get_json()["state"] == "withdrawn"
    worker.run(app, once=True)
    assert job_result(fresh, sub.id, "withdraw").state == "done"
    # the file is gone for everyone (also for a cached copy that revalidates), latest falls back
    assert client.get(url).status_code == 410
    assert client.get(url, headers={"If-None-Match": got.headers["ETag"]}).status_code == 410
    latest = client.get(f"/downloads/{rel['topic']}/{rel['series']}/latest/{rel['series']}.csv")
    assert latest.status_code == 200 and latest.headers["X-Content-SHA256"] == old["files"][f"{old['series']}.csv"]
    page = client.get(f"/releases/{sub.id}").get_data(as_text=True)
    today = utcnow().astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%d.%m.%Y")
    assert "zurückgezogen" in page and "Doppelt gezählte Personen in Bezirk 3" in page
    assert utcnow().strftime("%d.%m.%Y") in page or today in page
    assert "Doppelt gezählte Personen in Bezirk 3" in client.get("/downloads").get_data(as_text=True)
    assert f"/releases/{sub.id}" not in client.get("/releases").get_data(as_text=True)
    (ev,) = events(fresh, "release.withdrawn")
    assert ev.actor_name == "adele"


def test_cli_withdraws_as_a_named_dpo_and_refuses_a_submitter(app, runner, make_submission, fresh):
    sub = make_submission("approved")
    worker.run(app, once=True)
    assert state(fresh, sub.id) == "published"
    res = runner.invoke(["release", "withdraw", str(sub.id), "--reason", "x", "--as", "sabine"])
    assert res.exit_code == 2 and state(fresh, sub.id) == "published"
    res = runner.invoke(["release", "withdraw", str(sub.id), "--reason", "Falscher Stichtag", "--as", "dora"])
    assert res.exit_code == 0, res.output
    assert state(fresh, sub.id) == "withdrawn"
    d = fresh().session.execute(select(Decision).where(Decision.submission_id == sub.id,
                                                       Decision.action == "withdraw_release")).scalar_one()
    assert d.comment == "Falscher Stichtag"


def test_stop_is_refused_once_published_and_withdraw_before(app, make_submission, ctx, users, fresh):
    import pytest

    from publisher.services.errors import WrongState

    approved = make_submission("approved")
    with pytest.raises(WrongState):
        withdrawal.withdraw_release(ctx, users["approver"], approved.id, "zu früh")
    assert state(fresh, approved.id) == "approved"
