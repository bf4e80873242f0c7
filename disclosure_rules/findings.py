"""Typed findings: stable codes with German and English message templates.

Every problem the engine sees in an input (and every notable decision it makes)
is a :class:`Finding`, never a bare string.  A finding names the place it is
about (file, 1-based row as the user sees it in the file, column) and carries
the parameters its message template needs, so the same finding renders in
German (default) or English and serialises to JSON without losing structure.

New codes are added to :data:`CATALOGUE` only; tests check that every code has
both messages and that every template's placeholders are filled.

Word forms that depend on a count are written into the template as a format spec of that count:
``"{n} {n:Zelle verletzt|Zellen verletzen} die Mindestfallzahl"`` (singular for 1, plural otherwise;
German and English both work so); :func:`plural_format` fills such templates.
"""
from __future__ import annotations

import enum
import numbers
import string
from dataclasses import dataclass, field
from typing import Any, Mapping


class Severity(str, enum.Enum):
    ERROR = "error"  # the input cannot be assessed; nothing is stored or written
    WARNING = "warning"  # assessed, but the DPO must see it
    INFO = "info"  # a decision or observation worth recording


@dataclass(frozen=True)
class MessageTemplate:
    severity: Severity
    de: str
    en: str


# code -> template.  Codes are stable: never rename one, add a new one instead.
CATALOGUE: dict[str, MessageTemplate] = {}


def register(code: str, severity: Severity, de: str, en: str) -> str:
    if code in CATALOGUE and CATALOGUE[code] != MessageTemplate(severity, de, en):
        raise ValueError(f"finding code {code} registered twice with different text")
    CATALOGUE[code] = MessageTemplate(severity, de, en)
    return code


class Count(int):
    """An integer that picks a word form in a format spec: ``format(Count(1), "Zelle|Zellen") == "Zelle"``."""

    def __format__(self, spec: str) -> str:
        if "|" in spec:
            one, other = spec.split("|", 1)
            return one if int(self) == 1 else other
        return format(int(self), spec)


def plural_format(template: str, params: Mapping[str, Any]) -> str:
    """``template.format(**params)`` with ``{n:singular|plural}`` word forms for integer parameters."""
    return template.format(**{k: Count(v) if isinstance(v, numbers.Integral) and not isinstance(v, bool) else v
                              for k, v in params.items()})


def plural(n: int, one: str, other: str) -> str:
    """``one`` for a count of 1, ``other`` otherwise (for texts built in code)."""
    return one if int(n) == 1 else other


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Finding:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    file: str | None = None
    row: int | None = None  # 1-based line/row number in the source file
    column: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown finding code {self.code!r}")
        # freeze params so the finding stays hashable-ish and immutable
        object.__setattr__(self, "params", dict(self.params))

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    def message(self, lang: str = "de") -> str:
        tpl = CATALOGUE[self.code]
        text = plural_format(tpl.en if lang == "en" else tpl.de, self.params)
        where = self.location(lang)
        return f"{where}: {text}" if where else text

    def location(self, lang: str = "de") -> str:
        parts = []
        if self.file:
            parts.append(("Datei " if lang != "en" else "file ") + str(self.file))
        if self.row is not None:
            parts.append(("Zeile " if lang != "en" else "row ") + str(self.row))
        if self.column:
            parts.append(("Spalte " if lang != "en" else "column ") + repr(str(self.column)))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "params": _jsonable(self.params),
            "message_de": self.message("de"),
            "message_en": self.message("en"),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


class InputError(Exception):
    """Raised when an input cannot be assessed; carries the error findings."""

    def __init__(self, findings: list[Finding] | Finding):
        self.findings = [findings] if isinstance(findings, Finding) else list(findings)
        super().__init__("; ".join(f.message("en") for f in self.findings[:5]))

    def message(self, lang: str = "de") -> str:
        return "\n".join(f.message(lang) for f in self.findings)
