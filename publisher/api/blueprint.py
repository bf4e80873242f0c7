"""The ``api`` blueprint, bearer authentication and the ``@operation`` description used for OpenAPI."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, request

from publisher.services.errors import AuthenticationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _conventions():
    from publisher.api.conventions import init_blueprint

    init_blueprint(bp)  # Idempotency-Key on POST, ETag/If-None-Match on GET: for every endpoint of the blueprint


_conventions()


def ctx():
    from publisher.services import ctx_for_request

    return ctx_for_request()


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_user(required: bool = True):
    """The token's user; ``required=False`` → None when no token was sent (a wrong token is always 401)."""
    if "api_user" in g:
        if g.api_user is None and required:  # an earlier optional look-up found no token
            raise AuthenticationFailed("publisher.token_invalid")
        return g.api_user
    from publisher.services import accounts

    token = bearer_token()
    if token is None:
        if required:
            raise AuthenticationFailed("publisher.token_invalid")
        g.api_user = None
        return None
    g.api_user = accounts.user_for_token(ctx(), token)
    return g.api_user


def operation(summary: str, *, auth: bool = True, request_body: dict | None = None,
              responses: dict[int, str] | None = None, tags: tuple[str, ...] = ("submissions",),
              parameters: list[dict] | None = None, schema: str | None = None, paginated: bool = False) -> Callable:
    """Attach the OpenAPI operation of a view (and enforce the bearer token when ``auth``).

    ``schema``: the component (``publisher.api.schemas``) of the success answer - required, the document
    refuses an operation without one; ``paginated``: a list endpoint answering through
    :func:`publisher.api.conventions.paginate` (documents ``page``/``per_page``, ``Link``, ``X-Total-Count``).
    Errors (problem details), ``?lang=``, 400/404/405/429/500/503, ``Idempotency-Key`` on POST and
    ``ETag``/``If-None-Match``/304 on GET are added to every operation by :func:`publisher.api.openapi.build_openapi`."""
    def deco(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if auth:
                api_user(required=True)
            return view(*args, **kwargs)

        resp: dict[int, str] = {}
        if auth:
            resp.update({401: "Token fehlt oder ungültig / token missing or invalid"})
        resp.update(responses or {})
        wrapper._openapi = {"summary": summary, "auth": auth, "request_body": request_body,
                            "responses": resp, "tags": list(tags), "parameters": parameters or [],
                            "schema": schema, "paginated": paginated}
        return wrapper

    return deco


def json_body() -> dict[str, Any]:
    """The JSON object body (empty body → {}); anything else → 422."""
    from publisher.services.errors import InvalidInput, invalid_field

    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(invalid_field("body", "muss ein JSON-Objekt sein.", "must be a JSON object."))
    return data
