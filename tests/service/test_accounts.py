"""Accounts: argon2 hashes, lockout, tokens stored as hashes only, typed errors; all audited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from publisher.models import ApiToken, AuditEvent, User
from publisher.services import accounts
from publisher.services.errors import AuthenticationFailed, Forbidden, InvalidInput


def test_create_user_hashes_with_argon2_and_generates_password(ctx, fresh):
    user, pw = accounts.create_user(ctx, None, "heike", "approver", groups=("sozialplanung",))
    stored = fresh().session.get(User, user.id)
    assert stored.password_hash.startswith("$argon2id$") and pw not in stored.password_hash
    assert len(pw) >= 16
    assert stored.group_names == {"sozialplanung"}
    assert accounts.authenticate(ctx, "heike", pw).id == user.id


@pytest.mark.parametrize("name,role,pw", [("x", "submitter", None), ("ok-name", "king", None),
                                          ("ok-name", "submitter", "kurz"), ("böse name", "reader", None)])
def test_create_user_invalid_input_stores_nothing(ctx, fresh, name, role, pw):
    with pytest.raises(InvalidInput) as exc:
        accounts.create_user(ctx, None, name, role, password=pw)
    assert exc.value.findings[0].column in ("username", "role", "password")
    assert exc.value.message("de") and exc.value.message("en")
    assert fresh().session.execute(select(User)).first() is None


def test_duplicate_username_refused(ctx, make_user):
    make_user("submitter", "sabine")
    with pytest.raises(InvalidInput, match="already exists"):
        accounts.create_user(ctx, None, "sabine", "reader")


def test_only_admin_creates_users(ctx, users):
    with pytest.raises(Forbidden):
        accounts.create_user(ctx, users["approver"], "neu", "submitter")
    accounts.create_user(ctx, users["admin"], "neu", "submitter")


def test_backoff_after_threshold_is_per_client_and_audited(ctx, fresh, users):
    """Issue 14: no account-wide lockout. Threshold 3 (test config): the client that failed waits; the account's
    owner on another client still logs in; an unknown name is answered exactly like a known one."""
    for _ in range(3):
        with pytest.raises(AuthenticationFailed) as exc:
            accounts.authenticate(ctx, "sabine", "falsch-falsch-falsch", client="198.51.100.9")
        assert exc.value.code == "publisher.login_failed"
    # that client now waits: even the right password is refused, with the wait message
    with pytest.raises(AuthenticationFailed) as exc:
        accounts.authenticate(ctx, "sabine", "korrekt-pferd-batterie-42", client="198.51.100.9")
    assert exc.value.code == "publisher.login_wait" and "Sekunden" in exc.value.message("de")
    # the owner on her own client is not locked out
    assert accounts.authenticate(ctx, "sabine", "korrekt-pferd-batterie-42", client="203.0.113.5").username == "sabine"
    # an unknown name: the same answers in the same order
    for _ in range(3):
        with pytest.raises(AuthenticationFailed) as exc:
            accounts.authenticate(ctx, "niemand", "falsch-falsch-falsch", client="198.51.100.9")
        assert exc.value.code == "publisher.login_failed"
    with pytest.raises(AuthenticationFailed) as exc:
        accounts.authenticate(ctx, "niemand", "x", client="198.51.100.9")
    assert exc.value.code == "publisher.login_wait"
    s = fresh().session
    events = [e.event for e in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert events.count("login.failed") == 6 and events.count("login.backoff") == 2
    # after the wait the right password works again from that client
    later = ctx.now() + dt.timedelta(minutes=16)
    ctx.clock = lambda: later
    assert accounts.authenticate(ctx, "sabine", "korrekt-pferd-batterie-42", client="198.51.100.9").username == "sabine"


def test_unknown_user_same_error(ctx, users):
    with pytest.raises(AuthenticationFailed) as exc:
        accounts.authenticate(ctx, "niemand", "irgendwas-langes")
    assert exc.value.code == "publisher.login_failed"


def test_tokens_are_stored_as_hash_only(ctx, fresh, users):
    tok, plaintext = accounts.create_token(ctx, None, "sabine", "wochenskript")
    rows = fresh().session.execute(select(ApiToken)).scalars().all()
    assert len(rows) == 1 and rows[0].token_hash != plaintext and plaintext not in rows[0].token_hash
    assert accounts.user_for_token(ctx, plaintext).username == "sabine"
    with pytest.raises(AuthenticationFailed):
        accounts.user_for_token(ctx, plaintext + "x")
    accounts.revoke_token(ctx, None, tok.id)
    with pytest.raises(AuthenticationFailed):
        accounts.user_for_token(ctx, plaintext)


def test_deactivated_user_cannot_log_in(ctx, users):
    accounts.set_active(ctx, users["admin"], users["submitter"].id, False)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(ctx, "sabine", "korrekt-pferd-batterie-42")
