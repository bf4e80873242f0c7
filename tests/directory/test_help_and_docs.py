"""Issue 18 item 5: the German guides are in docs/ and on the UI's help pages; the operations manual covers the
directory (with an AD example), SMTP and the invitation flow."""
from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_guides_are_linked_from_the_help_and_rendered_escaped(client, auth, users):
    auth.login("sabine")
    index = client.get("/help").get_data(as_text=True)
    assert "/help/datenschutz" in index and "/help/statistikstelle" in index
    dpo = client.get("/help/datenschutz")
    html = dpo.get_data(as_text=True)
    assert dpo.status_code == 200 and "<h1>Leitfaden für Datenschutzbeauftragte</h1>" in html
    assert "<h2>Einzelanfragen</h2>" in html and "<ol>" in html and "<strong>" in html
    staff = client.get("/help/statistikstelle").get_data(as_text=True)
    assert "Einzelanfragen beantworten" in staff and "Neuen Link senden" in staff
    assert client.get("/help/unbekannt").status_code == 404
    assert "Hilfe" in client.get("/dashboard").get_data(as_text=True)


def test_guide_renderer_escapes_everything():
    from publisher.web.guide_views import render_guide

    title, html = render_guide("# T<script>\n\nText <img src=x onerror=alert(1)> **fett**\n\n- a<b>\n")
    assert title == "T<script>" and "<script>" not in html and "<img" not in html
    assert "&lt;img" in html and "<strong>fett</strong>" in html and "<li>a&lt;b&gt;</li>" in html


def test_operations_manual_covers_directory_smtp_and_invitations():
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    for heading in ("## Directory sign-on (LDAP / Active Directory)", "## E-mail notifications (SMTP)",
                    "## Invited external readers", "## Individual requests (Einzelanfragen)"):
        assert heading in text
    assert "sAMAccountName" in text and "userAccountControl:1.2.840.113556.1.4.803:=2" in text
    assert "granted by the directory's own administration" in text
    for guide in ("leitfaden-datenschutz.md", "leitfaden-statistikstelle.md"):
        assert (DOCS / guide).read_text(encoding="utf-8").count("\n") < 80  # one page
