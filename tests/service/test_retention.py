"""Retention: raw uploads deleted N days after publication/rejection (audited); artifacts stay."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from publisher.models import AuditEvent, StoredFile
from publisher.services import queries, retention
from publisher.services.errors import NotFound


def test_retention_deletes_old_raw_uploads_only(make_submission, users, ctx, fresh):
    published = make_submission("published", seed=1)
    rejected = make_submission("rejected", seed=2)
    draft = make_submission("draft", seed=3)
    submitted = make_submission("submitted", seed=4)
    # nothing is old enough yet
    assert retention.run(ctx).deleted == []
    later = ctx.now() + dt.timedelta(days=31)  # RETENTION_DAYS = 30 in the test config
    rep = retention.run(ctx, now=later)
    gone = {published.current_version.raw_sha256, rejected.current_version.raw_sha256}
    assert set(rep.deleted) == gone
    c = fresh()
    for sha in gone:
        assert not ctx.store.exists(sha)
        assert c.session.get(StoredFile, sha).deleted_at is not None
    for sub in (draft, submitted):
        assert ctx.store.exists(sub.current_version.raw_sha256)
    # the releasable artifact stays
    assert ctx.store.exists(published.current_version.artifact_sha256)
    events = c.session.execute(select(AuditEvent).where(AuditEvent.event == "retention.raw_deleted")).scalars().all()
    assert {e.object_id for e in events} == gone
    # the raw file link answers "not found" now, the artifact is still served
    with pytest.raises(NotFound):
        queries.raw_bytes(c, users["approver"], published.current_version_id)
    data, _ = queries.artifact_bytes(c, None, published.current_version_id)
    assert data
    # a second run deletes nothing more
    assert retention.run(ctx, now=later).deleted == []
    from publisher import audit

    assert audit.verify(c.session).ok


def test_shared_raw_bytes_kept_while_another_submission_needs_them(make_submission, ctx):
    a = make_submission("rejected", seed=77)
    b = make_submission("submitted", seed=77)  # same bytes
    assert a.current_version.raw_sha256 == b.current_version.raw_sha256
    rep = retention.run(ctx, now=ctx.now() + dt.timedelta(days=60))
    assert rep.deleted == [] and ctx.store.exists(a.current_version.raw_sha256)


def test_retention_via_cli(make_submission, runner):
    make_submission("rejected")
    out = runner.invoke(["retention", "run"])
    assert out.exit_code == 0 and "0 Rohdatei(en) gelöscht" in out.output
