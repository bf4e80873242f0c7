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
