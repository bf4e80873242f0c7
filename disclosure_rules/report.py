"""The assessment report: typed data with an internal part (for the DPO) and a public part.

The public part never contains a value below the threshold or the position (key) of a failing cell: only
counts of cells, the decision per level, the rule set and the public statement.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .findings import Finding, Severity, _jsonable, register

MAX_LISTED_CELLS = 10_000
MAX_FINDINGS_PER_CODE = 20  # listed one by one; the rest of the same code are counted in one finding

MORE_FINDINGS = register(
    "FG-REPORT-MORE-FINDINGS", Severity.INFO,
    "{omitted} {omitted:weitere Meldung|weitere Meldungen} {code} nicht einzeln aufgeführt (insgesamt {count}, "
    "davon {listed} oben).",
    "{omitted} more {omitted:finding|findings} {code} not listed one by one ({count} in total, {listed} of them "
    "above).")


def aggregate_findings(findings, limit: int = MAX_FINDINGS_PER_CODE) -> list[Finding]:
    """Bounded list: the first ``limit`` findings of each code in their order, then for every code with more
    one FG-REPORT-MORE-FINDINGS with the exact count (its severity is that of the code it counts, in
    ``params``)."""
    findings = list(findings)
    per_code: dict[str, int] = {}
    for f in findings:
        per_code[f.code] = per_code.get(f.code, 0) + 1
    if all(n <= limit for n in per_code.values()):
        return findings
    out, seen = [], dict.fromkeys(per_code, 0)
    for f in findings:
        seen[f.code] += 1
        if seen[f.code] <= limit:
            out.append(f)
    for code, n in per_code.items():
        if n > limit:
            first = next(f for f in findings if f.code == code)
            out.append(Finding(MORE_FINDINGS, {"code": code, "count": n, "listed": limit, "omitted": n - limit,
                                               "severity": first.severity.value}, file=first.file))
    return out


def dumps_report(d: dict) -> str:
    """Report JSON, fast at any size: one key per line at the top and in its dicts, one list item per line,
    everything below that compact (json's C encoder; ``indent`` would switch to the pure-Python one)."""
    enc = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(", ", ": "))

    def block(value, pad: str) -> str:
        inner = pad + "  "
        if isinstance(value, dict) and value:
            items = [f"{inner}{enc.encode(str(k))}: {block(v, inner) if pad == '' else enc.encode(v)}"
                     for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, (list, tuple)) and value:
            return "[\n" + ",\n".join(inner + enc.encode(v) for v in value) + "\n" + pad + "]"
        return enc.encode(value)

    return block(d, "")


@dataclass(frozen=True)
class LevelResult:
    level: str
    cells: int
    failing_cells: int
    decision: str  # "released" | "withheld" | "not_tried"
    reason: str  # stable code, e.g. "all_cells_pass", "cells_below_threshold", "non_additive", ...
    reason_de: str
    reason_en: str
    failing: tuple[dict, ...] = ()  # internal: failing cell keys with their values (DPO only)
    failing_truncated: bool = False

    def public(self) -> dict[str, Any]:
        return {"level": self.level, "cells": self.cells, "failing_cells": self.failing_cells,
                "decision": self.decision, "reason": self.reason, "reason_de": self.reason_de,
                "reason_en": self.reason_en}

    def internal(self) -> dict[str, Any]:
        d = self.public()
        d["failing"] = [dict(x) for x in self.failing]
        d["failing_truncated"] = self.failing_truncated
        return d


@dataclass(frozen=True)
class Report:
    outcome: str  # "publishable" | "withheld"
    level: str | None
    submitted_level: str
    rule_set: dict
    input_sha256: str
    levels: tuple[LevelResult, ...]
    information_loss: dict
    public_statement: dict  # {"de": ..., "en": ...}
    findings: tuple[Finding, ...] = ()
    scope: str = "whole_table"
    extra: dict = field(default_factory=dict)  # scope-specific parts (e.g. the cells scope's audit)
    extra_public: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The full (internal) report for the DPO."""
        d = self._common()
        d["levels"] = [lv.internal() for lv in self.levels]
        d["findings"] = [f.to_dict() for f in aggregate_findings(self.findings)]
        d.update(_jsonable(self.extra))
        return d

    def public_dict(self) -> dict[str, Any]:
        d = self._common()
        d["levels"] = [lv.public() for lv in self.levels]
        d.update(_jsonable(self.extra_public))
        return d

    def _common(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "level": self.level,
            "submitted_level": self.submitted_level,
            "scope": self.scope,
            "rule_set": self.rule_set,
            "input_sha256": self.input_sha256,
            "information_loss": dict(self.information_loss),
            "public_statement": dict(self.public_statement),
        }

    def to_json(self, public: bool = False) -> str:
        return dumps_report(self.public_dict() if public else self.to_dict())


def level_title(level: str | None) -> str:
    if not level:
        return ""
    return {"stadt": "Gesamtstadt", "baublock": "Baublock", "stadtteil": "Stadtteil",
            "stadtbezirk": "Stadtbezirk"}.get(level, level.replace("_", " ").title())


def public_statement(rules, outcome: str, submitted: str, level: str | None, reason: str | None = None) -> dict:
    k = rules.min_count
    if rules.zeros_are_disclosive:
        rule_de = f"Werte unter {k} (einschließlich 0) werden nicht veröffentlicht"
        rule_en = f"values below {k} (including 0) are not published"
    else:
        rule_de = f"Werte von 1 bis {k - 1} werden nicht veröffentlicht (Werte unter {k}, Nullen ausgenommen)"
        rule_en = f"values from 1 to {k - 1} are not published (values below {k}, zeros excepted)"
    head_de = f"Geheimhaltung: {rule_de} (Regelsatz {rules.name}, Version {rules.version})."
    head_en = f"Disclosure control: {rule_en} (rule set {rules.name}, version {rules.version})."
    if outcome == "publishable" and level == submitted:
        tail_de = f" Die Tabelle wird auf Ebene {level_title(level)} veröffentlicht."
        tail_en = f" The table is published at level {level_title(level)}."
    elif outcome == "publishable":
        tail_de = (f" Auf Ebene {level_title(submitted)} war das nicht möglich; die Tabelle wird auf Ebene "
                   f"{level_title(level)} vergröbert veröffentlicht.")
        tail_en = (f" This was not possible at level {level_title(submitted)}; the table is published "
                   f"coarsened to level {level_title(level)}.")
    else:
        tail_de = " Die Tabelle wird nicht veröffentlicht (auf keiner Ebene ohne Geheimhaltungsfall)."
        tail_en = " The table is not published (no level without confidential cells)."
        if reason == "non_additive":
            tail_de = (" Die Tabelle wird nicht veröffentlicht; als nicht additive Tabelle (z. B. Bewegungen) "
                       "wird sie nicht durch Summieren vergröbert.")
            tail_en = (" The table is not published; as a non-additive table (e.g. flows) it is not coarsened "
                       "by summing.")
    return {"de": head_de + tail_de, "en": head_en + tail_en}
