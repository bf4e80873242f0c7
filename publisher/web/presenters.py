"""Template helpers that turn the engine's report dict into rows a person can read (German/English)."""
from __future__ import annotations

from typing import Any

from publisher.i18n import N_

_LEVEL_KEYS = ("levels", "per_level", "attempts", "level_results")

# engine report keys -> German labels (message ids of the catalogue); unknown keys are shown as they are
REPORT_LABELS = {
    "level": N_("Ebene"), "chosen_level": N_("Veröffentlichte Ebene"), "outcome": N_("Ergebnis"),
    "min_count": N_("Mindestfallzahl"), "zeros_are_disclosive": N_("Nullen gelten als offenlegend"),
    "rules": N_("Regelwerk"), "rule_set": N_("Regelwerk"), "ruleset": N_("Regelwerk"),
    "scope": N_("Geltungsbereich"),
    "coarsen": N_("Vergröberung erlaubt"), "dimensions": N_("Merkmale"), "cells": N_("Zellen"),
    "failing": N_("Zellen unter der Mindestfallzahl"), "failing_cells": N_("Zellen unter der Mindestfallzahl"),
    "n_cells": N_("Zellen"), "n_failing": N_("Zellen unter der Mindestfallzahl"),
    "suppressed": N_("Unterdrückte Zellen"),
    "total": N_("Summe"), "rows": N_("Zeilen"), "table_sha256": N_("Prüfsumme der Tabelle"),
    "version": N_("Version"),
    "name": N_("Name"), "reason": N_("Begründung"), "public_statement": N_("Öffentliche Aussage"),
    "decision": N_("Entscheidung"), "submitted_level": N_("Eingereichte Ebene"),
    "input_sha256": N_("Prüfsumme der Eingabe"),
    "information_loss": N_("Informationsverlust"), "cells_submitted": N_("Eingereichte Zellen"),
    "cells_released": N_("Veröffentlichte Zellen"), "cells_lost": N_("Durch Vergröberung entfallene Zellen"),
    "levels_coarsened": N_("Vergröberte Ebenen"), "share_of_cells_lost": N_("Anteil entfallener Zellen"),
    "suppressed_cells": N_("Unterdrückte Zellen"), "suppressed_share_of_total": N_("Anteil unterdrückter Werte an der Summe"),
    "total_count": N_("Summe aller Werte"), "parameters": N_("Parameter"), "sha256": N_("Prüfsumme"),
    # engine report keys without a label before the catalogue (issue 15 item 7); a code shown raw is an
    # English word in the German UI (tests/web/test_i18n.py)
    "area": N_("Gebiet"), "count": N_("Anzahl"), "audit": N_("Angriffsprüfung"), "passed": N_("bestanden"),
    "primary_cells": N_("Primär gesperrte Zellen"), "secondary_cells": N_("Sekundär gesperrte Zellen"),
    "cells_published": N_("Veröffentlichte Zellen"), "suppressed_share_of_cells": N_("Anteil gesperrter Zellen"),
    "whole_table": N_("Ganze Tabelle + Vergröberung"), "scope_comparison": N_("Vergleich der Verfahren"),
    "level_title": N_("Ebene"), "cross_release": N_("Abgleich mit früheren Veröffentlichungen"),
    "compared": N_("Verglichen mit"), "findings": N_("Befunde"), "ok": N_("ohne Befund"),
    "objective": N_("Ziel der Sperrung"), "protection_width": N_("Schutzabstand"),
    "secondary": N_("Sekundärsperrung"), "time_limit_s": N_("Zeitlimit (Sekunden)"),
    "differencing": N_("Differenzprüfung"), "dominance": N_("Dominanzregel"), "enabled": N_("eingeschaltet"),
    "protection_pct": N_("Schutzbereich (%)"), "k": N_("k (Prozent der Summe)"),
    "n": N_("n (größte Beiträge)"), "p": N_("p (Prozent)"),
    # protection levels of rule set 2.0.0 (issue 13, docs/rules-cells.md)
    "upper_reaches_min_count": N_("Obere Schranke mindestens Mindestfallzahl"),
    "upper_protection_abs": N_("Oberer Schutzabstand (absolut)"),
    "upper_protection_pct": N_("Oberer Schutzabstand (% des Werts)"),
    "lower_protection_abs": N_("Unterer Schutzabstand (absolut)"),
    "lower_protection_pct": N_("Unterer Schutzabstand (% des Werts)"),
    "insiders": N_("Schutz auch gegen Insider"), "protection": N_("Schutzintervalle"),
}


def label(key: str) -> str:
    from publisher.i18n import gettext

    return gettext(REPORT_LABELS[key]) if key in REPORT_LABELS else key


REPORT_VALUES = {"withheld": N_("zurückgehalten"), "released": N_("veröffentlicht"), "not_tried": N_("nicht geprüft"),
                 "publishable": N_("veröffentlichbar"), "whole_table": N_("ganze Tabelle"), "cells": N_("einzelne Zellen"),
                 "heuristic": N_("heuristisch"), "optimal": N_("optimal")}
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
        return format_number(value)  # ja/nein through the catalogue
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, dict):
        if set(value) >= {"de", "en"}:
            return str(value.get(lang) or value.get("de"))
        if f"message_{lang}" in value:  # a finding: its message in the UI language, not its fields
            return str(value[f"message_{lang}"])
        return "; ".join(f"{label(k[:-3] if k.endswith(('_de', '_en')) else k)}: {_fmt(v, lang)}"
                         for k, v in value.items() if not k.endswith(("_de", "_en")) or k.endswith(f"_{lang}"))
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
                               "correction",  # shown in its own section (issue 8: corrections)
                               "cross_release"}  # review page section + findings list (issue 13)
    for key, value in report.items():
        if key in skip:
            continue
        lines.append((label(key), _fmt(value, lang)[:2000]))
    return lines


def job_error(last_error: str | None) -> dict:
    """A publication job's stored error as its typed failure (:func:`publisher.services.job_retry.failure`):
    code, message in the UI language, the validation problems, whether a retry can help."""
    from publisher.i18n import current_lang
    from publisher.services.job_retry import failure

    f = failure(last_error)
    if f is None:
        return {"code": "", "message": "", "problems": [], "retryable": False}
    return {"code": f.code, "message": f.message(current_lang()), "problems": f.problems, "retryable": f.retryable}


def target_label(target: str) -> str:
    """A publication target's name in the UI language (as the registry's target labels it)."""
    from publisher.i18n import current_lang, translate
    from publisher.targets import label_of

    return translate(label_of(target), current_lang())


def waiting_text(seconds: float) -> str:
    """A waiting time as the two largest units: "2 Tage, 3 Stunden", "5 Minuten"."""
    from publisher.i18n import ngettext

    s = max(0, int(seconds))
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    parts = []
    if days:
        parts.append(ngettext("{n} Tag", "{n} Tage", days, n=days))
    if hours and len(parts) < 2:
        parts.append(ngettext("{n} Stunde", "{n} Stunden", hours, n=hours))
    if not days and (minutes or not parts):
        parts.append(ngettext("{n} Minute", "{n} Minuten", minutes, n=minutes))
    return ", ".join(parts)
