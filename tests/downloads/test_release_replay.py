"""The anonymous fast path of public release pages (issue 16 item 5, publisher.web.release_cache.PublicPages):
the replayed answer is exactly Flask's (status, every header, body), and it is never given to a request Flask
would answer differently: a logged-in visitor, any cookie but the language, a restricted release, a page whose
state changed."""
from __future__ import annotations

import pytest

from publisher import worker
from publisher.services import review
from publisher.web import release_cache


@pytest.fixture(autouse=True)
def _empty_stores(app):
    for store in (release_cache.PAGES, release_cache.PARTS):
        store.clear()
    release_cache._keys.clear()
    release_cache._memo.clear()
    # a loaded test machine can take more than the default 1 s between two requests (the replay would then
    # rightly go to Flask); changes made in this process still show at once (the commit counter)
    app.config["RELEASE_PAGE_RECHECK_SECONDS"] = 3600
    yield


def _publish(app, make_submission, **meta):
    sub = make_submission("approved", **meta)
    assert worker.run(app, once=True) >= 1
    return sub


def _replays(client, url, **kw):
    before = release_cache.stats["replayed"]
    resp = client.get(url, **kw)
    return resp, release_cache.stats["replayed"] - before


def test_replay_is_byte_for_byte_and_header_for_header_the_flask_answer(app, client, make_submission):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    first, n1 = _replays(client, url)
    second, n2 = _replays(client, url)
    assert (n1, n2) == (0, 1)  # the first answer comes from Flask, the second is the replay of it
    app.config["RELEASE_PAGE_RECHECK_SECONDS"] = 0  # 0: the state is read on every request - no replay
    assert _replays(client, url)[1] == 0
    app.config["RELEASE_PAGE_RECHECK_SECONDS"] = 3600
    assert second.status == first.status == "200 OK"
    assert list(second.headers.items()) == list(first.headers.items())  # same names, values and order
    assert second.data == first.data
    for name in ("Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options",
                 "Referrer-Policy", "X-Frame-Options", "Permissions-Policy", "Cross-Origin-Opener-Policy"):
        assert second.headers[name] == first.headers[name]
    assert second.headers["Vary"] == first.headers["Vary"] and "Cookie" in second.headers["Vary"]
    assert "Set-Cookie" not in second.headers
    # what Flask answers when the replay is bypassed (a fresh drawing) is the same again
    release_cache._memo.clear()
    third, n3 = _replays(client, url)
    assert n3 == 0 and list(third.headers.items()) == list(first.headers.items()) and third.data == first.data


def test_logged_in_visitors_never_get_the_public_answer_and_never_feed_it(app, client, auth, make_submission):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    client.get(url)
    _resp, n = _replays(client, url)
    assert n == 1
    auth.login("rita")
    page, n = _replays(client, url)
    assert n == 0 and "Angemeldet als" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and "ETag" not in page.headers
    page, n = _replays(client, url)  # again: still Flask, still the personal page
    assert n == 0 and "Angemeldet als" in page.get_data(as_text=True)
    anon = app.test_client()
    _replays(anon, url)  # (the login committed: the key is read again by Flask)
    public, n = _replays(anon, url)
    assert n == 1 and "Angemeldet als" not in public.get_data(as_text=True)  # the public answer, not rita's


def test_any_cookie_but_the_language_query_strings_and_conditional_requests_go_to_flask(app, client,
                                                                                       make_submission):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    client.get(url)
    anon = app.test_client()
    with anon.session_transaction() as s:
        s["_flashes"] = [("info", "Hinweis für diesen Besuch")]
    flashed, n = _replays(anon, url)
    assert n == 0 and "Hinweis für diesen Besuch" in flashed.get_data(as_text=True)
    other = app.test_client()
    other.set_cookie("tracking", "x")
    _resp, n = _replays(other, url)
    assert n == 0
    _resp, n = _replays(client, url + "?lang=en")
    assert n == 0
    tagged, n = _replays(client, url, headers={"If-None-Match": flashed.headers.get("ETag") or '"x"'})
    assert n == 0
    head = client.head(url)
    assert head.status_code == 200


def test_languages_by_cookie_are_replayed_apart(app, client, make_submission):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    client.get(url + "?lang=en")  # sets the language cookie
    en1, _ = _replays(client, url)
    en2, n = _replays(client, url)
    assert n == 1 and "Metadata" in en2.get_data(as_text=True) and en2.data == en1.data
    de, n = _replays(app.test_client(), url)
    assert "Metadaten" in de.get_data(as_text=True) and de.headers["ETag"] != en2.headers["ETag"]


def test_restricted_release_is_never_replayed(app, client, make_submission):
    sub = _publish(app, make_submission, audience="restricted", groups=["sozialplanung"])
    for _ in range(3):
        resp, n = _replays(client, f"/releases/{sub.id}")
        assert resp.status_code == 404 and n == 0
    assert not release_cache._memo


def test_a_withdrawal_ends_the_replay_at_once(app, client, make_submission, users, ctx):
    sub = _publish(app, make_submission)
    url = f"/releases/{sub.id}"
    before = client.get(url)
    _resp, n = _replays(client, url)
    assert n == 1
    review.withdraw_release(ctx, users["approver"], sub.id, "Fehler in den Daten.")
    worker.run(app, once=True)
    after, n = _replays(client, url)
    assert n == 0 and "Diese Veröffentlichung wurde zurückgezogen." in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]
    again, n = _replays(client, url)
    assert n == 1 and again.data == after.data
