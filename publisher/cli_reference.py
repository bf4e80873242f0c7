"""``freigabe population ...`` and ``freigabe category ...``: the reference data of the cross-release checks
on the command line (admins' tasks; the services validate and audit, actor "cli")."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext


def _ctx():
    from publisher.services import open_ctx

    return open_ctx(current_app)


def _fail(err) -> None:
    click.echo(err.message("de") if hasattr(err, "message") else str(err), err=True)
    sys.exit(2)


@click.group("population")
def population_group() -> None:
    """Populations (who a table counts) with their nesting."""


@population_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also populations that can no longer be chosen.")
@with_appcontext
def population_list(show_all) -> None:
    from publisher.services import populations

    with _ctx() as c:
        items = populations.list_populations(c)
        by_id = {p.id: p for p in items}
        for p in items:
            if p.current or show_all:
                parent = by_id[p.parent_id].slug if p.parent_id in by_id else "-"
                click.echo(f"{p.slug}\t{p.name}\tTeil von: {parent}\t{'aktuell' if p.current else 'außer Kraft'}")


@population_group.command("create")
@click.argument("name")
@click.option("--slug", default=None, help="Key (default: from the name).")
@click.option("--part-of", "parent", default=None, help="The population this one is a subset of (slug or name).")
@click.option("--description", default="")
@with_appcontext
def population_create(name, slug, parent, description) -> None:
    from publisher.services import populations
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            p = populations.create_population(c, None, name, slug=slug, parent=parent, description=description)
        except ServiceError as err:
            _fail(err)
        click.echo(f"Population {p.slug} ({p.name}) angelegt.")


@population_group.command("retire")
@click.argument("ref")
@with_appcontext
def population_retire(ref) -> None:
    from publisher.services import populations
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            p = populations.retire_population(c, None, ref)
        except ServiceError as err:
            _fail(err)
        click.echo(f"Population {p.slug} ist nicht mehr wählbar.")


@click.group("category")
def category_group() -> None:
    """Category groupings of dimensions ("Duldung oder Sonstige" = Duldung + Sonstige)."""


@category_group.command("list")
@with_appcontext
def category_list() -> None:
    from publisher.services import populations

    with _ctx() as c:
        for g in populations.list_groupings(c):
            click.echo(f"{g.id}\t{g.dimension}\t{g.category}\t= {' + '.join(g.parts) if g.parts else '(eigene Kategorie)'}")


@category_group.command("declare")
@click.argument("dimension")
@click.argument("category")
@click.argument("parts", nargs=-1)
@with_appcontext
def category_declare(dimension, category, parts) -> None:
    """CATEGORY of DIMENSION is the sum of PARTS (none: a category of its own)."""
    from publisher.services import populations
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            g = populations.create_grouping(c, None, dimension, category, list(parts))
        except ServiceError as err:
            _fail(err)
        click.echo(f"{g.dimension}: {g.category} = {' + '.join(g.parts) if g.parts else '(eigene Kategorie)'}")


@category_group.command("revoke")
@click.argument("grouping_id", type=int)
@with_appcontext
def category_revoke(grouping_id) -> None:
    from publisher.services import populations
    from publisher.services.errors import ServiceError

    with _ctx() as c:
        try:
            populations.retire_grouping(c, None, grouping_id)
        except ServiceError as err:
            _fail(err)
        click.echo("aufgehoben")
