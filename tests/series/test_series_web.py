"""Issue 8 in the web UI and the API: embargo on approval, the public calendar, standing approval buttons,
notifications on the DPO's dashboard."""
from __future__ import annotations

import datetime as dt
import re

from publisher.manifest import current_sha
from publisher import worker
from publisher.db import utcnow
from publisher.models import Submission
from publisher.services import review, series
from publisher.web.series_views import LOCAL_TZ
from publisher.workflow import State

from tests.series.test_series_services import period  # noqa: F401  (fixture)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return CSRF.search(page.get_data(as_text=True)).group(1)


def test_approve_with_an_embargo_in_the_web_form_lists_it_in_the_calendar_only(
        app, client, auth, ctx, users, period):  # noqa: F811
    sub = review.submit(ctx, users["submitter"], period("2026-07").id)
    auth.login("dora")
    page = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert 'name="embargo_until"' in page and 'type="datetime-local"' in page
    local = (utcnow() + dt.timedelta(days=2)).astimezone(LOCAL_TZ).replace(second=0, microsecond=0, tzinfo=None)
    resp = client.post(f"/review/{sub.id}/approve", data={
        "csrf_token": _csrf(client, f"/review/{sub.id}"), "artifact_sha256": sub.current_version.artifact_sha256,
        "manifest_sha256": re.search(r'name="manifest_sha256" value="([0-9a-f]{64})"', page).group(1),
        "embargo_until": local.strftime("%Y-%m-%dT%H:%M")})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    ctx.session.expire_all()  # the request ran in its own session
    (entry,) = series.upcoming_releases(ctx)
    # the office's local time (Europe/Berlin) is what the DPO typed
    assert entry["embargo_until"] == local.replace(tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
    auth.logout()
    cal = client.get("/calendar").get_data(as_text=True)
    assert "Geflüchtete nach Aufenthaltsstatus" in cal and local.strftime("%d.%m.%Y, %H:%M Uhr") in cal
    assert worker.run(app, once=True) == 0  # nothing is due before the embargo
    assert f"/releases/{sub.id}" not in client.get("/releases").get_data(as_text=True)


def test_api_approve_refuses_an_embargo_in_the_past_and_changes_nothing(app, ctx, users, period):  # noqa: F811
    from publisher.services import accounts

    sub = review.submit(ctx, users["submitter"], period("2026-07").id)
    _, token = accounts.create_token(ctx, None, "dora")
    past = (utcnow() - dt.timedelta(hours=1)).isoformat()
    resp = app.test_client().post(f"/api/v1/submissions/{sub.id}/approve",
                                  headers={"Authorization": f"Bearer {token}"},
                                  json={"manifest_sha256": current_sha(ctx, sub), "embargo_until": past})
    assert resp.status_code == 422 and resp.json["error"]
    ctx.session.expire_all()
    assert ctx.session.get(Submission, sub.id).state == State.SUBMITTED.value


def test_dpo_grants_and_revokes_a_standing_approval_on_the_review_page(app, client, auth, ctx, users,
                                                                       period):  # noqa: F811
    from tests.series.test_series_services import publish

    jul = publish(ctx, users, period("2026-07"))
    auth.login("dora")
    page = client.get(f"/review/{jul.id}").get_data(as_text=True)
    assert "Reihe dauerhaft freigeben" in page
    resp = client.post(f"/series/{jul.series_id}/standing-approval",
                       data={"csrf_token": _csrf(client, f"/review/{jul.id}"), "submission_id": jul.id})
    assert resp.status_code in (302, 303)
    ctx.session.expire_all()
    assert series.active_standing_approval(ctx, jul.series_id) is not None
    # the next clean period is released without a human; the DPO sees it on the dashboard
    aug = review.submit(ctx, users["submitter"], period("2026-08", add=3).id)
    ctx.session.expire_all()
    assert ctx.session.get(Submission, aug.id).state in (State.APPROVED.value, State.PUBLISHING.value,
                                                         State.PUBLISHED.value)
    dash = client.get("/dashboard").get_data(as_text=True)
    assert "Benachrichtigungen" in dash and f"/review/{aug.id}" in dash
    page = client.get(f"/review/{jul.id}").get_data(as_text=True)
    assert "Daueranfreigabe aufheben" in page
    resp = client.post(f"/series/{jul.series_id}/standing-approval/revoke",
                       data={"csrf_token": _csrf(client, f"/review/{jul.id}"), "submission_id": jul.id})
    assert resp.status_code in (302, 303)
    ctx.session.expire_all()
    assert series.active_standing_approval(ctx, jul.series_id) is None


def test_submitter_cannot_grant_a_standing_approval(app, client, auth, ctx, users, period):  # noqa: F811
    from tests.series.test_series_services import publish

    jul = publish(ctx, users, period("2026-07"))
    auth.login("sabine")
    token = _csrf(client, f"/submissions/{jul.id}")
    resp = client.post(f"/series/{jul.series_id}/standing-approval",
                       data={"csrf_token": token, "submission_id": jul.id})
    assert resp.status_code == 403
    assert series.active_standing_approval(ctx, jul.series_id) is None
