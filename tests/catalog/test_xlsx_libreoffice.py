"""The release .xlsx opens in LibreOffice Calc (Debian's libreoffice-calc-nogui, installed by
scripts/install-system-deps.sh): a headless conversion to CSV shows the German headers, the area names and
the DIN 55301 symbols exactly as the published CSV has them (issue 17 acceptance)."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess

from catalog import releasetable
from catalog.datapackage import build_package
from catalog.xlsx import release_workbook

# comma, double quote, UTF-8, from line 1, default formats, language 0, quoted text, detect numbers,
# values not "as shown" (no thousands separators)
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false"


def test_libreoffice_reads_german_headers_names_and_symbols(make, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is missing: run scripts/install-system-deps.sh"
    table = make.table(seed=5)
    i = table.index[table["status"] == "ok"][0]
    table.loc[i, "status"] = "secondary"  # a suppressed cell, published as "."
    pkg = build_package(table, make.codelist(), make.meta(zero_symbol="-"))
    (tmp_path / "release.xlsx").write_bytes(release_workbook(pkg.descriptor, pkg.data_bytes))
    out = tmp_path / "out"
    profile = (tmp_path / "lo-profile").as_uri()
    run = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                          "--convert-to", CSV_FILTER, "--outdir", str(out), str(tmp_path / "release.xlsx")],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0 and (out / "release.csv").exists(), (run.stdout, run.stderr)
    got = list(csv.reader(io.StringIO((out / "release.csv").read_text("utf-8"))))
    header, rows = releasetable.published_rows(pkg.data_bytes)
    assert got[0][:3] == ["Gebietsebene", "Gebietsschlüssel", "Gebietsname"] and got[0][-1] == "Anzahl"
    assert got[1:] == rows  # codes with leading zeros, names, counts, "." and "-" exactly as published
    flat = [c for r in got[1:] for c in r]
    assert "." in flat and "-" in flat and any(n.startswith("Stadtteil") for n in flat)
