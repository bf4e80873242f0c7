"""UI language: German by default, English by ?lang=en and the cookie; German number and date formats;
every UI text has an English translation."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from publisher.i18n import EN, LANG_COOKIE, format_date, format_datetime, format_number, missing_translations

ROOT = Path(__file__).resolve().parents[2]
MSGID = re.compile(r"""\b_\(\s*(["'])((?:(?!\1).)+)\1""", re.DOTALL)


@pytest.fixture
def db_url(sqlite_db_url):  # language tests do not depend on the database backend
    return sqlite_db_url


def used_msgids() -> set[str]:
    found = set()
    files = list((ROOT / "templates").rglob("*.html")) + list((ROOT / "publisher" / "web").rglob("*.py"))
    for path in files:
        for m in MSGID.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(2))
    return found


def test_every_ui_text_has_an_english_translation():
    ids = used_msgids()
    assert len(ids) > 100
    from publisher.web.tables import OWN_SUBMISSION

    assert missing_translations(ids | {OWN_SUBMISSION}) == []


def test_translations_keep_their_placeholders():
    for de, en in EN.items():
        assert set(re.findall(r"{(\w+)}", de)) == set(re.findall(r"{(\w+)}", en)), de


def test_german_is_the_default(client):
    resp = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = resp.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Anmeldung" in html and "Zum Inhalt springen" in html


def test_english_by_query_and_then_by_cookie(client):
    resp = client.get("/login?lang=en")
    html = resp.get_data(as_text=True)
    assert '<html lang="en">' in html and "Skip to content" in html and ">Log in<" in html
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(LANG_COOKIE + "=en")]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    html = client.get("/login?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert '<html lang="de">' in client.get("/login").get_data(as_text=True)


def test_layout_has_a_language_switch_skip_link_and_landmarks(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="?lang=en"' in html and 'lang="en"' in html
    assert '<a class="skip-link" href="#inhalt">' in html and '<main id="inhalt"' in html
    assert "<header" in html and "<nav" in html and "<footer" in html
    assert '<label for="f-username">' in html and 'id="f-username"' in html


def test_german_number_and_date_formats(app):
    when = dt.datetime(2026, 11, 23, 9, 5, tzinfo=dt.UTC)
    with app.test_request_context("/"):
        assert format_number(1234567) == "1.234.567"
        assert format_number("1234") == "1.234"
        assert format_number(0.5) == "0,5"
        assert format_date(dt.date(2026, 3, 1)) == "01.03.2026"
        assert format_datetime(when) == "23.11.2026 10:05"  # Europe/Berlin
    with app.test_request_context("/?lang=en"):
        assert format_number(1234567) == "1,234,567"
        assert format_date(dt.date(2026, 3, 1)) == "1 Mar 2026"


def test_error_pages_follow_the_language(client):
    assert "Seite nicht gefunden" in client.get("/nirgendwo").get_data(as_text=True)
    assert "Page not found" in client.get("/nirgendwo?lang=en").get_data(as_text=True)


def test_service_errors_are_shown_in_the_chosen_language(browser, users, client):
    resp = browser.post("/login?lang=en", "/login?lang=en", {"username": "sabine", "password": "wrong-wrong-wrong"})
    assert resp.status_code == 401
    assert "Wrong user name or password." in resp.get_data(as_text=True)


def test_action_and_role_labels_are_translated(app):
    from publisher.i18n import ACTION_LABELS, action_label, role_label

    assert all(v in EN for v in ACTION_LABELS.values())
    with app.test_request_context("/"):
        assert action_label("approve") == "freigegeben" and role_label("approver") == "Datenschutzbeauftragte/r"
    with app.test_request_context("/?lang=en"):
        assert action_label("approve") == "approved" and role_label("approver") == "data-protection officer"


def test_report_labels_are_translated():
    from publisher.web.presenters import REPORT_LABELS

    assert missing_translations(REPORT_LABELS.values()) == []
