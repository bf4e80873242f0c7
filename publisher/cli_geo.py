"""``freigabe hierarchy boundaries ...``: upload and list the boundary GeoJSON of a hierarchy version
(issue 17; the service validates, stores and audits, actor "cli")."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _ctx():
    from publisher.services import open_ctx

    return open_ctx(current_app)


@click.command("boundaries")
@click.argument("hierarchy_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", help="Language of the findings.")
@with_appcontext
def boundaries_command(hierarchy_id, file, lang) -> None:
    """Upload FILE (GeoJSON, WGS84) as the boundaries of hierarchy version HIERARCHY_ID (id from
    `freigabe hierarchy list`); without FILE: list its boundary sets."""
    from publisher.services import boundaries
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        if file is None:
            for bs in boundaries.list_for(c, hierarchy_id):
                counts = ", ".join(f"{k} {v}" for k, v in bs.features.items())
                click.echo(f"{bs.revision}\t{bs.sha256}\t{bs.filename}\t{counts}")
            return
        try:
            bs = boundaries.upload(c, None, hierarchy_id, Path(file).read_bytes(), Path(file).name)
        except ServiceError as err:
            for f in err.findings:
                click.echo(f"{f.code}: {f.message(lang)}", err=True)
            sys.exit(2)
        for w in bs.warnings:
            click.echo(f"{w['code']}: {w['message_' + lang]}", err=True)
        click.echo(f"Gebietsgrenzen Stand {bs.revision} gespeichert (sha256 {bs.sha256}): "
                   + ", ".join(f"{k} {v}" for k, v in bs.features.items()))
