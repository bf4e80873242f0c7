"""Compatibility with ACRO's threshold check (issue 2 acceptance).

With ``min_count = 10`` and zeros disclosive, the cells Freigabe flags at the submitted level (the failing
cells of its internal report) are exactly the cells ACRO flags when it cross-tabulates the same counts
expanded to one record per person. ACRO runs for real, in its own venv (``scripts/acro-venv.sh``; it pins
pandas <= 2.3.3), through ``benchmarks/acro_runner.py``; both sides read the very same CSV bytes.

The tables are generated here (seeded): zeros, ones, values just below, at and above the threshold,
whole areas of zeros, a table where nothing fails and one where everything fails.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.acro

ROOT = Path(__file__).resolve().parents[2]
ACRO_PY = ROOT / "benchmarks" / ".venv-acro" / "bin" / "python"
RUNNER = ROOT / "benchmarks" / "acro_runner.py"
MIN_COUNT = 10


# --------------------------------------------------------------------------- generated inputs


def _hierarchy(n_areas: int, rng: np.random.Generator) -> pd.DataFrame:
    n_teil = max(2, n_areas // 6)
    teil = np.sort(np.concatenate([np.arange(n_teil), rng.integers(0, n_teil, n_areas - n_teil)]))
    return pd.DataFrame(
        {
            "baublock": [f"0{t + 1:02d}{b + 1:05d}" for b, t in enumerate(teil)],  # leading zero kept
            "stadtteil": [f"0{t + 1:02d}" for t in teil],
            "stadtteil_name": [f"Stadtteil {t + 1}" for t in teil],
        }
    )


def _table(hierarchy: pd.DataFrame, dims: dict[str, list[str]], counts: np.ndarray) -> pd.DataFrame:
    index = pd.MultiIndex.from_product([hierarchy["baublock"].tolist(), *dims.values()],
                                       names=["gebiet", *dims.keys()])
    frame = index.to_frame(index=False)
    frame["anzahl"] = counts.astype(np.int64)
    return frame


def _edge_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    """Counts concentrated on the edges of the rule: 0, 1, k-1, k, k+1, plus a spread."""
    edges = np.array([0, 1, 2, MIN_COUNT - 1, MIN_COUNT, MIN_COUNT + 1])
    spread = rng.integers(0, 4 * MIN_COUNT, n)
    pick = rng.random(n) < 0.6
    return np.where(pick, edges[rng.integers(0, len(edges), n)], spread)


def _cases() -> dict[str, tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]]:
    """name -> (table, hierarchy, ACRO index columns, ACRO column columns)."""
    rng = np.random.default_rng(20241123)
    cases = {}

    h = _hierarchy(30, rng)
    dims = {"status": ["aufenthaltserlaubnis", "gestattung", "duldung"], "geschlecht": ["m", "w"]}
    cases["edges_30x3x2"] = (_table(h, dims, _edge_counts(180, rng)), h, ["gebiet"], ["status", "geschlecht"])

    h = _hierarchy(12, rng)
    dims = {"altersgruppe": ["0-17", "18-29", "30-44", "45-64", "65+"],
            "monat": ["2024-01", "2024-02", "2024-03", "2024-04"]}
    counts = rng.poisson(rng.lognormal(1.5, 1.0, 12)[:, None] * np.ones(20)[None, :]).ravel()
    counts[:20] = 0  # a whole area of zeros
    counts[20:40] = MIN_COUNT  # an area exactly at the threshold everywhere
    cases["skewed_12x5x4"] = (_table(h, dims, counts), h, ["gebiet", "altersgruppe"], ["monat"])

    h = _hierarchy(40, rng)
    dims = {"status": ["a", "b", "c", "d", "e"]}
    cases["one_dimension_40x5"] = (_table(h, dims, _edge_counts(200, rng)), h, ["gebiet"], ["status"])

    h = _hierarchy(10, rng)
    dims = {"status": ["a", "b", "c"], "geschlecht": ["m", "w"]}
    counts = MIN_COUNT + rng.integers(0, 50, 60)
    cases["nothing_fails"] = (_table(h, dims, counts), h, ["gebiet"], ["status", "geschlecht"])

    h = _hierarchy(8, rng)
    counts = rng.integers(0, MIN_COUNT, 48)
    cases["everything_fails"] = (_table(h, dims, counts), h, ["gebiet"], ["status", "geschlecht"])
    return cases


CASES = _cases()


# --------------------------------------------------------------------------- the two sides


@pytest.fixture(scope="module")
def acro_python() -> Path:
    if not ACRO_PY.exists():
        pytest.fail(
            f"ACRO venv missing ({ACRO_PY.relative_to(ROOT)}): run `bash scripts/acro-venv.sh` first "
            "(`make test` does it)",
            pytrace=False,
        )
    return ACRO_PY


def _write_csv(table: pd.DataFrame, path: Path) -> bytes:
    data = table.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")
    path.write_bytes(data)
    return data


def acro_flagged(python: Path, csv: Path, index: list[str], columns: list[str], out: Path) -> dict:
    proc = subprocess.run(
        [str(python), str(RUNNER), str(csv), "--sep", ";", "--index", ",".join(index),
         "--columns", ",".join(columns), "--count-column", "anzahl", "--threshold", str(MIN_COUNT),
         "--zeros-disclosive", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, f"acro_runner failed:\n{proc.stderr}"
    return json.loads(out.read_text(encoding="utf-8"))


def freigabe_assessment(csv_bytes: bytes, hierarchy: pd.DataFrame, dims: list[str]):
    from disclosure_rules import assess, load_hierarchy, load_rules, prepare_table, read_table_file

    hier_bytes = hierarchy.to_csv(sep=";", index=False).encode("utf-8")
    h = load_hierarchy(hier_bytes, filename="hierarchie.csv")
    rules = load_rules(min_count=MIN_COUNT, zeros_are_disclosive=True)
    raw = read_table_file(csv_bytes, filename="tabelle.csv")
    prepared = prepare_table(raw, h, geo_column="gebiet", count_columns=["anzahl"], dimensions=dims)
    return prepared, assess(prepared, h, rules)


def _submitted_level_failing(report: dict, level: str) -> list[dict]:
    """The failing cells of the internal report at the submitted level (the first level tried)."""
    assert report["submitted_level"] == level
    first = report["levels"][0]
    assert first["level"] == level, f"first level tried is {first['level']}, submitted level is {level}"
    assert not first["failing_truncated"]
    assert first["failing_cells"] == len(first["failing"])
    return first["failing"]


def _key(cell: dict, dims: list[str]) -> tuple[str, ...]:
    return tuple(str(cell[d]) for d in dims)


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("name", sorted(CASES))
def test_freigabe_flags_exactly_the_cells_acro_flags(name, acro_python, tmp_path):
    table, hierarchy, index, columns = CASES[name]
    dims = [c for c in table.columns if c not in ("gebiet", "anzahl")]
    csv = tmp_path / f"{name}.csv"
    csv_bytes = _write_csv(table, csv)

    acro = acro_flagged(acro_python, csv, index, columns, tmp_path / "acro.json")
    prepared, assessment = freigabe_assessment(csv_bytes, hierarchy, dims)
    report = assessment.report.to_dict()
    failing = _submitted_level_failing(report, prepared.level)

    # both sides see every cell of the submitted table (zeros included)
    assert acro["cells"] == len(table) == len(prepared.data)
    acro_keys = {_key({"area": c["gebiet"], **c}, ["area", *dims]) for c in acro["flagged"]}
    # the engine may rename a dimension in its output (e.g. "status", reserved, becomes "status_merkmal"):
    # its dimensions keep the input's order
    assert len(prepared.dimensions) == len(dims)
    freigabe_keys = {_key(c, ["area", *prepared.dimensions]) for c in failing}
    expected = {
        _key({"area": r["gebiet"], **r}, ["area", *dims])
        for r in table.to_dict("records") if r["anzahl"] < MIN_COUNT
    }
    assert acro_keys == freigabe_keys, (
        f"only ACRO: {sorted(acro_keys - freigabe_keys)[:10]}; only Freigabe: {sorted(freigabe_keys - acro_keys)[:10]}"
    )
    # and both agree with the rule itself (n < k, zeros disclosive), so the comparison is not vacuous
    assert freigabe_keys == expected
    if name == "nothing_fails":
        assert not freigabe_keys and assessment.outcome == "publishable"
    else:
        assert freigabe_keys
    if name == "everything_fails":
        assert len(freigabe_keys) == len(table)


@pytest.mark.parametrize("name", ["edges_30x3x2", "skewed_12x5x4"])
def test_acro_side_applies_the_threshold_rule(name, acro_python, tmp_path):
    """The runner drives ACRO as intended: every cell of the table is in ACRO's crosstab (zeros too) and
    ACRO flags n < 10, with its zero check on the zeros."""
    table, _, index, columns = CASES[name]
    dims = [c for c in table.columns if c not in ("gebiet", "anzahl")]
    csv = tmp_path / f"{name}.csv"
    _write_csv(table, csv)
    acro = acro_flagged(acro_python, csv, index, columns, tmp_path / "acro.json")
    assert acro["cells"] == len(table)
    assert acro["records"] == int(table["anzahl"].sum())
    by_key = {_key({"area": c["gebiet"], **c}, ["area", *dims]): c for c in acro["flagged"]}
    expected = {
        _key({"area": r["gebiet"], **r}, ["area", *dims]): r["anzahl"]
        for r in table.to_dict("records") if r["anzahl"] < MIN_COUNT
    }
    assert set(by_key) == set(expected)
    for key, count in expected.items():
        assert by_key[key]["count"] == count
        assert "MinimumThresholdCheck" in by_key[key]["reasons"]
        assert ("PresenceOfZeroCheck" in by_key[key]["reasons"]) == (count == 0)
