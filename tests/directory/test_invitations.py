"""Invited external readers (issue 18 item 2): invitation by mail (real SMTP), single-use expiring link,
account expiry with reminder, audit; through the services and the web UI."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from publisher import mailer, worker
from publisher.db import utcnow
from publisher.models import AuditEvent, User
from publisher.models_directory import MailMessage
from publisher.services import Ctx, accounts, errors as E, invitations
from tests.conftest import TEST_PASSWORD

NEW_PW = "Einladung-Angenommen-2026"


@pytest.fixture
def app_config(app_config, mail_settings):
    return {**app_config, **mail_settings, "MAIL_DAILY_HOUR": 0}


def _link(smtp_server, address) -> str:
    (m,) = [m for m in smtp_server.to(address) if "Einladung" in m.subject]
    found = re.search(r"https://freigabe\.stadt\.example(/invitation/[A-Za-z0-9_-]+)", m.body)
    assert found, m.body
    return found.group(1)


def _csrf(client, url) -> str:
    page = client.get(url)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_invitation_by_mail_single_use_link_account_in_the_group(app, client, ctx, fresh, users, smtp_server):
    in_30 = (utcnow() + dt.timedelta(days=30)).date()
    inv, _ = invitations.invite(ctx, users["admin"], "Erika.Extern@Wohlfahrt.example", "sozialplanung", in_30)
    assert mailer.run_until_idle(app) == 1
    (m,) = smtp_server.messages
    assert m.rcpt_tos == ["erika.extern@wohlfahrt.example"]
    assert m.subject == "[Freigabe] Einladung in den Download-Bereich „sozialplanung“"
    assert "adele lädt Sie" in m.body and "einmal nutzbar" in m.body and in_30.strftime("%d.%m.%Y") in m.body
    path = _link(smtp_server, "erika.extern@wohlfahrt.example")
    # the link is in the database neither as sent mail nor as invitation (sha256 only)
    c = fresh()
    token = path.rsplit("/", 1)[1]
    assert token not in str([(x.body, x.subject) for x in c.session.execute(select(MailMessage)).scalars()])
    assert c.session.get(type(inv), inv.id).token_hash != token
    # accept in the browser's place: form, then the account exists, logged in, reader of the group only
    page = client.get(path)
    assert page.status_code == 200 and "sozialplanung" in page.get_data(as_text=True)
    r = client.post(path, data={"csrf_token": _csrf(client, path), "username": "erika", "password": NEW_PW,
                                "display_name": "Erika Extern"})
    assert r.status_code == 303
    u = fresh().session.execute(select(User).where(User.username == "erika")).scalar_one()
    assert (u.role, u.group_names, u.email) == ("reader", {"sozialplanung"}, "erika.extern@wohlfahrt.example")
    assert u.expires_at.astimezone(dt.timezone.utc).date() in (in_30, in_30 - dt.timedelta(days=1))
    assert client.get("/downloads").status_code == 200
    # single use: the same link again is 410 and audited as refused
    other = app.test_client()
    assert other.get(path).status_code == 410
    assert "bereits verwendet" in other.get(path).get_data(as_text=True)
    events = [e.event for e in fresh().session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert events.count("invitation.created") == 1 and events.count("invitation.accepted") == 1
    assert "invitation.refused" in events


def test_link_expires_and_only_admins_and_group_owners_invite(app, ctx, fresh, users, monkeypatch):
    soon = (utcnow() + dt.timedelta(days=10)).date()
    for who in ("submitter", "approver", "reader"):
        with pytest.raises(E.Forbidden):
            invitations.invite(fresh(), users[who], "x@example.org", "sozialplanung", soon)
    invitations.add_owner(ctx, users["admin"], "sozialplanung", "rita")
    inv, path = invitations.invite(fresh(), accounts.get_user(ctx, users["reader"].id), "y@example.org",
                                   "sozialplanung", soon)
    with pytest.raises(E.Forbidden):  # an owner of one group cannot invite into another
        invitations.invite(fresh(), accounts.get_user(ctx, users["reader"].id), "z@example.org", "andere", soon)
    for bad in ("kein-datum", (utcnow() - dt.timedelta(days=1)).date(), (utcnow() + dt.timedelta(days=400)).date()):
        with pytest.raises(E.InvalidInput):
            invitations.invite(fresh(), users["admin"], "z@example.org", "sozialplanung", bad)
    with pytest.raises(E.InvalidInput):
        invitations.invite(fresh(), users["admin"], "keine-adresse", "sozialplanung", soon)
    token = path.rsplit("/", 1)[1]
    later = utcnow() + dt.timedelta(days=15)  # INVITATION_DAYS = 14
    monkeypatch.setattr(Ctx, "now", lambda self: later)
    with pytest.raises(invitations.Gone) as exc:
        invitations.accept(fresh(), token, username="spaet", password=NEW_PW)
    assert exc.value.http_status == 410 and "abgelaufen" in exc.value.message("de")
    assert fresh().session.execute(select(User).where(User.username == "spaet")).first() is None


def test_account_expiry_reminder_then_refused_everywhere(app, client, auth, ctx, fresh, users, smtp_server,
                                                        monkeypatch):
    in_20 = (utcnow() + dt.timedelta(days=20)).date()
    _, path = invitations.invite(ctx, users["admin"], "ext@verein.example", "sozialplanung", in_20)
    u = invitations.accept(fresh(), path.rsplit("/", 1)[1], username="extern1", password=NEW_PW)
    tok = accounts.create_token(fresh(), None, "extern1")[1]
    assert auth.login("extern1", NEW_PW).status_code == 303
    smtp_server.clear()
    # 10 days before the end (ACCOUNT_REMIND_DAYS = 14): reader and inviter are reminded, once
    day10 = utcnow() + dt.timedelta(days=10)
    monkeypatch.setattr(Ctx, "now", lambda self: day10)
    assert invitations.sweep(fresh()) == 1
    assert invitations.sweep(fresh()) == 0
    mailer.run_until_idle(app)
    (r1,) = [m for m in smtp_server.to("ext@verein.example") if "Zugang" in m.subject]
    assert r1.subject.startswith("[Freigabe] Ihr Zugang läuft am") and "adele" in r1.body
    # after the end: the session ends, the login and the API token are refused, the sweep deactivates (audited)
    day21 = utcnow() + dt.timedelta(days=21, hours=1)
    monkeypatch.setattr(Ctx, "now", lambda self: day21)
    assert client.get("/dashboard").status_code == 302  # back to the login page
    with pytest.raises(E.AuthenticationFailed):
        accounts.authenticate(fresh(), "extern1", NEW_PW)
    with pytest.raises(E.AuthenticationFailed):
        accounts.user_for_token(fresh(), tok)
    assert invitations.sweep(fresh()) == 1
    c = fresh()
    assert c.session.get(User, u.id).active is False
    ev = c.session.execute(select(AuditEvent).where(AuditEvent.event == "account.expired")).scalar_one()
    assert ev.details_dict["username"] == "extern1"
    # the inviter extends it: usable again, audited
    invitations.set_expiry(fresh(), users["admin"], u.id, (day21 + dt.timedelta(days=30)).date())
    assert accounts.authenticate(fresh(), "extern1", NEW_PW).id == u.id


def test_inviter_reminder_goes_to_the_inviter(app, ctx, fresh, users, smtp_server, monkeypatch):
    users["admin"].email = "adele@stadt.example"
    ctx.session.commit()
    _, path = invitations.invite(ctx, users["admin"], "e2@verein.example", "sozialplanung",
                                 (utcnow() + dt.timedelta(days=20)).date())
    invitations.accept(fresh(), path.rsplit("/", 1)[1], username="extern2", password=NEW_PW)
    monkeypatch.setattr(Ctx, "now", lambda self: utcnow() + dt.timedelta(days=10))
    smtp_server.clear()
    invitations.sweep(fresh())
    mailer.run_until_idle(app)
    (m,) = smtp_server.to("adele@stadt.example")
    assert m.subject.startswith("[Freigabe] Zugang von extern2 läuft am")
    assert "e2@verein.example" in m.body and "https://freigabe.stadt.example/invitations" in m.body


def test_invitation_page_for_admin_and_owner_only(app, client, auth, users, ctx):
    auth.login("sabine")
    assert client.get("/invitations").status_code == 403
    client2 = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client2, app).login("adele")
    page = client2.get("/invitations")
    assert page.status_code == 200 and "Externe Lesende einladen" in page.get_data(as_text=True)
    r = client2.post("/invitations", data={"csrf_token": _csrf(client2, "/invitations"), "email": "neu@example.org",
                                           "group": "sozialplanung",
                                           "account_expires": (utcnow() + dt.timedelta(days=5)).date().isoformat()})
    assert r.status_code == 303
    assert TEST_PASSWORD
