"""Fixtures of the web-UI tests (the shared ones - app, client, auth, users, make_submission - are in
tests/conftest.py).  ``sqlite_only`` modules override ``db_url`` to run once on SQLite: they test HTTP
behaviour (headers, language, forms), not the database; state-changing tests run on both backends."""
from __future__ import annotations

import re
import shutil

import pytest

CSRF_RE = re.compile(rb'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def sqlite_db_url(sqlite_template, tmp_path):
    path = tmp_path / "freigabe.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def csrf_from(page_bytes: bytes) -> str:
    m = CSRF_RE.search(page_bytes)
    assert m, "page has no CSRF token"
    return m.group(1).decode()


class Browser:
    """A tiny form-submitting helper: GET a page, take its CSRF token, POST a form."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, page_url: str, action_url: str, data: dict | None = None, **kw):
        page = self.client.get(page_url)
        assert page.status_code == 200, (page_url, page.status_code)
        form = dict(data or {})
        form.setdefault("csrf_token", csrf_from(page.data))
        return self.client.post(action_url, data=form, **kw)


@pytest.fixture
def browser(client):
    return Browser(client)
