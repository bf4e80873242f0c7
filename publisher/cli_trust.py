"""CLI commands of issue 14 (registered by :mod:`publisher.cli`).

    freigabe release stop ID --reason TEXT --as USER        stop an approved release (DPO/admin account)
    freigabe release withdraw ID --reason TEXT --as USER    withdraw a published release (DPO/admin account)
    freigabe token list [NAME] | token revoke ID            API tokens (issue 14 item 6)
    freigabe user reset-password NAME --as ADMIN            one-time password; changed at the next login
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


def token_list(name: str | None) -> None:
    from publisher.services import accounts

    with _ctx() as c:
        user_id = accounts.get_user_by_name(c, name).id if name else None
        for t in accounts.list_tokens(c, None, user_id):
            click.echo("\t".join([str(t.id), t.user.username, t.prefix, t.name, t.created_at.isoformat(),
                                  t.last_used_at.isoformat() if t.last_used_at else "-",
                                  f"revoked {t.revoked_at.isoformat()}" if t.revoked_at else "valid"]))


def token_revoke(token_id: int) -> None:
    from publisher.services import accounts
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            tok = accounts.revoke_token(c, None, token_id)
        except ServiceError as exc:
            click.echo(exc.message("de"), err=True)
            sys.exit(2)
        click.echo(f"Token {tok.id} ({tok.prefix}…) widerrufen / revoked")


def user_reset_password(name: str, actor: str) -> None:
    from publisher.services import accounts, credentials
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            user, pw = credentials.reset_password(c, accounts.get_user_by_name(c, actor),
                                                  accounts.get_user_by_name(c, name).id, operator=True)
        except ServiceError as exc:
            click.echo(exc.message("de"), err=True)
            sys.exit(2)
        click.echo(f"Neues Einmal-Passwort für {user.username} (muss bei der Anmeldung geändert werden): {pw}")


def register(main) -> None:
    """Add the commands to ``freigabe`` (its groups ``token`` and ``user`` exist already)."""
    main.add_command(release_group, "release")
    token_group, user_group = main.commands["token"], main.commands["user"]
    token_group.add_command(click.Command(
        "list", callback=with_appcontext(token_list), help="List API tokens (of NAME, or all).",
        params=[click.Argument(["name"], required=False)]))
    token_group.add_command(click.Command(
        "revoke", callback=with_appcontext(token_revoke), help="Revoke the API token with this id.",
        params=[click.Argument(["token_id"], type=int)]))
    user_group.add_command(click.Command(
        "reset-password", callback=with_appcontext(user_reset_password),
        help="Admin: a one-time password (printed once); every session and token of the account ends.",
        params=[click.Argument(["name"]), click.Option(["--as", "actor"], required=True,
                                                        help="The acting admin account.")]))
