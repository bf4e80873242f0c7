"""The workbook of a report (issue 17 item 4): one sheet per table (the published form of each member's
approved artifact: German headers, area names, DIN 55301 symbols) plus the sheet "Hinweise", built with
:func:`catalog.xlsx.build_workbook` (deterministic bytes).  Built once by the worker when the report is
published (:func:`publisher.services.reports.settle`) and stored content-addressed; the public route serves
exactly those bytes."""
from __future__ import annotations

from catalog.xlsx import XlsxNotes, build_workbook, release_table_sheet

SYMBOLS = ("„.“ = Zahlenwert unbekannt oder geheim zu halten (DIN 55301); „-“ = nichts vorhanden (genau null).")


def _names(c, hierarchy) -> dict[tuple[str, str], str]:
    from publisher.worker import _hierarchy_rows

    return {(r["level"], r["code"]): r["name"] or "" for r in _hierarchy_rows(c, hierarchy)}


def build(c, report, subs) -> bytes:
    sheets, lines = [], [("Bericht", report.full_title), ("Zeitraum", report.period)]
    names_by_hierarchy: dict[int, dict] = {}
    for n, sub in enumerate(subs, start=1):
        v = sub.current_version
        meta = v.meta or {}
        if v.hierarchy_id not in names_by_hierarchy:
            names_by_hierarchy[v.hierarchy_id] = _names(c, v.hierarchy)
        title = meta.get("title") or sub.series.title
        sheets.append(release_table_sheet(c.store.get(v.artifact_sha256, verify=True), title,
                                          names_by_hierarchy[v.hierarchy_id]))
        lines.append((f"Tabelle {n}", f"{title} ({meta.get('reference_period') or '-'})"))
        statement = (v.public_statement or {}).get("de")
        if statement:
            lines.append((f"Geheimhaltung, Tabelle {n}", statement))
        if meta.get("source"):
            lines.append((f"Quelle, Tabelle {n}", str(meta["source"])))
        if meta.get("licence"):
            lines.append((f"Lizenz, Tabelle {n}", str(meta["licence"])))
    lines.append(("Zeichen", SYMBOLS))
    lines.append(("Herausgeber", c.settings.get("PUBLISHER_NAME") or "Statistikstelle"))
    if c.settings.get("PUBLIC_URL"):
        lines.append(("Seite des Berichts", f"{c.settings['PUBLIC_URL'].rstrip('/')}/berichte/{report.id}"))
    return build_workbook(sheets, XlsxNotes(title=report.full_title, lines=lines))
