"""Issue 14 item 8: an audit trail that survives a database writer - keyed chain (HMAC, key outside the
database), head anchored outside the database, raw reads audited, anonymous events capped."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, text

from publisher import audit, audit_trust
from publisher.models import AuditEvent
from publisher.services import accounts

from tests.trust.conftest import csrf_from


def _sql(ctx, stmt, **params):
    ctx.session.execute(text(stmt), params)
    ctx.session.commit()


def _events(ctx, n=25):
    for i in range(n):
        accounts.create_user(ctx, None, f"nutzer{i}", "submitter")


def test_key_file_is_outside_the_database_and_private(ctx, app_config):
    _events(ctx, 2)
    path = Path(app_config["DATA_DIR"]) / "audit_key"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    key = path.read_text().splitlines()[0].strip().encode()  # line 2: legacy_through=0
    (ev,) = ctx.session.execute(select(AuditEvent).where(AuditEvent.seq == 1)).scalars()
    assert ev.hash == audit.row_hash(ev.prev_hash, ev.seq, ev.at, ev.actor_id, ev.actor_name, ev.event,
                                     ev.object_type, ev.object_id, ev.details, key=key)


def test_a_database_writer_who_recomputes_the_chain_is_caught(ctx, runner):
    """Why: 'Anyone with write access to the database can rewrite the audit chain (edit an approver ...) and
    `freigabe audit verify` still reports it intact.'  The writer has the database, not the key."""
    _events(ctx, 5)
    rows = ctx.session.execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings().all()
    prev = audit.GENESIS
    import datetime as dt

    for r in rows:  # rewrite actor of row 3 and recompute every hash with plain sha256 (no key available)
        at = r["at"] if isinstance(r["at"], dt.datetime) else dt.datetime.fromisoformat(str(r["at"]))
        at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
        actor = "mallory" if r["seq"] == 3 else r["actor_name"]
        h = audit.row_hash(prev, r["seq"], at, r["actor_id"], actor, r["event"], r["object_type"], r["object_id"],
                           r["details"])
        _sql(ctx, "UPDATE audit_events SET actor_name = :a, prev_hash = :p, hash = :h WHERE seq = :s",
             a=actor, p=prev, h=h, s=r["seq"])
        prev = h
    _sql(ctx, "UPDATE audit_head SET hash = :h", h=prev)
    out = runner.invoke(["audit", "verify"])
    assert out.exit_code == 1
    assert "Erster fehlerhafter Eintrag: 1 (audit.edited)" in out.output


def test_deleting_the_newest_rows_is_caught_by_the_anchors(ctx, runner, app_config):
    _events(ctx, 25)  # AUDIT_ANCHOR_EVERY = 20: the head was anchored at row 20
    anchors = (Path(app_config["DATA_DIR"]) / "audit_anchors.log").read_text()
    assert "freigabe-audit-anchor" in anchors
    assert runner.invoke(["audit", "anchor"]).exit_code == 0  # and now at 25
    res = runner.invoke(["audit", "verify"])
    assert res.exit_code == 0 and "Anker" in res.output
    # delete rows 22..25 and make the head agree: the chain alone looks intact ...
    row21 = ctx.session.execute(text("SELECT hash FROM audit_events WHERE seq = 21")).scalar_one()
    _sql(ctx, "DELETE FROM audit_events WHERE seq > 21")
    _sql(ctx, "UPDATE audit_head SET seq = 21, hash = :h", h=row21)
    assert audit_trust.verify(ctx.session, dict(ctx.settings, AUDIT_ANCHOR="off")).ok
    # ... but not against the anchor outside the database
    out = runner.invoke(["audit", "verify"])
    assert out.exit_code == 1 and "audit.anchor_missing_row" in out.output and "25" in out.output


def test_verify_with_the_wrong_key_fails_and_anchors_need_the_key(ctx, app_config, fresh):
    _events(ctx, 3)
    assert audit.verify(fresh().session).ok
    other = dict(ctx.settings, AUDIT_KEY="ein-anderer-schluessel")
    res = audit_trust.verify(fresh().session, other)
    assert not res.ok and res.problems[0]["seq"] == 1 and res.problems[0]["code"] == "audit.edited"


def test_raw_reads_and_refused_raw_access_are_audited(app, client, auth, make_submission, ctx, fresh, users):
    sub = make_submission("submitted")
    v = sub.current_version.id
    auth.login("dora")
    assert client.get(f"/versions/{v}/raw").status_code == 200
    client.get(f"/review/{sub.id}")  # the review page shows the raw table: a read too
    auth.logout()
    auth.login("otto")  # another submitter
    assert client.get(f"/versions/{v}/raw").status_code == 403
    c = fresh()
    reads = c.session.execute(select(AuditEvent).where(AuditEvent.event == "raw.read")).scalars().all()
    refused = c.session.execute(select(AuditEvent).where(AuditEvent.event == "raw.refused")).scalars().all()
    assert {(e.actor_name, e.details_dict["purpose"]) for e in reads} >= {("dora", "download"),
                                                                         ("dora", "review_page")}
    assert [e.actor_name for e in refused] == ["otto"]


def test_anonymous_requests_cannot_grow_the_audit_table_without_limit(app, users, fresh, monkeypatch):
    app.config["AUDIT_ANONYMOUS_PER_MINUTE"] = 5
    app.config["RATE_LIMIT_LOGIN"] = ""
    monkeypatch.setattr(audit_trust, "_anon", {})
    monkeypatch.setattr(audit_trust, "_clock", lambda: 6_000_000.0)  # one minute window, frozen
    cl = app.test_client()
    token = csrf_from(cl.get("/login").data)
    before = fresh().session.execute(select(AuditEvent)).scalars().all()
    for i in range(40):  # 40 anonymous failed logins from 40 addresses for 40 names
        cl.post("/login", data={"username": f"x{i}", "password": "falsch-falsch-falsch", "csrf_token": token},
                environ_base={"REMOTE_ADDR": f"198.51.100.{i}"})
    after = fresh().session.execute(select(AuditEvent)).scalars().all()
    added = len(after) - len(before)
    assert added <= 6, added  # at most the cap (+ one summary row later), not 40
    assert audit.verify(fresh().session).ok
