"""Lists that scale (issue 17 item 5): search, filters and pages for the staff/DPO submission lists, the public
release list and the audit log (filters by person, event and date; the filtered view exported).  Read side
only, permission-checked by the query functions it builds on; the audit log is filtered and paged in SQL.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from publisher.models import AuditEvent, Series, Submission
from publisher.services import errors as E

LOCAL = ZoneInfo("Europe/Berlin")
PER_PAGE = 50
AUDIT_PER_PAGE = 100
MAX_EXPORT = 100_000


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    filters: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def page_number(value: Any) -> int:
    try:
        return max(1, min(int(value), 10**6))
    except (TypeError, ValueError):
        return 1


def _cut(items: list, page: int, per_page: int, filters: dict) -> Page:
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(page, pages)
    return Page(items[(page - 1) * per_page:page * per_page], page, per_page, len(items), filters)


def _words(q: str | None) -> list[str]:
    return [w.casefold() for w in (q or "").split()][:10]


def _text(sub: Submission) -> str:
    meta = dict(sub.current_version.meta or {}) if sub.current_version else {}
    kw = meta.get("keywords") or []
    return " ".join([str(sub.id), sub.title or "", str(meta.get("description", "")),
                     " ".join(map(str, kw)) if isinstance(kw, (list, tuple)) else str(kw),
                     sub.series.title if sub.series else "", str(meta.get("reference_period", "")),
                     sub.submitter.username if sub.submitter else ""]).casefold()


def _matches(sub: Submission, words: list[str], series_id: int | None, period: str) -> bool:
    if series_id and sub.series_id != series_id:
        return False
    if period and not str((sub.current_version.meta or {}).get("reference_period", "") if sub.current_version
                          else "").startswith(period):
        return False
    return all(w in _text(sub) for w in words)


def _series_id(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def submissions_page(c, actor, *, q: str = "", state: str = "", series: Any = None, period: str = "",
                     page: Any = 1, per_page: int = PER_PAGE) -> Page:
    """The staff/DPO list: every word of ``q`` in title, description, keywords, series, period, submitter or
    id; ``state``; ``series`` (id); ``period`` (prefix of the reference period, e.g. ``2026`` or ``2026-07``)."""
    from publisher.services.queries import list_submissions
    from publisher.workflow import State

    state = state if state in {s.value for s in State} else ""
    sid, period = _series_id(series), (period or "").strip()[:20]
    words = _words(q)
    items = [s for s in list_submissions(c, actor, state=state or None) if _matches(s, words, sid, period)]
    return _cut(items, page_number(page), per_page,
                {"q": (q or "").strip()[:200], "state": state, "series": sid or "", "period": period})


def releases_page(c, actor, *, q: str = "", series: Any = None, period: str = "", page: Any = 1,
                  per_page: int = PER_PAGE) -> Page:
    """The public list (only what ``actor`` may see), searched and filtered like the staff list."""
    from publisher.services.queries import list_releases

    sid, period = _series_id(series), (period or "").strip()[:20]
    items = [s for s in list_releases(c, actor, search=q) if _matches(s, [], sid, period)]
    return _cut(items, page_number(page), per_page, {"q": (q or "").strip()[:200], "series": sid or "",
                                                     "period": period})


def series_options(c, releases_only: bool = False, actor=None) -> list[tuple[int, str]]:
    if releases_only:
        from publisher.services.queries import list_releases

        seen = {s.series_id: s.series.title for s in list_releases(c, actor)}
        return sorted(seen.items(), key=lambda x: x[1].casefold())
    return [(s.id, s.title) for s in c.session.execute(select(Series).order_by(Series.title)).scalars()]


# --- audit log ---------------------------------------------------------------------------------------------

def _day(value: str | None, name: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise E.InvalidInput(E.invalid_field(name, f"„{value[:20]}“ ist kein Datum (JJJJ-MM-TT).",
                                             f"'{value[:20]}' is not a date (YYYY-MM-DD).")) from None


def audit_filters(args: dict) -> dict:
    """``{"actor", "event", "from", "to"}`` from request arguments; dates checked (typed error naming the field)."""
    return {"actor": (args.get("actor") or "").strip()[:100], "event": (args.get("event") or "").strip()[:80],
            "from": _day(args.get("from"), "from"), "to": _day(args.get("to"), "to")}


def _audit_query(f: dict):
    q = select(AuditEvent)
    if f.get("actor"):
        q = q.where(func.lower(AuditEvent.actor_name).contains(f["actor"].lower()))
    if f.get("event"):
        q = q.where(AuditEvent.event == f["event"]) if "." in f["event"] else \
            q.where(AuditEvent.event.startswith(f["event"] + "."))
    if f.get("from"):  # whole local days (Europe/Berlin), as the page shows the times
        start = dt.datetime.combine(f["from"], dt.time(), LOCAL).astimezone(dt.timezone.utc)
        q = q.where(AuditEvent.at >= start)
    if f.get("to"):
        end = dt.datetime.combine(f["to"] + dt.timedelta(days=1), dt.time(), LOCAL).astimezone(dt.timezone.utc)
        q = q.where(AuditEvent.at < end)
    return q


def _require_audit(c, actor) -> None:
    from publisher.services.queries import audit_rows

    audit_rows(c, actor, limit=1)  # the permission check of the read side (admin, DPO)


def audit_page(c, actor, filters: dict, page: Any = 1, per_page: int = AUDIT_PER_PAGE) -> Page:
    _require_audit(c, actor)
    q = _audit_query(filters)
    total = c.session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    n = min(page_number(page), pages)
    items = list(c.session.execute(q.order_by(AuditEvent.seq.desc()).offset((n - 1) * per_page)
                                   .limit(per_page)).scalars())
    return Page(items, n, per_page, total, filters)


def audit_event_names(c, actor) -> list[str]:
    _require_audit(c, actor)
    return sorted(c.session.execute(select(AuditEvent.event).distinct()).scalars())


def audit_export_rows(c, actor, filters: dict) -> list[dict]:
    """The filtered view in the export format of :func:`publisher.audit.export_rows` (oldest first)."""
    from publisher.audit import _ts

    _require_audit(c, actor)
    q = _audit_query(filters).order_by(AuditEvent.seq).limit(MAX_EXPORT)
    return [{"seq": ev.seq, "at": _ts(ev.at), "actor_id": ev.actor_id, "actor_name": ev.actor_name,
             "event": ev.event, "object_type": ev.object_type, "object_id": ev.object_id, "details": ev.details,
             "prev_hash": ev.prev_hash, "hash": ev.hash} for ev in c.session.execute(q).scalars()]


def audit_export(c, actor, filters: dict, fmt: str) -> tuple[str, str]:
    """(body, media type) of the filtered view as CSV or JSON, in the columns of the full export."""
    import csv
    import io
    import json

    from publisher.audit import EXPORT_FIELDS

    rows = audit_export_rows(c, actor, filters)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue(), "text/csv"
    return json.dumps([{**r, "details": json.loads(r["details"])} for r in rows], ensure_ascii=False,
                      indent=1), "application/json"
