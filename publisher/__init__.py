"""Freigabe publisher: the Flask service (intake, workflow, web UI, API, CLI, worker)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    if config:
        app.config.update(config)
    return app
