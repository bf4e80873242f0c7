"""The report transition table (publisher.report_states): every state reachable, every event labelled in German
and English, every action's permission predicate refuses with a typed error."""
from __future__ import annotations

from publisher.report_states import OTHER_EVENTS, REPORT_TRANSITIONS, ReportState, reachable


def test_every_state_is_reachable_and_every_transition_has_an_event_with_a_label():
    from publisher.i18n import translate
    from publisher.labels import EVENT_LABELS, OBJECT_LABELS

    assert reachable() == set(ReportState)
    events = {t.audit_event for t in REPORT_TRANSITIONS} | set(OTHER_EVENTS)
    assert sorted(events - set(EVENT_LABELS)) == []
    for e in events:
        assert translate(EVENT_LABELS[e], "en") != EVENT_LABELS[e], e  # translated
    assert "reports" in OBJECT_LABELS


def test_the_owner_collects_only_the_dpo_withdraws_a_released_report():
    from publisher.report_states import report_transition
    from publisher.workflow import Role

    assert report_transition("add", ReportState.COLLECTING, Role.SUBMITTER)
    assert report_transition("add", ReportState.COMPLETE, Role.SUBMITTER) is None
    assert report_transition("add", ReportState.COLLECTING, Role.APPROVER) is None
    assert report_transition("withdraw", ReportState.RELEASED, Role.SUBMITTER) is None
    assert report_transition("withdraw", ReportState.PUBLISHED, Role.APPROVER)
    assert report_transition("release", ReportState.COMPLETE, Role.SYSTEM)
    assert all(report_transition("release", s, r) is None for s in ReportState for r in Role if r != Role.SYSTEM)
