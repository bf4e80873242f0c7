"""JSON API under /api/v1 (thin views over publisher.services).

Bearer tokens (``Authorization: Bearer fgb_...``; created with ``freigabe token create NAME``; only the
hash is stored and looked up by ``accounts.user_for_token``).  The session cookie is never used here, so
the API is exempt from CSRF.  Every error is RFC 9457 problem details with a stable ``code``
(:mod:`publisher.api.errors`); Idempotency-Key, ETag and pagination: :mod:`publisher.api.conventions`.
``/api/v1/openapi.json`` is generated from the route map plus the ``@operation`` description of each view; a
route without a description or without a response schema makes the document fail.
See docs/api.md.
"""
from __future__ import annotations


def init_app(app):
    from publisher.api import views  # noqa: F401  (routes on bp)
    from publisher.api import withdrawal  # noqa: F401  (issue 14: stop / withdraw)
    from publisher.api import jobs  # noqa: F401  (issue 14 item 10: failed publications, retry)
    from publisher.api import reports  # noqa: F401  (issue 17 item 4: reports)
    from publisher.api.blueprint import bp
    from publisher.web.security import csrf

    app.json.ensure_ascii = False  # UTF-8 JSON: umlauts stay readable in scripts and logs
    if "api" not in app.blueprints:
        csrf.exempt(bp)
        app.register_blueprint(bp)
