"""Fixtures of the issue-14 tests: the web helpers (``auth`` with a CSRF logout, ``browser``) and API tokens."""
from __future__ import annotations

import pytest

from tests.web.conftest import CSRF_RE, Browser, csrf_from  # noqa: F401


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def tokens(ctx, users):
    from publisher.services import accounts

    return {who: {"Authorization": f"Bearer {accounts.create_token(ctx, None, u.username)[1]}"}
            for who, u in users.items()}
