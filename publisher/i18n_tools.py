"""Maintaining the UI catalogue (:mod:`publisher.i18n`): extract, update, compile, check.

``python -m publisher.i18n_tools`` (``make messages``, ``scripts/i18n.sh``) extracts the German message ids
from Python and templates (``babel.cfg``) into ``publisher/translations/messages.pot``, merges them into
every language's ``messages.po`` (new ids get an empty translation, ids no longer used are dropped) and
compiles ``messages.mo``; ``... compile`` compiles only, ``... check`` lists what is missing and exits 1.
The same functions back ``tests/web/test_i18n.py``.

Output is stable for merges: entries sorted by id, no source locations, no dates in the ``.po`` header,
a fixed date in the ``.mo`` header (same Babel version → same bytes).
"""
from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from publisher.i18n import DEFAULT_LANG, DOMAIN, LANGS, TRANSLATIONS_DIR

ROOT = TRANSLATIONS_DIR.parent.parent
BABEL_CFG = ROOT / "babel.cfg"
# Babel's defaults (_, gettext, ngettext, N_, ...) plus publisher.i18n's language-explicit helpers and the
# typed errors' nouns (publisher.services.errors.not_found / forbidden_view / what take a German id first)
KEYWORDS = {**DEFAULT_KEYWORDS, "translate": None, "ntranslate": (1, 2), "both": None,
            "not_found": None, "forbidden_view": None, "what": None}
FIXED_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_VOLATILE_HEADERS = ('"POT-Creation-Date:', '"PO-Revision-Date:', '"Generated-By:')


def _method_map() -> tuple[list[tuple[str, str]], dict]:
    from babel.messages import frontend

    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with open(BABEL_CFG, encoding="utf-8") as fh:
        return parse(fh)


def extract(root: Path = ROOT) -> Catalog:
    """Every message id used in ``publisher/`` and ``templates/`` (with its places as locations)."""
    method_map, options_map = _method_map()
    template = Catalog(project="Freigabe", charset="utf-8", fuzzy=False, creation_date=FIXED_DATE)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(lang: str) -> Path:
    return TRANSLATIONS_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str) -> Catalog:
    with open(po_path(lang), "rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def po_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=110, no_location=True, omit_header=False, sort_output=True,
             ignore_obsolete=True, include_previous=False)
    lines = [ln for ln in buf.getvalue().decode("utf-8").splitlines(keepends=True)
             if not ln.startswith(_VOLATILE_HEADERS)]
    return "".join(lines).encode("utf-8")


def mo_bytes(catalog: Catalog) -> bytes:
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def mo_messages(data: bytes) -> dict:
    """The translations in compiled bytes (header left out), for comparing a ``.mo`` with its ``.po``."""
    def key(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {key(m.id): key(m.string) for m in read_mo(io.BytesIO(data)) if m.id}


def update(template: Catalog | None = None) -> None:
    template = template or extract()
    pot = TRANSLATIONS_DIR / f"{DOMAIN}.pot"
    pot.write_bytes(po_bytes(template))
    for lang in LANGS:
        if lang == DEFAULT_LANG:
            continue  # German is the source language: the ids are the German texts
        path = po_path(lang)
        if path.exists():
            catalog = read_catalogue(lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="Freigabe", fuzzy=False, header_comment=(
                f"# {lang} translations of the Freigabe UI. The message ids are the German texts (the source\n"
                "# language). Run `make messages` after changing texts; see publisher/i18n.py."))
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.fuzzy = False
        path.write_bytes(po_bytes(catalog))


def compile_all() -> None:
    for lang in LANGS:
        if lang != DEFAULT_LANG:
            po_path(lang).with_suffix(".mo").write_bytes(mo_bytes(read_catalogue(lang)))


def problems() -> list[str]:
    """What makes the catalogue incomplete: untranslated, fuzzy or unused entries and stale ``.mo`` files."""
    ids = {m.id for m in extract() if m.id}
    out = []
    for lang in LANGS:
        if lang == DEFAULT_LANG:
            continue
        catalog = read_catalogue(lang)
        have = {m.id: m for m in catalog if m.id}
        out += [f"{lang}: no translation: {_show(i)}" for i in sorted(ids, key=_show)
                if i not in have or not _translated(have[i])]
        out += [f"{lang}: fuzzy: {_show(i)}" for i, m in have.items() if m.fuzzy]
        out += [f"{lang}: not used (run make messages): {_show(i)}" for i in have if i not in ids]
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo_messages(mo.read_bytes()) != mo_messages(mo_bytes(catalog)):
            out.append(f"{lang}: {mo} is stale (run make messages)")
    return out


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings)


def _show(msgid) -> str:
    return msgid if isinstance(msgid, str) else " | ".join(msgid)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "update"
    if command == "update":
        update()
    if command in ("update", "compile"):
        compile_all()
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if found and command == "check":
        return 1
    if found:
        print(f"{len(found)} problem(s): translate the empty entries in the .po files, then run "
              "`make messages` again", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
