"""CLI for failed publications (issue 14 item 10; registered by :mod:`publisher.cli`).

    freigabe publication failed                     list failed publication jobs with their error
    freigabe publication retry JOB --as USER        run a failed job again (DPO/admin account; audited)
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("publication")
def publication_group() -> None:
    """Failed publications: list and retry (through the worker)."""


@publication_group.command("failed")
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@with_appcontext
def publication_failed(lang: str) -> None:
    """List failed publication jobs (id, submission, target, purpose, attempts, error)."""
    from publisher.services import job_retry, open_ctx

    with open_ctx(current_app) as c:
        for it in job_retry.failed_jobs(c, None):
            job, f = it["job"], it["failure"]
            click.echo("\t".join([str(job.id), str(job.submission_id), job.target, job.purpose, str(job.attempts),
                                  f.code if f else "-", f.message(lang) if f else "-",
                                  "retryable" if f is None or f.retryable else "needs a new version"]))


@publication_group.command("retry")
@click.argument("job_id", type=int)
@click.option("--as", "actor", required=True, help="The acting DPO or admin account.")
@click.option("--comment", default="", help="Why (recorded in the audit).")
@with_appcontext
def publication_retry(job_id: int, actor: str, comment: str) -> None:
    """Run a failed publication job again (the worker re-checks approval, manifest, bytes and rules)."""
    from publisher.services import accounts, job_retry, open_ctx
    from publisher.services.errors import ServiceError

    with open_ctx(current_app) as c:
        try:
            job = job_retry.retry(c, accounts.get_user_by_name(c, actor), job_id, comment)
        except ServiceError as exc:
            click.echo(exc.message("de"), err=True)
            sys.exit(2)
        click.echo(f"Auftrag {job.id}: wartet / pending")


def register(main) -> None:
    main.add_command(publication_group, "publication")
