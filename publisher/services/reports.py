"""Reports (Berichte, issue 17 item 4): the only writer of reports and their members.

A report bundles several tables (submissions) of one period under one title ("Bevölkerung aktuell, KW 47/2026")
with one public page (``/berichte/<id>``) and one workbook (``/berichte/<id>.xlsx``, a sheet per table plus
"Hinweise").  States and who may act: :mod:`publisher.report_states`.

The holding rule
    Every member goes through its own workflow (rules, review by someone other than the submitter).  Its
    release manifest names the report (:func:`membership_of`, bound by the DPO's approval: id and title).
    An approved member whose report is COLLECTING or COMPLETE is *held*: :func:`hold` (called by
    :func:`publisher.services.review.approve` in the approval's transaction) queues no publication job.  The
    approval that makes every member of a COMPLETE report approved releases it: the jobs of every member are
    queued in that same transaction, each with the manifest its own approval binds - provided that manifest
    names this report (an approval without it never publishes the table as part of the report).  The worker
    refuses a publish job of a member whose report is not released (:func:`gate_job`) and, once every member
    is published, builds the workbook and marks the report PUBLISHED (:func:`settle`).
Returning or rejecting a member
    keeps the report unpublished (it cannot become complete); the owner may remove a member that is not
    approved (COLLECTING or COMPLETE), and a resubmitted member is reviewed again as a member.
Withdrawing a report (DPO or admin; the owner while no table is approved)
    withdraws the whole bundle in one transaction: published members are withdrawn (withdraw jobs per
    target), approved or publishing members are stopped, members not yet approved leave the report (they go
    on as single tables: their manifest no longer names the report, so an earlier first approval is void).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from disclosure_rules.findings import Finding, Severity, register
from publisher import audit
from publisher.models import Decision, Submission
from publisher.models_reports import Report, ReportMember
from publisher.report_states import (
    REPORT_ACTION_LABELS, REPORT_STATE_LABELS, Audience, ReportState, check_user_can_report,
    check_user_can_view_report, report_transition,
)
from publisher.i18n import N_
from publisher.services import errors as E
from publisher.workflow import Role, State

_E = Severity.ERROR
REPORT_WRONG_STATE = register(
    "publisher.report.wrong_state", _E,
    "Die Aktion „{action_de}“ ist bei einem Bericht im Zustand „{state_de}“ nicht möglich.",
    "The action '{action_en}' is not possible for a report in the state '{state_en}'.")
AUDIENCE_MIXED = register(
    "publisher.report.audience_mixed", _E,
    "Einreichung {submission} ist für „{audience_de}“ bestimmt, der Bericht für „{report_audience_de}“: ein "
    "Bericht hat eine Zielgruppe für alle Tabellen.",
    "Submission {submission} is meant for '{audience_en}', the report for '{report_audience_en}': a report has "
    "one audience for all of its tables.")
MEMBER_STATE = register(
    "publisher.report.member_state", _E,
    "Einreichung {submission} ist im Zustand „{state_de}“: nur Entwürfe, eingereichte und zurückgegebene "
    "Tabellen können einem Bericht hinzugefügt werden (eine Freigabe gilt dem Manifest ohne Bericht).",
    "Submission {submission} is in the state '{state_en}': only drafts, submitted and returned tables can be "
    "added to a report (an approval applies to the manifest without the report).")
ALREADY_MEMBER = register(
    "publisher.report.already_member", _E, "Einreichung {submission} gehört schon zu Bericht {report}.",
    "Submission {submission} already belongs to report {report}.")
NOT_MEMBER = register(
    "publisher.report.not_member", _E, "Einreichung {submission} gehört nicht zu Bericht {report}.",
    "Submission {submission} does not belong to report {report}.")
NOT_OWN_TABLE = register(
    "publisher.report.not_own_table", _E,
    "Nur eigene Einreichungen können einem Bericht hinzugefügt werden; Einreichung {submission} stammt von "
    "{submitter}.",
    "Only your own submissions can be added to a report; submission {submission} is by {submitter}.")
MEMBER_APPROVED = register(
    "publisher.report.member_approved", _E,
    "Einreichung {submission} ist schon freigegeben; sie kann den Bericht nicht mehr verlassen.",
    "Submission {submission} is already approved; it can no longer leave the report.")
EMPTY = register(
    "publisher.report.empty", _E, "Ein Bericht ohne Tabellen kann nicht abgeschlossen werden.",
    "A report without tables cannot be completed.")
OWNER_APPROVED = register(
    "publisher.report.owner_approved", _E,
    "Tabellen dieses Berichts sind schon freigegeben: zurückziehen können ihn jetzt nur Datenschutzbeauftragte "
    "oder Admins.",
    "Tables of this report are already approved: only data-protection officers or admins can withdraw it now.")

ADDABLE = frozenset({State.DRAFT, State.SUBMITTED, State.RETURNED})
AUDIENCE_LABELS = {Audience.PUBLIC: N_("Öffentlich"), Audience.RESTRICTED: N_("Eingeschränkt")}


def report_wrong_state(action: str, state) -> E.WrongState:
    from publisher.i18n import translate

    label = REPORT_ACTION_LABELS[action]
    return E.WrongState(REPORT_WRONG_STATE, action=action, action_de=translate(label, "de"),
                        action_en=translate(label, "en"), **E.term("state", REPORT_STATE_LABELS[ReportState(state)]),
                        state_code=ReportState(state).value)


# --- reading ----------------------------------------------------------------------------------------------

def _get(c, report_id: Any, lock: bool = False) -> Report:
    try:
        rid = int(report_id)
    except (TypeError, ValueError):
        raise E.not_found("Bericht", report_id) from None
    q = select(Report).where(Report.id == rid).execution_options(populate_existing=True)
    if lock:
        q = q.with_for_update(of=Report)
    report = c.session.execute(q).unique().scalar_one_or_none()
    if report is None:
        raise E.not_found("Bericht", report_id)
    return report


def get(c, actor, report_id: Any) -> Report:
    """A report for its staff page (owner, DPOs, admins)."""
    report = _get(c, report_id)
    check_user_can_view_report(actor, report)
    return report


def list_for(c, actor) -> list[Report]:
    """Reports the actor may see on the staff list: their own (submitters), all (DPOs, admins)."""
    q = select(Report).order_by(Report.id.desc())
    if actor is None or actor.role not in (Role.SUBMITTER.value, Role.APPROVER.value, Role.ADMIN.value):
        return []
    if actor.role == Role.SUBMITTER.value:
        q = q.where(Report.owner_id == actor.id)
    return list(c.session.execute(q).unique().scalars())


def report_of(c, submission_id: int) -> Report | None:
    row = c.session.execute(select(ReportMember).where(ReportMember.submission_id == submission_id)
                            ).scalar_one_or_none()
    return row.report if row is not None else None


def membership_of(c, sub) -> dict[str, Any] | None:
    """What the release manifest of ``sub`` binds about its report: ``{"id", "title"}`` (None: no report)."""
    report = report_of(c, sub.id)
    if report is None:
        return None
    return {"id": report.id, "title": report.full_title}


def bound_manifest(c, sub: Submission):
    """The manifest the latest valid final approval of the current version binds (read from the database)."""
    from publisher import manifest as M

    d = c.session.execute(select(Decision).where(
        Decision.submission_id == sub.id, Decision.version_id == sub.current_version_id,
        Decision.action == "approve", Decision.invalidated_at.is_(None)).order_by(Decision.id.desc())
    ).scalars().first()
    if d is None:
        return None
    row = M.stored(c, sub.current_version_id, d.manifest_sha256)
    return M.from_row(row) if row is not None else None


def member_status(c, report: Report, sub: Submission) -> dict[str, Any]:
    """Whether a member counts as approved for this report, and why not (codes for the pages)."""
    if State(sub.state) not in (State.APPROVED, State.PUBLISHING, State.PUBLISHED):
        return {"ok": False, "reason": "not_approved"}
    m = bound_manifest(c, sub)
    doc = m.document if m is not None else {}
    if doc.get("report") != {"id": report.id, "title": report.full_title}:
        return {"ok": False, "reason": "report_not_bound"}
    if doc.get("audience") != report.audience or (
            report.audience == Audience.RESTRICTED.value and sorted(doc.get("groups") or []) != sorted(report.groups)):
        return {"ok": False, "reason": "audience_mixed"}
    return {"ok": True, "reason": "", "manifest": m}


def summary(c, report: Report) -> dict[str, Any]:
    """Members with their state and approval status, for the staff page, the review partial and the API."""
    rows = []
    for m in report.members:
        sub = m.submission
        st = member_status(c, report, sub)
        v = sub.current_version
        rows.append({"submission": sub, "id": sub.id, "position": m.position, "state": sub.state,
                     "title": (v.meta or {}).get("title") or sub.series.title if v else sub.series.title,
                     "approved": st["ok"], "reason": st["reason"]})
    return {"report": report, "members": rows, "approved": sum(r["approved"] for r in rows), "total": len(rows)}


# --- writing ----------------------------------------------------------------------------------------------

def _commit(c, report: Report) -> Report:
    E.commit_or_stale(c)
    return _get(c, report.id)


def _run(c, fn):
    return E.run_or_stale(c, fn)


def _set_state(c, report: Report, state: ReportState) -> None:
    report.state = state.value
    report.state_changed_at = c.now()


def _audience(value: Any) -> Audience:
    try:
        return Audience(value or "public")
    except ValueError:
        raise E.InvalidInput(E.invalid_field("audience", "„public“ oder „restricted“.",
                                             "'public' or 'restricted'.")) from None


def create(c, actor, title: Any, period: Any, audience: Any = "public", groups: Any = ()) -> Report:
    """A new report (COLLECTING) owned by ``actor`` (statistics staff)."""
    from publisher.services import intake

    def go():
        if actor is None or actor.role != Role.SUBMITTER.value or not actor.active:
            from publisher.report_states import _labels

            role = Role(actor.role) if actor is not None else Role.SYSTEM
            raise E.Forbidden(E.FORBIDDEN_ROLE, **_labels("create", role, {Role.SUBMITTER}))
        text = intake._clean_text(title, "title", 300)
        per = intake._clean_text(period, "period", 100)
        missing = [E.invalid_field(f, "Pflichtfeld.", "required.") for f, v in (("title", text), ("period", per))
                   if not v]
        if missing:
            raise E.InvalidInput(missing)
        aud = _audience(audience)
        grp = sorted({str(g).strip() for g in (groups or ()) if str(g).strip()})
        if aud == Audience.RESTRICTED and not grp:
            raise E.InvalidInput(E.invalid_field("groups", "eingeschränkte Berichte brauchen mindestens eine "
                                                 "Gruppe.", "restricted reports need at least one group."))
        report = Report(title=text, period=per, owner_id=actor.id, audience=aud.value,
                        groups=grp if aud == Audience.RESTRICTED else [], state=ReportState.COLLECTING.value,
                        created_at=c.now(), state_changed_at=c.now())
        c.session.add(report)
        c.session.flush()
        audit.record(c.session, actor, "report.created", report,
                     {"title": text, "period": per, "audience": aud.value, "groups": report.groups})
        return _commit(c, report)
    return _run(c, go)


def _member_audience(sub: Submission) -> tuple[str, list[str]]:
    meta = (sub.current_version.meta if sub.current_version else None) or {}
    return meta.get("audience") or "public", sorted(meta.get("groups") or [])


def _audience_error(sub: Submission, report: Report, aud: str) -> E.InvalidInput:
    from publisher.i18n import translate

    mine, theirs = AUDIENCE_LABELS.get(Audience(aud), aud), AUDIENCE_LABELS[Audience(report.audience)]
    return E.InvalidInput(Finding(AUDIENCE_MIXED, {
        "submission": sub.id, "audience": aud, "audience_de": mine, "audience_en": translate(mine, "en"),
        "report_audience": report.audience, "report_audience_de": theirs,
        "report_audience_en": translate(theirs, "en")}, column="submission_id"))


def add(c, actor, report_id: Any, submission_id: Any) -> Report:
    """Add the owner's own submission (draft, submitted or returned) to a COLLECTING report.  Its release
    manifest then names the report, so an approval given before does not count any more."""
    from publisher.workflow import STATE_LABELS

    def go():
        report = _get(c, report_id, lock=True)
        t = check_user_can_report("add", actor, report)
        sub = _submission_for_update(c, submission_id)
        if sub.submitter_id != actor.id:
            raise E.Forbidden(NOT_OWN_TABLE, submission=sub.id, submitter=sub.submitter.username)
        other = report_of(c, sub.id)
        if other is not None:
            raise E.WrongState(ALREADY_MEMBER, submission=sub.id, report=other.id)
        if State(sub.state) not in ADDABLE:
            raise E.WrongState(MEMBER_STATE, submission=sub.id, **E.term("state", STATE_LABELS[State(sub.state)]))
        aud, groups = _member_audience(sub)
        if aud != report.audience or (aud == Audience.RESTRICTED.value and groups != sorted(report.groups)):
            raise _audience_error(sub, report, aud)
        pos = c.session.execute(select(func.max(ReportMember.position)).where(
            ReportMember.report_id == report.id)).scalar_one() or 0
        c.session.add(ReportMember(report_id=report.id, submission_id=sub.id, position=int(pos) + 1,
                                   added_by_id=actor.id, added_at=c.now()))
        flag_modified(report, "title")  # optimistic lock: concurrent changes of the report conflict
        c.session.flush()
        audit.record(c.session, actor, t.audit_event, report, {"submission": sub.id, "position": int(pos) + 1})
        return _commit(c, report)
    return _run(c, go)


def _submission_for_update(c, submission_id: Any) -> Submission:
    from publisher.services import intake

    try:
        sid = int(submission_id)
    except (TypeError, ValueError):
        raise E.InvalidInput(E.invalid_field("submission_id", "Nummer einer Einreichung.",
                                             "number of a submission.")) from None
    return intake.get_for_update(c, sid)


def _drop(c, actor, report: Report, sub: Submission, event: str, reason: str = "") -> None:
    row = c.session.execute(select(ReportMember).where(ReportMember.report_id == report.id,
                                                       ReportMember.submission_id == sub.id)).scalar_one()
    c.session.delete(row)
    c.session.flush()
    # its manifest no longer names the report: a pending first approval (two approvals) is void
    for d in sub.decisions:
        if d.action in ("approve", "approve_first") and d.invalidated_at is None:
            d.invalidated_at = c.now()
    audit.record(c.session, actor, event, report, {"submission": sub.id, **({"reason": reason} if reason else {})})


def remove(c, actor, report_id: Any, submission_id: Any) -> Report:
    """The owner takes a table that is not approved out of a COLLECTING or COMPLETE report (e.g. a rejected
    one); when every table left is approved, the report is released in the same transaction."""
    def go():
        report = _get(c, report_id, lock=True)
        t = check_user_can_report("remove", actor, report)
        sub = _submission_for_update(c, submission_id)
        if sub.id not in {m.submission_id for m in report.members}:
            raise E.WrongState(NOT_MEMBER, submission=sub.id, report=report.id)
        if State(sub.state) in (State.APPROVED, State.PUBLISHING, State.PUBLISHED):
            raise E.WrongState(MEMBER_APPROVED, submission=sub.id)
        _drop(c, actor, report, sub, t.audit_event)
        flag_modified(report, "title")
        c.session.flush()
        c.session.expire(report, ["members"])
        _release_if_complete(c, actor, report)
        return _commit(c, report)
    return _run(c, go)


def complete(c, actor, report_id: Any) -> Report:
    """The owner fixes the set of tables (COLLECTING → COMPLETE); released at once if all are approved."""
    def go():
        report = _get(c, report_id, lock=True)
        t = check_user_can_report("complete", actor, report)
        if not report.members:
            raise E.WrongState(EMPTY)
        _set_state(c, report, t.target)
        c.session.flush()
        audit.record(c.session, actor, t.audit_event, report,
                     {"members": [m.submission_id for m in report.members]})
        _release_if_complete(c, actor, report)
        return _commit(c, report)
    return _run(c, go)


def hold(c, actor, sub: Submission) -> bool:
    """Called by ``review.approve`` in the approval's transaction, after the final approval of ``sub``.  True
    when ``sub`` is a member of a report: its jobs are not queued now (held), or - when this approval makes
    every member of a COMPLETE report approved - queued together with every other member's (released)."""
    row = c.session.execute(select(ReportMember).where(ReportMember.submission_id == sub.id)).scalar_one_or_none()
    if row is None:
        return False
    report = _get(c, row.report_id, lock=True)
    flag_modified(report, "title")  # two approvals of members at once: one of them gets a stale-state 409
    c.session.flush()
    audit.record(c.session, actor, "report.member_held", report,
                 {"submission": sub.id, "report_state": report.state})
    if report.state_enum == ReportState.COMPLETE:
        _release_if_complete(c, actor, report)
    return True


def _release_if_complete(c, actor, report: Report) -> bool:
    from publisher.services import review

    if report.state_enum != ReportState.COMPLETE or not report.members:
        return False
    checked = []
    for m in report.members:
        sub = c.session.get(Submission, m.submission_id, populate_existing=True)
        st = member_status(c, report, sub)
        if not st["ok"] or State(sub.state) != State.APPROVED:
            return False
        checked.append((sub, st["manifest"]))
    t = report_transition("release", report.state, Role.SYSTEM)
    _set_state(c, report, t.target)
    c.session.flush()
    audit.record(c.session, actor or "system", t.audit_event, report,
                 {"members": [s.id for s, _ in checked], "manifests": {str(s.id): m.sha256 for s, m in checked}})
    for sub, m in checked:
        review.queue_jobs(c, actor, sub, sub.current_version, m)
    return True


def withdraw(c, actor, report_id: Any, comment: Any) -> Report:
    """Withdraw a report with all of its tables (see the module's docstring)."""
    from publisher.services import intake, review, withdrawal

    def go():
        report = _get(c, report_id, lock=True)
        t = check_user_can_report("withdraw", actor, report)
        text = review._comment("withdraw", comment, True)
        subs = [intake.get_for_update(c, m.submission_id) for m in list(report.members)]
        approved = [s for s in subs if State(s.state) in (State.APPROVED, State.PUBLISHING, State.PUBLISHED)]
        if actor.role == Role.SUBMITTER.value and approved:
            raise E.WrongState(OWNER_APPROVED)
        for sub in subs:
            state = State(sub.state)
            if state == State.PUBLISHED:
                review.withdraw_release_in(c, actor, sub, text)
            elif state in (State.APPROVED, State.PUBLISHING):
                withdrawal.stop_release_in(c, actor, sub, text)
            else:
                _drop(c, actor, report, sub, "report.member_removed", "report_withdrawn")
        _set_state(c, report, t.target)
        c.session.flush()
        audit.record(c.session, actor, t.audit_event, report,
                     {"comment": text, "withdrawn": [s.id for s in approved],
                      "left": [s.id for s in subs if s not in approved]})
        return _commit(c, report)
    return _run(c, go)


# --- the worker's side ------------------------------------------------------------------------------------

def gate_job(c, job, sub: Submission, approved) -> None:
    """Raise ``PublicationRefused`` for a publish job of a report member whose report is not released, or whose
    approved manifest does not name the report (the worker calls this after ``manifest.verify_job``)."""
    from publisher.publication import PublicationRefused

    report = report_of(c, sub.id)
    if report is None:
        return
    if report.state_enum not in (ReportState.RELEASED, ReportState.PUBLISHED):
        raise PublicationRefused("FG-PUB-REPORT-HELD",
                                 f"Die Tabelle gehört zu Bericht {report.id}, der noch nicht freigegeben ist.",
                                 f"The table belongs to report {report.id}, which is not released yet.",
                                 {"report": report.id, "state": report.state})
    if (approved.document or {}).get("report") != {"id": report.id, "title": report.full_title}:
        raise PublicationRefused("FG-PUB-REPORT-UNBOUND",
                                 f"Die Freigabe bindet die Zugehörigkeit zu Bericht {report.id} nicht.",
                                 f"The approval does not bind the membership in report {report.id}.",
                                 {"report": report.id})


def settle(c, submission_id: int) -> Report | None:
    """After a member's jobs settled: once every member of a RELEASED report is published, build and store
    the workbook and mark the report PUBLISHED (one transaction with its audit row)."""
    try:
        report = report_of(c, submission_id)
        if report is None or report.state_enum != ReportState.RELEASED:
            c.session.rollback()
            return None
        report = _get(c, report.id, lock=True)
        subs = [c.session.get(Submission, m.submission_id, populate_existing=True) for m in report.members]
        if report.state_enum != ReportState.RELEASED or any(s.state != State.PUBLISHED.value for s in subs):
            c.session.rollback()
            return None
        from publisher.services.report_workbook import build

        data = build(c, report, subs)
        sha = c.store.put(data)
        t = report_transition("publish", report.state, Role.SYSTEM)
        _set_state(c, report, t.target)
        report.workbook_sha256 = sha
        report.published_at = c.now()
        c.session.flush()
        audit.record(c.session, "system", t.audit_event, report,
                     {"members": [s.id for s in subs], "workbook_sha256": sha})
        return _commit(c, report)
    except BaseException:
        c.session.rollback()
        raise


def settle_released(c) -> int:
    """Settle every RELEASED report whose tables are all published (the worker's retry when building the
    workbook failed after the last table's job); returns how many were published."""
    ids = list(c.session.execute(select(Report.id).where(Report.state == ReportState.RELEASED.value)).scalars())
    c.session.rollback()
    done = 0
    for rid in ids:
        first = c.session.execute(select(ReportMember.submission_id).where(ReportMember.report_id == rid)
                                  .order_by(ReportMember.position)).scalars().first()
        c.session.rollback()
        if first is not None and settle(c, first) is not None:
            done += 1
    return done


# --- the public side --------------------------------------------------------------------------------------

def public_report(c, report_id: Any) -> tuple[Report, list[Submission]]:
    """A published public report whose every table is published and public; anything else is 404 (the same
    answer as for a report that does not exist)."""
    try:
        report = _get(c, report_id)
    except E.NotFound:
        raise E.not_found("Bericht", report_id) from None
    subs = [m.submission for m in report.members]
    ok = (report.state_enum == ReportState.PUBLISHED and report.audience == Audience.PUBLIC.value and subs
          and all(s.state == State.PUBLISHED.value and _member_audience(s)[0] == Audience.PUBLIC.value
                  for s in subs) and report.workbook_sha256)
    if not ok:
        raise E.not_found("Bericht", report_id)
    return report, subs


def public_workbook(c, report_id: Any) -> tuple[bytes, str]:
    report, _subs = public_report(c, report_id)
    return c.store.get(report.workbook_sha256, verify=True), f"bericht-{report.id}.xlsx"


def for_review(c, sub: Submission) -> dict[str, Any] | None:
    """The report a submission belongs to, for the DPO's review page (None: none)."""
    report = report_of(c, sub.id)
    return summary(c, report) if report is not None else None


def for_release(c, sub: Submission) -> Report | None:
    """The public report of a published release, for the link on the release page: released or published
    (a table is published only once its report is released; the public release page is cached per published
    state of its series, so the link must not wait for the last table of the report)."""
    report = report_of(c, sub.id)
    if report is None or report.audience != Audience.PUBLIC.value or sub.state != State.PUBLISHED.value:
        return None
    return report if report.state_enum in (ReportState.RELEASED, ReportState.PUBLISHED) else None


def candidates(c, actor, report: Report) -> list[Submission]:
    """The owner's tables that may be added: own, draft/submitted/returned, in no report, same audience."""
    taken = select(ReportMember.submission_id)
    subs = c.session.execute(select(Submission).where(
        Submission.submitter_id == actor.id, Submission.state.in_([s.value for s in ADDABLE]),
        Submission.id.not_in(taken)).order_by(Submission.id.desc()).limit(200)).unique().scalars()
    return [s for s in subs if _member_audience(s)[0] == report.audience]


__all__ = ["create", "add", "remove", "complete", "withdraw", "hold", "settle", "gate_job", "get", "list_for",
           "summary", "membership_of", "public_report", "public_workbook", "for_review", "for_release"]
