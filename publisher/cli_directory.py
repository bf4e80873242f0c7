"""Issue 18's commands: ``freigabe mail send``, ``freigabe directory sync|check``, ``freigabe invitation ...``."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


def register(main: click.Group) -> None:
    @main.group("mail")
    def mail_group() -> None:
        """E-mail notifications (outbox)."""

    @mail_group.command("send")
    @with_appcontext
    def mail_send() -> None:
        """Send the due e-mails once (daily reminders and digests included); the worker does this continuously."""
        from flask import current_app

        from publisher import mailer

        n = mailer.run_until_idle(current_app._get_current_object())
        click.echo(f"{n} E-Mail(s) bearbeitet")

    @main.group("directory")
    def directory_group() -> None:
        """The city's directory (LDAP / Active Directory)."""

    @directory_group.command("sync")
    @with_appcontext
    def directory_sync() -> None:
        """Check every directory account against the directory now (disabled, removed, moved between groups)."""
        from publisher.services import directory
        from publisher.services import open_ctx
        from flask import current_app

        with open_ctx(current_app._get_current_object()) as c:
            counts = directory.sync_all(c)
        click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "keine Verzeichniskonten")
        if counts.get("unavailable"):
            raise SystemExit(1)

    @directory_group.command("check")
    @click.argument("username")
    @with_appcontext
    def directory_check(username: str) -> None:
        """Show what the directory says about USERNAME (DN, enabled, groups, role) - no password, nothing stored."""
        from flask import current_app

        from publisher.directory import Directory, DirectoryError, download_groups_for, role_for

        s = current_app.config
        try:
            du = Directory(s).lookup(username.strip().lower())
        except DirectoryError as exc:
            raise click.ClickException(f"Verzeichnis nicht erreichbar: {exc}") from None
        if du is None:
            raise click.ClickException(f"{username}: nicht im Verzeichnis gefunden")
        click.echo(f"DN:        {du.dn}\naktiv:     {'ja' if du.enabled else 'nein'}\n"
                   f"Name:      {du.display_name}\nE-Mail:    {du.email}\nGruppen:   {', '.join(du.groups) or '-'}\n"
                   f"Rolle:     {role_for(s, du) or 'kein Zugang'}\n"
                   f"Download:  {', '.join(download_groups_for(s, du)) or '-'}")
