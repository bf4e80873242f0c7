"""Template helpers that turn the engine's report dict into rows a person can read (German/English)."""
from __future__ import annotations

from typing import Any

_LEVEL_KEYS = ("levels", "per_level", "attempts", "level_results")

# engine report keys -> German labels (English in publisher.i18n.EN); unknown keys are shown as they are
REPORT_LABELS = {
    "level": "Ebene", "chosen_level": "Veröffentlichte Ebene", "outcome": "Ergebnis",
    "min_count": "Mindestfallzahl", "zeros_are_disclosive": "Nullen gelten als offenlegend",
    "rules": "Regelwerk", "rule_set": "Regelwerk", "ruleset": "Regelwerk", "scope": "Geltungsbereich",
    "coarsen": "Vergröberung erlaubt", "dimensions": "Merkmale", "cells": "Zellen",
    "failing": "Zellen unter der Mindestfallzahl", "failing_cells": "Zellen unter der Mindestfallzahl",
    "n_cells": "Zellen", "n_failing": "Zellen unter der Mindestfallzahl", "suppressed": "Unterdrückte Zellen",
    "total": "Summe", "rows": "Zeilen", "table_sha256": "Prüfsumme der Tabelle", "version": "Version",
    "name": "Name", "reason": "Begründung", "public_statement": "Öffentliche Aussage",
    "decision": "Entscheidung", "submitted_level": "Eingereichte Ebene", "input_sha256": "Prüfsumme der Eingabe",
    "information_loss": "Informationsverlust", "cells_submitted": "Eingereichte Zellen",
    "cells_released": "Veröffentlichte Zellen", "cells_lost": "Durch Vergröberung entfallene Zellen",
    "levels_coarsened": "Vergröberte Ebenen", "share_of_cells_lost": "Anteil entfallener Zellen",
    "suppressed_cells": "Unterdrückte Zellen", "suppressed_share_of_total": "Anteil unterdrückter Werte an der Summe",
    "total_count": "Summe aller Werte", "parameters": "Parameter", "sha256": "Prüfsumme",
}


def label(key: str) -> str:
    from publisher.i18n import gettext

    return gettext(REPORT_LABELS[key]) if key in REPORT_LABELS else key


REPORT_VALUES = {"withheld": "zurückgehalten", "released": "veröffentlicht", "not_tried": "nicht geprüft",
                 "publishable": "veröffentlichbar", "whole_table": "ganze Tabelle", "cells": "einzelne Zellen"}
_LEVEL_ORDER = ("level", "cells", "failing_cells", "decision", "reason")


def _value_text(value: Any) -> Any:
    from publisher.i18n import gettext

    return gettext(REPORT_VALUES[value]) if isinstance(value, str) and value in REPORT_VALUES else value


def report_levels(report: Any) -> list[dict]:
    """Per-level rows of a report (level, cells, failing cells, decision, reason in the UI language).

    Lists (the failing cells themselves) are left out here; ``*_de``/``*_en`` texts replace their code."""
    from publisher.i18n import current_lang

    if not isinstance(report, dict):
        return []
    lang = current_lang()
    rows: list[dict] = []
    for key in _LEVEL_KEYS:
        value = report.get(key)
        if isinstance(value, dict) and value and all(isinstance(x, dict) for x in value.values()):
            value = [{"level": name, **row} for name, row in value.items()]
        if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for row in value:
                out: dict = {}
                for k, v in row.items():
                    if k.endswith(("_de", "_en")):
                        if k[-2:] == lang:
                            out[k[:-3]] = v
                        continue
                    if k in out or k == "failing_truncated":
                        continue
                    if isinstance(v, (str, int, float, bool)) or v is None:
                        out[k] = _value_text(v)
                ordered = {k: out[k] for k in _LEVEL_ORDER if k in out}
                ordered.update({k: v for k, v in out.items() if k not in ordered})
                rows.append(ordered)
            return rows
    return []


def failing_cells(report: Any, level: str | None = None) -> list[dict] | None:
    """The failing cells the engine listed for ``level`` (default: the submitted level); None = not known."""
    if not isinstance(report, dict) or not isinstance(report.get("levels"), list):
        return None
    level = level or report.get("submitted_level")
    for row in report["levels"]:
        if isinstance(row, dict) and row.get("level") == level and isinstance(row.get("failing"), list):
            if row.get("failing_truncated"):
                return None
            return [f for f in row["failing"] if isinstance(f, dict)]
    return None


def _fmt(value: Any, lang: str) -> str:
    from publisher.i18n import format_number

    if isinstance(value, bool):
        return ("ja" if value else "nein") if lang == "de" else ("yes" if value else "no")
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, dict):
        if set(value) >= {"de", "en"}:
            return str(value.get(lang) or value.get("de"))
        return "; ".join(f"{label(k)}: {_fmt(v, lang)}" for k, v in value.items())
    if isinstance(value, str):
        return str(_value_text(value))
    if isinstance(value, list):
        if len(value) > 20:
            return ", ".join(_fmt(v, lang) for v in value[:20]) + f", … ({len(value)})"
        return ", ".join(_fmt(v, lang) for v in value)
    return "" if value is None else str(value)


def report_lines(report: Any) -> list[tuple[str, str]]:
    """The report as (label, text) lines; German or English texts of the engine are used when present."""
    from publisher.i18n import current_lang

    lang = current_lang()
    if not isinstance(report, dict):
        return []
    lines = []
    for key in (f"text_{lang}", "text", f"summary_{lang}", "summary", "explanation"):
        value = report.get(key)
        if isinstance(value, str) and value:
            lines.append(("", value))
        elif isinstance(value, dict) and value.get(lang):
            lines.append(("", _fmt(value, lang)))
        elif isinstance(value, list) and value and all(isinstance(x, str) for x in value):
            lines += [("", x) for x in value]
    skip = set(_LEVEL_KEYS) | {"text", "text_de", "text_en", "summary", "summary_de", "summary_en", "explanation",
                               "findings", "public_statement",
                               "correction"}  # shown in its own section (issue 8: corrections)
    for key, value in report.items():
        if key in skip:
            continue
        lines.append((label(key), _fmt(value, lang)[:2000]))
    return lines


def job_error(last_error: str | None) -> dict:
    """A publication job's stored error (JSON) as code, message and the validation problems, for the DPO."""
    import json

    try:
        err = json.loads(last_error or "{}")
    except ValueError:
        return {"code": "", "message": str(last_error), "problems": []}
    from publisher.i18n import current_lang

    lang = current_lang()
    message = err.get(f"message_{lang}") or err.get("message_de") or err.get("message") or ""
    problems = [e.get("message") or e.get("note") or e.get("type") or str(e)
                for e in (err.get("report") or {}).get("errors", [])][:20]
    return {"code": err.get("code", ""), "message": message, "problems": problems}
