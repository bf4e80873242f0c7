"""Issue 14 item 9: retention deletes or redacts every exact small count with the raw data; files and the SQLite
database are created 0600."""
from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

from publisher.models import StoredFile, SubmissionVersion
from publisher.services import retention


def _mode(path) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


def test_retention_redacts_the_internal_report_with_the_raw_data(app, client, make_submission, ctx, fresh, tokens):
    sub = make_submission("published")
    v = fresh().session.get(SubmissionVersion, sub.current_version_id)
    assert v.report and len(json.dumps(v.report)) > 200  # the internal report holds cell-level detail
    report_sha = v.report_sha256
    rep = retention.run(ctx, None, now=ctx.now() + dt.timedelta(days=365))
    assert rep.deleted
    c = fresh()
    v = c.session.get(SubmissionVersion, sub.current_version_id)
    assert set(v.report) <= {"outcome", "level", "rule_set", "scope", "redacted_at", "note"}
    assert all(set(f) == {"code", "severity", "message_de", "message_en"} and not f["message_de"] for f in v.findings)
    assert c.session.get(StoredFile, report_sha).deleted_at is not None and not ctx.store.exists(report_sha)
    body = client.get(f"/api/v1/submissions/{sub.id}", headers=tokens["approver"]).get_json()
    assert set(body["check"]["report"]) <= {"outcome", "level", "rule_set", "scope", "redacted_at", "note"}


def test_database_storage_and_check_results_are_created_private(tmp_path, ctx, make_submission):
    from publisher.db import Database

    db = Database(f"sqlite:///{tmp_path / 'neu.sqlite3'}")
    with db.session() as s:
        s.execute(__import__("sqlalchemy").text("CREATE TABLE t (x int)"))
        s.commit()
    db.dispose()
    assert _mode(tmp_path / "neu.sqlite3") == 0o600
    sub = make_submission("draft")
    for sha in (sub.current_version.raw_sha256, sub.current_version.artifact_sha256):
        assert _mode(ctx.store.path(sha)) & 0o077 == 0
