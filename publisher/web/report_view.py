"""The engine's internal report as sentences and tables for the review page (issue 17 item 2: "not a dump").

``report_view(report)`` picks the parts a DPO reads - the rule set and its parameters, the information lost,
the cross-release comparison, the checksums - and leaves the rest (keys this page does not know yet) to
``presenters.report_lines`` under "Weitere Angaben".  Presentation only."""
from __future__ import annotations

from typing import Any

from publisher.i18n import N_

SHOWN = {"rule_set", "information_loss", "cross_release", "input_sha256", "level", "outcome", "scope",
         "submitted_level", "scope_comparison", "levels", "findings", "public_statement", "correction"}
PARAMS = (("min_count", N_("Mindestfallzahl")), ("zeros_are_disclosive", N_("Nullen gelten als offenlegend")),
          ("scope", N_("Verfahren")), ("coarsen", N_("Vergröberung erlaubt")),
          ("differencing", N_("Differenzprüfung")))
SCOPES = {"whole_table": N_("ganze Tabelle, bei Bedarf vergröbert"), "cells": N_("Zellsperrung")}


def report_view(report: Any) -> dict[str, Any]:
    from publisher.i18n import current_lang, format_number, gettext
    from publisher.web.presenters import report_lines

    if not isinstance(report, dict):
        return {}
    lang = current_lang()
    rs = report.get("rule_set") if isinstance(report.get("rule_set"), dict) else {}
    params = rs.get("parameters") or {}
    rows = []
    for key, label in PARAMS:
        if key in params:
            v = params[key]
            text = gettext(SCOPES[v]) if key == "scope" and v in SCOPES else format_number(v) \
                if isinstance(v, (bool, int, float)) else str(v)
            rows.append((gettext(label), text))
    dom = params.get("dominance") if isinstance(params.get("dominance"), dict) else {}
    if dom:
        rows.append((gettext("Dominanzregel"), gettext("eingeschaltet") if dom.get("enabled") else gettext("aus")))
    x = report.get("cross_release") if isinstance(report.get("cross_release"), dict) else None
    cross = None
    if x is not None:
        cross = {"ok": bool(x.get("ok")), "compared": [str(c.get("label") or c.get("id") or c) if isinstance(c, dict)
                                                       else str(c) for c in x.get("compared") or []],
                 "findings": [f.get(f"message_{lang}") or f.get("message_de") for f in x.get("findings") or []
                              if isinstance(f, dict)]}
    rest = report_lines({k: v for k, v in report.items() if k not in SHOWN})
    return {"rule_set": {"name": rs.get("name"), "version": rs.get("version"), "rows": rows} if rs else None,
            "loss": report.get("information_loss") if isinstance(report.get("information_loss"), dict) else None,
            "cross": cross, "input_sha256": report.get("input_sha256"), "rest": rest}
