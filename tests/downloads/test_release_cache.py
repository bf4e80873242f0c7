"""Public release pages drawn once per published state (issue 16 item 5): the same bytes as a fresh drawing,
an ETag answered with 304, and never a state the page no longer has (withdrawal, new version, another
process's change within the recheck interval); logged-in visitors and pending messages are never cached."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from publisher import worker
from publisher.services import review
from publisher.web import release_cache


def _publish(app, make_submission, **meta):
    sub = make_submission("approved", **meta)
    assert worker.run(app, once=True) >= 1
    return sub


@pytest.fixture(autouse=True)
def _empty_stores():
    release_cache.PAGES.clear()
    release_cache.PARTS.clear()
    release_cache._keys.clear()
    release_cache._memo.clear()
    yield


def test_anonymous_page_is_drawn_once_and_identical_to_a_fresh_drawing(app, client, make_submission):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Cache-Control"] == "no-cache"
    hits = release_cache.PAGES.hits + release_cache.stats["replayed"]
    second = client.get(url)
    # served from the store (the page store, or the whole answer replayed: tests/downloads/test_release_replay.py)
    assert release_cache.PAGES.hits + release_cache.stats["replayed"] == hits + 1
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert second.headers[name] == first.headers[name]  # the app's headers on cached answers too
    release_cache.PAGES.clear()
    release_cache.PARTS.clear()
    assert client.get(url).data == first.data  # drawn anew: byte for byte the same page
    # the visitor's copy is current: 304, no body; a stale tag gets the page
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": '"abc"'}).status_code == 200


def test_languages_are_cached_apart(app, client, make_submission):
    sub = _publish(app, make_submission)
    de = client.get(f"/releases/{sub.id}?lang=de")
    en = client.get(f"/releases/{sub.id}?lang=en")
    assert de.headers["ETag"] != en.headers["ETag"]
    assert "Über diese Tabelle" in de.get_data(as_text=True) and "About this table" in en.get_data(as_text=True)
    assert "About this table" in client.get(f"/releases/{sub.id}?lang=en").get_data(as_text=True)


def test_withdrawal_shows_at_once_and_changes_the_etag(app, client, make_submission, users, ctx):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    before = client.get(url)
    assert "zurückgezogen" not in before.get_data(as_text=True)
    review.withdraw_release(ctx, users["approver"], sub.id, "Fehler in den Daten.")
    worker.run(app, once=True)
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "Diese Veröffentlichung wurde zurückgezogen." in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_new_version_of_the_series_redraws_the_older_page(app, client, make_submission):
    sub1 = _publish(app, make_submission, seed=9)
    old = client.get(f"/releases/{sub1.id}")
    # issue 13: the next period is the same table grown by 3 (a change of 1 or 2 is refused)
    _publish(app, make_submission, reference_period="2026-08", seed=9, add=3)
    new = client.get(f"/releases/{sub1.id}")
    assert new.headers["ETag"] != old.headers["ETag"]


def test_a_change_by_another_process_shows_within_the_recheck_interval(app, client, make_submission, fresh):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    first = client.get(url)

    def other_process_withdraws():  # a plain SQL write: no commit event in this process
        engine = fresh().session.get_bind()
        with engine.begin() as conn:
            conn.execute(text("UPDATE submissions SET state = 'withdrawn' WHERE id = :i"), {"i": sub.id})

    app.config["RELEASE_PAGE_RECHECK_SECONDS"] = 3600
    other_process_withdraws()
    stale = client.get(url)
    assert stale.headers["ETag"] == first.headers["ETag"]  # within the interval: the state last read
    app.config["RELEASE_PAGE_RECHECK_SECONDS"] = 0  # 0: read on every request
    now = client.get(url)
    assert now.headers["ETag"] != first.headers["ETag"] and "zurückgezogen" in now.get_data(as_text=True)


def test_logged_in_visitors_and_pending_messages_are_not_served_from_the_store(app, client, auth, make_submission):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    client.get(url)
    auth.login("rita")
    page = client.get(url)
    assert page.status_code == 200 and "ETag" not in page.headers and page.headers["Cache-Control"] == "no-store"
    assert "Angemeldet als" in page.get_data(as_text=True)
    anon = app.test_client()
    with anon.session_transaction() as s:
        s["_flashes"] = [("info", "Hinweis für diesen Besuch")]
    flashed = anon.get(url)
    assert "Hinweis für diesen Besuch" in flashed.get_data(as_text=True) and "ETag" not in flashed.headers


def test_restricted_release_stays_refused_to_anonymous_visitors(app, client, make_submission):
    sub = _publish(app, make_submission, audience="restricted", groups=["sozialplanung"])
    # 404 like a release that never existed (issue 14: anonymous visitors learn nothing of restricted ones)
    assert client.get(f"/releases/{sub.id}").status_code == 404
    assert client.get(f"/releases/{sub.id}").status_code == 404
    assert len(release_cache.PAGES._items) == 0


def test_parts_are_keyed_by_the_published_file_and_the_template_version(app, client, make_submission, tmp_path):
    sub = _publish(app, make_submission)
    client.get(f"/releases/{sub.id}")
    assert len(release_cache.PARTS._items) >= 1  # at least the preview (map/chart need geometries, 2 versions)
    with app.test_request_context("/"):
        v1 = release_cache.template_version()
    from flask import Flask
    from jinja2 import DictLoader

    other = Flask("other")
    other.jinja_loader = DictLoader({"release.html": "neu", "base.html": "", "_map.html": ""})
    with other.test_request_context("/"):
        assert release_cache.template_version() != v1
    assert re.fullmatch(r"[0-9a-f]{16}", v1)
