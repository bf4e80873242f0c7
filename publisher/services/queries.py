"""Read side, permission-checked.  Nothing here writes state.

Visibility: a submission (metadata, raw table, internal report) is visible to its submitter, approvers
and admins - never to readers or anonymous users.  Published releases: public audience → everyone;
restricted → readers in one of the release's groups (plus staff roles).
"""
from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from publisher import audit
from publisher.models import AuditEvent, PublicationJob, StoredFile, Submission, SubmissionVersion
from publisher.services import errors as E
from publisher.services.review import available_actions
from publisher.workflow import STATE_OWNER, Role, State, check_user_can_view


def _get(c, submission_id) -> Submission:
    try:
        sid = int(submission_id)
    except (TypeError, ValueError):
        raise E.not_found("Einreichung", submission_id) from None
    sub = c.session.get(Submission, sid)
    if sub is None:
        raise E.not_found("Einreichung", submission_id)
    return sub


def get_submission(c, actor, submission_id) -> Submission:
    sub = _get(c, submission_id)
    check_user_can_view(actor, sub)
    return sub


def list_submissions(c, actor, state: str | None = None, mine: bool = False) -> list[Submission]:
    if actor is None or Role(actor.role) not in (Role.SUBMITTER, Role.APPROVER, Role.ADMIN):
        raise E.forbidden_view("Einreichungen")
    q = select(Submission).order_by(Submission.updated_at.desc(), Submission.id.desc())
    if Role(actor.role) == Role.SUBMITTER or mine:
        q = q.where(Submission.submitter_id == actor.id)
    if state:
        q = q.where(Submission.state == State(state).value)
    return list(c.session.execute(q).scalars())


def _parse_csv(data: bytes) -> list[dict]:
    text = data.decode("utf-8-sig")
    sample = text[:4096]
    delim = ";" if sample.count(";") > sample.count(",") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delim))


def _release_rows(c, version: SubmissionVersion) -> list[dict]:
    if not version.artifact_sha256:
        return []
    from publisher.storage import StorageError

    try:
        return _parse_csv(c.store.get(version.artifact_sha256))
    except StorageError:  # the stored artifact was altered: show nothing of it (the worker refuses it too)
        return []


def previous_release(c, sub: Submission, actor=None) -> Submission | None:
    """The newest other approved/published release of the series; with ``actor``: only one the actor may read
    (issue 14: a submitter's diff never compares with a release of an audience they are not in)."""
    from publisher.services.audience import may_read

    q = (select(Submission).where(Submission.series_id == sub.series_id, Submission.id != sub.id,
                                  Submission.state.in_([State.PUBLISHED.value, State.PUBLISHING.value,
                                                        State.APPROVED.value]))
         .order_by(Submission.state_changed_at.desc()))
    for cand in c.session.execute(q).scalars():
        if actor is None or may_read(actor, cand.current_version):
            return cand
    return None


def diff_releases(old_rows: list[dict], new_rows: list[dict]) -> dict:
    """Row-level difference of two releasable tables keyed by all columns except count/status."""
    def key(r):
        return tuple((k, v) for k, v in r.items() if k not in ("count", "status", "wert", "anzahl"))

    old = {key(r): r for r in old_rows}
    new = {key(r): r for r in new_rows}
    changed = [{"key": dict(k), "old": old[k], "new": new[k]} for k in new.keys() & old.keys() if old[k] != new[k]]
    return {"added": len(new.keys() - old.keys()), "removed": len(old.keys() - new.keys()),
            "changed": len(changed), "unchanged": len(new.keys() & old.keys()) - len(changed),
            "changed_rows": changed[:200]}


def review_data(c, actor, submission_id) -> dict[str, Any]:
    """Everything the DPO review page shows.  Internal data: only for those who may view the submission."""
    sub = get_submission(c, actor, submission_id)
    v = sub.current_version
    prev = previous_release(c, sub, actor)
    diff = None
    if prev is not None and prev.current_version and prev.current_version.artifact_sha256:
        try:
            diff = diff_releases(_release_rows(c, prev.current_version), _release_rows(c, v))
        except Exception:  # pragma: no cover - unreadable old artifact: show no diff
            diff = None
    raw_available = c.store.exists(v.raw_sha256) and c.session.get(StoredFile, v.raw_sha256).deleted_at is None
    from types import SimpleNamespace

    from publisher.services.audience import HIDDEN_LABEL, redact

    # issue 14: what the checks compared against is named only where the viewer may read it
    report, findings = redact(c, actor, v.report), redact(c, actor, v.findings)
    check = SimpleNamespace(outcome=v.outcome, level=v.level, public_statement=v.public_statement, report=report,
                            findings=findings)
    return {
        "submission": sub,
        "version": v,
        "versions": list(sub.versions),
        "state": sub.state,
        "state_owner": STATE_OWNER[State(sub.state)].value,
        "metadata": dict(v.meta),
        "outcome": v.outcome,
        "level": v.level,
        "artifact_sha256": v.artifact_sha256,
        "report": report,
        "public_report": v.public_report,
        "public_statement": v.public_statement,
        "findings": findings,
        "hidden_label": HIDDEN_LABEL,  # how redacted reports name a release the viewer may not read
        "check": check,
        "releasable_rows": _release_rows(c, v),
        "raw_available": raw_available,
        "decisions": list(sub.decisions),
        "previous_release": prev,
        "diff_to_previous": diff,
        "correction": _correction(c, sub, v, actor),
        "actions": available_actions(c, actor, sub),
        "jobs": list(c.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)
                                       .order_by(PublicationJob.id)).scalars()),
    }


def _correction(c, sub, v, actor=None) -> dict[str, Any] | None:
    """Issue 8: which published release this submission corrects, the reason, how many cells change.
    Issue 14: a viewer who may not read the corrected release learns neither its label nor the cell counts."""
    from publisher.models_ledger import LedgerEntry
    from publisher.services import ledger
    from publisher.services.audience import may_read

    info = ledger.correction_info(c, sub, v) if v is not None else None
    if info is not None and actor is not None:
        entry = c.session.get(LedgerEntry, info["ledger_id"])
        if not may_read(actor, c.session.get(SubmissionVersion, entry.version_id)):
            info = {**info, "label": "-", "version": "-", "submission_id": None, "changed": None, "added": None,
                    "removed": None, "revised": None}
    return info


def _version(c, version_id) -> SubmissionVersion:
    try:
        v = c.session.get(SubmissionVersion, int(version_id))
    except (TypeError, ValueError):
        v = None
    if v is None:
        raise E.not_found("Version", version_id)
    return v


def raw_bytes(c, actor, version_id, purpose: str = "download") -> tuple[bytes, str]:
    """The raw uploaded file (restricted: submitter, approvers, admins).  Gone after retention → 404.
    Issue 14: every read (``raw.read``, with ``purpose``: download / review page) and every refusal
    (``raw.refused``) is audited."""
    v = _version(c, version_id)
    try:
        check_user_can_view(actor, v.submission)
    except E.Forbidden as exc:
        c.session.rollback()
        _audit_raw(c, actor, "raw.refused", v, {"code": exc.code, "purpose": purpose})
        raise
    f = c.session.get(StoredFile, v.raw_sha256)
    if f is None or f.deleted_at is not None or not c.store.exists(v.raw_sha256):
        raise E.not_found("Rohdatei", v.raw_filename)
    data = c.store.get(v.raw_sha256)
    _audit_raw(c, actor, "raw.read", v, {"raw_sha256": v.raw_sha256, "purpose": purpose})
    return data, v.raw_filename


def _audit_raw(c, actor, event: str, v: SubmissionVersion, details: dict) -> None:
    try:
        audit.record(c.session, actor, event, v.submission,
                     {"version": v.number, "version_id": v.id, **details}, anonymous=actor is None)
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise


def _may_see_release(actor, sub: Submission) -> bool:
    if sub.state != State.PUBLISHED.value:
        return False
    meta = sub.current_version.meta or {}
    if meta.get("audience", "public") == "public":
        return True
    if actor is None or not actor.active:
        return False
    if Role(actor.role) in (Role.APPROVER, Role.ADMIN):
        return True
    return bool(set(meta.get("groups") or []) & actor.group_names)


def artifact_bytes(c, actor, version_id) -> tuple[bytes, str]:
    """The releasable table: staff who may view the submission, or anyone allowed to see the release."""
    v = _version(c, version_id)
    sub = v.submission
    if not v.artifact_sha256:
        raise E.not_found("Veröffentlichungstabelle", version_id)
    from publisher.workflow import user_can_view

    if not (user_can_view(actor, sub) or (_may_see_release(actor, sub) and sub.current_version_id == v.id)):
        raise E.forbidden_view("Version", version_id)
    return c.store.get(v.artifact_sha256), f"submission-{sub.id}-v{v.number}.csv"


def list_releases(c, actor=None, search: str | None = None) -> list[Submission]:
    """Published releases visible to ``actor`` (None = anonymous: public audience only).

    ``search``: every word must occur (case-insensitive) in the title, description, keywords, series or
    reference period of the release's metadata."""
    q = select(Submission).where(Submission.state == State.PUBLISHED.value).order_by(
        Submission.state_changed_at.desc())
    items = [s for s in c.session.execute(q).scalars() if _may_see_release(actor, s)]
    words = [w.casefold() for w in (search or "").split()][:10]
    if not words:
        return items

    def text(sub: Submission) -> str:
        meta = dict(sub.current_version.meta or {}) if sub.current_version else {}
        kw = meta.get("keywords") or []
        parts = [sub.title or "", str(meta.get("description", "")), " ".join(map(str, kw)) if isinstance(
            kw, (list, tuple)) else str(kw), sub.series.title if sub.series else "",
            str(meta.get("reference_period", ""))]
        return " ".join(parts).casefold()

    return [s for s in items if all(w in text(s) for w in words)]


def audit_rows(c, actor, limit: int | None = None) -> list[AuditEvent]:
    if actor is None or Role(actor.role) not in (Role.ADMIN, Role.APPROVER):
        raise E.forbidden_view("Audit-Protokoll")
    q = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if limit:
        q = q.limit(limit)
    return list(c.session.execute(q).scalars())


def audit_verify(c, actor) -> audit.VerifyResult:
    if actor is not None and Role(actor.role) not in (Role.ADMIN, Role.APPROVER):
        raise E.forbidden_view("Audit-Protokoll")
    return audit.verify(c.session)
