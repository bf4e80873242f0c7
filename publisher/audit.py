"""Append-only, hash-chained audit trail.

Each row's ``hash`` = sha256 over ``prev_hash`` and the canonical JSON of the row's content (seq, time,
actor, event, object, details).  ``audit_head`` holds the last seq/hash and is locked while appending, so
concurrent transactions cannot fork the chain (PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite serialises
writers anyway).  :func:`verify` recomputes the chain and reports edited, deleted or inserted rows.

:func:`record` is called by the services inside their transaction: the audit row commits or rolls back
together with the state change it describes.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.db import utcnow
from publisher.models import AuditEvent, AuditHead, User

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _ts(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(prev_hash: str, seq: int, at: dt.datetime, actor_id: int | None, actor_name: str, event: str,
             object_type: str, object_id: str, details: str) -> str:
    payload = canonical_json([seq, _ts(at), actor_id, actor_name, event, object_type, object_id, details])
    return hashlib.sha256((prev_hash + "\n" + payload).encode("utf-8")).hexdigest()


def record(session: Session, actor: User | str | None, event: str, obj: Any = None,
           details: dict | None = None, *, object_type: str | None = None,
           object_id: Any = None) -> AuditEvent:
    """Append one audit row in the caller's transaction (does not commit)."""
    if isinstance(actor, User):
        actor_id, actor_name = actor.id, actor.username
    else:
        actor_id, actor_name = None, actor or "system"
    if obj is not None:
        object_type = object_type or obj.__class__.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    session.flush()
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    at = utcnow()
    seq = head.seq + 1
    text = canonical_json(details or {})
    h = row_hash(head.hash, seq, at, actor_id, actor_name, event, object_type or "", str(object_id or ""), text)
    ev = AuditEvent(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, event=event,
                    object_type=object_type or "", object_id=str(object_id if object_id is not None else ""),
                    details=text, prev_hash=head.hash, hash=h)
    session.add(ev)
    head.seq, head.hash = seq, h
    session.flush()
    return ev


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[dict] = field(default_factory=list)  # {"seq", "code", "de", "en"}

    def message(self, lang: str = "de") -> str:
        if self.ok:
            return (f"Audit-Protokoll in Ordnung: {self.checked} Einträge, Kette vollständig."
                    if lang != "en" else f"Audit trail intact: {self.checked} rows, chain complete.")
        return "\n".join(p["en" if lang == "en" else "de"] for p in self.problems)


def _problem(seq, code, de, en) -> dict:
    return {"seq": seq, "code": code, "de": de, "en": en}


def verify(session: Session) -> VerifyResult:
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    prev, expected_seq, n, problems = GENESIS, 1, 0, []
    for ev in rows:
        n += 1
        if ev.seq != expected_seq:
            problems.append(_problem(ev.seq, "audit.gap",
                                     f"Eintrag {expected_seq} bis {ev.seq - 1} fehlt (gelöscht?).",
                                     f"row(s) {expected_seq} to {ev.seq - 1} missing (deleted?)."))
        if ev.prev_hash != prev:
            problems.append(_problem(ev.seq, "audit.broken_link",
                                     f"Eintrag {ev.seq}: Verweis auf den Vorgänger stimmt nicht.",
                                     f"row {ev.seq}: link to the previous row does not match."))
        h = row_hash(ev.prev_hash, ev.seq, ev.at, ev.actor_id, ev.actor_name, ev.event, ev.object_type,
                     ev.object_id, ev.details)
        if h != ev.hash:
            problems.append(_problem(ev.seq, "audit.edited",
                                     f"Eintrag {ev.seq} wurde nachträglich verändert.",
                                     f"row {ev.seq} was edited after it was written."))
        prev, expected_seq = ev.hash, ev.seq + 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev:
        problems.append(_problem(head_seq, "audit.head_mismatch",
                                 f"Das Protokoll endet bei Eintrag {expected_seq - 1}, erwartet {head_seq} "
                                 "(letzte Einträge gelöscht oder Kopf verändert).",
                                 f"the trail ends at row {expected_seq - 1}, expected {head_seq} "
                                 "(last rows deleted or head edited)."))
    return VerifyResult(ok=not problems, checked=n, problems=problems)


EXPORT_FIELDS = ("seq", "at", "actor_id", "actor_name", "event", "object_type", "object_id", "details",
                 "prev_hash", "hash")


def export_rows(session: Session, events: Iterable[str] | None = None) -> list[dict]:
    q = select(AuditEvent).order_by(AuditEvent.seq)
    if events:
        q = q.where(AuditEvent.event.in_(list(events)))
    out = []
    for ev in session.execute(q).scalars():
        out.append({"seq": ev.seq, "at": _ts(ev.at), "actor_id": ev.actor_id, "actor_name": ev.actor_name,
                    "event": ev.event, "object_type": ev.object_type, "object_id": ev.object_id,
                    "details": ev.details, "prev_hash": ev.prev_hash, "hash": ev.hash})
    return out


def export_csv(session: Session) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    w.writeheader()
    for row in export_rows(session):
        w.writerow(row)
    return buf.getvalue()


def export_json(session: Session) -> str:
    rows = export_rows(session)
    for r in rows:
        r["details"] = json.loads(r["details"])
    return json.dumps(rows, ensure_ascii=False, indent=1)


def json_safe(value: Any) -> Any:
    """Round-trip through canonical JSON (numpy scalars, dates, tuples become plain JSON values)."""
    return json.loads(canonical_json(_plain(value)))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except Exception:
            return str(value)
    return value
