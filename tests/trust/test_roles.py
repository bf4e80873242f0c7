"""Issue 14 item 7: separation of duties - approver and admin roles need a second person; an admin never
approves; role changes are audited and notified."""
from __future__ import annotations

import re

from sqlalchemy import select

from publisher.manifest import current_sha
from publisher.models import AuditEvent, Submission, User
from publisher.models_ledger import Notification
from publisher.models_trust import RoleGrant
from publisher.services import accounts

from tests.conftest import TEST_PASSWORD
from tests.trust.conftest import csrf_from


def login(app, name, password=TEST_PASSWORD):
    cl = app.test_client()
    r = cl.post("/login", data={"username": name, "password": password,
                                "csrf_token": csrf_from(cl.get("/login").data)})
    assert r.status_code == 303, (name, r.status_code)
    return cl


def post(cl, page, action, data=None):
    return cl.post(action, data={**(data or {}), "csrf_token": csrf_from(cl.get(page).data)})


def user(fresh, name) -> User:
    return fresh().session.execute(select(User).where(User.username == name)).scalar_one()


def test_one_admin_cannot_create_an_approver_and_publish_alone(app, fresh, users, make_submission, ctx):
    admin = login(app, "adele")
    r = post(admin, "/admin/users", "/admin/users", {"username": "komplize", "role": "approver",
                                                     "password": "komplizen-pferd-batterie-9"})
    assert r.status_code in (201, 303), r.status_code
    assert user(fresh, "komplize").role == "reader"  # not an approver yet
    sub = make_submission("submitted")
    # the new account tries to approve (web and API with a token the admin made for it): refused, unchanged
    _, token = accounts.create_token(ctx, None, "komplize")
    r = app.test_client().post(f"/api/v1/submissions/{sub.id}/approve", headers={"Authorization": f"Bearer {token}"},
                               json={"manifest_sha256": current_sha(ctx, sub)})
    assert r.status_code == 403
    kompl = login(app, "komplize", "komplizen-pferd-batterie-9")
    assert kompl.get(f"/review/{sub.id}").status_code == 403
    # the admin cannot confirm what she requested, nor can the account itself
    grant = fresh().session.execute(select(RoleGrant)).scalar_one()
    assert post(admin, "/dashboard", f"/role-grants/{grant.id}/confirm").status_code == 403
    assert post(kompl, "/releases", f"/role-grants/{grant.id}/confirm").status_code == 403  # a reader
    assert user(fresh, "komplize").role == "reader"
    # an admin herself never approves
    r = app.test_client().post(f"/api/v1/submissions/{sub.id}/approve",
                               headers={"Authorization": f"Bearer {accounts.create_token(ctx, None, 'adele')[1]}"},
                               json={"manifest_sha256": current_sha(ctx, sub)})
    assert r.status_code == 403
    assert fresh().session.get(Submission, sub.id).state == "submitted"


def test_a_second_person_confirms_audited_and_notified(app, fresh, users):
    admin = login(app, "adele")
    r = post(admin, "/admin/users", f"/admin/users/{users['submitter'].id}/role", {"role": "admin"})
    assert r.status_code == 303 and user(fresh, "sabine").role == "submitter"
    dpo = login(app, "dora")
    page = dpo.get("/dashboard").get_data(as_text=True)
    assert "Rollenvergaben zur Bestätigung" in page and "sabine" in page
    grant = fresh().session.execute(select(RoleGrant)).scalar_one()
    assert post(dpo, "/dashboard", f"/role-grants/{grant.id}/confirm").status_code == 303
    assert user(fresh, "sabine").role == "admin"
    c = fresh()
    events = {e.event: e for e in c.session.execute(select(AuditEvent)).scalars()}
    assert "user.role_requested" in events and events["user.role_changed"].actor_name == "dora"
    kinds = [n.kind for n in c.session.execute(select(Notification)).scalars()]
    assert "role_requested" in kinds and "role_changed" in kinds
    notes = [n for n in c.session.execute(select(Notification).where(Notification.user_id == users["submitter"].id))
             .scalars()]
    assert {n.kind for n in notes} == {"role_requested", "role_changed"}
    # a lesser role takes effect at once (audited)
    assert post(admin, "/admin/users", f"/admin/users/{users['other_submitter'].id}/role",
                {"role": "reader"}).status_code == 303
    assert user(fresh, "otto").role == "reader"


def test_cli_operator_still_creates_the_first_accounts_directly(runner, fresh):
    res = runner.invoke(["user", "create", "erste-dsb", "--role", "approver"])
    assert res.exit_code == 0 and user(fresh, "erste-dsb").role == "approver"
    assert re.search(r"\S", res.output)
