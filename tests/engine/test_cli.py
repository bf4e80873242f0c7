"""``freigabe check`` end to end through the installed console script."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FREIGABE = str(Path(sys.executable).parent / "freigabe")
HIER = "baublock;stadtteil;stadtteil_name\n0101;01;Bülse\n0102;01;Bülse\n0201;02;Höntrop\n"


def run(tmp_path, table: bytes, *args):
    (tmp_path / "h.csv").write_text(HIER, encoding="utf-8")
    (tmp_path / "t.csv").write_bytes(table)
    out = tmp_path / "out"
    p = subprocess.run([FREIGABE, "check", str(tmp_path / "t.csv"), "--hierarchy", str(tmp_path / "h.csv"),
                        "--out", str(out), *args], capture_output=True, text=True, timeout=120)
    return p, out


GERMAN = "Tabelle 1: Geflüchtete\n\nbaublock;status;anzahl\n0101;Asyl;5\n0102;Asyl;2\n0201;Asyl;1.234\n" \
         "Stadt insgesamt;;1.241\n".encode("cp1252")


def test_publishable_after_coarsening_writes_both_files(tmp_path):
    p, out = run(tmp_path, GERMAN)
    assert p.returncode == 0, p.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["outcome"] == "publishable" and report["level"] == "stadtteil"
    assert [(lv["level"], lv["cells"], lv["failing_cells"]) for lv in report["levels"]][:2] == [
        ("baublock", 3, 1), ("stadtteil", 2, 0)]
    assert len(report["input_sha256"]) == 64 and report["rule_set"]["name"] == "mindestfallzahl-3"
    assert "Stadtteil vergröbert" in report["public_statement"]["de"]
    assert (out / "releasable.csv").read_text().splitlines() == [
        "level,area,status_merkmal,count", "stadtteil,01,Asyl,7", "stadtteil,02,Asyl,1234"]


def test_withheld_exit_1_and_no_releasable(tmp_path):
    p, out = run(tmp_path, GERMAN, "--min-count", "5000")
    assert p.returncode == 1
    assert json.loads((out / "report.json").read_text())["outcome"] == "withheld"
    assert not (out / "releasable.csv").exists()


@pytest.mark.parametrize("table,needle", [
    (b"baublock;anzahl\n0101;-3\n", "Zeile 2"),
    (b"baublock;anzahl\n0101;5\n9999;4\n", "9999"),
    (b"", "leer"),
    (b"\x00\x01\x02binary", "Null-Bytes"),
])
def test_bad_input_exit_2_message_and_nothing_written(tmp_path, table, needle):
    p, out = run(tmp_path, table)
    assert p.returncode == 2
    assert needle in p.stderr
    assert not out.exists()


def test_acro_style_parameters_zeros_disclosive(tmp_path):
    p, out = run(tmp_path, b"baublock;anzahl\n0101;0\n0102;12\n0201;11\n", "--min-count", "10",
                 "--zeros-disclosive")
    report = json.loads((out / "report.json").read_text())
    assert p.returncode == 0 and report["levels"][0]["failing_cells"] == 1
    assert report["rule_set"]["parameters"]["zeros_are_disclosive"] is True
