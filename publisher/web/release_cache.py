"""Public release pages, maps and previews rendered once per published version (issue 16 item 5).

A published version's content is immutable per sha256, so what is drawn from it is kept:

* **parts** (any visitor): the preview of the published CSV (keyed by its sha256), the map (CSV sha256,
  level, geometry file, language, template version) and the time-series chart (the sha256 of every version
  in it, language, template version);
* **whole pages** for anonymous visitors (no login, no pending messages): keyed by the template version, the
  language, the submission and :func:`publisher.services.release_pages.release_stamp` - the fingerprint of
  every row the page shows (states, versions, publication jobs of the series), read in one cheap statement.
  A withdrawal or a new version changes the stamp, so the page is drawn anew.  The stamp is read again
  after any commit in this process and at the latest ``RELEASE_PAGE_RECHECK_SECONDS`` (default 1 s) after
  the last reading: a change made by another process (another gunicorn worker, ``freigabe worker``) shows
  within that time, one made in this process at once.  Answers carry an ``ETag``; ``If-None-Match`` with
  it gets ``304``.

The template version is a hash of the page's template sources: a redesigned page is drawn anew, nothing to
flush.  The store is per process (gunicorn workers each draw a page once), bounded in bytes, least recently
used out first.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from flask import Response, current_app, request, session

TEMPLATES = ("release.html", "base.html", "_map.html")
MAX_BYTES = 64 << 20  # per store and process
_NONE = object()  # a part that was drawn and is empty (no map for this level, ...)


class _Store:
    def __init__(self, max_bytes: int) -> None:
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes, self._max = 0, max_bytes
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: str, value: Any, size: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self._max and len(self._items) > 1:
                _k, (_v, s) = self._items.popitem(last=False)
                self._bytes -= s

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


PAGES, PARTS = _Store(MAX_BYTES), _Store(MAX_BYTES)
_keys: dict[tuple, tuple[float, int, str | None]] = {}  # (database, submission, language) -> (read at, commits, key)
_generation = [0]  # commits seen in this process


def _committed(_session) -> None:
    _generation[0] += 1


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)


_listen()


def template_version() -> str:
    """sha256 of the release page's template sources (per app, computed once), its partials
    ``templates/_release_*.html`` included."""
    app = current_app._get_current_object()
    v = app.extensions.get("freigabe_release_template_version")
    if v is None:
        h = hashlib.sha256()
        partials = sorted(t for t in app.jinja_env.list_templates() if t.startswith("_release_"))  # issue 17
        for name in TEMPLATES + tuple(partials):
            source = app.jinja_loader.get_source(app.jinja_env, name)[0]
            h.update(name.encode() + b"\0" + source.encode("utf-8") + b"\0")
        v = app.extensions["freigabe_release_template_version"] = h.hexdigest()[:16]
    return v


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def part(kind: str, key: tuple, build: Callable[[], Any]):
    """A drawn part of the page, built once per key (``kind`` names what it is: preview, map, chart)."""
    k = _digest(kind, template_version(), key)
    value = PARTS.get(k)
    if value is None:
        value = build()
        PARTS.put(k, _NONE if value is None else value, _size(value))
    return None if value is _NONE else value


def _size(value: Any) -> int:
    if value is None:
        return 64
    if isinstance(value, (str, bytes)):
        return len(value) + 64
    return len(repr(value)) + 64


def anonymous_page_key(submission_id: int) -> str | None:
    """The cache key of the whole page for this request, or None when the page is not to be cached (a
    logged-in visitor, messages waiting to be shown, an unknown submission).  On every page view: kept cheap."""
    if session.get("uid") is not None or session.get("_flashes"):
        return None
    from publisher.i18n import current_lang

    lang = current_lang()
    from publisher.db import get_db

    db = get_db()
    now, gen, where = time.monotonic(), _generation[0], (db.url, submission_id, lang)
    seen = _keys.get(where)
    if seen is not None and seen[1] == gen and now - seen[0] < _recheck():
        if seen[2] is not None:
            _mark(where, seen[2])
        return seen[2]
    from publisher.services.release_pages import release_stamp

    stamp = release_stamp(db.engine, submission_id)
    key = None if stamp is None else _digest("release-page", template_version(), db.url, lang, submission_id, stamp)
    if len(_keys) > 50_000:
        _keys.clear()
    _keys[where] = (now, gen, key)
    if key is not None:
        _mark(where, key)
    return key


def _recheck() -> float:
    return float(current_app.config.get("RELEASE_PAGE_RECHECK_SECONDS", 1.0) or 0)


def etag(key: str) -> str:
    return f'"{key[:40]}"'


def cached_response(key: str) -> Response | None:
    """304 when the visitor has this version (If-None-Match), the stored page, or None (not stored yet)."""
    tag = etag(key)
    if tag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": tag, "Cache-Control": "no-cache"})
    body = PAGES.get(key)
    if body is None:
        return None
    return Response(body, mimetype="text/html", headers={"ETag": tag, "Cache-Control": "no-cache"})


def store_response(key: str, html: str) -> Response:
    body = html.encode("utf-8")
    PAGES.put(key, body, len(body))
    # no-cache: browsers and proxies revalidate every time (a 304 costs little), so a withdrawal shows at once
    return Response(body, mimetype="text/html", headers={"ETag": etag(key), "Cache-Control": "no-cache"})


# --------------------------------------------------------------------------- the anonymous fast path
#
# A public release page answered to an anonymous visitor is the same bytes and the same headers for every
# visitor of the same page, language and host until its key changes.  ``PublicPages`` (a WSGI middleware
# inside ProxyFix, so host and scheme are the ones Flask sees) remembers the whole answer Flask gave - status
# line, every header after every after_request hook (CSP and the other security headers, Vary, ETag,
# Cache-Control), body - and replays it to the next visitor without a Flask request: no session, no CSRF,
# no rate-limit hook, no routing, no database.  Only while the page key it was drawn under is still the
# current one in this process (the same check ``anonymous_page_key`` makes: no commit since, stamp read less
# than RELEASE_PAGE_RECHECK_SECONDS ago); otherwise the request goes to Flask, which reads the stamp again.
# Never for a request with any cookie but the language (a logged-in visitor, pending messages, a form token), a query
# string, a conditional request (If-None-Match: Flask answers 304) or any method but GET; never from an
# answer that set a cookie or was not 200.

MEMO_MAX = 2048
ENVIRON_MARK = "freigabe.public_page"  # set by the view: (where, key) of an anonymous cached page
_memo: dict[tuple, tuple] = {}  # request identity -> (where, key, status, headers, body)
_memo_lock = threading.Lock()
stats = {"replayed": 0}


def _mark(where: tuple, key: str) -> None:
    env = request.environ
    env[ENVIRON_MARK] = (where, key)


class PublicPages:
    def __init__(self, wsgi_app, app) -> None:
        self.wsgi_app, self.app = wsgi_app, app

    def _identity(self, environ):
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING") \
                or not environ.get("PATH_INFO", "").startswith("/releases/") or "HTTP_IF_NONE_MATCH" in environ:
            return None
        lang = None
        if environ.get("HTTP_COOKIE"):
            from werkzeug.http import parse_cookie

            from publisher.i18n import LANG_COOKIE

            cookies = parse_cookie(environ)
            if any(name != LANG_COOKIE for name in cookies):  # a session (or any other) cookie: Flask decides
                return None
            lang = cookies.get(LANG_COOKIE)
        return (environ.get("PATH_INFO"), environ.get("SCRIPT_NAME", ""), environ.get("HTTP_HOST"),
                environ.get("SERVER_NAME"), environ.get("SERVER_PORT"), environ.get("wsgi.url_scheme"), lang)

    def __call__(self, environ, start_response):
        ident = self._identity(environ)
        if ident is None:
            return self.wsgi_app(environ, start_response)
        hit = _memo.get(ident)
        if hit is not None:
            where, key, status, headers, body = hit
            seen = _keys.get(where)
            if seen is not None and seen[2] == key and seen[1] == _generation[0] \
                    and time.monotonic() - seen[0] < float(self.app.config.get("RELEASE_PAGE_RECHECK_SECONDS", 1.0) or 0):
                stats["replayed"] += 1
                start_response(status, list(headers))
                return [body]
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.wsgi_app(environ, capture)
        mark = environ.get(ENVIRON_MARK)
        if mark is None or not captured.get("status", "").startswith("200") \
                or any(n.lower() == "set-cookie" for n, _v in captured["headers"]):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        with _memo_lock:
            if len(_memo) >= MEMO_MAX:
                _memo.clear()
            _memo[ident] = (mark[0], mark[1], captured["status"], tuple(captured["headers"]), body)
        return [body]
