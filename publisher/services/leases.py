"""Leased work queues: the one way a worker takes a row and settles it (publication jobs, the mail outbox).

A row is due by a caller's condition (``pending`` and ``next_attempt_at`` reached, or taken by a worker whose
lease ran out).  :func:`claim_due` picks the oldest due row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
takes it with a compare-and-set on its ``state`` and ``attempts``, so two workers never hold the same row;
it gives up after a few lost races.  :func:`settle` changes a row only while this worker still holds it
(``state`` is the running state and ``locked_by`` is the worker), in one transaction with whatever ``change``
records (its audit row), and releases the lock.  The models need ``id``, ``state``, ``attempts``,
``next_attempt_at``, ``locked_by`` and ``locked_at``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, TypeVar

from sqlalchemy import select, update

Row = TypeVar("Row")
TRIES = 5


def claim_due(s, model: type[Row], due, *, worker_id: str, now: dt.datetime,
              target_of: Callable[[str], str], extra: dict[str, Any] | None = None,
              on_claimed: Callable[[Row, str, int], None] | None = None) -> Row | None:
    """Take the oldest due row of ``model`` for ``worker_id``; None when there is none (or every try lost a
    race).  ``target_of(state)`` is the state the row moves to from its current one (the caller's transition
    table decides); ``on_claimed(row, previous_state, previous_attempts)`` runs in the same transaction."""
    try:
        for _ in range(TRIES):
            q = (select(model.id, model.state, model.attempts).where(due)
                 .order_by(model.next_attempt_at, model.id).limit(1))
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            row = s.execute(q).first()
            if row is None:
                s.rollback()
                return None
            rid, state, attempts = row
            res = s.execute(
                update(model)
                .where(model.id == rid, model.state == state, model.attempts == attempts)
                .values(state=target_of(state), locked_by=worker_id, locked_at=now, attempts=attempts + 1,
                        **(extra or {}))
                .execution_options(synchronize_session=False))
            if res.rowcount != 1:  # another worker was faster
                s.rollback()
                continue
            obj = s.get(model, rid)
            s.refresh(obj)
            if on_claimed is not None:
                on_claimed(obj, state, attempts)
            s.commit()
            return obj
        return None
    except BaseException:
        s.rollback()
        raise


def settle(s, model: type[Row], rid: int, worker_id: str, running: str,
           change: Callable[[Row], None]) -> Row | None:
    """Apply ``change`` to row ``rid`` while ``worker_id`` holds it, release the lock, commit; None (nothing
    changed) when the worker lost its lease to another one."""
    try:
        obj = s.get(model, rid, with_for_update=True)
        if obj is None or obj.state != running or obj.locked_by != worker_id:
            s.rollback()
            return None
        change(obj)
        obj.locked_by, obj.locked_at = None, None
        s.commit()
        return obj
    except BaseException:
        s.rollback()
        raise
