"""Issue 14 item 6: sessions and credentials, through the web UI and the API as users do it."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from publisher.db import utcnow
from publisher.manifest import current_sha
from publisher.models import ApiToken, Decision, Submission
from publisher.models_trust import WebSession
from publisher.services import accounts, review

from tests.conftest import TEST_PASSWORD
from tests.trust.conftest import csrf_from

NEW_PASSWORD = "ganz-neues-pferd-batterie-77"


def login(app, name, password=TEST_PASSWORD, **environ):
    cl = app.test_client()
    token = csrf_from(cl.get("/login").data)
    r = cl.post("/login", data={"username": name, "password": password, "csrf_token": token},
                environ_base=environ or {})
    return cl, r


def logged_in(cl) -> bool:
    r = cl.get("/dashboard")
    return r.status_code == 200


def api_ok(app, token) -> bool:
    return app.test_client().get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def post_form(cl, page, action, data=None):
    form = dict(data or {})
    form["csrf_token"] = csrf_from(cl.get(page).data)
    return cl.post(action, data=form)


def test_a_copied_session_cookie_is_dead_after_logout(app, users):
    a, r = login(app, "sabine")
    assert r.status_code == 303
    cookie = a.get_cookie("freigabe_session")
    b = app.test_client()
    b.set_cookie("freigabe_session", cookie.value)
    assert logged_in(b)  # the copy works while the session lives ...
    post_form(a, "/releases", "/logout")
    assert not logged_in(a) and not logged_in(b)  # ... and not after logout
    r = b.get("/dashboard")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_idle_timeout_and_absolute_lifetime(app, users, fresh):
    cl, _ = login(app, "sabine")
    assert logged_in(cl)
    c = fresh()
    c.session.execute(update(WebSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
    c.session.commit()
    assert not logged_in(cl)  # idle for more than 30 minutes
    cl, _ = login(app, "sabine")
    c = fresh()
    c.session.execute(update(WebSession).where(WebSession.ended_at.is_(None))
                      .values(created_at=utcnow() - dt.timedelta(hours=8, minutes=1), last_seen_at=utcnow()))
    c.session.commit()
    assert not logged_in(cl)  # older than 8 hours, although active
    reasons = {r.end_reason for r in fresh().session.execute(select(WebSession)).scalars()}
    assert {"idle", "max_age"} <= reasons
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=8)  # the cookie too, not 31 days


def test_password_change_ends_every_session_and_token(app, ctx, users):
    _, token = accounts.create_token(ctx, None, "sabine")
    a, _ = login(app, "sabine")
    b, _ = login(app, "sabine")
    assert logged_in(b) and api_ok(app, token)
    r = post_form(a, "/account/password", "/account/password",
                  {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 303
    assert logged_in(a)  # the session that changed it starts afresh
    assert not logged_in(b) and not api_ok(app, token)
    # a wrong current password changes nothing
    r = post_form(a, "/account/password", "/account/password",
                  {"current_password": "falsch-falsch-falsch", "new_password": "noch-ein-pferd-batterie-1"})
    assert r.status_code == 422 and logged_in(a)


def test_deactivation_ends_sessions_and_tokens_and_voids_a_pending_approval(app, ctx, fresh, users, make_submission):
    ctx.settings["TWO_APPROVALS"] = True
    app.config["TWO_APPROVALS"] = True
    sub = make_submission("submitted")
    review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))  # dora's first approval
    _, token = accounts.create_token(ctx, None, "dora")
    dora, _ = login(app, "dora")
    admin, _ = login(app, "adele")
    r = post_form(admin, "/admin/users", f"/admin/users/{users['approver'].id}/active", {"active": "0"})
    assert r.status_code == 303
    assert not logged_in(dora) and not api_ok(app, token)
    c = fresh()
    (first,) = c.session.execute(select(Decision).where(Decision.action == "approve_first")).scalars()
    assert first.invalidated_at is not None
    # the second approver's approval is now only a first one: nothing is approved, nothing queued
    review.approve(ctx, users["approver2"], sub.id, current_sha(ctx, sub))
    assert fresh().session.get(Submission, sub.id).state == "submitted"


def test_tokens_are_listed_and_revoked_in_the_web_ui_and_the_cli(app, ctx, users, runner, fresh):
    tok, plain = accounts.create_token(ctx, None, "sabine", "wochenexport")
    other, other_plain = accounts.create_token(ctx, None, "otto", "ottos")
    cl, _ = login(app, "sabine")
    page = cl.get("/account").get_data(as_text=True)
    assert "wochenexport" in page and tok.prefix in page and other.prefix not in page
    # someone else's token: 404, untouched
    assert post_form(cl, "/account", f"/account/tokens/{other.id}/revoke").status_code == 404
    assert api_ok(app, other_plain)
    assert post_form(cl, "/account", f"/account/tokens/{tok.id}/revoke").status_code == 303
    assert not api_ok(app, plain)
    res = runner.invoke(["token", "list", "otto"])
    assert res.exit_code == 0 and other.prefix in res.output and "valid" in res.output
    res = runner.invoke(["token", "revoke", str(other.id)])
    assert res.exit_code == 0 and not api_ok(app, other_plain)
    assert "revoked" in runner.invoke(["token", "list", "otto"]).output


def test_admin_reset_forces_a_password_change(app, ctx, users, fresh):
    _, token = accounts.create_token(ctx, None, "sabine")
    old, _ = login(app, "sabine")
    admin, _ = login(app, "adele")
    r = post_form(admin, "/admin/users", f"/admin/users/{users['submitter'].id}/reset-password")
    assert r.status_code == 200
    one_time = re.search(r"Anmeldung geändert werden\): (\S+)</p>", r.get_data(as_text=True)).group(1)
    assert not logged_in(old) and not api_ok(app, token)
    cl, r = login(app, "sabine", one_time)
    assert r.status_code == 303
    r = cl.get("/dashboard")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    assert post_form(cl, "/account/password", "/submissions/new", {}).status_code == 403
    r = post_form(cl, "/account/password", "/account/password",
                  {"current_password": one_time, "new_password": NEW_PASSWORD})
    assert r.status_code == 303 and logged_in(cl)
    assert fresh().session.get(type(users["submitter"]), users["submitter"].id).must_change_password is False


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "https://evil.example/x",
                                    "/%0A/evil.example", "%0Ahttp://evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1"])
def test_login_next_never_leaves_the_site_and_never_fails(app, users, target):
    cl = app.test_client()
    token = csrf_from(cl.get(f"/login?next={target}").data)
    r = cl.post(f"/login?next={target}", data={"username": "sabine", "password": TEST_PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.status_code
    loc = r.headers["Location"]
    assert loc.endswith("/dashboard") and "evil" not in loc and "\n" not in loc


def test_login_next_to_a_local_page_is_kept(app, users):
    cl = app.test_client()
    token = csrf_from(cl.get("/login").data)
    r = cl.post("/login?next=/releases?q=Wohnen", data={"username": "sabine", "password": TEST_PASSWORD,
                                                        "csrf_token": token})
    assert r.headers["Location"].endswith("/releases?q=Wohnen")


def test_five_failed_logins_do_not_lock_out_the_dpo_nor_tell_which_accounts_exist(app, users):
    stranger = app.test_client()
    token = csrf_from(stranger.get("/login").data)
    answers = {}
    for name in ("dora", "gibtesnicht"):
        got = []
        for _ in range(6):
            r = stranger.post("/login", data={"username": name, "password": "falsch-falsch-falsch",
                                              "csrf_token": token}, environ_base={"REMOTE_ADDR": "192.0.2.50"})
            got.append((r.status_code, re.sub(r"\d+ Sekunden", "N Sekunden", re.search(
                r'<div class="error-summary".*?</div>', r.get_data(as_text=True), re.S).group(0)
                if 'class="error-summary"' in r.get_data(as_text=True) else str(r.status_code))))
        answers[name] = got
    assert answers["dora"] == answers["gibtesnicht"]  # an existing and an unknown account look the same
    dpo, r = login(app, "dora", environ={"REMOTE_ADDR": "192.0.2.51"})
    assert r.status_code == 303 and logged_in(dpo)
