"""The release ledger: written with the publication, append-only, queryable by the engine."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from publisher.models import Submission
from publisher.models_ledger import LedgerEntry, LedgerIsAppendOnly
from publisher.publication import parse_artifact
from publisher.services import ledger


def test_publication_appends_exactly_what_was_published(ctx, make_submission, fresh):
    sub = make_submission("published", reference_period="2026-07")
    c = fresh()
    (entry,) = c.session.execute(select(LedgerEntry)).scalars().all()
    v = c.session.get(Submission, sub.id).current_version
    assert entry.submission_id == sub.id and entry.version_id == v.id and entry.series_id == sub.series_id
    assert entry.artifact_sha256 == v.artifact_sha256 and entry.period == "2026-07"
    assert entry.audience == "public" and entry.level == v.level
    assert entry.hierarchy_label == v.hierarchy.label
    frame = parse_artifact(c.store.get(v.artifact_sha256))
    assert len(entry.cells) == len(frame)
    published = sorted((r["area"], tuple(sorted(r["dims"].items())), r["count"]) for r in entry.cells)
    dims = [d for d in frame.columns if d not in ("level", "area", "count", "status")]
    expect = sorted((str(a), tuple(sorted((d, str(row[d])) for d in dims)), None if row["count"] is None else int(row["count"]))
                    for a, row in zip(frame["area"], frame.astype(object).where(frame.notna(), None).to_dict("records")))
    assert published == expect
    assert set(entry.dimensions) == set(dims)
    # the engine reads it back as releases
    (rel,) = ledger.ledger_releases(c)
    assert rel.label == entry.label and len(rel.cells) == len(frame)


def test_no_ledger_row_without_publication(ctx, make_submission, fresh):
    make_submission("approved")
    make_submission("publishing")
    assert fresh().session.execute(select(sa.func.count()).select_from(LedgerEntry)).scalar_one() == 0


def test_ledger_is_append_only(ctx, make_submission, fresh):
    make_submission("published")
    c = fresh()
    entry = c.session.execute(select(LedgerEntry)).scalar_one()
    entry.period = "1999-01"
    with pytest.raises(LedgerIsAppendOnly):
        c.session.flush()
    c.session.rollback()
    entry = c.session.execute(select(LedgerEntry)).scalar_one()
    c.session.delete(entry)
    with pytest.raises(LedgerIsAppendOnly):
        c.session.flush()
    c.session.rollback()
    # below the ORM too: the database refuses UPDATE and DELETE
    for stmt in ("UPDATE release_ledger SET period = '1999-01'", "DELETE FROM release_ledger"):
        with pytest.raises(sa.exc.DatabaseError):
            c.session.execute(sa.text(stmt))
        c.session.rollback()
    assert c.session.execute(select(LedgerEntry)).scalar_one().period != "1999-01"
    # and the service has no path to change it
    assert not [n for n in dir(ledger) if n.startswith(("update", "delete", "remove", "edit"))]
