"""Reference data of the cross-release checks, kept by admins (issue 13 item 5, issue 14 item 2).

* **Populations** (``Geflüchtete``, ``Geflüchtete ohne Ukraine`` ⊂ ``Geflüchtete``): a submission picks a
  current one (:func:`resolve_population`; unknown or retired → 422 naming the field ``population``);
  releases of nested populations of one period are audited together.  Never deleted, only retired; the
  nesting of a population never changes.
* **Category groupings** (``Duldung oder Sonstige`` = ``Duldung`` + ``Sonstige``; or a category of its own):
  enter the union audit; an undeclared different breakdown blocks approval.
* :func:`engine_reference` hands both to the engine as :class:`disclosure_rules.crossrelease.Reference`.

Every change is one transaction with its audit row.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from disclosure_rules.crossrelease import Reference
from disclosure_rules.findings import Finding, Severity, register
from publisher import audit
from publisher.models_reference import CategoryGrouping, Population
from publisher.services import errors as E
from publisher.workflow import Role

POPULATION_UNKNOWN = register(
    "publisher.population.unknown", Severity.ERROR,
    "Population „{value}“ gibt es nicht (oder nicht mehr) in den Referenzdaten. Wählbar: {choices}.",
    "Population '{value}' does not exist (or no longer) in the reference data. Choices: {choices}.")
POPULATION_REQUIRED = register(
    "publisher.population.required", Severity.ERROR,
    "Bitte die Population angeben, die die Tabelle zählt (Referenzdaten). Wählbar: {choices}.",
    "Please state the population the table counts (reference data). Choices: {choices}.")
POPULATION_PARENT = register(
    "publisher.population.parent_unknown", Severity.ERROR,
    "Die übergeordnete Population „{value}“ gibt es nicht oder sie ist nicht mehr aktuell.",
    "The enclosing population '{value}' does not exist or is no longer current.")
POPULATION_SERIES = register(
    "publisher.population.series_differs", Severity.ERROR,
    "Die Reihe „{series}“ zählt die Population „{known}“ (frühere Veröffentlichungen); „{value}“ ist eine "
    "andere. Eine andere Population braucht eine eigene Reihe.",
    "Series '{series}' counts population '{known}' (earlier releases); '{value}' is a different one. Another "
    "population needs a series of its own.")
GROUPING_INVALID = register(
    "publisher.grouping.invalid", Severity.ERROR,
    "Zusammenfassung ungültig: {reason_de}.", "Invalid grouping: {reason_en}.")


def _require_admin(actor) -> None:
    if actor is not None and (Role(actor.role) != Role.ADMIN or not actor.active):
        raise E.forbidden_role("manage reference data", actor.role, [Role.ADMIN])


def _text(value: Any, field: str, limit: int, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise E.InvalidInput(E.invalid_field(field, "Pflichtfeld fehlt.", "required field missing."))
    if len(text) > limit:
        raise E.InvalidInput(E.invalid_field(field, f"höchstens {limit} Zeichen.", f"at most {limit} characters."))
    return text


# --- populations ----------------------------------------------------------------------------------------------

def list_populations(c, current_only: bool = False) -> list[Population]:
    q = select(Population).order_by(Population.name, Population.id)
    if current_only:
        q = q.where(Population.retired_at.is_(None))
    return list(c.session.execute(q).scalars())


def _find(c, ref: Any) -> Population | None:
    if isinstance(ref, Population):
        return ref
    text = str(ref or "").strip()
    if not text:
        return None
    if text.isdigit():
        p = c.session.get(Population, int(text))
        if p is not None:
            return p
    p = c.session.execute(select(Population).where(Population.slug == text)).scalar_one_or_none()
    if p is None:
        p = c.session.execute(select(Population).where(Population.name == text)
                              .order_by(Population.retired_at.is_not(None), Population.id.desc())).scalars().first()
    return p


def resolve_population(c, ref: Any) -> Population:
    """A current population named by slug, name or id; otherwise ``InvalidInput`` (422) on field
    ``population`` listing the choices."""
    p = _find(c, ref)
    if p is None or p.retired_at is not None:
        choices = ", ".join(f"{x.slug} ({x.name})" for x in list_populations(c, current_only=True)) or "-"
        raise E.InvalidInput(Finding(POPULATION_UNKNOWN, {"value": str(ref)[:120], "choices": choices[:2000]},
                                     column="population"))
    return p


def slug_for(text: str) -> str:
    """German-friendly key: Geflüchtete ohne Ukraine -> gefluechtete-ohne-ukraine."""
    from publisher.services.intake import slugify

    t = str(text)
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
        t = t.replace(a, b)
    return slugify(t)


def create_population(c, actor, name: str, *, slug: str | None = None, parent: Any = None,
                      description: str = "") -> Population:
    _require_admin(actor)
    try:
        name = _text(name, "name", 200)
        key = slug_for(slug or name)
        if c.session.execute(select(Population).where(Population.slug == key)).scalar_one_or_none() is not None:
            raise E.InvalidInput(Finding(E.DUPLICATE, {**E.what("Population"), "name": key}, column="slug"))
        par = None
        if parent not in (None, ""):
            par = _find(c, parent)
            if par is None or par.retired_at is not None:
                raise E.InvalidInput(Finding(POPULATION_PARENT, {"value": str(parent)[:120]}, column="parent"))
        p = Population(slug=key, name=name, description=_text(description, "description", 2000, False),
                       parent_id=par.id if par else None, created_by_id=getattr(actor, "id", None),
                       created_at=c.now())
        c.session.add(p)
        c.session.flush()
        audit.record(c.session, actor or "cli", "population.created", p,
                     {"slug": key, "name": name, "part_of": par.slug if par else None})
        c.session.commit()
        return p
    except BaseException:
        c.session.rollback()
        raise


def retire_population(c, actor, ref: Any) -> Population:
    _require_admin(actor)
    try:
        p = _find(c, ref)
        if p is None:
            raise E.not_found("Population", ref)
        if p.retired_at is None:
            p.retired_at = c.now()
            audit.record(c.session, actor or "cli", "population.retired", p, {"slug": p.slug})
        c.session.commit()
        return p
    except BaseException:
        c.session.rollback()
        raise


def parent_of(c, p: Population) -> Population | None:
    return c.session.get(Population, p.parent_id) if p.parent_id else None


# --- category groupings --------------------------------------------------------------------------------------

def list_groupings(c, current_only: bool = True) -> list[CategoryGrouping]:
    q = select(CategoryGrouping).order_by(CategoryGrouping.dimension, CategoryGrouping.category, CategoryGrouping.id)
    if current_only:
        q = q.where(CategoryGrouping.retired_at.is_(None))
    return list(c.session.execute(q).scalars())


def _bad(de: str, en: str) -> E.InvalidInput:
    return E.InvalidInput(Finding(GROUPING_INVALID, {"reason_de": de, "reason_en": en}, column="parts"))


def create_grouping(c, actor, dimension: str, category: str, parts: Any = ()) -> CategoryGrouping:
    """Declare what ``category`` of ``dimension`` stands for: the sum of ``parts``, or (no parts) a category of
    its own."""
    _require_admin(actor)
    try:
        dim = _text(dimension, "dimension", 200)
        cat = _text(category, "category", 300)
        if isinstance(parts, str):
            parts = [x for x in (p.strip() for p in parts.replace(";", ",").replace("+", ",").split(",")) if x]
        parts = [_text(p, "parts", 300) for p in (parts or [])]
        if len(set(parts)) != len(parts):
            raise _bad("ein Teil ist doppelt genannt", "a part is named twice")
        if cat in parts:
            raise _bad("eine Kategorie kann nicht Teil ihrer selbst sein", "a category cannot be a part of itself")
        if len(parts) == 1:
            raise _bad("eine Zusammenfassung braucht mindestens zwei Teile (oder keinen: eigene Kategorie)",
                       "a grouping needs at least two parts (or none: a category of its own)")
        current = {g.category: g for g in list_groupings(c) if g.dimension == dim}
        if cat in current:
            raise E.InvalidInput(Finding(E.DUPLICATE, {**E.what("Kategorie"), "name": f"{dim}: {cat}"},
                                             column="category"))
        table = {k: tuple(g.parts or ()) for k, g in current.items()}
        table[cat] = tuple(parts)
        ref = Reference(groupings={dim: table})
        for p in parts:
            if cat in ref.expand(dim, p) or _reaches(table, p, cat):
                raise _bad(f"„{p}“ enthält „{cat}“ selbst (Kreis)", f"'{p}' contains '{cat}' itself (a cycle)")
        g = CategoryGrouping(dimension=dim, category=cat, parts=parts, created_by_id=getattr(actor, "id", None),
                             created_at=c.now())
        c.session.add(g)
        c.session.flush()
        audit.record(c.session, actor or "cli", "category_grouping.created", g,
                     {"dimension": dim, "category": cat, "parts": parts})
        c.session.commit()
        return g
    except BaseException:
        c.session.rollback()
        raise


def _reaches(table: dict[str, tuple], start: str, target: str) -> bool:
    stack, seen = [start], set()
    while stack:
        x = stack.pop()
        if x == target:
            return True
        if x in seen:
            continue
        seen.add(x)
        stack.extend(table.get(x, ()))
    return False


def retire_grouping(c, actor, grouping_id: int) -> CategoryGrouping:
    _require_admin(actor)
    try:
        g = c.session.get(CategoryGrouping, int(grouping_id))
        if g is None:
            raise E.not_found("Zusammenfassung", grouping_id)
        if g.retired_at is None:
            g.retired_at = c.now()
            audit.record(c.session, actor or "cli", "category_grouping.retired", g,
                         {"dimension": g.dimension, "category": g.category})
        c.session.commit()
        return g
    except BaseException:
        c.session.rollback()
        raise


# --- for the engine -------------------------------------------------------------------------------------------

def engine_reference(c) -> Reference:
    """Populations (all, retired ones too: the ledger may name them) with their nesting, and the current
    groupings."""
    pops = list_populations(c)
    by_id = {p.id: p for p in pops}
    groupings: dict[str, dict[str, tuple[str, ...]]] = {}
    for g in list_groupings(c):
        groupings.setdefault(g.dimension, {})[g.category] = tuple(g.parts or ())
    return Reference(populations={p.slug: (by_id[p.parent_id].slug if p.parent_id in by_id else None) for p in pops},
                     groupings=groupings, names={p.slug: p.name for p in pops})


__all__ = ["list_populations", "resolve_population", "create_population", "retire_population", "parent_of",
           "list_groupings", "create_grouping", "retire_grouping", "engine_reference", "POPULATION_UNKNOWN",
           "POPULATION_REQUIRED",
           "POPULATION_PARENT", "POPULATION_SERIES", "GROUPING_INVALID"]
