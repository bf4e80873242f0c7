"""Fixtures of the API tests: the same as the web tests' (tests/web/conftest.py), shared from there; the
common ones are in tests/conftest.py."""
from __future__ import annotations

from tests.web.conftest import CSRF_RE, Browser, browser, csrf_from, sqlite_db_url  # noqa: F401
