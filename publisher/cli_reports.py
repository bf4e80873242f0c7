"""CLI of reports (issue 17 item 4; registered by :mod:`publisher.cli`), acting under a named account:

    freigabe report create --title TEXT --period TEXT [--audience public|restricted] [--group G ...] --as USER
    freigabe report add REPORT_ID SUBMISSION_ID --as USER      add the owner's own table
    freigabe report complete REPORT_ID --as USER               fix the set of tables
    freigabe report show REPORT_ID --as USER                   tables, their state, approved for the report?
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("report")
def report_group() -> None:
    """Reports: several tables of one period under one title, published when every table is approved."""


def _do(fn) -> None:
    from publisher.services import open_ctx
    from publisher.services.errors import ServiceError

    with open_ctx(current_app) as c:
        try:
            report = fn(c)
        except ServiceError as exc:
            click.echo(exc.message("de"), err=True)
            sys.exit(2)
        _show(c, report)


def _show(c, report) -> None:
    from publisher.i18n import translate
    from publisher.report_states import REPORT_STATE_LABELS, ReportState
    from publisher.services import reports

    s = reports.summary(c, report)
    click.echo(f"Bericht {report.id}: {report.full_title} - "
               f"{translate(REPORT_STATE_LABELS[ReportState(report.state)], 'de')} "
               f"({s['approved']}/{s['total']} Tabellen freigegeben)")
    for m in s["members"]:
        mark = "freigegeben" if m["approved"] else (m["reason"] or "-")
        click.echo(f"  Einreichung {m['id']}: {m['title']} [{m['state']}] {mark}")


def _user(c, name):
    from publisher.services import accounts

    return accounts.get_user_by_name(c, name)


@report_group.command("create")
@click.option("--title", required=True)
@click.option("--period", required=True, help='e.g. "KW 47/2026"')
@click.option("--audience", type=click.Choice(["public", "restricted"]), default="public", show_default=True)
@click.option("--group", "groups", multiple=True, help="Download group (restricted reports).")
@click.option("--as", "actor", required=True, help="The acting staff account (owner).")
@with_appcontext
def report_create(title, period, audience, groups, actor) -> None:
    """Create a report."""
    from publisher.services import reports

    _do(lambda c: reports.create(c, _user(c, actor), title, period, audience, list(groups)))


@report_group.command("add")
@click.argument("report_id", type=int)
@click.argument("submission_id", type=int)
@click.option("--as", "actor", required=True, help="The report's owner.")
@with_appcontext
def report_add(report_id, submission_id, actor) -> None:
    """Add one of the owner's submissions to a report."""
    from publisher.services import reports

    _do(lambda c: reports.add(c, _user(c, actor), report_id, submission_id))


@report_group.command("complete")
@click.argument("report_id", type=int)
@click.option("--as", "actor", required=True, help="The report's owner.")
@with_appcontext
def report_complete(report_id, actor) -> None:
    """Fix the set of tables; the report is published once every table is approved."""
    from publisher.services import reports

    _do(lambda c: reports.complete(c, _user(c, actor), report_id))


@report_group.command("show")
@click.argument("report_id", type=int)
@click.option("--as", "actor", required=True, help="Owner, DPO or admin.")
@with_appcontext
def report_show(report_id, actor) -> None:
    """Show a report and its tables."""
    from publisher.services import reports

    _do(lambda c: reports.get(c, _user(c, actor), report_id))
