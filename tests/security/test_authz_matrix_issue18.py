"""The authorization matrix for issue 18's kinds of accounts (every route × these actors, same scene).

* ``directory_approver`` / ``directory_submitter``: accounts made by signing on against the real OpenLDAP (DPO
  group / statistics group) - must get exactly what the local ``approver`` / ``other_submitter`` get.
* ``external_reader``: an invited external reader of group ``sozialplanung`` (accepted invitation) - exactly
  what the local ``reader`` gets.
* ``expired_external``: an invited reader whose account ran out while signed in - exactly what ``anonymous``
  gets (the session is gone, nothing of the group is reachable); its API token is refused (401) everywhere.
* ``requester``: holds a live delivery link of their own request, otherwise anonymous - exactly what
  ``anonymous`` gets; their link serves their delivery only (another request's link is 404, the delivery's
  release page is not theirs).
Every refused POST leaves the stored state unchanged; the raw-table sentinel is never shown to the external
reader, the expired one or the requester.
"""
from __future__ import annotations

from publisher.manifest import current_sha  # noqa: E402

import datetime as dt
import re

import pytest

from publisher.db import utcnow
from publisher.services import Ctx
from tests.security.test_authz_matrix import EXPECT, REFUSAL_EVENTS, Scene, _cells, _csrf, classify

PW = "Directory-Pass-2026"
EXTRA = {"directory_approver": "approver", "directory_submitter": "other_submitter",
         "external_reader": "reader", "expired_external": "anonymous", "requester": "anonymous"}


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    import shutil

    path = tmp_path / "freigabe.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(app_config, ldap_settings):
    # the scene moves the clock 31 days ahead so that one external account ends while its session is open:
    # sessions themselves must outlive that jump (their own limits are tested in tests/trust)
    return {**app_config, **ldap_settings, "SESSION_MAX_HOURS": 24.0 * 60, "SESSION_IDLE_MINUTES": 60.0 * 24 * 60}


def _login(app, username, password):
    cl = app.test_client()
    r = cl.post("/login", data={"username": username, "password": password, "csrf_token": _csrf(cl.get("/login").data)})
    assert r.status_code == 303, (username, r.status_code)
    return cl


@pytest.fixture
def scene(app, ctx, fresh, users, make_user, hierarchy, city, slapd, monkeypatch):
    from publisher import worker
    from publisher.services import invitations, reference, review
    from publisher.services import requests as rq

    s = Scene(app, ctx, fresh, users, make_user, hierarchy, city)
    dsb, stat = slapd.unique("mdsb"), slapd.unique("mstat")
    slapd.add_user(dsb, groups=["freigabe-dsb"])
    slapd.add_user(stat, groups=["freigabe-statistik"])
    s.clients["directory_approver"] = _login(app, dsb, PW)
    s.clients["directory_submitter"] = _login(app, stat, PW)
    for name, days in (("extern-ok", 90), ("extern-alt", 30)):
        end = (utcnow() + dt.timedelta(days=days)).date()
        _, path = invitations.invite(fresh(), users["admin"], f"{name}@verein.example", "sozialplanung", end)
        invitations.accept(fresh(), path.rsplit("/", 1)[1], username=name, password="Extern-Passwort-2026")
    s.clients["external_reader"] = _login(app, "extern-ok", "Extern-Passwort-2026")
    s.clients["expired_external"] = _login(app, "extern-alt", "Extern-Passwort-2026")
    # the requester: a delivered request with a live link (they hold it; otherwise anonymous)
    from publisher.demo import german_csv

    reference.ensure_default_rule_set(ctx)
    from publisher.services import populations  # a population is admin reference data (issue 13/14)

    for n in (1, 2):
        populations.create_population(fresh(), users["admin"], f"Anfragen {n}", slug=f"anfragen-{n}")
    links = []
    for n in (1, 2):
        req = rq.record(fresh(), users["submitter"], requester_name=f"R{n}", requester_email=f"r{n}@example.org",
                        subject="s", purpose="p", legal_basis="l")
        rows = [(st, 10 + n) for st in sorted({b[:4] for b in city.block_codes})]
        sub = rq.prepare(fresh(), users["submitter"], req.id, data=german_csv(["stadtteil", "anzahl"], rows),
                         filename="st.csv", metadata={"title": "t", "reference_period": f"2026-0{n}",
                                                      "contact": "x@example.org"},
                         mapping={"geo_column": "stadtteil", "count_columns": ["anzahl"], "geo_level": "stadtteil"},
                         population=f"anfragen-{n}", hierarchy=hierarchy.id)
        sub = review.submit(fresh(), users["submitter"], sub.id)
        review.approve(fresh(), users["approver"], sub.id, current_sha(fresh(), sub))
        assert worker.run(app, once=True) >= 1
        links.append((sub.id, rq.reissue_link(fresh(), users["submitter"], req.id)))
    s.requester_link, s.requester_sub = links[0][1].replace("https://freigabe.stadt.example", ""), links[0][0]
    s.other_link = links[1][1].replace("https://freigabe.stadt.example", "")
    s.clients["requester"] = app.test_client()
    page = s.clients["requester"].get(s.requester_link)
    assert page.status_code == 200
    s.requester_file = re.search(r'/delivery/[^/"]+/([^"]+\.csv)"', page.get_data(as_text=True)).group(1)
    from publisher.services import accounts

    for actor, name in (("directory_approver", dsb), ("directory_submitter", stat), ("external_reader", "extern-ok"),
                        ("expired_external", "extern-alt")):
        s.tokens[actor] = accounts.create_token(fresh(), None, name)[1]
    # the expired external: the account ends while the session is open
    later = utcnow() + dt.timedelta(days=31)
    monkeypatch.setattr(Ctx, "now", lambda self: later)
    for actor in EXTRA:
        page = "/login" if EXTRA[actor] == "anonymous" else "/downloads"
        s.csrf[actor] = _csrf(s.clients[actor].get(page).data)
    return s


def test_issue18_actors_get_exactly_what_their_local_counterparts_get(app, scene):
    failures, leaks = [], []
    for rule, method in _cells(app):
        if rule.endpoint == "web.logout":
            continue  # ends the session the other cells use; covered by the main matrix
        url = scene.url(rule)
        row = EXPECT[(rule.rule, method)]
        for actor, like in EXTRA.items():
            expected = row[like]
            if actor == "expired_external" and url.startswith("/api/") \
                    and not (url.endswith("openapi.json") or url.startswith("/api/v1/problems")):
                # its dead token is refused (401) before anything is looked up, also where no token is needed;
                # only the API's own description (OpenAPI, problem types) is served whatever the token
                expected = "login"
            before = scene.snapshot() if method == "POST" and expected != "ok" else None
            if url.startswith("/api/") and actor == "requester":  # holds no token: anonymous to the API
                resp = scene.request("anonymous", method, url)
            else:
                resp = scene.request(actor, method, url)
            got = classify(resp)
            if got != expected:
                failures.append(f"{method} {url} as {actor} (like {like}): expected {expected}, got {got}")
            if before is not None:
                after = scene.snapshot()
                changed = [t for t in before if before[t] != after[t]]
                if changed:
                    failures.append(f"refused {method} {url} as {actor} changed tables {changed}")
            if actor in ("external_reader", "expired_external", "requester"):
                body = resp.get_data()
                leaks += [f"{method} {url} as {actor}" for s in scene.sentinels if s in body]
    assert leaks == []
    assert failures == [], "\n".join(failures)
    assert REFUSAL_EVENTS


def test_the_requesters_link_serves_only_their_delivery(scene):
    cl, name = scene.clients["requester"], scene.requester_file
    # 31 days later the unused link has died (REQUEST_LINK_DAYS = 14): page and file are 410
    assert cl.get(scene.requester_link).status_code == 410
    assert cl.get(f"{scene.requester_link}/{name}").status_code == 410
    assert cl.get(f"/releases/{scene.requester_sub}").status_code in (403, 404)
    assert cl.get("/delivery/" + "b" * 43).status_code == 404
    # another request's link is its own: it does not open this one's files
    other = scene.other_link
    assert cl.get(f"{other}/{name}").status_code in (404, 410)
