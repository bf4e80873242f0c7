"""Idempotency keys (issue 15 item 6): a retried POST with the same ``Idempotency-Key`` gets the first answer.

Semantics (close to the IETF draft "The Idempotency-Key HTTP Header Field"), per account:

* first request with a key: an ``in_progress`` row is committed BEFORE the action runs, so a concurrent
  request with the same key cannot run it twice (unique ``(user_id, key)``) and gets 409
  ``publisher.idempotency.in_progress``;
* the action answered 2xx: its status, body, content type and ``Location`` are stored (``done``) and every
  later request with the same key and the same request (method, path, body) gets exactly that answer again,
  without running anything (the upload is not stored twice, no second draft);
* the action failed (4xx/5xx): the row is deleted, so the key can be used again (fix the request, retry);
* same key, different request: 409 ``publisher.idempotency.key_reused``, nothing runs;
* rows expire after ``IDEMPOTENCY_TTL_HOURS`` (default 24); an expired key counts as new.  An ``in_progress``
  row older than ``IDEMPOTENCY_LOCK_SECONDS`` (default 600) belongs to a request that died and is taken over.

Bookkeeping only (like a token's ``last_used_at``): the rows are a cache of answers, not audited; the action
they guard writes its own audit row.  This module is the only writer of ``idempotency_keys``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from disclosure_rules.findings import Finding, Severity, register
from publisher.models_idempotency import IdempotencyKey, IdempotencyState
from publisher.services.errors import InvalidInput, WrongState, invalid_field

KEY_REUSED = register(
    "publisher.idempotency.key_reused", Severity.ERROR,
    "Der Idempotency-Key „{key}“ wurde schon für eine andere Anfrage ({method} {path}) verwendet; für eine "
    "neue Anfrage bitte einen neuen Schlüssel nehmen.",
    "The Idempotency-Key '{key}' was already used for a different request ({method} {path}); use a new key for "
    "a new request.")
IN_PROGRESS = register(
    "publisher.idempotency.in_progress", Severity.ERROR,
    "Eine Anfrage mit dem Idempotency-Key „{key}“ läuft noch; bitte gleich erneut versuchen.",
    "A request with the Idempotency-Key '{key}' is still running; please retry shortly.")

DEFAULT_TTL_HOURS = 24
DEFAULT_LOCK_SECONDS = 600
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status: int
    body: str
    content_type: str
    location: str | None


def parse_key(header: str | None) -> str | None:
    """The key of an ``Idempotency-Key`` header (structured-field string ``"..."`` or a bare token); None when
    absent; 422 when empty, too long or not printable ASCII."""
    if header is None:
        return None
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or any(not (0x20 < ord(ch) < 0x7f) for ch in key):
        raise InvalidInput(invalid_field(
            "Idempotency-Key", f"1 bis {MAX_KEY_LENGTH} sichtbare ASCII-Zeichen, z. B. eine UUID.",
            f"1 to {MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID."))
    return key


def _ttl(c) -> dt.timedelta:
    return dt.timedelta(hours=float(c.settings.get("IDEMPOTENCY_TTL_HOURS") or DEFAULT_TTL_HOURS))


def begin(c, user, key: str, method: str, path: str, fingerprint: str) -> Replay | int:
    """Claim ``key`` for this request: the stored answer to replay, or the id of the new ``in_progress`` row
    (pass it to :func:`finish` / :func:`abandon`).  Raises 409 for a different request or one still running."""
    now = c.now()
    try:
        c.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
        row = c.session.execute(select(IdempotencyKey).where(IdempotencyKey.user_id == user.id,
                                                             IdempotencyKey.key == key)).scalar_one_or_none()
        if row is not None:
            lock = dt.timedelta(seconds=int(c.settings.get("IDEMPOTENCY_LOCK_SECONDS") or DEFAULT_LOCK_SECONDS))
            if row.fingerprint != fingerprint or row.method != method or row.path != path:
                raise WrongState(Finding(KEY_REUSED, {"key": key, "method": row.method, "path": row.path}))
            if row.state == IdempotencyState.DONE.value:
                replay = Replay(row.status or 200, row.body or "", row.content_type or "application/json",
                                row.location)
                c.session.commit()
                return replay
            if now - row.created_at < lock:
                raise WrongState(Finding(IN_PROGRESS, {"key": key}))
            c.session.delete(row)  # the request that claimed it died: take over
            c.session.flush()
        row = IdempotencyKey(user_id=user.id, key=key, method=method, path=path[:500], fingerprint=fingerprint,
                             state=IdempotencyState.IN_PROGRESS.value, created_at=now, expires_at=now + _ttl(c))
        c.session.add(row)
        c.session.commit()
        return row.id
    except IntegrityError:  # a concurrent request with the same key committed first
        c.session.rollback()
        raise WrongState(Finding(IN_PROGRESS, {"key": key})) from None
    except BaseException:
        c.session.rollback()
        raise


def finish(c, row_id: int, status: int, body: str, content_type: str, location: str | None) -> None:
    """Store the answer of a successful request (it is replayed from now on)."""
    try:
        c.session.rollback()  # whatever the view left open; its own work is committed by its service
        row = c.session.get(IdempotencyKey, row_id)
        if row is None:
            return
        row.state, row.status, row.body = IdempotencyState.DONE.value, status, body
        row.content_type, row.location = content_type[:100], (location or None) and location[:500]
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise


def abandon(c, row_id: int) -> None:
    """The request failed: free the key (the same key may be used for the corrected request)."""
    try:
        c.session.rollback()
        c.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise
