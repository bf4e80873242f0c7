"""An administrator cannot sign on as an approver (the known gap of issue 14, closed).

Resetting the password of an approver or admin account by another person never shows the one-time password:
it goes by mail (real SMTP server, STARTTLS+AUTH) to the account's own address and is scrubbed from the outbox
once sent.  Without an address the reset is refused with 403 and nothing changes; the operator's CLI may still
reset.  An ordinary account's reset is shown once, as before.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from publisher import mailer
from publisher.models import AuditEvent, User
from publisher.models_directory import MailMessage
from publisher.models_trust import WebSession
from publisher.services import accounts
from tests.trust.test_sessions import NEW_PASSWORD, logged_in, login, post_form


@pytest.fixture
def app_config(app_config, mail_settings):
    return {**app_config, **mail_settings}


def _setup(ctx, users, *, with_mail=True):
    if with_mail:
        for u in users.values():
            u.email = f"{u.username}@stadt.example"
    ctx.session.commit()


def _hash(fresh, user) -> str:
    return fresh().session.get(User, user.id).password_hash


def test_reset_of_an_approver_is_mailed_to_the_approver_never_shown(app, ctx, users, fresh, smtp_server):
    _setup(ctx, users)
    dora_session, _ = login(app, "dora")
    admin, _ = login(app, "adele")
    before = _hash(fresh, users["approver"])
    r = post_form(admin, "/admin/users", f"/admin/users/{users['approver'].id}/reset-password")
    assert r.status_code == 303
    page = admin.get(r.headers["Location"]).get_data(as_text=True)
    assert "Einmal-Passwort ist an die E-Mail-Adresse" in page
    assert _hash(fresh, users["approver"]) != before and not logged_in(dora_session)
    assert mailer.run_until_idle(app) >= 1
    mails = smtp_server.to("dora@stadt.example")
    assert len(mails) == 1 and not smtp_server.to("adele@stadt.example")
    one_time = re.search(r"Einmal-Passwort:\s+(\S+)", mails[0].body).group(1)
    assert one_time not in page
    row = fresh().session.execute(select(MailMessage).where(MailMessage.kind == "account.password_reset")).scalar_one()
    assert row.state == "sent" and one_time not in row.body  # scrubbed once sent
    ev = fresh().session.execute(select(AuditEvent).where(AuditEvent.event == "user.password_reset")).scalars().all()
    assert json.loads(ev[-1].details)["delivery"] == "mail"
    cl, r = login(app, "dora", one_time)
    assert r.status_code == 303
    assert cl.get("/dashboard").headers["Location"].endswith("/account/password")
    r = post_form(cl, "/account/password", "/account/password",
                  {"current_password": one_time, "new_password": NEW_PASSWORD})
    assert r.status_code == 303 and logged_in(cl)


def test_reset_of_an_approver_without_address_is_refused_and_changes_nothing(app, ctx, users, fresh, smtp_server):
    _setup(ctx, users, with_mail=False)
    dora_session, _ = login(app, "dora")
    admin, _ = login(app, "adele")
    before = _hash(fresh, users["approver"])
    sessions = fresh().session.execute(select(WebSession).where(WebSession.user_id == users["approver"].id)
                                       ).scalars().all()
    r = post_form(admin, "/admin/users", f"/admin/users/{users['approver'].id}/reset-password")
    assert r.status_code == 403
    assert "nur per E-Mail" in r.get_data(as_text=True)
    assert _hash(fresh, users["approver"]) == before and logged_in(dora_session) and sessions
    assert not fresh().session.execute(select(MailMessage)).scalars().all()
    # nor can the admin set it directly through the service
    from publisher.services.errors import Forbidden
    with pytest.raises(Forbidden):
        accounts.set_password(fresh(), users["admin"], users["approver"].id, NEW_PASSWORD)
    assert _hash(fresh, users["approver"]) == before


def test_operator_cli_may_reset_an_approver_and_ordinary_accounts_are_shown_once(app, ctx, users, fresh,
                                                                               smtp_server, runner):
    _setup(ctx, users, with_mail=False)
    res = runner.invoke(["user", "reset-password", "dora", "--as", "adele"])
    assert res.exit_code == 0, res.output
    one_time = res.output.strip().rsplit(" ", 1)[-1]
    _, r = login(app, "dora", one_time)
    assert r.status_code == 303
    admin, _ = login(app, "adele")
    r = post_form(admin, "/admin/users", f"/admin/users/{users['submitter'].id}/reset-password")
    assert r.status_code == 200 and "Anmeldung geändert werden" in r.get_data(as_text=True)
