"""The audit trail is hash-chained: verify detects edited, deleted and inserted rows (also via the CLI)."""
from __future__ import annotations

import json

from sqlalchemy import text

from publisher import audit
from publisher.services import accounts


def _some_events(ctx):
    for name in ("anna", "bert", "carla"):
        accounts.create_user(ctx, None, name, "submitter")


def test_intact_chain_verifies(ctx, runner):
    _some_events(ctx)
    res = audit.verify(ctx.session)
    assert res.ok and res.checked == 3
    out = runner.invoke(["audit", "verify"])
    assert out.exit_code == 0 and "in Ordnung" in out.output


def _sql(ctx, stmt, **params):
    ctx.session.execute(text(stmt), params)
    ctx.session.commit()


def test_edited_row_detected(ctx, runner):
    _some_events(ctx)
    _sql(ctx, "UPDATE audit_events SET details = :d WHERE seq = 2", d='{"role":"admin","username":"bert"}')
    res = audit.verify(ctx.session)
    assert not res.ok and any(p["seq"] == 2 and p["code"] == "audit.edited" for p in res.problems)
    out = runner.invoke(["audit", "verify"])
    assert out.exit_code == 1 and "Eintrag 2" in out.output


def test_edited_actor_detected_even_with_rehash_of_that_row(ctx):
    """An attacker who recomputes the edited row's hash still breaks the next row's link."""
    _some_events(ctx)
    row = ctx.session.execute(text("SELECT * FROM audit_events WHERE seq = 1")).mappings().one()
    import datetime as dt

    at = row["at"] if isinstance(row["at"], dt.datetime) else dt.datetime.fromisoformat(str(row["at"]))
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    new_hash = audit.row_hash(row["prev_hash"], 1, at, None, "mallory", row["event"], row["object_type"],
                              row["object_id"], row["details"])
    _sql(ctx, "UPDATE audit_events SET actor_name = 'mallory', hash = :h WHERE seq = 1", h=new_hash)
    res = audit.verify(ctx.session)
    assert not res.ok and any(p["seq"] == 2 and p["code"] == "audit.broken_link" for p in res.problems)


def test_deleted_middle_row_detected(ctx, runner):
    _some_events(ctx)
    _sql(ctx, "DELETE FROM audit_events WHERE seq = 2")
    res = audit.verify(ctx.session)
    assert not res.ok and {"audit.gap", "audit.broken_link"} <= {p["code"] for p in res.problems}
    assert runner.invoke(["audit", "verify"]).exit_code == 1


def test_deleted_last_row_detected(ctx):
    _some_events(ctx)
    _sql(ctx, "DELETE FROM audit_events WHERE seq = 3")
    res = audit.verify(ctx.session)
    assert not res.ok and res.problems[-1]["code"] == "audit.head_mismatch"


def test_export_csv_and_json(ctx, runner, tmp_path):
    _some_events(ctx)
    out = runner.invoke(["audit", "export", "--format", "json"])
    rows = json.loads(out.output)
    assert [r["seq"] for r in rows] == [1, 2, 3] and rows[0]["details"]["username"] == "anna"
    target = tmp_path / "audit.csv"
    runner.invoke(["audit", "export", "--format", "csv", "--output", str(target)])
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("seq,at,actor_id") and len(lines) == 4


def test_concurrent_writers_never_fork_the_chain(fresh, backend):
    """Eight threads append audit rows at once (own sessions): the chain stays one line, no seq twice."""
    import threading

    from sqlalchemy import func, select

    from publisher.models import AuditEvent

    barrier = threading.Barrier(8)
    errors = []

    def work(i):
        c = fresh()
        try:
            barrier.wait(timeout=10)
            for j in range(3):
                accounts.create_user(c, None, f"user{i}x{j}", "reader", password="korrekt-pferd-batterie-42")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    c = fresh()
    assert c.session.execute(select(func.count()).select_from(AuditEvent)).scalar() == 24
    res = audit.verify(c.session)
    assert res.ok, res.problems
