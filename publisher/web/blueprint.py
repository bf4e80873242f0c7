"""The ``web`` blueprint and small helpers shared by the view modules."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

bp = Blueprint("web", __name__)


def ctx():
    from publisher.services import ctx_for_request

    return ctx_for_request()


def form_list(name: str) -> list[str]:
    """A comma-separated text field as a list (empty entries dropped)."""
    return [x.strip() for x in (request.form.get(name) or "").split(",") if x.strip()]


def field_errors(exc) -> tuple[dict[str, list[str]], list[str]]:
    """Split a service error's findings into errors of named form fields and general errors."""
    from publisher.i18n import current_lang

    lang = current_lang()
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for f in getattr(exc, "findings", []):
        msg = f.message(lang)
        if f.column and not f.file and f.row is None:
            by_field.setdefault(str(f.column), []).append(msg)
        else:
            general.append(msg)
    return by_field, general


def done(message: str, endpoint: str, **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values), code=303)
