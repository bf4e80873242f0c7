"""Workflow transitions of a submission (the table is :mod:`publisher.workflow`).

Each function: load the submission → ``check_user_can`` (role, state, four-eyes) → extra checks
(comment, artifact hash) → change state + decision row + audit row → commit.  A refused action raises
``Forbidden``/``WrongState``/``InvalidInput`` and leaves the stored state unchanged.  Concurrent
transitions on one submission are caught by optimistic locking (``lock_version``) → ``WrongState``.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from publisher import audit
from publisher.job_states import JobPurpose, JobState
from publisher.models import Decision, PublicationJob, Submission
from publisher.services import errors as E
from publisher.services import intake, notify
from publisher.storage import StorageError, sha256_bytes
from publisher.workflow import Transition, check_user_can, resolve_action


def _targets(c, version) -> list[str]:
    """Publication targets of an approved version: the registry's targets for its audience (restricted: never
    a public portal), as the release manifest records them (:func:`publisher.manifest.targets_for`)."""
    from publisher.manifest import targets_for

    return targets_for(c.settings, version.meta or {})


def _load(c, submission_id: Any) -> Submission:
    try:
        sid = int(submission_id)
    except (TypeError, ValueError):
        raise E.not_found("Einreichung", submission_id) from None
    return intake.get_for_update(c, sid)


def _apply(c, actor, sub: Submission, t: Transition, *, comment: str = "", artifact_sha256: str | None = None,
           details: dict | None = None) -> Decision:
    now = c.now()
    sub.state = t.target.value
    sub.state_changed_at = now
    sub.updated_at = now
    d = Decision(submission_id=sub.id, version_id=sub.current_version_id, actor_id=actor.id if actor else None,
                 action=t.action, comment=comment, artifact_sha256=artifact_sha256, created_at=now)
    if actor is not None:
        c.session.add(d)
    c.session.flush()
    info = {"from": t.source.value, "to": t.target.value, "version": sub.current_version.number}
    if comment:
        info["comment"] = comment
    if artifact_sha256:
        info["artifact_sha256"] = artifact_sha256
    info.update(details or {})
    audit.record(c.session, actor or "system", t.audit_event, sub, info)
    notify.enqueue(c, t.audit_event, sub, actor=actor)  # issue 18: e-mails of this event (outbox, same transaction)
    return d


def _finish(c, sub: Submission) -> Submission:
    E.commit_or_stale(c)
    c.session.refresh(sub)
    return sub


def _run(c, fn):
    # another transaction changed the submission first (optimistic lock) or stored the same manifest revision
    return E.run_or_stale(c, fn)


def _comment(action: str, comment: Any, required: bool) -> str:
    if comment is not None and not isinstance(comment, str):
        raise E.InvalidInput(E.invalid_field("comment", "muss Text sein.", "must be text."))
    text = intake._clean_text(comment or "", "comment", 5000)
    if required and not text:
        raise E.comment_required(action)
    return text


def submit(c, actor, submission_id, comment: str = "") -> Submission:
    def go():
        sub = _load(c, submission_id)
        t = check_user_can("submit", actor, sub, c.settings)
        text = _comment("submit", comment, False)
        v = sub.current_version
        _apply(c, actor, sub, t, comment=text, artifact_sha256=v.artifact_sha256,
               details={"outcome": v.outcome, "level": v.level})
        return _finish(c, sub)
    from publisher.services import series  # issue 8: a standing approval may release a clean period

    return series.after_submit(c, _run(c, go))


UNCHANGED = object()  # approve(..., embargo_until=UNCHANGED): keep the embargo of the reviewed manifest


def approve(c, actor, submission_id, manifest_sha256: str | None, comment: str = "",
            embargo_until: Any = UNCHANGED, *, artifact_sha256: str | None = None,
            out_of_order: bool = False) -> Submission:
    """Approve exactly the release manifest with ``manifest_sha256`` (issue 14: the sha256 shown on the
    review page, covering table, metadata, audience, groups, targets, series, population, hierarchy,
    rule set and embargo; :mod:`publisher.manifest`).

    Refused (409) when the current manifest has another sha256, the table is missing/corrupt in storage or
    withheld.  ``embargo_until`` other than the reviewed manifest's embargo approves a derived manifest (a
    new revision) and voids earlier approvals of another document; with ``TWO_APPROVALS`` the first
    approval keeps the state SUBMITTED and the second must bind the same manifest.  The final approval
    queues one publication job per target of the manifest (outbox) in the same transaction - unless the
    submission is a table of a report that is not released yet (issue 17: :func:`publisher.services.reports.
    hold`; the jobs of all its tables are queued by the approval that completes the report).
    """
    from publisher import manifest as M

    def go():
        sub = _load(c, submission_id)
        try:  # role, state, four-eyes (the same approver's second approval is decided below, after a
            check_user_can("approve", actor, sub, c.settings)  # changed embargo voided the first one)
        except E.Forbidden as exc:
            if exc.code != "publisher.forbidden.same_approver":
                raise
        text = _comment("approve", comment, False)
        v = sub.current_version
        if v.outcome != "publishable" or not v.artifact_sha256:
            raise E.WrongState(E.WITHHELD)
        cur = M.current(c, sub)
        if not manifest_sha256 or not isinstance(manifest_sha256, str):
            raise E.InvalidInput(E.Finding(M.MANIFEST_REQUIRED, {}, column="manifest_sha256"))
        if manifest_sha256 != cur.sha256:
            raise E.WrongState(M.MANIFEST_CHANGED, expected=manifest_sha256[:64], actual=cur.sha256)
        if artifact_sha256 is not None and artifact_sha256 != v.artifact_sha256:
            raise E.WrongState(E.ARTIFACT_CHANGED, expected=str(artifact_sha256 or "-")[:64],
                               actual=v.artifact_sha256)
        try:
            data = c.store.get(v.artifact_sha256, verify=True)
        except StorageError:
            raise E.WrongState(E.ARTIFACT_CORRUPT, sha256=v.artifact_sha256) from None
        if sha256_bytes(data) != v.artifact_sha256:  # pragma: no cover - get() verified already
            raise E.WrongState(E.ARTIFACT_CORRUPT, sha256=v.artifact_sha256)
        from publisher.services import ledger, series  # issue 8: cross-release checks, embargo

        from publisher.services import reference

        if not reference.is_current(c, v.rule_set):  # issue 14: checked under a superseded rule set (409)
            raise E.WrongState(reference.superseded(c, v.rule_set).findings)
        ledger.require_correction_reason(c, sub, v)  # a correction needs its reason (409)
        ledger.require_clean(c, sub, v)  # a blocking cross-release finding stops approval (409)
        target = cur
        if embargo_until is not UNCHANGED:
            when = M.normalise_embargo(series.embargo_time(c, embargo_until))
            if when != cur.embargo_until:  # the approver proposes a new manifest revision
                target = M.build(c, sub, v, when)
        # approvals of another document (another version, table, metadata or embargo) do not count
        for d in sub.decisions:
            if d.action in ("approve", "approve_first") and d.invalidated_at is None and (
                    d.manifest_sha256 != target.sha256 or d.version_id != v.id):
                d.invalidated_at = c.now()
        t = check_user_can("approve", actor, sub, c.settings)
        emb = target.embargo_until
        earlier = series.earlier_embargo(c, sub, v)  # issue 14: periods of a series are published in order
        if earlier is not None and (emb is None or emb < earlier["until"]) and not out_of_order:
            raise E.WrongState(series.PERIOD_ORDER, period=earlier["period"], submission=earlier["submission"],
                               until=earlier["until"].isoformat())
        M.store(c, actor, sub, target)
        d = _apply(c, actor, sub, t, comment=text, artifact_sha256=v.artifact_sha256,
                   details={"manifest_sha256": target.sha256,
                            "embargo_until": emb.isoformat() if emb is not None else None,
                            **({"out_of_order": earlier} if earlier is not None else {})})
        d.manifest_sha256 = target.sha256
        if t.action == "approve":
            c.session.flush()
            from publisher.services import reports  # issue 17: a member of a report is held until all are approved

            if not reports.hold(c, actor, sub):
                queue_jobs(c, actor, sub, v, target)
            if emb is not None:
                series.set_embargo(c, actor, sub, v, emb)
        c.session.flush()
        return _finish(c, sub)
    return _run(c, go)


def queue_jobs(c, actor, sub: Submission, v, target) -> None:
    """One publication job per target of the approved manifest ``target`` (outbox; caller's transaction)."""
    emb = target.embargo_until
    for tgt in target.targets:
        exists = c.session.execute(select(PublicationJob).where(
            PublicationJob.version_id == v.id, PublicationJob.target == tgt,
            PublicationJob.purpose == JobPurpose.PUBLISH.value)).scalar_one_or_none()
        if exists is None:
            job = PublicationJob(submission_id=sub.id, version_id=v.id, artifact_sha256=v.artifact_sha256,
                                 manifest_sha256=target.sha256, target=tgt, purpose=JobPurpose.PUBLISH.value,
                                 state=JobState.PENDING.value, next_attempt_at=max(emb, c.now()) if emb else c.now(),
                                 created_at=c.now(), updated_at=c.now())
            c.session.add(job)
            c.session.flush()
            audit.record(c.session, actor, "publication.queued", job,
                         {"submission": sub.id, "target": tgt, "artifact_sha256": v.artifact_sha256,
                          "manifest_sha256": target.sha256})


def _invalidate_approvals(c, sub: Submission) -> None:
    for d in sub.decisions:
        if d.action in ("approve", "approve_first") and d.invalidated_at is None:
            d.invalidated_at = c.now()


def return_submission(c, actor, submission_id, comment: str) -> Submission:
    def go():
        sub = _load(c, submission_id)
        t = check_user_can("return", actor, sub, c.settings)
        text = _comment("return", comment, True)
        _invalidate_approvals(c, sub)
        _apply(c, actor, sub, t, comment=text)
        return _finish(c, sub)
    return _run(c, go)


def reject(c, actor, submission_id, comment: str) -> Submission:
    def go():
        sub = _load(c, submission_id)
        t = check_user_can("reject", actor, sub, c.settings)
        text = _comment("reject", comment, True)
        _invalidate_approvals(c, sub)
        _apply(c, actor, sub, t, comment=text)
        return _finish(c, sub)
    return _run(c, go)


def withdraw(c, actor, submission_id, comment: str = "") -> Submission:
    def go():
        sub = _load(c, submission_id)
        t = check_user_can("withdraw", actor, sub, c.settings)
        text = _comment("withdraw", comment, False)
        _apply(c, actor, sub, t, comment=text)
        return _finish(c, sub)
    return _run(c, go)


def resubmit(c, actor, submission_id, *, data: bytes | None = None, filename: str | None = None,
             metadata: dict | None = None, mapping: dict | None = None, hierarchy: Any = None,
             rule_set: Any = None, comment: str = "") -> Submission:
    """RETURNED → SUBMITTED with a new version (engine runs again; earlier approvals are void)."""
    created: list[str] = []

    def go():
        sub = _load(c, submission_id)
        t = check_user_can("resubmit", actor, sub, c.settings)
        text = _comment("resubmit", comment, False)
        v = intake.new_version(c, actor, sub, data=data, filename=filename, metadata=metadata, mapping=mapping,
                               hierarchy=hierarchy, rule_set=rule_set, created=created)
        _invalidate_approvals(c, sub)
        c.session.flush()
        c.session.refresh(sub)
        _apply(c, actor, sub, t, comment=text, artifact_sha256=v.artifact_sha256,
               details={"raw_sha256": v.raw_sha256, "outcome": v.outcome, "level": v.level})
        return _finish(c, sub)

    try:
        return _run(c, go)
    except BaseException:
        from publisher.services.reference import cleanup_files

        cleanup_files(c, created)
        raise


def withdraw_release(c, actor, submission_id, comment: str) -> Submission:
    """PUBLISHED → WITHDRAWN (approver/admin, comment required): queues one ``purpose=JobPurpose.WITHDRAW.value`` job per
    target the release was published to; the worker makes it private on CKAN / marks it in the download area."""
    def go():
        sub = _load(c, submission_id)
        check_user_can("withdraw_release", actor, sub, c.settings)  # permission before the comment (403, not 422)
        text = _comment("withdraw_release", comment, True)
        withdraw_release_in(c, actor, sub, text)
        return _finish(c, sub)
    return _run(c, go)


def withdraw_release_in(c, actor, sub: Submission, text: str) -> None:
    """The body of :func:`withdraw_release` in the caller's transaction (also used by a report's withdrawal)."""
    t = check_user_can("withdraw_release", actor, sub, c.settings)
    v = sub.current_version
    _apply(c, actor, sub, t, comment=text, artifact_sha256=v.artifact_sha256)
    published = c.session.execute(select(PublicationJob).where(
        PublicationJob.version_id == v.id, PublicationJob.purpose == JobPurpose.PUBLISH.value)).scalars().all()
    from publisher.services.withdrawal import queue_withdrawal

    for target in sorted({j.target for j in published}) or _targets(c, v):
        queue_withdrawal(c, actor, sub, target, text)


# --- worker transitions (actor = system) ------------------------------------------------------------

def start_publishing(c, submission_id) -> Submission:
    def go():
        sub = _load(c, submission_id)
        t = check_user_can("start_publishing", None, sub, c.settings)
        _apply(c, None, sub, t)
        return _finish(c, sub)
    return _run(c, go)


def complete_publication(c, submission_id, result: dict | None = None) -> Submission:
    def go():
        sub = _load(c, submission_id)
        t = check_user_can("publish", None, sub, c.settings)
        _apply(c, None, sub, t, details={"result": audit.json_safe(result or {})})
        from publisher.services import ledger  # issue 8: the ledger row commits with the publication

        if sub.current_version.artifact_sha256:
            ledger.append(c, sub, sub.current_version, ledger.release_version_from(result))
        return _finish(c, sub)
    return _run(c, go)


def publication_failed(c, submission_id, error: str) -> Submission:
    def go():
        sub = _load(c, submission_id)
        t = check_user_can("publication_failed", None, sub, c.settings)
        _apply(c, None, sub, t, details={"error": str(error)[:2000]})
        return _finish(c, sub)
    return _run(c, go)


def available_actions(c, actor, sub: Submission) -> list[str]:
    """Actions the actor may take now (for buttons in the UI)."""
    from publisher.workflow import user_can

    acts = []
    for a in ("submit", "approve", "return", "reject", "withdraw", "resubmit", "withdraw_release", "stop_release"):
        if user_can(a, actor, sub, c.settings):
            acts.append(a)
    return acts


__all__ = ["submit", "approve", "return_submission", "reject", "withdraw", "resubmit", "start_publishing",
           "complete_publication", "publication_failed", "available_actions", "resolve_action", "withdraw_release"]
