"""Sign-on with the city's directory against a real OpenLDAP (issue 18 item 1).

slapd runs as the ``openldap`` user on 127.0.0.1 with LDAPS and StartTLS (certificate of a test CA made for the
session); the tree has people, groupOfNames groups and a service account (tests/servers_directory.py).  Users
are made per test (unique uids), put in several groups, disabled the OpenLDAP way (ppolicy
``pwdAccountLockedTime``) and moved between groups.
"""
from __future__ import annotations

from publisher.manifest import current_sha  # noqa: E402

import pytest
from sqlalchemy import select

from publisher.models import AuditEvent, User
from publisher.models_directory import DirectoryAccount
from publisher.services import accounts, directory, errors as E, review

PW = "Directory-Pass-2026"


@pytest.fixture
def app_config(app_config, ldap_settings):
    return {**app_config, **ldap_settings}


def _events(ctx, *names):
    rows = ctx.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    return [e for e in rows if not names or e.event in names]


def _user(ctx, name) -> User:
    ctx.session.expire_all()
    return ctx.session.execute(select(User).where(User.username == name)).scalar_one()


def test_first_sign_on_creates_the_account_with_role_and_download_groups(ctx, fresh, slapd):
    dsb = slapd.unique("dsb")
    slapd.add_user(dsb, groups=["freigabe-dsb"], name="Dana Schutz", mail=f"{dsb}@stadt.example")
    statistik = slapd.unique("stat")
    slapd.add_user(statistik, groups=["freigabe-statistik", "sozialplanung"])
    both = slapd.unique("both")
    slapd.add_user(both, groups=["freigabe-statistik", "freigabe-dsb", "jugendhilfe"])
    reader = slapd.unique("lese")
    slapd.add_user(reader, groups=["jugendhilfe"])

    u = accounts.authenticate(fresh(), dsb, PW)
    assert (u.username, u.role, u.display_name, u.email, u.password_hash) == (
        dsb, "approver", "Dana Schutz", f"{dsb}@stadt.example", None)
    acc = fresh().session.get(DirectoryAccount, u.id)
    assert acc.dn == slapd.user_dn(dsb) and slapd.group_dn("freigabe-dsb") in acc.groups
    assert accounts.authenticate(fresh(), statistik, PW).role == "submitter"
    assert _user(ctx, statistik).group_names == {"sozialplanung"}
    # in several role groups: the first role of FREIGABE_LDAP_ROLE_GROUPS wins (admin, approver, submitter)
    assert accounts.authenticate(fresh(), both, PW).role == "approver"
    assert _user(ctx, both).group_names == {"jugendhilfe"}
    # only in a download group (mapped by cn): a reader of that group
    r = accounts.authenticate(fresh(), reader, PW)
    assert r.role == "reader" and _user(ctx, reader).group_names == {"jugendhilfe"}
    ev = _events(ctx, "directory.account_created")
    assert [e.details_dict["username"] for e in ev] == [dsb, statistik, both, reader]
    assert ev[0].details_dict["role"] == "approver" and ev[0].actor_name == "directory"
    assert len(_events(ctx, "login.succeeded")) == 4
    # the name is matched as the directory does (case-insensitively): the same account, not a second one
    assert accounts.authenticate(fresh(), dsb.upper(), PW).id == u.id
    assert len(fresh().session.execute(select(DirectoryAccount)).all()) == 4


def test_wrong_password_counts_and_backs_off_like_a_local_account(ctx, fresh, slapd):
    name = slapd.unique("stat")
    slapd.add_user(name, groups=["freigabe-statistik"])
    with pytest.raises(E.AuthenticationFailed):  # unknown to Freigabe yet, wrong password: no account made
        accounts.authenticate(fresh(), name, "falsch-falsch-falsch")
    assert fresh().session.execute(select(User).where(User.username == name)).first() is None
    accounts.authenticate(fresh(), name, PW)
    from publisher.services import credentials

    for _ in range(3):  # LOCKOUT_THRESHOLD = 3 in the tests
        with pytest.raises(E.AuthenticationFailed) as exc:
            accounts.authenticate(fresh(), name, "falsch-falsch-falsch", client="10.9.8.7")
        assert exc.value.code == E.LOGIN_FAILED
    # this client waits now, even with the right password (the directory is not asked) ...
    with pytest.raises(E.AuthenticationFailed) as exc:
        accounts.authenticate(fresh(), name, PW, client="10.9.8.7")
    assert exc.value.code == credentials.LOGIN_WAIT
    # ... while the person at their own desk is not locked out - as for local accounts (issue 14)
    assert accounts.authenticate(fresh(), name, PW, client="10.1.1.1").username == name
    assert [e.event for e in _events(ctx, "login.backoff")] == ["login.backoff"]
    for bad in ("", "*", f"{name})(uid=*", "x" * 200):  # empty password, filter injection, junk
        with pytest.raises(E.AuthenticationFailed):
            accounts.authenticate(fresh(), bad or name, "" if not bad else PW)


def test_disabled_user_cannot_sign_on_and_the_account_is_deactivated_then_reactivated(ctx, fresh, slapd):
    name = slapd.unique("dsb")
    slapd.add_user(name, groups=["freigabe-dsb"])
    u = accounts.authenticate(fresh(), name, PW)
    tok = accounts.create_token(fresh(), None, name)[1]
    assert accounts.user_for_token(fresh(), tok).id == u.id
    slapd.disable(name)
    with pytest.raises(E.AuthenticationFailed) as exc:
        accounts.authenticate(fresh(), name, PW)
    assert exc.value.code == E.LOGIN_FAILED  # the same answer as a wrong password
    assert _user(ctx, name).active is False
    assert fresh().session.get(DirectoryAccount, u.id).disabled_reason == "disabled"
    with pytest.raises(E.AuthenticationFailed):
        accounts.user_for_token(fresh(), tok)  # the API token dies with it
    (ev,) = _events(ctx, "directory.account_disabled")
    assert ev.details_dict["reason"] == "disabled"
    assert _events(ctx, "login.failed")[-1].details_dict["reason"] == "directory_disabled"
    # a person disabled before ever signing on never gets an account
    never = slapd.unique("stat")
    slapd.add_user(never, groups=["freigabe-statistik"])
    slapd.disable(never)
    with pytest.raises(E.AuthenticationFailed):
        accounts.authenticate(fresh(), never, PW)
    assert fresh().session.execute(select(User).where(User.username == never)).first() is None
    # the directory enables the person again: the next sign-on re-activates the account it had disabled
    from ldap3 import MODIFY_DELETE

    with slapd.admin() as conn:
        assert conn.modify(slapd.user_dn(name), {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]}), conn.result
    assert accounts.authenticate(fresh(), name, PW).active is True
    # ... but an account an admin deactivated in Freigabe stays deactivated
    admin = accounts.create_user(fresh(), None, "notfall-admin", "admin", password="Notfall-Passwort-2026")[0]
    accounts.set_active(fresh(), admin, u.id, False)
    with pytest.raises(E.AuthenticationFailed):
        accounts.authenticate(fresh(), name, PW)
    assert _user(ctx, name).active is False


def test_user_moved_between_groups_gets_the_new_role_and_four_eyes_still_holds(ctx, fresh, slapd, hierarchy,
                                                                             table_bytes):
    from publisher.services import intake, reference
    from tests.conftest import LONG_MAPPING, meta

    name = slapd.unique("wechsel")
    slapd.add_user(name, groups=["freigabe-statistik", "sozialplanung"])
    u = accounts.authenticate(fresh(), name, PW)
    assert u.role == "submitter"
    reference.ensure_default_rule_set(ctx)
    sub = intake.create_draft(ctx, u, data=table_bytes(seed=7), filename="t.csv", metadata=meta(),
                              mapping=LONG_MAPPING, series="testreihe", hierarchy=hierarchy.id)
    sub = review.submit(ctx, u, sub.id)
    # the directory moves the person to the DPO's group (and out of the download group)
    slapd.move(name, "freigabe-statistik", "freigabe-dsb")
    slapd.move(name, "sozialplanung", None)
    u = accounts.authenticate(fresh(), name, PW)
    assert u.role == "approver" and _user(ctx, name).group_names == set()
    (ev,) = _events(ctx, "directory.account_updated")
    assert ev.details_dict["role"] == "approver" and ev.details_dict["groups"] == {"from": ["sozialplanung"],
                                                                                   "to": []}
    assert ev.details_dict["role_changed"] == {"from": "submitter", "to": "approver"}
    # never approves what they submitted themselves: four eyes for directory accounts too
    c = fresh()
    with pytest.raises(E.Forbidden):
        review.approve(c, c.session.get(User, u.id), sub.id, current_sha(c, sub))
    # out of every mapped group: no access any more, account deactivated
    slapd.move(name, "freigabe-dsb", None)
    with pytest.raises(E.AuthenticationFailed):
        accounts.authenticate(fresh(), name, PW)
    assert _user(ctx, name).active is False
    assert fresh().session.get(DirectoryAccount, u.id).disabled_reason == "no_group"


def test_periodic_sync_follows_the_directory_without_a_sign_on(ctx, fresh, slapd):
    a, b, gone = slapd.unique("sync"), slapd.unique("sync"), slapd.unique("sync")
    for n in (a, b, gone):
        slapd.add_user(n, groups=["freigabe-statistik"])
        accounts.authenticate(fresh(), n, PW)
    slapd.disable(a)
    slapd.move(b, "freigabe-statistik", "freigabe-admin")
    slapd.delete(gone)
    counts = directory.sync_all(fresh())
    assert counts == {"disabled": 1, "updated": 1, "removed": 1}
    assert _user(ctx, a).active is False and _user(ctx, b).role == "admin" and _user(ctx, gone).active is False
    assert directory.sync_all(fresh()) == {"disabled": 1, "unchanged": 1, "removed": 1}


def test_local_accounts_stay_and_an_unreachable_directory_locks_out_only_directory_users(app, ctx, fresh,
                                                                                          slapd, users):
    name = slapd.unique("stat")
    slapd.add_user(name, groups=["freigabe-statistik"])
    accounts.authenticate(fresh(), name, PW)
    # break-glass admin and externals: local accounts, checked by Freigabe (the directory is not asked)
    from tests.conftest import TEST_PASSWORD

    assert accounts.authenticate(fresh(), "adele", TEST_PASSWORD).role == "admin"
    with pytest.raises(E.InvalidInput):  # the directory keeps a directory account's password
        accounts.set_password(fresh(), None, _user(ctx, name).id, "Neues-Passwort-2026")
    c = fresh()
    c.settings["LDAP_URL"] = f"ldaps://127.0.0.1:{_closed_port()}"
    with pytest.raises(E.AuthenticationFailed) as exc:
        accounts.authenticate(c, name, PW)
    assert exc.value.code == directory.DIRECTORY_UNAVAILABLE
    assert "Verzeichnisdienst" in exc.value.message("de")
    assert _user(ctx, name).active is True  # nobody is deactivated because the directory is down
    assert accounts.authenticate(c, "adele", TEST_PASSWORD).role == "admin"
    c.settings["LDAP_URL"] = slapd.ldaps_url
    assert directory.sync_all(c) == {"unchanged": 1}


def _closed_port() -> int:
    from tests.servers_directory import free_port

    return free_port()


def test_tls_is_required_and_checked(fresh, slapd, tmp_path):
    from publisher.directory import Directory, DirectoryError
    from tests.servers_directory import make_ca

    name = slapd.unique("tls")
    slapd.add_user(name, groups=["freigabe-statistik"])
    c = fresh()
    c.settings.update(LDAP_URL=slapd.ldap_url, LDAP_STARTTLS=False)
    with pytest.raises(DirectoryError, match="plain LDAP"):
        Directory(c.settings)
    c.settings["LDAP_STARTTLS"] = True  # ldap:// + StartTLS
    assert accounts.authenticate(c, name, PW).role == "submitter"
    c = fresh()
    c.settings["LDAP_CA_FILE"] = str(make_ca(tmp_path / "fremd").ca_file)  # a CA that did not sign slapd's cert
    with pytest.raises(E.AuthenticationFailed) as exc:
        accounts.authenticate(c, name, PW)
    assert exc.value.code == directory.DIRECTORY_UNAVAILABLE


def test_web_sign_on_lands_with_the_directory_role(client, auth, slapd):
    name = slapd.unique("dsb")
    slapd.add_user(name, groups=["freigabe-dsb"], name="Dora Direktori")
    r = auth.login(name, PW)
    assert r.status_code == 303
    page = client.get("/dashboard")
    assert page.status_code == 200 and "Dora Direktori" in page.get_data(as_text=True)
    assert client.get("/review").status_code == 200  # the approver's queue
    assert client.get("/submissions/new").status_code == 403
