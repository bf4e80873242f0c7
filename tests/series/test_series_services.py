"""Series through the real services: cross-release gate, standing approval, embargo (issue 8)."""
from __future__ import annotations

from publisher.manifest import current_sha
import datetime as dt

import pytest
from sqlalchemy import select

from disclosure_rules.crossrelease import XREL_OK, XREL_TEMPORAL
from publisher import worker
from publisher.db import utcnow
from publisher.demo import counts_long, german_csv
from publisher.models import AuditEvent, PublicationJob, Submission
from publisher.models_ledger import Notification
from publisher.services import Ctx, errors as E, intake, queries, reference, review, series
from publisher.workflow import State

MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
           "layout": "long"}
HEADER = ["baublock", "monat", "aufenthaltsstatus", "anzahl"]


@pytest.fixture
def period(ctx, users, hierarchy, city):
    """``period("2026-08", bump={0: 1})`` → a draft of the monthly series; every count is 0 or >= 5 (the table
    is publishable at block level); ``bump`` adds to the n-th row's count, ``add`` to every non-zero count."""
    reference.ensure_default_rule_set(ctx)
    base = counts_long(city, ["2026-07"], seed=3, small_cells=False)

    def make(month: str, *, bump: dict | None = None, add: int = 0, submitter=None, **meta):
        rows = []
        for i, (block, _, status, n) in enumerate(base):
            n = n + (add if n else 0) + (bump or {}).get(i, 0)
            rows.append((block, month, status, n))
        m = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": month, "description": "Test",
             "keywords": ["Test"], "source": "Statistikstelle", "contact": "x@example.org", **meta}
        return intake.create_draft(ctx, submitter or users["submitter"], data=german_csv(HEADER, rows),
                                   filename=f"gefluechtete-{month}.csv", metadata=m, mapping=MAPPING,
                                   series="gefluechtete-monatlich", hierarchy=hierarchy.id)
    return make


def publish(ctx, users, sub):
    sub = review.submit(ctx, users["submitter"], sub.id)
    sub = review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    review.start_publishing(ctx, sub.id)
    return review.complete_publication(ctx, sub.id, {"download": {"version": f"1.{sub.id}.0"}})


def xrel(sub) -> dict:
    return sub.current_version.report["cross_release"]


def test_monthly_change_of_one_is_shown_to_the_dpo_and_blocks_approval(ctx, users, period):
    jul = publish(ctx, users, period("2026-07"))
    assert jul.state == State.PUBLISHED.value and jul.current_version.level == "baublock"
    aug = period("2026-08", bump={4: 1})  # one person more in one block
    report = xrel(aug)
    assert report["ok"] is False
    (f,) = report["findings"]
    assert f["code"] == XREL_TEMPORAL and f["params"]["previous_period"] == "2026-07"
    jul_label = f["params"]["previous"]
    assert f"Einreichung {jul.id}" in jul_label and jul_label in f["message_de"]
    assert any(x["code"] == XREL_TEMPORAL for x in aug.current_version.findings)  # on the DPO's list
    aug = review.submit(ctx, users["submitter"], aug.id)
    with pytest.raises(E.WrongState) as err:
        review.approve(ctx, users["approver"], aug.id, current_sha(ctx, aug))
    assert err.value.http_status == 409 and err.value.code == XREL_TEMPORAL
    assert jul_label in err.value.message("en")
    ctx.session.expire_all()
    assert ctx.session.get(Submission, aug.id).state == State.SUBMITTED.value
    assert not ctx.session.execute(select(PublicationJob).where(PublicationJob.submission_id == aug.id)).all()


def test_clean_monthly_history_has_no_false_alarm(ctx, users, period):
    publish(ctx, users, period("2026-07"))
    for i, month in enumerate(("2026-08", "2026-09", "2026-10")):
        sub = period(month, add=3 * (i + 1))
        assert xrel(sub)["ok"] is True
        assert [f["code"] for f in xrel(sub)["findings"]] == [XREL_OK]
        assert publish(ctx, users, sub).state == State.PUBLISHED.value


def test_standing_approval_releases_a_clean_period_and_stops_on_a_finding(ctx, users, period):
    jul = publish(ctx, users, period("2026-07"))
    standing = series.grant_standing_approval(ctx, users["approver"], jul.series_id, jul.id, "monatlich ok")
    # a clean period: approved without a human, bound to its artifact, audited, DPO notified
    aug = review.submit(ctx, users["submitter"], period("2026-08", add=5).id)
    assert aug.state == State.APPROVED.value
    (d,) = [d for d in aug.decisions if d.action == "approve"]
    assert d.actor_id == users["approver"].id and d.artifact_sha256 == aug.current_version.artifact_sha256
    events = [e.event for e in ctx.session.execute(select(AuditEvent).where(
        AuditEvent.object_id == str(aug.id))).scalars()]
    assert "series.standing_release" in events and "submission.approved" in events
    notes = ctx.session.execute(select(Notification).where(Notification.submission_id == aug.id)).scalars().all()
    assert [n.kind for n in notes] == ["standing_release"] and notes[0].user_id == users["approver"].id
    review.start_publishing(ctx, aug.id)
    review.complete_publication(ctx, aug.id, {"download": {"version": "1.1.0"}})
    # a period that differs by 2 in one block: manual review, with the reason
    sep = review.submit(ctx, users["submitter"], period("2026-09", add=5, bump={7: 2}).id)
    assert sep.state == State.SUBMITTED.value
    note = ctx.session.execute(select(Notification).where(Notification.submission_id == sep.id)).scalar_one()
    assert note.kind == "review_needed" and "cross_release_findings" in note.details["reasons"]
    assert note.details["findings"][0]["code"] == XREL_TEMPORAL
    # a changed structure (restricted audience) also falls back to manual review
    octo = review.submit(ctx, users["submitter"], period("2026-10", add=10, audience="restricted",
                                                          groups=["sozialplanung"]).id)
    assert octo.state == State.SUBMITTED.value
    # revoked: nothing is released automatically any more
    series.revoke_standing_approval(ctx, users["approver"], jul.series_id, "Ende")
    nov = review.submit(ctx, users["submitter"], period("2026-11", add=15).id)
    assert nov.state == State.SUBMITTED.value
    assert standing.id


def test_only_a_dpo_grants_a_standing_approval(ctx, users, period):
    jul = publish(ctx, users, period("2026-07"))
    for who in ("submitter", "admin"):
        with pytest.raises(E.Forbidden):
            series.grant_standing_approval(ctx, users[who], jul.series_id, jul.id)
    assert series.active_standing_approval(ctx, jul.series_id) is None


def test_standing_approval_never_approves_the_dpos_own_submission(ctx, users, period):
    from publisher.services import accounts

    jul = publish(ctx, users, period("2026-07"))
    series.grant_standing_approval(ctx, users["approver"], jul.series_id, jul.id)
    # the DPO later works as a submitter and submits a clean period herself: never self-approved
    accounts.set_role(ctx, users["admin"], users["approver"].id, "submitter")
    dora = accounts.get_user(ctx, users["approver"].id)
    sub = intake.get_for_update(ctx, period("2026-08", add=5, submitter=dora).id)
    ctx.session.rollback()
    sub = review.submit(ctx, dora, sub.id)
    assert sub.state == State.SUBMITTED.value
    assert not [d for d in sub.decisions if d.action == "approve"]
    note = ctx.session.execute(select(Notification).where(Notification.submission_id == sub.id)).scalar_one()
    assert "four_eyes" in note.details["reasons"]


def test_embargoed_release_is_not_visible_before_its_time(app, ctx, users, period, monkeypatch):
    sub = review.submit(ctx, users["submitter"], period("2026-07").id)
    when = (utcnow() + dt.timedelta(hours=2)).replace(microsecond=0)
    with pytest.raises(E.InvalidInput):
        review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub),
                       embargo_until=utcnow() - dt.timedelta(minutes=1))
    with pytest.raises(E.InvalidInput):
        review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub),
                       embargo_until="morgen früh")
    sub = review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub),
                         embargo_until=when.isoformat())
    assert sub.state == State.APPROVED.value
    cal = series.upcoming_releases(ctx)
    assert [(e["submission"], e["embargo_until"]) for e in cal] == [(sub.id, when)]
    assert "count" not in str(cal)  # the calendar names the release, never its numbers
    # before the time: the worker publishes nothing, no public page lists it
    assert worker.run(app, once=True) == 0
    ctx.session.expire_all()
    assert ctx.session.get(Submission, sub.id).state == State.APPROVED.value
    assert sub.id not in [s.id for s in queries.list_releases(ctx)]
    # after the time (the clock every service context reads): published, listed, off the calendar
    monkeypatch.setattr(Ctx, "now", lambda self: utcnow() + dt.timedelta(hours=3))
    assert worker.run(app, once=True) >= 1
    ctx.session.expire_all()
    assert ctx.session.get(Submission, sub.id).state == State.PUBLISHED.value
    assert sub.id in [s.id for s in queries.list_releases(ctx)]
    assert series.upcoming_releases(ctx) == []


def test_publication_gate_sees_what_was_published_after_approval(ctx, users, period):
    """Two periods approved before either is published: the second to go out is stopped at the gate."""
    from publisher.publication import PublicationRefused
    from publisher.services import ledger

    jul = review.submit(ctx, users["submitter"], period("2026-07").id)
    jul = review.approve(ctx, users["approver"], jul.id, current_sha(ctx, jul))
    aug = review.submit(ctx, users["submitter"], period("2026-08", bump={2: 1}).id)
    aug = review.approve(ctx, users["approver"], aug.id, current_sha(ctx, aug))  # ledger empty
    assert ledger.gate_before_publication(ctx, aug, aug.current_version).ok
    review.start_publishing(ctx, jul.id)
    review.complete_publication(ctx, jul.id, {"download": {"version": "1.0.0"}})
    with pytest.raises(PublicationRefused) as err:
        ledger.gate_before_publication(ctx, aug, aug.current_version)
    assert err.value.code == XREL_TEMPORAL and f"Einreichung {jul.id}" in err.value.message("en")
