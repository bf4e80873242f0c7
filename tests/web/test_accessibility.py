"""Static accessibility checks of every page for every role (axe-core in a browser comes with issue 6):
lang attribute, skip link target, one h1, unique ids, a label for every form control, aria references that
resolve, table headers with scope, no inline script or style."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.web.test_security import fill, get_routes


@pytest.fixture
def db_url(sqlite_db_url):
    return sqlite_db_url


class PageModel(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.labels_for: set[str] = set()
        self.controls: list[dict] = []
        self.refs: list[tuple[str, str]] = []
        self.h1 = 0
        self.html_lang = None
        self.th_without_scope = 0
        self.inline = []
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        for ref_attr in ("aria-describedby", "aria-labelledby"):
            for ref in (a.get(ref_attr) or "").split():
                self.refs.append((ref_attr, ref))
        if "style" in a or any(k.startswith("on") for k in a):
            self.inline.append((tag, a))
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.labels_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button"):
                self.controls.append({**a, "_wrapped": self._label_depth > 0})
        elif tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        elif tag in ("script", "style") and tag == "style" or tag == "script" and "src" not in a:
            self.inline.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def check_page(html: str, where: str) -> None:
    p = PageModel()
    p.feed(html)
    assert p.html_lang in ("de", "en"), where
    assert p.h1 == 1, (where, p.h1)
    assert "inhalt" in p.ids, where
    dupes = {i for i in p.ids if p.ids.count(i) > 1}
    assert not dupes, (where, dupes)
    for c in p.controls:
        labelled = c.get("id") in p.labels_for or c["_wrapped"] or c.get("aria-label") or c.get("aria-labelledby")
        assert labelled, (where, c)
    for attr, ref in p.refs:
        assert ref in p.ids, (where, attr, ref)
    assert p.th_without_scope == 0, where
    assert not p.inline, (where, p.inline[:3])
    assert "=&#34;" not in html, where  # attributes rendered, not escaped as text


def test_every_page_is_structurally_accessible(app, client, auth, users, make_submission):
    sub = make_submission("submitted")
    vid = sub.current_version_id
    checked = 0
    for who in (None, "submitter", "approver", "admin", "reader"):
        if who:
            auth.login(users[who].username)
        for rule in get_routes(app):
            for lang in ("de", "en"):
                resp = client.get(fill(rule, sub, vid) + f"?lang={lang}")
                if resp.status_code in (200, 401, 403, 404) and resp.mimetype == "text/html":
                    check_page(resp.get_data(as_text=True), f"{who} {rule} {lang}")
                    checked += 1
        if who:
            auth.logout()
    assert checked >= 60


def test_form_errors_are_tied_to_their_fields(browser, users):
    resp = browser.post("/login", "/login", {"username": "", "password": ""})
    html = resp.get_data(as_text=True)
    check_page(html, "login with errors")
    assert 'aria-describedby="e-username"' in html and 'id="e-username"' in html
    assert 'aria-invalid="true"' in html and 'role="alert"' in html
