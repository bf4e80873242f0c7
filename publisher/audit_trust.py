"""A tamper-evident audit trail that survives a database writer (issue 14 item 8).

* **Key outside the database.** Each row's ``hash`` is an HMAC-SHA256 (:func:`publisher.audit.row_hash`)
  with a key from ``FREIGABE_AUDIT_KEY`` or the file ``FREIGABE_AUDIT_KEY_FILE`` (default
  ``<DATA_DIR>/audit_key``, created 0600 on first start).  Someone who can write the database but not read
  the key can edit or delete rows, but cannot recompute the chain: ``freigabe audit verify`` finds it.
* **Anchors outside the database.** After a commit that added audit rows, the chain head (seq, hash, and an
  HMAC of both) is appended to ``FREIGABE_AUDIT_ANCHOR`` - ``file:PATH`` (default
  ``file:<DATA_DIR>/audit_anchors.log``, append-only) or ``syslog`` - every ``FREIGABE_AUDIT_ANCHOR_EVERY``
  rows, and whenever ``freigabe audit anchor`` runs (cron).  Deleting the newest rows (and fixing
  ``audit_head``) is then visible: an anchor names a row that is gone or has another hash.
* :func:`verify` checks chain, key and anchors and reports the problems ordered by row, the first bad entry
  first.  Rows written before keyed hashing (plain sha256) are accepted only up to the row recorded in the key
  file when the key was created (an existing installation's trail at the upgrade).
* Anonymous events (no actor: failed logins, rate-limit hits) are written at most
  ``AUDIT_ANONYMOUS_PER_MINUTE`` per minute and process; the rest are counted in one summary row, so
  anonymous requests cannot grow the audit table without limit.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from publisher.config import create_private_once

DEFAULT_EVERY = 20
DEFAULT_ANON_PER_MINUTE = 120
_lock = threading.Lock()
_last_anchor: dict[str, int] = {}
_anon: dict[str, dict[str, int]] = {}  # per database: window, count, suppressed
_clock = time.time  # the minute windows of the anonymous cap (tests freeze it)


# --- key --------------------------------------------------------------------------------------------------

def key_file(settings: dict) -> Path:
    return Path(settings.get("AUDIT_KEY_FILE") or Path(settings.get("DATA_DIR") or ".") / "audit_key")


def audit_key(settings: dict, session: Session | None = None) -> bytes:
    """The HMAC key: ``AUDIT_KEY`` or the key file (created on first use, mode 0600).  The file's second line
    records up to which row the trail was written before keyed hashing (``legacy_through=N``), taken when the
    key is created - so that boundary, too, lies outside the database."""
    direct = settings.get("AUDIT_KEY")
    if direct:
        return str(direct).encode("utf-8")
    path = key_file(settings)
    if not path.exists():
        create_private_once(path, secrets.token_hex(32) + f"\nlegacy_through={_current_head(session)}\n")
    return path.read_text(encoding="ascii").splitlines()[0].strip().encode("ascii")


def legacy_through(settings: dict) -> int:
    if settings.get("AUDIT_KEY"):
        return int(settings.get("AUDIT_LEGACY_THROUGH") or 0)
    path = key_file(settings)
    for line in (path.read_text(encoding="ascii").splitlines()[1:] if path.exists() else []):
        if line.startswith("legacy_through="):
            return int(line.split("=", 1)[1] or 0)
    return 0


def _current_head(session: Session | None) -> int:
    """The last audit row written so far (0 for a new database), read when the key is created."""
    if session is None:
        return 0
    try:  # a separate connection: the caller's session stays clean
        with session.get_bind().connect() as conn:
            from publisher.models import AuditHead

            row = conn.execute(select(AuditHead.seq).where(AuditHead.id == 1)).first()
            return int(row[0]) if row else 0
    except Exception:  # no tables yet (before the first migration)
        return 0


def configure_session(session: Session, settings: dict) -> None:
    """Called for every services context: records written on this session are keyed and anchored."""
    if "audit_key" not in session.info:
        session.info["audit_settings"] = settings
        session.info["audit_key"] = audit_key(settings, session)
        session.info["audit_anchor"] = anchor_target(settings)
        session.info["audit_every"] = int(settings.get("AUDIT_ANCHOR_EVERY") or DEFAULT_EVERY)
        session.info["audit_anon_cap"] = int(settings.get("AUDIT_ANONYMOUS_PER_MINUTE") or DEFAULT_ANON_PER_MINUTE)


# --- anchors ----------------------------------------------------------------------------------------------

def anchor_target(settings: dict) -> str:
    value = settings.get("AUDIT_ANCHOR")
    if value is None:
        return "file:" + str(Path(settings.get("DATA_DIR") or ".") / "audit_anchors.log")
    return str(value).strip()


def anchor_mac(key: bytes, seq: int, h: str) -> str:
    return hmac.new(key, f"anchor|{seq}|{h}".encode("utf-8"), hashlib.sha256).hexdigest()


def _read_anchor_lines(path: Path) -> list[dict]:
    out = []
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            rec = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(rec, dict) and "seq" in rec and "hash" in rec:
            out.append(rec)
    return out


def write_anchor(target: str, key: bytes, seq: int, h: str) -> bool:
    """Append one anchor record; False when anchoring is off."""
    import datetime as dt

    rec = {"seq": int(seq), "hash": h, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "mac": anchor_mac(key, seq, h)}
    line = "freigabe-audit-anchor " + json.dumps(rec, sort_keys=True)
    if not target or target == "off":
        return False
    if target == "syslog":
        import syslog

        syslog.openlog("freigabe", 0, syslog.LOG_AUTH)
        syslog.syslog(syslog.LOG_INFO, line)
    elif target.startswith("file:"):
        path = Path(target[5:])
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    else:
        raise ValueError(f"FREIGABE_AUDIT_ANCHOR: unknown target {target!r} (file:PATH, syslog or off)")
    _last_anchor[target] = max(_last_anchor.get(target, 0), int(seq))
    return True


def _last_anchored(target: str) -> int:
    if target not in _last_anchor:
        seqs = [int(r["seq"]) for r in _read_anchor_lines(Path(target[5:]))] if target.startswith("file:") else []
        _last_anchor[target] = max(seqs, default=0)
    return _last_anchor[target]


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    pending = session.info.pop("audit_head_pending", None)
    target = session.info.get("audit_anchor")
    if pending is None or not target or target == "off":
        return
    seq, h = pending
    with _lock:
        if seq - _last_anchored(target) >= int(session.info.get("audit_every") or DEFAULT_EVERY):
            try:
                write_anchor(target, session.info["audit_key"], seq, h)
            except OSError:  # the anchor store is down: the next commit or `freigabe audit anchor` catches up
                import logging

                logging.getLogger("freigabe.audit").exception("could not write the audit anchor")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("audit_head_pending", None)


def anchor_now(session: Session, settings: dict) -> tuple[int, str] | None:
    """Anchor the current head (``freigabe audit anchor``); None when the trail is empty or anchoring is off."""
    from publisher.models import AuditHead

    head = session.get(AuditHead, 1)
    if head is None or head.seq == 0:
        return None
    target = anchor_target(settings)
    with _lock:
        if not write_anchor(target, audit_key(settings), head.seq, head.hash):
            return None
    return head.seq, head.hash


# --- anonymous events -------------------------------------------------------------------------------------

def anonymous_allowed(session: Session) -> tuple[bool, int]:
    """May one more anonymous event be written this minute (per process)?  ``(allowed, suppressed_before)``:
    the count of events left out in the previous window(s), to be written as one summary row."""
    cap = int(session.info.get("audit_anon_cap") or DEFAULT_ANON_PER_MINUTE)
    window = int(_clock() // 60)
    db = str((session.info.get("audit_settings") or {}).get("DATABASE_URL") or "")
    with _lock:
        st = _anon.setdefault(db, {"window": 0, "count": 0, "suppressed": 0})
        if st["window"] != window:
            st["window"], st["count"] = window, 0
        if st["count"] >= cap:
            st["suppressed"] += 1
            return False, 0
        st["count"] += 1
        suppressed, st["suppressed"] = st["suppressed"], 0
        return True, suppressed


# --- verification -----------------------------------------------------------------------------------------

@dataclass
class AnchorSource:
    records: list[dict]
    where: str


def anchors_from(settings: dict, path: str | None = None) -> AnchorSource:
    if path:
        return AnchorSource(_read_anchor_lines(Path(path)), path)
    target = anchor_target(settings)
    if target.startswith("file:"):
        return AnchorSource(_read_anchor_lines(Path(target[5:])), target[5:])
    return AnchorSource([], target or "off")


def verify(session: Session, settings: dict, anchors_path: str | None = None):
    from publisher.audit import GENESIS, VerifyResult, _problem, row_hash
    from publisher.models import AuditEvent, AuditHead

    key = audit_key(settings)
    src = anchors_from(settings, anchors_path)
    anchors = sorted(src.records, key=lambda r: int(r["seq"]))
    legacy = legacy_through(settings)
    problems: list[dict] = []
    prev, expected_seq, n, keyed_seen = GENESIS, 1, 0, False
    hashes: dict[int, str] = {}
    for ev in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        n += 1
        if ev.seq != expected_seq:
            problems.append(_problem(ev.seq, "audit.gap", f"Eintrag {expected_seq} bis {ev.seq - 1} fehlt (gelöscht?).",
                                     f"row(s) {expected_seq} to {ev.seq - 1} missing (deleted?)."))
        if ev.prev_hash != prev:
            problems.append(_problem(ev.seq, "audit.broken_link",
                                     f"Eintrag {ev.seq}: Verweis auf den Vorgänger stimmt nicht.",
                                     f"row {ev.seq}: link to the previous row does not match."))
        args = (ev.prev_hash, ev.seq, ev.at, ev.actor_id, ev.actor_name, ev.event, ev.object_type, ev.object_id,
                ev.details)
        if row_hash(*args, key=key) == ev.hash:
            keyed_seen = True
        elif not keyed_seen and ev.seq <= legacy and row_hash(*args) == ev.hash:
            pass  # written before keyed hashing (recorded with the key, outside the database)
        else:
            problems.append(_problem(ev.seq, "audit.edited",
                                     f"Eintrag {ev.seq} wurde nachträglich verändert (Prüfsumme passt nicht zum "
                                     "Schlüssel).",
                                     f"row {ev.seq} was edited after it was written (checksum does not match the "
                                     "key)."))
        hashes[ev.seq] = ev.hash
        prev, expected_seq = ev.hash, ev.seq + 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev:
        problems.append(_problem(expected_seq - 1, "audit.head_mismatch",
                                 f"Das Protokoll endet bei Eintrag {expected_seq - 1}, erwartet {head_seq} "
                                 "(letzte Einträge gelöscht oder Kopf verändert).",
                                 f"the trail ends at row {expected_seq - 1}, expected {head_seq} "
                                 "(last rows deleted or head edited)."))
    for a in anchors:
        seq, h = int(a["seq"]), str(a["hash"])
        if not hmac.compare_digest(str(a.get("mac") or ""), anchor_mac(key, seq, h)):
            problems.append(_problem(seq, "audit.anchor_key", f"Anker für Eintrag {seq} passt nicht zum Schlüssel "
                                     "(falscher Schlüssel oder gefälschter Anker).",
                                     f"anchor of row {seq} does not match the key (wrong key or forged anchor)."))
        elif seq not in hashes:
            problems.append(_problem(seq, "audit.anchor_missing_row",
                                     f"Eintrag {seq} ist außerhalb der Datenbank verankert, fehlt aber (gelöscht).",
                                     f"row {seq} is anchored outside the database but missing (deleted)."))
        elif hashes[seq] != h:
            problems.append(_problem(seq, "audit.anchor_mismatch",
                                     f"Eintrag {seq} hat eine andere Prüfsumme als verankert (Kette neu berechnet).",
                                     f"row {seq} has another checksum than anchored (chain recomputed)."))
    problems.sort(key=lambda p: (p["seq"] if isinstance(p["seq"], int) else 0))
    res = VerifyResult(ok=not problems, checked=n, problems=problems)
    res.anchors = len(anchors)  # type: ignore[attr-defined]
    res.anchor_source = src.where  # type: ignore[attr-defined]
    return res


__all__ = ["audit_key", "configure_session", "anchor_target", "write_anchor", "anchor_now", "verify",
           "anonymous_allowed", "anchors_from", "key_file"]
