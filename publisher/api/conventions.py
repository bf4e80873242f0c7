"""HTTP conventions of every API endpoint (issue 15 item 6), applied by the blueprint, not by each view.

* ``Idempotency-Key`` on every ``POST`` (:mod:`publisher.services.idempotency`): same key + same request →
  the first answer again (header ``Idempotent-Replayed: true``); same key + different request → 409.
  The request is compared by method, path, query (without ``lang``) and a canonical form of the body: form
  fields sorted, files by name, filename and sha256 (so two uploads of the same file with different multipart
  boundaries are the same request), JSON parsed and sorted.
* ``ETag`` on every successful ``GET`` (sha256 of the body) and ``304 Not Modified`` for a matching
  ``If-None-Match`` (weak comparison, RFC 9110 13.1.2; ``*`` matches).
* :func:`paginate` for list endpoints: ``page`` (1-based) and ``per_page`` (default
  :data:`PER_PAGE_DEFAULT`, at most :data:`PER_PAGE_MAX`), RFC 8288 ``Link`` header with ``first``,
  ``prev``, ``next``, ``last`` and ``X-Total-Count``.

A new endpoint gets all of this by being on the ``api`` blueprint; ``@operation(paginated=True)`` documents the
paging parameters of a list endpoint that calls :func:`paginate`.
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from flask import Response, g, jsonify, request

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
REPLAY_HEADER = "Idempotent-Replayed"


# --- Idempotency-Key --------------------------------------------------------------------------------------

def request_fingerprint() -> str:
    """sha256 of the canonical request (see the module text)."""
    h = hashlib.sha256()
    query = sorted((k, v) for k, vs in request.args.lists() for v in vs if k != "lang")
    head = {"method": request.method, "path": request.path, "query": query}
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        files = []
        for name, storage in sorted(request.files.items(multi=True), key=lambda kv: (kv[0], kv[1].filename or "")):
            stream = storage.stream
            pos = stream.tell()
            digest = hashlib.sha256()
            for chunk in iter(lambda: stream.read(1 << 16), b""):
                digest.update(chunk)
            stream.seek(pos)  # the view reads the file afterwards
            files.append([name, storage.filename or "", digest.hexdigest()])
        body: Any = {"form": sorted(request.form.items(multi=True)), "files": files}
    else:
        raw = request.get_data(cache=True)
        try:
            body = {"json": json.loads(raw)} if raw and request.is_json else {"raw": hashlib.sha256(raw).hexdigest()}
        except ValueError:
            body = {"raw": hashlib.sha256(raw).hexdigest()}
    h.update(json.dumps([head, body], sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    return h.hexdigest()


def _idempotency_before():
    if request.method != "POST" or "Idempotency-Key" not in request.headers:
        return None
    from publisher.api.blueprint import api_user, ctx
    from publisher.services import idempotency

    user = api_user(required=False)  # a wrong token: 401 before anything else
    if user is None:  # the view answers 401 (no key is stored for an anonymous request)
        return None
    key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
    outcome = idempotency.begin(ctx(), user, key, request.method, request.path, request_fingerprint())
    if isinstance(outcome, idempotency.Replay):
        resp = Response(outcome.body, status=outcome.status, content_type=outcome.content_type)
        if outcome.location:
            resp.headers["Location"] = outcome.location
        resp.headers[REPLAY_HEADER] = "true"
        return resp
    g.idempotency_row = outcome
    return None


def _idempotency_after(response):
    row = g.pop("idempotency_row", None)
    if row is None:
        return response
    from flask import current_app

    from publisher.api.blueprint import ctx
    from publisher.services import idempotency

    try:
        if 200 <= response.status_code < 300:
            idempotency.finish(ctx(), row, response.status_code, response.get_data(as_text=True),
                               response.content_type or "application/json", response.headers.get("Location"))
        else:
            idempotency.abandon(ctx(), row)
    except Exception:  # noqa: BLE001 - the answer stands; a stale in_progress row expires (IDEMPOTENCY_LOCK_SECONDS)
        current_app.logger.exception("could not store the idempotency key")
    return response


# --- ETag / If-None-Match ---------------------------------------------------------------------------------

def _etag_after(response):
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough:
        return response
    etag = hashlib.sha256(response.get_data()).hexdigest()[:40]
    response.set_etag(etag)
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        response.status_code = 304
        response.set_data(b"")
        for name in ("Content-Type", "Content-Length", "Link", "X-Total-Count"):
            response.headers.pop(name, None)
    response.vary.add("Authorization")
    return response


def init_blueprint(bp) -> None:
    bp.before_request(_idempotency_before)
    bp.after_request(_idempotency_after)
    bp.after_request(_etag_after)


# --- pagination -------------------------------------------------------------------------------------------

def page_args() -> tuple[int, int]:
    """``page`` and ``per_page`` of the request (422 naming the parameter when invalid)."""
    from publisher.services.errors import InvalidInput, invalid_field

    out = []
    for name, default, low, high in (("page", 1, 1, 10**9), ("per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)):
        raw = request.args.get(name)
        try:
            value = default if raw in (None, "") else int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise InvalidInput(invalid_field(
                name, f"muss eine ganze Zahl von {low} bis {high} sein.", f"must be a whole number from {low} to {high}."))
        out.append(value)
    return out[0], out[1]


def _page_url(page: int, per_page: int) -> str:
    from urllib.parse import urlencode

    args = [(k, v) for k, vs in request.args.lists() for v in vs if k not in ("page", "per_page")]
    args += [("page", str(page)), ("per_page", str(per_page))]
    return request.base_url + "?" + urlencode(args)


def paginate(items: list, key: str, render, **extra: Any) -> Response:
    """``{key: [render(item) for the page], **extra}`` with ``Link`` (RFC 8288) and ``X-Total-Count``."""
    page, per_page = page_args()
    total = len(items)
    last = max(1, math.ceil(total / per_page))
    chunk = items[(page - 1) * per_page: page * per_page]
    resp = jsonify({key: [render(x) for x in chunk], **extra})
    links = [("first", 1), ("last", last)]
    if page > 1:
        links.append(("prev", min(page - 1, last)))
    if page < last:
        links.append(("next", page + 1))
    resp.headers["Link"] = ", ".join(f'<{_page_url(p, per_page)}>; rel="{rel}"' for rel, p in links)
    resp.headers["X-Total-Count"] = str(total)
    return resp
