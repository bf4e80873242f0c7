"""CLI commands that need the engine: hierarchy import, demo load."""
from __future__ import annotations

from sqlalchemy import select

from publisher.models import Hierarchy, PublicationJob, Submission


def test_hierarchy_import_versions(runner, fresh, city, tmp_path):
    f = tmp_path / "hierarchie.csv"
    f.write_bytes(city.hierarchy_csv())
    out = runner.invoke(["hierarchy", "import", str(f), "--name", "stadt", "--valid-from", "2026-01-01"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(["hierarchy", "import", str(f), "--name", "stadt"])
    assert "v2" in out.output
    rows = fresh().session.execute(select(Hierarchy).order_by(Hierarchy.version)).scalars().all()
    assert [h.version for h in rows] == [1, 2] and rows[0].valid_from.isoformat() == "2026-01-01"
    assert rows[0].levels[0] == "baublock" and rows[0].code_counts["stadtteil"] == 18


def test_hierarchy_import_bad_file_exit_2(runner, fresh, tmp_path):
    f = tmp_path / "kaputt.csv"
    f.write_text("baublock,stadtteil\n001,01\n001,02\n", encoding="utf-8")  # two parents
    out = runner.invoke(["hierarchy", "import", str(f), "--name", "x"])
    assert out.exit_code == 2 and "kaputt.csv" in out.output
    assert fresh().session.execute(select(Hierarchy)).first() is None


def test_demo_load(runner, fresh):
    out = runner.invoke(["demo", "load"])
    assert out.exit_code == 0, out.output
    assert "dsb" in out.output and "statistik" in out.output
    assert "Datenschutzbeauftragte/r" in out.output and "approver" not in out.output  # German role names
    c = fresh()
    states = sorted(s.state for s in c.session.execute(select(Submission)).scalars())
    assert states == ["approved", "draft", "rejected", "returned", "submitted"]
    assert c.session.execute(select(PublicationJob)).scalars().first() is not None
    h = c.session.execute(select(Hierarchy)).scalar_one()
    assert h.code_counts["stadtbezirk"] == 5 and h.code_counts["stadtteil"] == 18
    assert 200 <= h.code_counts["baublock"] <= 500
    assert runner.invoke(["audit", "verify"]).exit_code == 0
