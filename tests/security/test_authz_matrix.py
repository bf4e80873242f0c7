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

from publisher.manifest import current_sha
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
LEAK_CHECKED = ("anonymous", "reader", "outsider", "other_submitter")
# issue 14: a count that the rules suppress (below the threshold of its rule set), planted in a restricted
# release; it must never appear in any response of any actor (German, plain and English formatting)
SMALL_SENTINEL = 48271906
SMALL_SENTINELS = (b"48271906", b"48.271.906", b"48,271,906", b"48 271 906")

# audit events a refused request may add (the refusal itself, security events)
# (+ issue 14: "raw." - a refused form re-renders the review page, whose raw table view is an audited read)
REFUSAL_EVENTS = ("access.", "authz.", "ratelimit.", "login.", "security.", "raw.")


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
# * the restricted release (page and files) is 404 for everyone outside its groups (issue 14: a restricted
#   release is indistinguishable from one that does not exist; no version or group named).
# * logout: "login" = the redirect to the login page after logging out.
# * stop / withdraw-release (issue 14): DPO and admin pass the permission check and get 409 (the target is
#   waiting for review, neither approved nor published).
# * retry of a publication job (issue 14 item 10): the target is the restricted release's done job, so DPO and
#   admin pass the permission check and get 409 (only failed jobs are retried); the failed list shows a
#   submitter only their own submissions' jobs.
EXPECT: dict[tuple[str, str], dict[str, str]] = {
    ('/', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/account', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/account/password', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/account/password', 'POST'): _row('login', '422', '422', '422', '422', '422', '422'),
    # issue 14: someone else's token is 404 (as if it did not exist); admins may revoke any token
    ('/account/tokens/<int:token_id>/revoke', 'POST'): _row('login', '404', '404', '404', 'ok', '404', '404'),
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
    ('/admin/users/<int:user_id>/reset-password', 'POST'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/users/<int:user_id>/role', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/admin/users/<int:user_id>/unlock', 'POST'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/api/v1/openapi.json', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/api/v1/problems', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/api/v1/problems/<code>', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/api/v1/releases', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    # the restricted release of group "sozialplanung": 404 (not 403) for everyone else, so nothing leaks
    ('/api/v1/releases/<int:submission_id>', 'GET'): _row('404', '404', '404', 'ok', 'ok', 'ok', '404'),
    ('/api/v1/submissions', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/api/v1/submissions', 'POST'): _row('login', '422', '422', '422', '422', '422', '422'),
    ('/api/v1/submissions/<int:submission_id>', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/approve', 'POST'): _row('login', '403', '403', 'ok', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/reject', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/resubmit', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/return', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/submit', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/withdraw', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/stop', 'POST'): _row('login', '403', '403', '409', '409', '403', '403'),
    ('/api/v1/submissions/<int:submission_id>/withdraw-release', 'POST'): _row('login', '403', '403', '409', '409', '403', '403'),
    ('/api/v1/publication-jobs/failed', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/api/v1/publication-jobs/<int:job_id>/retry', 'POST'): _row('login', '403', '403', '409', '409', '403', '403'),
    ('/audit', 'GET'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/audit/export.<fmt>', 'GET'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/calendar', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    # standing approval: the matrix posts no submission_id, so the approver's grant is a 404 (no such template)
    # issue 14: the approver confirms the admin's pending role grant (a second person); afterwards it is done (409)
    ('/role-grants/<int:grant_id>/cancel', 'POST'): _row('login', '403', '403', '409', '409', '403', '403'),
    ('/role-grants/<int:grant_id>/confirm', 'POST'): _row('login', '403', '403', 'ok', '409', '403', '403'),
    ('/series/<int:series_id>/standing-approval', 'POST'): _row('login', '403', '403', '404', '403', '403', '403'),
    ('/series/<int:series_id>/standing-approval/revoke', 'POST'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/dashboard', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/downloads', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/downloads/<topic>/<series>/<version>/<filename>', 'GET'): _row('404', '404', '404', 'ok', 'ok', 'ok', '404'),
    ('/login', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/login', 'POST'): _row('422', '422', '422', '422', '422', '422', '422'),
    ('/logout', 'POST'): _row('login', 'login', 'login', 'login', 'login', 'login', 'login'),
    ('/publications/failed', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/publications/jobs/<int:job_id>/retry', 'POST'): _row('login', '403', '403', '409', '409', '403', '403'),
    ('/releases', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/releases/<int:submission_id>', 'GET'): _row('404', '404', '404', 'ok', 'ok', 'ok', '404'),
    ('/review', 'GET'): _row('login', '403', '403', 'ok', 'ok', '403', '403'),
    ('/review/<int:submission_id>', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/review/<int:submission_id>/approve', 'POST'): _row('login', '403', '403', '409', '403', '403', '403'),
    ('/review/<int:submission_id>/reject', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/review/<int:submission_id>/return', 'POST'): _row('login', '403', '403', '422', '403', '403', '403'),
    ('/review/<int:submission_id>/stop', 'POST'): _row('login', '403', '403', '409', '409', '403', '403'),
    ('/review/<int:submission_id>/withdraw-release', 'POST'): _row('login', '403', '403', '409', '409', '403', '403'),
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
    # --- issue 18 (directory, invitations, requests, notifications; more actors in test_authz_matrix_issue18.py)
    ('/account/notifications', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/account/notifications', 'POST'): _row('login', '422', '422', '422', '422', '422', '422'),
    ('/invitations', 'GET'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/invitations', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/invitations/<int:invitation_id>/revoke', 'POST'): _row('login', '403', '403', '403', '404', '403', '403'),
    ('/invitations/accounts/<int:user_id>/expiry', 'POST'): _row('login', '403', '403', '403', '404', '403', '403'),
    ('/invitations/owners', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/invitation/<token>', 'GET'): _row('404', '404', '404', '404', '404', '404', '404'),
    ('/invitation/<token>', 'POST'): _row('404', '404', '404', '404', '404', '404', '404'),
    ('/requests', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/requests', 'POST'): _row('login', '422', '422', '403', '403', '403', '403'),
    ('/requests/<int:request_id>', 'GET'): _row('login', '404', '404', '404', '404', '403', '403'),
    ('/requests/<int:request_id>/prepare', 'POST'): _row('login', '404', '404', '403', '403', '403', '403'),
    ('/requests/<int:request_id>/link', 'POST'): _row('login', '404', '404', '403', '403', '403', '403'),
    ('/requests/<int:request_id>/close', 'POST'): _row('login', '404', '404', '403', '403', '403', '403'),
    ('/delivery/<token>', 'GET'): _row('404', '404', '404', '404', '404', '404', '404'),
    ('/delivery/<token>/<filename>', 'GET'): _row('404', '404', '404', '404', '404', '404', '404'),
    ('/help', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/help/<name>', 'GET'): _row('login', '404', '404', '404', '404', '404', '404'),
    # issue 17: the glossary and the rules document are public; area code lists and upload templates are for staff
    ('/hilfe', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/hilfe/regeln', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/gebiete', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/gebiete/<int:hierarchy_id>.<fmt>', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/reihen/<int:series_id>/vorlage.csv', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    # issue 17 item 4: the time series of a series, public releases only (the scene's series has a public one)
    ('/reihen/<int:series_id>/zeitreihe.csv', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    ('/reihen/<int:series_id>/zeitreihe.xlsx', 'GET'): _row('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
    # issue 17 (geo): boundaries are admin reference data; the release's map/GeoJSON downloads are isolated like
    # the release page (the matrix's release is restricted to "sozialplanung" and binds uploaded boundaries)
    ('/admin/hierarchies/<int:hierarchy_id>/boundaries', 'GET'): _row('login', '403', '403', '403', 'ok', '403', '403'),
    ('/admin/hierarchies/<int:hierarchy_id>/boundaries', 'POST'): _row('login', '403', '403', '403', '422', '403', '403'),
    ('/releases/<int:submission_id>/gebiete.geojson', 'GET'): _row('404', '404', '404', 'ok', 'ok', 'ok', '404'),
    ('/releases/<int:submission_id>/karte.svg', 'GET'): _row('404', '404', '404', 'ok', 'ok', 'ok', '404'),
    ('/releases/<int:submission_id>/karte.png', 'GET'): _row('404', '404', '404', 'ok', 'ok', 'ok', '404'),
    # issue 17 item 4: reports.  The target is the submitter's empty COLLECTING report: the public page and the
    # workbook are 404 for everyone until it is published; other submitters see nothing of it (403); only its
    # owner adds/removes tables and completes it (empty form: 422; a table not in it: 409; empty report: 409);
    # the DPO and admins may withdraw (empty reason: 422); creating is for statistics staff only
    ('/berichte/verwaltung', 'GET'): _row('login', 'ok', 'ok', 'ok', 'ok', '403', '403'),
    ('/berichte/verwaltung', 'POST'): _row('login', '422', '422', '403', '403', '403', '403'),
    ('/berichte/<int:report_id>/verwaltung', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/berichte/<int:report_id>/tabellen', 'POST'): _row('login', '422', '403', '403', '403', '403', '403'),
    ('/berichte/<int:report_id>/tabellen/<int:submission_id>/entfernen', 'POST'): _row(
        'login', '409', '403', '403', '403', '403', '403'),
    ('/berichte/<int:report_id>/abschliessen', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
    ('/berichte/<int:report_id>/zurueckziehen', 'POST'): _row('login', '422', '403', '422', '422', '403', '403'),
    ('/berichte/<int:report_id>', 'GET'): _row('404', '404', '404', '404', '404', '404', '404'),
    ('/berichte/<int:report_id>.xlsx', 'GET'): _row('404', '404', '404', '404', '404', '404', '404'),
    ('/api/v1/reports', 'POST'): _row('login', '422', '422', '403', '403', '403', '403'),
    ('/api/v1/reports/<int:report_id>', 'GET'): _row('login', 'ok', '403', 'ok', 'ok', '403', '403'),
    ('/api/v1/reports/<int:report_id>/members', 'POST'): _row('login', '422', '403', '403', '403', '403', '403'),
    ('/api/v1/reports/<int:report_id>/complete', 'POST'): _row('login', '409', '403', '403', '403', '403', '403'),
}


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    path = tmp_path / "freigabe.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


# --- scene ---------------------------------------------------------------------------------------------

def _raw_table(city, seed: int, add: int = 0) -> bytes:
    from publisher.demo import counts_long, german_csv

    rows = counts_long(city, ["2026-07"], seed=seed, small_cells=True)
    # issue 13: other periods of the series are the same table grown by ``add`` (a change of 1 or 2 is refused)
    rows = [(*r[:-1], r[-1] + add if r[-1] else 0) for r in rows]
    return german_csv(LONG_HEADER + ["bemerkung"], [list(r) + [SENTINEL] for r in rows])


def _extra_releases(app, ctx, fresh, users, hierarchy, city, draft) -> dict:
    """Issue 14: a mixed-audience series (public releases next to the restricted one), a withdrawn and an
    embargoed release, and a restricted release whose suppressed cell holds :data:`SMALL_SENTINEL`."""
    import datetime as dt
    import random

    from publisher import worker
    from publisher.db import utcnow
    from publisher.demo import german_csv
    from publisher.models import PublicationJob
    from publisher.services import intake, reference, review, withdrawal

    def approve(sub, **kw):
        sub = review.submit(ctx, users["submitter"], sub.id)
        return review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub), **kw)

    def result(sub_id):
        job = fresh().session.execute(select(PublicationJob).where(
            PublicationJob.submission_id == sub_id, PublicationJob.target == "download",
            PublicationJob.purpose == "publish")).scalar_one()
        assert job.state == "done", job.last_error
        return job.result

    public = approve(draft(11, add=3, reference_period="2026-06"))
    gone = approve(draft(11, add=6, reference_period="2026-05"))
    assert worker.run(app, once=True) >= 2
    withdrawal.withdraw_release(ctx, users["approver"], gone.id, "Fehler in der Quelle entdeckt")
    worker.run(app, once=True)
    embargoed = approve(draft(11, add=12, reference_period="2026-08"),
                        embargo_until=utcnow() + dt.timedelta(days=30))
    rs = reference.create_rule_set(ctx, users["admin"], "hohe-schwelle", overrides={"min_count": 100_000_000})
    rnd = random.Random(5)
    rows = [(b, "2026-07", st, 150_000_000 + rnd.randint(0, 999)) for b in city.block_codes
            for st in ("Asyl", "Duldung")]
    rows[7] = (rows[7][0], rows[7][1], rows[7][2], SMALL_SENTINEL)
    secret = intake.create_draft(ctx, users["submitter"], data=german_csv(LONG_HEADER, rows), filename="geheim.csv",
                                 metadata=meta(title="Geheimtabelle", audience="restricted", groups=["sozialplanung"]),
                                 mapping=LONG_MAPPING, series="geheimreihe", hierarchy=hierarchy.id, rule_set=rs.id)
    assert secret.current_version.outcome == "publishable" and secret.current_version.level != "baublock"
    secret = approve(secret)
    assert worker.run(app, once=True) >= 1
    return {"public": public.id, "withdrawn": gone.id, "embargoed": embargoed.id, "secret": secret.id,
            "embargoed_sha": embargoed.current_version.artifact_sha256,
            "releases": {k: result(i) for k, i in (("public", public.id), ("withdrawn", gone.id),
                                                   ("secret", secret.id))}}


class Scene:
    def __init__(self, app, ctx, fresh, users, make_user, hierarchy, city):
        from publisher import worker
        from publisher.models import PublicationJob
        from publisher.services import accounts, intake, reference, review

        reference.ensure_default_rule_set(ctx)
        self.app, self.fresh, self.users = app, fresh, users
        self.hierarchy_id = hierarchy.id
        self.victim = make_user("submitter", "vera")
        from publisher.demo_geo import upload_demo_boundaries  # issue 17: the release binds real boundaries

        upload_demo_boundaries(ctx, hierarchy, city)

        def draft(seed, add=0, **m):
            return intake.create_draft(ctx, users["submitter"], data=_raw_table(city, seed, add),
                                       filename="tabelle.csv",
                                       metadata=meta(**m), mapping=LONG_MAPPING, series="testreihe",
                                       hierarchy=hierarchy.id)

        restricted = {"audience": "restricted", "groups": ["sozialplanung"]}
        pub = review.submit(ctx, users["submitter"], draft(11, **restricted).id)
        pub = review.approve(ctx, users["approver"], pub.id, current_sha(ctx, pub))
        assert worker.run(app, once=True) >= 1
        self.pub_id, self.pub_version = pub.id, pub.current_version.id
        self.series_id = pub.series_id
        job = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == pub.id)
                                      ).scalar_one()
        assert job.state == "done", job.last_error
        self.release, self.job_id = job.result, job.id
        self.extra = _extra_releases(app, ctx, fresh, users, hierarchy, city, draft)  # issue 14
        opened = review.submit(ctx, users["submitter"], draft(11, add=9).id)  # a correction of ``pub``
        self.open_id, self.open_version = opened.id, opened.current_version.id
        # sent with every POST: approve then reaches the permission check (not "field missing")
        self.open_sha = opened.current_version.artifact_sha256
        self.open_manifest = current_sha(ctx, opened)  # issue 14: approvals bind the manifest
        from publisher.services import reports  # issue 17 item 4: an empty report of the submitter

        self.report_id = reports.create(ctx, users["submitter"], "Bevölkerung aktuell", "KW 47/2026").id
        self.sentinels = [SENTINEL.encode(), pub.current_version.raw_sha256.encode(),
                          opened.current_version.raw_sha256.encode()]
        self.tokens = {a: accounts.create_token(ctx, None, USERNAMES[a])[1] for a in USERNAMES}
        self.victim_token = accounts.create_token(ctx, None, "vera", "veras")[0].id  # issue 14: token routes
        accounts.set_role(ctx, users["admin"], self.victim.id, "approver")  # issue 14: a pending role grant
        from publisher.services import roles

        self.grant_id = roles.pending(ctx)[0].id
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
        values = {"submission_id": self.pub_id if rule.rule.startswith(("/releases/", "/api/v1/releases/"))
                  else self.open_id, "code": "publisher.not_found",
                  "version_id": self.pub_version, "user_id": self.victim.id, "token": "a" * 32,
                  "topic": r["topic"], "series": r["series"], "version": r["version"],
                  "filename": f"{r['series']}.csv", "fmt": "csv", "series_id": self.series_id,
                  "token_id": self.victim_token, "grant_id": self.grant_id, "job_id": self.job_id,
                  "invitation_id": 987654, "request_id": 987654, "name": "keiner",
                  "hierarchy_id": self.hierarchy_id, "report_id": self.report_id}  # issue 18: no such object
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
                return client.post(url, headers=headers, json={"artifact_sha256": self.open_sha,
                                                               "manifest_sha256": self.open_manifest})
            return client.get(url, headers=headers)
        client = self.clients[actor]
        if method == "POST":
            return client.post(url, data={"csrf_token": self.csrf[actor], "artifact_sha256": self.open_sha,
                                          "manifest_sha256": self.open_manifest})
        return client.get(url)

    def snapshot(self) -> dict[str, list]:
        from publisher.models import Base

        s = self.fresh().session
        out = {}
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if (table.name, c.name) not in
                    {("api_tokens", "last_used_at"), ("users", "last_login_at"),
                     ("web_sessions", "last_seen_at")}]  # bookkeeping of the idle timeout (issue 14)
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
    # issue 14: the role grant is confirmed (by the approver) before anyone may cancel it
    return sorted(cells, key=lambda c: (c[1] == "POST", c[0].endpoint == "web.logout",
                                        c[0].rule.endswith("/approve"), c[0].rule.endswith("/cancel"), c[0].rule))


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
            # logout is no refusal (its "login" outcome is the redirect after ending the sessions, issue 14)
            before = scene.snapshot() if method == "POST" and expected != "ok" and rule.endpoint != "web.logout" \
                else None
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
            body = resp.get_data()
            if actor in LEAK_CHECKED:
                for s in scene.sentinels:
                    if s in body:
                        leaks.append(f"{method} {url} as {actor} shows raw-table sentinel {s[:20]!r}")
            for s in SMALL_SENTINELS:  # every actor: the suppressed small count of the restricted release
                if s in body:
                    leaks.append(f"{method} {url} as {actor} shows the suppressed small count {s!r}")
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


def test_mixed_audience_withdrawn_embargoed_and_small_count_sentinel(scene):
    """Issue 14: every actor (also other_submitter) on every public page, release page, file and "latest" link of
    a series with public, restricted, withdrawn and embargoed releases: the suppressed small count never shows,
    restricted releases are 404 outside their groups, the withdrawn one is "zurückgezogen" (files 410), the
    embargoed one is nowhere but the calendar (no numbers)."""
    x = scene.extra
    rel = x["releases"]
    in_group = ("reader", "approver", "admin")
    urls = ["/", "/releases", "/downloads", "/calendar", "/api/v1/releases", "/dashboard", "/api/v1/submissions"]
    urls += [f"/releases/{i}" for i in (x["public"], x["withdrawn"], x["embargoed"], x["secret"], scene.pub_id)]
    for key, r in rel.items():
        for name in r["files"]:
            urls += [f"/downloads/{r['topic']}/{r['series']}/{r['version']}/{name}",
                     f"/downloads/{r['topic']}/{r['series']}/latest/{name}"]
    problems = []
    for actor in ACTORS:
        for url in urls:
            resp = scene.request(actor, "GET", url)
            body = resp.get_data()
            for s in SMALL_SENTINELS:
                if s in body:
                    problems.append(f"{url} as {actor}: suppressed small count {s!r}")
            if actor in LEAK_CHECKED and any(s in body for s in scene.sentinels):
                problems.append(f"{url} as {actor}: raw sentinel")
            if actor not in ("approver", "admin", "submitter") and x["embargoed_sha"].encode() in body:  # its author may
                problems.append(f"{url} as {actor}: embargoed table before its embargo")
            code = resp.status_code
            if url == f"/releases/{x['embargoed']}" and code != 404:
                problems.append(f"{url} as {actor}: embargoed release page answers {code}")
            secret = rel["secret"]
            if f"/{secret['series']}/{secret['version']}/" in url or url == f"/releases/{x['secret']}":
                want = 200 if actor in in_group else 404
                if code != want:
                    problems.append(f"{url} as {actor}: restricted release answers {code}, expected {want}")
            gone = rel["withdrawn"]
            if f"/{gone['series']}/{gone['version']}/" in url and code != 410:
                problems.append(f"{url} as {actor}: withdrawn file answers {code}, expected 410")
            if url == f"/releases/{x['withdrawn']}":
                text = body.decode("utf-8", "replace")
                if code != 200 or "zurückgezogen" not in text or "Fehler in der Quelle entdeckt" not in text:
                    problems.append(f"{url} as {actor}: withdrawn release not shown as withdrawn with its reason")
            if actor in ("anonymous", "outsider", "submitter", "other_submitter") and url in (
                    "/releases", "/downloads", "/api/v1/releases"):
                if f"/releases/{x['secret']}".encode() in body or b"Geheimtabelle" in body:
                    problems.append(f"{url} as {actor}: lists the restricted release")
    cal = scene.request("anonymous", "GET", "/calendar").get_data(as_text=True)
    assert "2026-08" in cal or "Geflüchtete" in cal  # the embargoed release is announced (title/period only)
    assert problems == [], "\n".join(problems)

