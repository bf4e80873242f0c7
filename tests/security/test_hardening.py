"""Hardening (issue 7 item 5): rate limits on login and API, password policy, audit of security events.

Session fixation, cookie flags, CSP/HSTS and CSRF are covered by ``tests/web/test_security.py`` (not repeated).
Runs on SQLite only: it tests HTTP behaviour and in-process counters, not the database.
"""
from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import func, select

from publisher.models import AuditEvent, User
from publisher.ratelimit import FixedWindowLimiter, Limit, RateLimits, parse_limit
from publisher.services import accounts
from publisher.services.errors import InvalidInput

PASSWORD = "korrekt-pferd-batterie-42"


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    path = tmp_path / "freigabe.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(app_config):
    # frozen window clock: 16 slow requests under a loaded full run could otherwise straddle a window boundary
    return {**app_config, "RATE_LIMIT_LOGIN": "3/60", "RATE_LIMIT_API": "4/60", "LOCKOUT_THRESHOLD": 10,
            "RATE_LIMIT_CLOCK": lambda: 1000.0}


def _csrf(client, url="/login") -> str:
    page = client.get(url)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _events(fresh, name) -> list[AuditEvent]:
    return list(fresh().session.execute(select(AuditEvent).where(AuditEvent.event == name)).scalars())


# --- the limiter itself --------------------------------------------------------------------------------

def test_parse_limit_accepts_n_per_seconds_and_refuses_garbage():
    assert parse_limit("10/60") == Limit(10, 60)
    assert parse_limit(" 5 / 1 ") == Limit(5, 1)
    for off in ("", "0", None, "off"):
        assert parse_limit(off) is None
    for bad in ("10", "ten/60", "10/0", "0/60", "-1/60", "10/minute"):
        with pytest.raises(ValueError):
            parse_limit(bad)


def test_fixed_window_counts_per_key_and_resets_with_the_next_window():
    now = [1000.0]
    lim = FixedWindowLimiter(Limit(2, 10), clock=lambda: now[0])
    assert lim.hit("a").allowed and lim.hit("a").allowed
    third = lim.hit("a")
    assert not third.allowed and third.first_refusal and 1 <= third.retry_after <= 10
    fourth = lim.hit("a")
    assert not fourth.allowed and not fourth.first_refusal  # audited once per window, not per request
    assert lim.hit("b").allowed  # other key unaffected
    now[0] += 10
    assert lim.hit("a").allowed


def test_login_limit_is_per_username_and_client_never_per_username_alone():
    """Issue 14: attempts from elsewhere never limit the account's owner (no lock-out of the DPO)."""
    limits = RateLimits("2/60", None, clock=lambda: 0.0)
    assert limits.check_api("x") is None  # API limit off
    assert limits.check_login("anna", "10.0.0.1") is None
    assert limits.check_login("ANNA ", "10.0.0.1") is None
    assert limits.check_login("anna", "10.0.0.1") is not None  # same user (case-insensitive), same client
    assert limits.check_login("anna", "10.0.0.2") is None  # the owner elsewhere is not affected


# --- login --------------------------------------------------------------------------------------------

def test_login_attempts_over_the_limit_get_429_with_retry_after_and_are_audited_once(client, users, fresh):
    token = _csrf(client)
    for _ in range(3):
        r = client.post("/login", data={"username": "sabine", "password": "falsch-falsch-falsch",
                                        "csrf_token": token})
        assert r.status_code == 401
    # over the limit: refused before the password is even checked - also the right password
    r = client.post("/login", data={"username": "sabine", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    text = r.get_data(as_text=True)
    assert "Zu viele Versuche" in text and "Sekunden" in text
    with client.session_transaction() as s:
        assert "uid" not in s
    r = client.post("/login?lang=en", data={"username": "sabine", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "Too many attempts" in r.get_data(as_text=True)
    assert r.headers["Content-Security-Policy"]  # the 429 page carries the security headers too
    # security events: each failed login audited; the rate-limit hit once per window
    assert len(_events(fresh, "login.failed")) == 3
    hits = _events(fresh, "ratelimit.login")
    assert len(hits) == 1 and "sabine" in hits[0].details
    # the refused attempts did not touch the account's failure counter
    assert fresh().session.get(User, users["submitter"].id).failed_logins == 3
    # other usernames from the same address still get through (per-address limit is 5 x larger)
    r = client.post("/login", data={"username": "otto", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303


def test_login_limit_per_client_address_across_usernames(client, users, fresh):
    token = _csrf(client)
    statuses = [client.post("/login", data={"username": f"niemand{i}", "password": "x" * 12, "csrf_token": token},
                            environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code for i in range(16)]
    assert statuses[:15] == [401] * 15 and statuses[15] == 429
    # another address is not affected
    r = client.post("/login", data={"username": "sabine", "password": PASSWORD, "csrf_token": token},
                    environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert r.status_code == 303
    hits = _events(fresh, "ratelimit.login")
    assert len(hits) == 1 and "192.0.2.7" in hits[0].details


def test_backoff_is_audited_and_does_not_lock_out_the_owner(client, users, fresh, ctx):
    # threshold 10 in this module, login limit 3/60: back off a stranger's client through the service
    from publisher.services.errors import AuthenticationFailed

    for _ in range(10):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(ctx, "dora", "falsch-falsch-falsch", client="192.0.2.66")
    assert len(_events(fresh, "login.backoff")) == 1
    # the DPO logs in from her own client (the test client's address) at once
    token = _csrf(client)
    r = client.post("/login", data={"username": "dora", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303


# --- API ----------------------------------------------------------------------------------------------

def test_api_requests_over_the_limit_per_token_get_429_envelope(client, users, ctx, fresh):
    _, tok1 = accounts.create_token(ctx, None, "sabine")
    _, tok2 = accounts.create_token(ctx, None, "otto")
    h1, h2 = ({"Authorization": f"Bearer {t}"} for t in (tok1, tok2))
    assert [client.get("/api/v1/submissions", headers=h1).status_code for _ in range(4)] == [200] * 4
    r = client.get("/api/v1/submissions", headers=h1)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    body = r.get_json()
    assert body["error"]["code"] == "too_many_requests" and "Zu viele Anfragen" in body["error"]["message"]
    r = client.get("/api/v1/submissions", headers={**h1, "Accept-Language": "en"})
    assert r.status_code == 429
    # a POST over the limit changes nothing
    before = fresh().session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    r = client.post("/api/v1/submissions", headers=h1, data={})
    assert r.status_code == 429
    after = fresh().session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert after == before
    # the other token has its own budget
    assert client.get("/api/v1/submissions", headers=h2).status_code == 200
    hits = _events(fresh, "ratelimit.api")
    assert len(hits) == 1 and tok1[:10] in hits[0].details and tok1 not in hits[0].details


# --- password policy ----------------------------------------------------------------------------------

@pytest.mark.parametrize("password, fragment", [
    ("kurz-123", "12 characters"),
    ("sabine.mueller", "username"),
    ("Passwort1234", "too common"),
    ("aaaaaaaaaaaaaaa", "too common"),
])
def test_password_policy_refuses_weak_passwords_with_typed_findings(ctx, password, fragment):
    with pytest.raises(InvalidInput) as exc:
        accounts.create_user(ctx, None, "sabine.mueller", "submitter", password=password)
    assert exc.value.findings and all(f.code == exc.value.findings[0].code for f in exc.value.findings)
    assert any(fragment in f.message("en") for f in exc.value.findings)
    assert all(f.message("de") != f.message("en") for f in exc.value.findings)
    assert ctx.session.execute(select(User).where(User.username == "sabine.mueller")).scalar_one_or_none() is None


def test_password_policy_on_cli_and_password_change(runner, users, fresh):
    res = runner.invoke(["user", "create", "karl", "--role", "submitter", "--password-stdin"], input="karl\n")
    assert res.exit_code != 0
    assert "karl" not in [u.username for u in fresh().session.execute(select(User)).scalars()]
    res = runner.invoke(["user", "create", "karl", "--role", "submitter", "--password-stdin"],
                        input="lange-sichere-phrase-77\n")
    assert res.exit_code == 0, res.output
    c = fresh()
    before = c.session.get(User, users["submitter"].id).password_hash
    with pytest.raises(InvalidInput):
        accounts.set_password(c, None, users["submitter"].id, "sabine")
    with pytest.raises(InvalidInput):
        accounts.set_password(c, None, users["submitter"].id, "qwertzuiop12")
    assert fresh().session.get(User, users["submitter"].id).password_hash == before
    assert accounts.password_problems("lange-sichere-phrase-77", "sabine") == []


# --- reverse proxy (FREIGABE_PROXY_COUNT) ----------------------------------------------------------------

def _fail_logins(client, token, n, forwarded_for):
    return [client.post("/login", data={"username": f"niemand{i}", "password": "x" * 12, "csrf_token": token},
                        environ_base={"REMOTE_ADDR": "10.9.9.9"},
                        headers={"X-Forwarded-For": forwarded_for}).status_code for i in range(n)]


def test_forwarded_for_is_ignored_without_trusted_proxies(client, users):
    # a client cannot escape the per-address limit by inventing X-Forwarded-For headers
    token = _csrf(client)
    statuses = [client.post("/login", data={"username": f"niemand{i}", "password": "x" * 12, "csrf_token": token},
                            environ_base={"REMOTE_ADDR": "10.9.9.9"},
                            headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(16)]
    assert statuses[:15] == [401] * 15 and statuses[15] == 429


def test_behind_one_trusted_proxy_each_client_address_has_its_own_budget(app_config, users, fresh):
    from publisher import create_app

    app = create_app({**app_config, "PROXY_COUNT": 1})
    client = app.test_client()
    token = _csrf(client)
    # all requests come from the proxy 10.9.9.9; the client addresses differ
    assert _fail_logins(client, token, 16, "203.0.113.5")[15] == 429
    other = _fail_logins(client, token, 1, "203.0.113.6")
    assert other == [401]  # not the proxy's shared budget
    hits = _events(fresh, "ratelimit.login")
    assert len(hits) == 1 and "203.0.113.5" in hits[0].details and "10.9.9.9" not in hits[0].details
    # only the last hop counts: a forged first hop does not buy a new budget
    forged = _fail_logins(client, token, 1, "1.2.3.4, 203.0.113.5")
    assert forged == [429]
