"""Freigabe publisher: the Flask service (intake, workflow, web UI, API, CLI, worker)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: dict | None = None) -> Flask:
    """Application factory.  Settings: :mod:`publisher.config` (``FREIGABE_*``), ``config`` overrides them."""
    from publisher import db
    from publisher.config import load_settings

    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    app.config.update(load_settings(overrides=config))
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    from publisher import dav
    from publisher.web.release_cache import PublicPages

    app.wsgi_app = PublicPages(app.wsgi_app, app)  # anonymous public release pages replayed (release_cache)
    dav.mount(app)  # read-only WebDAV over the download area at /dav (FREIGABE_DAV_*); inside ProxyFix below
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:  # behind nginx/Apache: trust exactly that many X-Forwarded-* hops, no more
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    db.init_app(app)

    from publisher import api, web

    web.init_app(app)
    api.init_app(app)
    if app.config.get("WORKER_IN_PROCESS") and not app.config.get("TESTING"):
        _start_worker(app)
    return app


def _start_worker(app: Flask) -> None:
    """Publication worker thread in the web process (``FREIGABE_WORKER_IN_PROCESS``, used by ``make demo``)."""
    try:
        from publisher.worker import start_in_process
    except ImportError:  # the worker is not there yet
        app.logger.warning("FREIGABE_WORKER_IN_PROCESS set, but publisher.worker is not available")
        return
    app.extensions["freigabe_worker"] = start_in_process(app)
