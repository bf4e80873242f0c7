"""Typed errors of the catalog layer: stable codes with German and English messages.

``catalog`` may not import ``disclosure_rules`` (tests/test_architecture.py), so it keeps its own small
catalogue in the same style as ``disclosure_rules.findings``: a code is registered once with a German and
an English template; an error carries the code and the template's parameters, renders in either language
and serialises to JSON (``to_dict``) for the DPO's view and the worker's job record.

Codes are stable: never rename one, add a new one instead.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    de: str
    en: str


CATALOGUE: dict[str, Message] = {}


def register(code: str, de: str, en: str) -> str:
    if code in CATALOGUE and CATALOGUE[code] != Message(de, en):
        raise ValueError(f"error code {code} registered twice with different text")
    CATALOGUE[code] = Message(de, en)
    return code


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# --- packaging -------------------------------------------------------------------------------------------
META_INVALID = register(
    "catalog.meta.invalid",
    "Metadaten ungültig, Feld {field!r}: {reason}",
    "invalid metadata, field {field!r}: {reason}",
)
TABLE_COLUMN_MISSING = register(
    "catalog.table.column_missing",
    "Tabelle {table}: Spalte {column!r} fehlt",
    "table {table}: column {column!r} is missing",
)
TABLE_VALUE_INVALID = register(
    "catalog.table.value_invalid",
    "Tabelle {table}, Zeile {row}, Spalte {column!r}: Wert {value!r} ungültig ({reason})",
    "table {table}, row {row}, column {column!r}: invalid value {value!r} ({reason})",
)
PACKAGE_INVALID = register(
    "catalog.package.invalid",
    "Datenpaket {name} ist nicht gültig ({count} Fehler laut Frictionless-Prüfung); "
    "es darf nicht veröffentlicht werden",
    "data package {name} is not valid ({count} errors from the frictionless validation); "
    "it must not be published",
)
LICENCE_UNKNOWN = register(
    "catalog.licence.unknown",
    "Unbekannte Lizenz {licence!r}; bekannt sind: {known}",
    "unknown licence {licence!r}; known are: {known}",
)
TARGET_UNKNOWN = register(
    "catalog.target.unknown",
    "Unbekanntes oder nicht eingerichtetes Veröffentlichungsziel {target!r} (eingerichtet: {known})",
    "unknown or unconfigured publication target {target!r} (configured: {known})",
)
# --- storage ---------------------------------------------------------------------------------------------
STORAGE_KEY_INVALID = register(
    "catalog.storage.key_invalid",
    "Ungültiger Speicherschlüssel {key!r}: {reason}",
    "invalid storage key {key!r}: {reason}",
)
STORAGE_NOT_FOUND = register(
    "catalog.storage.not_found",
    "Im Download-Bereich nicht vorhanden: {key}",
    "not in the download area: {key}",
)
STORAGE_IMMUTABLE = register(
    "catalog.storage.immutable",
    "{key} ist bereits mit anderem Inhalt gespeichert (sha256 {existing}); Versionen sind unveränderlich",
    "{key} is already stored with different content (sha256 {existing}); versions are immutable",
)
# --- CKAN ------------------------------------------------------------------------------------------------
CKAN_VALIDATION = register(
    "catalog.ckan.validation",
    "CKAN hat {action} abgelehnt (Validierungsfehler): {fields}",
    "CKAN rejected {action} (validation error): {fields}",
)
CKAN_NOT_AUTHORIZED = register(
    "catalog.ckan.not_authorized",
    "CKAN verweigert {action}: keine Berechtigung (API-Token und Organisation {org} prüfen)",
    "CKAN refused {action}: not authorised (check the API token and the organisation {org})",
)
CKAN_NOT_FOUND = register(
    "catalog.ckan.not_found",
    "CKAN kennt {what} nicht ({action})",
    "CKAN does not know {what} ({action})",
)
CKAN_TIMEOUT = register(
    "catalog.ckan.timeout",
    "CKAN unter {url} antwortet nicht innerhalb von {seconds} s ({action})",
    "CKAN at {url} did not answer within {seconds} s ({action})",
)
CKAN_UNREACHABLE = register(
    "catalog.ckan.unreachable",
    "CKAN unter {url} ist nicht erreichbar ({action}): {detail}",
    "CKAN at {url} is unreachable ({action}): {detail}",
)
CKAN_SERVER = register(
    "catalog.ckan.server_error",
    "CKAN unter {url} meldet einen Serverfehler (HTTP {status}) bei {action}",
    "CKAN at {url} reported a server error (HTTP {status}) during {action}",
)
CKAN_API = register(
    "catalog.ckan.api_error",
    "CKAN-Fehler bei {action}: {detail}",
    "CKAN error during {action}: {detail}",
)
CKAN_HASH_MISMATCH = register(
    "catalog.ckan.hash_mismatch",
    "Die von CKAN heruntergeladene Datei {resource} weicht von der freigegebenen ab "
    "(erwartet sha256 {expected}, erhalten {actual})",
    "the file {resource} downloaded back from CKAN differs from the approved one "
    "(expected sha256 {expected}, got {actual})",
)
CKAN_NOT_PUBLIC = register(
    "catalog.ckan.not_public",
    "Datensatz {name} ist für anonyme Nutzer nicht sichtbar (HTTP {status})",
    "dataset {name} is not visible to anonymous users (HTTP {status})",
)
CKAN_LICENSE_UNKNOWN = register(
    "catalog.ckan.license_unknown",
    "Das Portal kennt die Lizenz {license_id!r} nicht (bekannt: {known})",
    "the portal does not know the licence {license_id!r} (known: {known})",
)


class CatalogError(Exception):
    """Base of every error raised by ``catalog``; carries a stable code and message parameters."""

    #: whether retrying the same operation later may succeed (network trouble, 5xx)
    retryable: bool = False

    def __init__(self, code: str, **params: Any):
        if code not in CATALOGUE:
            raise KeyError(f"unknown catalog error code {code!r}")
        self.code = code
        self.params: dict[str, Any] = dict(params)
        super().__init__(self.message("en"))

    def message(self, lang: str = "de") -> str:
        tpl = CATALOGUE[self.code]
        return (tpl.en if lang == "en" else tpl.de).format(**self.params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "retryable": self.retryable,
            "params": _jsonable(self.params),
            "message_de": self.message("de"),
            "message_en": self.message("en"),
        }


class TargetUnknown(CatalogError):
    """A job names a target the registry does not have (e.g. CKAN switched off meanwhile)."""


class MetadataError(CatalogError):
    """Metadata or input table unusable for a package (one or more problems)."""

    def __init__(self, problems: list[CatalogError]):
        self.problems = list(problems)
        first = self.problems[0]
        super().__init__(first.code, **first.params)

    def message(self, lang: str = "de") -> str:
        return "\n".join(
            CatalogError.message(p, lang) for p in getattr(self, "problems", [])
        ) or CatalogError.message(self, lang)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [p.to_dict() for p in self.problems]
        return out


class PackageInvalid(CatalogError):
    """The frictionless validation refused the package; ``report`` holds the typed report."""

    def __init__(self, report: Any):
        self.report = report
        super().__init__(PACKAGE_INVALID, name=report.name, count=len(report.errors))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["report"] = self.report.to_dict()
        return out


class StorageError(CatalogError):
    pass


class CkanError(CatalogError):
    """Any failure talking to CKAN; subclasses tell what kind."""


class CkanValidationError(CkanError):
    def __init__(self, action: str, fields: Mapping[str, Any]):
        self.fields = {str(k): v for k, v in dict(fields).items()}
        shown = "; ".join(f"{k}: {_short(v)}" for k, v in sorted(self.fields.items()) if k != "__type")
        super().__init__(CKAN_VALIDATION, action=action, fields=shown or "?")


class CkanNotAuthorized(CkanError):
    pass


class CkanNotFound(CkanError):
    pass


class CkanTimeout(CkanError):
    retryable = True


class CkanUnreachable(CkanError):
    retryable = True


class CkanServerError(CkanError):
    retryable = True


class CkanHashMismatch(CkanError):
    pass


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_short(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_short(v)}" for k, v in value.items())
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
