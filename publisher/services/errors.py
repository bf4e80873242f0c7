"""Typed service errors.  Each carries findings (stable code + German/English message).

The API maps them: NotFound → 404, Forbidden → 403, WrongState → 409, InvalidInput → 422
(``ServiceError.http_status``).  ``err.to_dict(lang)`` gives the JSON error envelope's content.
"""
from __future__ import annotations

from typing import Any

from disclosure_rules.findings import Finding, Severity, register

E = Severity.ERROR

# --- codes (publisher.*) ------------------------------------------------------------------------
NOT_FOUND = register("publisher.not_found", E, "{what_de} {id} gibt es nicht.", "{what_en} {id} does not exist.")
FORBIDDEN_ROLE = register(
    "publisher.forbidden.role", E,
    "Nur Personen mit der Rolle {roles_de} dürfen {action_de}; Ihre Rolle ist „{role_de}“.",
    "Only users with the role {roles_en} may {action_en}; your role is '{role_en}'.")
FORBIDDEN_OWN = register(
    "publisher.forbidden.own_submission", E,
    "Vier-Augen-Prinzip: Sie dürfen Ihre eigene Einreichung nicht prüfen oder freigeben.",
    "Four-eyes principle: you may not review or approve your own submission.")
FORBIDDEN_NOT_AUTHOR = register(
    "publisher.forbidden.not_author", E,
    "Nur die einreichende Person ({submitter}) darf diese Einreichung {action_de}.",
    "Only the submitter ({submitter}) may {action_en} this submission.")
FORBIDDEN_SECOND_APPROVAL = register(
    "publisher.forbidden.same_approver", E,
    "Die zweite Freigabe muss von einer anderen Person kommen als die erste.",
    "The second approval must come from a different person than the first.")
FORBIDDEN_INACTIVE = register(
    "publisher.forbidden.inactive", E, "Das Konto {user} ist deaktiviert.", "The account {user} is disabled.")
FORBIDDEN_VIEW = register(
    "publisher.forbidden.view", E, "Sie dürfen {what_de} nicht sehen.", "You may not see {what_en}.")
WRONG_STATE = register(
    "publisher.wrong_state", E,
    "Die Aktion „{action_de}“ ist im Zustand „{state_de}“ nicht möglich.",
    "The action '{action_en}' is not possible in the state '{state_en}'.")
STALE = register(
    "publisher.stale", E,
    "Die Einreichung wurde inzwischen geändert; bitte neu laden.",
    "The submission was changed in the meantime; please reload.")
ARTIFACT_CHANGED = register(
    "publisher.artifact_changed", E,
    "Die Freigabe gilt nur für genau die geprüften Daten (sha256 {expected}); "
    "die freizugebende Tabelle ist jetzt {actual}. Bitte erneut prüfen.",
    "Approval applies only to exactly the reviewed data (sha256 {expected}); "
    "the releasable table is now {actual}. Please review again.")
ARTIFACT_CORRUPT = register(
    "publisher.artifact_corrupt", E,
    "Die gespeicherte freizugebende Tabelle {sha256} fehlt oder stimmt nicht mit ihrer Prüfsumme überein.",
    "The stored releasable table {sha256} is missing or does not match its checksum.")
WITHHELD = register(
    "publisher.withheld", E,
    "Die Tabelle kann nach den Geheimhaltungsregeln auf keiner Ebene veröffentlicht werden; "
    "sie kann nicht freigegeben werden.",
    "The table cannot be published at any level under the disclosure rules; it cannot be approved.")
COMMENT_REQUIRED = register(
    "publisher.comment_required", E, "Für die Aktion „{action_de}“ ist ein Kommentar nötig.",
    "The action '{action_en}' needs a comment.")
INVALID_FIELD = register(
    "publisher.invalid_field", E, "Feld „{field}“: {problem_de}", "field '{field}': {problem_en}")
UPLOAD_TOO_LARGE = register(
    "publisher.upload_too_large", E,
    "Die Datei ist {size} Bytes groß; erlaubt sind höchstens {limit} Bytes.",
    "The file is {size} bytes; at most {limit} bytes are allowed.")
UPLOAD_EMPTY = register("publisher.upload_empty", E, "Die Datei ist leer.", "The file is empty.")
UPLOAD_TYPE = register(
    "publisher.upload_type", E,
    "Dateityp „{ext}“ wird nicht unterstützt; erlaubt sind CSV, TXT und XLSX.",
    "File type '{ext}' is not supported; allowed are CSV, TXT and XLSX.")
DUPLICATE = register("publisher.duplicate", E, "{what_de} „{name}“ gibt es schon.",
                     "{what_en} '{name}' already exists.")
LOGIN_FAILED = register(
    "publisher.login_failed", E, "Benutzername oder Passwort ist falsch.", "Wrong user name or password.")
LOCKED = register(
    "publisher.locked", E,
    "Das Konto ist nach zu vielen Fehlversuchen bis {until} gesperrt.",
    "The account is locked until {until} after too many failed attempts.")
TOKEN_INVALID = register("publisher.token_invalid", E, "Das API-Token ist ungültig.", "The API token is invalid.")
CATEGORY_SYMBOL = register(
    "publisher.category_symbol", E,
    "Die Kategorie „{value}“ ist ein Zeichen nach DIN 55301 („.“ = geheim gehalten, „-“ = nichts vorhanden) "
    "und würde in der veröffentlichten Tabelle als fehlender Wert gelesen; bitte benennen Sie sie um.",
    "The category '{value}' is a DIN 55301 symbol ('.' = suppressed, '-' = nothing) and would be read as a "
    "missing value in the published table; please rename it.")
ENGINE_FAILED = register(
    "publisher.engine_failed", E,
    "Die Prüfung der Datei ist mit einem internen Fehler abgebrochen ({error}); es wurde nichts gespeichert.",
    "Checking the file failed with an internal error ({error}); nothing was stored.")


class ServiceError(Exception):
    http_status = 400
    kind = "error"

    def __init__(self, findings: Finding | list[Finding] | str, **params: Any):
        if isinstance(findings, str):
            findings = Finding(findings, params)
        self.findings = [findings] if isinstance(findings, Finding) else list(findings)
        super().__init__(self.message("en"))

    @property
    def code(self) -> str:
        return self.findings[0].code if self.findings else self.kind

    def message(self, lang: str = "de") -> str:
        return "\n".join(f.message(lang) for f in self.findings)

    def to_dict(self, lang: str = "de") -> dict:
        return {"code": self.code, "message": self.message(lang),
                "details": [f.to_dict() for f in self.findings]}


class NotFound(ServiceError):
    http_status, kind = 404, "not_found"


class Forbidden(ServiceError):
    http_status, kind = 403, "forbidden"


class WrongState(ServiceError):
    http_status, kind = 409, "wrong_state"


class InvalidInput(ServiceError):
    http_status, kind = 422, "invalid_input"


class AuthenticationFailed(ServiceError):
    http_status, kind = 401, "authentication_failed"


class Gone(ServiceError):
    """A link, invitation or download that existed and is no longer available (410)."""
    http_status, kind = 410, "gone"


# --- parameters in both languages ---------------------------------------------------------------------
# A finding's German message gets German words and its English message English ones: a parameter that is a
# word of the UI (a noun like "Hierarchie", a role, an action, a state) is given as ``<key>_de``/``<key>_en``,
# translated through the UI catalogue (publisher.i18n); ``<key>`` keeps the code or the German id for
# machines.


def term(key: str, msgid: str, suffix: str = "") -> dict[str, str]:
    """``{key: msgid, key_de: ..., key_en: ...}`` for a German message id of the UI catalogue."""
    from publisher.i18n import both

    words = both(msgid)
    return {key: msgid, f"{key}_de": words["de"] + suffix, f"{key}_en": words["en"] + suffix}


def _labels(key: str, code: str, kind: str) -> dict[str, str]:
    from publisher.i18n import LANGS, action_verb, role_label

    label = {"role": role_label, "action": action_verb}[kind]
    return {key: code, **{f"{key}_{lang}": label(code, lang) for lang in LANGS}}


def what(msgid: str, id: Any = None) -> dict[str, str]:
    """Parameters ``what``/``what_de``/``what_en`` (``"Einreichung 5"`` when ``id`` is given)."""
    return term("what", msgid, "" if id is None else f" {id}")


def not_found(what_msgid: str, id: Any) -> NotFound:
    return NotFound(NOT_FOUND, id=id, **what(what_msgid))


def forbidden_view(what_msgid: str, id: Any = None) -> Forbidden:
    return Forbidden(FORBIDDEN_VIEW, **what(what_msgid, id))


def forbidden_role(action: str, role: str, allowed) -> Forbidden:
    """Only ``allowed`` roles may do ``action``; the actor has ``role`` (codes; the message names labels)."""
    from publisher.i18n import role_label

    allowed = sorted(str(getattr(r, "value", r)) for r in allowed)
    role = str(getattr(role, "value", role))
    return Forbidden(FORBIDDEN_ROLE, **_labels("action", action, "action"), **_labels("role", role, "role"),
                     roles=", ".join(allowed),
                     roles_de=" oder ".join(f"„{role_label(r, 'de')}“" for r in allowed),
                     roles_en=" or ".join(f"'{role_label(r, 'en')}'" for r in allowed))


def not_author(action: str, submitter: str) -> Forbidden:
    return Forbidden(FORBIDDEN_NOT_AUTHOR, submitter=submitter, **_labels("action", action, "action"))


def wrong_state(action: str, state) -> WrongState:
    """``state``: a :class:`publisher.workflow.State` (or its value)."""
    from publisher.workflow import STATE_LABELS, State

    return WrongState(WRONG_STATE, **_labels("action", action, "action"),
                      **term("state", STATE_LABELS[State(state)]), state_code=str(State(state).value))


def comment_required(action: str) -> InvalidInput:
    return InvalidInput(COMMENT_REQUIRED, **_labels("action", action, "action"))


def invalid_field(field: str, de: str, en: str) -> Finding:
    return Finding(INVALID_FIELD, {"field": field, "problem_de": de, "problem_en": en}, column=field)


# --- one transaction, optimistic locking (shared by the services that bump a version counter) ------------

def commit(c) -> None:
    """Commit this context's transaction; on any failure roll back and re-raise."""
    try:
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise


def commit_or_stale(c) -> None:
    """Commit; another transaction that changed the same row first (optimistic lock) is a 409 ``STALE``."""
    from sqlalchemy.orm.exc import StaleDataError

    try:
        c.session.commit()
    except StaleDataError:
        c.session.rollback()
        raise WrongState(STALE) from None
    except BaseException:
        c.session.rollback()
        raise


def run_or_stale(c, fn):
    """Run ``fn`` (the caller's transaction); a lost optimistic lock or a unique row stored first by another
    transaction is a 409 ``STALE``; anything else rolls back and propagates."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    try:
        return fn()
    except (StaleDataError, IntegrityError):
        c.session.rollback()
        raise WrongState(STALE) from None
    except BaseException:
        c.session.rollback()
        raise
