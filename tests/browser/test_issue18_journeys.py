"""Issue 18's journeys in headless Chromium (axe-core on every page visited): a directory user signs in and lands
with the right role; a disabled directory user cannot; an invited external reader accepts the invitation from
the real e-mail, downloads a file of the group, and is refused after the account's end; a requester opens the
delivery link from the e-mail, downloads once, and finds the link dead after the window.

Real servers: OpenLDAP slapd (LDAPS), aiosmtpd (STARTTLS + AUTH), the app on werkzeug, the publication worker.
"""
from __future__ import annotations

from publisher.manifest import current_sha  # noqa: E402

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from publisher import mailer
from publisher.db import utcnow
from publisher.services import Ctx

pytestmark = pytest.mark.browser
PW = "Directory-Pass-2026"


@pytest.fixture
def app_config(app_config, ldap_settings, mail_settings):
    return {**app_config, **ldap_settings, **mail_settings}


def _sign_in(page, username, password):
    page.goto("/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def test_directory_user_lands_with_the_directory_role_and_a_disabled_one_cannot(page, make_page, slapd, a11y,
                                                                                live_server):
    dsb, stat, gone = slapd.unique("dsb"), slapd.unique("stat"), slapd.unique("off")
    slapd.add_user(dsb, groups=["freigabe-dsb"], name="Dana Direktori")
    slapd.add_user(stat, groups=["freigabe-statistik", "sozialplanung"], name="Stefan Statistik")
    slapd.add_user(gone, groups=["freigabe-dsb"], name="Otto Ohne")
    slapd.disable(gone)
    _sign_in(page, dsb, PW)
    page.wait_for_url(re.compile(r"/dashboard"))
    expect(page.locator(".whoami")).to_contain_text("Dana Direktori (Datenschutzbeauftragte/r)")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Prüfliste")).to_be_visible()
    expect(nav.get_by_role("link", name="Neue Einreichung")).to_have_count(0)
    a11y.check(page, "dashboard-directory-dpo")
    staff = make_page()
    _sign_in(staff, stat, PW)
    staff.wait_for_url(re.compile(r"/dashboard"))
    expect(staff.locator(".whoami")).to_contain_text("Stefan Statistik (Statistikstelle)")
    expect(staff.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Neue Einreichung")
           ).to_be_visible()
    other = make_page()
    _sign_in(other, gone, PW)
    expect(other.get_by_role("alert")).to_contain_text("Benutzername oder Passwort ist falsch.")
    assert "/login" in other.url
    a11y.check(other, "login-refused-directory")


def _restricted_release(fresh, users, hierarchy, table_bytes, live_server):
    from publisher.services import intake, reference, review
    from tests.conftest import LONG_MAPPING, meta

    c = fresh()
    reference.ensure_default_rule_set(c)
    sub = intake.create_draft(c, users["submitter"], data=table_bytes(seed=3), filename="t.csv",
                              metadata=meta(audience="restricted", groups=["sozialplanung"]), mapping=LONG_MAPPING,
                              series="testreihe", hierarchy=hierarchy.id)
    sub = review.submit(c, users["submitter"], sub.id)
    review.approve(c, users["approver"], sub.id, current_sha(c, sub))
    assert live_server.publish() >= 1
    return sub


def test_invited_external_reader_accepts_downloads_and_is_refused_after_expiry(
        page, live_server, fresh, users, hierarchy, table_bytes, smtp_server, a11y, monkeypatch):
    from publisher.services import invitations

    _restricted_release(fresh, users, hierarchy, table_bytes, live_server)
    end = (utcnow() + dt.timedelta(days=30)).date()
    invitations.invite(fresh(), users["admin"], "helga@wohlfahrt.example", "sozialplanung", end)
    mailer.run_until_idle(live_server.app)
    (mail,) = [m for m in smtp_server.to("helga@wohlfahrt.example") if "Einladung" in m.subject]
    path = re.search(r"https://freigabe\.stadt\.example(/invitation/\S+)", mail.body).group(1)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Einladung in den Download-Bereich")
    a11y.check(page, "invitation-accept")
    page.get_by_label("Benutzername").fill("helga")
    page.get_by_label("Name", exact=True).fill("Helga Hilfe")
    page.get_by_label("Passwort").fill("Wohlfahrt-Verband-2026")
    page.get_by_role("button", name="Konto anlegen").click()
    page.wait_for_url(re.compile(r"/downloads"))
    expect(page.locator(".whoami")).to_contain_text("Helga Hilfe (Lesende)")
    a11y.check(page, "downloads-invited-reader")
    link = page.locator("a[href$='.csv']").first
    with page.expect_download() as dl:
        link.click()
    assert dl.value.path().read_bytes().count(b"\n") > 3
    # the invitation link is spent
    again = page.context.new_page()
    again.goto(path)
    expect(again.get_by_role("main")).to_contain_text("nicht mehr gültig")
    again.close()
    # after the end date: the session ends and signing in is refused
    later = utcnow() + dt.timedelta(days=32)
    monkeypatch.setattr(Ctx, "now", lambda self: later)
    page.goto("/downloads")
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()
    _sign_in(page, "helga", "Wohlfahrt-Verband-2026")
    expect(page.get_by_role("alert")).to_contain_text("Benutzername oder Passwort ist falsch.")


def test_requester_downloads_once_from_the_mail_link_then_it_is_dead(page, live_server, fresh, users, hierarchy,
                                                                     city, smtp_server, a11y, monkeypatch):
    from publisher.demo import german_csv
    from publisher.services import reference, review
    from publisher.services import requests as rq

    c = fresh()
    reference.ensure_default_rule_set(c)
    from publisher.services import populations  # a population is admin reference data (issue 13/14)

    populations.create_population(c, users["admin"], "Anfragen (Test)", slug="anfragen-test")
    c = fresh()
    req = rq.record(c, users["submitter"], requester_name="Rita Rat", requester_email="rita.rat@rat.example",
                    subject="Geflüchtete je Stadtteil", purpose="Ratsanfrage", legal_basis="§ 55 GO NRW")
    rows = [(st, 12) for st in sorted({b[:4] for b in city.block_codes})]
    sub = rq.prepare(c, users["submitter"], req.id, data=german_csv(["stadtteil", "anzahl"], rows),
                     filename="st.csv", metadata={"title": "Geflüchtete je Stadtteil", "reference_period": "2026-07",
                                                  "contact": "statistik@stadt.example"},
                     mapping={"geo_column": "stadtteil", "count_columns": ["anzahl"], "geo_level": "stadtteil"},
                     population="anfragen-test", hierarchy=hierarchy.id)
    sub = review.submit(c, users["submitter"], sub.id)
    review.approve(c, users["approver"], sub.id, current_sha(c, sub))
    assert live_server.publish() >= 1
    mailer.run_until_idle(live_server.app)
    (mail,) = smtp_server.to("rita.rat@rat.example")
    path = re.search(r"https://freigabe\.stadt\.example(/delivery/\S+)", mail.body).group(1)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Antwort auf Ihre Anfrage Nr. {req.id}")
    a11y.check(page, "delivery")
    with page.expect_download() as dl:
        page.get_by_role("link", name=re.compile(r"^anfrage-\d+\.csv$")).click()
    assert b"12" in dl.value.path().read_bytes()
    later = utcnow() + dt.timedelta(minutes=31)
    monkeypatch.setattr(Ctx, "now", lambda self: later)
    page.goto(path)
    expect(page.get_by_role("main")).to_contain_text("erloschen")
