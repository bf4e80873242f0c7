"""Read side: who sees what.  The raw table never reaches readers or anonymous users."""
from __future__ import annotations

import pytest

from publisher.services import queries
from publisher.services.errors import Forbidden


def test_raw_and_internal_data_only_for_staff(make_submission, users, ctx):
    sub = make_submission("published")
    vid = sub.current_version_id
    for who in ("submitter", "approver", "admin"):
        data, name = queries.raw_bytes(ctx, users[who], vid)
        assert data and name == "tabelle.csv"
        assert queries.review_data(ctx, users[who], sub.id)["report"]
    for who in ("other_submitter", "reader", "outsider", None):
        actor = users[who] if who else None
        with pytest.raises(Forbidden):
            queries.raw_bytes(ctx, actor, vid)
        with pytest.raises(Forbidden):
            queries.review_data(ctx, actor, sub.id)
        with pytest.raises(Forbidden):
            queries.get_submission(ctx, actor, sub.id)


def test_releases_public_and_restricted(make_submission, users, ctx):
    public = make_submission("published", seed=1)
    restricted = make_submission("published", seed=2, audience="restricted", groups=["sozialplanung"])
    unpublished = make_submission("approved", seed=3)
    assert [s.id for s in queries.list_releases(ctx, None)] == [public.id]
    assert {s.id for s in queries.list_releases(ctx, users["reader"])} == {public.id, restricted.id}
    assert [s.id for s in queries.list_releases(ctx, users["outsider"])] == [public.id]
    data, _ = queries.artifact_bytes(ctx, None, public.current_version_id)
    assert data == ctx.store.get(public.current_version.artifact_sha256)
    for actor in (None, users["outsider"]):
        with pytest.raises(Forbidden):
            queries.artifact_bytes(ctx, actor, restricted.current_version_id)
        with pytest.raises(Forbidden):
            queries.artifact_bytes(ctx, actor, unpublished.current_version_id)
    assert queries.artifact_bytes(ctx, users["reader"], restricted.current_version_id)[0]


def test_submitters_see_only_their_own(make_submission, users, ctx):
    mine = make_submission("draft", seed=5)
    other = make_submission("draft", seed=6, submitter=users["other_submitter"])
    assert [s.id for s in queries.list_submissions(ctx, users["submitter"])] == [mine.id]
    assert {s.id for s in queries.list_submissions(ctx, users["approver"])} == {mine.id, other.id}
    with pytest.raises(Forbidden):
        queries.list_submissions(ctx, users["reader"])


def test_review_data_diff_to_previous_release(make_submission, users, ctx):
    first = make_submission("published", seed=10)
    second = make_submission("submitted", seed=11)
    data = queries.review_data(ctx, users["approver"], second.id)
    assert data["previous_release"].id == first.id
    diff = data["diff_to_previous"]
    assert diff is not None and diff["added"] + diff["changed"] + diff["unchanged"] == len(data["releasable_rows"])
    assert "approve" in data["actions"] and "reject" in data["actions"]
    assert queries.review_data(ctx, users["submitter"], second.id)["actions"] == []


def test_audit_rows_only_for_admin_and_dpo(make_submission, users, ctx):
    make_submission("submitted")
    assert queries.audit_rows(ctx, users["admin"]) and queries.audit_rows(ctx, users["approver"])
    for who in ("submitter", "reader"):
        with pytest.raises(Forbidden):
            queries.audit_rows(ctx, users[who])
