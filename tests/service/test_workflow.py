"""Workflow through the real services: every state reached, every forbidden action refused with the
stored state unchanged, four-eyes, approval bound to the artifact's sha256, comments, two approvals."""
from __future__ import annotations

from publisher.manifest import current_sha
import pytest
from sqlalchemy import func, select

from publisher.models import AuditEvent, Decision, PublicationJob, Submission, SubmissionVersion
from publisher.services import accounts, review
from publisher.services.errors import Forbidden, InvalidInput, ServiceError, WrongState
from publisher.workflow import TRANSITIONS, State


def snapshot(c, sub_id: int) -> dict:
    """Everything a refused action must leave untouched."""
    s = c.session
    sub = s.get(Submission, sub_id)
    return {
        "state": sub.state, "lock": sub.lock_version, "current": sub.current_version_id,
        "versions": s.execute(select(func.count()).select_from(SubmissionVersion)
                              .where(SubmissionVersion.submission_id == sub_id)).scalar(),
        "decisions": s.execute(select(func.count()).select_from(Decision).where(Decision.submission_id == sub_id)
                               ).scalar(),
        "valid_approvals": s.execute(select(func.count()).select_from(Decision).where(
            Decision.submission_id == sub_id, Decision.invalidated_at.is_(None),
            Decision.action.in_(["approve", "approve_first"]))).scalar(),
        "audit": s.execute(select(func.count()).select_from(AuditEvent)).scalar(),
        "jobs": s.execute(select(func.count()).select_from(PublicationJob)).scalar(),
    }


@pytest.mark.parametrize("state", list(State))
def test_each_state_reached_through_real_transitions(state, make_submission, fresh):
    sub = make_submission(state.value)
    c = fresh()
    stored = c.session.get(Submission, sub.id)
    assert stored.state == state.value
    events = [e.event for e in c.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "submissions", AuditEvent.object_id == str(sub.id))
        .order_by(AuditEvent.seq)).scalars()]
    assert events[0] == "submission.created"
    expected_events = {
        State.DRAFT: [], State.WITHDRAWN: ["submission.withdrawn"], State.SUBMITTED: ["submission.submitted"],
        State.RETURNED: ["submission.submitted", "submission.returned"],
        State.REJECTED: ["submission.submitted", "submission.rejected"],
        State.APPROVED: ["submission.submitted", "submission.approved"],
        State.PUBLISHING: ["submission.submitted", "submission.approved", "publication.started"],
        State.PUBLISHED: ["submission.submitted", "submission.approved", "publication.started",
                          "publication.completed"],
    }[state]
    assert events[1:] == expected_events
    from publisher import audit

    assert audit.verify(c.session).ok


# The only (state, action, actor) combinations that are allowed; everything else must be refused.
ALLOWED = {
    (State.DRAFT, "submit", "submitter"), (State.DRAFT, "withdraw", "submitter"),
    (State.SUBMITTED, "approve", "approver"), (State.SUBMITTED, "return", "approver"),
    (State.SUBMITTED, "reject", "approver"),
    (State.RETURNED, "resubmit", "submitter"), (State.RETURNED, "withdraw", "submitter"),
    (State.PUBLISHED, "withdraw_release", "approver"), (State.PUBLISHED, "withdraw_release", "admin"),
}
ACTORS = ("submitter", "other_submitter", "approver", "admin", "reader", "outsider")
USER_ACTIONS = ("submit", "approve", "return", "reject", "withdraw", "resubmit", "withdraw_release")


def _call(c, action, actor, sub):
    if action == "approve":
        return review.approve(c, actor, sub.id, current_sha(c, sub))
    if action == "return":
        return review.return_submission(c, actor, sub.id, "Kommentar")
    if action == "reject":
        return review.reject(c, actor, sub.id, "Kommentar")
    if action == "resubmit":
        return review.resubmit(c, actor, sub.id)
    if action == "withdraw_release":
        return review.withdraw_release(c, actor, sub.id, "Kommentar")
    return getattr(review, action)(c, actor, sub.id)


@pytest.mark.parametrize("state", list(State))
def test_forbidden_actions_refused_and_state_unchanged(state, make_submission, users, ctx, fresh):
    sub = make_submission(state.value)
    before = snapshot(fresh(), sub.id)
    refused = 0
    for action in USER_ACTIONS:
        for who in ACTORS:
            if (state, action, who) in ALLOWED:
                continue
            with pytest.raises((Forbidden, WrongState)) as exc:
                _call(ctx, action, users[who], sub)
            assert exc.value.http_status in (403, 409)
            assert exc.value.message("de") and exc.value.message("en")
            refused += 1
    # the worker's transitions are never available to a person
    for fn in (review.start_publishing, review.complete_publication):
        for who in ACTORS:
            with pytest.raises(ServiceError):
                _system_as_user(ctx, fn, users[who], sub)
    assert refused >= 35
    assert snapshot(fresh(), sub.id) == before


def _system_as_user(c, fn, user, sub):
    from publisher.workflow import check_user_can

    action = {"start_publishing": "start_publishing", "complete_publication": "publish"}[fn.__name__]
    check_user_can(action, user, c.session.get(Submission, sub.id), c.settings)


def test_wrong_state_is_409_and_forbidden_is_403(make_submission, users, ctx):
    sub = make_submission("draft")
    with pytest.raises(WrongState) as exc:
        review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    assert exc.value.http_status == 409 and exc.value.code == "publisher.wrong_state"
    with pytest.raises(Forbidden) as exc:
        review.submit(ctx, users["other_submitter"], sub.id)
    assert exc.value.http_status == 403 and "sabine" in exc.value.message("de")


def test_submitter_approving_own_submission_refused(make_submission, users, ctx, fresh):
    sub = make_submission("submitted")
    before = snapshot(fresh(), sub.id)
    with pytest.raises(Forbidden):
        review.approve(ctx, users["submitter"], sub.id, current_sha(ctx, sub))
    # even after being made an approver, the author may never review their own submission
    accounts.set_role(ctx, None, users["submitter"].id, "approver")  # the operator (issue 14: a person needs a second)
    author = accounts.get_user(fresh(), users["submitter"].id)
    for fn, args in ((review.approve, (sub.current_version.artifact_sha256,)),
                     (review.return_submission, ("x",)), (review.reject, ("x",))):
        with pytest.raises(Forbidden) as exc:
            fn(ctx, author, sub.id, *args)
        assert exc.value.code == "publisher.forbidden.own_submission"
        assert "Vier-Augen" in exc.value.message("de") and "Four-eyes" in exc.value.message("en")
    after = snapshot(fresh(), sub.id)
    assert after["state"] == "submitted" and after["decisions"] == before["decisions"]


def test_approval_bound_to_artifact_hash(make_submission, users, ctx, fresh, table_bytes):
    sub = make_submission("submitted")
    good = current_sha(ctx, sub)
    with pytest.raises(WrongState) as exc:
        review.approve(ctx, users["approver"], sub.id, "0" * 64)
    assert exc.value.code == "publisher.manifest_changed"
    with pytest.raises(InvalidInput):
        review.approve(ctx, users["approver"], sub.id, None)
    # returned, resubmitted with another table: the old hash no longer approves anything
    review.return_submission(ctx, users["approver"], sub.id, "Bitte neue Daten.")
    sub = review.resubmit(ctx, users["submitter"], sub.id, data=table_bytes(seed=999), filename="neu.csv")
    new = current_sha(ctx, sub)
    assert new != good and sub.current_version.number == 2
    before = snapshot(fresh(), sub.id)
    with pytest.raises(WrongState) as exc:
        review.approve(ctx, users["approver"], sub.id, good)
    assert exc.value.code == "publisher.manifest_changed" and snapshot(fresh(), sub.id) == before
    sub = review.approve(ctx, users["approver"], sub.id, new)
    assert sub.state == "approved"
    jobs = fresh().session.execute(select(PublicationJob)).scalars().all()
    assert jobs and all(j.artifact_sha256 == sub.current_version.artifact_sha256 and j.manifest_sha256 == new
                        and j.state == "pending" for j in jobs)


def test_approval_refused_when_stored_artifact_was_altered(make_submission, users, ctx, fresh):
    sub = make_submission("submitted")
    sha = current_sha(ctx, sub)
    ctx.store.path(sub.current_version.artifact_sha256).write_bytes(b"area;count\nX;1\n")
    before = snapshot(fresh(), sub.id)
    with pytest.raises(WrongState) as exc:
        review.approve(ctx, users["approver"], sub.id, sha)
    assert exc.value.code == "publisher.artifact_corrupt"
    assert snapshot(fresh(), sub.id) == before


@pytest.mark.parametrize("action", ["return", "reject"])
@pytest.mark.parametrize("comment", ["", "   ", None])
def test_return_and_reject_need_a_comment(action, comment, make_submission, users, ctx, fresh):
    sub = make_submission("submitted")
    before = snapshot(fresh(), sub.id)
    fn = review.return_submission if action == "return" else review.reject
    with pytest.raises(InvalidInput) as exc:
        fn(ctx, users["approver"], sub.id, comment)
    assert exc.value.http_status == 422 and exc.value.code == "publisher.comment_required"
    assert snapshot(fresh(), sub.id) == before


def test_comment_is_stored_and_audited(make_submission, users, ctx, fresh):
    sub = make_submission("submitted")
    review.return_submission(ctx, users["approver"], sub.id, "Stichtag fehlt in der Beschreibung.")
    c = fresh()
    d = c.session.execute(select(Decision).where(Decision.action == "return")).scalar_one()
    assert d.comment == "Stichtag fehlt in der Beschreibung." and d.actor_id == users["approver"].id
    ev = c.session.execute(select(AuditEvent).where(AuditEvent.event == "submission.returned")).scalar_one()
    assert ev.details_dict["comment"] == d.comment and ev.actor_name == "dora"


def test_two_approvals(make_submission, users, ctx, fresh, table_bytes):
    ctx.settings["TWO_APPROVALS"] = True
    sub = make_submission("submitted")
    sha = current_sha(ctx, sub)
    sub = review.approve(ctx, users["approver"], sub.id, sha)
    assert sub.state == "submitted"
    assert fresh().session.execute(select(func.count()).select_from(PublicationJob)).scalar() == 0
    with pytest.raises(Forbidden) as exc:
        review.approve(ctx, users["approver"], sub.id, sha)
    assert exc.value.code == "publisher.forbidden.same_approver"
    sub = review.approve(ctx, users["approver2"], sub.id, sha)
    assert sub.state == "approved"
    c = fresh()
    events = [e.event for e in c.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    assert "submission.first_approval" in events and "submission.approved" in events
    assert c.session.execute(select(func.count()).select_from(PublicationJob)).scalar() >= 1


def test_two_approvals_first_one_void_after_return(make_submission, users, ctx, fresh, table_bytes):
    ctx.settings["TWO_APPROVALS"] = True
    sub = make_submission("submitted")
    review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    review.return_submission(ctx, users["approver2"], sub.id, "Noch eine Korrektur")
    sub = review.resubmit(ctx, users["submitter"], sub.id, data=table_bytes(seed=4242), filename="v2.csv")
    # one approval of the new artifact is not enough: the earlier approval was of other bytes
    sub = review.approve(ctx, users["approver2"], sub.id, current_sha(ctx, sub))
    assert sub.state == "submitted"
    sub = review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    assert sub.state == "approved"


def test_withheld_table_cannot_be_approved(ctx, users, hierarchy, fresh):
    from publisher.demo import german_csv
    from publisher.services import intake

    # every Stadtteil has one person: fails at every level up to the city? city total is >= 3 -> use 1 row
    rows = [(hierarchy_block, "2026-07", "Duldung", 1) for hierarchy_block in [_first_block(ctx, hierarchy)]]
    sub = intake.create_draft(ctx, users["submitter"], data=german_csv(
        ["baublock", "monat", "aufenthaltsstatus", "anzahl"], rows), filename="klein.csv",
        metadata={"title": "Winzig", "reference_period": "2026-07"},
        mapping={"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
                 "layout": "long"}, hierarchy=hierarchy.id)
    assert sub.current_version.outcome == "withheld" and sub.current_version.artifact_sha256 is None
    review.submit(ctx, users["submitter"], sub.id)
    with pytest.raises(WrongState) as exc:
        review.approve(ctx, users["approver"], sub.id, "0" * 64)
    assert exc.value.code == "publisher.withheld"
    review.reject(ctx, users["approver"], sub.id, "Nicht veröffentlichungsfähig.")


def _first_block(c, hierarchy):
    return c.store.get(hierarchy.file_sha256).decode().splitlines()[1].split(",")[0]


def test_every_transition_is_audited_with_its_event(make_submission, users, ctx, fresh, table_bytes):
    """Runs each user transition once and checks its audit event came from the workflow table."""
    seen = set()
    s1 = make_submission("draft")
    review.submit(ctx, users["submitter"], s1.id)
    review.return_submission(ctx, users["approver"], s1.id, "x")
    review.resubmit(ctx, users["submitter"], s1.id, data=table_bytes(seed=5), filename="b.csv")
    review.reject(ctx, users["approver"], s1.id, "y")
    s2 = make_submission("returned")
    review.withdraw(ctx, users["submitter"], s2.id)
    s3 = make_submission("draft")
    review.withdraw(ctx, users["submitter"], s3.id)
    s4 = make_submission("published")
    review.withdraw_release(ctx, users["approver"], s4.id, "Fehler in der Tabelle entdeckt.")
    s5 = make_submission("publishing")
    review.publication_failed(ctx, s5.id, "CKAN nicht erreichbar")
    from publisher.services import withdrawal  # issue 14: stop an approved release

    s6 = make_submission("approved")
    withdrawal.stop_release(ctx, users["approver"], s6.id, "Falscher Stichtag")
    c = fresh()
    seen = {e.event for e in c.session.execute(select(AuditEvent)).scalars()}
    missing = {t.audit_event for t in TRANSITIONS if t.action != "approve_first"} - seen
    assert missing == set()


def test_concurrent_approvals_exactly_one_wins(make_submission, users, fresh):
    """Two approvers press "approve" at the same moment: one approval, one refusal, one set of jobs."""
    import threading

    sub = make_submission("submitted")
    sha = current_sha(fresh(), sub)
    barrier = threading.Barrier(2)
    results = []

    def work(who):
        c = fresh()
        actor = c.session.get(type(users[who]), users[who].id)
        barrier.wait(timeout=10)
        try:
            review.approve(c, actor, sub.id, sha)
            results.append("ok")
        except (WrongState, Forbidden) as exc:
            results.append(exc.http_status)

    threads = [threading.Thread(target=work, args=(w,)) for w in ("approver", "approver2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results, key=str) == [409, "ok"]
    c = fresh()
    assert c.session.get(Submission, sub.id).state == "approved"
    approvals = c.session.execute(select(Decision).where(Decision.action == "approve")).scalars().all()
    assert len(approvals) == 1
    jobs = c.session.execute(select(PublicationJob)).scalars().all()
    assert len(jobs) == len({j.target for j in jobs}) >= 1
    from publisher import audit

    assert audit.verify(c.session).ok


def test_withdraw_release_queues_withdraw_jobs(make_submission, users, ctx, fresh):
    sub = make_submission("published")
    with pytest.raises(InvalidInput):
        review.withdraw_release(ctx, users["approver"], sub.id, "")
    sub = review.withdraw_release(ctx, users["admin"], sub.id, "Falscher Stichtag veröffentlicht.")
    assert sub.state == "withdrawn"
    jobs = fresh().session.execute(select(PublicationJob).where(PublicationJob.purpose == "withdraw")).scalars().all()
    assert jobs and all(j.state == "pending" for j in jobs)
