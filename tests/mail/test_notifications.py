"""E-mail notifications over a real SMTP server (issue 18 item 3).

aiosmtpd on 127.0.0.1 requires STARTTLS (certificate of the test CA) and AUTH; the worker sends the outbox
(:func:`publisher.mailer.run_until_idle` / the worker loop's hook).  Each event of the issue is driven through
the real services and the mail is read back from the server: recipients, subject, body with the link, and no
value, area code or raw-table content of the table.
"""
from __future__ import annotations

from publisher.manifest import current_sha  # noqa: E402

import datetime as dt

import pytest
from sqlalchemy import select

from publisher import mailer, worker
from publisher.db import utcnow
from publisher.demo import counts_long, german_csv
from publisher.models import AuditEvent, Submission
from publisher.models_directory import MailMessage
from publisher.services import Ctx, intake, mailbox, notify, reference, review, series

MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
           "layout": "long"}
HEADER = ["baublock", "monat", "aufenthaltsstatus", "anzahl", "bemerkung"]
SENTINEL = "ROHWERT-SENTINEL-71x"
APP = "https://freigabe.stadt.example"


@pytest.fixture
def app_config(app_config, mail_settings):
    return {**app_config, **mail_settings, "MAIL_DAILY_HOUR": 0, "MAIL_REMINDER_DAYS": 3}


@pytest.fixture
def people(ctx, users):
    """The standard cast with e-mail addresses (name@stadt.example)."""
    for u in users.values():
        u.email = f"{u.username}@stadt.example"
    ctx.session.commit()
    return users


@pytest.fixture
def period(ctx, people, hierarchy, city):
    """A draft of the monthly series (publishable at block level), with a raw-only sentinel column."""
    reference.ensure_default_rule_set(ctx)
    base = counts_long(city, ["2026-07"], seed=3, small_cells=False)

    def make(month: str, *, add: int = 0, submitter=None, **meta):
        rows = [(b, month, s, n + (add if n else 0), SENTINEL) for b, _, s, n in base]
        m = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": month, "description": "Test",
             "keywords": ["Test"], "source": "Statistikstelle", "contact": "x@example.org", **meta}
        return intake.create_draft(ctx, submitter or people["submitter"], data=german_csv(HEADER, rows),
                                   filename=f"g-{month}.csv", metadata=m, mapping=MAPPING,
                                   series="gefluechtete-monatlich", hierarchy=hierarchy.id)
    return make


def _secrets_of(city, sub) -> set[str]:
    """What must never be in a mail: the raw sentinel, every area code and every count >= 10 of the table."""
    rows = counts_long(city, ["2026-07"], seed=3, small_cells=False)
    return {SENTINEL} | {str(b) for b, *_ in rows} | {sub.current_version.artifact_sha256}


def _check_clean(received, secrets):
    for m in received:
        text = m.subject + "\n" + m.body
        leaked = [s for s in secrets if s in text]
        assert leaked == [], (m.subject, leaked[:5])
        assert m.tls and m.authenticated


def _send(app) -> int:
    return mailer.run_until_idle(app)


def test_submission_waits_approvers_are_told_and_the_submitter_hears_every_decision(app, ctx, people, period,
                                                                                      smtp_server, city):
    sub = review.submit(ctx, people["submitter"], period("2026-07").id)
    assert _send(app) == 2
    dora, dieter = smtp_server.to("dora@stadt.example"), smtp_server.to("dieter@stadt.example")
    assert len(dora) == len(dieter) == 1 and not smtp_server.to("sabine@stadt.example")
    m = dora[0]
    assert m.rcpt_tos == ["dora@stadt.example"] and m.mail_from == "freigabe@stadt.example"
    assert m.subject == "[Freigabe] Prüfung wartet: Geflüchtete nach Aufenthaltsstatus (2026-07)"
    assert m.body.startswith("Guten Tag dora,")
    assert f"Nr. {sub.id}" in m.body and f"{APP}/review/{sub.id}" in m.body
    assert f"{APP}/account/notifications" in m.body
    assert m.message["Auto-Submitted"] == "auto-generated"
    # return, resubmit (waits again), reject on a second one, approve + publish a third
    review.return_submission(ctx, people["approver"], sub.id, "Zelle 0010101 prüfen: 3 Personen")
    review.resubmit(ctx, people["submitter"], sub.id)
    review.reject(ctx, people["approver"], sub.id, "Nicht veröffentlichen")
    third = review.submit(ctx, people["submitter"], period("2026-08", add=5).id)
    review.approve(ctx, people["approver"], third.id, current_sha(ctx, third))
    smtp_server.clear()
    assert worker.run(app, once=True) >= 1  # publication + the mails (the worker's mail hook)
    _send(app)
    sabine = smtp_server.to("sabine@stadt.example")
    subjects = sorted(x.subject for x in sabine)
    assert subjects == sorted([
        "[Freigabe] Zur Überarbeitung zurückgegeben: Geflüchtete nach Aufenthaltsstatus (2026-07)",
        "[Freigabe] Abgelehnt: Geflüchtete nach Aufenthaltsstatus (2026-07)",
        "[Freigabe] Freigegeben: Geflüchtete nach Aufenthaltsstatus (2026-08)",
        "[Freigabe] Veröffentlicht: Geflüchtete nach Aufenthaltsstatus (2026-08)"])
    returned = next(x for x in sabine if "zurückgegeben" in x.subject)
    assert "von dora zur Überarbeitung zurückgegeben" in returned.body and f"{APP}/submissions/{sub.id}" in returned.body
    assert "0010101" not in returned.body and "3 Personen" not in returned.body  # the comment stays in Freigabe
    # the resubmission and the third submission waited too, but were decided before the sender ran: their
    # "waiting" mails are dropped, not sent
    dropped = ctx.session.execute(select(MailMessage).where(MailMessage.state == "dropped")).scalars().all()
    assert {m.kind for m in dropped} == {"submission.waiting"}
    assert {m.submission_id for m in dropped} == {sub.id, third.id} and len(dropped) == 4
    _check_clean(smtp_server.messages, _secrets_of(city, third))
    events = [e.event for e in ctx.session.execute(select(AuditEvent)).scalars()]
    assert "mail.sent" in events and "mail.dropped" in events


def test_failed_publication_mails_submitter_and_approvers_even_when_they_turned_mail_off(
        app, ctx, people, period, smtp_server, city, tmp_path):
    notify.set_preference(ctx, people["submitter"], "off")
    notify.set_preference(ctx, people["approver"], "off")
    sub = review.submit(ctx, people["submitter"], period("2026-07").id)
    sub = review.approve(ctx, people["approver"], sub.id, current_sha(ctx, sub))
    # the approved artifact is damaged in storage: the worker refuses for good (publication.alert) -> failed
    path = ctx.store.path(sub.current_version.artifact_sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"0\n")
    smtp_server.clear()
    worker.run(app, once=True)
    _send(app)
    ctx.session.expire_all()
    assert ctx.session.get(Submission, sub.id).state == "approved"
    got = {tuple(m.rcpt_tos): m for m in smtp_server.messages}
    assert set(got) == {("sabine@stadt.example",), ("dora@stadt.example",), ("dieter@stadt.example",)}
    for m in got.values():
        assert m.subject == "[Freigabe] FEHLER bei der Veröffentlichung: Geflüchtete nach Aufenthaltsstatus (2026-07)"
        assert "fehlgeschlagen" in m.body
    assert f"{APP}/submissions/{sub.id}" in got[("sabine@stadt.example",)].body
    assert f"{APP}/review/{sub.id}" in got[("dora@stadt.example",)].body
    _check_clean(smtp_server.messages, _secrets_of(city, sub))


def test_standing_approval_release_and_embargo_end_are_told_to_the_dpo(app, ctx, people, period, smtp_server,
                                                                       monkeypatch, city):
    jul = review.submit(ctx, people["submitter"], period("2026-07").id)
    jul = review.approve(ctx, people["approver"], jul.id, current_sha(ctx, jul))
    worker.run(app, once=True)
    series.grant_standing_approval(ctx, people["approver"], jul.series_id, jul.id, "monatlich")
    smtp_server.clear()
    aug = review.submit(ctx, people["submitter"], period("2026-08", add=5).id)
    assert aug.state == "approved"
    _send(app)
    dora = [m for m in smtp_server.to("dora@stadt.example") if "Daueranfreigabe" in m.subject]
    assert len(dora) == 1 and not [m for m in smtp_server.to("dieter@stadt.example") if "Dauer" in m.subject]
    assert dora[0].subject == ("[Freigabe] Automatisch freigegeben (Daueranfreigabe): Geflüchtete nach "
                               "Aufenthaltsstatus (2026-08)")
    assert f"{APP}/review/{aug.id}" in dora[0].body
    # no "waiting" mail went out for a period that was released at once (dropped before sending)
    assert not [m for m in smtp_server.messages if "wartet" in m.subject]
    worker.run(app, once=True)
    series.revoke_standing_approval(ctx, people["approver"], jul.series_id)
    # embargo: the DPO who set it hears when it ended and the release went out
    sep = review.submit(ctx, people["submitter"], period("2026-09", add=10).id)
    when = (utcnow() + dt.timedelta(hours=2)).replace(microsecond=0)
    review.approve(ctx, people["approver2"], sep.id, current_sha(ctx, sep),
                   embargo_until=when.isoformat())
    smtp_server.clear()
    worker.run(app, once=True)
    _send(app)
    assert not [m for m in smtp_server.messages if "Sperrfrist" in m.subject]
    monkeypatch.setattr(Ctx, "now", lambda self: utcnow() + dt.timedelta(hours=3))
    worker.run(app, once=True)
    _send(app)
    ended = [m for m in smtp_server.messages if "Sperrfrist" in m.subject]
    assert [m.rcpt_tos for m in ended] == [["dieter@stadt.example"]]
    assert ended[0].subject == "[Freigabe] Sperrfrist abgelaufen, veröffentlicht: Geflüchtete nach Aufenthaltsstatus (2026-09)"
    assert "abgelaufen" in ended[0].body and f"{APP}/review/{sep.id}" in ended[0].body
    _check_clean(smtp_server.messages, _secrets_of(city, sep))


def test_daily_reminder_after_n_days_once_a_day_and_digest_preference(app, ctx, fresh, people, period,
                                                                       smtp_server, monkeypatch):
    notify.set_preference(ctx, people["approver2"], "digest")
    sub = review.submit(ctx, people["submitter"], period("2026-07").id)
    _send(app)
    assert len(smtp_server.to("dora@stadt.example")) == 1 and smtp_server.to("dieter@stadt.example") == []
    # day 2: too early for a reminder; day 4 (> 3 days): one reminder per approver and day
    seen = {}
    for days, expect in ((2, 0), (4, 1), (4, 0), (5, 1)):
        later = utcnow() + dt.timedelta(days=days)
        monkeypatch.setattr(Ctx, "now", lambda self, t=later: t)
        smtp_server.clear()
        notify.daily(fresh())
        _send(app)
        reminders = [m for m in smtp_server.to("dora@stadt.example") if "Erinnerung" in m.subject]
        assert len(reminders) == expect, (days, [m.subject for m in smtp_server.messages])
        if expect:
            assert reminders[0].subject.startswith(f"[Freigabe] Erinnerung: Prüfung wartet seit {days} Tagen")
            assert f"{APP}/review/{sub.id}" in reminders[0].body
        # dieter chose the digest: at most one mail a day listing what happened before the day's digest hour
        digests = smtp_server.to("dieter@stadt.example")
        assert len(digests) <= 1 and all(m.subject.startswith("[Freigabe] Tägliche Übersicht") for m in digests)
        seen.setdefault(days, []).extend(m.body for m in digests)
    # day 2: the "waiting" notice of day 0; day 4: nothing collected before the digest hour (the reminder of
    # day 4 came after it); day 5: the reminder of day 4 (day 5's own reminder waits for day 6)
    (d2,) = seen[2]
    assert "Prüfung wartet: Geflüchtete nach Aufenthaltsstatus (2026-07)" in d2 and f"{APP}/review/{sub.id}" in d2
    assert "Erinnerung" not in d2 and seen[4] == []
    (d5,) = seen[5]
    assert "Erinnerung: Prüfung wartet seit 4 Tagen" in d5
    bundled = ctx.session.execute(select(MailMessage).where(MailMessage.state == "bundled")).scalars().all()
    assert bundled and {m.user_id for m in bundled} == {people["approver2"].id}


def test_off_preference_silences_everything_but_failures(app, ctx, people, period, smtp_server):
    notify.set_preference(ctx, people["approver"], "off")
    notify.set_preference(ctx, people["approver2"], "off")
    review.submit(ctx, people["submitter"], period("2026-07").id)
    assert _send(app) == 0 and smtp_server.messages == []
    ev = ctx.session.execute(select(AuditEvent).where(AuditEvent.event == "notifications.preference_changed")
                             ).scalars().all()
    assert [e.details_dict["to"] for e in ev] == ["off", "off"]
    with pytest.raises(Exception):
        notify.set_preference(ctx, people["approver"], "manchmal")
    with pytest.raises(Exception):  # only an admin sets someone else's preference
        notify.set_preference(ctx, people["submitter"], "off", user_id=people["approver"].id)


def test_temporary_failure_is_retried_with_backoff_and_a_permanent_one_fails_audited(
        app, ctx, fresh, people, period, smtp_server, monkeypatch):
    smtp_server.fail_next(1)
    sub = review.submit(ctx, people["submitter"], period("2026-07").id)
    mailer.run_until_idle(app)
    c = fresh()
    rows = {m.to_address: m for m in mailbox.outbox(c, kind="submission.waiting")}
    states = sorted(m.state for m in rows.values())
    assert states == ["pending", "sent"]  # one got the 451, the other went through
    retry = next(m for m in rows.values() if m.state == "pending")
    assert retry.attempts == 1 and "451" in retry.last_error and retry.next_attempt_at > utcnow()
    # not due yet: nothing happens; after the backoff it is delivered
    assert mailer.run_until_idle(app) == 0
    monkeypatch.setattr(Ctx, "now", lambda self: utcnow() + dt.timedelta(minutes=2))
    assert mailer.run_until_idle(app) == 1
    assert len(smtp_server.to(retry.to_address)) == 1
    # a permanent refusal (550) fails at once and is audited
    smtp_server.fail_next(2, "550 5.1.1 Mailbox unavailable")
    review.return_submission(ctx, people["approver"], sub.id, "Bitte prüfen")
    mailer.run_until_idle(app)
    c = fresh()
    (ret,) = mailbox.outbox(c, kind="submission.returned")
    assert ret.state == "failed" and ret.attempts == 1 and "550" in ret.last_error
    ev = c.session.execute(select(AuditEvent).where(AuditEvent.event == "mail.failed")).scalar_one()
    assert ev.details_dict["to"] == "sabine@stadt.example" and "body" not in ev.details_dict


def test_no_mail_without_starttls_or_with_an_untrusted_certificate(app, ctx, people, period, test_ca,
                                                                    smtp_server, tmp_path):
    """The client refuses a server that offers no STARTTLS and one whose certificate it cannot verify."""
    from aiosmtpd.controller import Controller

    from tests.servers_directory import free_port

    class Sink:
        got = []

        async def handle_DATA(self, server, session, envelope):
            Sink.got.append(envelope.content)
            return "250 OK"

    port = free_port()
    plain = Controller(Sink(), hostname="127.0.0.1", port=port)
    plain.start()
    try:
        review.submit(ctx, people["submitter"], period("2026-07").id)
        app.config["SMTP_PORT"] = port
        mailer.run_until_idle(app)
        assert Sink.got == []
        rows = mailbox.outbox(ctx, kind="submission.waiting")
        assert {m.state for m in rows} == {"pending"} and all("STARTTLS" in m.last_error for m in rows)
    finally:
        plain.stop()
    other_ca = tmp_path / "other-ca.pem"
    from tests.servers_directory import make_ca

    other_ca.write_bytes(make_ca(tmp_path / "other").ca_file.read_bytes())
    app.config.update(SMTP_PORT=smtp_server.port, SMTP_CA_FILE=str(other_ca))
    import publisher.services.mailbox as mb

    ctx.session.execute(MailMessage.__table__.update().values(next_attempt_at=utcnow()))
    ctx.session.commit()
    mailer.run_until_idle(app)
    assert smtp_server.messages == []
    ctx.session.expire_all()
    assert all("CERTIFICATE_VERIFY_FAILED" in m.last_error or "certificate" in m.last_error.lower()
               for m in mb.outbox(ctx, kind="submission.waiting"))


def test_mail_is_off_without_smtp_host_and_nothing_is_written(app, ctx, people, period):
    app.config["SMTP_HOST"] = ""
    ctx.settings["SMTP_HOST"] = ""
    review.submit(ctx, people["submitter"], period("2026-07").id)
    assert ctx.session.execute(select(MailMessage)).scalars().all() == []
