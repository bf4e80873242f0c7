"""Authorization matrix (issue 7 item 1): every route of ``app.url_map`` × every actor → expected outcome.

* :data:`EXPECT` maps ``(rule, method)`` to the outcome per actor; a route of the app without an entry (or an
  entry without a route) fails :func:`test_every_route_has_an_entry_in_the_matrix`.
* Outcomes: ``ok`` (served / accepted: 2xx or a redirect that is not to the login page), ``login``
  (authentication needed: 401 or redirect to /login; for logout: the redirect to the login page), ``403``,
  ``404``, and for permitted actions posted with an empty form the service's ``409`` (wrong state) or
  ``422`` (invalid input): the permission check passed, the empty form was refused.
* Every refused POST leaves the stored state unchanged (all tables compared before/after; only audit rows
  that record a refusal may be added).
* The raw submitted table never reaches anonymous users or readers: a sentinel value is planted only in the
  raw uploads (an extra column the releasable table drops) together with the raw files' sha256, and every
  response body those actors get - pages, file and export links, API - is searched for them.

The web actors use the HTML UI with a session (and CSRF tokens, so refusals are about authorization and not
CSRF); the API actors use a bearer token each.  Runs on SQLite only (HTTP behaviour; the services' access
rules run on both backends in tests/service).
"""
from __future__ import annotations

import os
import re
import shutil

import pytest
from sqlalchemy import select

from tests.conftest import LONG_HEADER, LONG_MAPPING, TEST_PASSWORD, meta

ACTORS = ("anonymous", "submitter", "other_submitter", "approver", "admin", "reader", "outsider")
USERNAMES = {"submitter": "sabine", "other_submitter": "otto", "approver": "dora", "admin": "adele",
             "reader": "rita", "outsider": "rolf"}
SENTINEL = "RAWSENTINEL-Q7Z-9f41"
LEAK_CHECKED = ("anonymous", "reader", "outsider")

# audit events a refused request may add (the refusal itself, security events)
REFUSAL_EVENTS = ("access.", "authz.", "ratelimit.", "login.", "security.")


def _row(anon, sub, other, appr, admin, reader, outsider) -> dict[str, str]:
    return dict(zip(ACTORS, (anon, sub, other, appr, admin, reader, outsider)))


# (rule, method) -> outcome per actor.  Targets: see ``Scene.url`` (the submitter's submission that is
# waiting for review; the published restricted release of group "sozialplanung"; user = an uninvolved account)
#
# Reviewed by hand.  Notes on cells that are not a plain ok/403:
# * other_submitter gets 403 on submit/resubmit/withdraw of someone else's submission in any state:
#   workflow.check_user_can checks authorship before the state, so the answer does not reveal the state
#   (found by this matrix: it used to be a 409 naming the state).
# * POST /api/v1/submissions answers 422 "file missing" to every role for an empty body (input is checked
#   before the role); with a valid upload non-submitters get 403: see test_api_upload_by_non_submitters.
# * the restricted release (page and files) is 403 for anonymous users too (no login redirect).
# * logout: "login" = the redirect to the login page after logging out.
EXPECT: dict[tuple[str, str], dict[str, str]] = {
    ('/', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/admin/categories', 'GET'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/categories', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/admin/hierarchies', 'GET'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/hierarchies', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/admin/rule-sets', 'GET'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/rule-sets', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/admin/populations', 'GET'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/populations', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/admin/users', 'GET'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/users', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/admin/users/<int:user_id>/active', 'POST'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/users/<int:user_id>/unlock', 'POST'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/api/v1/openapi.json', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/api/v1/releases', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/api/v1/submissions', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/api/v1/submissions', 'POST'): _row('login', '422', '422', '422', '422', '422', '422'),
    ('/api/v1/submissions/<int:submission_id>', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/approve', 'POST'): _row('login', '403', '403', 'ok', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/reject', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/resubmit', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/return', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/submit', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/withdraw', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/audit', 'GET'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/audit/export.<fmt>', 'GET'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/calendar', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    # standing approval: the matrix posts no submission_id, so the approver's grant is a 404 (no such template)
    ('/series/<int:series_id>/standing-approval', 'POST'): _row('login', '403', '403', '404', '403', '403', '403'),
    ('/series/<int:series_id>/standing-approval/revoke', 'POST'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/dashboard', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/downloads', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/downloads/<topic>/<series>/<version>/<filename>', 'GET'): _row('403', '403', '403', 'ok', 'ok', 'ok', '403'),
    ('/login', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/login', 'POST'): _row('422', '422', '422', '422', '422', '422', '422'),
    ('/logout', 'POST'): _row('login', 'login', 'login', 'login', 'login', 'login', 'login'),
    ('/releases', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/releases/<int:submission_id>', 'GET'): _row('403', '403', '403', 'ok', 'ok', 'ok', '403'),
    ('/review', 'GET'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/review/<int:submission_id>', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/review/<int:submission_id>/approve', 'POST'): _row('login', '403', '403', '409', '403', '403', '403'),
    ('/review/<int:submission_id>/reject', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/review/<int:submission_id>/return', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/static/<path:filename>', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/submissions/<int:submission_id>', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/submissions/<int:submission_id>/edit', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/submissions/<int:submission_id>/resubmit', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/submissions/<int:submission_id>/submit', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/submissions/<int:submission_id>/withdraw', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/submissions/check', 'POST'): _row('login', '422', '422', '403', '403', '403', '403'),
    ('/submissions/check/<token>', 'GET'): _row('login', '403', '403', '403', '403', '403', '403'),
    ('/submissions/new', 'GET'): _row('login', 'ok', 'ok', '403', '403', '403', '403'),
    ('/submissions/new', 'POST'): _row('login', '422', '422', '403', '403', '403', '403'),
    ('/versions/<int:version_id>/raw', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/versions/<int:version_id>/releasable.csv', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
}


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    path = tmp_path / "freigabe.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


# --- scene ---------------------------------------------------------------------------------------------

def _raw_table(city, seed: int) -> bytes:
    from publisher.demo import counts_long, german_csv

    rows = counts_long(city, ["2026-07"], seed=seed, small_cells=True)
    return german_csv(LONG_HEADER + ["bemerkung"], [list(r) + [SENTINEL] for r in rows])


class Scene:
    def __init__(self, app, ctx, fresh, users, make_user, hierarchy, city):
        from publisher import worker
        from publisher.models import PublicationJob
        from publisher.services import accounts, intake, reference, review

        reference.ensure_default_rule_set(ctx)
        self.app, self.fresh, self.users = app, fresh, users
        self.victim = make_user("submitter", "vera")

        def draft(seed, **m):
            return intake.create_draft(ctx, users["submitter"], data=_raw_table(city, seed), filename="tabelle.csv",
                                       metadata=meta(**m), mapping=LONG_MAPPING, series="testreihe",
                                       hierarchy=hierarchy.id)

        restricted = {"audience": "restricted", "groups": ["sozialplanung"]}
        pub = review.submit(ctx, users["submitter"], draft(11, **restricted).id)
        pub = review.approve(ctx, users["approver"], pub.id, pub.current_version.artifact_sha256)
        assert worker.run(app, once=True) >= 1
        self.pub_id, self.pub_version = pub.id, pub.current_version.id
        self.series_id = pub.series_id
        job = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == pub.id)
                                      ).scalar_one()
        assert job.state == "done", job.last_error
        self.release = job.result
        opened = review.submit(ctx, users["submitter"], draft(12).id)
        self.open_id, self.open_version = opened.id, opened.current_version.id
        # sent with every POST: approve then reaches the permission check (not "field missing")
        self.open_sha = opened.current_version.artifact_sha256
        self.sentinels = [SENTINEL.encode(), pub.current_version.raw_sha256.encode(),
                          opened.current_version.raw_sha256.encode()]
        self.tokens = {a: accounts.create_token(ctx, None, USERNAMES[a])[1] for a in USERNAMES}
        self.clients = {"anonymous": app.test_client()}
        for actor, name in USERNAMES.items():
            cl = app.test_client()
            page = cl.get("/login")
            tok = _csrf(page.data)
            r = cl.post("/login", data={"username": name, "password": TEST_PASSWORD, "csrf_token": tok})
            assert r.status_code == 303, (actor, r.status_code)
            self.clients[actor] = cl
        self.csrf = {a: _csrf(c.get("/login" if a == "anonymous" else "/downloads").data)
                     for a, c in self.clients.items()}

    def url(self, rule) -> str:
        r = self.release
        values = {"submission_id": self.pub_id if rule.rule.startswith("/releases/") else self.open_id,
                  "version_id": self.pub_version, "user_id": self.victim.id, "token": "a" * 32,
                  "topic": r["topic"], "series": r["series"], "version": r["version"],
                  "filename": f"{r['series']}.csv", "fmt": "csv", "series_id": self.series_id}
        if rule.endpoint == "static":
            values["filename"] = "freigabe.css"
        args = {k: values[k] for k in rule.arguments}
        with self.app.test_request_context():
            from flask import url_for

            return url_for(rule.endpoint, **args)

    def request(self, actor: str, method: str, url: str):
        if url.startswith("/api/"):
            client = self.app.test_client()
            headers = {} if actor == "anonymous" else {"Authorization": f"Bearer {self.tokens[actor]}"}
            if method == "POST":
                return client.post(url, headers=headers, json={"artifact_sha256": self.open_sha})
            return client.get(url, headers=headers)
        client = self.clients[actor]
        if method == "POST":
            return client.post(url, data={"csrf_token": self.csrf[actor], "artifact_sha256": self.open_sha})
        return client.get(url)

    def snapshot(self) -> dict[str, list]:
        from publisher.models import Base

        s = self.fresh().session
        out = {}
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if (table.name, c.name) not in
                    {("api_tokens", "last_used_at"), ("users", "last_login_at")}]
            rows = [tuple(r) for r in s.execute(select(*cols)).all()]
            if table.name == "audit_events":
                ev = [c.name for c in cols].index("event")
                rows = [r for r in rows if not str(r[ev]).startswith(REFUSAL_EVENTS)]
            if table.name == "audit_head":
                rows = []  # advances with any refusal row; the rows themselves are compared above
            out[table.name] = sorted(rows, key=repr)
        s.close()
        return out


def _csrf(page: bytes) -> str:
    m = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert m, "no CSRF token on page"
    return m.group(1).decode()


def classify(resp) -> str:
    if resp.status_code == 401 or (resp.status_code in (301, 302, 303, 307, 308)
                                   and "/login" in resp.headers.get("Location", "")):
        return "login"
    if resp.status_code < 400:
        return "ok"
    return str(resp.status_code)


def _cells(app):
    cells = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cells.append((rule, method))
    # reads first, then writes; approve late (the approver's approval succeeds and changes the state);
    # logout last (it ends the sessions the other cells use)
    return sorted(cells, key=lambda c: (c[1] == "POST", c[0].endpoint == "web.logout",
                                        c[0].rule.endswith("/approve"), c[0].rule))


@pytest.fixture
def scene(app, ctx, fresh, users, make_user, hierarchy, city):
    return Scene(app, ctx, fresh, users, make_user, hierarchy, city)


def test_every_route_has_an_entry_in_the_matrix(app):
    routes = {(rule.rule, m) for rule, m in _cells(app)}
    assert sorted(routes - set(EXPECT)) == [], "routes without an entry in the authorization matrix"
    assert sorted(set(EXPECT) - routes) == [], "matrix entries for routes that no longer exist"
    for key, row in EXPECT.items():
        assert set(row) == set(ACTORS), key


def test_authorization_matrix(app, scene):
    observed: dict[tuple[str, str], dict[str, str]] = {}
    failures, leaks = [], []
    for rule, method in _cells(app):
        url = scene.url(rule)
        row = EXPECT.get((rule.rule, method), {})
        for actor in ACTORS:
            expected = row.get(actor)
            before = scene.snapshot() if method == "POST" and expected != "ok" else None
            resp = scene.request(actor, method, url)
            got = classify(resp)
            observed.setdefault((rule.rule, method), {})[actor] = got
            if got != expected:
                failures.append(f"{method} {url} as {actor}: expected {expected}, got {got} ({resp.status_code})")
            if before is not None:
                after = scene.snapshot()
                changed = [t for t in before if before[t] != after[t]]
                if changed:
                    failures.append(f"refused {method} {url} as {actor} changed tables {changed}")
            if actor in LEAK_CHECKED:
                body = resp.get_data()
                for s in scene.sentinels:
                    if s in body:
                        leaks.append(f"{method} {url} as {actor} shows raw-table sentinel {s[:20]!r}")
    if os.environ.get("P7A_DISCOVER"):
        for key in sorted(observed):
            print(f"    {key!r}: _row({', '.join(repr(observed[key][a]) for a in ACTORS)}),")
    assert leaks == []
    assert failures == [], "\n".join(failures)


def test_raw_table_is_not_reachable_by_anonymous_or_readers_on_extra_links(scene):
    """Links outside the matrix targets: the unpublished submission, its raw file, 'latest', the API."""
    r = scene.release
    urls = [f"/versions/{scene.open_version}/raw", f"/versions/{scene.open_version}/releasable.csv",
            f"/submissions/{scene.open_id}", f"/review/{scene.open_id}", f"/releases/{scene.open_id}",
            f"/api/v1/submissions/{scene.open_id}", f"/api/v1/submissions/{scene.pub_id}",
            f"/downloads/{r['topic']}/{r['series']}/latest/{r['series']}.csv", "/api/v1/releases", "/releases",
            "/downloads", f"/releases/{scene.pub_id}"]
    urls += [f"/downloads/{r['topic']}/{r['series']}/{r['version']}/{name}" for name in r["files"]]
    for actor in LEAK_CHECKED:
        for url in urls:
            resp = scene.request(actor, "GET", url)
            body = resp.get_data()
            assert not any(s in body for s in scene.sentinels), (actor, url)
            if "/raw" in url or "/submissions/" in url or "/review/" in url:
                assert classify(resp) in ("login", "403", "404"), (actor, url, resp.status_code)
    # the reader of the group does get the published files (so the scan above searched real content)
    got = scene.request("reader", "GET", f"/downloads/{r['topic']}/{r['series']}/latest/{r['series']}.csv")
    assert got.status_code == 200 and (b";" in got.data or b"," in got.data)


def test_other_submitter_cannot_act_on_a_draft_in_the_right_state(scene, ctx, users, hierarchy, city):
    from publisher.models import Submission
    from publisher.services import intake

    draft = intake.create_draft(ctx, users["submitter"], data=_raw_table(city, 21), filename="t.csv",
                                metadata=meta(), mapping=LONG_MAPPING, series="testreihe", hierarchy=hierarchy.id)
    before = scene.snapshot()
    for url in (f"/submissions/{draft.id}/submit", f"/submissions/{draft.id}/withdraw",
                f"/api/v1/submissions/{draft.id}/submit", f"/api/v1/submissions/{draft.id}/withdraw"):
        resp = scene.request("other_submitter", "POST", url)
        assert resp.status_code == 403, (url, resp.status_code)
    assert scene.snapshot() == before
    assert scene.fresh().session.get(Submission, draft.id).state == "draft"


def test_api_upload_by_non_submitters_is_refused_and_stores_nothing(scene, city):
    import io
    import json

    before = scene.snapshot()
    for actor in ("approver", "admin", "reader", "outsider"):
        resp = scene.app.test_client().post(
            "/api/v1/submissions", headers={"Authorization": f"Bearer {scene.tokens[actor]}"},
            data={"file": (io.BytesIO(_raw_table(city, 31)), "t.csv"), "metadata": json.dumps(meta()),
                  "mapping": json.dumps(LONG_MAPPING), "series": "testreihe"},
            content_type="multipart/form-data")
        assert resp.status_code == 403, (actor, resp.status_code, resp.get_data(as_text=True)[:300])
        assert resp.get_json()["error"]["code"]
    assert scene.snapshot() == before
