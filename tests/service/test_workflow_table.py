"""The workflow table itself: every state has an owner, every transition an audit event, all reachable."""
from __future__ import annotations

from publisher.workflow import (
    STATE_LABELS, STATE_OWNER, TERMINAL_STATES, TRANSITIONS, Role, State, reachable_states, transition_for,
)


def test_every_state_has_an_owner_and_labels():
    for s in State:
        assert s in STATE_OWNER, f"state {s.value} has no owner"
        assert isinstance(STATE_OWNER[s], Role)
        # a German label (message id of the UI catalogue) with an English translation
        from publisher.i18n import translate

        assert STATE_LABELS[s] and translate(STATE_LABELS[s], "en") != STATE_LABELS[s]


def test_every_transition_has_an_audit_event_and_a_role():
    for t in TRANSITIONS:
        assert t.audit_event and "." in t.audit_event, f"transition {t.action} from {t.source} has no audit event"
        assert t.roles, f"transition {t.action} has no role"
        assert not (t.author_only and t.not_author)


def test_required_transitions_exist():
    required = [
        ("submit", State.DRAFT, State.SUBMITTED), ("approve", State.SUBMITTED, State.APPROVED),
        ("return", State.SUBMITTED, State.RETURNED), ("reject", State.SUBMITTED, State.REJECTED),
        ("resubmit", State.RETURNED, State.SUBMITTED), ("withdraw", State.RETURNED, State.WITHDRAWN),
        ("withdraw", State.DRAFT, State.WITHDRAWN), ("start_publishing", State.APPROVED, State.PUBLISHING),
        ("publish", State.PUBLISHING, State.PUBLISHED),
    ]
    for action, src, dst in required:
        t = transition_for(action, src)
        assert t is not None and t.target == dst, (action, src)
    # review actions are never the submitter's and need a comment where the issue says so
    for action in ("approve", "return", "reject"):
        t = transition_for(action, State.SUBMITTED)
        assert t.not_author and Role.APPROVER in t.roles and Role.SUBMITTER not in t.roles
    assert transition_for("return", State.SUBMITTED).needs_comment
    assert transition_for("reject", State.SUBMITTED).needs_comment
    assert transition_for("resubmit", State.RETURNED).new_version


def test_all_states_reachable_and_terminal_states_final():
    assert reachable_states() == set(State)
    for t in TRANSITIONS:
        assert t.source not in TERMINAL_STATES
    assert TERMINAL_STATES == {State.REJECTED, State.WITHDRAWN}
    t = transition_for("withdraw_release", State.PUBLISHED)
    assert t.target == State.WITHDRAWN and t.needs_comment and Role.SUBMITTER not in t.roles
