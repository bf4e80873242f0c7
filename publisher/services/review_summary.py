"""The DPO's one-screen summary of a submission (issue 17 item 2).  Read side only: nothing here writes state.

``summary(c, data, manifest)`` turns what :func:`publisher.services.queries.review_data` returns (and the
release manifest the approval binds) into plain facts for the top of the review page:

* what is published: level, rows, suppressed cells, the method the rule set prescribes and why the level
  was chosen (the finest level's reason, and what the other method would have cost);
* where, for whom and from when (targets, audience and groups, embargo) - taken from the manifest, i.e. from
  exactly what the approval binds;
* the cross-release result (how many earlier releases were compared, findings);
* a cell-level diff to the series' previous release: the releasable table as areas x categories with every
  cell marked new / changed / unchanged against the previous period's value.
"""
from __future__ import annotations

from typing import Any

VALUE_COLUMNS = ("count", "anzahl", "wert")
NOT_KEYS = set(VALUE_COLUMNS) | {"status", "level", "revision"}
MAX_DIFF_ROWS = 60
MAX_DIFF_COLUMNS = 12


def level_title(level: str | None) -> str:
    from disclosure_rules.report import level_title as engine_title

    return engine_title(level) if level else ""


def _value(row: dict) -> str | None:
    for col in VALUE_COLUMNS:
        if col in row:
            v = row[col]
            return None if v in (None, "") else str(v)
    return None


def _key_columns(rows: list[dict]) -> list[str]:
    return [k for k in (rows[0].keys() if rows else []) if k not in NOT_KEYS]


def _period_columns(old: list[dict], new: list[dict], keys: list[str]) -> set[str]:
    """Key columns that name the period: one value in each table, and a different one (e.g. ``monat``)."""
    out = set()
    for k in keys:
        a, b = {r.get(k) for r in old}, {r.get(k) for r in new}
        if len(a) == 1 and len(b) == 1 and a != b:
            out.add(k)
    return out


def cell_diff(old_rows: list[dict], new_rows: list[dict]) -> dict[str, Any] | None:
    """Areas x categories of ``new_rows`` with each cell's previous value and state (new/changed/same).

    Rows are keyed by every column except the value, status and level columns and the period column (a
    column with one value per table that differs between the two: comparing July with August compares the
    same areas and categories).  Suppressed cells (empty value) are shown as ``.``."""
    if not new_rows:
        return None
    old_levels, new_levels = {r.get("level") for r in old_rows}, {r.get("level") for r in new_rows}
    if old_rows and "level" in new_rows[0] and old_levels != new_levels:
        # another level than last time: no cell is comparable, say so instead of calling every cell new
        return {"level_changed": True, "previous_level_title": ", ".join(level_title(x) for x in old_levels if x)}
    keys = _key_columns(new_rows)
    period = _period_columns(old_rows, new_rows, keys)
    keys = [k for k in keys if k not in period]
    area_col = "area" if "area" in keys else (keys[0] if keys else None)
    cat_cols = [k for k in keys if k != area_col]

    def key(r):
        return tuple(r.get(k) for k in keys)

    old = {key(r): _value(r) for r in old_rows}
    areas: dict[str, dict[str, dict]] = {}
    categories: list[str] = []
    counts = {"new": 0, "changed": 0, "same": 0}
    for r in new_rows:
        cat = " · ".join(str(r.get(k, "")) for k in cat_cols) or "–"
        if cat not in categories:
            categories.append(cat)
        now = _value(r)
        k = key(r)
        if k not in old:
            state, before = "new", None
        elif old[k] != now:
            state, before = "changed", old[k]
        else:
            state, before = "same", old[k]
        counts[state] += 1
        areas.setdefault(str(r.get(area_col, "")), {})[cat] = {"now": now, "before": before, "state": state}
    removed = len(old.keys() - {key(r) for r in new_rows})
    rows = [{"area": a, "cells": [cells.get(c) for c in categories[:MAX_DIFF_COLUMNS]]}
            for a, cells in list(areas.items())[:MAX_DIFF_ROWS]]
    return {"level_changed": False, "categories": categories[:MAX_DIFF_COLUMNS], "rows": rows, "areas": len(areas),
            "more_rows": max(0, len(areas) - MAX_DIFF_ROWS), "more_columns": max(0, len(categories) - MAX_DIFF_COLUMNS),
            "area_column": area_col, "period_columns": sorted(period), "removed": removed, **counts}


def _finest_reason(report: dict, lang: str) -> str | None:
    submitted = report.get("submitted_level")
    for row in report.get("levels") or []:
        if isinstance(row, dict) and row.get("level") == submitted and row.get("decision") != "released":
            return row.get(f"reason_{lang}") or row.get("reason_de")
    return None


def _method(report: dict, lang: str) -> dict[str, Any]:
    scope = report.get("scope") or (report.get("rule_set") or {}).get("parameters", {}).get("scope")
    cmp = report.get("scope_comparison") or {}
    mine = cmp.get(scope) or {}
    other_key = "cells" if scope == "whole_table" else "whole_table"
    other = cmp.get(other_key) or {}
    loss = report.get("information_loss") or {}
    return {"scope": scope, "submitted_level": report.get("submitted_level"),
            "submitted_title": level_title(report.get("submitted_level")),
            "coarsened": bool(loss.get("levels_coarsened")), "reason": _finest_reason(report, lang),
            "loss": mine.get("share_of_cells_lost", loss.get("share_of_cells_lost")),
            "other": other_key if other else None, "other_outcome": other.get("outcome"),
            "other_loss": other.get("share_of_cells_lost"), "other_level_title": level_title(other.get("level"))}


def _audience(manifest) -> dict[str, Any]:
    doc = manifest.document if manifest is not None else {}
    return {"targets": list(doc.get("targets") or []), "audience": doc.get("audience", "public"),
            "groups": list(doc.get("groups") or []), "embargo": manifest.embargo_until if manifest else None}


def _cross_release(report: dict, lang: str) -> dict[str, Any] | None:
    x = report.get("cross_release")
    if not isinstance(x, dict):
        return None
    msgs = [f.get(f"message_{lang}") or f.get("message_de") for f in x.get("findings") or []
            if isinstance(f, dict) and f.get("severity") != "info"]
    return {"ok": bool(x.get("ok")), "compared": len(x.get("compared") or []), "problems": [m for m in msgs if m]}


def suppressed_cells(rows: list[dict]) -> int:
    return sum(1 for r in rows if any(c in r for c in VALUE_COLUMNS) and _value(r) is None)


def summary(c, data: dict, manifest=None, lang: str = "de") -> dict[str, Any]:
    """The facts of the one-screen summary (see the module docstring)."""
    from publisher.services.queries import _release_rows

    report = data.get("report") if isinstance(data.get("report"), dict) else {}
    rows = data.get("releasable_rows") or []
    prev = data.get("previous_release")
    diff = None
    if prev is not None and prev.current_version is not None:
        diff = cell_diff(_release_rows(c, prev.current_version), rows)
    findings = [f for f in (data.get("findings") or []) if isinstance(f, dict) and f.get("severity") != "info"]
    return {"outcome": data.get("outcome"), "level": data.get("level"), "level_title": level_title(data.get("level")),
            "rows": len(rows), "suppressed": suppressed_cells(rows), "method": _method(report, lang),
            "where": _audience(manifest), "cross_release": _cross_release(report, lang),
            "findings": [f.get(f"message_{lang}") or f.get("message_de") for f in findings],
            "previous": prev, "previous_period": (prev.current_version.meta or {}).get("reference_period")
            if prev is not None and prev.current_version is not None else None, "diff": diff}


def waiting_findings(version) -> int:
    """Findings a reviewer must read (warnings and errors, not the reader's info lines)."""
    return sum(1 for f in (version.findings or []) if isinstance(f, dict) and f.get("severity") != "info") \
        if version is not None else 0


QUEUE_SORTS = ("id", "title", "outcome", "level", "findings", "waiting", "submitter")


def queue_page(c, actor, *, q: str = "", sort: str = "waiting", descending: bool = True, page=1, per_page: int = 50):
    """The review list searched (every word in title, submitter, series or id) and cut into pages."""
    from publisher.services.listing import _cut, _words, page_number

    words = _words(q)
    rows = [r for r in queue_rows(c, actor, sort, descending)
            if all(w in f"{r['id']} {r['title']} {r['submitter']} {r['submission'].series.title}".casefold()
                   for w in words)]
    return _cut(rows, page_number(page), per_page, {"q": (q or "").strip()[:200]})


def queue_rows(c, actor, sort: str = "waiting", descending: bool = True, state: str = "submitted") -> list[dict]:
    """The DPO's review list: per submission outcome, level, findings count and waiting time, sorted."""
    from publisher.db import utcnow
    from publisher.services.queries import list_submissions

    now = utcnow()
    rows = []
    for sub in list_submissions(c, actor, state=state):
        v = sub.current_version
        rows.append({"submission": sub, "id": sub.id, "title": sub.title, "outcome": v.outcome if v else "",
                     "level": (v.level or "") if v else "", "level_title": level_title(v.level) if v else "",
                     "findings": waiting_findings(v), "waiting": (now - sub.state_changed_at).total_seconds(),
                     "submitter": sub.submitter.display_name or sub.submitter.username,
                     "version": v.number if v else None})
    sort = sort if sort in QUEUE_SORTS else "waiting"
    rows.sort(key=lambda r: (r[sort] if not isinstance(r[sort], str) else r[sort].casefold(), r["id"]),
              reverse=descending)
    return rows
