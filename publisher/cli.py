"""The ``freigabe`` console script: a Flask CLI group with the app's commands."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():
    from publisher import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, load_dotenv=False)
def main() -> None:
    """Freigabe: privacy-preserving publication of municipal statistics."""


def _register() -> None:
    from publisher.cli_check import check_command

    main.add_command(check_command, "check")


_register()
