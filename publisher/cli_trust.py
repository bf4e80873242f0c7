"""CLI commands of issue 14 (registered by :mod:`publisher.cli`).

    freigabe release stop ID --reason TEXT --as USER        stop an approved release (DPO/admin account)
    freigabe release withdraw ID --reason TEXT --as USER    withdraw a published release (DPO/admin account)
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext


def _ctx():
    from publisher.services import open_ctx

    return open_ctx(current_app)


@click.group("release")
def release_group() -> None:
    """Stop or withdraw releases (audited under the named DPO/admin account)."""


def _run(fn_name: str, submission_id: int, reason: str, actor: str) -> None:
    from publisher.services import withdrawal
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            from publisher.services import accounts

            sub = getattr(withdrawal, fn_name)(c, accounts.get_user_by_name(c, actor), submission_id, reason)
        except ServiceError as exc:
            click.echo(exc.message("de"), err=True)
            sys.exit(2)
        click.echo(f"Einreichung {sub.id}: {sub.state_label('de')} / {sub.state_label('en')}")


@release_group.command("stop")
@click.argument("submission_id", type=int)
@click.option("--reason", required=True, help="Why (required).")
@click.option("--as", "actor", required=True, help="The acting DPO or admin account.")
@with_appcontext
def release_stop(submission_id: int, reason: str, actor: str) -> None:
    """Stop an approved release before it is published."""
    _run("stop_release", submission_id, reason, actor)


@release_group.command("withdraw")
@click.argument("submission_id", type=int)
@click.option("--reason", required=True, help="Why (required; shown publicly).")
@click.option("--as", "actor", required=True, help="The acting DPO or admin account.")
@with_appcontext
def release_withdraw(submission_id: int, reason: str, actor: str) -> None:
    """Withdraw a published release from every target."""
    _run("withdraw_release", submission_id, reason, actor)
