"""UI language: German by default, English selectable (``?lang=en`` or the ``freigabe_lang`` cookie).

One Flask-Babel/gettext catalogue holds every UI text.  German is the source language: the message ids in
``_()`` / ``ngettext()`` calls are the German texts, shown as they are in the German UI.  The English
translations live in ``publisher/translations/en/LC_MESSAGES/messages.po``; the compiled ``messages.mo``
next to it is committed, so a fresh clone works right after ``pip install -e .`` (``tests/web/test_i18n.py``
fails when the committed ``.mo`` is stale, when a message has no English translation, when an id is
duplicated or fuzzy, on English leftovers in the German UI and on wrong plural forms).  ``make messages``
(``scripts/i18n.sh``) extracts ``messages.pot`` from Python and templates (``babel.cfg``), updates the
``.po`` and compiles the ``.mo``.

Texts keep the ``{name}`` placeholders of :meth:`str.format`, filled after translation:

* templates: ``{{ _("Anmelden") }}``, ``{{ _("Willkommen, {name}.", name=user) }}``,
  ``{{ ngettext("{n} Einreichung", "{n} Einreichungen", count) }}`` (``n`` defaults to the count),
  ``{{ value|zahl }}``, ``{{ when|datum }}`` / ``{{ when|datumzeit }}`` (Europe/Berlin, zone named);
* Python: :func:`gettext` (alias ``_``), :func:`ngettext`; ids kept in dicts are marked with :func:`N_`
  (so ``pybabel extract`` finds them) and translated where shown;
* outside a request, or for both languages at once (typed errors): :func:`translate`, :func:`both`.

The engine (``disclosure_rules``) and ``catalog`` keep their own typed German/English messages.
"""
from __future__ import annotations

import datetime as dt
import functools
import gettext as _gettext
from pathlib import Path
from typing import Any

LANGS = ("de", "en")
DEFAULT_LANG = "de"
LANG_COOKIE = "freigabe_lang"
TIMEZONE = "Europe/Berlin"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def N_(text: str) -> str:
    """Marks a German message id for extraction without translating it (translate it where it is shown)."""
    return text


@functools.lru_cache(maxsize=None)
def catalogue(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang``; German (the source language) is the ids themselves."""
    if lang == DEFAULT_LANG or lang not in LANGS:
        return _gettext.NullTranslations()
    from babel.support import Translations

    return Translations.load(str(TRANSLATIONS_DIR), [lang], DOMAIN)


def translate(text: str, lang: str, **params: Any) -> str:
    out = catalogue(lang).gettext(text) if text else text
    return out.format(**params) if params else out


def ntranslate(singular: str, plural: str, num: int, lang: str, **params: Any) -> str:
    params.setdefault("n", num)
    return catalogue(lang).ngettext(singular, plural, num).format(**params)


def both(text: str, **params: Any) -> dict[str, str]:
    """``{"de": ..., "en": ...}``: a text in both languages (for typed errors that carry both)."""
    return {lang: translate(text, lang, **params) for lang in LANGS}


def current_lang() -> str:
    """The UI language of the current request (``de`` outside a request)."""
    try:
        from flask import g, has_request_context, request
    except ImportError:  # pragma: no cover
        return DEFAULT_LANG
    if not has_request_context():
        return DEFAULT_LANG
    lang = getattr(g, "freigabe_lang", None)
    if lang is None:
        lang = select_lang(request)
        g.freigabe_lang = lang
    return lang


def select_lang(request) -> str:
    """``?lang=`` wins, then the cookie, then German.  (The browser's Accept-Language is not used:
    German is the official default; English is a deliberate choice.)"""
    for value in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value and value.lower()[:2] in LANGS:
            return value.lower()[:2]
    return DEFAULT_LANG


def gettext(text: str, **params: Any) -> str:
    """``text`` (a German message id) in the UI language, ``{name}`` placeholders filled from ``params``."""
    return translate(text, current_lang(), **params)


def ngettext(singular: str, plural: str, num: int, **params: Any) -> str:
    """Singular or plural form for the count ``num`` in the UI language (``{n}`` is ``num`` unless given,
    e.g. formatted: ``ngettext("{n} Zeile", "{n} Zeilen", total, n=format_number(total))``)."""
    return ntranslate(singular, plural, num, current_lang(), **params)


_ = gettext


# --- formatting (Flask-Babel) ------------------------------------------------------------------------

def format_number(value: Any) -> str:
    """German number format (``1.234``, ``0,5``); anything that is not a finite number is shown as it is."""
    import math

    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return gettext("ja") if value else gettext("nein")
    try:
        from flask_babel import format_decimal

        if isinstance(value, str):
            value = float(value) if any(ch in value for ch in ".eE") else int(value)
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        return format_decimal(value)
    except (ValueError, TypeError, ArithmeticError):
        return str(value)


def format_date(value: Any) -> str:
    if not value:
        return ""
    from flask_babel import format_date as fd
    from flask_babel import format_datetime as fdt

    pattern = "dd.MM.yyyy" if current_lang() == "de" else "d MMM yyyy"
    return fdt(value, pattern) if isinstance(value, dt.datetime) else fd(value, pattern)


DATETIME_PATTERNS = {"de": "dd.MM.yyyy, HH:mm 'Uhr' (z)", "en": "d MMM yyyy, HH:mm (VV)"}


def format_datetime(value: Any, lang: str | None = None) -> str:
    """A point in time in Europe/Berlin with the zone named: ``01.12.2026, 09:00 Uhr (MEZ)`` /
    ``1 Dec 2026, 09:00 (Europe/Berlin)``.  Naive values are UTC (as stored)."""
    if not value:
        return ""
    from babel.dates import format_datetime as fdt
    from babel.dates import get_timezone

    lang = lang or current_lang()
    return fdt(value, DATETIME_PATTERNS.get(lang, DATETIME_PATTERNS["de"]), tzinfo=get_timezone(TIMEZONE),
               locale=lang if lang in LANGS else DEFAULT_LANG)


# --- labels of enum values (the codes stay in data, the UI shows the label) ---------------------------

ACTION_LABELS = {"submit": N_("eingereicht"), "approve": N_("freigegeben"), "approve_first": N_("erste Freigabe"),
                 "return": N_("zurückgegeben"), "reject": N_("abgelehnt"), "withdraw": N_("zurückgezogen"),
                 "resubmit": N_("erneut eingereicht"), "withdraw_release": N_("Veröffentlichung zurückgezogen"),
                 "start_publishing": N_("Veröffentlichung begonnen"), "publish": N_("veröffentlicht"),
                 "publication_failed": N_("Veröffentlichung fehlgeschlagen"),
                 "stop_release": N_("Veröffentlichung gestoppt")}
# what a person may do (used in "only ... may ..." sentences): code -> German infinitive
ACTION_VERBS = {"submit": N_("einreichen"), "approve": N_("freigeben"), "approve_first": N_("erstmals freigeben"),
                "return": N_("zurückgeben"), "reject": N_("ablehnen"), "withdraw": N_("zurückziehen"),
                "resubmit": N_("erneut einreichen"), "update": N_("ändern"), "upload": N_("hochladen"),
                "withdraw_release": N_("die Veröffentlichung zurückziehen"),
                "stop_release": N_("die Veröffentlichung stoppen"), "reset_password": N_("Passwörter zurücksetzen"),
                "start_publishing": N_("die Veröffentlichung beginnen"), "publish": N_("veröffentlichen"),
                "publication_failed": N_("die Veröffentlichung als fehlgeschlagen melden"),
                "manage accounts": N_("Konten verwalten"), "manage reference data": N_("Referenzdaten verwalten"),
                "retention": N_("Aufbewahrungsfristen anwenden")}
ROLE_LABELS = {"submitter": N_("Statistikstelle"), "approver": N_("Datenschutzbeauftragte/r"),
               "admin": N_("Administration"), "reader": N_("Lesende"), "system": N_("System")}


def action_label(action: str, lang: str | None = None) -> str:
    """A workflow action (decision) as a past-tense word in the UI language."""
    return translate(ACTION_LABELS[action], lang or current_lang()) if action in ACTION_LABELS else action


def action_verb(action: str, lang: str | None = None) -> str:
    return translate(ACTION_VERBS[action], lang or current_lang()) if action in ACTION_VERBS else action


def role_label(role: str, lang: str | None = None) -> str:
    return translate(ROLE_LABELS[role], lang or current_lang()) if role in ROLE_LABELS else role


def init_app(app) -> None:
    from flask import request
    from flask_babel import Babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANG)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=current_lang, timezone_selector=lambda: TIMEZONE)

    @app.after_request
    def _remember_lang(response):
        chosen = request.args.get("lang")
        if chosen and chosen.lower()[:2] in LANGS and request.cookies.get(LANG_COOKIE) != chosen.lower()[:2]:
            response.set_cookie(LANG_COOKIE, chosen.lower()[:2], max_age=365 * 24 * 3600, samesite="Lax",
                                secure=bool(app.config.get("SESSION_COOKIE_SECURE", True)), httponly=True)
        return response

    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, current_lang=current_lang,
                                 LANGS=LANGS, role_label=role_label, action_label=action_label)
    app.jinja_env.filters.update(zahl=format_number, datum=format_date, datumzeit=format_datetime)
    from publisher import labels

    labels.init_app(app)
