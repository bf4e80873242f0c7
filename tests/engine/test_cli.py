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


def test_declared_level_finer_codes_exit_2_with_row_and_column(tmp_path):
    p, out = run(tmp_path, GERMAN, "--level", "stadtteil")
    assert p.returncode == 2 and not out.exists()
    assert "Datei t.csv, Zeile 4, Spalte 'baublock'" in p.stderr  # the first data row, below title and header
    assert "nicht zur angegebenen Ebene stadtteil, sondern zu feineren Ebenen: 0101, 0102, 0201" in p.stderr
    p, out = run(tmp_path, "gebiet;status;anzahl\n01;Asyl;7\n02;Asyl;4\n".encode(), "--level", "stadtteil")
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "report.json").read_text())["level"] == "stadtteil"


def test_acro_style_parameters_zeros_disclosive(tmp_path):
    p, out = run(tmp_path, b"baublock;anzahl\n0101;0\n0102;12\n0201;11\n", "--min-count", "10",
                 "--zeros-disclosive")
    report = json.loads((out / "report.json").read_text())
    assert p.returncode == 0 and report["levels"][0]["failing_cells"] == 1
    assert report["rule_set"]["parameters"]["zeros_are_disclosive"] is True


MAGNITUDE = ("baublock;art;betrag;faelle;top1;top2\n"
             "0101;Miete;1000,50;5;900;50\n0101;Heizung;4000;40;300;280\n"
             "0102;Miete;5000;50;400;390\n0102;Heizung;4500;45;300;290\n"
             "0201;Miete;6000;60;500;450\n0201;Heizung;7000;70;600;500\n").encode("cp1252")


def test_magnitude_table_with_dominance_and_p_percent(tmp_path):
    p, out = run(tmp_path, MAGNITUDE, "--geo-column", "baublock", "--dimension", "art", "--value-column",
                 "betrag", "--contributors-column", "faelle", "--top-column", "top1", "--top-column", "top2",
                 "--dominance", "1,85", "--p-percent", "10", "--status-column")
    assert p.returncode == 0, p.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["audit"]["passed"] and report["audit"]["primary_cells"] == 1
    assert report["rule_set"]["parameters"]["dominance"]["p"] == 10.0
    lines = (out / "releasable.csv").read_text().splitlines()
    assert lines[0] == "level,area,art,betrag,status"
    assert "baublock,0101,Miete,.,primary" in lines
    assert "baublock,0102,Heizung,4500,ok" in lines or "baublock,0102,Heizung,.,secondary" in lines
    # without the top contributions the p % rule cannot run: a clear error, nothing written
    p2, out2 = run(tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path, MAGNITUDE, "--geo-column",
                   "baublock", "--dimension", "art", "--value-column", "betrag", "--contributors-column", "faelle",
                   "--p-percent", "10")
    assert p2.returncode == 2 and "größten Beiträge" in p2.stderr and not (out2 / "releasable.csv").exists()
