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
             object_type: str, object_id: str, details: str, key: bytes | None = None) -> str:
    """The row's checksum: HMAC-SHA256 with the audit key (issue 14, :mod:`publisher.audit_trust`); plain
    sha256 without a key (rows written before keyed hashing)."""
    payload = canonical_json([seq, _ts(at), actor_id, actor_name, event, object_type, object_id, details])
    msg = (prev_hash + "\n" + payload).encode("utf-8")
    if key:
        import hmac

        return hmac.new(key, msg, hashlib.sha256).hexdigest()
    return hashlib.sha256(msg).hexdigest()


def record(session: Session, actor: User | str | None, event: str, obj: Any = None,
           details: dict | None = None, *, object_type: str | None = None,
           object_id: Any = None, anonymous: bool = False) -> AuditEvent | None:
    """Append one audit row in the caller's transaction (does not commit).  ``anonymous``: an event an
    anonymous request causes (capped per minute, issue 14; None when it was only counted)."""
    if anonymous:
        from publisher.audit_trust import anonymous_allowed

        allowed, suppressed = anonymous_allowed(session)
        if not allowed:
            return None
        if suppressed:
            record(session, "system", "audit.anonymous_suppressed", None, {"count": suppressed},
                   object_type="audit", object_id="")
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
    key = session.info.get("audit_key")
    if key is None:  # a session that did not come from a services context: key from the environment settings
        from publisher.audit_trust import configure_session
        from publisher.config import load_settings

        configure_session(session, load_settings())
        key = session.info["audit_key"]
    h = row_hash(head.hash, seq, at, actor_id, actor_name, event, object_type or "", str(object_id or ""), text,
                 key=key)
    ev = AuditEvent(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, event=event,
                    object_type=object_type or "", object_id=str(object_id if object_id is not None else ""),
                    details=text, prev_hash=head.hash, hash=h)
    session.add(ev)
    head.seq, head.hash = seq, h
    session.flush()
    session.info["audit_head_pending"] = (seq, h)  # anchored outside the database after commit (issue 14)
    return ev


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[dict] = field(default_factory=list)  # {"seq", "code", "de", "en"}

    def message(self, lang: str = "de") -> str:
        anchors = getattr(self, "anchors", None)
        if self.ok:
            extra = "" if anchors is None else (f", {anchors} Anker außerhalb der Datenbank passen" if lang != "en"
                                                else f", {anchors} anchors outside the database match")
            return (f"Audit-Protokoll in Ordnung: {self.checked} Einträge, Kette vollständig{extra}."
                    if lang != "en" else f"Audit trail intact: {self.checked} rows, chain complete{extra}.")
        first = self.problems[0]
        head = (f"Erster fehlerhafter Eintrag: {first['seq']} ({first['code']})" if lang != "en"
                else f"First bad entry: {first['seq']} ({first['code']})")
        return "\n".join([head] + [p["en" if lang == "en" else "de"] for p in self.problems])


def _problem(seq, code, de, en) -> dict:
    return {"seq": seq, "code": code, "de": de, "en": en}


def verify(session: Session, settings: dict | None = None, anchors_path: str | None = None) -> VerifyResult:
    """Issue 14: chain, key and anchors (:func:`publisher.audit_trust.verify`) with the settings of the
    session's services context (or ``settings``; else the environment's)."""
    from publisher import audit_trust

    settings = settings if settings is not None else session.info.get("audit_settings")
    if settings is None:
        from publisher.config import load_settings

        settings = load_settings()
    return audit_trust.verify(session, settings, anchors_path)


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
