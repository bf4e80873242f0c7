"""The ``freigabe`` console script: a Flask CLI group with the app's commands.

    freigabe db upgrade                      migrate the database to the newest schema
    freigabe user create NAME --role ROLE [--group G]... [--password-stdin]
    freigabe user list | user unlock NAME
    freigabe token create NAME [--label L]   prints an API token once (only its hash is stored)
    freigabe hierarchy import FILE --name NAME [--valid-from YYYY-MM-DD]
    freigabe population list|create NAME [--part-of P]|retire P   populations (publisher.cli_reference)
    freigabe category list|declare DIM CAT [PART...]|revoke ID    category groupings of a dimension
    freigabe audit verify [--anchors F]      chain, key and anchors; exit 1 naming the first bad entry
    freigabe audit anchor                    anchor the chain head outside the database (cron)
    freigabe audit export [--format csv|json] [--output FILE]
    freigabe retention run                   delete raw uploads past their retention period
    freigabe demo load                       demo city, accounts (passwords printed once), submissions
    freigabe check ...                       the engine on the command line (publisher.cli_check)
    freigabe worker [--once]                 the publication worker (publisher.worker)
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from publisher import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, load_dotenv=False)
def main() -> None:
    """Freigabe: privacy-preserving publication of municipal statistics."""


def _ctx():
    from publisher.services import open_ctx

    return open_ctx(current_app)


def _fail(err, lang: str = "de") -> None:
    click.echo(err.message(lang) if hasattr(err, "message") else str(err), err=True)
    sys.exit(2)


# --- db -------------------------------------------------------------------------------------------------

@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: newest)."""
    from publisher.migrations import current, upgrade

    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    upgrade(url, revision)
    click.echo(f"Datenbank auf Stand {current(url)}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    from publisher.migrations import current

    click.echo(current(current_app.config["DATABASE_URL"]) or "(leer)")


# --- users and tokens -----------------------------------------------------------------------------------

@main.group("user")
def user_group() -> None:
    """Accounts."""


@user_group.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["submitter", "approver", "admin", "reader"]))
@click.option("--group", "groups", multiple=True, help="Group membership (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="")
@click.option("--email", default="")
@with_appcontext
def user_create(name, role, groups, password_stdin, display_name, email) -> None:
    """Create an account.  Without --password-stdin a password is generated and printed once."""
    from publisher.services import accounts
    from publisher.services.errors import ServiceError

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    with _ctx() as c:
        try:
            user, pw = accounts.create_user(c, None, name, role, password=password, groups=groups,
                                            display_name=display_name, email=email)
        except ServiceError as err:
            _fail(err)
    from publisher.i18n import role_label

    click.echo(f"Benutzer {user.username} ({role_label(user.role, 'de')}) angelegt.")
    if not password_stdin:
        click.echo(f"Passwort (wird nur einmal angezeigt): {pw}")


@user_group.command("list")
@with_appcontext
def user_list() -> None:
    from publisher.services import accounts

    with _ctx() as c:
        for u in accounts.list_users(c, None):
            state = "gesperrt" if u.locked_until and u.locked_until > c.now() else ("aktiv" if u.active else "inaktiv")
            click.echo(f"{u.username}\t{u.role}\t{','.join(sorted(u.group_names))}\t{state}")


@user_group.command("unlock")
@click.argument("name")
@with_appcontext
def user_unlock(name) -> None:
    from publisher.services import accounts
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            accounts.unlock_user(c, None, accounts.get_user_by_name(c, name).id)
        except ServiceError as err:
            _fail(err)
    click.echo(f"Benutzer {name} entsperrt.")


@main.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
@with_appcontext
def token_create(name, label) -> None:
    """Create an API token for user NAME; it is printed once, only its hash is stored."""
    from publisher.services import accounts
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            _tok, plaintext = accounts.create_token(c, None, name, label)
        except ServiceError as err:
            _fail(err)
    click.echo(plaintext)


# --- reference data -------------------------------------------------------------------------------------

@main.group("hierarchy")
def hierarchy_group() -> None:
    """Geography hierarchies."""


@hierarchy_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", required=True)
@click.option("--valid-from", default=None, help="YYYY-MM-DD (default: today)")
@with_appcontext
def hierarchy_import(file, name, valid_from) -> None:
    """Import FILE as a new version of hierarchy NAME."""
    from publisher.services import reference
    from publisher.services.errors import ServiceError

    vf = None
    if valid_from:
        try:
            vf = dt.date.fromisoformat(valid_from)
        except ValueError:
            click.echo(f"--valid-from: kein Datum (JJJJ-MM-TT): {valid_from}", err=True)
            sys.exit(2)
    data = Path(file).read_bytes()
    with _ctx() as c:
        try:
            h = reference.import_hierarchy(c, None, data, Path(file).name, name, vf)
        except ServiceError as err:
            _fail(err)
        click.echo(f"Hierarchie {h.label} importiert: " +
                   ", ".join(f"{lvl} {h.code_counts[lvl]}" for lvl in h.levels))


@hierarchy_group.command("list")
@with_appcontext
def hierarchy_list() -> None:
    from publisher.services import reference

    with _ctx() as c:
        for h in reference.list_hierarchies(c):
            click.echo(f"{h.id}\t{h.label}\t{' > '.join(h.levels)}")


# --- audit ----------------------------------------------------------------------------------------------

@main.group("audit")
def audit_group() -> None:
    """Audit trail."""


@audit_group.command("verify")
@click.option("--anchors", "anchors", default=None, type=click.Path(dir_okay=False),
              help="Anchor records to check against (e.g. exported from syslog); default: FREIGABE_AUDIT_ANCHOR.")
@with_appcontext
def audit_verify(anchors) -> None:
    """Check chain, key and anchors; exit 1 when a row was edited, deleted or inserted (first bad entry first)."""
    from publisher import audit

    with _ctx() as c:
        res = audit.verify(c.session, c.settings, anchors)
    click.echo(res.message("de"), err=not res.ok)
    sys.exit(0 if res.ok else 1)


@audit_group.command("anchor")
@with_appcontext
def audit_anchor() -> None:
    """Write the current chain head to FREIGABE_AUDIT_ANCHOR now (run it periodically, e.g. hourly)."""
    from publisher.audit_trust import anchor_now

    with _ctx() as c:
        got = anchor_now(c.session, c.settings)
    click.echo(f"verankert: Eintrag {got[0]} / anchored: row {got[0]}" if got
               else "nichts zu verankern / nothing to anchor")


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), default=None)
@with_appcontext
def audit_export(fmt, output) -> None:
    from publisher import audit

    with _ctx() as c:
        text = audit.export_csv(c.session) if fmt == "csv" else audit.export_json(c.session)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


# --- retention, demo ------------------------------------------------------------------------------------

@main.group("retention")
def retention_group() -> None:
    """Data minimisation."""


@retention_group.command("run")
@with_appcontext
def retention_run() -> None:
    """Delete raw uploads RETENTION_DAYS after publication/rejection, and download records after
    DOWNLOAD_LOG_RETENTION_DAYS (both audited)."""
    from publisher.services import retention

    with _ctx() as c:
        rep = retention.run(c, None)
    click.echo(rep.message("de"))
    from publisher.services import downloads

    with _ctx() as c:
        n = downloads.purge_download_log(c)
    click.echo(f"Download-Protokoll: {n} Einträge gelöscht / download log: {n} records deleted")


@main.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@with_appcontext
def demo_load() -> None:
    """Demo city (5 Stadtbezirke, 18 Stadtteile, Baublöcke), accounts and submissions in several states."""
    from publisher import demo

    with _ctx() as c:
        logins = demo.load(c)
    click.echo("Demo-Daten geladen. Zugänge (Passwörter werden nur einmal angezeigt):")
    from publisher.i18n import role_label

    for username, role, pw in logins:
        click.echo(f"  {username:<12} {role_label(role, 'de'):<26} {pw}")


class _LazyCommand(click.Command):
    """A command whose module is imported only when it runs: ``freigabe check`` must not pay for importing
    the worker (catalog, frictionless, the services: ~1 s)."""

    def __init__(self, name: str, load, short_help: str):
        super().__init__(name, help=short_help, short_help=short_help)
        self._load, self._real = load, None

    def real(self) -> click.Command:
        if self._real is None:
            self._real = self._load()
        return self._real

    def make_context(self, info_name, args, parent=None, **extra):
        return self.real().make_context(info_name, args, parent=parent, **extra)


def _worker_command() -> click.Command:
    from publisher.worker import worker_command

    # commands added to the group need the app context pushed for them
    return click.Command("worker", callback=with_appcontext(worker_command.callback),
                         params=list(worker_command.params), help=worker_command.help)


def _register() -> None:
    from publisher.cli_trust import register  # issue 14: release stop|withdraw, token list|revoke, reset

    register(main)
    from publisher.cli_jobs import register as register_jobs  # issue 14 item 10: publication failed|retry

    register_jobs(main)
    try:
        from publisher.cli_check import check_command
    except ImportError:  # the engine's CLI is not there yet
        pass
    else:
        main.add_command(check_command, "check")
    main.add_command(_LazyCommand("worker", _worker_command, "Run the publication worker."), "worker")

    from publisher.cli_reference import category_group, population_group  # issue 13: reference data

    main.add_command(population_group, "population")
    main.add_command(category_group, "category")
    from publisher.cli_reports import report_group  # issue 17 item 4: reports

    main.add_command(report_group, "report")

    from publisher.cli_geo import boundaries_command  # issue 17: boundaries per hierarchy version

    hierarchy_group.add_command(boundaries_command, "boundaries")


_register()

from publisher.cli_directory import register as _register_issue18  # noqa: E402  (issue 18)

_register_issue18(main)
